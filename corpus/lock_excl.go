//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd)

package corpus

import (
	"errors"
	"os"
)

// Without flock(2) the lock is the lock file's existence: created
// exclusively, removed on unlock. A build that is killed leaves it, and
// the next build then refuses until it is removed by hand.

// staleLockHint tells how to clear a lock a killed build left.
const staleLockHint = "; if no build is running, one that was killed left it: remove it"

// tryLock creates the lock file at path, or fails with errLockHeld.
func tryLock(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		err = errLockHeld
	}
	return f, err
}

// unlockFile releases the lock by removing the file.
func unlockFile(f *os.File, path string) {
	f.Close()
	os.Remove(path)
}
