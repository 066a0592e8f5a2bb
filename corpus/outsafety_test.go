package corpus

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// besideOut lists the entries of out's parent whose names start with
// .<out's name><marker>.
func besideOut(t *testing.T, out, marker string) []string {
	t.Helper()
	matches, err := filepath.Glob(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+marker+"*"))
	require.NoError(t, err)
	return matches
}

// TestLockRefusesOrWaits checks the lock of Out: while one build holds it
// a second fails at once with ErrLocked naming the holder's pid, a third
// with WaitForLock waits (and can be cancelled while waiting), and then
// builds; the result is the last build's complete corpus.
func TestLockRefusesOrWaits(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	reached, release := make(chan struct{}), make(chan struct{})
	first := Config{Sample: true, NoAnonymize: true, Out: out, ShardRows: 1000, OnWarning: func(string) {}}
	first.hook = func(step string) {
		if step == stepLocked {
			close(reached)
			<-release
		}
	}
	firstErr := make(chan error, 1)
	go func() {
		_, err := Build(context.Background(), first)
		firstErr <- err
	}()
	<-reached

	_, err := Build(context.Background(), Config{Sample: true, NoAnonymize: true, Out: out, OnWarning: func(string) {}})
	require.ErrorIs(t, err, ErrLocked)
	assert.ErrorContains(t, err, "process "+strconv.Itoa(os.Getpid())+" holds its lock "+filepath.Join(dir, ".out.lock"))
	assert.ErrorContains(t, err, "WaitForLock")

	// A waiting build can be cancelled.
	ctx, cancel := context.WithCancel(context.Background())
	waiting := make(chan string, 10)
	cancelled := make(chan error, 1)
	go func() {
		_, err := Build(ctx, Config{Sample: true, NoAnonymize: true, Out: out, WaitForLock: true, OnWarning: func(m string) { waiting <- m }})
		cancelled <- err
	}()
	assert.Contains(t, <-waiting, "waiting for the build of "+out+" by process "+strconv.Itoa(os.Getpid()))
	cancel()
	require.ErrorIs(t, <-cancelled, context.Canceled)

	lastErr := make(chan error, 1)
	go func() {
		_, err := Build(context.Background(), Config{Sample: true, NoAnonymize: true, Out: out, WaitForLock: true, OnWarning: func(m string) { waiting <- m }})
		lastErr <- err
	}()
	assert.Contains(t, <-waiting, "waiting for the build of "+out)
	select {
	case err := <-lastErr:
		t.Fatalf("the waiting build ended while the lock was held: %v", err)
	default:
	}
	require.NoDirExists(t, out)
	close(release)
	require.NoError(t, <-firstErr)
	require.NoError(t, <-lastErr)
	// The last build's corpus (one shard per split, where the first wrote
	// 1,000-row shards), complete.
	for _, split := range []string{SplitTrain, SplitTest} {
		assert.Len(t, shards(t, out, split), 1, split)
	}
	checkAccounting(t, out)
	checkCard(t, out)
	entries, err := os.ReadDir(dir)
	require.NoError(t, err)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	assert.ElementsMatch(t, []string{"out", ".out.lock"}, names)
	assert.Empty(t, readString(t, filepath.Join(dir, ".out.lock")), "the pid is cleared on unlock")
}

// TestStaleDirectoriesRemoved checks that a build removes the directories
// an interrupted build of the same Out left beside it (work files
// included), says so, and touches nothing else.
func TestStaleDirectoriesRemoved(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := build(t, Config{Sample: true, NoAnonymize: true, Out: filepath.Join(dir, "out")})
	leave := func(name string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.MkdirAll(filepath.Join(p, ".work"), 0o700))
		require.NoError(t, os.WriteFile(filepath.Join(p, ".work", "train.raw.arrows"), []byte("raw rows"), 0o600))
		return p
	}
	stale := []string{leave(".out.tmp-123"), leave(".out.old-4567")}
	others := []string{leave(".out.tmp-abc"), leave(".outer.tmp-1"), leave(".out.tmp-"), leave("out.tmp-1")}
	var warnings []string
	build(t, Config{Sample: true, NoAnonymize: true, Out: out, OnWarning: func(m string) { warnings = append(warnings, m) }})
	for _, p := range stale {
		assert.NoDirExists(t, p)
		assert.Contains(t, strings.Join(warnings, "\n"), "removed "+p+", which a build of "+out+" that was interrupted left behind")
	}
	for _, p := range others {
		assert.DirExists(t, p)
	}
	assert.Len(t, warnings, len(stale), "%q", warnings)
	checkAccounting(t, out)
}

// TestRestoreAfterInterruptedRenames checks the recovery of the
// two-rename commit: killed between its renames, a build leaves no Out
// and the previous corpus in .NAME.old-<n>; the next build puts it back
// before anything else.
func TestRestoreAfterInterruptedRenames(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := build(t, Config{Sample: true, NoAnonymize: true, Out: filepath.Join(dir, "out"), ShardRows: 1000})
	before := readString(t, filepath.Join(out, "stats.json"))
	old := filepath.Join(dir, ".out.old-77")
	require.NoError(t, os.Rename(out, old))
	require.NoError(t, os.MkdirAll(filepath.Join(dir, ".out.tmp-77", "data"), 0o700))
	var warnings []string
	cfg := Config{Sample: true, NoAnonymize: true, Out: out, OnWarning: func(m string) { warnings = append(warnings, m) }}
	restored := false
	cfg.hook = func(step string) {
		if step == stepLocked {
			restored = true
			assert.Equal(t, before, readString(t, filepath.Join(out, "stats.json")))
			assert.NoDirExists(t, old)
			assert.NoDirExists(t, filepath.Join(dir, ".out.tmp-77"))
		}
	}
	_, err := Build(context.Background(), cfg)
	require.NoError(t, err)
	require.True(t, restored)
	all := strings.Join(warnings, "\n")
	assert.Contains(t, all, "restored the previous corpus "+out+" from "+old)
	assert.Contains(t, all, "removed "+filepath.Join(dir, ".out.tmp-77"))
	assert.NotEqual(t, before, readString(t, filepath.Join(out, "stats.json")))
	checkAccounting(t, out)
}

// exchangeWorks reports whether the system and the file system of dir
// exchange two directories atomically.
func exchangeWorks(t *testing.T, dir string) bool {
	a, b := filepath.Join(dir, "xa"), filepath.Join(dir, "xb")
	require.NoError(t, os.Mkdir(a, 0o700))
	require.NoError(t, os.Mkdir(b, 0o700))
	defer os.Remove(a)
	defer os.Remove(b)
	err := exchange(a, b)
	if errors.Is(err, errNoExchange) {
		return false
	}
	require.NoError(t, err)
	return true
}

// TestCommitSteps walks the commit step by step, with the atomic exchange
// and with the two-rename fallback, and checks at each step that Out
// holds a complete corpus, the previous one until the swap and the new
// one after it (but between the fallback's renames, where Out is missing
// and the previous corpus complete beside it), and that nothing is left
// behind at the end.
func TestCommitSteps(t *testing.T) {
	t.Parallel()
	for _, fallback := range []bool{false, true} {
		t.Run(map[bool]string{false: "exchange", true: "fallback"}[fallback], func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			if !fallback && !exchangeWorks(t, dir) {
				t.Skip("no atomic exchange on this system or file system")
			}
			out := build(t, Config{Sample: true, NoAnonymize: true, Out: filepath.Join(dir, "out"), ShardRows: 1000})
			before := readString(t, filepath.Join(out, "stats.json"))
			var steps []string
			var tmpDir string
			cfg := Config{Sample: true, NoAnonymize: true, Out: out, noExchange: fallback, OnWarning: func(m string) { t.Error(m) }}
			cfg.hook = func(step string) {
				steps = append(steps, step)
				tmps, olds := besideOut(t, out, tmpMarker), besideOut(t, out, oldMarker)
				switch step {
				case stepLocked:
					require.Empty(t, tmps)
					require.Empty(t, olds)
				case stepSynced:
					require.Len(t, tmps, 1)
					tmpDir = tmps[0]
					assert.NoDirExists(t, filepath.Join(tmpDir, ".work"))
					fi, err := os.Stat(tmpDir)
					require.NoError(t, err)
					data, err := os.Stat(filepath.Join(tmpDir, "data"))
					require.NoError(t, err)
					assert.Equal(t, data.Mode().Perm(), fi.Mode().Perm(), "released with its subdirectories' mode")
					assert.True(t, isCorpus(tmpDir))
					assert.Equal(t, before, readString(t, filepath.Join(out, "stats.json")))
				case stepBetweenRenames:
					require.True(t, fallback)
					assert.NoDirExists(t, out)
					require.Len(t, olds, 1)
					assert.Equal(t, before, readString(t, filepath.Join(olds[0], "stats.json")))
				case stepSwapped:
					require.True(t, isCorpus(out))
					assert.NotEqual(t, before, readString(t, filepath.Join(out, "stats.json")))
					prev := tmpDir // the exchange left the previous corpus at the build's name
					if fallback {
						require.Len(t, olds, 1)
						prev = olds[0]
					}
					assert.Equal(t, before, readString(t, filepath.Join(prev, "stats.json")))
				case stepRemovingOld:
					require.True(t, isCorpus(out))
					assert.Empty(t, tmps)
					require.Len(t, olds, 1)
					assert.Equal(t, before, readString(t, filepath.Join(olds[0], "stats.json")))
				}
			}
			_, err := Build(context.Background(), cfg)
			require.NoError(t, err)
			want := []string{stepLocked, stepSynced, stepSwapped, stepRemovingOld}
			if fallback {
				want = []string{stepLocked, stepSynced, stepBetweenRenames, stepSwapped, stepRemovingOld}
			}
			assert.Equal(t, want, steps)
			assert.Empty(t, besideOut(t, out, tmpMarker))
			assert.Empty(t, besideOut(t, out, oldMarker))
			checkAccounting(t, out)
			checkCard(t, out)
		})
	}
}

// TestWorkFilesPrivate checks the modes: while a build runs, its
// directory and work directory are 0700 and every work file (raw spills,
// the sample's input) 0600; the released corpus has the modes of its
// subdirectories, and its files no permission beyond 0644.
func TestWorkFilesPrivate(t *testing.T) {
	t.Parallel()
	out := filepath.Join(t.TempDir(), "out")
	files := 0
	cfg := Config{Sample: true, Out: out, SpillMemory: -1, OnProgress: func(p Progress) {
		if p.Stage != StageParse || !p.Done || files > 0 {
			return // the raw spills are written when parsing is done
		}
		tmps := besideOut(t, out, tmpMarker)
		require.Len(t, tmps, 1)
		for _, d := range []string{tmps[0], filepath.Join(tmps[0], ".work")} {
			fi, err := os.Stat(d)
			require.NoError(t, err)
			assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm(), d)
		}
		require.NoError(t, filepath.WalkDir(filepath.Join(tmps[0], ".work"), func(p string, d fs.DirEntry, err error) error {
			require.NoError(t, err)
			fi, err := d.Info()
			require.NoError(t, err)
			want := fs.FileMode(0o600)
			if d.IsDir() {
				want = 0o700
			} else {
				files++
			}
			assert.Equal(t, want, fi.Mode().Perm(), p)
			return nil
		}))
	}}
	_, err := Build(context.Background(), cfg)
	require.NoError(t, err)
	require.Positive(t, files, "spills and the sample's files")
	top, err := os.Stat(out)
	require.NoError(t, err)
	require.NoError(t, filepath.WalkDir(out, func(p string, d fs.DirEntry, err error) error {
		require.NoError(t, err)
		fi, err := d.Info()
		require.NoError(t, err)
		if d.IsDir() {
			assert.Equal(t, top.Mode().Perm(), fi.Mode().Perm(), p)
			assert.Equal(t, fs.FileMode(0o700), fi.Mode().Perm()&0o700, p)
		} else {
			assert.Equal(t, fs.FileMode(0o600), fi.Mode().Perm()&0o600, p)
			assert.Zero(t, fi.Mode().Perm()&^0o644, p)
		}
		return nil
	}))
}
