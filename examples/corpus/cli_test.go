package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
)

// runCLI runs the command in-process and returns its error, stdout and
// stderr.
func runCLI(args ...string) (error, string, string) {
	var stdout, stderr strings.Builder
	err := run(context.Background(), args, &stdout, &stderr)
	return err, stdout.String(), stderr.String()
}

// TestMessages checks the command's wording: plain errors (no Go layout
// string), input problems before key problems, plurals, and the flags'
// names in what package corpus refuses.
func TestMessages(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	err, _, _ := runCLI("-in", "x", "-cut", "yesterday")
	require.Error(t, err)
	assert.Equal(t, `-cut "yesterday": want an RFC 3339 time such as 2026-04-19T21:46:27Z`, err.Error())

	// No key and no input: the input is named first.
	err, _, _ = runCLI("-in", filepath.Join(dir, "nope"), "-out", filepath.Join(dir, "out"))
	assert.EqualError(t, err, "-in: "+filepath.Join(dir, "nope")+": no such file or directory")

	err, _, _ = runCLI("-in", "x", "-select", "pod-namespace")
	assert.ErrorContains(t, err, `-select: invalid selector "pod-namespace"`)
	err, _, _ = runCLI("-in", dir, "-target-inums", "1", "-keep-without-ns", "-no-anonymize", "-out", filepath.Join(dir, "out"))
	assert.ErrorContains(t, err, "-keep-without-ns: ")
	err, _, _ = runCLI("-in", dir, "-no-anonymize", "-out", filepath.Join(dir, "out"))
	assert.EqualError(t, err, "-in: "+dir+": no Tetragon export files (it is empty)")

	// One event: one row, one shard.
	one := filepath.Join(dir, "one.json")
	require.NoError(t, os.WriteFile(one, []byte(`{"process_exec":{"process":{"exec_id":"aWQx","pid":7,"binary":"/bin/true","ns":{"pid":{"inum":7}}}},"time":"2026-04-19T10:00:00Z"}`+"\n"), 0o644))
	out := filepath.Join(dir, "out")
	err, stdout, stderr := runCLI("-in", one, "-no-anonymize", "-out", out)
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "corpus: wrote "+out+" (train 1 row in 1 shard; NOT anonymized, ")
	assert.Contains(t, stdout, " from 1 line (")
}

// TestQuiet checks -q: no progress, summary or warning, but one line
// that counts the warnings.
func TestQuiet(t *testing.T) {
	t.Parallel()
	shared := goldentest.SharedTestdata()
	if shared == "" {
		t.Skip("../shared not present")
	}
	// The docs' directory: its README.md is skipped with a warning, and
	// the pods' events have no namespace (the build succeeds only with
	// the selection).
	docs := filepath.Join(shared, "tetragon-docs")
	args := []string{"-in", docs, "-select", "pod-namespace=tenant-jobs", "-keep-without-ns", "-no-anonymize"}
	err, stdout, stderr := runCLI(append(args, "-out", filepath.Join(t.TempDir(), "out"))...)
	require.NoError(t, err, stderr)
	assert.Contains(t, stdout, "train 10 rows in 1 shard")
	assert.Equal(t, "corpus: warning: all inputs: skipped 1 directory entry (not Tetragon export; name such a file as an input to read it): "+
		filepath.Join(docs, "README.md")+": not a Tetragon export file name (*.log, *.json, *.jsonl, optionally .gz)\n", stderr)

	out := filepath.Join(t.TempDir(), "out")
	err, stdout, stderr = runCLI(append(args, "-q", "-out", out)...)
	require.NoError(t, err)
	assert.Empty(t, stdout)
	assert.Equal(t, "corpus: 1 warning not shown (-q)\n", stderr)
	assert.EqualValues(t, 10, num(t, readStats(t, out), "output", "train", "rows"))

	// Without -keep-without-ns: no rows, an error that says why.
	err, _, stderr = runCLI("-q", "-in", docs, "-select", "pod-namespace=tenant-jobs", "-no-anonymize", "-out", filepath.Join(t.TempDir(), "out"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the inputs yield no rows: 48 lines read; ")
	assert.Contains(t, err.Error(), "have no PID-namespace inum")
	assert.Contains(t, err.Error(), "-keep-without-ns")
	assert.Equal(t, "corpus: 1 warning not shown (-q)\n", stderr)
}

// TestAllowEmpty: input that is not Tetragon export fails, unless
// -allow-empty.
func TestAllowEmpty(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	notes := filepath.Join(dir, "notes.md")
	require.NoError(t, os.WriteFile(notes, []byte("# Notes\nnothing to see\n"), 0o644))
	out := filepath.Join(dir, "out")
	err, _, _ := runCLI("-q", "-in", notes, "-no-anonymize", "-out", out)
	assert.ErrorContains(t, err, "most input lines are not Tetragon events: 2 of 2 non-blank lines could not be read as events")
	assert.ErrorContains(t, err, "-allow-empty")
	assert.NoDirExists(t, out)
	err, _, stderr := runCLI("-q", "-in", notes, "-no-anonymize", "-allow-empty", "-out", out)
	require.NoError(t, err)
	assert.Equal(t, "corpus: 2 warnings not shown (-q)\n", stderr)
	checkAccounting(t, out)
}

// TestBadFilesAndLineLimit checks -skip-bad-files and -max-line-bytes: a
// corrupt gzip file fails the build, naming it, unless -skip-bad-files,
// which lists it in stats.json; a line longer than -max-line-bytes is
// counted as an error and the rest built; 0 lifts the limit.
func TestBadFilesAndLineLimit(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	var lines []string
	for i := range 3 {
		lines = append(lines, fmt.Sprintf(`{"process_exec":{"process":{"exec_id":"aWQ%d","pid":%d,"binary":"/bin/true","ns":{"pid":{"inum":7}}}},"time":"2026-04-19T10:00:0%dZ"}`, i, 10+i, i))
	}
	long := `{"process_exec":{"process":{"binary":"/` + strings.Repeat("a", 500) + `"}}}`
	require.NoError(t, os.WriteFile(filepath.Join(dir, "tetragon.log"), []byte(strings.Join(append(lines, long), "\n")+"\n"), 0o644))
	bad := filepath.Join(dir, "tetragon-2026-04-19T09-00-00.000.log.gz")
	require.NoError(t, os.WriteFile(bad, []byte("not gzip at all\n"), 0o644))

	out := filepath.Join(t.TempDir(), "out")
	err, _, _ := runCLI("-q", "-in", dir, "-no-anonymize", "-out", out)
	assert.ErrorContains(t, err, bad)
	assert.NoDirExists(t, out)

	err, _, stderr := runCLI("-in", dir, "-no-anonymize", "-skip-bad-files", "-max-line-bytes", "300", "-out", out)
	require.NoError(t, err, stderr)
	assert.Contains(t, stderr, "corpus: warning: skipped the input file "+bad)
	st := readStats(t, out)
	failed := st["failed_files"].([]any)
	require.Len(t, failed, 1)
	assert.Equal(t, bad, failed[0].(map[string]any)["file"])
	assert.EqualValues(t, 1, num(t, st, "parser", "all", "errors_line_too_long"))
	assert.EqualValues(t, 3, num(t, st, "output", "train", "rows"))
	assert.EqualValues(t, 300, st["config"].(map[string]any)["max_line_bytes"])
	checkAccounting(t, out)

	// The default limit reads the line; 0 lifts the limit.
	for _, limit := range []string{"", "0"} {
		args := []string{"-q", "-in", dir, "-no-anonymize", "-skip-bad-files", "-out", out}
		if limit != "" {
			args = append(args, "-max-line-bytes", limit)
		}
		err, _, _ = runCLI(args...)
		require.NoError(t, err)
		st = readStats(t, out)
		assert.EqualValues(t, 0, num(t, st, "parser", "all", "errors_line_too_long"))
		want := map[string]any{"": float64(16 << 20), "0": nil}[limit]
		assert.Equal(t, want, st["config"].(map[string]any)["max_line_bytes"])
	}
}
