package baseline

import (
	"bytes"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tetrahids/tetrahids/internal/npmath"
)

// A tiny training set whose probabilities are easy to write down:
// process p: a b c a b c (6 events), process q: a b d (3 events).
func tinyModel(t *testing.T) *Ngram {
	t.Helper()
	tr, err := NewNgramTrainer()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range [][2]string{{"p", "a"}, {"q", "a"}, {"p", "b"}, {"q", "b"}, {"p", "c"}, {"p", "a"}, {"q", "d"}, {"p", "b"}, {"p", "c"}} {
		if err := tr.Add(e[0], e[1]); err != nil {
			t.Fatal(err)
		}
	}
	m, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestNgramHandComputed(t *testing.T) {
	m := tinyModel(t)
	// V = 4 tokens (a b c d), 9 events. Unigrams a 3, b 3, c 2, d 1.
	// Bigrams: (a,b) 3, (b,c) 2, (c,a) 1, (b,d) 1. Trigrams: (a,b,c) 2,
	// (b,c,a) 1, (c,a,b) 1, (a,b,d) 1.
	const v = 4.0
	f32 := func(p float64) float32 { return float32(-math.Log(p)) }
	s := m.NewScorer()
	cases := []struct {
		pid, token string
		want       float32
		why        string
	}{
		{"x", "a", f32((3 + 1) / (9 + v)), "first event: unigram, factor 1"},
		{"x", "b", f32(0.4 * (3 + 1) / (3 + v)), "one previous: bigram (a,b)"},
		{"x", "c", f32((2 + 1) / (3 + v)), "trigram (a,b,c); context (a,b) total 3"},
		{"x", "zzz", f32((0 + 1) / (1 + v)), "OOV after seen context (b,c) total 1"},
		{"x", "a", f32(0.4 * 0.4 * (3 + 1) / (9 + v)), "context (c,OOV) unseen, OOV never a bigram context: unigram with 0.4²"},
		{"y", "d", f32((1 + 1) / (9 + v)), "another process starts afresh"},
		{"y", "d", f32(0.4 * 0.4 * (0 + 1) / (9 + v) * 2), "d was never a bigram context"},
	}
	// The last case: unigram of d with backoff²: 0.16·(1+1)/(9+4).
	cases[6].want = f32(0.4 * 0.4 * (1 + 1) / (9 + v))
	for _, c := range cases {
		if got := s.Score(c.pid, c.token); got != c.want {
			t.Errorf("%s %s (%s): got %v, want %v", c.pid, c.token, c.why, got, c.want)
		}
	}
	if got, want := s.Score("", "a"), f32((3+1)/(9+v)); got != want {
		t.Errorf("no process: %v, want %v", got, want)
	}
	if m.Code("a") != 0 || m.Code("d") != 3 || m.Code("zzz") != -1 {
		t.Errorf("codes: %v", m.Vocabulary())
	}
	d := m.Diagnostics()
	if d.TrainEvents != 9 || d.Processes != 2 || d.VocabSize != 4 || d.UniqueBigrams != 4 || d.UniqueTrigrams != 4 ||
		d.BigramPositions != 7 || d.TrigramPositions != 5 {
		t.Errorf("diagnostics %+v", d)
	}
	// The sample is all 9 events: 5 trigram, 2 bigram, 2 unigram.
	if d.BackoffRates["trigram"] != 5.0/9 || d.BackoffRates["bigram"] != 2.0/9 || d.BackoffRates["unigram"] != 2.0/9 {
		t.Errorf("backoff rates %v", d.BackoffRates)
	}
}

// The diagnostic sample positions are numpy's linspace, checked against
// numpy's own output.
func TestSamplePositionsMatchNumpy(t *testing.T) {
	cases := []struct {
		n    int
		sum  int64
		at   []int
		want []int
	}{
		{100001, 4999950001, []int{1, 2, 3, 4999, 50000, 77777, 99998, 99999}, []int{1, 2, 3, 4999, 50000, 77777, 99998, 100000}},
		{123457, 6172750002, []int{1, 2, 3, 4999, 50000, 77777, 99998, 99999}, []int{1, 2, 3, 6171, 61728, 96021, 123454, 123456}},
		{999983, 49999050001, []int{1, 2, 3, 4999, 50000, 77777, 99998, 99999}, []int{9, 19, 29, 49989, 499995, 777763, 999972, 999982}},
		{19300001, 964999950001, []int{1, 2, 3, 4999, 50000, 77777, 99998, 99999}, []int{193, 386, 579, 964816, 9650096, 15011111, 19299806, 19300000}},
	}
	for _, c := range cases {
		k := min(diagSample, c.n)
		var sum int64
		for i := range k {
			sum += int64(samplePosition(i, c.n, k))
		}
		if sum != c.sum {
			t.Errorf("n=%d: positions sum to %d, numpy %d", c.n, sum, c.sum)
		}
		for j, i := range c.at {
			if got := samplePosition(i, c.n, k); got != c.want[j] {
				t.Errorf("n=%d: position %d = %d, numpy %d", c.n, i, got, c.want[j])
			}
		}
	}
}

// synthStream is a stream of events of many interleaved processes, for
// tests and benchmarks: each process runs one of 300 programs, a Markov
// chain over a dozen tokens (of a Zipf-distributed vocabulary) with two
// or three likely successors per token, plus 5 % noise; processes live
// for a while, so mostly recent ones are active, and come in bursts (70 %
// of events belong to the previous event's process, as in the shared
// samples). Its train perplexity is
// about 33 (the shared sample's is 17), with 87,000 distinct trigrams in
// 1 M events.
func synthStream(seed uint64, n, procs, vocab int) (pids, tokens []string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	z := rand.NewZipf(rng, 1.3, 2, uint64(vocab-1))
	tokNames := make([]string, vocab)
	for i := range tokNames {
		tokNames[i] = "FILE_OPEN:bin" + strconv.Itoa(i) + ":USER_HOME"
	}
	type program struct {
		states []int   // token of each state
		next   [][]int // likely successor states
	}
	programs := make([]program, 300)
	for p := range programs {
		k := 6 + rng.IntN(12)
		pr := program{states: make([]int, k), next: make([][]int, k)}
		for s := range k {
			pr.states[s] = int(z.Uint64())
			for range 2 + rng.IntN(2) {
				pr.next[s] = append(pr.next[s], rng.IntN(k))
			}
		}
		programs[p] = pr
	}
	type proc struct {
		name        string
		prog, state int
	}
	live := make([]proc, procs)
	started := 0
	spawn := func(i int) {
		live[i] = proc{name: "proc-" + strconv.Itoa(started) + "-OjEyMzQ1Njc4OTAxMjM0NTY3ODkw", prog: rng.IntN(len(programs))}
		started++
	}
	for i := range live {
		spawn(i)
	}
	i := 0
	for range n {
		if rng.IntN(10) >= 7 { // bursts: 70 % of events continue the previous event's process
			i = int(rng.ExpFloat64()*float64(procs)/8) % procs
		}
		if rng.IntN(200) == 0 {
			spawn(i) // the old process exited
		}
		p := &live[i]
		pr := programs[p.prog]
		tok := pr.states[p.state]
		if rng.IntN(20) == 0 {
			tok = int(z.Uint64())
		}
		pids = append(pids, p.name)
		tokens = append(tokens, tokNames[tok])
		nx := pr.next[p.state]
		p.state = nx[rng.IntN(len(nx))]
	}
	return pids, tokens
}

// iidStream is the worst case for the n-gram's tables: independent
// Zipf-distributed tokens, so that most trigrams are unique (train
// perplexity about 350).
func iidStream(seed uint64, n, procs, vocab int) (pids, tokens []string) {
	rng := rand.New(rand.NewPCG(seed, 1))
	z := rand.NewZipf(rng, 1.3, 2, uint64(vocab-1))
	for range n {
		p := int(rng.ExpFloat64()*float64(procs)/8) % procs
		pids = append(pids, "proc-"+strconv.Itoa(p)+"-OjEyMzQ1Njc4OTAxMjM0NTY3ODkw")
		tokens = append(tokens, "FILE_OPEN:bin"+strconv.Itoa(int(z.Uint64()))+":USER_HOME")
	}
	return pids, tokens
}

func streamRecord(pids, tokens []string, nullEvery int) arrow.RecordBatch {
	mem := memory.DefaultAllocator
	pb := array.NewStringBuilder(mem)
	tb := array.NewStringBuilder(mem)
	defer pb.Release()
	defer tb.Release()
	for i := range pids {
		if nullEvery > 0 && i%nullEvery == 0 {
			pb.AppendNull()
		} else {
			pb.Append(pids[i])
		}
		tb.Append(tokens[i])
	}
	schema := arrow.NewSchema([]arrow.Field{
		{Name: ColProcExecID, Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: ColToken, Type: arrow.BinaryTypes.String},
	}, nil)
	return array.NewRecordBatch(schema, []arrow.Array{pb.NewArray(), tb.NewArray()}, int64(len(pids)))
}

func TestNgramRecordPathEqualsRowPath(t *testing.T) {
	pids, tokens := synthStream(1, 20000, 300, 400)
	train, test := 12000, 20000
	byRow, _ := NewNgramTrainer()
	for i := range train {
		byRow.Add(pids[i], tokens[i])
	}
	byRec, _ := NewNgramTrainer()
	attack := make([]bool, 0, train)
	var recs []arrow.RecordBatch
	for lo := 0; lo < train; lo += 777 { // odd batch boundaries
		hi := min(lo+777, train)
		rec := streamRecord(pids[lo:hi], tokens[lo:hi], 0)
		defer rec.Release()
		recs = append(recs, rec)
		attack = attack[:0]
		for range hi - lo {
			attack = append(attack, false)
		}
		if err := byRec.AddRecord(rec, attack); err != nil {
			t.Fatal(err)
		}
	}
	m1, err := byRow.Fit()
	if err != nil {
		t.Fatal(err)
	}
	m2, err := byRec.Fit()
	if err != nil {
		t.Fatal(err)
	}
	if m1.ID() != m2.ID() {
		t.Fatal("the record path fitted another model")
	}

	// Batch scoring equals incremental scoring, bounded or not, as long
	// as the bound is not reached.
	testRec := streamRecord(pids[train:test], tokens[train:test], 0)
	defer testRec.Release()
	batch, err := m1.ScoreRecords([]arrow.RecordBatch{testRec})
	if err != nil {
		t.Fatal(err)
	}
	bounded := m1.NewScorer(MaxProcesses(300))
	for i := train; i < test; i++ {
		if got := bounded.Score(pids[i], tokens[i]); got != batch[i-train] {
			t.Fatalf("event %d: incremental %v, batch %v", i, got, batch[i-train])
		}
	}
	if bounded.Evictions() != 0 {
		t.Errorf("%d evictions below the bound", bounded.Evictions())
	}
	// Codes score like strings.
	s1, s2 := m1.NewScorer(), m1.NewScorer()
	for i := train; i < train+500; i++ {
		if a, b := s1.Score(pids[i], tokens[i]), s2.ScoreCode(pids[i], m1.Code(tokens[i])); a != b {
			t.Fatalf("event %d: by token %v, by code %v", i, a, b)
		}
	}
}

func TestNgramAttackRowsAndNulls(t *testing.T) {
	rec := streamRecord([]string{"p", "p", "p", "q"}, []string{"a", "b", "c", "d"}, 3)
	defer rec.Release()
	tr, _ := NewNgramTrainer()
	if err := tr.AddRecord(rec, []bool{false, true, false, false}); err != nil {
		t.Fatal(err)
	}
	if st := tr.Stats(); st.Events != 3 || st.AttackEvents != 1 {
		t.Errorf("stats %+v", st)
	}
	m, _ := tr.Fit()
	// Row 0 has a null proc_exec_id (a process of its own), row 1 is an
	// attack: p is just "c", q is "d".
	if d := m.Diagnostics(); d.Processes != 3 || d.BigramPositions != 0 || d.VocabSize != 3 {
		t.Errorf("%+v", d)
	}
	if err := tr.AddRecord(rec, []bool{true}); !errors.Is(err, ErrLength) {
		t.Errorf("short isAttack: %v", err)
	}
	bad := streamRecord(nil, nil, 0)
	defer bad.Release()
	schema := arrow.NewSchema([]arrow.Field{{Name: ColToken, Type: arrow.BinaryTypes.String}}, nil)
	noPid := array.NewRecordBatch(schema, []arrow.Array{bad.Column(1)}, 0)
	defer noPid.Release()
	if err := tr.AddRecord(noPid, nil); !errors.Is(err, ErrColumn) {
		t.Errorf("no proc_exec_id: %v", err)
	}
	if _, err := m.NewScorer().ScoreRecord(nil, noPid); !errors.Is(err, ErrColumn) {
		t.Errorf("scoring without proc_exec_id: %v", err)
	}
	empty, _ := NewNgramTrainer()
	if _, err := empty.Fit(); !errors.Is(err, ErrNoTraining) {
		t.Errorf("empty fit: %v", err)
	}
	for _, o := range []NgramOption{NgramAlpha(0), NgramAlpha(math.NaN()), NgramBackoff(0), NgramBackoff(1.5), NgramQuantiles(2)} {
		if _, err := NewNgramTrainer(o); !errors.Is(err, ErrBadOption) {
			t.Errorf("bad option accepted: %v", err)
		}
	}
}

func TestNgramEviction(t *testing.T) {
	m := tinyModel(t)
	s := m.NewScorer(MaxProcesses(2))
	first := m.NewScorer().Score("fresh", "a")
	s.Score("p1", "a")
	s.Score("p2", "a")
	s.Score("p1", "b") // p1 is now the most recent: p2 is next to go
	s.Score("p3", "a") // evicts p2
	if s.Len() != 2 || s.Evictions() != 1 {
		t.Fatalf("len %d, evictions %d", s.Len(), s.Evictions())
	}
	// p1 kept its context: (a, b) then c is the trigram.
	want := m.NewScorer()
	want.Score("x", "a")
	want.Score("x", "b")
	if got, w := s.Score("p1", "c"), want.Score("x", "c"); got != w {
		t.Errorf("p1 lost its context: %v, want %v", got, w)
	}
	// p2 comes back (evicting p3, now the least recent) without context.
	if got := s.Score("p2", "a"); got != first || s.Evictions() != 2 {
		t.Errorf("evicted process rescored %v, want a first event's %v", got, first)
	}
	if !s.Forget("p2") || s.Forget("p2") || s.Len() != 1 {
		t.Error("Forget")
	}
	if got := s.Score("p3", "a"); got != first {
		t.Errorf("p3 was evicted, yet scored %v", got)
	}
}

func TestNgramCheckpoint(t *testing.T) {
	pids, tokens := synthStream(2, 30000, 500, 300)
	tr, _ := NewNgramTrainer()
	for i := range 15000 {
		tr.Add(pids[i], tokens[i])
	}
	m, _ := tr.Fit()
	for _, bound := range []int{0, 200} {
		whole := m.NewScorer(MaxProcesses(bound))
		var want []float32
		for i := 15000; i < 30000; i++ {
			want = append(want, whole.Score(pids[i], tokens[i]))
		}
		// Score half, checkpoint, restore in a "new process", go on.
		s := m.NewScorer(MaxProcesses(bound))
		var got []float32
		for i := 15000; i < 22000; i++ {
			got = append(got, s.Score(pids[i], tokens[i]))
		}
		var buf bytes.Buffer
		if _, err := s.WriteTo(&buf); err != nil {
			t.Fatal(err)
		}
		loaded := roundTripNgram(t, m)
		r, err := loaded.RestoreScorer(bytes.NewReader(buf.Bytes()))
		if err != nil {
			t.Fatal(err)
		}
		if r.Len() != s.Len() {
			t.Fatalf("restored %d contexts of %d", r.Len(), s.Len())
		}
		for i := 22000; i < 30000; i++ {
			got = append(got, r.Score(pids[i], tokens[i]))
		}
		if !slices.Equal(got, want) {
			t.Errorf("bound %d: scores after a restart differ", bound)
		}

		// A smaller bound keeps the most recent contexts.
		small, err := m.RestoreScorer(bytes.NewReader(buf.Bytes()), MaxProcesses(10))
		if err != nil || small.Len() != min(10, s.Len()) || small.Evictions() != uint64(s.Len()-small.Len()) {
			t.Errorf("bound %d: restored into 10: %v, %d contexts", bound, err, small.Len())
		}

		// Another model's checkpoint is refused.
		other := tinyModel(t)
		if _, err := other.RestoreScorer(bytes.NewReader(buf.Bytes())); !errors.Is(err, ErrModelMismatch) {
			t.Errorf("other model: %v", err)
		}
		var fe *FormatError
		if _, err := m.RestoreScorer(bytes.NewReader(buf.Bytes()[:buf.Len()-1])); !errors.As(err, &fe) || !errors.Is(err, ErrTruncated) {
			t.Errorf("truncated checkpoint: %v", err)
		}
	}
}

func roundTripNgram(t *testing.T, m *Ngram) *Ngram {
	t.Helper()
	var buf bytes.Buffer
	n, err := m.WriteTo(&buf)
	if err != nil || n != int64(buf.Len()) {
		t.Fatalf("WriteTo: %d bytes, %v", n, err)
	}
	back, err := LoadNgram(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if back.ID() != m.ID() || back.String() != m.String() {
		t.Fatalf("round trip: %s %s, want %s %s", back.ID(), back, m.ID(), m)
	}
	return back
}

func TestNgramSaveLoad(t *testing.T) {
	pids, tokens := synthStream(3, 20000, 200, 500)
	tr, _ := NewNgramTrainer(NgramAlpha(0.5), NgramBackoff(0.3), NgramQuantiles(0.5, 0.99))
	for i := range 10000 {
		tr.Add(pids[i], tokens[i])
	}
	m, _ := tr.Fit()
	back := roundTripNgram(t, m)
	a, b := m.NewScorer(), back.NewScorer()
	for i := 10000; i < 20000; i++ {
		if x, y := a.Score(pids[i], tokens[i]), b.Score(pids[i], tokens[i]); x != y {
			t.Fatalf("event %d: %v after loading, %v before", i, y, x)
		}
	}
	if back.Alpha() != 0.5 || back.Backoff() != 0.3 || !slices.Equal(back.Quantiles(), m.Quantiles()) || len(m.Quantiles()) != 2 {
		t.Errorf("hyperparameters or quantiles lost: %v %v %v", back.Alpha(), back.Backoff(), back.Quantiles())
	}
	d1, d2 := m.Diagnostics(), back.Diagnostics()
	if d1.TrainPerplexity != d2.TrainPerplexity || d1.BackoffRates["bigram"] != d2.BackoffRates["bigram"] || d1.TrainEvents != d2.TrainEvents {
		t.Errorf("diagnostics lost: %+v %+v", d1, d2)
	}
	// Generic Load, and the wrong kind.
	var buf bytes.Buffer
	m.WriteTo(&buf)
	any, err := Load(bytes.NewReader(buf.Bytes()))
	if err != nil || any.Kind() != KindNgram {
		t.Fatalf("Load: %v %v", any, err)
	}
	if _, err := LoadIForest(bytes.NewReader(buf.Bytes())); !errors.Is(err, ErrKind) {
		t.Errorf("LoadIForest of an n-gram: %v", err)
	}
}

// The stored quantiles are numpy's quantiles of the scores of every
// training event in its sequence.
func TestNgramQuantiles(t *testing.T) {
	pids, tokens := synthStream(4, 5000, 50, 60)
	tr, _ := NewNgramTrainer()
	for i := range pids {
		tr.Add(pids[i], tokens[i])
	}
	m, _ := tr.Fit()
	// Rescore the training events process by process: the scorer sees
	// each process's events in order, which is all that matters.
	s := m.NewScorer(MaxProcesses(0))
	var scores []float32
	for i := range pids {
		scores = append(scores, s.Score(pids[i], tokens[i]))
	}
	slices.Sort(scores)
	for _, q := range m.Quantiles() {
		if want := npmath.Percentile32(scores, q.Level); q.Score != want {
			t.Errorf("quantile %v = %v, want %v", q.Level, q.Score, want)
		}
	}
	if v, ok := m.ScoreQuantile(0.999); !ok || v <= 0 {
		t.Errorf("0.999: %v %v", v, ok)
	}
	if _, ok := m.ScoreQuantile(0.123); ok {
		t.Error("a level that was not stored")
	}
}

// The scorer's automaton gives float32(-log P) of the counts, whatever
// the mix of seen and unseen n-grams and unknown tokens.
func TestNgramScorerMatchesFormula(t *testing.T) {
	pids, tokens := synthStream(5, 40000, 400, 500)
	tr, _ := NewNgramTrainer()
	for i := range 20000 {
		tr.Add(pids[i], tokens[i])
	}
	m, _ := tr.Fit()
	rng := rand.New(rand.NewPCG(5, 5))
	s := m.NewScorer(MaxProcesses(0))
	type state struct{ p2, p1, n int32 }
	hist := map[string]state{}
	levels := map[level]int{}
	for i := 20000; i < 40000; i++ {
		tok := tokens[i]
		if rng.IntN(20) == 0 {
			tok = "never-seen-" + strconv.Itoa(rng.IntN(5))
		}
		got := s.Score(pids[i], tok)
		st := hist[pids[i]]
		w := m.code(tok)
		want, lv := m.negLogP(int(st.n), st.p2, st.p1, w)
		levels[lv]++
		if got != float32(want) {
			t.Fatalf("event %d: %v, formula %v", i, got, float32(want))
		}
		hist[pids[i]] = state{p2: st.p1, p1: w, n: min(st.n+1, 2)}
	}
	if levels[levelTrigram] == 0 || levels[levelBigram] == 0 || levels[levelUnigram] == 0 {
		t.Errorf("not every level exercised: %v", levels)
	}
}

func TestFind(t *testing.T) {
	for n := range 40 {
		ss := make([]succ, n)
		for i := range ss {
			ss[i] = succ{w: int32(3 * i), score: float32(i)}
		}
		for w := int32(-1); w <= int32(3*n); w++ {
			e, ok := find(ss, w)
			if want := w >= 0 && w%3 == 0 && w < int32(3*n); ok != want || ok && e.score != float32(w/3) {
				t.Fatalf("n=%d w=%d: %v %v", n, w, e, ok)
			}
		}
	}
}
