package tetraparse

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestZeroPaddedGzipFile: a zero-padded export file parses as its plain
// form does.
func TestZeroPaddedGzipFile(t *testing.T) {
	dir := t.TempDir()
	plain := []byte(nsEvent + "\n" + nsEvent + "\n")
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain)
	zw.Close()
	gz.Write(make([]byte, 512))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "events.json"), plain, 0o644))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "events-1.json.gz"), gz.Bytes(), 0o644))
	for _, name := range []string{"events.json", "events-1.json.gz"} {
		p, err := New(Config{})
		require.NoError(t, err)
		recs := parseAll(t, p, filepath.Join(dir, name))
		require.Equal(t, 2, rowCount(recs), name)
		st := p.Stats()
		require.EqualValues(t, 1, st.FilesRead)
		require.Zero(t, st.FilesFailed)
	}
}
