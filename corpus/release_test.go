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
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/schema"
)

// releaseFixture is a small export (the privacy test's world, nothing
// planted), its labels, a key and a policy forbidding "zebra9".
type releaseFixture struct {
	dir, events, labels, key, policy string
	world                            *privWorld
}

func newReleaseFixture(t *testing.T, edit func(w *privWorld), pol func(p *anonymize.Policy)) releaseFixture {
	t.Helper()
	f := releaseFixture{dir: t.TempDir(), world: newPrivWorld(2)}
	if edit != nil {
		edit(f.world)
	}
	f.events, f.labels = f.world.write(t, f.dir)
	f.key = filepath.Join(f.dir, "key")
	require.NoError(t, os.WriteFile(f.key, []byte("release test key, thirty-two bytes"), 0o600))
	p := anonymize.DefaultPolicy()
	p.Forbidden = []string{"zebra9"}
	if pol != nil {
		pol(&p)
	}
	data, err := json.Marshal(p)
	require.NoError(t, err)
	f.policy = filepath.Join(f.dir, "policy.json")
	require.NoError(t, os.WriteFile(f.policy, data, 0o600))
	return f
}

func (f releaseFixture) config(out string) Config {
	return Config{In: []string{f.events}, LabelsFile: f.labels, Cut: privCut, HMACKeyFile: f.key, PolicyFile: f.policy,
		Out: out, OnWarning: func(string) {}}
}

// requireNothingLeft checks that a failed build left only the fixture's
// files in its directory.
func (f releaseFixture) requireNothingLeft(t *testing.T) {
	t.Helper()
	require.ElementsMatch(t, []string{"tetragon.json", "labels.csv", "key", "policy.json"}, filesBeside(t, f.dir))
}

// filesBeside lists the names in dir, less the lock file of an output
// directory there, which stays by design (removing it would race with the
// next build) and holds no event data.
func filesBeside(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), ".") || !strings.HasSuffix(e.Name(), ".lock") {
			names = append(names, e.Name())
		}
	}
	return names
}

// TestReleaseFilesAreChecked: a forbidden value that reaches a released
// file other than the shards (here the labels' free text, in labels.csv
// and both cards, the first in lexical order named) fails the build with a *LeakCheckError naming the
// file and the line, and leaves nothing behind.
func TestReleaseFilesAreChecked(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, file string
		edit       func(w *privWorld)
	}{
		{"tactic", "README.md", func(w *privWorld) { w.labels[1].Tactic = "Lateral Movement to zebra9" }},
		{"technique_name", "labels.csv", func(w *privWorld) { w.labels[0].Name = "Remote Services (ZEBRA9 jump host)" }},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := newReleaseFixture(t, c.edit, nil)
			_, err := Build(context.Background(), f.config(filepath.Join(f.dir, "out")))
			var leak *LeakCheckError
			require.ErrorAs(t, err, &leak)
			assert.Equal(t, c.file, leak.File)
			var le *anonymize.LeakError
			require.ErrorAs(t, err, &le)
			assert.Equal(t, c.file, le.File)
			assert.Positive(t, le.Line)
			assert.Equal(t, anonymize.CheckForbidden, le.Check)
			assert.ErrorContains(t, err, "post-write check of "+c.file)
			assert.NotContains(t, err.Error(), "jump host")
			assert.NotContains(t, err.Error(), "Lateral Movement")
			f.requireNothingLeft(t)
		})
	}
}

// TestVerifyFiles checks the walk over a release directory: every file
// but the shards is read, whatever its name, and what cannot be read
// fails.
func TestVerifyFiles(t *testing.T) {
	t.Parallel()
	p := anonymize.DefaultPolicy()
	p.Forbidden = []string{"zebra9"}
	pl, err := anonymize.New(p, anonymize.WithKey([]byte("verify files test key, 32 bytes")))
	require.NoError(t, err)
	v := pl.Verifier()
	release := func(t *testing.T) (string, []string) {
		dir := t.TempDir()
		for name, data := range map[string]string{
			"data/train-00000-of-00001.parquet":     "PAR1 not read here",
			"stats.json":                            `{"tool": "x", "rows": 3}` + "\n",
			"datacard.md":                           "# Datacard\n\nNothing to see.\n",
			"reproduction/feature_definitions.json": string(schema.Default().Document()),
			"notes/later/README.md":                 "A file a later version adds.\n",
		} {
			path := filepath.Join(dir, filepath.FromSlash(name))
			require.NoError(t, os.MkdirAll(filepath.Dir(path), 0o755))
			require.NoError(t, os.WriteFile(path, []byte(data), 0o644))
		}
		return dir, []string{filepath.Join(dir, "data", "train-00000-of-00001.parquet")}
	}
	dir, shards := release(t)
	require.NoError(t, VerifyFiles(context.Background(), v, dir, shards))

	for _, c := range []struct {
		name, file string
		add        func(dir string) error
		format     bool
	}{
		{"unknown file", "notes/later/README.md", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "notes", "later", "README.md"), []byte("Built on\nzebra9.\n"), 0o644)
		}, false},
		{"JSON key", "stats.json", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "stats.json"), []byte(`{"config": {"node": "Zebra9"}}`), 0o644)
		}, false},
		{"symbolic link", "reproduction/link.txt", func(dir string) error {
			return os.Symlink("/etc/hostname", filepath.Join(dir, "reproduction", "link.txt"))
		}, true},
		{"unchecked shard", "data/test-00000-of-00001.parquet", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "data", "test-00000-of-00001.parquet"), []byte("PAR1"), 0o644)
		}, true},
		{"binary", "reproduction/blob.bin", func(dir string) error {
			return os.WriteFile(filepath.Join(dir, "reproduction", "blob.bin"), []byte{0, 1, 2, 'z', 'e', 'b'}, 0o644)
		}, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir, shards := release(t)
			require.NoError(t, c.add(dir))
			err := VerifyFiles(context.Background(), v, dir, shards)
			var leak *LeakCheckError
			require.ErrorAs(t, err, &leak)
			assert.Equal(t, c.file, leak.File)
			assert.ErrorContains(t, err, c.file)
			if c.format {
				assert.ErrorIs(t, err, anonymize.ErrFileFormat)
			} else {
				assert.ErrorIs(t, err, anonymize.ErrLeak)
			}
		})
	}

	// A shard the checks read must be there.
	dir, shards = release(t)
	err = VerifyFiles(context.Background(), v, dir, append(shards, filepath.Join(dir, "data", "test-00000-of-00001.parquet")))
	require.ErrorContains(t, err, "test-00000-of-00001.parquet")
}

// TestAliasMapLeakFailsClosed: a custom binary named after a forbidden
// value, or holding a MAC address, fails the build at the alias map by
// default, naming the file and the entry by its alias, never the
// original.
func TestAliasMapLeakFailsClosed(t *testing.T) {
	t.Parallel()
	for _, binary := range []string{"/opt/tools/sync-zebra9-agent", "/usr/local/bin/probe-00:1b:44:11:3a:b7"} {
		f := newReleaseFixture(t, func(w *privWorld) { w.targets[1].Binary = binary }, nil)
		_, err := Build(context.Background(), f.config(filepath.Join(f.dir, "out")))
		var leak *LeakCheckError
		require.ErrorAs(t, err, &leak, binary)
		assert.Equal(t, "reproduction/alias_map.json", leak.File)
		var le *anonymize.LeakError
		require.ErrorAs(t, err, &le)
		assert.True(t, strings.HasPrefix(le.Key, "aliases[original of custom_tool_"), le.Key)
		assert.NotContains(t, err.Error(), filepath.Base(binary))
		f.requireNothingLeft(t)
	}
}

// TestAliasMapRedacted: under a policy that redacts leaking originals,
// the published map holds a keyed digest instead, the full map goes to
// Config.PrivateAliasMap (mode 0600, outside Out), and stats.json and the
// datacard say so without naming the private file.
func TestAliasMapRedacted(t *testing.T) {
	t.Parallel()
	const leaking = "sync-zebra9-agent"
	f := newReleaseFixture(t, func(w *privWorld) { w.targets[1].Binary = "/opt/tools/" + leaking },
		func(p *anonymize.Policy) { p.Aliases.LeakingOriginals = anonymize.LeakingOriginalsRedact })
	privDir := t.TempDir()
	private := filepath.Join(privDir, "full-alias-map.json")
	cfg := f.config(filepath.Join(t.TempDir(), "out"))
	cfg.PrivateAliasMap = private
	res, err := Build(context.Background(), cfg)
	require.NoError(t, err)
	assert.Equal(t, private, res.PrivateAliasMap)

	fi, err := os.Stat(private)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	full := loadAliasMap(t, private)
	alias, ok := full.Lookup(leaking)
	require.True(t, ok, "the full map names every original")
	pub := loadAliasMap(t, filepath.Join(cfg.Out, "reproduction", "alias_map.json"))
	_, ok = pub.Lookup(leaking)
	assert.False(t, ok)
	assert.Equal(t, 1, pub.Redacted())
	assert.Contains(t, pub.Closure(), alias)
	assert.Equal(t, full.Len(), pub.Len())
	entries, err := os.ReadDir(privDir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "no temporary file left beside the private map")

	st := readStats(t, cfg.Out)
	assert.EqualValues(t, 1, num(t, st, "anonymize", "redacted_aliases"))
	assert.Equal(t, true, st["anonymize"].(map[string]any)["private_alias_map"])
	for _, name := range []string{"stats.json", "datacard.md", "labels.csv", "reproduction/alias_map.json"} {
		data, err := os.ReadFile(filepath.Join(cfg.Out, name))
		require.NoError(t, err)
		assert.NotContains(t, string(data), leaking, name)
		assert.NotContains(t, string(data), privDir, name)
	}
	md, err := os.ReadFile(filepath.Join(cfg.Out, "datacard.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "1 alias-map entry whose original basename matched the anonymization policy is published as keyed digests")
	checkCard(t, cfg.Out)

	// A failed build leaves no private map behind.
	g := newReleaseFixture(t, func(w *privWorld) {
		w.targets[1].Binary = "/opt/tools/" + leaking
		w.labels[0].Tactic = "zebra9"
	}, func(p *anonymize.Policy) { p.Aliases.LeakingOriginals = anonymize.LeakingOriginalsRedact })
	cfg = g.config(filepath.Join(g.dir, "out"))
	cfg.PrivateAliasMap = filepath.Join(privDir, "second.json")
	_, err = Build(context.Background(), cfg)
	require.ErrorAs(t, err, new(*LeakCheckError))
	entries, err = os.ReadDir(privDir)
	require.NoError(t, err)
	assert.Len(t, entries, 1, "%v", entries)
	g.requireNothingLeft(t)
}

func loadAliasMap(t *testing.T, path string) *anonymize.AliasMap {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	m, err := anonymize.LoadAliasMap(f)
	require.NoError(t, err)
	return m
}

// TestPrivateAliasMapConfig checks Config.PrivateAliasMap's refusals.
func TestPrivateAliasMapConfig(t *testing.T) {
	t.Parallel()
	redact := func(p *anonymize.Policy) { p.Aliases.LeakingOriginals = anonymize.LeakingOriginalsRedact }
	f := newReleaseFixture(t, nil, redact)
	out := filepath.Join(f.dir, "out")
	for _, c := range []struct {
		edit  func(c *Config)
		field string
		is    error
	}{
		{func(c *Config) {}, "PrivateAliasMap", ErrNoPrivateAliasMap},
		{func(c *Config) { c.PrivateAliasMap = filepath.Join(out, "reproduction", "full.json") }, "PrivateAliasMap", ErrInsideOut},
		{func(c *Config) {
			c.PrivateAliasMap, c.LineageOut = filepath.Join(f.dir, "x"), filepath.Join(f.dir, "x")
		}, "PrivateAliasMap", nil},
		{func(c *Config) {
			c.NoAnonymize, c.HMACKeyFile, c.PolicyFile, c.PrivateAliasMap = true, "", "", filepath.Join(f.dir, "full.json")
		}, "NoAnonymize", nil},
	} {
		cfg := f.config(out)
		c.edit(&cfg)
		_, err := Build(context.Background(), cfg)
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, c.field, ce.Field, "%v", err)
		if c.is != nil {
			assert.ErrorIs(t, err, c.is)
		}
	}
	f.requireNothingLeft(t)

	// A Plan without Out (a runner driving the stages) has no inside:
	// files in the working directory are fine (NewPlan writes nothing).
	cfg := f.config("")
	cfg.PrivateAliasMap, cfg.LineageOut = "full.json", "train.lineage"
	_, err := NewPlan(cfg)
	require.NoError(t, err)
}

// TestLabelsRelease: an anonymized build publishes the documented columns
// of labels.csv (Set.WriteRelease), never a notes column; a NoAnonymize
// build copies the file verbatim; technique ids are checked, against
// Config.TechniquePattern when set.
func TestLabelsRelease(t *testing.T) {
	t.Parallel()
	f := newReleaseFixture(t, func(w *privWorld) { w.labels[0].Notes = "ran from the laptop of J. Doe" }, nil)
	out := filepath.Join(f.dir, "out")
	_, err := Build(context.Background(), f.config(out))
	require.NoError(t, err)
	got, err := os.ReadFile(filepath.Join(out, "labels.csv"))
	require.NoError(t, err)
	set, err := labels.LoadFile(f.labels)
	require.NoError(t, err)
	var want bytes.Buffer
	require.NoError(t, set.WriteRelease(&want))
	assert.Equal(t, want.String(), string(got))
	assert.NotContains(t, string(got), "notes")
	assert.NotContains(t, string(got), "J. Doe")
	header, _, _ := strings.Cut(string(got), "\n")
	assert.Equal(t, strings.Join(labels.ReleaseColumns(), ","), header)

	// Without anonymization the file is the input's.
	plain := filepath.Join(t.TempDir(), "plain")
	_, err = Build(context.Background(), Config{In: []string{f.events}, LabelsFile: f.labels, Cut: privCut, NoAnonymize: true, Out: plain})
	require.NoError(t, err)
	got, err = os.ReadFile(filepath.Join(plain, "labels.csv"))
	require.NoError(t, err)
	assert.Equal(t, readFile(t, f.labels), string(got))

	// Technique ids of another scheme need TechniquePattern.
	g := newReleaseFixture(t, func(w *privWorld) { w.labels[0].TechniqueID, w.labels[1].TechniqueID = "RT-17", "RT-4" }, nil)
	_, err = Build(context.Background(), g.config(filepath.Join(g.dir, "out")))
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "LabelsFile", ce.Field)
	assert.ErrorIs(t, err, labels.ErrTechniqueID)
	cfg := g.config(filepath.Join(t.TempDir(), "out"))
	cfg.TechniquePattern = `RT-[0-9]{1,3}`
	_, err = Build(context.Background(), cfg)
	require.NoError(t, err)
	cfg.TechniquePattern = `RT-(`
	_, err = Build(context.Background(), cfg)
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "TechniquePattern", ce.Field)
	g.requireNothingLeft(t)
}

// TestPolicyDigestKey: the sample's public key makes a digest of a
// policy file worthless, and a danger (a guessed name can be confirmed),
// so it is left out; the sample's own policy is public. stats.json and
// the dataset card record the same digest, or none.
func TestPolicyDigestKey(t *testing.T) {
	t.Parallel()
	f := newReleaseFixture(t, nil, nil)
	out := build(t, Config{Sample: true, PolicyFile: f.policy, OnWarning: func(string) {}})
	st := readStats(t, out)
	cfg := st["config"].(map[string]any)
	assert.Equal(t, "file", cfg["policy"])
	assert.Nil(t, cfg["policy_digest"])
	assert.NotContains(t, readFile(t, filepath.Join(out, "README.md")), "hmac-sha256:")

	out = build(t, Config{Sample: true, HMACKeyFile: f.key, PolicyFile: f.policy, OnWarning: func(string) {}})
	p, err := anonymize.LoadPolicy(strings.NewReader(readFile(t, f.policy)))
	require.NoError(t, err)
	want, err := p.Digest([]byte("release test key, thirty-two bytes"))
	require.NoError(t, err)
	assert.Equal(t, want, readStats(t, out)["config"].(map[string]any)["policy_digest"])
	assert.Contains(t, readFile(t, filepath.Join(out, "README.md")), "Policy digest: `"+want+"`")

	// A research build has no policy.
	out = build(t, Config{Sample: true, NoAnonymize: true})
	assert.Nil(t, readStats(t, out)["config"].(map[string]any)["policy_digest"])
}

// readFile reads a file of the test as text.
func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}
