package corpus

import (
	"sync"
	"sync/atomic"
	"time"
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
