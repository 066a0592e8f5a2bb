package encode

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"github.com/tetrahids/tetrahids/tetraparse"
)

// Live encodes a stream one event at a time: a Tetragon line (or an event
// tetraparse.Decode has decoded) in, the event's Features out, at once. It
// pairs a tetraparse.Builder, which applies the Parser's rules and counts
// every line, with an Encoder, whose graph it grows with each event's
// process before encoding the event (the streaming semantics of the
// package documentation, "Live services"). Nothing is built in Arrow.
//
// With WithHoldBack, an event whose parent process has not been seen yet
// waits for it, up to a bound, and Line may return several events, or
// none.
//
// A Live is not safe for concurrent use; neither is its Encoder while it
// is in use. Close returns the Builder to the Parser.
type Live struct {
	b   *tetraparse.Builder
	enc *Encoder
	out []Features
	n   int   // events in out
	seq int64 // lines taken

	seqs []int64 // the lines of the pending rows, in Lines

	hold    time.Duration
	now     func() time.Time
	scratch *tetraparse.Builder // decodes held events again on release
	held    heldEvents
	due     []heldEvent // scratch of release
}

// LiveOption configures a Live.
type LiveOption func(*Live)

// WithHoldBack makes Live hold an event whose parent process has not been
// seen (the event's resolved parent exec_id is not in the graph) until
// the parent's first event arrives, or for at most d, after which the
// event is released as it is. Events of a process with an event held
// wait behind it, so that each process's events keep their order.
//
// Held events come out of Line and Event calls, or of Expire once their
// time is up, and Flush releases them all. A held line is decoded again
// when it is released. The per-event cost of events that are not held is
// unchanged; see the package documentation, "Live services", for what
// holding buys and costs.
func WithHoldBack(d time.Duration) LiveOption {
	return func(l *Live) { l.hold = d }
}

// NewLive returns a Live that takes lines by p's rules (target namespaces,
// sentinels, node name; p's Config.Columns should be enc.RawColumns(),
// or empty) and encodes them with enc, adding every event to enc's graph
// itself (enc's WithIncrementalLineage makes no difference). name is the
// source named in the rows' _source_file column.
func NewLive(p *tetraparse.Parser, enc *Encoder, name string, opts ...LiveOption) (*Live, error) {
	b, err := p.NewBuilder(name)
	if err != nil {
		return nil, err
	}
	l := &Live{b: b, enc: enc, now: time.Now}
	for _, o := range opts {
		o(l)
	}
	if l.hold > 0 {
		if l.scratch, err = p.NewBuilder(name); err != nil {
			b.Close()
			return nil, err
		}
		l.held.init(enc.g.Contains)
	}
	// Fail now, not on the first event, if p builds too few columns.
	if err := enc.bindRows(b.Rows()); err != nil {
		l.Close()
		return nil, fmt.Errorf("encode: Live: the parser's rows: %w", err)
	}
	return l, nil
}

// Line takes one line of Tetragon's JSON export and returns the Features
// of the events it releases: without hold-back, the line's own event
// when it becomes a row, and nothing for a line that does not (counted
// in Stats). The slice and its elements are valid until the next call of
// a Live method.
func (l *Live) Line(line []byte) ([]Features, error) {
	l.n = 0
	l.seq++
	if !l.b.AddLine(line) {
		return l.expire(false)
	}
	return l.take(line, nil)
}

// Lines is Line for several lines at once: it returns the Features of
// the events the lines release, exactly what successive Line calls
// return (each event is added to the graph, then looked up, in turn),
// at the cost of encoding them as one batch: about half Line's cost per
// event for a few dozen lines (BenchmarkLiveLines). A service that finds
// several lines waiting can take them together, and lose nothing to
// batching. With hold-back the lines are taken one by one. The slice and
// its elements are valid until the next call of a Live method.
func (l *Live) Lines(lines [][]byte) ([]Features, error) {
	l.n = 0
	if l.hold > 0 {
		for _, line := range lines {
			l.seq++
			var err error
			if l.b.AddLine(line) {
				_, err = l.take(line, nil)
			} else {
				_, err = l.expire(false)
			}
			if err != nil {
				return l.out[:l.n], err
			}
		}
		return l.out[:l.n], nil
	}
	l.seqs = l.seqs[:0]
	for _, line := range lines {
		l.seq++
		if l.b.AddLine(line) {
			l.seqs = append(l.seqs, l.seq)
		}
	}
	n := len(l.seqs)
	if n == 0 {
		return l.out[:0], nil
	}
	e := l.enc
	defer l.b.Reset()
	if err := e.bindRows(l.b.Rows()); err != nil {
		return nil, err
	}
	e.startRows(n)
	l.out = growFeatures(l.out, n)
	for i, seq := range l.seqs {
		l.out[i].reset(e.lay, seq)
	}
	e.encodeRowsRegistering(l.out[:n])
	l.n = n
	return l.out[:n], nil
}

// Event is Line for an event tetraparse.Decode has decoded, given as
// Decode's two results: l.Event(tetraparse.Decode(line)). The event is
// not parsed again (see tetraparse.Builder.AddEvent); with hold-back, a
// held event is kept until it is released.
func (l *Live) Event(ev *tetraparse.Event, err error) ([]Features, error) {
	l.n = 0
	l.seq++
	if !l.b.AddEvent(ev, err) {
		return l.expire(false)
	}
	return l.take(nil, ev)
}

// take registers and encodes, or holds, the Builder's one pending row,
// then releases what it makes due.
func (l *Live) take(line []byte, ev *tetraparse.Event) ([]Features, error) {
	e := l.enc
	defer l.b.Reset()
	if err := e.bindRows(l.b.Rows()); err != nil {
		return nil, err
	}
	e.startRows(1)
	if l.hold <= 0 {
		e.registerRows()
		l.emit(l.seq)
		return l.out[:l.n], nil
	}
	id, pp, p, _, _ := e.lineageVecs()
	execID := id.s[0]
	if id.isNull(0) {
		execID = ""
	}
	isNew := execID != "" && !e.g.Contains(execID)
	e.registerRows()
	parent := pp.s[0]
	if parent == "" {
		parent = p.s[0]
	}
	waitFor := ""
	if parent != "" && !e.g.Contains(parent) {
		waitFor = parent
	}
	if waitFor != "" || l.held.blocks(execID) {
		if line != nil {
			line = bytes.Clone(line)
		}
		// The ids view the Builder's buffer: copies are kept.
		l.held.add(heldEvent{seq: l.seq, line: line, ev: ev, proc: strings.Clone(execID), waitFor: strings.Clone(waitFor), at: l.now()})
		return l.release(execID, isNew)
	}
	l.emit(l.seq)
	return l.release(execID, isNew)
}

// emit encodes the rows bound and started (one) into the next output.
func (l *Live) emit(seq int64) {
	l.out = growFeatures(l.out, l.n+1)
	f := l.out[l.n : l.n+1]
	f[0].reset(l.enc.lay, seq)
	l.enc.encodeRows(f)
	l.n++
}

// release emits the held events that the arrival of a new process
// (execID, when isNew) makes due, then those whose time is up.
func (l *Live) release(execID string, isNew bool) ([]Features, error) {
	if isNew && l.held.len() > 0 {
		l.due = l.held.arrived(execID, l.due[:0])
		if err := l.replayDue(); err != nil {
			return l.out[:l.n], err
		}
	}
	return l.expire(false)
}

// expire emits the held events whose time is up (all of them with all
// set).
func (l *Live) expire(all bool) ([]Features, error) {
	if l.hold <= 0 || l.held.len() == 0 {
		return l.out[:l.n], nil
	}
	l.due = l.held.expired(l.now().Add(-l.hold), all, l.due[:0])
	err := l.replayDue()
	return l.out[:l.n], err
}

func (l *Live) replayDue() error {
	for i := range l.due {
		if err := l.replay(l.due[i]); err != nil {
			return err
		}
		l.due[i] = heldEvent{}
	}
	return nil
}

// replay encodes a held event, decoding its line again.
func (l *Live) replay(h heldEvent) error {
	s := l.scratch
	defer s.Reset()
	var kept bool
	if h.line != nil {
		kept = s.AddLine(h.line)
	} else {
		kept = s.AddEvent(h.ev, nil)
	}
	if !kept || s.Len() != 1 {
		return fmt.Errorf("encode: Live: held line %d did not decode again", h.seq)
	}
	if err := l.enc.bindRows(s.Rows()); err != nil {
		return err
	}
	l.enc.startRows(1)
	l.emit(h.seq)
	f := &l.out[l.n-1]
	f.held, f.wait = true, l.now().Sub(h.at)
	return nil
}

// Expire returns the held events that have waited the hold-back bound;
// a service calls it when no line has come for a while.
func (l *Live) Expire() ([]Features, error) {
	l.n = 0
	return l.expire(false)
}

// Flush returns every held event, at the end of the input.
func (l *Live) Flush() ([]Features, error) {
	l.n = 0
	return l.expire(true)
}

// Held returns the number of events held back.
func (l *Live) Held() int { return l.held.len() }

// Stats returns the counters of the lines taken so far (see
// tetraparse.Stats).
func (l *Live) Stats() tetraparse.Stats { return l.b.Stats() }

// Close returns the Live's Builder to the Parser, adding its counters to
// the Parser's. Held events are dropped: Flush first to keep them. The
// Live must not be used afterwards; Close may be called again.
func (l *Live) Close() {
	l.b.Close()
	if l.scratch != nil {
		l.scratch.Close()
	}
}

// heldEvent is an event held back, with what it waits for.
type heldEvent struct {
	seq     int64
	line    []byte
	ev      *tetraparse.Event
	proc    string // its process's exec_id (a unique key when it has none)
	waitFor string // the unseen parent it waits for; "" when it only follows its process's earlier events
	at      time.Time
	done    bool
}

// heldEvents holds events in arrival order and in one queue per process.
// The first event of a queue waits for its parent (or its time); the
// others follow it.
type heldEvents struct {
	all     []*heldEvent            // by arrival; all[:first] are done
	first   int                     //
	live    int                     // held, not yet released
	byProc  map[string][]*heldEvent // each process's held events, oldest first
	waiting map[string][]string     // parent exec_id -> processes whose first event waits for it
	known   func(execID string) bool
}

func (h *heldEvents) init(known func(string) bool) {
	h.byProc = map[string][]*heldEvent{}
	h.waiting = map[string][]string{}
	h.known = known
}

func (h *heldEvents) len() int { return h.live }

// blocks reports whether proc has held events its next event must follow.
func (h *heldEvents) blocks(proc string) bool {
	return proc != "" && len(h.byProc[proc]) > 0
}

func (h *heldEvents) add(e heldEvent) {
	if e.proc == "" {
		// No process: no order to keep, only the parent to wait for.
		e.proc = fmt.Sprintf("\x00%d", e.seq)
	}
	he := &e
	h.all = append(h.all, he)
	h.live++
	q := h.byProc[e.proc]
	h.byProc[e.proc] = append(q, he)
	if len(q) == 0 && e.waitFor != "" {
		h.waiting[e.waitFor] = append(h.waiting[e.waitFor], e.proc)
	}
}

// arrived appends to out the held events that the registration of the
// process parent makes due.
func (h *heldEvents) arrived(parent string, out []heldEvent) []heldEvent {
	procs, ok := h.waiting[parent]
	if !ok {
		return out
	}
	delete(h.waiting, parent)
	for _, proc := range procs {
		out = h.drain(proc, out)
	}
	return out
}

// drain appends to out proc's held events from the first on, while the
// first waits for a parent that is now known or for none; the first that
// remains waits for its parent.
func (h *heldEvents) drain(proc string, out []heldEvent) []heldEvent {
	q := h.byProc[proc]
	for len(q) > 0 && (q[0].waitFor == "" || h.known(q[0].waitFor)) {
		out = h.done(q[0], out)
		q = q[1:]
	}
	if len(q) == 0 {
		delete(h.byProc, proc)
		return out
	}
	h.byProc[proc] = q
	h.waiting[q[0].waitFor] = append(h.waiting[q[0].waitFor], proc)
	return out
}

func (h *heldEvents) done(e *heldEvent, out []heldEvent) []heldEvent {
	e.done = true
	h.live--
	return append(out, *e)
}

// expired appends to out the events that arrived before deadline (every
// event, with all set) and the events of their processes that follow
// them and need not wait.
func (h *heldEvents) expired(deadline time.Time, all bool, out []heldEvent) []heldEvent {
	for h.first < len(h.all) {
		e := h.all[h.first]
		if !e.done {
			if !all && e.at.After(deadline) {
				break
			}
			// Events are held in arrival order, so e is its queue's
			// first: it waits no longer.
			ws := h.waiting[e.waitFor]
			for i, p := range ws {
				if p == e.proc {
					ws = append(ws[:i], ws[i+1:]...)
					break
				}
			}
			if len(ws) == 0 {
				delete(h.waiting, e.waitFor)
			} else {
				h.waiting[e.waitFor] = ws
			}
			e.waitFor = ""
			out = h.drain(e.proc, out)
		}
		h.all[h.first] = nil
		h.first++
	}
	if h.first == len(h.all) {
		h.all, h.first = h.all[:0], 0
	}
	return out
}
