package anonymize

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/schema"
)

const aliasMapName = "reproduction/alias_map.json"

// TestAliasMapOriginalMatchingForbiddenFails: custom binaries named after
// the host, the user, a MAC or an IP (raw or base64) are alias-map
// originals; the map cannot be released as it is, and the message names
// the file and the entry, never the original.
func TestAliasMapOriginalMatchingForbiddenFails(t *testing.T) {
	in := plantedInput(t, 4096)
	p, err := New(leakPolicy(), WithKey(testKey))
	require.NoError(t, err)
	for _, r := range in {
		require.NoError(t, p.Observe(r))
	}
	applyAll(t, p, in)
	full, _ := p.Finish()
	pub, err := p.ReleaseAliasMap(aliasMapName)
	require.Nil(t, pub)
	require.ErrorIs(t, err, ErrLeak)
	var leak *LeakError
	require.ErrorAs(t, err, &leak)
	require.Equal(t, aliasMapName, leak.File)
	require.Regexp(t, `^aliases\[original of custom_tool_\d{3}\]$`, leak.Key)
	for _, o := range full.Renamed() {
		require.NotContains(t, err.Error(), o, "an original is never printed")
	}
	// One error per leaking original: every planted basename.
	var n int
	for _, e := range err.(interface{ Unwrap() []error }).Unwrap() {
		require.ErrorAs(t, e, &leak)
		n++
	}
	require.Equal(t, len(plantBasenames), n)

	// The same map, written and checked as a released file.
	var doc bytes.Buffer
	_, err = full.WriteTo(&doc)
	require.NoError(t, err)
	err = p.Verifier().VerifyFile(aliasMapName, &doc)
	require.ErrorAs(t, err, &leak)
	require.Equal(t, aliasMapName, leak.File)
	require.Regexp(t, `^aliases\[original of custom_tool_\d{3}\]$`, leak.Key)
}

// TestAliasMapRedaction: under leaking_originals "redact" the released
// map holds keyed digests for the leaking originals, passes the file
// check, keeps the closure, and cannot be extended.
func TestAliasMapRedaction(t *testing.T) {
	pol := leakPolicy()
	pol.Aliases.LeakingOriginals = LeakingOriginalsRedact
	out, full, _ := twoPass(t, pol, plantedInput(t, 4096))
	p, err := New(pol, WithKey(testKey), WithAliasMap(full))
	require.NoError(t, err)
	pub, err := p.ReleaseAliasMap(aliasMapName)
	require.NoError(t, err)
	require.Equal(t, len(plantBasenames), pub.Redacted())
	require.Equal(t, full.Len(), pub.Len())
	require.Equal(t, full.Closure(), pub.Closure())
	require.Len(t, pub.Originals(), full.Len()-len(plantBasenames))

	var doc bytes.Buffer
	_, err = pub.WriteTo(&doc)
	require.NoError(t, err)
	text := doc.String()
	plain, encoded := needles(plantedIdentifiers)
	for _, s := range append(plain, encoded...) {
		require.NotContains(t, strings.ToLower(text), strings.ToLower(s))
	}
	require.Contains(t, text, `"redacted": {`)
	require.NoError(t, p.Verifier().VerifyFile(aliasMapName, strings.NewReader(text)))
	// It checks the released shards as the full map does.
	back, err := LoadAliasMap(strings.NewReader(text))
	require.NoError(t, err)
	require.Equal(t, text, aliasJSON(t, back))
	v, err := NewVerifier(pol, back, nil)
	require.NoError(t, err)
	for _, r := range out {
		require.NoError(t, v.Verify(r))
	}
	// A redacted map cannot be extended: its redacted originals would be
	// numbered again.
	_, err = New(pol, WithKey(testKey), WithAliasMap(back))
	require.ErrorIs(t, err, ErrAliasMap)
	// The digests are keyed: another key, other digests.
	p2, err := New(pol, WithKey([]byte("another key of sufficient length!")), WithAliasMap(full))
	require.NoError(t, err)
	pub2, err := p2.ReleaseAliasMap(aliasMapName)
	require.NoError(t, err)
	require.NotEqual(t, aliasJSON(t, pub), aliasJSON(t, pub2))
	// Redaction needs a key even without exec-id columns.
	noIDs := pol
	noIDs.Columns = map[string]Class{"proc_binary_basename": ClassBasename}
	_, err = New(noIDs)
	require.ErrorIs(t, err, ErrKey)
}

// TestAliasMapCleanIsReleasedWhole: without leaking originals the
// released map is the full map, byte for byte.
func TestAliasMapCleanIsReleasedWhole(t *testing.T) {
	in := encodedInput(t, 1000)
	p, err := New(leakPolicy(), WithKey(testKey))
	require.NoError(t, err)
	applyAll(t, p, in)
	full, _ := p.Finish()
	pub, err := p.ReleaseAliasMap(aliasMapName)
	require.NoError(t, err)
	require.Equal(t, aliasJSON(t, full), aliasJSON(t, pub))
	require.NoError(t, p.Verifier().VerifyFile(aliasMapName, strings.NewReader(aliasJSON(t, pub))))
}

func TestVerifyFile(t *testing.T) {
	v, err := NewVerifier(spellingPolicy(), nil, nil)
	require.NoError(t, err)
	enc := base64.StdEncoding.EncodeToString
	for _, tc := range []struct {
		name, text string
		line       int
		key, col   string
		check      Check
		pattern    string
	}{
		{"stats.json", "{\n  \"config\": {\n    \"node_name\": \"prox1.lan\"\n  }\n}\n", 3, "config.node_name", "", CheckForbidden, "prox1"},
		{"stats.json", `{"a":[1,{"b":"x"},"\u0072ypow"]}`, 1, "a[2]", "", CheckForbidden, "rypow"},
		{"stats.json", "{\"ok\":1,\n\"dendroaspis-notes\":2}", 2, "{#2}", "", CheckForbidden, "dendroaspis"},
		{"stats.json", `{"n":1002427}`, 0, "", "", "", ""},
		{"labels.csv", "start_ts,end_ts,technique_id,trial,notes\nx,y,T1,1,ok\nx,y,T2,1,\"ask J\u00dcRGEN\"\n", 3, "", "notes", CheckForbidden, "jürgen"},
		{"labels.csv", "start_ts,rypow_col\n", 1, "", "", CheckForbidden, "rypow"},
		{"datacard.md", "# Card\n\nBuilt on \u0440rox1 by the team.\n", 3, "", "", CheckForbidden, "prox1"},
		{"datacard.md", "MAC 02:42:ac:11:00:02\n", 1, "", "", CheckPattern, "mac_address"},
		{"README", "line\r\nsee /srv/" + strings.ToLower(enc([]byte("dendroaspis"))) + "/\r\n", 2, "", "", CheckForbidden, "dendroaspis"},
		{"notes.txt", "no newline at the end: acme\u2010prod", 1, "", "", CheckForbidden, "acme-prod"},
		{"notes.txt", "Tetragon 1.6.1, schema 1.1, 61 windows, 2026-04-19T21:46:27Z\n", 0, "", "", "", ""},
	} {
		err := v.VerifyFile(tc.name, strings.NewReader(tc.text))
		if tc.check == "" {
			require.NoError(t, err, tc.text)
			continue
		}
		var leak *LeakError
		require.ErrorAs(t, err, &leak, tc.text)
		require.Equal(t, LeakError{File: tc.name, Line: tc.line, Key: tc.key, Column: tc.col, Row: -1, Check: tc.check, Pattern: tc.pattern, Base64: leak.Base64}, *leak)
		require.Contains(t, err.Error(), `file "`+tc.name+`"`)
	}
	for _, tc := range []struct{ name, text string }{
		{"data/train-00000-of-00001.parquet", "PAR1\x15\x04"},
		{"odd.bin", "PAR1...."},
		{"x.md", "ok\n\xff\xfe\n"},
		{"x.md", "ok\x00\n"},
		{"x.json", `{"a":`},
		{"x.json", "{\"a\":\"\xff\"}"},
		{"x.csv", "a,b\nx,\xff\n"},
		{"x.gz", "\x1f\x8b"},
	} {
		err := v.VerifyFile(tc.name, strings.NewReader(tc.text))
		require.ErrorIs(t, err, ErrFileFormat, "%s %q", tc.name, tc.text)
	}
}

// TestVerifyFileDefinitions: the feature definitions document passes as
// the library's own public document, and only as it is: its address
// ranges fail the patterns anywhere else.
func TestVerifyFileDefinitions(t *testing.T) {
	v, err := NewVerifier(DefaultPolicy(), nil, nil)
	require.NoError(t, err)
	doc := schema.Default().Document()
	require.NoError(t, v.VerifyFile("reproduction/feature_definitions.json", bytes.NewReader(doc)))
	changed := bytes.Replace(doc, []byte(`"`), []byte(`" `), 1)
	var leak *LeakError
	require.ErrorAs(t, v.VerifyFile("reproduction/feature_definitions.json", bytes.NewReader(changed)), &leak)
	require.Equal(t, CheckPattern, leak.Check)
	// Another schema version's document is that version's Verifier's.
	v10, err := schema.Version("1.0")
	require.NoError(t, err)
	require.Error(t, v.VerifyFile("reproduction/feature_definitions.json", bytes.NewReader(v10.Document())))
}

// TestVerifyFileSharedLabels: the shared labels file is clean.
func TestVerifyFileSharedLabels(t *testing.T) {
	dir := goldentest.Parity().Testdata // the labels file, whole in either
	data, err := os.ReadFile(filepath.Join(dir, "tetragon", "sample-small.labels.csv"))
	require.NoError(t, err)
	v, err := NewVerifier(leakPolicy(), nil, nil)
	require.NoError(t, err)
	require.NoError(t, v.VerifyFile("labels.csv", bytes.NewReader(data)))
	err = v.VerifyFile("labels.csv", bytes.NewReader(append(data, []byte("2026-04-20T00:00:00Z,2026-04-20T00:00:01Z,T1082,9,Discovery,ping 10.20.30.40\n")...)))
	var leak *LeakError
	require.ErrorAs(t, err, &leak)
	require.Equal(t, "technique_name", leak.Column)
	require.True(t, errors.Is(err, ErrLeak))
}

// FuzzVerifyFile: any content under any of the three formats is either
// clean, a leak, or refused; never a panic, and never clean when it holds
// a listed value as it is.
func FuzzVerifyFile(f *testing.F) {
	for _, s := range []string{
		`{"config":{"node_name":"prox1"},"n":[1,2.5e3,true,null]}`,
		`{"format":"tetrahids.alias_map","version":1,"aliases":{"bash":"bash","x":"custom_tool_001"},"redacted":{"0123456789abcdef0123456789abcdef":"custom_tool_002"}}`,
		"start_ts,end_ts,technique_id,trial,notes\n1,2,T1082,1,\"a \"\"b\"\", c\"\n",
		"# card\n\nrows: 12\n",
		"\xef\xbb\xbfjust text\r\n",
	} {
		for ext := range 3 {
			f.Add(uint8(ext), []byte(s))
		}
	}
	v, err := NewVerifier(spellingPolicy(), nil, nil)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, ext uint8, data []byte) {
		name := "f" + []string{".json", ".csv", ".md"}[ext%3]
		err := v.VerifyFile(name, bytes.NewReader(data))
		if err != nil && !errors.Is(err, ErrLeak) && !errors.Is(err, ErrFileFormat) {
			t.Fatalf("%s: %v", name, err)
		}
		if err == nil && bytes.Contains(bytes.ToLower(data), []byte("rypow")) {
			t.Fatalf("%s holding rypow passed", name)
		}
	})
}
