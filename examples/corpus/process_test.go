package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The tests here run the command as a process: what only a process shows
// (exit status, signals, kill -9, peak RSS, two builders at once).

// hookEnv is the environment variable of package corpus's commit hook in
// the binary cliBinary builds: "step=STEP[,fallback],dir=DIR" makes the
// build write DIR/STEP.reached and wait for DIR/STEP.continue at STEP.
const hookEnv = "TETRAHIDS_CORPUS_TEST_HOOK"

var (
	cliOnce          sync.Once
	cliDir, cliPath  string
	cliBuildErr      error
	cliBuildMessages []byte
)

func TestMain(m *testing.M) {
	code := m.Run()
	if cliDir != "" {
		os.RemoveAll(cliDir)
	}
	os.Exit(code)
}

// cliBinary builds the command once, with the commit hook linked in (a
// release build never has it), and returns its path.
func cliBinary(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() {
		if cliDir, cliBuildErr = os.MkdirTemp("", "corpus-cli-"); cliBuildErr != nil {
			return
		}
		cliPath = filepath.Join(cliDir, "corpus")
		cmd := exec.Command("go", "build", "-ldflags=-X=github.com/tetrahids/tetrahids/corpus.testHookVar="+hookEnv, "-o", cliPath, ".")
		cliBuildMessages, cliBuildErr = cmd.CombinedOutput()
	})
	require.NoError(t, cliBuildErr, "go build: %s", cliBuildMessages)
	return cliPath
}

// proc is a running command.
type proc struct {
	cmd            *exec.Cmd
	stdout, stderr syncBuffer
	exited         chan struct{} // closed when cmd.Wait has returned
	err            error         // what it returned
}

// syncBuffer is a bytes.Buffer the command writes while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// start starts the command with args; hook, when not empty, is the value
// of hookEnv.
func start(t *testing.T, hook string, args ...string) *proc {
	t.Helper()
	p := &proc{cmd: exec.Command(cliBinary(t), args...)}
	p.cmd.Stdout, p.cmd.Stderr = &p.stdout, &p.stderr
	p.cmd.Env = append(os.Environ(), hookEnv+"="+hook)
	require.NoError(t, p.cmd.Start())
	p.exited = make(chan struct{})
	go func() {
		p.err = p.cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		p.cmd.Process.Kill() // a no-op once it has ended
		<-p.exited
	})
	return p
}

// wait waits for the command and returns its exit status.
func (p *proc) wait(t *testing.T) int {
	t.Helper()
	<-p.exited
	if ee := (*exec.ExitError)(nil); errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	require.NoError(t, p.err)
	return 0
}

// waitFor waits until path exists (a hook step was reached).
func waitFor(t *testing.T, path string, p *proc) {
	t.Helper()
	p.waitUntil(t, path, func() bool {
		_, err := os.Stat(path)
		return err == nil
	})
}

// waitUntil waits until done says so, failing the test if the process
// ends first.
func (p *proc) waitUntil(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute) // a bound for a hung test, not a timing claim
	for !done() {
		select {
		case <-p.exited:
			t.Fatalf("the process ended before %s; stderr: %s", what, p.stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s; stderr: %s", what, p.stderr.String())
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// leftovers lists what builds of out left beside it (the lock file
// excepted).
func leftovers(t *testing.T, out string) []string {
	t.Helper()
	var names []string
	for _, m := range []string{".tmp-", ".old-"} {
		matches, err := filepath.Glob(filepath.Join(filepath.Dir(out), "."+filepath.Base(out)+m+"*"))
		require.NoError(t, err)
		names = append(names, matches...)
	}
	return names
}

// oldCorpus builds the corpus a test replaces: the built-in sample in
// 1,000-row shards (the builds that replace it write one shard per
// split), and returns its stats.json.
func oldCorpus(t *testing.T, out string) string {
	t.Helper()
	require.NoError(t, run(context.Background(), []string{"-q", "-no-anonymize", "-shard-rows", "1000", "-out", out}, io.Discard, io.Discard))
	return statsText(t, out)
}

func statsText(t *testing.T, out string) string {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(out, "stats.json"))
	require.NoError(t, err)
	return string(data)
}

// TestHelpExitsZero: -h prints the usage and succeeds; a bad flag fails.
func TestHelpExitsZero(t *testing.T) {
	t.Parallel()
	p := start(t, "", "-h")
	assert.Equal(t, 0, p.wait(t))
	assert.Contains(t, p.stderr.String(), "usage: corpus [flags]")
	assert.Contains(t, p.stderr.String(), "-keep-without-ns")
	p = start(t, "", "-no-such-flag")
	assert.Equal(t, 1, p.wait(t))
}

// TestSighup checks that SIGHUP ends a build as SIGTERM does: cancelled,
// nothing left behind, the previous corpus untouched.
func TestSighup(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	before := oldCorpus(t, out)
	hooks := t.TempDir()
	p := start(t, "step=locked,dir="+hooks, "-q", "-no-anonymize", "-out", out)
	waitFor(t, filepath.Join(hooks, "locked.reached"), p)
	require.NoError(t, p.cmd.Process.Signal(syscall.SIGHUP))
	time.Sleep(50 * time.Millisecond) // let the signal be handled before the build goes on
	require.NoError(t, os.WriteFile(filepath.Join(hooks, "locked.continue"), nil, 0o600))
	assert.Equal(t, 1, p.wait(t))
	assert.Contains(t, p.stderr.String(), "corpus: interrupted by a signal; nothing was written")
	assert.Equal(t, before, statsText(t, out))
	assert.Empty(t, leftovers(t, out))
}

// TestRacingBuilders runs builders on one -out at once: while one holds
// the lock another refuses at once, naming the holder's pid, and one with
// -wait waits and builds after it; started together, each either builds
// or refuses, and -out always holds a complete corpus.
func TestRacingBuilders(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	out := filepath.Join(dir, "out")
	hooks := t.TempDir()
	first := start(t, "step=locked,dir="+hooks, "-q", "-no-anonymize", "-shard-rows", "1000", "-out", out)
	waitFor(t, filepath.Join(hooks, "locked.reached"), first)

	refused := start(t, "", "-q", "-no-anonymize", "-out", out)
	assert.Equal(t, 1, refused.wait(t))
	assert.Contains(t, refused.stderr.String(), fmt.Sprintf("another build is writing this output directory: process %d holds its lock %s", first.cmd.Process.Pid, filepath.Join(dir, ".out.lock")))
	assert.Contains(t, refused.stderr.String(), "-wait")

	waiting := start(t, "", "-no-anonymize", "-wait", "-out", out)
	waiting.waitUntil(t, "the waiting message", func() bool {
		return strings.Contains(waiting.stderr.String(), fmt.Sprintf("corpus: warning: waiting for the build of %s by process %d", out, first.cmd.Process.Pid))
	})
	assert.NoDirExists(t, out)
	require.NoError(t, os.WriteFile(filepath.Join(hooks, "locked.continue"), nil, 0o600))
	assert.Equal(t, 0, first.wait(t), first.stderr.String())
	assert.Equal(t, 0, waiting.wait(t), waiting.stderr.String())
	for _, split := range []string{"train", "test"} {
		assert.Len(t, shards(t, out, split), 1, "the waiting build's corpus (the first wrote 1,000-row shards)")
	}
	checkAccounting(t, out)
	assert.Empty(t, leftovers(t, out))

	// Started together: each builds or refuses; never a mixed or an
	// empty corpus.
	for _, wait := range []bool{false, true} {
		args := []string{"-q", "-no-anonymize", "-out", out}
		if wait {
			args = append(args, "-wait")
		}
		a, b := start(t, "", args...), start(t, "", args...)
		codes := []int{a.wait(t), b.wait(t)}
		built := 0
		for i, p := range []*proc{a, b} {
			if codes[i] == 0 {
				built++
				continue
			}
			assert.False(t, wait, "a waiting builder failed: %s", p.stderr.String())
			assert.Contains(t, p.stderr.String(), "another build is writing this output directory")
		}
		assert.Positive(t, built)
		checkAccounting(t, out)
		checkCard(t, out)
		assert.Empty(t, leftovers(t, out))
	}
}

// TestKillDuringCommit kills the builder (kill -9) at each step of the
// commit, with the atomic exchange and with the two-rename fallback: -out
// then holds a complete corpus, the previous one before the swap and the
// new one after it (the fallback's window between its renames excepted,
// where it is missing), and the next build puts back or removes what was
// left, says so, and builds.
func TestKillDuringCommit(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		step, mode string
		newCorpus  bool // at -out after the kill
	}{
		{"synced", "", false},
		{"swapped", "", true},
		{"removing-old", "", true},
		{"between-renames", "fallback", false},
		{"removing-old", "fallback", true},
	} {
		t.Run(strings.Trim(c.step+" "+c.mode, " "), func(t *testing.T) {
			t.Parallel()
			out := filepath.Join(t.TempDir(), "out")
			before := oldCorpus(t, out)
			hooks := t.TempDir()
			p := start(t, "step="+c.step+","+c.mode+",dir="+hooks, "-q", "-no-anonymize", "-out", out)
			waitFor(t, filepath.Join(hooks, c.step+".reached"), p)
			require.NoError(t, p.cmd.Process.Kill())
			p.wait(t)
			require.NotEmpty(t, leftovers(t, out))
			switch {
			case c.step == "between-renames":
				assert.NoDirExists(t, out) // the fallback's documented window
			case c.newCorpus:
				assert.NotEqual(t, before, statsText(t, out))
				assert.Len(t, shards(t, out, "train"), 1)
				checkAccounting(t, out)
				checkCard(t, out)
			default:
				assert.Equal(t, before, statsText(t, out))
				checkAccounting(t, out)
				checkCard(t, out)
			}

			next := start(t, "", "-no-anonymize", "-out", out)
			require.Equal(t, 0, next.wait(t), next.stderr.String())
			warnings := next.stderr.String()
			assert.Contains(t, warnings, "that was interrupted left behind")
			if c.step == "between-renames" {
				assert.Contains(t, warnings, "restored the previous corpus "+out)
			}
			assert.Empty(t, leftovers(t, out))
			checkAccounting(t, out)
			checkCard(t, out)
		})
	}
}

// TestEndlessInput feeds 2 GiB of zero bytes (one endless line, as
// -in /dev/zero gives) through a FIFO: the line limit keeps the whole
// process's peak RSS under 500 MB, and since every line is an error the
// build fails without -allow-empty.
func TestEndlessInput(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 2 GiB")
	}
	t.Parallel()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "zero.log")
	require.NoError(t, syscall.Mkfifo(fifo, 0o600))
	const total = 2 << 30
	written := make(chan int64, 1)
	go func() {
		var n int64
		defer func() { written <- n }()
		f, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			return
		}
		defer f.Close()
		zeros := make([]byte, 1<<20)
		for n < total {
			k, err := f.Write(zeros)
			n += int64(k)
			if err != nil {
				return
			}
		}
	}()
	p := start(t, "", "-q", "-no-anonymize", "-in", fifo, "-out", filepath.Join(dir, "out"))
	code := p.wait(t)
	n := <-written
	rss := p.cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss * 1024 // KiB on Linux
	t.Logf("read %d bytes of zeros; peak RSS %.1f MB; stderr: %s", n, float64(rss)/1e6, p.stderr.String())
	assert.EqualValues(t, total, n, "the whole input was read")
	assert.Equal(t, 1, code)
	assert.Contains(t, p.stderr.String(), "most input lines are not Tetragon events: 1 of 1 non-blank line could not be read")
	assert.Less(t, rss, int64(500e6))
	assert.NoDirExists(t, filepath.Join(dir, "out"))
}
