package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
	"github.com/tetrahids/tetrahids/examples/live/internal/metrics"
	"github.com/tetrahids/tetrahids/examples/live/internal/score"
	"github.com/tetrahids/tetrahids/examples/live/internal/service"
	"github.com/tetrahids/tetrahids/examples/live/internal/testexport"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// scoringFixture is a generated stream for the scoring tests: a model
// and a seed graph fitted on its first quarter (files in a directory
// removed by TestMain), the remaining lines, and what one uninterrupted
// run of the scorer writes for them.
type scoringFixture struct {
	model, graph string
	lines        [][]byte
	want         []string // output lines of one run
	keptBefore   []int    // keptBefore[i]: output lines of input lines before i
}

var (
	fixtureOnce sync.Once
	fixtureDir  string
	theFixture  *scoringFixture
	fixtureErr  error
)

// testFixture returns the shared fixture of the scoring tests.
func testFixture(t *testing.T) *scoringFixture {
	t.Helper()
	n := 30000
	if testing.Short() { // CI's run with the race detector
		n = 8000
	}
	fixtureOnce.Do(func() { theFixture, fixtureErr = newScoringFixture(n) })
	if fixtureErr != nil {
		t.Fatal(fixtureErr)
	}
	return theFixture
}

func newScoringFixture(n int) (*scoringFixture, error) {
	dir, err := os.MkdirTemp("", "live-fixture")
	if err != nil {
		return nil, err
	}
	fixtureDir = dir
	f := &scoringFixture{model: filepath.Join(dir, "model.bin"), graph: filepath.Join(dir, "train.graph")}
	g := synth.New(synth.Config{Seed: 9, Events: n})
	var train [][]byte
	for i := range n {
		line := bytes.Clone(bytes.TrimSuffix(g.Next(), []byte{'\n'}))
		if i < n/4 {
			train = append(train, line)
		} else {
			f.lines = append(f.lines, line)
		}
	}
	model, err := fitTrain(train, tetraparse.Config{}, f.graph)
	if err != nil {
		return nil, err
	}
	if err := writeModel(model, f.model); err != nil {
		return nil, err
	}
	// One uninterrupted run, a flush after every line to attribute the
	// output to the lines.
	seed, err := os.Open(f.graph)
	if err != nil {
		return nil, err
	}
	defer seed.Close()
	p, err := score.New(score.Config{Model: model, Seed: seed, Threshold: defaultThreshold(model), Counters: new(metrics.Counters)})
	if err != nil {
		return nil, err
	}
	defer p.Close()
	var out bytes.Buffer
	kept := 0
	for _, l := range f.lines {
		f.keptBefore = append(f.keptBefore, kept)
		before := out.Len()
		if err := p.Process(l, &out); err != nil {
			return nil, err
		}
		if err := p.Flush(&out); err != nil {
			return nil, err
		}
		kept += bytes.Count(out.Bytes()[before:], []byte{'\n'})
	}
	f.want = strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	return f, nil
}

func defaultThreshold(m baseline.Model) float64 {
	v, _ := score.ParseThreshold(score.DefaultThreshold, m)
	return v
}

// fitTrain does with the library what examples/corpus and
// examples/baseline do for a training split: it parses the lines with
// cfg, writes their lineage graph to graphPath (the seed of a service),
// encodes them with that graph and fits the n-gram in event-time order.
func fitTrain(lines [][]byte, cfg tetraparse.Config, graphPath string) (*baseline.Ngram, error) {
	probe, err := encode.New(nil, nil)
	if err != nil {
		return nil, err
	}
	cfg.Columns = probe.RawColumns()
	p, err := tetraparse.New(cfg)
	if err != nil {
		return nil, err
	}
	var raw []arrow.RecordBatch
	graph := lineage.New()
	for rec, err := range p.Records(bytes.NewReader(append(bytes.Join(lines, []byte{'\n'}), '\n')), "train") {
		if err != nil {
			return nil, err
		}
		rec.Retain()
		raw = append(raw, rec)
		if err := graph.AddBatch(rec); err != nil {
			return nil, err
		}
	}
	if err := writeGraph(graph, graphPath); err != nil {
		return nil, err
	}
	enc, err := encode.New(nil, graph)
	if err != nil {
		return nil, err
	}
	type row struct {
		t          int64
		pid, token string
	}
	var rows []row
	for _, rec := range raw {
		e, err := enc.Encode(rec)
		if err != nil {
			return nil, err
		}
		sc := e.Schema()
		ts := e.Column(sc.FieldIndices("event_time")[0]).(*array.Timestamp)
		pid := e.Column(sc.FieldIndices("proc_exec_id")[0]).(*array.String)
		tok := e.Column(sc.FieldIndices("token")[0]).(*array.String)
		for i := range int(e.NumRows()) {
			if ts.IsNull(i) {
				continue // cannot be placed in time, as examples/baseline leaves it out
			}
			rows = append(rows, row{int64(ts.Value(i)), strings.Clone(pid.Value(i)), strings.Clone(tok.Value(i))})
		}
		e.Release()
		rec.Release()
	}
	slices.SortStableFunc(rows, func(a, b row) int { return cmp.Compare(a.t, b.t) })
	tr, err := baseline.NewNgramTrainer()
	if err != nil {
		return nil, err
	}
	for _, r := range rows {
		if err := tr.Add(r.pid, r.token); err != nil {
			return nil, err
		}
	}
	return tr.Fit()
}

func writeGraph(g *lineage.Graph, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := g.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func writeModel(m baseline.Model, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := m.WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readLines reads a file's lines ("" lines excluded).
func readLines(t *testing.T, path string) []string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		out = append(out, sc.Text())
	}
	return out
}

// waitLines waits until the file holds at least n lines.
func waitLines(t *testing.T, path string, n int) {
	t.Helper()
	deadline := time.Now().Add(90 * time.Second)
	for len(readLines(t, path)) < n {
		if time.Now().After(deadline) {
			t.Fatalf("%d output lines, waited for %d", len(readLines(t, path)), n)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// exporter writes the fixture's lines as Tetragon's exporter writes its
// file: rotated every `every` lines to gzip'd backups, and truncated once
// (`: > file`) at line truncateAt (0: never), once the service has scored
// every line before it (a truncation loses what was not read yet). The
// first rotation waits until the service has written a line: a first
// start without state reads the file at the path, not the backups
// rotated before it looked. Lines are paced so that the stream spans
// several runs of the service.
func (f *scoringFixture) exporter(t *testing.T, path, out string, every, truncateAt int) <-chan struct{} {
	e := testexport.New(t, path)
	e.Compress = true
	scored := func() int { return len(readLines(t, out)) }
	return testexport.Stream{
		N:       len(f.lines),
		Line:    func(i int) string { return string(f.lines[i]) },
		Every:   every,
		Pace:    100,
		Started: func() bool { return scored() > 0 },
		Before: func(e *testexport.Exporter, i int) {
			if i == truncateAt && i > 0 {
				testexport.WaitFor(time.Minute, 5*time.Millisecond, func() bool { return scored() >= f.keptBefore[i] })
				e.Truncate()
			}
		},
	}.Start(t, e)
}

// requireWant checks that got is the uninterrupted run's output.
func (f *scoringFixture) requireWant(t *testing.T, got []string) {
	t.Helper()
	if len(got) != len(f.want) {
		t.Errorf("%d lines out, want %d", len(got), len(f.want))
	}
	for i := range min(len(got), len(f.want)) {
		if got[i] != f.want[i] {
			t.Fatalf("output line %d differs from one uninterrupted run's:\n got %s\nwant %s", i, got[i], f.want[i])
		}
	}
}

// TestScoredRotation: the service follows a file that is written,
// rotated to gzip'd backups several times and truncated once, and scores
// every kept line exactly once: its output is, line for line, what one
// run over the lines writes.
func TestScoredRotation(t *testing.T) {
	f := testFixture(t)
	dir := t.TempDir()
	in, outPath := filepath.Join(dir, "tetragon.log"), filepath.Join(dir, "out.jsonl")
	model, err := os.ReadFile(f.model)
	if err != nil {
		t.Fatal(err)
	}
	m, err := baseline.Load(bytes.NewReader(model))
	if err != nil {
		t.Fatal(err)
	}
	seed, err := os.Open(f.graph)
	if err != nil {
		t.Fatal(err)
	}
	defer seed.Close()
	c := new(metrics.Counters)
	p, err := score.New(score.Config{Model: m, Seed: seed, Threshold: defaultThreshold(m), Counters: c, Source: "tetragon.log"})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	out, err := os.OpenFile(outPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	defer out.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- service.Run(ctx, service.Config{Follow: in, Out: out, Counters: c, CheckpointEvery: time.Hour}, p)
	}()
	written := f.exporter(t, in, outPath, len(f.lines)/7, len(f.lines)*6/10)
	<-written
	waitLines(t, outPath, len(f.want))
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	f.requireWant(t, readLines(t, outPath))
	s := c.Snapshot(followStatsZero)
	if s.Kept != uint64(len(f.want)) || s.Lines != uint64(len(f.lines)) {
		t.Errorf("counts: %d lines, %d kept; want %d and %d", s.Lines, s.Kept, len(f.lines), len(f.want))
	}
	t.Logf("%d lines through 6 rotations and a truncation: %d kept, scored once each; dropped %v; input gaps %v", s.Lines, s.Kept, s.Dropped, s.Gaps)
}

// scoringArgs are the program's flags for the fixture.
func (f *scoringFixture) args(in, out, st string) []string {
	return []string{"-model", f.model, "-lineage", f.graph, "-follow", in, "-out", out, "-state", st,
		"-checkpoint-every", "50ms", "-status-every", "0"}
}

// TestScoringSignalsExactlyOnce runs the program in its scoring mode on a
// stream being written and rotated, stops it with SIGTERM, SIGHUP and
// SIGINT in turn and restarts it with the same -state: its output is,
// line for line, that of one uninterrupted run: each kept line scored
// once, with the scores an uninterrupted run gives.
func TestScoringSignalsExactlyOnce(t *testing.T) {
	skipShort(t)
	f := testFixture(t)
	dir := t.TempDir()
	in, out, st := filepath.Join(dir, "tetragon.log"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "state")
	args := f.args(in, out, st)
	p := start(t, args...)
	written := f.exporter(t, in, out, 2500, 0)
	for i, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGHUP, syscall.SIGINT} {
		if i > 0 {
			p = start(t, args...)
		}
		waitLines(t, out, (i+1)*len(f.want)/5)
		if code := p.stop(t, sig); code != 0 {
			t.Fatalf("%v: exit code %d\n%s", sig, code, p.stderr)
		}
		if !strings.Contains(p.stderr.String(), "final checkpoint written") {
			t.Errorf("%v: no final checkpoint logged:\n%s", sig, p.stderr)
		}
	}
	p = start(t, args...)
	<-written
	waitLines(t, out, len(f.want))
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d\n%s", code, p.stderr)
	}
	f.requireWant(t, readLines(t, out))
}

// TestScoringKillReadsAgain: after kill -9 the restarted program resumes
// from its last checkpoint: the lines scored after it are scored again,
// with the same scores, and none is missing. The output is one run's
// lines 0..a-1, then b..end with b ≤ a.
func TestScoringKillReadsAgain(t *testing.T) {
	skipShort(t)
	f := testFixture(t)
	dir := t.TempDir()
	in, out, st := filepath.Join(dir, "tetragon.log"), filepath.Join(dir, "out.jsonl"), filepath.Join(dir, "state")
	args := f.args(in, out, st)
	args[len(args)-3] = "200ms" // -checkpoint-every
	p := start(t, args...)
	written := f.exporter(t, in, out, 2500, 0)
	waitLines(t, out, len(f.want)/3)
	if code := p.stop(t, syscall.SIGKILL); code != -1 {
		t.Fatalf("kill -9: exit code %d", code)
	}
	first := len(readLines(t, out))
	p = start(t, args...)
	<-written
	deadline := time.Now().Add(90 * time.Second)
	for {
		got := readLines(t, out)
		if len(got) > 0 && got[len(got)-1] == f.want[len(f.want)-1] {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the last line never came out (%d lines)", len(got))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if code := p.stop(t, syscall.SIGTERM); code != 0 {
		t.Fatalf("exit code %d\n%s", code, p.stderr)
	}
	got := readLines(t, out)
	f.requireWantPrefix(t, got[:first])
	b := slices.Index(f.want, got[first])
	if b < 0 || b > first {
		t.Fatalf("the restart's first line is line %d of one run's; want one already written (≤ %d)", b, first)
	}
	f.requireWant(t, append(slices.Clone(f.want[:b]), got[first:]...))
	t.Logf("killed after %d lines; resumed at line %d: %d lines scored again, none missing", first, b, first-b)
}

// followStatsZero is the input statistics of a Snapshot read for counts.
var followStatsZero follow.Stats

// requireWantPrefix checks that got is the start of one run's output.
func (f *scoringFixture) requireWantPrefix(t *testing.T, got []string) {
	t.Helper()
	for i, l := range got {
		if i >= len(f.want) || l != f.want[i] {
			t.Fatalf("output line %d is not one run's", i)
		}
	}
}
