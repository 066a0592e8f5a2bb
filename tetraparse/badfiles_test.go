package tetraparse

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"
	"testing"

	"github.com/stretchr/testify/require"
)

// badInputs writes good and bad input files and returns them in order,
// with the number of rows each good file holds.
func badInputs(t *testing.T) (paths []string, goodRows int, bad map[string]error) {
	t.Helper()
	dir := t.TempDir()
	var plain bytes.Buffer
	for i := range 3000 {
		fmt.Fprintf(&plain, `{"process_exec":{"process":{"exec_id":"id%d","pid":%d,"ns":{"pid":{"inum":7}}}},"time":"2026-04-19T10:00:00.%09dZ"}`+"\n", i, i, i)
	}
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	zw.Write(plain.Bytes())
	zw.Close()
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, data, 0o644))
		return p
	}
	good1 := write("a.json", plain.Bytes())
	truncated := write("b-truncated.json.gz", gz.Bytes()[:gz.Len()/2])
	badHeader := write("c-header.json.gz", []byte("this is not gzip\n"))
	badCRC := write("d-crc.json.gz", append(gz.Bytes()[:gz.Len()-8:gz.Len()-8], 1, 2, 3, 4, 5, 6, 7, 8))
	directory := filepath.Join(dir, "e-dir.json")
	require.NoError(t, os.Mkdir(directory, 0o755))
	missing := filepath.Join(dir, "f-missing.json")
	good2 := write("g.json.gz", gz.Bytes())
	bad = map[string]error{
		truncated: errors.New("the file ends inside a member"),
		badHeader: gzip.ErrHeader,
		badCRC:    gzip.ErrChecksum,
		directory: syscall.EISDIR,
		missing:   os.ErrNotExist,
	}
	paths = []string{good1, truncated, badHeader, badCRC, directory, missing}
	if os.Geteuid() != 0 { // root reads any file
		denied := write("h-denied.json", plain.Bytes())
		require.NoError(t, os.Chmod(denied, 0))
		bad[denied] = os.ErrPermission
		paths = append(paths, denied)
	}
	return append(paths, good2), 6000, bad
}

// TestBadFilesFailByDefault: each bad file yields a *FileError naming it
// (a consumer stops at the first), parsing goes on, and Stats records
// every failure with its reason.
func TestBadFilesFailByDefault(t *testing.T) {
	paths, goodRows, bad := badInputs(t)
	p, err := New(Config{})
	require.NoError(t, err)
	rows := 0
	var failed []string
	for rec, err := range p.Files(paths) {
		if err != nil {
			var fe *FileError
			require.ErrorAs(t, err, &fe)
			require.Contains(t, err.Error(), fe.File)
			want, ok := bad[fe.File]
			require.True(t, ok, "unexpected failure of %s: %v", fe.File, err)
			if errors.Is(want, syscall.EISDIR) || errors.Is(want, os.ErrNotExist) || errors.Is(want, os.ErrPermission) || errors.Is(want, gzip.ErrHeader) || errors.Is(want, gzip.ErrChecksum) {
				require.ErrorIs(t, err, want)
			} else {
				require.ErrorContains(t, err, want.Error())
			}
			failed = append(failed, fe.File)
			continue
		}
		rows += int(rec.NumRows())
	}
	require.Len(t, failed, len(bad))
	st := p.Stats()
	require.NoError(t, st.Check())
	require.EqualValues(t, len(bad), st.FilesFailed)
	require.Len(t, st.FailedFiles, len(bad))
	for i, f := range st.FailedFiles {
		require.Equal(t, failed[i], f.File, "sorted by path, which is the order given here")
		require.NotEmpty(t, f.Reason)
		require.NotContains(t, f.Reason, "tetraparse:", "the reason is the cause, without the file error's prefix")
	}
	require.Greater(t, rows, goodRows)
	require.EqualValues(t, rows, st.Kept())
}

// TestSkipBadFiles: with SkipBadFiles no error is yielded; the failures are
// in Stats, the rows of the good files and the complete lines read before
// a failure are kept, and every line is accounted for.
func TestSkipBadFiles(t *testing.T) {
	paths, goodRows, bad := badInputs(t)
	p, err := New(Config{SkipBadFiles: true, BatchSize: 500})
	require.NoError(t, err)
	rows := 0
	for rec, err := range p.Files(paths) {
		require.NoError(t, err)
		rows += int(rec.NumRows())
	}
	st := p.Stats()
	require.NoError(t, st.Check())
	require.EqualValues(t, rows, st.Kept())
	require.EqualValues(t, len(bad), st.FilesFailed)
	require.Len(t, st.FailedFiles, len(bad))
	var partial int64
	for _, f := range st.FailedFiles {
		require.Contains(t, bad, f.File)
		partial += f.Lines
		if filepath.Base(f.File) == "b-truncated.json.gz" {
			require.Positive(t, f.Lines)
			require.Less(t, f.Lines, int64(3000))
			require.Contains(t, f.Reason, "ends inside a member")
		}
		if filepath.Base(f.File) == "d-crc.json.gz" {
			require.EqualValues(t, 3000, f.Lines, "every line came before the trailer")
		}
	}
	// The lines read before each failure were parsed: no partial line
	// became a JSON error.
	require.Zero(t, st.JSONErrors)
	require.EqualValues(t, goodRows+int(partial), rows)
	// Files opened: the two good ones and the three gzip files that fail
	// while being read; the directory and the missing file fail to open.
	require.EqualValues(t, 5, st.FilesRead)
}
