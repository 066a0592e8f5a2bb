package corpus

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// One build at a time writes an Out, and the next build cleans up after
// one that was killed. Beside Out (named NAME) a build keeps
//
//	.NAME.lock       the lock file: locked while a build of Out runs;
//	                 it holds the pid of the build holding it, and stays
//	                 (removing a lock file races with the next locker)
//	.NAME.tmp-<n>    the new corpus while it is built, with its work
//	                 files (spills, the sample's input) in .work/
//	.NAME.old-<n>    the corpus it replaces, while it is removed
//
// Only a build holding the lock creates or removes the other two, so
// whatever of them a build finds once it holds the lock was left by a
// build that was killed: it removes them (and says so).

// lockPollInterval is how often a build waiting for the lock tries again.
const lockPollInterval = 100 * time.Millisecond

// outLock is the held lock of one Out.
type outLock struct {
	f    *os.File
	path string
}

// lockPath is the lock file of the Out at abs.
func lockPath(abs string) string {
	return filepath.Join(filepath.Dir(abs), "."+filepath.Base(abs)+".lock")
}

// lockOut takes the lock of the Out at abs (whose parent exists). If
// another build holds it, it fails with ErrLocked naming the holder, or,
// with wait, warns once and waits until the lock is free or ctx is done.
func lockOut(ctx context.Context, abs string, wait bool, warn func(string, ...any)) (*outLock, error) {
	path := lockPath(abs)
	var f *os.File
	for waited := false; ; waited = true {
		var err error
		if f, err = tryLock(path); err == nil {
			break
		}
		if !errors.Is(err, errLockHeld) {
			return nil, fmt.Errorf("locking %s: %w", path, err)
		}
		holder := lockHolder(path)
		if !wait {
			return nil, fmt.Errorf("%s: %w: %s holds its lock %s (wait for it to end, or set WaitForLock, -wait, to wait%s)", abs, ErrLocked, holder, path, staleLockHint)
		}
		if !waited {
			warn("waiting for the build of %s by %s to end (it holds the lock %s)", abs, holder, path)
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(lockPollInterval):
		}
	}
	l := &outLock{f: f, path: path}
	// Who holds the lock, for the message of a build that finds it held.
	if err := f.Truncate(0); err == nil {
		f.WriteAt([]byte(strconv.Itoa(os.Getpid())+"\n"), 0)
	}
	return l, nil
}

// unlock releases the lock (closing the file releases it; the kernel
// releases it too when the process ends, however it ends).
func (l *outLock) unlock() {
	l.f.Truncate(0)
	unlockFile(l.f, l.path)
}

// errLockHeld: tryLock found the lock held.
var errLockHeld = errors.New("lock held")

// lockHolder names the process holding the lock file at path, as far as
// the file tells.
func lockHolder(path string) string {
	data, err := os.ReadFile(path)
	if pid, e := strconv.Atoi(strings.TrimSpace(string(data))); err == nil && e == nil && pid > 0 {
		return "process " + strconv.Itoa(pid)
	}
	return "another process (its pid is not known yet)"
}

// Markers of the directories a build creates beside Out.
const (
	tmpMarker = ".tmp-"
	oldMarker = ".old-"
)

// makeTempOut creates the build directory .NAME.tmp-<n> beside the Out
// at abs, mode 0700: nothing in it (spills hold raw rows) is readable by
// others until the finished corpus is released.
func makeTempOut(abs string) (string, error) {
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	for range 100 {
		tmp := filepath.Join(parent, "."+base+tmpMarker+strconv.FormatUint(uint64(rand.Uint32()), 10))
		err := os.Mkdir(tmp, 0o700)
		if err == nil {
			return tmp, nil
		}
		if !errors.Is(err, os.ErrExist) {
			return "", err
		}
	}
	return "", fmt.Errorf("no unused temporary name beside %s", abs)
}

// oldPath is where the corpus a build replaces goes while it is removed:
// .NAME.old-<n>, with the number of the build directory tmp.
func oldPath(tmp string) string {
	dir, name := filepath.Split(tmp)
	i := strings.LastIndex(name, tmpMarker)
	return filepath.Join(dir, name[:i]+oldMarker+name[i+len(tmpMarker):])
}

// leftBehind reports whether name (an entry beside the Out named base) is
// a directory a build of that Out creates, and which kind (tmpMarker or
// oldMarker).
func leftBehind(name, base string) (string, bool) {
	for _, m := range []string{tmpMarker, oldMarker} {
		n, ok := strings.CutPrefix(name, "."+base+m)
		if ok && n != "" && strings.Trim(n, "0123456789") == "" {
			return m, true
		}
	}
	return "", false
}

// cleanStale removes what builds of the Out at abs that were killed left
// beside it, warning about each; the caller holds the lock. If Out is
// missing and a complete previous corpus waits in .NAME.old-<n> (a build
// using the two-rename commit was killed between its renames), it is put
// back first.
func cleanStale(abs string, warn func(string, ...any)) error {
	parent, base := filepath.Dir(abs), filepath.Base(abs)
	entries, err := os.ReadDir(parent)
	if err != nil {
		return err
	}
	var stale, olds []string
	for _, e := range entries {
		if m, ok := leftBehind(e.Name(), base); ok {
			p := filepath.Join(parent, e.Name())
			stale = append(stale, p)
			if m == oldMarker && isCorpus(p) {
				olds = append(olds, p)
			}
		}
	}
	if _, err := os.Lstat(abs); errors.Is(err, os.ErrNotExist) && len(olds) == 1 {
		if err := os.Rename(olds[0], abs); err != nil {
			return fmt.Errorf("restoring the previous corpus %s from %s: %w", abs, olds[0], err)
		}
		if err := syncDir(parent); err != nil {
			return err
		}
		warn("restored the previous corpus %s from %s, where a build that was interrupted had moved it", abs, olds[0])
		stale = deleteString(stale, olds[0])
	}
	for _, p := range stale {
		if err := os.RemoveAll(p); err != nil {
			return fmt.Errorf("removing %s, left behind by an interrupted build: %w", p, err)
		}
		warn("removed %s, which a build of %s that was interrupted left behind", p, abs)
	}
	return nil
}

func deleteString(s []string, x string) []string {
	out := s[:0]
	for _, v := range s {
		if v != x {
			out = append(out, v)
		}
	}
	return out
}

// isCorpus reports whether dir holds what every corpus this package
// writes has.
func isCorpus(dir string) bool {
	for _, p := range corpusMarkers {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			return false
		}
	}
	return true
}

// corpusMarkers are the paths every corpus this package writes has.
var corpusMarkers = []string{"stats.json", "data", filepath.Join("reproduction", "feature_definitions.json")}
