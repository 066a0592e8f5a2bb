package corpus

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/tetrahids/tetrahids/schema"
)

// TestShardWriterCloseTwice: Close names the shards once; a second Close
// is harmless and returns nothing, as Close does elsewhere in the module.
func TestShardWriterCloseTwice(t *testing.T) {
	dir := t.TempDir()
	sc := schema.Default().EncodedSchema()
	w := newShardWriter(dir, "test", 100, 10, sc.Metadata(), "test")
	require.NoError(t, w.WriteEmpty(sc))
	paths, err := w.Close()
	require.NoError(t, err)
	require.Equal(t, []string{filepath.Join(dir, "test-00000-of-00001.parquet")}, paths)
	again, err := w.Close()
	require.NoError(t, err)
	require.Empty(t, again)
	_, err = os.Stat(paths[0])
	require.NoError(t, err)
}
