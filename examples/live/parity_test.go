package main

import (
	"bufio"
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/internal/jsonstr"
)

// parityCase is a train/test pair of Tetragon export files and the filter
// flags both the corpus builder and the service take.
type parityCase struct {
	name, train, test, labels string
	filters                   []string
}

// TestParityWithBaseline builds a corpus with examples/corpus (and the
// training split's graph, -lineage-out), fits and scores it with
// examples/baseline (n-gram and IsolationForest), runs the service over
// the test split's export with that graph as its seed, as the corpus
// seeded its test split, and compares every event's score with
// examples/baseline's scores.parquet.
//
// An n-gram score must equal the batch score when the event's process
// has its events in time order in the file (the batch scores each split
// in event-time order, the service in arrival order) and the tokens of
// its process so far are the corpus's; a forest score must equal it when
// the event's features are the corpus's. Every other event is counted
// by cause. The comparison runs without and with -hold-back, on the
// shared samples (the README of ../shared/golden gives the flags) and on
// a generated stream.
func TestParityWithBaseline(t *testing.T) {
	skipShort(t)
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go tool to run examples/corpus and examples/baseline")
	}
	var cases []parityCase
	if td := goldentest.SharedTestdata(); td != "" {
		s := filepath.Join(td, "tetragon")
		cases = append(cases, parityCase{
			name: "shared samples", train: filepath.Join(s, "sample-train.jsonl"), test: filepath.Join(s, "sample-small.jsonl"),
			labels:  filepath.Join(s, "sample-small.labels.csv"),
			filters: []string{"-target-inums", "4026533329,4026533387", "-sentinels", filepath.Join(s, "sample.sentinels.csv")},
		})
	} else {
		t.Log("../shared not present: generated data only")
	}
	cases = append(cases, generatedCase(t, 40000))
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { c.run(t) })
	}
}

// generatedCase writes n events of examples/synth, the first quarter as
// the training split, with its labels.
func generatedCase(t *testing.T, n int) parityCase {
	dir := t.TempDir()
	all, labels := filepath.Join(dir, "all.jsonl"), filepath.Join(dir, "labels.csv")
	goRun(t, "./examples/synth", "-events", strconv.Itoa(n), "-seed", "3", "-out", all, "-labels", labels, "-q")
	b, err := os.ReadFile(all)
	if err != nil {
		t.Fatal(err)
	}
	lines := bytes.SplitAfter(b, []byte{'\n'})
	c := parityCase{name: "generated", train: filepath.Join(dir, "train.jsonl"), test: filepath.Join(dir, "test.jsonl"), labels: labels}
	if err := os.WriteFile(c.train, bytes.Join(lines[:n/4], nil), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(c.test, bytes.Join(lines[n/4:], nil), 0o600); err != nil {
		t.Fatal(err)
	}
	return c
}

// goRun runs a program of the library's module from its root.
func goRun(t *testing.T, pkg string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", append([]string{"run", pkg}, args...)...)
	cmd.Dir = filepath.Join("..", "..")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go run %s %q: %v\n%s", pkg, args, err, out)
	}
}

func (c parityCase) run(t *testing.T) {
	dir := t.TempDir()
	corpus, graph := filepath.Join(dir, "corpus"), filepath.Join(dir, "train.graph")
	goRun(t, "./examples/corpus", append([]string{"-train-in", c.train, "-test-in", c.test, "-labels", c.labels,
		"-no-anonymize", "-force", "-no-label-columns", "-lineage-out", graph, "-q", "-out", corpus}, c.filters...)...)
	rows := readCorpusTest(t, corpus)
	args := append([]string{"-features", "-q", "-status-every", "0", "-threshold", "0"}, c.filters...)
	for _, model := range []string{"ngram", "iforest"} {
		out := filepath.Join(dir, model)
		goRun(t, "./examples/baseline", "-corpus", corpus, "-labels", c.labels, "-model", model, "-out", out)
		batch := readBatchScores(t, filepath.Join(out, "scores.parquet"), rows)
		for _, hold := range []string{"0", "5s"} {
			var stdout, stderr bytes.Buffer
			in, err := os.Open(c.test)
			if err != nil {
				t.Fatal(err)
			}
			code := run(append([]string{"-model", filepath.Join(out, "model.bin"), "-lineage", graph, "-hold-back", hold}, args...), in, &stdout, &stderr)
			in.Close()
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr.String())
			}
			r := compareParity(t, model, rows, batch, stdout.Bytes())
			t.Logf("%s, -hold-back %s: %d of %d events (%.2f %%) have examples/baseline's score; %d of the %d whose process comes in time order with the corpus's tokens (or, forest, with the corpus's features): all; the others by cause: %v",
				model, hold, r.equal, r.total, 100*float64(r.equal)/float64(r.total), r.comparableEqual, r.comparable, r.causes)
		}
	}
}

// corpusRow is a row of the corpus's test split, in file order.
type corpusRow struct {
	time     int64
	hasTime  bool
	pid      string
	token    string
	features string // the 61 columns as encode.Features.AppendJSON writes them
}

func readCorpusTest(t *testing.T, corpus string) []corpusRow {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(corpus, "data", "test-*.parquet"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no test shards in %s: %v", corpus, err)
	}
	slices.Sort(paths)
	var rows []corpusRow
	for _, p := range paths {
		eachRecord(t, p, func(rec arrow.RecordBatch) {
			sc := rec.Schema()
			ts := rec.Column(sc.FieldIndices("event_time")[0]).(*array.Timestamp)
			pid := rec.Column(sc.FieldIndices("proc_exec_id")[0]).(*array.String)
			tok := rec.Column(sc.FieldIndices("token")[0]).(*array.String)
			for i := range int(rec.NumRows()) {
				rows = append(rows, corpusRow{time: int64(ts.Value(i)), hasTime: ts.IsValid(i), pid: pid.Value(i), token: tok.Value(i), features: rowJSON(rec, i)})
			}
		})
	}
	return rows
}

func eachRecord(t *testing.T, path string, fn func(arrow.RecordBatch)) {
	t.Helper()
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		t.Fatal(err)
	}
	defer pf.Close()
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, memory.DefaultAllocator)
	if err != nil {
		t.Fatal(err)
	}
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer rr.Release()
	for rr.Next() {
		fn(rr.RecordBatch())
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		t.Fatal(err)
	}
}

// rowJSON writes row i as encode.Features.AppendJSON writes an event.
func rowJSON(rec arrow.RecordBatch, i int) string {
	var b []byte
	b = append(b, '{')
	for c := range int(rec.NumCols()) {
		if c > 0 {
			b = append(b, ',')
		}
		b = jsonstr.Append(b, rec.ColumnName(c))
		b = append(b, ':')
		col := rec.Column(c)
		if col.IsNull(i) {
			b = append(b, "null"...)
			continue
		}
		switch a := col.(type) {
		case *array.String:
			b = jsonstr.Append(b, a.Value(i))
		case *array.Timestamp:
			b = strconv.AppendInt(b, int64(a.Value(i)), 10)
		default:
			b = append(b, col.ValueStr(i)...) // integers and booleans
		}
	}
	return string(append(b, '}'))
}

// readBatchScores maps examples/baseline's scores, in its evaluated order
// (each split stably sorted by event_time, rows without one left out), to
// the corpus rows (nil for a row without a time, which has no score).
func readBatchScores(t *testing.T, path string, rows []corpusRow) []*float32 {
	t.Helper()
	var order []int
	for i, r := range rows {
		if r.hasTime {
			order = append(order, i)
		}
	}
	slices.SortStableFunc(order, func(a, b int) int { return cmp.Compare(rows[a].time, rows[b].time) })
	out := make([]*float32, len(rows))
	j := 0
	eachRecord(t, path, func(rec arrow.RecordBatch) {
		sc := rec.Schema()
		ts := rec.Column(sc.FieldIndices("event_time")[0]).(*array.Timestamp)
		pid := rec.Column(sc.FieldIndices("proc_exec_id")[0]).(*array.String)
		score := rec.Column(sc.FieldIndices("score")[0]).(*array.Float32)
		for i := range int(rec.NumRows()) {
			r := order[j]
			if int64(ts.Value(i)) != rows[r].time || pid.Value(i) != rows[r].pid {
				t.Fatalf("scores.parquet row %d is (%d, %s), the corpus's row %d in time order (%d, %s)", j, ts.Value(i), pid.Value(i), r, rows[r].time, rows[r].pid)
			}
			v := score.Value(i)
			out[r] = &v
			j++
		}
	})
	if j != len(order) {
		t.Fatalf("scores.parquet has %d rows, the corpus %d with a time", j, len(order))
	}
	return out
}

// parityResult counts the events compared.
type parityResult struct {
	total, equal                int
	comparable, comparableEqual int
	causes                      map[string]int
}

// compareParity pairs the service's lines with the corpus rows (each
// process's events in order: the service may release held events later,
// never out of their process's order) and compares the scores.
func compareParity(t *testing.T, model string, rows []corpusRow, batch []*float32, out []byte) parityResult {
	t.Helper()
	type line struct {
		EventTime *int64          `json:"event_time"`
		PID       string          `json:"proc_exec_id"`
		Token     string          `json:"token"`
		Score     float32         `json:"score"`
		Features  json.RawMessage `json:"features"`
	}
	byPID := map[string][]line{}
	n := 0
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l line
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("output %q: %v", sc.Bytes(), err)
		}
		byPID[l.PID] = append(byPID[l.PID], l)
		n++
	}
	if n != len(rows) {
		t.Fatalf("the service wrote %d events, the corpus has %d rows", n, len(rows))
	}
	// A process is in time order when its rows' times never decrease in
	// the file.
	inOrder, last := map[string]bool{}, map[string]int64{}
	for _, r := range rows {
		if _, seen := inOrder[r.pid]; !seen {
			inOrder[r.pid] = true
		}
		if l, ok := last[r.pid]; !r.hasTime || ok && r.time < l {
			inOrder[r.pid] = false
		}
		last[r.pid] = r.time
	}
	res := parityResult{causes: map[string]int{}}
	next, sameSoFar := map[string]int{}, map[string]bool{}
	for i, r := range rows {
		k := next[r.pid]
		next[r.pid]++
		l := byPID[r.pid][k]
		if r.hasTime && (l.EventTime == nil || *l.EventTime != r.time) {
			t.Fatalf("row %d: the service's event %d of process %s is at %v, the corpus's at %d", i, k, r.pid, l.EventTime, r.time)
		}
		same, seen := sameSoFar[r.pid]
		same = (same || !seen) && l.Token == r.token
		sameSoFar[r.pid] = same
		res.total++
		var cause string
		switch {
		case batch[i] == nil:
			cause = "no batch score (no event_time)"
		case model == "ngram" && !inOrder[r.pid]:
			cause = "its process's events are not in time order"
		case model == "ngram" && l.Token != r.token:
			cause = "its token differs (a parent seen after it)"
		case model == "ngram" && !same:
			cause = "an earlier token of its process differs"
		case model != "ngram" && string(l.Features) != r.features:
			cause = "its features differ (a parent seen after it)"
			if os.Getenv("PARITY_DEBUG") != "" && res.causes[cause] < 2 {
				var a, b map[string]any
				json.Unmarshal(l.Features, &a)
				if err := json.Unmarshal([]byte(r.features), &b); err != nil {
					t.Logf("row %d corpus json %v: %s", i, err, r.features)
				}
				for k := range b {
					if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
						t.Logf("row %d %s: live %v corpus %v", i, k, a[k], b[k])
					}
				}
				for k := range a {
					if _, ok := b[k]; !ok {
						t.Logf("row %d: live has %s", i, k)
					}
				}
			}
		}
		equal := batch[i] != nil && *batch[i] == l.Score
		if equal {
			res.equal++
		}
		if cause != "" {
			res.causes[cause]++
			continue
		}
		res.comparable++
		if !equal {
			t.Errorf("row %d (process %s, event %d): score %v, examples/baseline %v", i, r.pid, k, l.Score, *batch[i])
			continue
		}
		res.comparableEqual++
	}
	return res
}
