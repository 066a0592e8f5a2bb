package tetraparse

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestExpandInputsTakesExportFiles: a directory holding an export beside a
// README, CSV files, notes, a subdirectory and logrotate-style names gives
// only the export files (in rotation order), and lists what it skipped
// and why; a file named explicitly is taken whatever its name.
func TestExpandInputsTakesExportFiles(t *testing.T) {
	dir := t.TempDir()
	take := []string{
		"tetragon-2026-04-14T00-00-00.000.log.gz", // lumberjack backups, compressed
		"tetragon-2026-04-15T00-00-00.000.log",    // and not (yet)
		"tetragon-00001.json.gz",                  // numbered
		"events.jsonl",
		"tetragon.log", // the active file
	}
	skip := map[string]string{
		"README.md":      skipNotExport,
		"labels.csv":     skipNotExport,
		"windows.csv":    skipNotExport,
		"notes.txt":      skipNotExport,
		"tetragon.log.1": skipNotExport,
		"archive.tar.gz": skipNotExport,
		".log":           skipHidden,
		".tetragon.swp":  skipHidden,
		"old":            skipDirectory,
		"tetragon-2026-04-15T00-00-00.000.log.gz": skipCompressed, // being compressed beside its source
	}
	for _, n := range take {
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
	}
	for n, why := range skip {
		if why == skipDirectory {
			require.NoError(t, os.Mkdir(filepath.Join(dir, n), 0o755))
			continue
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, n), nil, 0o644))
	}
	readme := filepath.Join(dir, "README.md")
	files, skipped, err := ExpandInputs(dir, readme)
	require.NoError(t, err)
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	require.Equal(t, []string{
		"tetragon-00001.json.gz",
		"tetragon-2026-04-14T00-00-00.000.log.gz",
		"tetragon-2026-04-15T00-00-00.000.log",
		"events.jsonl", // names without a digit last, lexically
		"tetragon.log",
		"README.md", // named: always taken
	}, names)
	got := map[string]string{}
	for _, s := range skipped {
		require.Equal(t, dir, filepath.Dir(s.Path))
		got[filepath.Base(s.Path)] = s.Reason
	}
	require.Equal(t, skip, got)

	// Inputs is ExpandInputs without the skipped list.
	only, err := Inputs(dir)
	require.NoError(t, err)
	require.Equal(t, files[:len(files)-1], only)

	// A directory with no export file gives no file, and says why.
	notes := t.TempDir()
	require.NoError(t, os.WriteFile(filepath.Join(notes, "notes.txt"), []byte("hello"), 0o644))
	files, skipped, err = ExpandInputs(notes)
	require.NoError(t, err)
	require.Empty(t, files)
	require.Equal(t, []SkippedInput{{Path: filepath.Join(notes, "notes.txt"), Reason: skipNotExport}}, skipped)
}

func TestIsExportName(t *testing.T) {
	for name, want := range map[string]bool{
		"a.log": true, "a.json": true, "a.jsonl": true, "a.log.gz": true, "a.jsonl.gz": true,
		"tetragon-2026-04-14T00-00-00.000.json.gz": true,
		".log": false, ".json.gz": false, "a.gz": false, "a.log.1": false, "a.LOG": false,
		"a.json.gz.gz": false, "log": false, "a.csv": false, "a.jsonx": false,
	} {
		require.Equal(t, want, isExportName(name), name)
	}
}
