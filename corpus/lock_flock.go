//go:build linux || darwin || dragonfly || freebsd || netbsd || openbsd

package corpus

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// The lock is flock(2) on the lock file: the kernel releases it when the
// process ends, however it ends, so a killed build never blocks the next.

// staleLockHint is nothing here: a lock is never left held.
const staleLockHint = ""

// tryLock opens the lock file at path and locks it, or fails with
// errLockHeld.
func tryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		err = errLockHeld
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return f, nil
}

// unlockFile releases the lock, which closing the file does; the file
// stays.
func unlockFile(f *os.File, _ string) { f.Close() }
