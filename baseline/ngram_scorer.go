package baseline

import (
	"fmt"
	"io"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
)

// DefaultMaxProcesses is the number of process contexts an [NgramScorer]
// keeps unless told otherwise: about 100 bytes each plus the process id,
// so some 10 MB for 65,536 live processes.
const DefaultMaxProcesses = 1 << 16

// ScorerOption configures an [NgramScorer].
type ScorerOption func(*NgramScorer)

// MaxProcesses bounds the number of process contexts a scorer keeps; when
// a new process would exceed it, the context of the least recently scored
// process is dropped (and counted in [NgramScorer.Evictions]). 0 means no
// bound: right for scoring a finite split, not for a service. Negative
// values count as 0.
func MaxProcesses(n int) ScorerOption {
	return func(s *NgramScorer) { s.max = max(0, n) }
}

// NgramScorer scores events one at a time with an [Ngram], keeping for
// each process the codes of its two previous tokens: the reference's
// scoring, incrementally. Fed the events of a split in the reference's
// order (event time, ties in input order), it returns exactly the
// reference's scores, whatever the batch boundaries; per process only the
// order matters.
//
// # Bound and eviction
//
// A scorer keeps at most MaxProcesses contexts (default
// [DefaultMaxProcesses]). When an event of a new process arrives at the
// bound, the least recently scored process's context is dropped; should
// that process send another event, it is scored as the first of a process
// (no context, as the reference scores a process's first event) and its
// context builds up again. Processes that exit can be dropped early with
// [NgramScorer.Forget]. With no bound, contexts live until Forget.
//
// # Checkpoints
//
// [NgramScorer.WriteTo] saves the contexts (with the model's ID, in
// recency order) and [Ngram.RestoreScorer] reads them back, so a service
// can restart without losing the context of live processes.
//
// A scorer is not safe for concurrent use; use one per stream.
type NgramScorer struct {
	m     *Ngram
	max   int
	index map[string]int32
	slots []ctxSlot
	// The slots form a list by recency (only kept with a bound): head is
	// the most recently scored, tail the next to evict.
	head, tail int32
	free       []int32
	evictions  uint64
	// The previous event's process and slot (-1 if none): events come in
	// bursts per process, and this saves the map lookup.
	lastPid  string
	lastSlot int32
}

type ctxSlot struct {
	pid        string
	p2, p1     int32 // internal codes
	ctx        int32 // the trigram context (p2, p1), -1 if unseen
	n          uint8 // preceding events known: 0, 1 or 2 (at least)
	prev, next int32
}

// NewScorer returns a scorer with empty contexts.
func (m *Ngram) NewScorer(opts ...ScorerOption) *NgramScorer {
	s := &NgramScorer{m: m, max: DefaultMaxProcesses, index: map[string]int32{}, head: -1, tail: -1, lastSlot: -1}
	for _, o := range opts {
		o(s)
	}
	return s
}

// Model returns the scorer's model.
func (s *NgramScorer) Model() *Ngram { return s.m }

// Score scores an event of the process procExecID with the given token,
// and advances the process's context. An empty procExecID (an event
// without a process) is scored without context and changes nothing.
func (s *NgramScorer) Score(procExecID, token string) float32 {
	return s.scoreCode(procExecID, s.m.code(token))
}

// ScoreCode is [NgramScorer.Score] with the token given by its code
// ([Ngram.Code]; -1 and out-of-range codes are out of vocabulary).
func (s *NgramScorer) ScoreCode(procExecID string, code int) float32 {
	w := int32(len(s.m.vocab))
	if code >= 0 && code < len(s.m.vocab) {
		w = int32(code)
	}
	return s.scoreCode(procExecID, w)
}

func (s *NgramScorer) scoreCode(pid string, w int32) float32 {
	if pid == "" {
		return s.m.score(0, 0, 0, w)
	}
	i := s.lastSlot
	if i < 0 || pid != s.lastPid { // the previous slot is already the most recent
		var ok bool
		i, ok = s.index[pid]
		if !ok {
			i = s.insert(strings.Clone(pid))
		} else if s.max > 0 {
			s.touch(i)
		}
		s.lastPid, s.lastSlot = s.slots[i].pid, i
	}
	c := &s.slots[i]
	v, next := s.m.step(c.n, c.p1, c.ctx, w)
	c.p2, c.p1, c.ctx = c.p1, w, next
	c.n = min(c.n+1, 2)
	return v
}

// insert adds an empty context for pid at the head, evicting the tail if
// the scorer is full, and returns its slot.
func (s *NgramScorer) insert(pid string) int32 {
	if s.max > 0 && len(s.index) >= s.max {
		t := s.tail
		s.unlink(t)
		delete(s.index, s.slots[t].pid)
		s.free = append(s.free, t)
		s.evictions++
		s.lastSlot = -1
	}
	var i int32
	if n := len(s.free); n > 0 {
		i = s.free[n-1]
		s.free = s.free[:n-1]
	} else {
		s.slots = append(s.slots, ctxSlot{})
		i = int32(len(s.slots) - 1)
	}
	s.slots[i] = ctxSlot{pid: pid, ctx: -1, prev: -1, next: -1}
	s.index[pid] = i
	if s.max > 0 {
		s.pushFront(i)
	}
	return i
}

func (s *NgramScorer) touch(i int32) {
	if s.head != i {
		s.unlink(i)
		s.pushFront(i)
	}
}

func (s *NgramScorer) unlink(i int32) {
	c := &s.slots[i]
	if c.prev >= 0 {
		s.slots[c.prev].next = c.next
	} else {
		s.head = c.next
	}
	if c.next >= 0 {
		s.slots[c.next].prev = c.prev
	} else {
		s.tail = c.prev
	}
	c.prev, c.next = -1, -1
}

func (s *NgramScorer) pushFront(i int32) {
	c := &s.slots[i]
	c.prev, c.next = -1, s.head
	if s.head >= 0 {
		s.slots[s.head].prev = i
	}
	s.head = i
	if s.tail < 0 {
		s.tail = i
	}
}

// Forget drops the context of a process (e.g. on its exit event) and
// reports whether there was one.
func (s *NgramScorer) Forget(procExecID string) bool {
	i, ok := s.index[procExecID]
	if !ok {
		return false
	}
	if s.max > 0 {
		s.unlink(i)
	}
	delete(s.index, procExecID)
	s.slots[i] = ctxSlot{prev: -1, next: -1}
	s.lastSlot = -1
	s.free = append(s.free, i)
	return true
}

// Len returns the number of processes with a context.
func (s *NgramScorer) Len() int { return len(s.index) }

// Evictions returns how many contexts were dropped for the bound.
func (s *NgramScorer) Evictions() uint64 { return s.evictions }

// ScoreRecord scores the rows of an encoded record batch in order (see
// [NgramScorer.Score]), appending to dst[:0]. The batch needs the string
// columns proc_exec_id (a null is an event without a process) and token
// (a null token is [NullToken]); otherwise the error wraps [ErrColumn].
func (s *NgramScorer) ScoreRecord(dst []float32, rec arrow.RecordBatch) ([]float32, error) {
	pids, tokens, err := ngramColumns(rec)
	if err != nil {
		return dst[:0], err
	}
	dst = dst[:0]
	for i := range int(rec.NumRows()) {
		dst = append(dst, s.Score(pids.value(i), tokens.token(i)))
	}
	return dst, nil
}

// ScoreRecords scores the rows of record batches in order with a fresh,
// unbounded scorer: the reference's score_events over a split whose
// batches are in its order. It returns one score per row.
func (m *Ngram) ScoreRecords(recs []arrow.RecordBatch) ([]float32, error) {
	s := m.NewScorer(MaxProcesses(0))
	var out, buf []float32
	for _, rec := range recs {
		var err error
		if buf, err = s.ScoreRecord(buf, rec); err != nil {
			return nil, err
		}
		out = append(out, buf...)
	}
	return out, nil
}

// A checkpoint's payload: the model's ID (string), the bound (uvarint),
// the number of contexts, then each context from the least to the most
// recently scored: proc_exec_id (string), the number of preceding events
// (uvarint, 0 to 2) and the two previous codes, each as code+1 (0 for out
// of vocabulary).

// WriteTo saves the scorer's contexts as a checkpoint for
// [Ngram.RestoreScorer]. The scorer is unchanged.
func (s *NgramScorer) WriteTo(w io.Writer) (int64, error) {
	var e enc
	e.str(s.m.id)
	e.uvarint(uint64(s.max))
	e.uvarint(uint64(len(s.index)))
	put := func(c *ctxSlot) {
		e.str(c.pid)
		e.uvarint(uint64(c.n))
		e.uvarint(s.codePlusOne(c.p2))
		e.uvarint(s.codePlusOne(c.p1))
	}
	if s.max > 0 {
		for i := s.tail; i >= 0; i = s.slots[i].prev {
			put(&s.slots[i])
		}
	} else {
		for i := range s.slots {
			if s.slots[i].pid != "" {
				put(&s.slots[i])
			}
		}
	}
	return writeFile(w, checkpointMagic, KindNgram, e.b)
}

func (s *NgramScorer) codePlusOne(c int32) uint64 {
	if c >= int32(len(s.m.vocab)) {
		return 0
	}
	return uint64(c) + 1
}

// RestoreScorer reads a checkpoint written by [NgramScorer.WriteTo] for
// this model and returns a scorer with its contexts. The bound is the
// checkpoint's unless opts set one; if the checkpoint holds more contexts
// than the bound, the most recently scored are kept and the rest count as
// evictions. A checkpoint of another model gives a [*FormatError] wrapping
// [ErrModelMismatch]; damaged input one wrapping the errors [Load] names.
func (m *Ngram) RestoreScorer(r io.Reader, opts ...ScorerOption) (*NgramScorer, error) {
	kind, payload, err := readFile(r, checkpointMagic)
	if err != nil {
		return nil, err
	}
	if kind != KindNgram {
		return nil, &FormatError{Offset: 12, Err: fmt.Errorf("%w: checkpoint of a %v model", ErrKind, kind)}
	}
	d := &dec{b: payload, base: headerSize}
	if id := d.str(); d.err == nil && id != m.id {
		return nil, &FormatError{Offset: headerSize, Err: fmt.Errorf("%w: model %.12s…, this model %.12s…", ErrModelMismatch, id, m.id)}
	}
	bound := d.uvarint()
	n := d.count("context", 4)
	if d.err == nil && bound > 1<<40 {
		d.fail("bound %d", bound)
	}
	s := m.NewScorer(MaxProcesses(int(bound)))
	for _, o := range opts {
		o(s)
	}
	v := uint64(len(m.vocab))
	for range n {
		pid := d.str()
		ctx := d.uvarint()
		p2, p1 := d.uvarint(), d.uvarint()
		if d.err != nil {
			break
		}
		if pid == "" || ctx > 2 || p2 > v || p1 > v {
			d.fail("bad context for process %q", pid)
			break
		}
		if _, dup := s.index[pid]; dup {
			d.fail("process %q twice", pid)
			break
		}
		i := s.insert(pid)
		c := &s.slots[i]
		c.n, c.p2, c.p1 = uint8(ctx), internalCode(p2, v), internalCode(p1, v)
		c.ctx = -1
		if c.n >= 2 {
			c.ctx = m.ctxOf(c.p2, c.p1)
		}
	}
	if err := d.finish(); err != nil {
		return nil, err
	}
	return s, nil
}

func internalCode(plusOne, v uint64) int32 {
	if plusOne == 0 {
		return int32(v)
	}
	return int32(plusOne - 1)
}
