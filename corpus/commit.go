package corpus

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// The commit puts a finished corpus at Out so that, at every instant, Out
// holds a complete corpus, the previous one or the new one:
//
//  1. every file and directory of the build directory is synced to disk,
//     with the modes of a release (directories as data/ got them, 0755
//     less the umask; files 0644 less the umask);
//  2. without a previous corpus, the build directory is renamed to Out;
//     otherwise the two are exchanged in one atomic step (Linux:
//     renameat2 RENAME_EXCHANGE; macOS: renamex_np RENAME_SWAP), so the
//     build directory's name now holds the previous corpus;
//  3. the parent directory is synced, and the previous corpus is renamed
//     to .NAME.old-<n> and removed.
//
// Where no exchange is available (other systems, or a file system that
// refuses it) the previous corpus is renamed aside and the new one
// renamed into place: between the two renames Out does not exist, and a
// build killed there leaves the previous corpus in .NAME.old-<n>, which
// the next build puts back before anything else (cleanStale). A build
// killed at any other point leaves a complete corpus at Out, and
// directories beside it that the next build removes.

// The steps of a commit, for the tests' hook (hookStep).
const (
	stepLocked         = "locked"          // the lock is held, stale directories removed
	stepSynced         = "synced"          // the new corpus is on disk, not yet at Out
	stepBetweenRenames = "between-renames" // two-rename commit only: Out moved aside
	stepSwapped        = "swapped"         // the new corpus is at Out, the previous one beside it
	stepRemovingOld    = "removing-old"    // the previous corpus renamed .NAME.old-<n>
)

// errNoExchange: the system or file system cannot exchange two paths
// atomically.
var errNoExchange = errors.New("atomic exchange not supported")

// commitOut moves the finished build directory tmp to abs (the caller
// holds abs's lock). An error before the new corpus is at abs leaves tmp
// for the caller to remove and the previous corpus in place; once it is,
// commitOut succeeds, and what it could not clean up is a warning (the
// next build removes it).
func commitOut(tmp, abs string, c *Config) error {
	if err := checkReplaceable(abs); err != nil {
		return err
	}
	if err := releaseModes(tmp); err != nil {
		return err
	}
	if err := syncTree(tmp); err != nil {
		return fmt.Errorf("syncing the new corpus to disk: %w", err)
	}
	parent := filepath.Dir(abs)
	c.hookStep(stepSynced)
	if _, err := os.Lstat(abs); errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(tmp, abs); err != nil {
			return err
		}
		if err := syncDir(parent); err != nil {
			c.warn("syncing %s after the rename: %v", parent, err)
		}
		return nil
	}
	old := oldPath(tmp)
	err := errNoExchange
	if !c.noExchange && !hookFallback() {
		err = exchange(tmp, abs)
	}
	switch {
	case err == nil:
		// tmp now holds the previous corpus.
		if err := syncDir(parent); err != nil {
			c.warn("syncing %s after the exchange: %v", parent, err)
		}
		c.hookStep(stepSwapped)
		if err := os.Rename(tmp, old); err != nil {
			c.warn("the previous corpus is in %s; it could not be renamed for removal: %v", tmp, err)
			return nil
		}
	case errors.Is(err, errNoExchange):
		if err := os.Rename(abs, old); err != nil {
			return err
		}
		c.hookStep(stepBetweenRenames)
		if err := os.Rename(tmp, abs); err != nil {
			if e := os.Rename(old, abs); e != nil {
				return fmt.Errorf("%w (and putting the previous corpus back from %s failed: %v; the next build puts it back)", err, old, e)
			}
			return err
		}
		if err := syncDir(parent); err != nil {
			c.warn("syncing %s after the rename: %v", parent, err)
		}
		c.hookStep(stepSwapped)
	default:
		return fmt.Errorf("exchanging %s and %s: %w", tmp, abs, err)
	}
	c.hookStep(stepRemovingOld)
	if err := os.RemoveAll(old); err != nil {
		c.warn("removing the previous corpus %s: %v (the next build removes it)", old, err)
	}
	return nil
}

// releaseModes gives the build directory, created 0700, the mode its
// data directory got (0755 less the umask), now that the work files are
// gone.
func releaseModes(tmp string) error {
	fi, err := os.Stat(filepath.Join(tmp, "data"))
	if err != nil {
		return err
	}
	return os.Chmod(tmp, fi.Mode().Perm())
}

// syncTree syncs every regular file and directory under root to disk,
// each directory after what it holds.
func syncTree(root string) error {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		switch {
		case err != nil:
			return err
		case d.IsDir():
			dirs = append(dirs, path)
		case d.Type().IsRegular():
			return syncFile(path)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for i := len(dirs) - 1; i >= 0; i-- {
		if err := syncDir(dirs[i]); err != nil {
			return err
		}
	}
	return nil
}

func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	err = f.Sync()
	if e := f.Close(); err == nil {
		err = e
	}
	return err
}

// testHookVar names the environment variable that drives hookStep in a
// separate process. It is empty, and the hook off, unless a test links it
// in:
//
//	go build -ldflags=-X=github.com/tetrahids/tetrahids/corpus.testHookVar=NAME
//
// The variable then holds "step=STEP[,fallback],dir=DIR" (DIR last, so
// that it may hold commas): at STEP the build writes its pid to
// DIR/STEP.reached and waits until DIR/STEP.continue exists (the test
// kills it or lets it go on), and "fallback" makes the commit use its two
// renames.
var testHookVar string

// hookStep calls the test hook of step: Config.hook in this process, or
// the one testHookVar enables.
func (c *Config) hookStep(step string) {
	if c.hook != nil {
		c.hook(step)
		return
	}
	spec := hookSpec()
	if spec["step"] != step || spec["dir"] == "" {
		return
	}
	base := filepath.Join(spec["dir"], step)
	os.WriteFile(base+".reached", []byte(fmt.Sprint(os.Getpid())), 0o600)
	for {
		if _, err := os.Stat(base + ".continue"); err == nil {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// hookFallback reports whether the linked-in test hook asks for the
// two-rename commit.
func hookFallback() bool {
	_, ok := hookSpec()["fallback"]
	return ok
}

func hookSpec() map[string]string {
	if testHookVar == "" {
		return nil
	}
	m := map[string]string{}
	spec, dir, _ := strings.Cut(os.Getenv(testHookVar), "dir=")
	for _, kv := range strings.Split(spec, ",") {
		k, v, _ := strings.Cut(kv, "=")
		m[k] = v
	}
	m["dir"] = dir
	return m
}
