package service

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/metrics"
	"github.com/tetrahids/tetrahids/examples/live/internal/state"
	"github.com/tetrahids/tetrahids/examples/live/internal/testexport"
)

// batcher is a Processor that holds its output back until Flush, as a
// batching encoder does, and keeps a count as state: a checkpoint taken
// without flushing it first would lose lines.
type batcher struct {
	c       *metrics.Counters
	held    bytes.Buffer
	seen    uint64 // lines processed, saved in checkpoints
	flushes int
}

func (b *batcher) Process(line []byte, out io.Writer) error {
	b.held.Write(line)
	b.held.WriteByte('\n')
	b.seen++
	b.c.Kept()
	return nil
}

func (b *batcher) Flush(out io.Writer) error {
	b.flushes++
	_, err := b.held.WriteTo(out)
	return err
}

func (b *batcher) Sections() []state.Section {
	return []state.Section{state.BytesSection("batcher", []byte(strings.Repeat("x", int(b.seen%1000))))}
}

func (b *batcher) Restore(cp *state.Checkpoint) error {
	data, err := cp.Bytes("batcher")
	if err != nil {
		return err
	}
	b.seen = uint64(len(data))
	return nil
}

// outLines reads the output file's line numbers.
func outLines(t *testing.T, path string) []int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		if os.IsNotExist(err) {
			return nil
		}
		t.Fatal(err)
	}
	defer f.Close()
	var nums []int
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		nums = append(nums, testexport.Num(t, sc.Bytes()))
	}
	return nums
}

// run starts Run in a goroutine; stop cancels it and returns its error.
func run(t *testing.T, cfg Config, outPath string) (stop func() error, c *metrics.Counters) {
	t.Helper()
	out, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	c = new(metrics.Counters)
	cfg.Out, cfg.Counters = out, c
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg, &batcher{c: c}) }()
	return func() error {
		cancel()
		err := <-done
		out.Close()
		return err
	}, c
}

// waitLines waits until the output holds at least n lines.
func waitLines(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for len(outLines(t, path)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("output has %d lines, waited for %d", len(outLines(t, path)), n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// writeStream writes n lines in the background, rotating (with gzip of the
// backups, racing the reader) every `every` lines, paced so the stream
// spans several runs. The returned channel closes when it is done.
//
// The first rotation waits until the reader has output a line: a first
// start without state reads the file at the path, not the backups that
// were rotated before it looked.
func writeStream(t *testing.T, path string, n, every int, out string) <-chan struct{} {
	e := testexport.New(t, path)
	e.Compress = true
	started := func() bool { return len(outLines(t, out)) > 0 }
	return testexport.Stream{N: n, Every: every, Pace: 200, Started: started}.Start(t, e)
}

// TestRestartExactlyOnce: the service is stopped (the SIGTERM path) three
// times in the middle of a stream that is being rotated and compressed,
// and restarted with the same state directory each time. The output holds
// every line exactly once, in order, and the counts saved across the
// restarts add up.
func TestRestartExactlyOnce(t *testing.T) {
	dir := t.TempDir()
	in, out, st := filepath.Join(dir, "tetragon.log"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "state")
	const n = 20000
	cfg := Config{Follow: in, StateDir: st, CheckpointEvery: 30 * time.Millisecond}
	written := writeStream(t, in, n, 1500, out)
	for _, at := range []int{2000, 7000, 12000} {
		stop, _ := run(t, cfg, out)
		waitLines(t, out, at)
		if err := stop(); err != nil {
			t.Fatalf("stop at %d lines: %v", at, err)
		}
	}
	stop, c := run(t, cfg, out)
	<-written
	waitLines(t, out, n)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	nums := outLines(t, out)
	if len(nums) != n {
		t.Errorf("%d lines out, want %d", len(nums), n)
	}
	for i, v := range nums {
		if v != i {
			t.Fatalf("output line %d is input line %d: lost or repeated; around it %v", i, v, nums[max(0, i-3):min(len(nums), i+3)])
		}
	}
	s := c.Snapshot(followStats{})
	if s.Lines != n || s.Kept != n || s.Checkpoints == 0 {
		t.Errorf("counts across restarts: lines %d kept %d checkpoints %d, want %d lines and kept", s.Lines, s.Kept, s.Checkpoints, n)
	}
}

// TestCrashReadsAgain: after a crash the service resumes from its last
// checkpoint, older than the output: the lines after it are processed
// again, none is skipped. The crash is simulated by putting back a
// checkpoint taken earlier in the run (what kill -9 leaves: the output of
// the lines after it is already written).
func TestCrashReadsAgain(t *testing.T) {
	dir := t.TempDir()
	in, out, st := filepath.Join(dir, "tetragon.log"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "state")
	const n = 12000
	cfg := Config{Follow: in, StateDir: st, CheckpointEvery: 20 * time.Millisecond}
	written := writeStream(t, in, n, 1500, out)
	stop, _ := run(t, cfg, out)
	waitLines(t, out, 3000)
	var early []byte
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(time.Millisecond) {
		var err error
		if early, err = os.ReadFile(filepath.Join(st, "checkpoint")); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
	}
	waitLines(t, out, 6000)
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	os.Remove(filepath.Join(st, "checkpoint.prev"))
	if err := os.WriteFile(filepath.Join(st, "checkpoint"), early, 0o600); err != nil {
		t.Fatal(err)
	}
	firstRun := len(outLines(t, out))
	stop, _ = run(t, cfg, out)
	<-written
	deadline := time.Now().Add(60 * time.Second)
	for {
		nums := outLines(t, out)
		if len(nums) > 0 && nums[len(nums)-1] == n-1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the last line never came out")
		}
		time.Sleep(5 * time.Millisecond)
	}
	if err := stop(); err != nil {
		t.Fatal(err)
	}
	nums := outLines(t, out)
	// 0..firstRun-1, then the second run from the early checkpoint: b..n-1.
	for i := range firstRun {
		if nums[i] != i {
			t.Fatalf("first run's line %d is %d", i, nums[i])
		}
	}
	b := nums[firstRun]
	if b > firstRun || b < 1 {
		t.Fatalf("second run starts at line %d; want a line already processed (re-read), at most %d", b, firstRun)
	}
	for i, v := range nums[firstRun:] {
		if v != b+i {
			t.Fatalf("second run's line %d is %d, want %d", i, v, b+i)
		}
	}
	if len(nums) != firstRun+n-b {
		t.Errorf("%d lines, want %d", len(nums), firstRun+n-b)
	}
	t.Logf("first run wrote %d lines; the second resumed at line %d: %d lines read again, none skipped", firstRun, b, firstRun-b)
}

// TestStdinEOF: standard input is read to its end; the final checkpoint
// holds the counts and the processor's state, and no input position.
func TestStdinEOF(t *testing.T) {
	dir := t.TempDir()
	var in strings.Builder
	for i := range 100 {
		in.WriteString(testexport.Line(i) + "\n")
	}
	in.WriteString(strings.Repeat("z", 2000) + "\n")
	var out bytes.Buffer
	c := new(metrics.Counters)
	err := Run(context.Background(), Config{In: strings.NewReader(in.String()), Out: &out, StateDir: dir, Counters: c,
		Input: followOptions(1000)}, &batcher{c: c})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(out.String(), "\n"); got != 100 {
		t.Errorf("%d lines out", got)
	}
	s := c.Snapshot(followStats{})
	if s.InputDropped["line_too_long"] != 1 || s.Lines != 100 {
		t.Errorf("counts %+v", s)
	}
	store, _ := state.Open(dir)
	defer store.Close()
	cp, err := store.Load()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if _, err := cp.Section(InputSection); !errors.Is(err, state.ErrNoSection) {
		t.Errorf("a stream's position was saved: %v", err)
	}
}

// TestCorruptStateRefused: a state directory whose checkpoints are all
// damaged stops the service from starting, rather than starting afresh.
func TestCorruptStateRefused(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "checkpoint"), []byte("THLSTATE\x01\x00\x00\x00\x00\x00\x00\x00 and then nonsense, long enough to be looked at..........."), 0o600)
	err := Run(context.Background(), Config{In: strings.NewReader(""), StateDir: dir}, &batcher{c: new(metrics.Counters)})
	if !errors.Is(err, ErrState) || !errors.Is(err, state.ErrCorrupt) {
		t.Fatalf("%v, want ErrState and ErrCorrupt", err)
	}
}

// TestStatusAndMetrics: status lines are printed while running, and the
// metrics endpoint serves the counts.
func TestStatusAndMetrics(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "tetragon.log")
	e := testexport.New(t, in)
	for i := range 50 {
		e.Write(testexport.Line(i))
	}
	var status syncBuffer
	addr := make(chan string, 1)
	ctx, cancel := context.WithCancel(context.Background())
	c := new(metrics.Counters)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Config{Follow: in, StatusEvery: 10 * time.Millisecond, Status: &status, MetricsAddr: "127.0.0.1:0",
			Counters: c, OnMetrics: func(a string) { addr <- a }}, &batcher{c: c})
	}()
	a := <-addr
	var body string
	for deadline := time.Now().Add(30 * time.Second); ; {
		body = get(t, "http://"+a+"/metrics")
		if strings.Contains(body, "\ntetrahids_live_events_kept_total 50\n") && strings.Count(status.String(), "\n") >= 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("metrics:\n%s\nstatus:\n%s", body, status.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(status.String(), "lines 50 (") {
		t.Errorf("status lines:\n%s", status.String())
	}
}

// holder is a Drainer: it holds every line until Drain, keeping the held
// lines in its Sections.
type holder struct {
	held   []string
	drains int
	taken  atomic.Int32 // lines processed, for the test's goroutine
}

func (h *holder) Process(line []byte, out io.Writer) error {
	h.held = append(h.held, string(line))
	h.taken.Add(1)
	return nil
}

func (h *holder) Flush(io.Writer) error { return nil }

func (h *holder) Drain(out io.Writer) error {
	h.drains++
	for _, l := range h.held {
		io.WriteString(out, l+"\n")
	}
	h.held = nil
	return nil
}

func (h *holder) Sections() []state.Section {
	return []state.Section{state.BytesSection("held", []byte(strings.Join(h.held, "\n")))}
}

func (h *holder) Restore(cp *state.Checkpoint) error {
	b, err := cp.Bytes("held")
	if err == nil && len(b) > 0 {
		h.held = strings.Split(string(b), "\n")
	}
	return err
}

// TestDrainer: what a Drainer holds is written at the end of the input,
// and at a stop without a state directory; a stop with one saves it in
// the checkpoint, and the next run takes it up again.
func TestDrainer(t *testing.T) {
	in := "a\nb\nc\n"
	var out bytes.Buffer
	h := &holder{}
	if err := Run(context.Background(), Config{In: strings.NewReader(in), Out: &out}, h); err != nil {
		t.Fatal(err)
	}
	if out.String() != in || h.drains != 1 {
		t.Errorf("at the end of the input: %q written, %d drains", out.String(), h.drains)
	}

	dir := t.TempDir()
	path := filepath.Join(dir, "tetragon.log")
	os.WriteFile(path, []byte(in), 0o600)
	for _, st := range []string{"", filepath.Join(dir, "state")} {
		out.Reset()
		h := &holder{}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- Run(ctx, Config{Follow: path, Out: &out, StateDir: st, CheckpointEvery: time.Hour}, h) }()
		for deadline := time.Now().Add(30 * time.Second); h.taken.Load() < 3; time.Sleep(5 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatal("the lines were not processed")
			}
		}
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
		if st == "" {
			if out.String() != in {
				t.Errorf("stopped without state: %q written", out.String())
			}
			continue
		}
		if out.Len() != 0 {
			t.Errorf("stopped with state: %q written, want the lines kept in the checkpoint", out.String())
		}
		h2 := &holder{}
		if err := Run(context.Background(), Config{In: strings.NewReader("d\n"), Out: &out, StateDir: st}, h2); err != nil {
			t.Fatal(err)
		}
		if out.String() != in+"d\n" {
			t.Errorf("after the restart: %q written", out.String())
		}
	}
}
