package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/testexport"
)

// binary builds the program once for the tests that run it as a process.
func binary(t *testing.T) string {
	t.Helper()
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go tool to build the program:", err)
	}
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "live-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "live")
		out, err := exec.Command(goTool, "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = &buildError{err, out}
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// process is one run of the program.
type process struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
}

func start(t *testing.T, args ...string) *process {
	t.Helper()
	cmd := exec.Command(binary(t), args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &process{cmd: cmd, stderr: &stderr}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	return p
}

// stop sends sig and waits for the exit; it returns the exit code (-1 if
// killed by a signal).
func (p *process) stop(t *testing.T, sig syscall.Signal) int {
	t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		t.Fatal(err)
	}
	p.cmd.Wait()
	return p.cmd.ProcessState.ExitCode()
}

func outNums(t *testing.T, path string) []int {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var nums []int
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		nums = append(nums, testexport.Num(t, sc.Bytes()))
	}
	return nums
}

func waitOut(t *testing.T, path string, done func([]int) bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !done(outNums(t, path)) {
		if time.Now().After(deadline) {
			nums := outNums(t, path)
			t.Fatalf("output not complete in time: %d lines, last %v", len(nums), nums[max(0, len(nums)-3):])
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func atLeast(n int) func([]int) bool { return func(nums []int) bool { return len(nums) >= n } }

func endsWith(last int) func([]int) bool {
	return func(nums []int) bool { return len(nums) > 0 && nums[len(nums)-1] == last }
}

// writeStream writes n lines, rotating with gzip every `every` lines,
// paced so that the stream spans several runs of the program.
//
// The first rotation waits until the reader has output a line: a first
// start without state reads the file at the path, not the backups that
// were rotated before it looked.
func writeStream(t *testing.T, path string, n, every int, out string) <-chan struct{} {
	e := testexport.New(t, path)
	e.Compress = true
	started := func() bool { return len(outNums(t, out)) > 0 }
	return testexport.Stream{N: n, Every: every, Pace: 100, Started: started}.Start(t, e)
}

// TestSignalsExactlyOnce runs the program on a stream being written and
// rotated, stops it with SIGTERM, SIGHUP and SIGINT in turn (each: final
// checkpoint, exit 0) and restarts it with the same -state: every line is
// written to -out exactly once, in order.
func TestSignalsExactlyOnce(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	in, out, st := filepath.Join(dir, "tetragon.log"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "state")
	args := []string{"-passthrough", "-follow", in, "-out", out, "-state", st, "-checkpoint-every", "50ms", "-status-every", "0"}
	const n = 30000
	// The first run starts before the file exists (a first start reads
	// the file at the path from its start, not older backups).
	p := start(t, args...)
	written := writeStream(t, in, n, 2000, out)
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
		if i > 0 {
			p = start(t, args...)
		}
		waitOut(t, out, atLeast((i+1)*6000))
		if code := p.stop(t, sig); code != 0 {
			t.Fatalf("%v: exit code %d\n%s", sig, code, p.stderr)
		}
		if !strings.Contains(p.stderr.String(), "final checkpoint written") {
			t.Errorf("%v: no final checkpoint logged:\n%s", sig, p.stderr)
		}
	}
	p = start(t, args...)
	<-written
	waitOut(t, out, endsWith(n-1))
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d\n%s", code, p.stderr)
	}
	nums := outNums(t, out)
	if len(nums) != n {
		t.Errorf("%d lines out, want %d", len(nums), n)
	}
	for i, v := range nums {
		if v != i {
			t.Fatalf("output line %d is input line %d: lost or repeated", i, v)
		}
	}
}

// TestKillReadsAgain: after kill -9 the restarted program resumes from the
// last checkpoint: the lines written after it are written again, none is
// missing.
func TestKillReadsAgain(t *testing.T) {
	skipShort(t)
	dir := t.TempDir()
	in, out, st := filepath.Join(dir, "tetragon.log"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "state")
	args := []string{"-passthrough", "-follow", in, "-out", out, "-state", st, "-checkpoint-every", "100ms", "-status-every", "0"}
	const n = 20000
	p := start(t, args...)
	written := writeStream(t, in, n, 2000, out)
	waitOut(t, out, atLeast(8000))
	if code := p.stop(t, syscall.SIGKILL); code != -1 {
		t.Fatalf("kill -9: exit code %d", code)
	}
	first := len(outNums(t, out))
	p = start(t, args...)
	<-written
	waitOut(t, out, endsWith(n-1))
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d\n%s", code, p.stderr)
	}
	nums := outNums(t, out)
	for i := range first {
		if nums[i] != i {
			t.Fatalf("first run's line %d is %d", i, nums[i])
		}
	}
	b := nums[first]
	if b > first {
		t.Fatalf("the restart skipped lines %d..%d", first, b-1)
	}
	for i, v := range nums[first:] {
		if v != b+i {
			t.Fatalf("second run's line %d is %d, want %d", i, v, b+i)
		}
	}
	t.Logf("killed after %d lines; resumed at line %d: %d lines written again, none missing", first, b, first-b)
}

// TestUsage: bad flags exit 2; scoring needs a model, and -passthrough
// takes no scoring flag.
func TestUsage(t *testing.T) {
	var stderr bytes.Buffer
	for _, c := range []struct {
		args []string
		code int
		msg  string
	}{
		{[]string{"-nope"}, 2, "flag provided but not defined"},
		{nil, 2, "-model is required"},
		{[]string{"-passthrough", "extra"}, 2, "unexpected arguments"},
		{[]string{"-passthrough", "-model", "m.bin", "-hold-back", "1s"}, 2, "drop -hold-back -model"},
		{[]string{"-model", filepath.Join(t.TempDir(), "missing.bin")}, 1, "-model: open"},
		{[]string{"-model", "m.bin", "-target-inums", "12,x"}, 2, `-target-inums: "x"`},
		{[]string{"-model", "m.bin", "-select", "pod-name"}, 2, "-select:"},
		{[]string{"-model", "m.bin", "-schema", "0.9"}, 2, "-schema \"0.9\""},
	} {
		stderr.Reset()
		if code := run(c.args, nil, nil, &stderr); code != c.code || !strings.Contains(stderr.String(), c.msg) {
			t.Errorf("%q: exit %d, %q; want %d and %q", c.args, code, stderr.String(), c.code, c.msg)
		}
	}
}

// TestStdin: without -follow the program copies standard input and exits 0
// at its end.
func TestStdin(t *testing.T) {
	var stdout, stderr bytes.Buffer
	in := testexport.Line(1) + "\n" + testexport.Line(2) + "\n"
	if code := run([]string{"-passthrough", "-q", "-status-every", "0"}, strings.NewReader(in), &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr.String())
	}
	if stdout.String() != in {
		t.Errorf("output %q, want %q", stdout.String(), in)
	}
}

// skipShort skips the tests that run the program as a process under -short
// (CI's race run): the race detector sees only the test process, and the
// full run covers them.
func skipShort(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the program as a process; covered by the run without -short")
	}
}
