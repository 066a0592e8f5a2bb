package baseline

import (
	"fmt"
	"io"
	"math"
	"slices"
	"strings"
)

// Reference hyperparameters of the n-gram baseline.
const (
	DefaultAlpha   = 1.0 // Laplace smoothing
	DefaultBackoff = 0.4 // stupid-backoff factor
)

// Names of the encoded-table columns the n-gram reads.
const (
	ColToken      = "token"
	ColProcExecID = "proc_exec_id"
	ColEventTime  = "event_time"
)

// NullToken is the token a null token cell stands for: the reference
// builds its vocabulary from str(token), so a null token is the string
// "None".
const NullToken = "None"

// maxVocab bounds the vocabulary so that three token codes (and the OOV
// code) pack into one 64-bit key.
const (
	codeBits = 21
	maxVocab = 1<<codeBits - 1
)

// Ngram is a fitted trigram model of the token sequences of processes:
// the reference's n-gram baseline. It is immutable and safe for concurrent
// use; scoring state lives in an [NgramScorer].
//
// Fit one with an [NgramTrainer]; save it with [Ngram.WriteTo] and read it
// back with [LoadNgram] or [Load].
type Ngram struct {
	alpha, backoff float64
	vocab          []string // sorted; a token's code is its index
	codes          map[string]int32
	uni            []uint64 // per code
	nTotal         uint64
	// Counts, sorted by packed key: (p1, w) and (p2, p1, w).
	biKeys, biCounts   []uint64
	triKeys, triCounts []uint64

	// Scoring tables: float32 scores derived from the counts by negLogP,
	// arranged as an automaton over contexts so that scoring an event
	// whose trigram or bigram was seen in training costs no hash lookup.
	// Internally the OOV code is len(vocab).
	ctxs       []context        // every trigram context (p2, p1) seen in training
	ctxIndex   map[uint64]int32 // (p2, p1) → index in ctxs
	triSucc    []succ           // per context, the tokens seen after it, by code
	bi         []context        // per p1 (and OOV): bigram successors; n = 0 if p1 was never a context
	biSucc     []succ
	uniStart   []float32         // first event of a process, per w (and OOV)
	uniBackoff []float32         // no usable context after a backoff to unigram
	triTotal   map[uint64]uint64 // for the float64 path
	biTotal    []uint64

	diag  NgramDiagnostics
	quant []Quantile
	id    string
}

// NgramDiagnostics are the reference's fit diagnostics (its
// NgramFitDiagnostics, with the same JSON names), computed the same way.
type NgramDiagnostics struct {
	// TrainEvents counts the benign events fitted on.
	TrainEvents int `json:"n_train_events"`
	// Processes counts their distinct processes (an event without a
	// proc_exec_id counts as a process of its own).
	Processes int `json:"n_processes"`
	// VocabSize is the number of distinct tokens.
	VocabSize int `json:"vocab_size"`
	// UniqueTrigrams and UniqueBigrams count distinct n-grams.
	UniqueTrigrams int `json:"n_unique_trigrams"`
	UniqueBigrams  int `json:"n_unique_bigrams"`
	// TrigramPositions and BigramPositions count the events with two and
	// with one preceding event in their process.
	TrigramPositions int `json:"n_trigram_positions"`
	BigramPositions  int `json:"n_bigram_positions"`
	// TrainPerplexity is exp(mean -log P) over an evenly spaced sample of
	// at most 100,000 training events, taken in (proc_exec_id, time)
	// order, capped at exp(50); NaN without events.
	TrainPerplexity float64 `json:"train_perplexity"`
	// BackoffRates gives the share of the same sample scored at each
	// level: "trigram", "bigram", "unigram".
	BackoffRates map[string]float64 `json:"backoff_rates"`
}

// Kind returns KindNgram.
func (m *Ngram) Kind() Kind { return KindNgram }

// ID returns the hex SHA-256 of the model's saved content.
func (m *Ngram) ID() string { return m.id }

// Columns returns the columns the n-gram reads: proc_exec_id and token.
func (m *Ngram) Columns() []string { return []string{ColProcExecID, ColToken} }

// Alpha returns the Laplace smoothing constant.
func (m *Ngram) Alpha() float64 { return m.alpha }

// Backoff returns the stupid-backoff factor.
func (m *Ngram) Backoff() float64 { return m.backoff }

// Vocabulary returns the training tokens in code order (sorted).
func (m *Ngram) Vocabulary() []string { return slices.Clone(m.vocab) }

// Code returns a token's code, its index in [Ngram.Vocabulary], or -1 for
// a token not seen in training (the out-of-vocabulary bucket).
func (m *Ngram) Code(token string) int {
	if c, ok := m.codes[token]; ok {
		return int(c)
	}
	return -1
}

// Diagnostics returns the fit diagnostics.
func (m *Ngram) Diagnostics() NgramDiagnostics {
	d := m.diag
	if d.BackoffRates != nil {
		rates := make(map[string]float64, len(d.BackoffRates))
		for k, v := range d.BackoffRates {
			rates[k] = v
		}
		d.BackoffRates = rates
	}
	return d
}

// Quantiles returns the stored quantiles of the benign training events'
// scores, by increasing level.
func (m *Ngram) Quantiles() []Quantile { return slices.Clone(m.quant) }

// ScoreQuantile returns the stored quantile at level (e.g. 0.999), and
// false if the model was not fitted with that level.
func (m *Ngram) ScoreQuantile(level float64) (float64, bool) { return quantileAt(m.quant, level) }

// NewRecordScorer returns m.NewScorer() with default options.
func (m *Ngram) NewRecordScorer() RecordScorer { return m.NewScorer() }

// WriteTo saves the model; [LoadNgram] reads it back.
func (m *Ngram) WriteTo(w io.Writer) (int64, error) {
	return writeFile(w, modelMagic, KindNgram, m.encode())
}

func key2(p1, w int32) uint64     { return uint64(p1)<<codeBits | uint64(w) }
func key3(p2, p1, w int32) uint64 { return uint64(p2)<<(2*codeBits) | uint64(p1)<<codeBits | uint64(w) }

// level is the order of the estimate a score came from.
type level uint8

const (
	levelTrigram level = iota
	levelBigram
	levelUnigram
)

// negLogP is the reference's -log P(w | p2, p1) in float64, with the
// level it came from: the trigram estimate if (p2, p1) was seen as a
// context, else the bigram one (times the backoff) if p1 was, else the
// unigram one, times 1 at the start of a process (no context) and times
// backoff² otherwise. ctx is the number of preceding events (0, 1, 2+).
// Every estimate is Laplace-smoothed over the vocabulary size V:
// (count + α) / (total + α·V).
func (m *Ngram) negLogP(ctx int, p2, p1, w int32) (float64, level) {
	v := float64(len(m.vocab))
	if ctx >= 2 {
		if total, ok := m.triTotal[key3(0, p2, p1)]; ok {
			c := lookup(m.triKeys, m.triCounts, key3(p2, p1, w))
			return -math.Log((float64(c) + m.alpha) / (float64(total) + m.alpha*v)), levelTrigram
		}
	}
	if ctx >= 1 {
		if total := m.biTotal[p1]; total > 0 {
			c := lookup(m.biKeys, m.biCounts, key2(p1, w))
			return -math.Log(m.backoff * (float64(c) + m.alpha) / (float64(total) + m.alpha*v)), levelBigram
		}
	}
	factor := 1.0
	if ctx >= 1 {
		factor = m.backoff * m.backoff
	}
	return -math.Log(factor * (float64(m.uni[w]) + m.alpha) / (float64(m.nTotal) + m.alpha*max(v, 1))), levelUnigram
}

// lookup finds a packed key's count in sorted keys (0 if absent).
func lookup(keys, counts []uint64, k uint64) uint64 {
	if i, ok := slices.BinarySearch(keys, k); ok {
		return counts[i]
	}
	return 0
}

// context is a trigram context (p2, p1), or the bigram context p1: its
// successors are succ[off:off+n], and a token not among them scores
// unseen.
type context struct {
	off, n uint32
	unseen float32
}

// succ is a token seen after a context: its score there, and the context
// it leads to, (p1, w) as a trigram context, or -1 if that pair was never
// one.
type succ struct {
	w     int32
	score float32
	next  int32
}

// find returns the successor entry for w among a context's successors,
// sorted by token: a branch-free binary search down to a few entries, then
// a scan.
func find(ss []succ, w int32) (succ, bool) {
	base, n := 0, len(ss)
	for n > 8 {
		half := n >> 1
		if ss[base+half].w <= w {
			base += half
		}
		n -= half
	}
	for _, e := range ss[base : base+n] {
		if e.w == w {
			return e, true
		}
	}
	return succ{}, false
}

// ctxOf returns the index of the trigram context (p2, p1), or -1.
func (m *Ngram) ctxOf(p2, p1 int32) int32 {
	if c, ok := m.ctxIndex[key3(0, p2, p1)]; ok {
		return c
	}
	return -1
}

// step scores token w after a process's state and returns the trigram
// context after it. n is the number of preceding events (0, 1, 2 or
// more), p1 the previous token and ctx the trigram context of the two
// previous tokens (-1 if it was never one). Only an n-gram not seen in
// training costs a hash lookup (of the next context).
func (m *Ngram) step(n uint8, p1, ctx, w int32) (score float32, next int32) {
	switch {
	case n >= 2 && ctx >= 0:
		c := m.ctxs[ctx]
		if e, ok := find(m.triSucc[c.off:c.off+c.n], w); ok {
			return e.score, e.next
		}
		return c.unseen, m.nextCtx(p1, w)
	case n >= 1:
		c := m.bi[p1]
		if c.n == 0 {
			return m.uniBackoff[w], m.nextCtx(p1, w)
		}
		if e, ok := find(m.biSucc[c.off:c.off+c.n], w); ok {
			return e.score, e.next
		}
		return c.unseen, m.nextCtx(p1, w)
	}
	return m.uniStart[w], -1
}

// nextCtx is the trigram context (p1, w), looked up.
func (m *Ngram) nextCtx(p1, w int32) int32 {
	oov := int32(len(m.vocab))
	if w == oov || p1 == oov {
		return -1
	}
	return m.ctxOf(p1, w)
}

// score is negLogP rounded to float32 (the reference's stored score),
// from the tables: for an event with ctx preceding events p2, p1.
func (m *Ngram) score(ctx uint8, p2, p1, w int32) float32 {
	c := int32(-1)
	if ctx >= 2 {
		c = m.ctxOf(p2, p1)
	}
	s, _ := m.step(ctx, p1, c, w)
	return s
}

// buildTables derives the code index, the totals and the scoring tables
// from the vocabulary and the counts (m.uni has the OOV bucket appended).
func (m *Ngram) buildTables() {
	v := int32(len(m.vocab))
	// The tokens in one block of memory, so that the code lookup's string
	// comparisons stay in cache.
	var arena strings.Builder
	for _, t := range m.vocab {
		arena.WriteString(t)
	}
	all, off := arena.String(), 0
	m.codes = make(map[string]int32, v)
	for i, t := range m.vocab {
		m.vocab[i] = all[off : off+len(t)]
		off += len(t)
		m.codes[m.vocab[i]] = int32(i)
	}
	oov := v
	m.biTotal = make([]uint64, v+1)
	for i, k := range m.biKeys {
		m.biTotal[k>>codeBits] += m.biCounts[i]
	}
	m.triTotal = make(map[uint64]uint64)
	for i, k := range m.triKeys {
		m.triTotal[k>>codeBits] += m.triCounts[i]
	}
	f32 := func(ctx int, p2, p1, w int32) float32 {
		s, _ := m.negLogP(ctx, p2, p1, w)
		return float32(s)
	}
	const mask = 1<<codeBits - 1
	// Trigram contexts: runs of equal (p2, p1) in the sorted keys.
	m.ctxIndex = make(map[uint64]int32, len(m.triTotal))
	m.ctxs = nil
	for i, k := range m.triKeys {
		if i == 0 || k>>codeBits != m.triKeys[i-1]>>codeBits {
			p2, p1 := int32(k>>(2*codeBits)), int32(k>>codeBits&mask)
			m.ctxIndex[k>>codeBits] = int32(len(m.ctxs))
			m.ctxs = append(m.ctxs, context{off: uint32(i), unseen: f32(2, p2, p1, oov)})
		}
		m.ctxs[len(m.ctxs)-1].n++
	}
	m.triSucc = make([]succ, len(m.triKeys))
	for i, k := range m.triKeys {
		p2, p1, w := int32(k>>(2*codeBits)), int32(k>>codeBits&mask), int32(k&mask)
		m.triSucc[i] = succ{w: w, score: f32(2, p2, p1, w), next: m.ctxOf(p1, w)}
	}
	m.bi = make([]context, v+1)
	m.biSucc = make([]succ, len(m.biKeys))
	for i, k := range m.biKeys {
		p1, w := int32(k>>codeBits), int32(k&mask)
		if m.bi[p1].n == 0 {
			m.bi[p1] = context{off: uint32(i), unseen: f32(1, 0, p1, oov)}
		}
		m.bi[p1].n++
		m.biSucc[i] = succ{w: w, score: f32(1, 0, p1, w), next: m.ctxOf(p1, w)}
	}
	m.uniStart = make([]float32, v+1)
	m.uniBackoff = make([]float32, v+1)
	for c := range v + 1 {
		m.uniStart[c] = f32(0, 0, 0, c)
		m.uniBackoff[c] = f32(1, 0, oov, c) // an OOV p1 is never a context
	}
}

// code maps a token to its internal code (OOV = len(vocab)).
func (m *Ngram) code(token string) int32 {
	if c, ok := m.codes[token]; ok {
		return c
	}
	return int32(len(m.vocab))
}

// String describes the model in one line: its smoothing, vocabulary and
// n-gram counts.
func (m *Ngram) String() string {
	return fmt.Sprintf("ngram(n=3, alpha=%v, backoff=%v, vocabulary %d, %d bigrams, %d trigrams)",
		m.alpha, m.backoff, len(m.vocab), len(m.biKeys), len(m.triKeys))
}
