package corpus

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"golang.org/x/sys/unix"
)

// TestMountPointOut checks that a mount point is refused as Out before
// anything is written: on another device than its parent (/proc), the
// root, and, where the test may mount, a bind mount on the same file
// system (found in /proc/self/mountinfo).
func TestMountPointOut(t *testing.T) {
	t.Parallel()
	refused := func(out string) {
		t.Helper()
		_, err := Build(context.Background(), Config{Sample: true, Out: out})
		var ce *ConfigError
		require.ErrorAs(t, err, &ce)
		assert.Equal(t, "Out", ce.Field)
		assert.ErrorIs(t, err, ErrMountPoint)
		assert.ErrorContains(t, err, out+": a mount point cannot be replaced")
	}
	refused("/proc")
	refused("/")

	dir := t.TempDir()
	src, dst := filepath.Join(dir, "src"), filepath.Join(dir, "dst with space")
	require.NoError(t, os.Mkdir(src, 0o755))
	require.NoError(t, os.Mkdir(dst, 0o755))
	if err := unix.Mount(src, dst, "", unix.MS_BIND, ""); err != nil {
		t.Logf("no bind mount (%v): only the device comparison is tested", err)
		return
	}
	defer unix.Unmount(dst, unix.MNT_DETACH)
	refused(dst)
	mp, err := isMountPoint(src)
	require.NoError(t, err)
	assert.False(t, mp)
	assert.Equal(t, "/a b\\c", unescapeMount(`/a\040b\134c`))
}
