package encode

import (
	"errors"
	"fmt"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tetrahids/tetrahids/internal/deflate"
	"github.com/tetrahids/tetrahids/internal/pathx"
	"github.com/tetrahids/tetrahids/internal/pystr"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
)

// ErrColumn reports a raw batch that lacks a column the definitions need,
// or has it with another type.
var ErrColumn = errors.New("encode: raw batch column")

// Stats are the encoder's counters, the reference builder's batch stats.
type Stats struct {
	Rows int64
	// LineageFallbackUsed, LineageMissingParent and LineageCycles count
	// rows with the corresponding lineage flag set.
	LineageFallbackUsed  int64
	LineageMissingParent int64
	LineageCycles        int64
	// NegativeDeltas counts per-process time deltas below zero, which are
	// clamped to 0 (cross-CPU reordering within one process).
	NegativeDeltas int64
}

// Option configures an Encoder.
type Option func(*options)

type options struct {
	incremental bool
	mem         memory.Allocator
	hashCache   int
}

// WithIncrementalLineage makes Encode add each batch's processes to the
// lineage graph before encoding it: the streaming mode for live services.
// Without it (the reference's batch mode) the caller builds the graph from
// all input, seeds first, before encoding. The two agree whenever a
// process's exec event arrives no later than the batch of its first child
// event; they differ for a child encoded before its parent was seen (the
// batch mode finds the parent, the streaming mode reports it missing).
func WithIncrementalLineage() Option { return func(o *options) { o.incremental = true } }

// WithAllocator sets the Arrow allocator of the encoded batches.
func WithAllocator(mem memory.Allocator) Option { return func(o *options) { o.mem = mem } }

// WithHashCacheSize bounds the number of distinct hash inputs whose digest
// is remembered (default 1<<20; 0 keeps the default, negative disables).
func WithHashCacheSize(n int) Option { return func(o *options) { o.hashCache = n } }

// Encoder turns raw parser batches into the encoded release table of one
// schema version. Per-process state (the previous event time behind
// delta_t_prev_ns) carries across batches, so batches must be encoded in
// order, and an Encoder is not safe for concurrent use.
type Encoder struct {
	defs   *schema.Definitions
	g      *lineage.Graph
	opts   options
	tokens *Tokens
	cat    *pathTable
	sens   *pathTable
	ip     *ipTable
	plans  []*colPlan
	schema *arrow.Schema
	rb     *array.RecordBuilder
	prev   map[string]*int64
	hash   hasher
	sizer  deflate.Sizer
	stats  Stats
	// per-batch scratch
	rows     []derived
	arena    []byte
	cwdCache map[string]string
	counts   map[rune]int32
	order    []rune
	rawCols  map[string]arrow.Array
}

// New returns an Encoder for defs (schema.Default() when nil) that resolves
// lineage through g (a new empty graph when nil; use WithIncrementalLineage
// then).
func New(defs *schema.Definitions, g *lineage.Graph, opts ...Option) (*Encoder, error) {
	if defs == nil {
		defs = schema.Default()
	}
	if g == nil {
		g = lineage.New()
	}
	o := options{mem: memory.DefaultAllocator, hashCache: 1 << 20}
	for _, f := range opts {
		f(&o)
	}
	if o.hashCache == 0 {
		o.hashCache = 1 << 20
	}
	e := &Encoder{defs: defs, g: g, opts: o, prev: map[string]*int64{}, counts: map[rune]int32{}, cwdCache: map[string]string{}}
	var err error
	if e.tokens, err = NewTokens(defs); err != nil {
		return nil, err
	}
	t := &defs.Tables
	e.cat = newPathTable(&t.PathCategory.First, t.PathCategory.Rules, t.PathCategory.Empty, t.PathCategory.Default)
	e.sens = newPathTable(nil, t.PathSensitivity.Rules, t.PathSensitivity.Empty, t.PathSensitivity.Default)
	if e.ip, err = newIPTable(&t.DstIPCategory); err != nil {
		return nil, err
	}
	e.hash = newHasher(o.hashCache)
	e.schema = defs.EncodedSchema()
	e.rb = array.NewRecordBuilder(o.mem, e.schema)
	for i, c := range defs.Encoded.Columns {
		p, err := e.compile(&defs.Encoded.Columns[i], e.rb.Field(i))
		if err != nil {
			e.rb.Release()
			return nil, fmt.Errorf("encode: column %s: %w", c.Name, err)
		}
		e.plans = append(e.plans, p)
	}
	return e, nil
}

// Schema returns the Arrow schema of the encoded batches.
func (e *Encoder) Schema() *arrow.Schema { return e.schema }

// Graph returns the lineage graph the encoder reads.
func (e *Encoder) Graph() *lineage.Graph { return e.g }

// Tokens returns the encoder's token formatter.
func (e *Encoder) Tokens() *Tokens { return e.tokens }

// Stats returns the counters so far.
func (e *Encoder) Stats() Stats { return e.stats }

// Release frees the encoder's builders.
func (e *Encoder) Release() { e.rb.Release() }

// derived holds the behaviour builder's per-row values.
type derived struct {
	procBase, parentBase, cwdNorm, rootBase, rootID, pair string
	action, object, pathCat, ipCat, portCat, token        string
	depth                                                 int64
	fallback, missing, cycle                              bool
	dt, age                                               int64
	dtValid, ageValid                                     bool
}

// Encode returns the encoded batch of a raw parser batch (same rows, same
// order). The caller owns the result and must Release it.
func (e *Encoder) Encode(raw arrow.RecordBatch) (arrow.RecordBatch, error) {
	if err := e.bind(raw); err != nil {
		return nil, err
	}
	if e.opts.incremental {
		if err := e.g.AddBatch(raw); err != nil {
			return nil, fmt.Errorf("encode: lineage: %w", err)
		}
	}
	lin, err := e.g.ForBatch(raw)
	if err != nil {
		return nil, fmt.Errorf("encode: lineage: %w", err)
	}
	n := int(raw.NumRows())
	gets := make([]func(int) val, len(e.plans))
	for k, p := range e.plans {
		if gets[k], err = p.input(e); err != nil {
			return nil, fmt.Errorf("encode: column %s: %w", p.col.Name, err)
		}
	}
	e.derive(raw, lin, n)
	// Size the output once; growing by doubling copies and clears buffers.
	e.rb.Reserve(n)
	for k, p := range e.plans {
		p.run(gets[k], n)
	}
	e.stats.Rows += int64(n)
	return e.rb.NewRecordBatch(), nil
}

// bind maps the raw batch's columns by name.
func (e *Encoder) bind(raw arrow.RecordBatch) error {
	if e.rawCols == nil {
		e.rawCols = map[string]arrow.Array{}
	}
	clear(e.rawCols)
	for i, f := range raw.Schema().Fields() {
		e.rawCols[f.Name] = raw.Column(i)
	}
	return nil
}

func (e *Encoder) col(name string) (arrow.Array, error) {
	c, ok := e.rawCols[name]
	if !ok {
		return nil, fmt.Errorf("%w %q is missing", ErrColumn, name)
	}
	return c, nil
}

func (e *Encoder) strCol(name string) *array.String {
	c, err := e.col(name)
	if err != nil {
		return nil
	}
	s, _ := c.(*array.String)
	return s
}

// nstr reads a nullable string.
func nstr(a *array.String, i int) (string, bool) {
	if a == nil || a.IsNull(i) {
		return "", false
	}
	return a.Value(i), true
}

func (e *Encoder) derive(raw arrow.RecordBatch, lin []lineage.BatchRow, n int) {
	t := &e.defs.Tables
	eventType := e.strCol("event_type")
	execID := e.strCol("proc_exec_id")
	binary := e.strCol("proc_binary")
	cwd := e.strCol("proc_cwd")
	kfn := e.strCol("kprobe_function_name")
	daddr := e.strCol("kp_sock_daddr")
	dport, _ := e.rawCols["kp_sock_dport"].(*array.Uint32)
	etime, _ := e.rawCols["event_time"].(*array.Timestamp)
	start, _ := e.rawCols["proc_start_time"].(*array.Timestamp)
	var kpPaths []*array.String
	for _, c := range t.PathCategory.KprobePaths {
		kpPaths = append(kpPaths, e.strCol(c))
	}
	e.arena = e.arena[:0]
	if cap(e.rows) < n {
		e.rows = make([]derived, n)
	}
	e.rows = e.rows[:n]
	for i := range n {
		d := &e.rows[i]
		*d = derived{}
		bin, binOK := nstr(binary, i)
		if binOK && bin != "" {
			d.procBase = pathx.Base(bin) // aliases raw, alive for this call
		}
		d.parentBase = lin[i].ParentBasename
		if c, ok := nstr(cwd, i); ok && c != "" {
			d.cwdNorm = e.normalizeCwd(c)
		}
		et, etOK := nstr(eventType, i)
		fn, _ := nstr(kfn, i)
		var etp *string
		if etOK {
			etp = &et
		}
		d.action = t.ActionFamily.Resolve(etp, fn)
		d.object = t.ObjectCategory.Resolve(etp, fn)
		// The category path: the first non-null kprobe path if non-empty,
		// else the binary of an exec, else the cwd.
		kp, kpOK := "", false
		for _, c := range kpPaths {
			if v, ok := nstr(c, i); ok {
				kp, kpOK = v, true
				break
			}
		}
		switch {
		case kpOK && kp != "":
			d.pathCat = e.cat.label(kp, false)
		case etOK && et == "process_exec" && binOK && bin != "":
			d.pathCat = e.cat.label(bin, false)
		default:
			c, ok := nstr(cwd, i)
			d.pathCat = e.cat.label(c, !ok)
		}
		a, aOK := nstr(daddr, i)
		d.ipCat = e.ip.label(a, !aOK)
		if dport != nil && dport.IsValid(i) {
			d.portCat = portCategory(&t.DstPortCategory, float64(dport.Value(i)))
		} else {
			d.portCat = t.DstPortCategory.Null
		}
		// Tokens and pairs are written into one arena per batch: the
		// strings alias it (an arena that grows leaves earlier strings on
		// the old array, which stays alive while they refer to it).
		off := len(e.arena)
		e.arena = e.tokens.AppendToken(e.arena, d.action, d.procBase, d.parentBase, d.pathCat, d.ipCat, d.portCat)
		d.token = arenaString(e.arena[off:])
		off = len(e.arena)
		e.arena = e.tokens.AppendPair(e.arena, d.parentBase, d.procBase)
		d.pair = arenaString(e.arena[off:])
		l := &lin[i]
		d.depth = int64(l.Depth)
		d.rootBase, d.rootID = l.RootBasename, l.RootExecID
		d.fallback, d.missing, d.cycle = l.FallbackUsed, l.MissingParent, l.Cycle
		if d.fallback {
			e.stats.LineageFallbackUsed++
		}
		if d.missing {
			e.stats.LineageMissingParent++
		}
		if d.cycle {
			e.stats.LineageCycles++
		}
		// Per-process delta: keyed by proc_exec_id ("" is a key, null is not).
		id, idOK := nstr(execID, i)
		tsOK := etime != nil && etime.IsValid(i)
		var ts int64
		if tsOK {
			ts = int64(etime.Value(i))
		}
		if tsOK && idOK {
			// Update through the pointer: assigning to an existing string
			// key makes Go store the new key, which aliases the raw batch
			// and would keep every batch alive.
			if prev, ok := e.prev[id]; ok {
				d.dt, d.dtValid = ts-*prev, true
				if d.dt < 0 {
					e.stats.NegativeDeltas++
					d.dt = 0
				}
				*prev = ts
			} else {
				v := ts
				e.prev[strings.Clone(id)] = &v
			}
		}
		if tsOK && start != nil && start.IsValid(i) {
			d.age, d.ageValid = ts-int64(start.Value(i)), true
		}
	}
}

func portCategory(t *schema.PortCategoryTable, port float64) string {
	for i := range t.Rules {
		if t.Rules[i].Matches(port) {
			return t.Rules[i].Label
		}
	}
	return t.Default
}

// normalizeCwd returns proc_cwd_normalized; working directories repeat,
// so results are cached (bounded).
func (e *Encoder) normalizeCwd(c string) string {
	if v, ok := e.cwdCache[c]; ok {
		return v
	}
	n := &e.defs.Tables.CwdNormalization
	v := c
	if n.Lowercase == "python_str_lower" {
		v = pystr.Lower(v)
	}
	if n.TrailingSlash && !strings.HasSuffix(v, "/") {
		v += "/"
	}
	if len(e.cwdCache) >= 1<<16 {
		clear(e.cwdCache)
	}
	v = strings.Clone(v) // may alias c, which aliases the raw batch
	e.cwdCache[strings.Clone(c)] = v
	return v
}

func arenaString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(&b[0], len(b))
}
