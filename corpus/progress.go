package corpus

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetrahids/tetrahids/internal/numfmt"
)

// Stage names a stage of Build in a Progress report.
type Stage string

// The stages Build reports, in order. Parse and lineage report per input
// set (Progress.Split); encode and anonymize cover every split at once.
const (
	// StageParse reads an input set: Rows counts the events kept, Bytes
	// the input read (compressed for .gz), TotalBytes the input's size.
	StageParse Stage = "parse"
	// StageLineage adds the test rows of inputs split by time to the
	// lineage graph, after every train row.
	StageLineage Stage = "lineage"
	// StageEncode encodes every split; without anonymization it also
	// labels and writes the shards.
	StageEncode Stage = "encode"
	// StageAnonymize applies anonymization, labels and writes the shards.
	StageAnonymize Stage = "anonymize"
)

// Progress is one report of a running build: how far its current stage
// has got.
type Progress struct {
	// Stage is the stage running, such as StageParse.
	Stage Stage
	// Split is the input set a parse or lineage stage works on:
	// SplitTrain, SplitTest, or "all" (Config.In, split by the cut);
	// empty for the other stages.
	Split string
	// Rows counts what the stage has produced: events kept while
	// parsing, rows done otherwise. TotalRows is what it will reach,
	// when known (0 otherwise).
	Rows, TotalRows int64
	// Bytes counts the input bytes read while parsing; TotalBytes is
	// their total (0 for other stages).
	Bytes, TotalBytes int64
	// Elapsed is the time since the stage began.
	Elapsed time.Duration
	// Done marks the stage's last report, made when it has ended. A
	// stage that writes the shards (StageEncode without anonymization,
	// StageAnonymize with it) ends after its last batch is written and
	// before the shards are closed.
	Done bool
}

// meterCounter is what the stages bump; the meter reads it.
type meterCounter struct {
	bytes atomic.Int64
	rows  atomic.Int64
}

// meter reports the current stage to Config.OnProgress every interval,
// from its own goroutine, and once more when the stage ends.
type meter struct {
	fn       func(Progress)
	interval time.Duration

	mu         sync.Mutex // serializes calls of fn
	cur        Progress   // the stage's fixed fields
	start      time.Time
	stop, done chan struct{}
	c          meterCounter
}

func newMeter(fn func(Progress), interval time.Duration) *meter {
	return &meter{fn: fn, interval: interval}
}

// begin starts a stage; totals are 0 when unknown. It resets the counters.
func (m *meter) begin(stage Stage, split string, totalBytes, totalRows int64) *meterCounter {
	m.end()
	m.mu.Lock()
	m.cur = Progress{Stage: stage, Split: split, TotalBytes: totalBytes, TotalRows: totalRows}
	m.start = time.Now()
	m.c.bytes.Store(0)
	m.c.rows.Store(0)
	m.mu.Unlock()
	if m.fn != nil {
		m.stop, m.done = make(chan struct{}), make(chan struct{})
		go m.loop(m.stop, m.done)
	}
	return &m.c
}

// end finishes the current stage with its Done report.
func (m *meter) end() {
	if m.stop == nil {
		return
	}
	close(m.stop)
	<-m.done
	m.stop, m.done = nil, nil
	m.report(true)
}

func (m *meter) loop(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(m.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			m.report(false)
		}
	}
}

func (m *meter) report(done bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p := m.cur
	p.Rows, p.Bytes = m.c.rows.Load(), m.c.bytes.Load()
	p.Elapsed, p.Done = time.Since(m.start), done
	m.fn(p)
}

// String renders the report as one line for a terminal or a log: the
// stage (and input set), the events kept (parse) or rows done, the rate,
// the elapsed time and, while the stage's total is known and not reached,
// the ETA, e.g. "parse all    42 events  21 events/s  0.0 MB/s  0:02
// elapsed  ETA 0:02".
func (r Progress) String() string {
	stage := string(r.Stage)
	if r.Split != "" {
		stage += " " + r.Split
	}
	sec := r.Elapsed.Seconds()
	var b strings.Builder
	fmt.Fprintf(&b, "%-12s", stage)
	frac := -1.0
	switch rate := numfmt.Group(int64(float64(r.Rows) / sec)); {
	case r.TotalBytes > 0:
		fmt.Fprintf(&b, " %s events  %s events/s  %.1f MB/s", numfmt.Group(r.Rows), rate, float64(r.Bytes)/sec/1e6)
		frac = float64(r.Bytes) / float64(r.TotalBytes)
	case r.TotalRows > 0:
		fmt.Fprintf(&b, " %s/%s rows  %s rows/s", numfmt.Group(r.Rows), numfmt.Group(r.TotalRows), rate)
		frac = float64(r.Rows) / float64(r.TotalRows)
	default:
		fmt.Fprintf(&b, " %s rows  %s rows/s", numfmt.Group(r.Rows), rate)
	}
	fmt.Fprintf(&b, "  %s elapsed", numfmt.Clock(r.Elapsed))
	if frac > 0 && frac < 1 && !r.Done {
		fmt.Fprintf(&b, "  ETA %s", numfmt.Clock(time.Duration(float64(r.Elapsed)*(1-frac)/frac)))
	}
	return b.String()
}
