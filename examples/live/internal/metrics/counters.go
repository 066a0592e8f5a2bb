package metrics

import (
	"encoding/binary"
	"errors"
	"fmt"
	"maps"
	"runtime/metrics"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
)

// MaxReasons bounds the distinct reasons a labelled count keeps; further
// reasons are counted under "other", so memory and the number of series stay
// bounded whatever the reasons are.
const MaxReasons = 64

// Counters are the service's counts: lines read, events kept, dropped by
// reason, alerts, input gaps, checkpoints. They are saved in checkpoints
// (MarshalBinary), so they count since the state directory was created, not
// since the process started. Counters are safe for concurrent use; the zero
// value is ready.
type Counters struct {
	lines, bytes, kept, alerts    atomic.Uint64
	checkpoints, checkpointErrors atomic.Uint64
	lastCheckpoint                atomic.Int64 // unix ns, 0 = never

	mu      sync.Mutex
	dropped labelled // events not kept, by reason
	inDrop  labelled // input lines dropped, by reason
	gaps    labelled // input lost or skipped, by reason
}

type labelled map[string]*atomic.Uint64

// counter returns the count for reason, creating it (or "other" beyond
// MaxReasons). The caller holds mu.
func (l *labelled) counter(reason string) *atomic.Uint64 {
	if *l == nil {
		*l = labelled{}
	}
	if c, ok := (*l)[reason]; ok {
		return c
	}
	if len(*l) >= MaxReasons-1 {
		reason = "other"
		if c, ok := (*l)[reason]; ok {
			return c
		}
	}
	c := new(atomic.Uint64)
	(*l)[reason] = c
	return c
}

func (l labelled) snapshot() map[string]uint64 {
	out := make(map[string]uint64, len(l))
	for k, v := range l {
		out[k] = v.Load()
	}
	return out
}

// Line counts one input line of n bytes (newline included).
func (c *Counters) Line(n int) {
	c.lines.Add(1)
	c.bytes.Add(uint64(n))
}

// Kept counts an event kept (scored and written).
func (c *Counters) Kept() { c.kept.Add(1) }

// Alert counts an alert.
func (c *Counters) Alert() { c.alerts.Add(1) }

// Dropper returns the counter of events dropped for reason, for a hot path
// to increment without a lookup.
func (c *Counters) Dropper(reason string) *atomic.Uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.dropped.counter(reason)
}

// Dropped counts an event dropped for reason.
func (c *Counters) Dropped(reason string) { c.Dropper(reason).Add(1) }

// InputDropped counts an input line dropped by the follower for reason
// (line_too_long, unterminated).
func (c *Counters) InputDropped(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.inDrop.counter(reason).Add(1)
}

// Gap counts input lost or skipped for reason (truncated, position_gone,
// backup_gone, unreadable).
func (c *Counters) Gap(reason string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gaps.counter(reason).Add(1)
}

// Checkpointed counts a checkpoint attempt at t, failed if err is not nil.
func (c *Counters) Checkpointed(t time.Time, err error) {
	if err != nil {
		c.checkpointErrors.Add(1)
		return
	}
	c.checkpoints.Add(1)
	c.lastCheckpoint.Store(t.UnixNano())
}

// Snapshot is the value of every count at one time, with the input's
// statistics and the heap.
type Snapshot struct {
	Time                          time.Time
	Start                         time.Time // when the process started
	Lines, Bytes                  uint64
	Kept, Alerts                  uint64
	Dropped                       map[string]uint64 // events not kept, by reason
	InputDropped                  map[string]uint64 // input lines dropped, by reason
	Gaps                          map[string]uint64 // input lost or skipped, by reason
	Checkpoints, CheckpointErrors uint64
	LastCheckpoint                time.Time // zero if none
	Input                         follow.Stats
	HeapBytes                     uint64 // heap objects, live and not yet collected
	HeapLiveBytes                 uint64 // heap objects the last garbage collection found live
}

var start = time.Now()

// Snapshot reads the counts. in is the input's statistics.
func (c *Counters) Snapshot(in follow.Stats) Snapshot {
	s := Snapshot{
		Time: time.Now(), Start: start,
		Lines: c.lines.Load(), Bytes: c.bytes.Load(),
		Kept: c.kept.Load(), Alerts: c.alerts.Load(),
		Checkpoints: c.checkpoints.Load(), CheckpointErrors: c.checkpointErrors.Load(),
		Input: in,
	}
	s.HeapBytes, s.HeapLiveBytes = heapBytes()
	if ns := c.lastCheckpoint.Load(); ns != 0 {
		s.LastCheckpoint = time.Unix(0, ns)
	}
	c.mu.Lock()
	s.Dropped, s.InputDropped, s.Gaps = c.dropped.snapshot(), c.inDrop.snapshot(), c.gaps.snapshot()
	c.mu.Unlock()
	return s
}

// heapBytes reads the bytes of heap objects, and of those the last
// garbage collection found live (what the program's memory bounds bound).
func heapBytes() (objects, live uint64) {
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/gc/heap/live:bytes"}}
	metrics.Read(samples)
	v := func(s metrics.Sample) uint64 {
		if s.Value.Kind() != metrics.KindUint64 {
			return 0
		}
		return s.Value.Uint64()
	}
	return v(samples[0]), v(samples[1])
}

// ErrBadCounters is wrapped by UnmarshalBinary's errors.
var ErrBadCounters = errors.New("metrics: malformed saved counters")

const countersVersion = 1

// MarshalBinary saves the counts that persist across restarts: a version
// byte, the plain counts as uvarints, then each labelled count as a number
// of (reason, count) pairs in reason order.
func (c *Counters) MarshalBinary() ([]byte, error) {
	b := []byte{countersVersion}
	for _, v := range []uint64{c.lines.Load(), c.bytes.Load(), c.kept.Load(), c.alerts.Load()} {
		b = binary.AppendUvarint(b, v)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, l := range []labelled{c.dropped, c.inDrop, c.gaps} {
		b = binary.AppendUvarint(b, uint64(len(l)))
		for _, k := range slices.Sorted(maps.Keys(l)) {
			b = binary.AppendUvarint(b, uint64(len(k)))
			b = append(b, k...)
			b = binary.AppendUvarint(b, l[k].Load())
		}
	}
	return b, nil
}

// UnmarshalBinary restores what MarshalBinary saved, replacing the counts.
// Counters returned by Dropper before stay in use.
func (c *Counters) UnmarshalBinary(b []byte) error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrBadCounters, what) }
	if len(b) == 0 || b[0] != countersVersion {
		return bad("version")
	}
	b = b[1:]
	uv := func() (uint64, bool) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, false
		}
		b = b[n:]
		return v, true
	}
	var plain [4]uint64
	for i := range plain {
		v, ok := uv()
		if !ok {
			return bad("count")
		}
		plain[i] = v
	}
	var ls [3]map[string]uint64
	for i := range ls {
		n, ok := uv()
		if !ok || n > MaxReasons {
			return bad("number of reasons")
		}
		ls[i] = map[string]uint64{}
		prev := ""
		for j := range n {
			kl, ok := uv()
			if !ok || kl == 0 || kl > 128 || kl > uint64(len(b)) {
				return bad("reason")
			}
			k := string(b[:kl])
			b = b[kl:]
			if j > 0 && k <= prev {
				return bad("reasons out of order")
			}
			prev = k
			v, ok := uv()
			if !ok {
				return bad("count")
			}
			ls[i][k] = v
		}
	}
	if len(b) != 0 {
		return bad("trailing bytes")
	}
	c.lines.Store(plain[0])
	c.bytes.Store(plain[1])
	c.kept.Store(plain[2])
	c.alerts.Store(plain[3])
	c.mu.Lock()
	defer c.mu.Unlock()
	// Counters handed out by Dropper stay valid: set them in place.
	for i, l := range []*labelled{&c.dropped, &c.inDrop, &c.gaps} {
		for _, ctr := range *l {
			ctr.Store(0)
		}
		for k, v := range ls[i] {
			l.counter(k).Add(v)
		}
	}
	return nil
}
