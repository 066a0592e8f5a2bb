//go:build unix

package corpus

import (
	"errors"
	"os"
	"path/filepath"
	"syscall"
)

// syncDir syncs a directory's entries to disk.
func syncDir(dir string) error {
	f, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = f.Sync()
	if e := f.Close(); err == nil {
		err = e
	}
	return err
}

// isMountPoint reports whether the directory abs is a mount point: on
// another device than its parent, or (a bind mount of the same file
// system) listed as a mount point by the system.
func isMountPoint(abs string) (bool, error) {
	fi, err := os.Stat(abs)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	pfi, err := os.Stat(filepath.Dir(abs))
	if err != nil {
		return false, err
	}
	st, ok1 := fi.Sys().(*syscall.Stat_t)
	pst, ok2 := pfi.Sys().(*syscall.Stat_t)
	if ok1 && ok2 && st.Dev != pst.Dev {
		return true, nil
	}
	if abs == filepath.Dir(abs) {
		return true, nil // the root
	}
	return listedMount(abs)
}
