package anonymize

import (
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/schema"
)

var update = flag.Bool("update", false, "rewrite testdata/policy.default.json")

// TestDefaultPolicyDocument keeps testdata/policy.default.json, the
// documented JSON form of DefaultPolicy, in step with the code.
func TestDefaultPolicyDocument(t *testing.T) {
	data, err := json.MarshalIndent(DefaultPolicy(), "", "  ")
	require.NoError(t, err)
	data = append(data, '\n')
	file := filepath.Join("testdata", "policy.default.json")
	if *update {
		require.NoError(t, os.WriteFile(file, data, 0o644))
	}
	want, err := os.ReadFile(file)
	require.NoError(t, err)
	require.Equal(t, string(want), string(data), "run go test ./anonymize -run TestDefaultPolicyDocument -update")
	f, err := os.Open(file)
	require.NoError(t, err)
	defer f.Close()
	p, err := LoadPolicy(f)
	require.NoError(t, err)
	require.Equal(t, DefaultPolicy(), p)
}

func TestDefaultPolicyClassifiesEveryStringColumn(t *testing.T) {
	pol := DefaultPolicy()
	for _, v := range schema.EmbeddedVersions() {
		defs, err := schema.Version(v)
		require.NoError(t, err)
		for _, f := range defs.EncodedSchema().Fields() {
			_, ok := pol.Columns[f.Name]
			require.Equal(t, stringBearing(f.Type), ok, "schema %s column %s", v, f.Name)
		}
	}
}

func TestLoadPolicyIsStrict(t *testing.T) {
	for name, doc := range map[string]string{
		"unknown field":      `{"version":1,"columns":{},"colums":{}}`,
		"unknown nested":     `{"version":1,"aliases":{"allow":[],"alow":[]}}`,
		"no version":         `{"columns":{}}`,
		"future version":     `{"version":3}`,
		"v2 field in v1":     `{"version":1,"aliases":{"leaking_originals":"redact"}}`,
		"unknown leak mode":  `{"version":2,"aliases":{"leaking_originals":"publish"}}`,
		"invisible only":     `{"version":2,"forbidden":["ab\u200b\u200b"]}`,
		"trailing data":      `{"version":1} {"version":1}`,
		"bad class":          `{"version":1,"columns":{"x":"secret"}}`,
		"bad regexp":         `{"version":1,"cwd_rules":[{"pattern":"(","replacement":""}]}`,
		"bad allow pattern":  `{"version":1,"aliases":{"allow_patterns":["["]}}`,
		"short forbidden":    `{"version":1,"forbidden":["ab"]}`,
		"short sweep":        `{"version":1,"sweep":[{"from":"x","to":"y"}]}`,
		"leaky sweep target": `{"version":1,"forbidden":["rypow"],"sweep":[{"from":"prox1","to":"rypow-host"}]}`,
		"leaky replacement":  `{"version":1,"forbidden":["acme"],"cwd_rules":[{"pattern":"^/srv/[^/]+","replacement":"/srv/acme"}]}`,
		"empty pattern":      `{"version":1,"patterns":[{"name":"all","regex":".*"}]}`,
		"unknown mode":       `{"version":1,"unknown_columns":"keep"}`,
		"collapse collision": `{"version":1,"aliases":{"collapse":[{"pattern":"x","alias":"custom_tool_1"}]}}`,
		"basename with /":    `{"version":1,"aliases":{"allow":["usr/bin/ls"]}}`,
		"not json":           `version: 1`,
	} {
		_, err := LoadPolicy(strings.NewReader(doc))
		require.ErrorIs(t, err, ErrPolicy, name)
		var pe *PolicyError
		require.ErrorAs(t, err, &pe, name)
		require.NotEmpty(t, pe.Error())
	}
	p, err := LoadPolicy(strings.NewReader(`{"version":1}`))
	require.NoError(t, err)
	_, err = New(p)
	require.NoError(t, err, "a minimal policy is valid (and classifies nothing)")
}

func TestPolicyErrorNamesTheField(t *testing.T) {
	_, err := LoadPolicy(strings.NewReader(`{"version":1,"cwd_rules":[{"pattern":"ok","replacement":""},{"pattern":"(","replacement":""}]}`))
	require.ErrorContains(t, err, "cwd_rules[1].pattern")
	p := DefaultPolicy()
	p.Version = 0
	require.ErrorIs(t, p.Validate(), ErrPolicy)
}

func TestDefaultAllowlist(t *testing.T) {
	allow := DefaultAllowlist()
	for _, name := range []string{"bash", "sh", "node", "npm", "git", "gh", "code", "claude", "python3", "systemd", "systemd-resolved", "dbus-daemon", "polkitd", "cron", "sshd", "ls", "cat", "curl", "git-remote-https"} {
		require.Contains(t, allow, name)
	}
	pol, err := func() (*compiledPolicy, error) { p := DefaultPolicy(); return p.compile() }()
	require.NoError(t, err)
	p := &Pipeline{pol: pol}
	for _, name := range []string{"python3.12", "python3.11", "perl5.36", "gcc-12", "clang-17", "node20"} {
		_, kind := p.classify(name)
		require.Equal(t, kindVerbatim, kind, name)
	}
	for _, name := range []string{"stage2.sh", "art-suid-bash", "2.1.31", "rypow-sync", "python3.12.evil", "pythonx"} {
		_, kind := p.classify(name)
		require.Equal(t, kindCustom, kind, name)
	}
	// Copies: callers cannot change the defaults.
	allow[0] = "changed"
	require.NotEqual(t, "changed", DefaultAllowlist()[0])
}

// TestVersion1PolicyStillLoads: a version-1 document (the default policy
// as version 1 wrote it) loads and releases the shared input.
func TestVersion1PolicyStillLoads(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "policy.v1.json"))
	require.NoError(t, err)
	defer f.Close()
	p, err := LoadPolicy(f)
	require.NoError(t, err)
	require.Equal(t, 1, p.Version)
	require.Empty(t, p.Aliases.LeakingOriginals)
	p.Forbidden, p.Sweep = leakPolicy().Forbidden, leakPolicy().Sweep
	out, _, _ := twoPass(t, p, plantedInput(t, 4096))
	require.Empty(t, scanHits(t, out, plantedIdentifiers))
}

func TestPolicyWarnings(t *testing.T) {
	require.Len(t, DefaultPolicy().Warnings(), 1)
	require.Contains(t, DefaultPolicy().Warnings()[0], "lists no forbidden values")
	require.Empty(t, leakPolicy().Warnings())
	p := DefaultPolicy()
	p.Sweep = []Replacement{{From: "prox1", To: "host"}}
	require.Empty(t, p.Warnings())
}

func TestPolicyDigest(t *testing.T) {
	_, err := DefaultPolicy().Digest([]byte("short"))
	require.ErrorIs(t, err, ErrKey)
	d1, err := leakPolicy().Digest(testKey)
	require.NoError(t, err)
	require.Regexp(t, `^hmac-sha256:[0-9a-f]{64}$`, d1)
	// The same policy written another way: same digest.
	js, err := json.MarshalIndent(leakPolicy(), "", "\t")
	require.NoError(t, err)
	back, err := LoadPolicy(strings.NewReader(string(js)))
	require.NoError(t, err)
	d2, err := back.Digest(testKey)
	require.NoError(t, err)
	require.Equal(t, d1, d2)
	// Another policy, or another key: another digest.
	other := leakPolicy()
	other.Forbidden = append(other.Forbidden, "guess")
	d3, err := other.Digest(testKey)
	require.NoError(t, err)
	require.NotEqual(t, d1, d3)
	d4, err := leakPolicy().Digest([]byte("another key of sufficient length!"))
	require.NoError(t, err)
	require.NotEqual(t, d1, d4)
	require.NotContains(t, d1, plantUser)
}
