package score

import (
	"bufio"
	"bytes"
	"cmp"
	"encoding/json"
	"io"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
	"github.com/tetrahids/tetrahids/examples/live/internal/metrics"
	"github.com/tetrahids/tetrahids/internal/jsonstr"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// fixture is a generated stream split into train and test lines, with
// what the batch path makes of them: the training split's graph (the
// seed), an n-gram and an IsolationForest fitted on the training split,
// and the test split encoded as the corpus encodes it (graph seeded from
// train, the whole split registered before encoding) with the batch
// scores of both models.
type fixture struct {
	train, test [][]byte
	seed        []byte
	ngram       *baseline.Ngram
	forest      *baseline.IForest
	rows        []batchRow // the test split's rows, in file order
}

// batchRow is one encoded test row and its batch scores.
type batchRow struct {
	time            int64
	pid, token      string
	ngram, forest   float32
	features        string // the whole row, as JSON
	procInTimeOrder bool   // its process's events are in time order in the file
}

// fixtureEvents is the size of the tests' generated stream: smaller under
// -short, which CI runs with the race detector.
func fixtureEvents() int {
	if testing.Short() {
		return 8000
	}
	return 40000
}

var fixtures = map[int]*fixture{}
var fixturesMu sync.Mutex

// newFixture builds (once per size) a fixture of n generated events, the
// first quarter training.
func newFixture(t testing.TB, n int) *fixture {
	t.Helper()
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f, ok := fixtures[n]; ok {
		return f
	}
	f := &fixture{}
	g := synth.New(synth.Config{Seed: 42, Events: n})
	for i := range n {
		line := bytes.Clone(bytes.TrimSuffix(g.Next(), []byte{'\n'}))
		if i < n/4 {
			f.train = append(f.train, line)
		} else {
			f.test = append(f.test, line)
		}
	}
	probe, err := encode.New(nil, nil)
	must(t, err)
	p, err := tetraparse.New(tetraparse.Config{Columns: probe.RawColumns()})
	must(t, err)
	parse := func(lines [][]byte) []arrow.RecordBatch {
		var out []arrow.RecordBatch
		for rec, err := range p.Records(bytes.NewReader(append(bytes.Join(lines, []byte{'\n'}), '\n')), "gen") {
			must(t, err)
			rec.Retain()
			out = append(out, rec)
		}
		return out
	}
	// The training split: its graph, then its encoded rows, fitted in
	// event-time order (stable), as examples/baseline fits.
	trainRaw := parse(f.train)
	graph := lineage.New()
	for _, rec := range trainRaw {
		must(t, graph.AddBatch(rec))
	}
	var seed bytes.Buffer
	_, err = graph.WriteTo(&seed)
	must(t, err)
	f.seed = seed.Bytes()
	trainEnc := encodeAll(t, graph, trainRaw)
	tr, err := baseline.NewNgramTrainer()
	must(t, err)
	for _, r := range timeOrder(trainEnc) {
		must(t, tr.Add(r.pid, r.token))
	}
	f.ngram, err = tr.Fit()
	must(t, err)
	ft, err := baseline.NewForestTrainer(baseline.Rich, baseline.ForestSeed(1))
	must(t, err)
	var x []float32
	nf := len(baseline.Rich.Columns())
	for _, rec := range trainEnc {
		x, err = baseline.FeatureMatrix(x, rec, baseline.Rich.Columns())
		must(t, err)
		for i := range int(rec.NumRows()) {
			must(t, ft.AddRow(x[i*nf:(i+1)*nf]))
		}
	}
	f.forest, err = ft.Fit()
	must(t, err)

	// The test split, as the corpus encodes it: the seed, then every test
	// row registered, then encoded.
	testGraph := lineage.New()
	_, err = testGraph.ReadFrom(bytes.NewReader(f.seed))
	must(t, err)
	testRaw := parse(f.test)
	for _, rec := range testRaw {
		must(t, testGraph.AddBatch(rec))
	}
	testEnc := encodeAll(t, testGraph, testRaw)
	rows := timeOrder(testEnc)
	// n-gram batch scores in time order (a fresh, unbounded scorer, as
	// examples/baseline scores), forest scores per row.
	sc := f.ngram.NewScorer(baseline.MaxProcesses(0))
	for _, r := range rows {
		row := f.rowAt(r.index)
		row.time, row.pid, row.token = r.time, r.pid, r.token
		row.ngram = sc.Score(r.pid, r.token)
	}
	k := 0
	for _, rec := range testEnc {
		scores, err := f.forest.ScoreRecord(nil, rec)
		must(t, err)
		js := jsonRows(t, rec)
		for i := range int(rec.NumRows()) {
			f.rows[k].forest, f.rows[k].features = scores[i], js[i]
			k++
		}
	}
	// Which processes have their events in time order in the file.
	last := map[string]int64{}
	disordered := map[string]bool{}
	for _, r := range f.rows {
		if l, ok := last[r.pid]; ok && r.time < l {
			disordered[r.pid] = true
		}
		last[r.pid] = r.time
	}
	for i := range f.rows {
		f.rows[i].procInTimeOrder = !disordered[f.rows[i].pid]
	}
	fixtures[n] = f
	return f
}

func (f *fixture) rowAt(i int) *batchRow {
	for len(f.rows) <= i {
		f.rows = append(f.rows, batchRow{})
	}
	return &f.rows[i]
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func encodeAll(t testing.TB, g *lineage.Graph, raw []arrow.RecordBatch) []arrow.RecordBatch {
	t.Helper()
	enc, err := encode.New(nil, g)
	must(t, err)
	var out []arrow.RecordBatch
	for _, rec := range raw {
		e, err := enc.Encode(rec)
		must(t, err)
		out = append(out, e)
	}
	return out
}

// orderedRow is a row of encoded batches with its file-order index.
type orderedRow struct {
	index      int
	time       int64
	pid, token string
}

// timeOrder returns the rows stably sorted by event_time (the reference
// loader's order; the generated stream has no row without a time).
func timeOrder(recs []arrow.RecordBatch) []orderedRow {
	var out []orderedRow
	for _, rec := range recs {
		sc := rec.Schema()
		ts := rec.Column(sc.FieldIndices("event_time")[0]).(*array.Timestamp)
		pid := rec.Column(sc.FieldIndices("proc_exec_id")[0]).(*array.String)
		tok := rec.Column(sc.FieldIndices("token")[0]).(*array.String)
		for i := range int(rec.NumRows()) {
			out = append(out, orderedRow{index: len(out), time: int64(ts.Value(i)), pid: pid.Value(i), token: tok.Value(i)})
		}
	}
	slices.SortStableFunc(out, func(a, b orderedRow) int { return cmp.Compare(a.time, b.time) })
	return out
}

// jsonRows returns each row of an encoded batch as the JSON object
// encode.Features.AppendJSON writes for it.
func jsonRows(t testing.TB, rec arrow.RecordBatch) []string {
	t.Helper()
	sc := rec.Schema()
	out := make([]string, rec.NumRows())
	for i := range out {
		var b strings.Builder
		b.WriteByte('{')
		for c := range sc.NumFields() {
			if c > 0 {
				b.WriteByte(',')
			}
			b.Write(jsonstr.Append(nil, sc.Field(c).Name))
			b.WriteByte(':')
			col := rec.Column(c)
			if col.IsNull(i) {
				b.WriteString("null")
				continue
			}
			switch a := col.(type) {
			case *array.String:
				b.Write(jsonstr.Append(nil, a.Value(i)))
			case *array.Timestamp:
				b.WriteString(jsonNum(int64(a.Value(i))))
			default:
				b.WriteString(a.ValueStr(i))
			}
		}
		b.WriteByte('}')
		out[i] = b.String()
	}
	return out
}

func jsonNum(v int64) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// outLine is one output line of the Processor.
type outLine struct {
	EventTime *int64          `json:"event_time"`
	PID       *string         `json:"proc_exec_id"`
	Basename  string          `json:"proc_binary_basename"`
	Token     string          `json:"token"`
	Score     *float32        `json:"score"`
	Alert     bool            `json:"alert"`
	Features  json.RawMessage `json:"features"`
}

// parseOut reads the Processor's output lines.
func parseOut(t testing.TB, out []byte) []outLine {
	t.Helper()
	var lines []outLine
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l outLine
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			t.Fatalf("output line %q: %v", sc.Bytes(), err)
		}
		if l.EventTime == nil || l.PID == nil || l.Score == nil {
			t.Fatalf("output line %q lacks a field", sc.Bytes())
		}
		lines = append(lines, l)
	}
	return lines
}

// newProcessor makes a Processor over the fixture's seed.
func newProcessor(t testing.TB, f *fixture, cfg Config) (*Processor, *metrics.Counters) {
	t.Helper()
	if cfg.Model == nil {
		cfg.Model = f.ngram
	}
	if cfg.Counters == nil {
		cfg.Counters = new(metrics.Counters)
	}
	cfg.Seed = bytes.NewReader(f.seed)
	p, err := New(cfg)
	must(t, err)
	t.Cleanup(p.Close)
	return p, cfg.Counters
}

// feed gives lines to p as the service does: Process each, Flush after
// every flushEvery lines (0: only at the end), then Drain.
func feed(t testing.TB, p *Processor, lines [][]byte, flushEvery int, out io.Writer) {
	t.Helper()
	for i, l := range lines {
		must(t, p.Process(l, out))
		if flushEvery > 0 && (i+1)%flushEvery == 0 {
			must(t, p.Flush(out))
		}
	}
	must(t, p.Flush(out))
	must(t, p.Drain(out))
}

// statsZero is the input statistics of a Snapshot the tests read counts
// from.
var statsZero follow.Stats
