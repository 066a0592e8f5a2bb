package corpus

import (
	"bytes"
	"compress/gzip"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// buildWarn runs Build with cfg (into a new temporary Out unless cfg
// names one) and returns the output directory, the error and the
// warnings.
func buildWarn(t *testing.T, cfg Config) (string, error, []string) {
	t.Helper()
	if cfg.Out == "" {
		cfg.Out = filepath.Join(t.TempDir(), "out")
	}
	var warnings []string
	cfg.OnWarning = func(m string) { warnings = append(warnings, m) }
	_, err := Build(context.Background(), cfg)
	return cfg.Out, err, warnings
}

// sameShards requires the two corpora to hold the same shards, byte for
// byte.
func sameShards(t *testing.T, a, b string) {
	t.Helper()
	for _, split := range []string{SplitTrain, SplitTest} {
		x, y := shards(t, a, split), shards(t, b, split)
		require.Equal(t, len(x), len(y), split)
		for i := range x {
			require.Equal(t, readString(t, x[i]), readString(t, y[i]), "%s differs", filepath.Base(x[i]))
		}
	}
}

func readString(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	return string(data)
}

// keyFile writes an HMAC key file for anonymized builds of inputs.
func keyFile(t *testing.T) string {
	path, _ := writeKey(t)
	return path
}

// TestDirectoryWithNotes checks a directory holding notes beside the
// export: only the export files are read (the same shards as without the
// notes), the others are listed in a warning and in stats.json, and no
// line is an error; a directory without export files is an error naming
// what it skipped.
func TestDirectoryWithNotes(t *testing.T) {
	t.Parallel()
	clean := writeSampleDir(t)
	messy := writeSampleDir(t)
	for name, data := range map[string]string{
		"README.md":      "# Tetragon export of host A\n\nCollected with `tetra getevents -o json`.\n",
		"labels.csv":     "start_ts,end_ts,technique_id,trial\n2026-04-14T01:00:00Z,2026-04-14T01:10:00Z,T1003,1\n",
		"notes.csv":      "a,b\n1,2\n3,4\n",
		"tetragon.log.1": "{\"not\":\"read\"}\n", // logrotate's name
	} {
		require.NoError(t, os.WriteFile(filepath.Join(messy, name), []byte(data), 0o644))
	}
	require.NoError(t, os.Mkdir(filepath.Join(messy, "old"), 0o755))
	want := build(t, Config{In: []string{clean}, NoAnonymize: true})
	out, err, warnings := buildWarn(t, Config{In: []string{messy}, NoAnonymize: true})
	require.NoError(t, err)
	sameShards(t, want, out)
	require.Len(t, warnings, 1, "%q", warnings)
	assert.Contains(t, warnings[0], "all inputs: skipped 5 directory entries (not Tetragon export; name such a file as an input to read it): ")
	assert.Contains(t, warnings[0], filepath.Join(messy, "README.md")+": not a Tetragon export file name")
	st := readStats(t, out)
	assert.Zero(t, num(t, st, "accounting", "lines_errors"))
	assert.Len(t, st["inputs"].(map[string]any)["all_skipped"], 5)
	checkAccounting(t, out)

	// Anonymized: the count only, no path.
	out, err, _ = buildWarn(t, Config{In: []string{messy}, HMACKeyFile: keyFile(t)})
	require.NoError(t, err)
	st = readStats(t, out)
	assert.Equal(t, int64(5), num(t, st, "inputs", "all", "skipped_entries"))
	assert.NotContains(t, readString(t, filepath.Join(out, "stats.json")), messy)

	notes := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(notes, "notes.txt"), []byte("nothing here\n"), 0o644))
	_, err, _ = buildWarn(t, Config{In: []string{notes}, NoAnonymize: true})
	var ce *ConfigError
	require.ErrorAs(t, err, &ce)
	assert.Equal(t, "In", ce.Field)
	assert.ErrorIs(t, err, ErrNoInputFiles)
	assert.ErrorContains(t, err, filepath.Join(notes, "notes.txt")+": not a Tetragon export file name")
}

// TestZeroPaddedGzip checks that gzip'd backups with trailing zero
// padding (which gzip -t and Python's gzip accept) build the same corpus
// as the plain files.
func TestZeroPaddedGzip(t *testing.T) {
	t.Parallel()
	plain := writeSampleDir(t)
	padded := writeSampleDir(t)
	files, err := tetraparse.Inputs(padded)
	require.NoError(t, err)
	for _, f := range files {
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		_, err := zw.Write([]byte(readString(t, f)))
		require.NoError(t, err)
		require.NoError(t, zw.Close())
		buf.Write(make([]byte, 4096)) // a block device's padding
		require.NoError(t, os.WriteFile(f+".gz", buf.Bytes(), 0o644))
		require.NoError(t, os.Remove(f))
	}
	sameShards(t, build(t, Config{In: []string{plain}, NoAnonymize: true}), build(t, Config{In: []string{padded}, NoAnonymize: true}))
}

// TestSkipBadFiles checks bad input files: by default the build fails
// naming the file and leaves nothing behind; with SkipBadFiles it goes
// on, warns, and lists the files in stats.json (base names and a kind of
// failure in an anonymized build, which must not carry paths) and in the
// datacard.
func TestSkipBadFiles(t *testing.T) {
	t.Parallel()
	dir := writeSampleDir(t)
	good := readString(t, sampleFile(t, dir, 0))
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte(good))
	zw.Close()
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tetragon-00000a.json.gz"), []byte("not gzip at all\n"), 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tetragon-00000b.json.gz"), gz.Bytes()[:gz.Len()/2], 0o644))

	out, err, _ := buildWarn(t, Config{In: []string{dir}, NoAnonymize: true})
	var fe *tetraparse.FileError
	require.ErrorAs(t, err, &fe)
	assert.ErrorContains(t, err, "tetragon-00000a.json.gz")
	assert.NoDirExists(t, out)

	out, err, warnings := buildWarn(t, Config{In: []string{dir}, NoAnonymize: true, SkipBadFiles: true})
	require.NoError(t, err)
	all := strings.Join(warnings, "\n")
	assert.Contains(t, all, "skipped the input file "+filepath.Join(dir, "tetragon-00000a.json.gz")+", which could not be read to the end")
	assert.Contains(t, all, "tetragon-00000b.json.gz")
	st := readStats(t, out)
	failed := st["failed_files"].([]any)
	require.Len(t, failed, 2)
	first := failed[0].(map[string]any)
	assert.Equal(t, filepath.Join(dir, "tetragon-00000a.json.gz"), first["file"])
	assert.Contains(t, first["reason"], "gzip")
	assert.Positive(t, failed[1].(map[string]any)["lines_read"], "rows before the failure are kept")
	assert.Contains(t, readString(t, filepath.Join(out, "datacard.md")), "2 files could not be read to the end (skipped; stats.json lists them under failed_files)")
	checkAccounting(t, out)

	out, err, _ = buildWarn(t, Config{In: []string{dir}, HMACKeyFile: keyFile(t), SkipBadFiles: true})
	require.NoError(t, err)
	st = readStats(t, out)
	var got []map[string]any
	for _, f := range st["failed_files"].([]any) {
		got = append(got, f.(map[string]any))
	}
	require.Len(t, got, 2)
	assert.Equal(t, "tetragon-00000a.json.gz", got[0]["file"])
	assert.Equal(t, "not gzip", got[0]["reason"])
	assert.Equal(t, "tetragon-00000b.json.gz", got[1]["file"])
	assert.Equal(t, "truncated gzip stream", got[1]["reason"])
	for _, f := range []string{"stats.json", "datacard.md"} {
		assert.NotContains(t, readString(t, filepath.Join(out, f)), dir, f)
	}
}

// TestFailureClass checks the kinds of failure an anonymized build
// records.
func TestFailureClass(t *testing.T) {
	t.Parallel()
	for reason, want := range map[string]string{
		"open /srv/alice/x.json: no such file or directory":                        "missing",
		"open /srv/alice/x.json: permission denied":                                "permission denied",
		"read /srv/alice/x.json: is a directory":                                   "a directory",
		"gzip member 1 (at byte 0): gzip: invalid header: not a gzip member":       "not gzip",
		"gzip member 1 (at byte 0): the file ends inside a member: unexpected EOF": "truncated gzip stream",
		"gzip member 2 (at byte 99): gzip: invalid checksum: CRC-32 0, data has 1": "corrupt gzip stream (checksum)",
		"gzip member 1 (at byte 0): flate: corrupt input before offset 5":          "corrupt gzip stream",
		"read /srv/alice/x.json: input/output error":                               "read error",
	} {
		assert.Equal(t, want, failureClass(reason), reason)
	}
}

// TestLineTooLong checks the line limit: an over-long line is skipped,
// counted as an error (in the parser's counters and the accounting), and
// the rest is built.
func TestLineTooLong(t *testing.T) {
	t.Parallel()
	dir := writeSampleDir(t)
	path := sampleFile(t, dir, 1)
	lines := strings.SplitAfter(readString(t, path), "\n")
	long := `{"process_exec":{"process":{"binary":"` + strings.Repeat("A", 1<<16) + `"}}}` + "\n"
	require.NoError(t, os.WriteFile(path, []byte(strings.Join(lines[:10], "")+long+strings.Join(lines[10:], "")), 0o644))
	out, err, _ := buildWarn(t, Config{In: []string{dir}, NoAnonymize: true, MaxLineBytes: 4096})
	require.NoError(t, err)
	st := readStats(t, out)
	assert.Equal(t, int64(1), num(t, st, "parser", "all", "errors_line_too_long"))
	assert.Equal(t, int64(1), num(t, st, "accounting", "lines_errors"))
	assert.Equal(t, float64(4096), st["config"].(map[string]any)["max_line_bytes"])
	assert.Contains(t, st["line_errors"].(map[string]any)["examples"].([]any)[0], filepath.Base(path)+":11: ")
	checkAccounting(t, out)
}

// TestNoRows checks that a build whose inputs yield no rows, or are
// mostly not Tetragon events, fails with a message that says where the
// lines went, and leaves nothing behind, unless AllowEmpty.
func TestNoRows(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	readme := filepath.Join(dir, "README.md")
	require.NoError(t, os.WriteFile(readme, []byte("# Notes\n\nThe export is elsewhere.\n{\"json\": \"but no event\"}\n"), 0o644))
	out, err, _ := buildWarn(t, Config{In: []string{readme}, NoAnonymize: true})
	require.ErrorIs(t, err, ErrMostlyUnreadable)
	assert.ErrorContains(t, err, "3 of 3 non-blank lines could not be read as events")
	assert.ErrorContains(t, err, "AllowEmpty")
	assert.NoDirExists(t, out)
	out, err, warnings := buildWarn(t, Config{In: []string{readme}, NoAnonymize: true, AllowEmpty: true})
	require.NoError(t, err)
	assert.Zero(t, num(t, readStats(t, out), "output", "train", "rows"))
	assert.Contains(t, strings.Join(warnings, "\n"), "the train split is empty")
	checkAccounting(t, out)

	// Every event in another PID namespace than the target.
	out, err, _ = buildWarn(t, Config{In: []string{writeSampleDir(t)}, NoAnonymize: true, TargetInums: []uint64{1}})
	require.ErrorIs(t, err, ErrNoRows)
	assert.ErrorContains(t, err, "6,000 lines read; ")
	assert.ErrorContains(t, err, " are in other PID namespaces than the targets")
	assert.NoDirExists(t, out)
}

// TestKubernetesSelection builds Tetragon's documented Kubernetes events,
// which carry pod metadata and (but one) no namespaces: selected by pod
// namespace and kept without namespaces, every event of the pod is a row,
// and stats.json and the datacard say which selection was used (with the
// selector's values only when the build is not anonymized).
func TestKubernetesSelection(t *testing.T) {
	t.Parallel()
	shared := goldentest.SharedTestdata()
	if shared == "" {
		t.Skip("../shared not present")
	}
	events := filepath.Join(shared, "tetragon-docs", "events.jsonl")
	sel, err := tetraparse.ParseSelector("pod-namespace=tenant-jobs")
	require.NoError(t, err)

	_, err, _ = buildWarn(t, Config{In: []string{events}, NoAnonymize: true, Select: []tetraparse.Selector{sel}})
	require.ErrorIs(t, err, ErrNoRows)
	assert.ErrorContains(t, err, "have no PID-namespace inum")
	assert.ErrorContains(t, err, "-keep-without-ns")

	out, err, _ := buildWarn(t, Config{In: []string{events}, NoAnonymize: true, Select: []tetraparse.Selector{sel}, KeepWithoutNamespace: true})
	require.NoError(t, err)
	st := readStats(t, out)
	assert.Equal(t, int64(10), num(t, st, "output", "train", "rows"))
	selection := st["selection"].(map[string]any)
	assert.Equal(t, "selectors [pod-namespace=tenant-jobs]; host-namespace events dropped; events without a PID-namespace inum kept (host and container events cannot be told apart); events without a process dropped", selection["rules"])
	assert.Equal(t, []any{map[string]any{"selector": "pod-namespace=tenant-jobs", "events": float64(10)}}, selection["selectors"])
	assert.Equal(t, float64(10), selection["kept_without_namespace"])
	assert.Contains(t, selection["note"], "cannot be told apart")
	assert.Equal(t, true, st["config"].(map[string]any)["keep_without_namespace"])
	card := readString(t, filepath.Join(out, "datacard.md"))
	assert.Contains(t, card, "Target events: selectors [pod-namespace=tenant-jobs]; ")
	assert.Contains(t, card, "10 events were kept without a PID-namespace inum: host and container events cannot be told apart for them.")
	checkAccounting(t, out)
	checkCard(t, out)

	// Anonymized: the terms, not the values.
	labels, err := tetraparse.ParseSelector("pod-label=app=cart,container-id=86eb9e29a77d")
	require.NoError(t, err)
	out, err, _ = buildWarn(t, Config{In: []string{events}, HMACKeyFile: keyFile(t), Select: []tetraparse.Selector{sel, labels}, KeepWithoutNamespace: true})
	require.NoError(t, err)
	st = readStats(t, out)
	selection = st["selection"].(map[string]any)
	assert.Equal(t, []any{
		map[string]any{"selector": "pod-namespace=(not recorded)", "events": float64(10)},
		map[string]any{"selector": "pod-label=app=(not recorded),container-id=(not recorded)", "events": float64(0)},
	}, selection["selectors"])
	for _, f := range []string{"stats.json", "datacard.md"} {
		text := readString(t, filepath.Join(out, f))
		assert.NotContains(t, text, "tenant-jobs", f)
		assert.NotContains(t, text, "86eb9e29a77d", f)
		assert.NotContains(t, text, "cart", f)
	}
	assert.Contains(t, readString(t, filepath.Join(out, "datacard.md")), "Target events: selectors [pod-namespace=(not recorded)] or [pod-label=app=(not recorded),container-id=(not recorded)]")
}

// TestEmptySplitWarning checks the warning about a split without rows.
func TestEmptySplitWarning(t *testing.T) {
	t.Parallel()
	_, err, warnings := buildWarn(t, Config{In: []string{writeSampleDir(t)}, NoAnonymize: true, Cut: time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	assert.Equal(t, []string{"the test split is empty: no row is at or after the cut 2030-01-01T00:00:00Z; it gets one shard with the schema only"}, warnings)
	_, err, warnings = buildWarn(t, Config{In: []string{writeSampleDir(t)}, NoAnonymize: true, Cut: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)})
	require.NoError(t, err)
	assert.Equal(t, []string{"the train split is empty: no row is before the cut 2000-01-01T00:00:00Z; it gets one shard with the schema only"}, warnings)

	// Without a cut every row is train: no cut to blame.
	notes := filepath.Join(t.TempDir(), "notes.json")
	require.NoError(t, os.WriteFile(notes, nil, 0o644))
	_, err, warnings = buildWarn(t, Config{In: []string{notes}, NoAnonymize: true, AllowEmpty: true})
	require.NoError(t, err)
	assert.Contains(t, warnings, "the train split is empty: its inputs yield no rows; it gets one shard with the schema only")
}

// TestInputInsideOut checks that no input may be inside Out, however it
// is named, and that the corpus there is left as it was.
func TestInputInsideOut(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := build(t, Config{Sample: true, NoAnonymize: true, Out: filepath.Join(dir, "corpus")})
	before := readString(t, filepath.Join(out, "stats.json"))
	link := filepath.Join(dir, "link")
	require.NoError(t, os.Symlink(out, link))
	for _, c := range []struct {
		cfg   Config
		field string
	}{
		{Config{In: []string{out}, Out: out}, "In"}, // the case that replaced a corpus with an empty one
		{Config{In: []string{filepath.Join(out, "stats.json")}, Out: out}, "In"},
		{Config{In: []string{link}, Out: out}, "In"},
		{Config{In: []string{out}, Out: link}, "In"},
		{Config{TrainIn: []string{writeSampleDir(t)}, TestIn: []string{filepath.Join(link, "datacard.md")}, Out: out}, "TestIn"},
	} {
		c.cfg.NoAnonymize, c.cfg.OnWarning = true, func(string) {}
		_, err := Build(context.Background(), c.cfg)
		var ce *ConfigError
		require.ErrorAs(t, err, &ce, "%+v", c.cfg)
		assert.Equal(t, c.field, ce.Field)
		assert.ErrorIs(t, err, ErrInputInsideOut)
	}
	assert.Equal(t, before, readString(t, filepath.Join(out, "stats.json")))
}
