package corpus

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/anonymize"
	"github.com/tetrahids/tetrahids/internal/corpustest"
	"github.com/tetrahids/tetrahids/schema"
	"go.yaml.in/yaml/v3"
)

// writeKey writes a secret HMAC key file and returns its path and the key.
func writeKey(t *testing.T) (string, []byte) {
	t.Helper()
	key := []byte("a secret key of the dataset card tests")
	path := filepath.Join(t.TempDir(), "key")
	require.NoError(t, os.WriteFile(path, append(key, '\n'), 0o600))
	return path, key
}

// writePolicy writes the default policy with the given forbidden values
// to dir/name and returns the path.
func writePolicy(t *testing.T, dir, name string, forbidden ...string) string {
	t.Helper()
	p := anonymize.DefaultPolicy()
	p.Forbidden = forbidden
	data, err := json.Marshal(p)
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	return path
}

// TestDatasetCard checks README.md for each kind of build: its front
// matter parsed with the YAML library (licence, tags, task and size
// categories, and every split's shards listed by name, checked against
// the files written), the status in the card's first lines and in
// datacard.md, the column table against the schema, and the tables
// recounted from the shards.
func TestDatasetCard(t *testing.T) {
	t.Parallel()
	keyFile, key := writeKey(t)
	for _, c := range []struct {
		name     string
		cfg      Config
		license  string
		blockers []string // the tags after not-a-release; none: a release
		status   string   // in the first lines of README.md and of datacard.md
	}{
		{"sample", Config{Sample: true}, "cc-by-4.0", []string{"demo-key"}, "built-in demonstration key"},
		{"release", Config{Sample: true, HMACKeyFile: keyFile, License: "cc0-1.0", ShardRows: 1000, RowGroupRows: 300}, "cc0-1.0", nil, "Anonymized for release"},
		{"no forbidden values", Config{In: []string{writeSampleDir(t)}, HMACKeyFile: keyFile}, "cc-by-4.0", []string{"no-forbidden-values"}, "lists no forbidden values"},
		{"no anonymize", Config{Sample: true, NoAnonymize: true}, "cc-by-4.0", []string{"not-anonymized"}, "NOT ANONYMIZED"},
		{"policy file, demo key", Config{Sample: true, PolicyFile: writePolicy(t, t.TempDir(), "policy.json", "rypow", "webapp")}, "cc-by-4.0", []string{"demo-key"}, "built-in demonstration key"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Parallel()
			out := build(t, c.cfg)
			fm := corpustest.CheckFrontMatter(t, out)
			assert.Equal(t, c.license, fm.License)
			assert.Equal(t, []string{"tabular-classification"}, fm.TaskCategories)
			assert.Equal(t, "Tetragon host-intrusion-detection corpus (tetrahids, feature schema 1.1)", fm.PrettyName)
			for _, tag := range []string{"tetragon", "ebpf", "intrusion-detection"} {
				assert.Contains(t, fm.Tags, tag)
			}
			files := fm.SplitFiles(t)
			assert.Len(t, files, len(readStats(t, out)["output"].(map[string]any)), "every split")
			if c.cfg.ShardRows > 0 {
				assert.Greater(t, len(files[SplitTrain]), 1, "several train shards")
			}
			status := corpustest.Status(t, out)
			assert.Contains(t, status, c.status)
			datacard, err := os.ReadFile(filepath.Join(out, "datacard.md"))
			require.NoError(t, err)
			assert.Contains(t, string(datacard), c.status)
			if c.blockers == nil {
				assert.NotContains(t, fm.Tags, "not-a-release")
				assert.NotContains(t, status, "NOT A RELEASE")
				digest, err := samplePolicy().Digest(key)
				require.NoError(t, err)
				assert.Contains(t, status, digest)
			} else {
				assert.Equal(t, append([]string{"not-a-release"}, c.blockers...), fm.Tags[len(fm.Tags)-len(c.blockers)-1:])
				assert.Contains(t, status, "NOT A RELEASE")
				assert.NotContains(t, string(datacard), "Anonymized for release")
			}
			readme, err := os.ReadFile(filepath.Join(out, "README.md"))
			require.NoError(t, err)
			// A digest keyed with the public demo key would let anyone
			// test guesses at a policy file's names.
			hasDigest := !c.cfg.NoAnonymize && (c.cfg.PolicyFile == "" || c.cfg.HMACKeyFile != "")
			assert.Equal(t, hasDigest, strings.Contains(string(readme), "Policy digest: `hmac-sha256:"), "policy digest")
			corpustest.CheckColumns(t, out)
			checkCard(t, out)
		})
	}
}

// TestSizeCategory checks the Hub's bucket names at their bounds.
func TestSizeCategory(t *testing.T) {
	for n, want := range map[int64]string{
		0: "n<1K", 999: "n<1K", 1000: "1K<n<10K", 9999: "1K<n<10K", 10_000: "10K<n<100K",
		999_999: "100K<n<1M", 1_000_000: "1M<n<10M", 19_301_915: "10M<n<100M", 100_000_000: "100M<n<1B",
		999_999_999_999: "100B<n<1T", 1_000_000_000_000: "n>1T",
	} {
		assert.Equal(t, want, sizeCategory(n), "%d rows", n)
	}
}

// TestLicense checks that Config.License takes Hub identifiers only, so
// it cannot carry text into the card's metadata.
func TestLicense(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"", "cc-by-4.0", "apache-2.0", "cc0-1.0", "other"} {
		_, err := NewPlan(Config{Sample: true, License: ok})
		assert.NoError(t, err, ok)
	}
	for _, bad := range []string{"CC BY 4.0", "cc-by-4.0\ntags: [release]", "-", "cc by"} {
		_, err := NewPlan(Config{Sample: true, License: bad})
		var ce *ConfigError
		require.ErrorAs(t, err, &ce, "%q", bad)
		assert.Equal(t, "License", ce.Field)
	}
}

// TestCardPlantedValues builds an anonymized corpus from inputs that
// carry planted names (the operator and project in working directories,
// a custom binary, the host in the input path, the node name and a
// sentinel label, and the policy file's name) and checks that neither
// card holds any of them, and that both pass the release checks of every
// published file (anonymize's VerifyFile). A name in a labels tactic,
// which the cards print, fails the build.
func TestCardPlantedValues(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	keyFile, _ := writeKey(t)
	in := filepath.Join(dir, "export-of-host-zebra9")
	require.NoError(t, os.MkdirAll(in, 0o755))
	src := writeSampleDir(t)
	entries, err := os.ReadDir(src)
	require.NoError(t, err)
	for _, e := range entries {
		data, err := os.ReadFile(filepath.Join(src, e.Name()))
		require.NoError(t, err)
		data = bytes.ReplaceAll(data, []byte("/usr/bin/curl"), []byte("/opt/tools/exfil-helper"))
		require.NoError(t, os.WriteFile(filepath.Join(in, e.Name()), data, 0o644))
	}
	sentinels := filepath.Join(dir, "sentinels.csv")
	require.NoError(t, os.WriteFile(sentinels, []byte("start_ts,end_ts,label\n2026-04-14T01:41:13.500Z,2026-04-14T01:41:13.600Z,set-up by rypow on zebra9\n"), 0o644))
	policy := writePolicy(t, dir, "rypow-webapp-zebra9.json", "rypow", "webapp", "zebra9")
	labelsCSV, err := sampleFS.ReadFile("sample/labels.csv")
	require.NoError(t, err)
	labelsFile := filepath.Join(dir, "labels.csv")
	require.NoError(t, os.WriteFile(labelsFile, labelsCSV, 0o644))
	cfg := Config{In: []string{in}, LabelsFile: labelsFile, SentinelsFile: sentinels, NodeName: "zebra9", PolicyFile: policy, HMACKeyFile: keyFile}
	out := build(t, cfg)

	aliases, err := os.ReadFile(filepath.Join(out, "reproduction", "alias_map.json"))
	require.NoError(t, err)
	require.Contains(t, string(aliases), `"exfil-helper": "custom_tool_`, "the planted binary is renamed")
	st := readStats(t, out)
	require.Positive(t, num(t, st, "parser", splitAll, "drop_sentinel_interval"), "the sentinel window drops rows")
	am, err := anonymize.LoadAliasMap(bytes.NewReader(aliases))
	require.NoError(t, err)
	policyJSON, err := os.ReadFile(policy)
	require.NoError(t, err)
	p, err := anonymize.LoadPolicy(bytes.NewReader(policyJSON))
	require.NoError(t, err)
	v, err := anonymize.NewVerifier(p, am, schema.Default())
	require.NoError(t, err)
	for _, name := range []string{"README.md", "datacard.md"} {
		data, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		text := strings.ToLower(string(data))
		for _, planted := range []string{"rypow", "webapp", "zebra9", "exfil-helper", "export-of-host", "sentinels.csv", "set-up by"} {
			assert.NotContains(t, text, planted, "%s holds a planted value", name)
		}
		assert.NoError(t, v.VerifyFile(name, bytes.NewReader(data)), name)
	}
	assert.Contains(t, corpustest.Status(t, out), "Anonymized for release")

	// A tactic naming the host reaches the cards: the build fails before
	// writing them, and leaves nothing behind.
	require.NoError(t, os.WriteFile(labelsFile, bytes.Replace(labelsCSV, []byte(",Discovery,"), []byte(",Discovery on zebra9,"), 1), 0o644))
	cfg.Out = filepath.Join(dir, "leaky")
	_, err = Build(context.Background(), cfg)
	var leak *anonymize.LeakError
	require.ErrorAs(t, err, &leak)
	assert.Equal(t, "zebra9", leak.Pattern)
	assert.Contains(t, []string{"README.md", "datacard.md"}, leak.File)
	assert.NoDirExists(t, cfg.Out)
}

// FuzzFrontMatter checks that no value, whatever its content, can end the
// card's YAML block early or add a field: the metadata is encoded by the
// YAML library, and decoding it gives back exactly what was put in. (The
// licence is validated on top of this, and the paths are the shards'
// names, but the guarantee must not depend on either.)
func FuzzFrontMatter(f *testing.F) {
	f.Add("cc-by-4.0", "data/train-00000-of-00001.parquet")
	f.Add("x\n---\nlicense: mit", "a: b\n---\n# card")
	f.Add("'quoted' \"double\" # comment", "- [list] {map}: &anchor *alias")
	f.Fuzz(func(t *testing.T, license, file string) {
		c := newCard(schema.Default(), nil, SplitTrain)
		c.license = license
		c.split(SplitTrain).files = []string{file}
		var b strings.Builder
		require.NoError(t, c.writeFrontMatter(&b))
		rest, ok := strings.CutPrefix(b.String(), "---\n")
		require.True(t, ok)
		yml, body, ok := strings.Cut(rest, "\n---\n")
		require.True(t, ok)
		require.Equal(t, "\n", body, "the block ends where the encoder's output ends")
		var got hubMetadata
		dec := yaml.NewDecoder(strings.NewReader(yml + "\n"))
		dec.KnownFields(true)
		require.NoError(t, dec.Decode(&got))
		assert.Equal(t, c.metadata(), got)
	})
}
