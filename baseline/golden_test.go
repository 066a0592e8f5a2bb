package baseline

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"encoding/csv"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"testing"

	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/labels/eval"
)

var update = flag.Bool("update", false, "rewrite testdata/golden/ from ../shared/golden")

// The n-gram golden: the reference's NgramScorer fitted on the encoded
// rows of sample-train and scoring those of sample-small
// (../shared/golden/baselines/README.md). testdata/golden holds the same
// inputs and outputs, derived from ../shared by -update, so that the
// parity test also runs where ../shared is absent:
//
//	events.csv.gz  split, golden_row, event_time, proc_exec_id, token and
//	               the rich feature columns of every golden row, in file order
//	labels.csv     ../shared/testdata/tetragon/sample-small.labels.csv
//	scores.csv.gz  baselines/ngram.sample-small.scores.csv.gz
//	eval.json      baselines/ngram.sample-small.eval.json
//	iforest.json   baselines/iforest.sample-small.json
const goldenSlice = "testdata/golden"

// goldenEvent is one encoded golden row, as the n-gram reads it.
type goldenEvent struct {
	row   int
	time  int64
	pid   string
	token string
	// features are the rich feature columns, for the IsolationForest.
	features []float32
}

type goldenData struct {
	train, test []goldenEvent
	labels      []byte
	scores      []byte // the reference's scores CSV (gzip'd)
	eval        []byte // the reference's eval JSON
	iforest     []byte // scikit-learn's IsolationForest AUROCs
}

// sharedGolden reads the golden inputs and outputs from ../shared.
func sharedGolden(t *testing.T) *goldenData {
	t.Helper()
	dir := goldentest.Dir()
	if dir == "" {
		return nil
	}
	g := &goldenData{}
	for _, s := range []struct {
		file string
		dst  *[]goldenEvent
	}{{"sample-train.golden.jsonl.gz", &g.train}, {"sample-small.golden.jsonl.gz", &g.test}} {
		rows, err := goldentest.Read(filepath.Join(dir, s.file))
		if err != nil {
			t.Fatal(err)
		}
		for i, r := range rows {
			e := goldenEvent{row: i}
			tm, err := r.Encoded.Values[ColEventTime].(json.Number).Int64()
			if err != nil {
				t.Fatalf("%s row %d: event_time: %v", s.file, i, err)
			}
			e.time = tm
			if p, ok := r.Encoded.Values[ColProcExecID].(string); ok {
				e.pid = p
			}
			e.token = r.Encoded.Values[ColToken].(string)
			for _, c := range Rich.Columns() {
				v, err := r.Encoded.Values[c].(json.Number).Float64()
				if err != nil {
					t.Fatalf("%s row %d: %s: %v", s.file, i, c, err)
				}
				e.features = append(e.features, float32(v))
			}
			*s.dst = append(*s.dst, e)
		}
	}
	read := func(p string) []byte {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	g.labels = read(filepath.Join(goldentest.SharedTestdata(), "tetragon", "sample-small.labels.csv"))
	g.scores = read(filepath.Join(dir, "baselines", "ngram.sample-small.scores.csv.gz"))
	g.eval = read(filepath.Join(dir, "baselines", "ngram.sample-small.eval.json"))
	g.iforest = read(filepath.Join(dir, "baselines", "iforest.sample-small.json"))
	return g
}

// sliceGolden reads testdata/golden.
func sliceGolden(t *testing.T) *goldenData {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(goldenSlice, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	g := &goldenData{labels: read("labels.csv"), scores: read("scores.csv.gz"), eval: read("eval.json"), iforest: read("iforest.json")}
	recs := readCSVGz(t, read("events.csv.gz"))
	for _, r := range recs[1:] {
		row, _ := strconv.Atoi(r[1])
		tm, err := strconv.ParseInt(r[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		e := goldenEvent{row: row, time: tm, pid: r[3], token: r[4]}
		for _, v := range r[5:] {
			x, err := strconv.ParseFloat(v, 32)
			if err != nil {
				t.Fatal(err)
			}
			e.features = append(e.features, float32(x))
		}
		if r[0] == "train" {
			g.train = append(g.train, e)
		} else {
			g.test = append(g.test, e)
		}
	}
	return g
}

func readCSVGz(t *testing.T, b []byte) [][]string {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	recs, err := csv.NewReader(zr).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	return recs
}

// writeSlice writes testdata/golden from the shared golden data.
func writeSlice(t *testing.T, g *goldenData) {
	t.Helper()
	if err := os.MkdirAll(goldenSlice, 0o755); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	w := csv.NewWriter(zw)
	w.Write(append([]string{"split", "golden_row", "event_time", "proc_exec_id", "token"}, Rich.Columns()...))
	for _, s := range []struct {
		name string
		ev   []goldenEvent
	}{{"train", g.train}, {"test", g.test}} {
		for _, e := range s.ev {
			rec := []string{s.name, strconv.Itoa(e.row), strconv.FormatInt(e.time, 10), e.pid, e.token}
			for _, x := range e.features {
				rec = append(rec, strconv.FormatFloat(float64(x), 'g', -1, 32))
			}
			w.Write(rec)
		}
	}
	w.Flush()
	zw.Close()
	for name, b := range map[string][]byte{"events.csv.gz": buf.Bytes(), "labels.csv": g.labels, "scores.csv.gz": g.scores, "eval.json": g.eval, "iforest.json": g.iforest} {
		if err := os.WriteFile(filepath.Join(goldenSlice, name), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// timeOrder sorts events by time, stably: the reference loader's order.
func timeOrder(ev []goldenEvent) []goldenEvent {
	out := slices.Clone(ev)
	slices.SortStableFunc(out, func(a, b goldenEvent) int { return cmp.Compare(a.time, b.time) })
	return out
}

// ngramRun is the reference's train and eval scripts on golden data.
type ngramRun struct {
	model     *Ngram
	test      []goldenEvent // in evaluated order
	scores    []float32
	isAttack  []bool
	technique []string
	excluded  int // train attack events
}

func runNgram(t *testing.T, g *goldenData) ngramRun {
	t.Helper()
	set, err := labels.Load(bytes.NewReader(g.labels))
	if err != nil {
		t.Fatal(err)
	}
	label := func(ev []goldenEvent) ([]bool, []string) {
		times := make([]int64, len(ev))
		for i, e := range ev {
			times[i] = e.time
		}
		return set.Expand(set.Label(times))
	}
	train := timeOrder(g.train)
	trainAttack, _ := label(train)
	tr, err := NewNgramTrainer()
	if err != nil {
		t.Fatal(err)
	}
	var run ngramRun
	for i, e := range train {
		if trainAttack[i] {
			run.excluded++
			continue
		}
		if err := tr.Add(e.pid, e.token); err != nil {
			t.Fatal(err)
		}
	}
	if run.model, err = tr.Fit(); err != nil {
		t.Fatal(err)
	}
	run.test = timeOrder(g.test)
	run.isAttack, run.technique = label(run.test)
	sc := run.model.NewScorer(MaxProcesses(0))
	for _, e := range run.test {
		run.scores = append(run.scores, sc.Score(e.pid, e.token))
	}
	return run
}

func TestNgramGoldenShared(t *testing.T) {
	g := sharedGolden(t)
	if g == nil {
		t.Skip("../shared/golden absent")
	}
	if *update {
		writeSlice(t, g)
	}
	checkNgramGolden(t, g)
	// The committed slice must be what ../shared gives.
	sl := sliceGolden(t)
	same := func(a, b []goldenEvent) bool {
		return slices.EqualFunc(a, b, func(x, y goldenEvent) bool {
			return x.row == y.row && x.time == y.time && x.pid == y.pid && x.token == y.token && slices.Equal(x.features, y.features)
		})
	}
	if !same(sl.train, g.train) || !same(sl.test, g.test) || !bytes.Equal(sl.labels, g.labels) ||
		!bytes.Equal(sl.scores, g.scores) || !bytes.Equal(sl.eval, g.eval) || !bytes.Equal(sl.iforest, g.iforest) {
		t.Errorf("%s is stale: go test -run TestNgramGoldenShared -update rewrites it", goldenSlice)
	}
}

func TestNgramGoldenSlice(t *testing.T) {
	checkNgramGolden(t, sliceGolden(t))
}

func checkNgramGolden(t *testing.T, g *goldenData) {
	run := runNgram(t, g)

	// Scores: the same rows in the same order, every value equal.
	want := readCSVGz(t, g.scores)
	if len(want)-1 != len(run.test) {
		t.Fatalf("%d scored events, reference %d", len(run.test), len(want)-1)
	}
	var maxRel float64
	bad := 0
	for i, r := range want[1:] {
		e := run.test[i]
		ws, err := strconv.ParseFloat(r[4], 64)
		if err != nil {
			t.Fatal(err)
		}
		got := float64(run.scores[i])
		rel := math.Abs(got-ws) / math.Abs(ws)
		maxRel = max(maxRel, rel)
		row := fmt.Sprintf("%d,%d,%t,%s", e.row, e.time, run.isAttack[i], run.technique[i])
		if row != r[0]+","+r[1]+","+r[2]+","+r[3] || rel > 1e-12 {
			if bad++; bad <= 10 {
				t.Errorf("evaluated row %d: got %s,%v; reference %v", i, row, got, r)
			}
		}
	}
	t.Logf("%d scores, %d mismatching rows, max relative error %g", len(run.scores), bad, maxRel)

	// The eval payload.
	scores := make([]float64, len(run.scores))
	for i, s := range run.scores {
		scores[i] = float64(s)
	}
	rep, err := eval.Evaluate(scores, run.isAttack, run.technique, eval.Options{Bootstrap: eval.Bootstrap{Resamples: 100}})
	if err != nil {
		t.Fatal(err)
	}
	got := reportWithFit(t, rep, run.model.Diagnostics(), len(g.train), run.excluded)
	diffs, leaves, maxRelEval, err := goldentest.JSONDiff(got, g.eval, 1e-12, "reference")
	if err != nil {
		t.Fatal(err)
	}
	for _, d := range diffs {
		t.Error(d)
	}
	if leaves < 40 {
		t.Errorf("only %d golden values compared", leaves)
	}
	t.Logf("eval: %d values compared, max relative error %g", leaves, maxRelEval)
}

// reportWithFit is the report plus the reference eval JSON's fit block and
// counts.
func reportWithFit(t *testing.T, rep eval.Report, diag NgramDiagnostics, trainEvents, excluded int) []byte {
	t.Helper()
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	m["fit"] = diag
	m["n_train_events"] = trainEvents
	m["n_train_attack_events_excluded_from_fit"] = excluded
	m["rows_without_event_time_left_out"] = map[string]int{"train": 0, "test": 0}
	out, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return out
}
