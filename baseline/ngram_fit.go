package baseline

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tetrahids/tetrahids/internal/npmath"
)

// NgramOption configures an [NgramTrainer].
type NgramOption func(*ngramConfig)

type ngramConfig struct {
	alpha, backoff float64
	levels         []float64
}

// NgramAlpha sets the Laplace smoothing constant α > 0 (default 1.0).
func NgramAlpha(a float64) NgramOption { return func(c *ngramConfig) { c.alpha = a } }

// NgramBackoff sets the stupid-backoff factor in (0, 1] (default 0.4).
func NgramBackoff(b float64) NgramOption { return func(c *ngramConfig) { c.backoff = b } }

// NgramQuantiles sets the quantile levels of the benign training scores
// the model stores (default [DefaultQuantileLevels]).
func NgramQuantiles(levels ...float64) NgramOption {
	return func(c *ngramConfig) { c.levels = slices.Clone(levels) }
}

// NgramTrainer collects the benign token sequences of a training split
// and fits an [Ngram]. Feed it the benign events of each process in event
// time order (ties in input order), as the reference's loader orders a
// split: with [NgramTrainer.Add] one event at a time or with
// [NgramTrainer.AddRecord] a record batch at a time. Processes may
// interleave freely; only the order within each process matters, and the
// trainer does not sort.
//
// The trainer keeps every benign event's token code (4 bytes) grouped by
// process, because the reference's diagnostics sample events in
// (proc_exec_id, time) order and the stored quantiles score every training
// event: about 70 MB for the corpus's 17 M training events. It is not safe
// for concurrent use.
type NgramTrainer struct {
	cfg   ngramConfig
	codes map[string]int32
	vocab []string
	procs map[string]*procSeq
	// alone holds the codes of events without a proc_exec_id, each a
	// sequence of its own.
	alone []int32
	stats TrainStats
	// The previous event's process (events come in bursts).
	lastPid string
	lastSeq *procSeq
}

type procSeq struct {
	pid   string
	codes []int32
}

// TrainStats counts what a trainer was given.
type TrainStats struct {
	// Events counts the benign events fitted on.
	Events int
	// AttackEvents counts the events left out because they are attacks.
	AttackEvents int
}

// NewNgramTrainer returns a trainer with the reference's hyperparameters
// (n = 3, α = 1.0, backoff 0.4) unless options say otherwise. Invalid
// options give an error wrapping [ErrBadOption].
func NewNgramTrainer(opts ...NgramOption) (*NgramTrainer, error) {
	cfg := ngramConfig{alpha: DefaultAlpha, backoff: DefaultBackoff, levels: DefaultQuantileLevels()}
	for _, o := range opts {
		o(&cfg)
	}
	if !(cfg.alpha > 0) || math.IsInf(cfg.alpha, 0) {
		return nil, fmt.Errorf("%w: alpha %v, want > 0", ErrBadOption, cfg.alpha)
	}
	if !(cfg.backoff > 0 && cfg.backoff <= 1) {
		return nil, fmt.Errorf("%w: backoff %v, want in (0, 1]", ErrBadOption, cfg.backoff)
	}
	levels, err := checkLevels(cfg.levels)
	if err != nil {
		return nil, err
	}
	cfg.levels = levels
	return &NgramTrainer{cfg: cfg, codes: map[string]int32{}, procs: map[string]*procSeq{}}, nil
}

// Add adds one benign event: its process's proc_exec_id ("" for an event
// without one, which is then a sequence of its own) and its token.
func (t *NgramTrainer) Add(procExecID, token string) error {
	c, ok := t.codes[token]
	if !ok {
		if len(t.vocab) >= maxVocab {
			return fmt.Errorf("%w: more than %d distinct tokens", ErrTooLarge, maxVocab)
		}
		c = int32(len(t.vocab))
		token = strings.Clone(token) // may point into an Arrow buffer
		t.vocab = append(t.vocab, token)
		t.codes[token] = c
	}
	t.stats.Events++
	if procExecID == "" {
		t.alone = append(t.alone, c)
		return nil
	}
	p := t.lastSeq
	if p == nil || procExecID != t.lastPid {
		if p = t.procs[procExecID]; p == nil {
			p = &procSeq{pid: strings.Clone(procExecID)}
			t.procs[p.pid] = p
		}
		t.lastPid, t.lastSeq = p.pid, p // not procExecID: it may point into an Arrow buffer
	}
	p.codes = append(p.codes, c)
	return nil
}

// AddRecord adds the rows of an encoded record batch, which must have the
// string columns proc_exec_id (nullable: a null is a sequence of its own)
// and token (a null token is [NullToken], as in the reference). isAttack,
// if not nil, has one entry per row; attack rows are left out (the fit is
// benign-only) and counted. Errors wrap [ErrColumn], [ErrLength] or
// [ErrTooLarge]; rows before the failing one stay added.
func (t *NgramTrainer) AddRecord(rec arrow.RecordBatch, isAttack []bool) error {
	pids, tokens, err := ngramColumns(rec)
	if err != nil {
		return err
	}
	n := int(rec.NumRows())
	if isAttack != nil && len(isAttack) != n {
		return fmt.Errorf("%w: %d attack flags for %d rows", ErrLength, len(isAttack), n)
	}
	for i := range n {
		if isAttack != nil && isAttack[i] {
			t.stats.AttackEvents++
			continue
		}
		if err := t.Add(pids.value(i), tokens.token(i)); err != nil {
			return err
		}
	}
	return nil
}

// Stats returns the counts so far.
func (t *NgramTrainer) Stats() TrainStats { return t.stats }

// Fit returns the fitted model. The trainer may be fed more events and
// fitted again. Without events it returns an error wrapping
// [ErrNoTraining].
func (t *NgramTrainer) Fit() (*Ngram, error) {
	if t.stats.Events == 0 {
		return nil, ErrNoTraining
	}
	// Codes in sorted token order, as the reference's vocabulary.
	order := make([]int32, len(t.vocab))
	for i := range order {
		order[i] = int32(i)
	}
	slices.SortFunc(order, func(a, b int32) int { return strings.Compare(t.vocab[a], t.vocab[b]) })
	remap := make([]int32, len(t.vocab))
	m := &Ngram{alpha: t.cfg.alpha, backoff: t.cfg.backoff, vocab: make([]string, len(t.vocab))}
	for newCode, old := range order {
		remap[old] = int32(newCode)
		m.vocab[newCode] = t.vocab[old]
	}

	// The sequences in the reference's order: processes by proc_exec_id
	// (events without one first), each in time order.
	pids := make([]string, 0, len(t.procs))
	for p := range t.procs {
		pids = append(pids, p)
	}
	slices.Sort(pids)
	seqs := make([][]int32, 0, len(t.alone)+len(pids))
	for i := range t.alone {
		seqs = append(seqs, t.alone[i:i+1])
	}
	for _, p := range pids {
		seqs = append(seqs, t.procs[p].codes)
	}
	recode := func(s []int32) []int32 {
		out := make([]int32, len(s))
		for i, c := range s {
			out[i] = remap[c]
		}
		return out
	}

	m.uni = make([]uint64, len(m.vocab))
	bi := map[uint64]uint64{}
	tri := map[uint64]uint64{}
	diag := NgramDiagnostics{TrainEvents: t.stats.Events, Processes: len(seqs), VocabSize: len(m.vocab)}
	coded := make([][]int32, len(seqs))
	for i, s := range seqs {
		s = recode(s)
		coded[i] = s
		for j, w := range s {
			m.uni[w]++
			if j >= 1 {
				bi[key2(s[j-1], w)]++
				diag.BigramPositions++
			}
			if j >= 2 {
				tri[key3(s[j-2], s[j-1], w)]++
				diag.TrigramPositions++
			}
		}
	}
	m.nTotal = uint64(t.stats.Events)
	m.biKeys, m.biCounts = sortedCounts(bi)
	m.triKeys, m.triCounts = sortedCounts(tri)
	diag.UniqueBigrams, diag.UniqueTrigrams = len(m.biKeys), len(m.triKeys)
	m.uni = append(m.uni, 0) // the OOV bucket
	m.buildTables()
	m.diag = diag
	m.diag.TrainPerplexity, m.diag.BackoffRates = m.sampleDiagnostics(coded)
	m.quant = m.trainQuantiles(coded, t.cfg.levels)
	m.id = modelID(m.encode())
	return m, nil
}

func sortedCounts(c map[uint64]uint64) (keys, counts []uint64) {
	keys = make([]uint64, 0, len(c))
	for k := range c {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	counts = make([]uint64, len(keys))
	for i, k := range keys {
		counts[i] = c[k]
	}
	return keys, counts
}

// diagSample is the reference's cap on the diagnostic sample.
const diagSample = 100_000

// sampleDiagnostics computes the train perplexity and backoff rates over
// the reference's sample: numpy's linspace(0, n-1, min(n, 100000)) of
// integer positions in the concatenated sequences, scored in float64 and
// summed in order.
func (m *Ngram) sampleDiagnostics(seqs [][]int32) (float64, map[string]float64) {
	n := 0
	for _, s := range seqs {
		n += len(s)
	}
	if n == 0 {
		return math.NaN(), map[string]float64{}
	}
	k := min(diagSample, n)
	var sum float64
	var counts [3]int
	si, base := 0, 0
	for i := range k {
		pos := samplePosition(i, n, k)
		for pos >= base+len(seqs[si]) {
			base += len(seqs[si])
			si++
		}
		s, j := seqs[si], pos-base
		var p2, p1 int32
		if j >= 1 {
			p1 = s[j-1]
		}
		if j >= 2 {
			p2 = s[j-2]
		}
		v, lv := m.negLogP(min(j, 2), p2, p1, s[j])
		sum += v
		counts[lv]++
	}
	ppl := math.Exp(min(sum/float64(k), 50))
	rates := map[string]float64{
		"trigram": float64(counts[levelTrigram]) / float64(k),
		"bigram":  float64(counts[levelBigram]) / float64(k),
		"unigram": float64(counts[levelUnigram]) / float64(k),
	}
	return ppl, rates
}

// samplePosition is numpy's np.linspace(0, n-1, k, dtype=int64)[i]:
// i·(n-1)/(k-1) floored, the last position exactly n-1.
func samplePosition(i, n, k int) int {
	if i == k-1 {
		return n - 1
	}
	return int(math.Floor(float64(i) * (float64(n-1) / float64(k-1))))
}

// trainQuantiles returns numpy's linear quantiles at levels of the
// float32 scores of every training event in its sequence. The scores take
// few distinct values, and are determined by the n-gram an event
// completes, so they are counted from the n-gram counts rather than
// computed event by event: an event with two predecessors completes a
// training trigram and scores at the trigram level; an event with one
// completes a bigram (which makes its predecessor a bigram context); a
// process's first event scores at the unigram level.
func (m *Ngram) trainQuantiles(seqs [][]int32, levels []float64) []Quantile {
	hist := map[float32]uint64{}
	for i := range m.triKeys {
		hist[m.triSucc[i].score] += m.triCounts[i]
	}
	for _, s := range seqs {
		hist[m.uniStart[s[0]]]++
		if len(s) > 1 {
			hist[m.score(1, 0, s[0], s[1])]++
		}
	}
	return histogramQuantiles(hist, levels)
}

// histogramQuantiles returns npmath.Percentile32 of the sorted multiset a
// histogram describes.
func histogramQuantiles(hist map[float32]uint64, levels []float64) []Quantile {
	type bin struct {
		v   float32
		end uint64 // cumulative count through this value
	}
	bins := make([]bin, 0, len(hist))
	for v, c := range hist {
		bins = append(bins, bin{v: v, end: c})
	}
	slices.SortFunc(bins, func(a, b bin) int { return cmp.Compare(a.v, b.v) })
	var total uint64
	for i := range bins {
		total += bins[i].end
		bins[i].end = total
	}
	at := func(k int) float32 { // the k-th smallest score
		i, _ := slices.BinarySearchFunc(bins, uint64(k)+1, func(b bin, t uint64) int { return cmp.Compare(b.end, t) })
		return bins[i].v
	}
	out := make([]Quantile, 0, len(levels))
	for _, l := range levels {
		// The two neighbours numpy interpolates between, as a tiny
		// sorted array with the same virtual index.
		v := float64(total-1) * l
		lo := min(int(math.Floor(v)), int(total)-1)
		hi := min(lo+1, int(total)-1)
		out = append(out, Quantile{Level: l, Score: npmath.Lerp32(at(lo), at(hi), v-math.Floor(v))})
	}
	return out
}
