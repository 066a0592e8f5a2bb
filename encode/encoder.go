package encode

import (
	"errors"
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tetrahids/tetrahids/internal/parallel"
	"github.com/tetrahids/tetrahids/internal/pathx"
	"github.com/tetrahids/tetrahids/internal/pystr"
	"github.com/tetrahids/tetrahids/internal/schemadoc"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// ErrColumn reports a raw batch that lacks a column the definitions need,
// or has it with another type.
var ErrColumn = errors.New("encode: raw batch column")

// Stats are the encoder's counters, the reference builder's batch stats.
type Stats struct {
	// Rows counts the rows encoded.
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
	workers     int
	maxProcs    int
}

// WithIncrementalLineage makes Encode and EncodeRows add each batch's
// processes to the lineage graph before encoding it: the streaming mode
// (Live always works so). Without it (the reference's batch mode) the
// caller builds the graph from all input, seeds first, before encoding.
// The two agree for every event whose parent and ancestors came no later
// than its batch; the package documentation ("Lineage: batch and live
// semantics") says what differs for the others.
func WithIncrementalLineage() Option { return func(o *options) { o.incremental = true } }

// WithAllocator sets the Arrow allocator of the encoded batches.
func WithAllocator(mem memory.Allocator) Option { return func(o *options) { o.mem = mem } }

// WithWorkers codes a batch's columns on up to n goroutines (default 1:
// the calling goroutine only). The behaviour builder's values, which carry
// per-process state from row to row, are still derived first on the
// calling goroutine; the columns are independent of one another after
// that. For a program with idle cores, such as a corpus build whose other
// stages are done.
func WithWorkers(n int) Option { return func(o *options) { o.workers = n } }

// WithMaxProcesses bounds the per-process state the Encoder carries from
// event to event (each process's previous event time, behind
// delta_t_prev_ns) to about n processes, for services that run
// indefinitely; the default keeps every process, as the reference does.
// The state is kept in two generations of n/2 processes: a process not
// seen while n/2 others were added loses its previous time, so its next
// event gets a null delta_t_prev_ns, as a process's first event does.
// Pair it with lineage.WithMaxProcesses on the graph.
func WithMaxProcesses(n int) Option { return func(o *options) { o.maxProcs = max(n, 0) } }

// WithHashCacheSize bounds the number of distinct hash inputs whose digest
// is remembered, per hashed column (default 1<<20; 0 keeps the default,
// negative disables).
func WithHashCacheSize(n int) Option { return func(o *options) { o.hashCache = n } }

// Encoder turns raw parser batches into the encoded release table of one
// schema version. Per-process state (the previous event time behind
// delta_t_prev_ns) carries across batches, so batches must be encoded in
// order, and an Encoder is not safe for concurrent use.
type Encoder struct {
	defs   *schema.Definitions
	doc    *schemadoc.Document // defs's document model
	g      *lineage.Graph
	opts   options
	tokens *Tokens
	cat    *pathTable
	ip     *ipTable
	plans  []*colPlan
	schema *arrow.Schema
	// rawSchema holds the raw column types the recipes are compiled for.
	rawSchema  *arrow.Schema
	inputs     map[string]*rawInput
	inputOrder []*rawInput
	scratch    []*vec // the recipes' working vecs
	prev       map[string]*int64
	prevOld    map[string]*int64 // the older generation, with WithMaxProcesses
	stats      Stats
	// pending, undo and added are the current batch's changes to stats
	// and prev, applied or undone when the batch is done.
	pending Stats
	undo    []prevUndo
	added   []string
	// per-batch state: the batch's row count and generation, the
	// behaviour builder's values, and the scratch of codes
	n        int
	gen      uint64
	d        derivedVecs
	codes    [][]int64 // per worker
	arena    []byte
	cwdCache map[string]string
	rawCols  map[string]arrow.Array
	// The raw inputs derive and the graph read, and derive's scratch.
	derivedIn struct {
		eventType, execID, binary, cwd, kfn, daddr, dport, etime, start *rawInput
		kpPaths                                                         []*rawInput
	}
	lineageIn [5]*rawInput // in lineage.Columns' order
	kpPaths   []*vec
	kpEq      [][]bool
	// The per-row path (EncodeRows): whether the current rows come from a
	// tetraparse.Rows view, the view's schema and the positions of the
	// inputs in it, the lineage answers, and the Features layout.
	fromRows   bool
	rowsSchema *arrow.Schema
	rowsIdx    []int
	lin        []lineage.BatchRow
	lay        *layout
	// ageEachRow ages the per-process times after every row rather than
	// after the batch, as a batch of single events does (Live.Lines).
	ageEachRow bool
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
	e := &Encoder{defs: defs, doc: schemadoc.Of(defs), g: g, opts: o, prev: map[string]*int64{}, cwdCache: map[string]string{}}
	var err error
	if e.tokens, err = NewTokens(defs); err != nil {
		return nil, err
	}
	t := &e.doc.Tables
	e.cat = newPathTable(&t.PathCategory.First, t.PathCategory.Rules, t.PathCategory.Empty, t.PathCategory.Default)
	if e.ip, err = newIPTable(&t.DstIPCategory); err != nil {
		return nil, err
	}
	e.schema = defs.EncodedSchema()
	e.rawSchema = defs.RawSchema()
	e.lay = newLayout(e.doc, e.schema)
	e.inputs = map[string]*rawInput{}
	for i, c := range e.doc.Encoded.Columns {
		p, err := e.compile(&e.doc.Encoded.Columns[i], e.schema.Field(i).Type)
		if err != nil {
			return nil, fmt.Errorf("encode: column %s: %w", c.Name, err)
		}
		e.plans = append(e.plans, p)
	}
	// The behaviour builder's columns (derive), of the kinds it reads, and
	// the graph's.
	strs := append([]string{"event_type", "proc_exec_id", "proc_binary", "proc_cwd", "kprobe_function_name", "kp_sock_daddr"},
		t.PathCategory.KprobePaths...)
	for _, c := range []struct {
		names []string
		kind  kind
	}{{strs, kindStr}, {[]string{"kp_sock_dport", "event_time", "proc_start_time"}, kindInt}} {
		for _, name := range c.names {
			ri, err := e.raw(name)
			if err == nil && ri.kind != c.kind {
				err = fmt.Errorf("raw column %q is read as a %s, the definitions make it %s", name, c.kind, ri.typ)
			}
			if err != nil {
				return nil, fmt.Errorf("encode: %w", err)
			}
		}
	}
	for k, name := range lineage.Columns() {
		ri, err := e.raw(name)
		if err != nil {
			return nil, fmt.Errorf("encode: %w", err)
		}
		e.lineageIn[k] = ri
	}
	d := &e.derivedIn
	d.eventType, d.execID, d.binary, d.cwd = e.inputs["event_type"], e.inputs["proc_exec_id"], e.inputs["proc_binary"], e.inputs["proc_cwd"]
	d.kfn, d.daddr, d.dport = e.inputs["kprobe_function_name"], e.inputs["kp_sock_daddr"], e.inputs["kp_sock_dport"]
	d.etime, d.start = e.inputs["event_time"], e.inputs["proc_start_time"]
	for _, c := range t.PathCategory.KprobePaths {
		d.kpPaths = append(d.kpPaths, e.inputs[c])
	}
	return e, nil
}

// RawColumns returns the names of the raw columns Encode reads, in the raw
// schema's order: a parser that builds only these (tetraparse's
// Config.Columns) feeds the encoder as well as the full raw table does.
func (e *Encoder) RawColumns() []string {
	var out []string
	for _, f := range e.rawSchema.Fields() {
		if _, ok := e.inputs[f.Name]; ok {
			out = append(out, f.Name)
		}
	}
	return out
}

// Schema returns the Arrow schema of the encoded batches.
func (e *Encoder) Schema() *arrow.Schema { return e.schema }

// Graph returns the lineage graph the encoder reads.
func (e *Encoder) Graph() *lineage.Graph { return e.g }

// CodeColumns names the elements of Features.Codes: the model's embedding
// inputs, in schema order.
func (e *Encoder) CodeColumns() []string { return e.lay.columns(e.lay.codes) }

// FloatColumns names the elements of Features.Floats: the flags and plain
// values among the model inputs, in schema order.
func (e *Encoder) FloatColumns() []string { return e.lay.columns(e.lay.floats) }

// StringColumns names the elements of Features.Strings: the side string
// columns, in schema order.
func (e *Encoder) StringColumns() []string { return e.lay.columns(e.lay.strs) }

// Tokens returns the encoder's token formatter.
func (e *Encoder) Tokens() *Tokens { return e.tokens }

// Stats returns the counters so far.
func (e *Encoder) Stats() Stats { return e.stats }

// ForgetBatch drops the Encoder's references to the last batch it
// encoded: between calls its scratch still views that batch's strings,
// which keeps them from the garbage collector. Call it when an Encoder
// that lives on will not encode for a while (between splits, say); an
// Encoder that is about to be dropped needs no call. The Encoder stays
// usable, with its per-process state and counters. (An Encoder holds no
// Arrow memory of its own, so unlike Arrow's Release this counts no
// reference.)
func (e *Encoder) ForgetBatch() {
	vecs := e.d.all()
	for _, ri := range e.inputOrder {
		ri.arr, ri.col = nil, tetraparse.RowsColumn{}
		vecs = append(vecs, &ri.v)
	}
	for _, v := range append(vecs, e.scratch...) {
		clear(v.s[:cap(v.s)])
	}
	clear(e.lin[:cap(e.lin)])
	e.gen++ // nothing cached refers to the last batch any more
}

// derivedVecs holds the behaviour builder's values of a batch, one vec per
// derived input.
type derivedVecs struct {
	procBase, parentBase, cwdNorm, rootBase, rootID, pair vec
	action, object, pathCat, ipCat, portCat, token        vec
	depth                                                 vec
	fallback, missing, cycle                              vec
	dt, age                                               vec
}

// byName returns the vec of a derived input and its kind.
func (d *derivedVecs) byName(name string) (*vec, kind, error) {
	strs := map[string]*vec{
		"proc_basename": &d.procBase, "parent_basename": &d.parentBase,
		"cwd_normalized": &d.cwdNorm, "root_basename": &d.rootBase,
		"root_exec_id": &d.rootID, "parent_child_pair": &d.pair,
		"path_category": &d.pathCat, "dst_ip_category": &d.ipCat,
		"dst_port_category": &d.portCat, "object_category": &d.object,
		"action_family": &d.action, "token": &d.token,
	}
	if v, ok := strs[name]; ok {
		return v, kindStr, nil
	}
	switch name {
	case "lineage_depth":
		return &d.depth, kindInt, nil
	case "lineage_fallback_used":
		return &d.fallback, kindBool, nil
	case "lineage_missing_parent":
		return &d.missing, kindBool, nil
	case "lineage_cycle":
		return &d.cycle, kindBool, nil
	case "delta_t_prev_ns":
		return &d.dt, kindInt, nil
	case "process_age_ns":
		return &d.age, kindInt, nil
	}
	return nil, 0, fmt.Errorf("unknown derived value %q", name)
}

// all returns every derived vec.
func (d *derivedVecs) all() []*vec {
	return []*vec{&d.procBase, &d.parentBase, &d.cwdNorm, &d.rootBase, &d.rootID, &d.pair,
		&d.action, &d.object, &d.pathCat, &d.ipCat, &d.portCat, &d.token,
		&d.depth, &d.fallback, &d.missing, &d.cycle, &d.dt, &d.age}
}

func (d *derivedVecs) reset(n int) {
	for _, v := range []*vec{&d.procBase, &d.parentBase, &d.cwdNorm, &d.rootBase, &d.rootID, &d.pair,
		&d.action, &d.object, &d.pathCat, &d.ipCat, &d.portCat, &d.token} {
		v.reset(kindStr, n)
	}
	d.depth.reset(kindInt, n)
	d.fallback.reset(kindBool, n)
	d.missing.reset(kindBool, n)
	d.cycle.reset(kindBool, n)
	d.dt.reset(kindInt, n)
	d.age.reset(kindInt, n)
	d.dt.nulls()
	d.age.nulls()
}

// Encode returns the encoded batch of a raw parser batch (same rows, same
// order). The caller owns the result and must Release it. Identifier
// columns copied unchanged from raw (event_time, proc_exec_id, proc_pid)
// share raw's buffers, as Arrow slices do; raw may be released at once.
//
// A batch Encode rejects leaves the Encoder's counters and per-process
// times as they were, so the caller may skip it or retry; with
// WithIncrementalLineage its processes stay in the graph.
func (e *Encoder) Encode(raw arrow.RecordBatch) (arrow.RecordBatch, error) {
	if err := e.bind(raw); err != nil {
		return nil, err
	}
	if e.opts.incremental {
		if err := e.g.AddBatch(raw); err != nil {
			return nil, fmt.Errorf("encode: lineage: %w", err)
		}
	}
	e.n, e.fromRows = int(raw.NumRows()), false
	e.gen++
	var (
		lin    []lineage.BatchRow
		linErr error
	)
	if e.opts.workers > 1 {
		// The lineage lookups and each input's load and equal-run flags
		// are independent: done on the workers. Columns coded
		// concurrently share the flags, which must exist first anyway.
		// Task 0, the lookups, is likely the longest: it starts first.
		parallel.Do(len(e.inputOrder)+1, e.opts.workers, func() struct{} { return struct{}{} }, func(_ struct{}, k int) {
			if k == 0 {
				lin, linErr = e.g.ForBatch(raw)
				return
			}
			ri := e.inputOrder[k-1]
			if e.get(ri); ri.err == nil {
				ri.v.equalRuns()
			}
		})
	} else {
		lin, linErr = e.g.ForBatch(raw)
	}
	if linErr != nil {
		return nil, fmt.Errorf("encode: lineage: %w", linErr)
	}
	for _, ri := range e.inputOrder {
		if e.get(ri); ri.err != nil {
			return nil, fmt.Errorf("encode: raw column %s: %w", ri.name, ri.err)
		}
	}
	// derive's changes to the per-process times and the counters are
	// undone if a column fails (a batch whose strings outgrow an Arrow
	// array), so that a rejected batch leaves the Encoder as it was.
	e.undo, e.added, e.pending = e.undo[:0], e.added[:0], Stats{}
	e.derive(lin, e.n)
	if e.opts.workers > 1 {
		// Columns coded concurrently share these vectors: their equal-run
		// flags, otherwise computed on first use, must exist first.
		derived := e.d.all()
		parallel.Do(len(derived), e.opts.workers, func() struct{} { return struct{}{} }, func(_ struct{}, k int) {
			derived[k].equalRuns()
		})
	}
	cols := make([]arrow.Array, len(e.plans))
	defer func() {
		for _, c := range cols {
			if c != nil {
				c.Release()
			}
		}
	}()
	if err := e.runPlans(cols); err != nil {
		e.rollback()
		return nil, err
	}
	e.pending.Rows = int64(e.n)
	e.stats.add(&e.pending)
	e.age()
	return array.NewRecordBatch(e.schema, cols, int64(e.n)), nil
}

// prevUndo is an overwritten previous event time.
type prevUndo struct {
	p   *int64
	old int64
}

// rollback undoes derive's changes to the per-process times.
func (e *Encoder) rollback() {
	for i := len(e.undo) - 1; i >= 0; i-- {
		*e.undo[i].p = e.undo[i].old
	}
	for _, id := range e.added {
		delete(e.prev, id)
	}
}

// age starts a new generation of per-process times when the current one
// holds half the WithMaxProcesses bound, dropping the older one, and
// reports whether it did.
func (e *Encoder) age() bool {
	if n := e.opts.maxProcs; n > 0 && len(e.prev) >= max(1, n/2) {
		e.prevOld, e.prev = e.prev, make(map[string]*int64, len(e.prev))
		return true
	}
	return false
}

func (s *Stats) add(d *Stats) {
	s.Rows += d.Rows
	s.LineageFallbackUsed += d.LineageFallbackUsed
	s.LineageMissingParent += d.LineageMissingParent
	s.LineageCycles += d.LineageCycles
	s.NegativeDeltas += d.NegativeDeltas
}

// runPlans builds every output column of the current batch into cols,
// on e.opts.workers goroutines; the first failing column is reported.
func (e *Encoder) runPlans(cols []arrow.Array) error {
	errs := make([]error, len(e.plans))
	// Each goroutine's code scratch, kept for the next batch.
	for len(e.codes) < max(1, min(e.opts.workers, len(e.plans))) {
		e.codes = append(e.codes, nil)
	}
	w := 0
	parallel.Do(len(e.plans), e.opts.workers, func() *[]int64 {
		w++
		return &e.codes[w-1]
	}, func(codes *[]int64, k int) {
		cols[k], errs[k] = e.run(e.plans[k], codes)
	})
	for k, err := range errs {
		if err != nil {
			return fmt.Errorf("encode: column %s: %w", e.plans[k].col.Name, err)
		}
	}
	return nil
}

// run builds one output column of the current batch; codes is the
// goroutine's scratch.
func (e *Encoder) run(p *colPlan, codes *[]int64) (arrow.Array, error) {
	if p.shared != nil && arrow.TypeEqual(p.shared.arr.DataType(), p.out) {
		p.shared.arr.Retain()
		return p.shared.arr, nil
	}
	in := p.input()
	if p.measure != nil {
		in = p.measure(in, &p.mvec)
	}
	if p.code == nil {
		return p.emitVec(in)
	}
	*codes = grown(*codes, e.n)
	p.code(in, *codes)
	return p.emitCodes(*codes), nil
}

// bind maps the raw batch's columns by name and checks that every column a
// recipe reads is there with the definitions' type, before any state
// changes.
func (e *Encoder) bind(raw arrow.RecordBatch) error {
	if e.rawCols == nil {
		e.rawCols = map[string]arrow.Array{}
	}
	clear(e.rawCols)
	for i, f := range raw.Schema().Fields() {
		e.rawCols[f.Name] = raw.Column(i)
	}
	for _, ri := range e.inputOrder {
		a, ok := e.rawCols[ri.name]
		if !ok {
			return fmt.Errorf("%w %q is missing", ErrColumn, ri.name)
		}
		if !arrow.TypeEqual(a.DataType(), ri.typ) {
			return fmt.Errorf("%w %q has type %s, the definitions say %s", ErrColumn, ri.name, a.DataType(), ri.typ)
		}
		ri.arr = a
	}
	return nil
}

// derive computes the behaviour builder's values of the batch: basenames,
// normalized cwd, action family and object category, path, address and
// port categories, token and pair, lineage and time deltas.
func (e *Encoder) derive(lin []lineage.BatchRow, n int) {
	t := &e.doc.Tables
	in := &e.derivedIn
	eventType, execID, binary, cwd := e.get(in.eventType), e.get(in.execID), e.get(in.binary), e.get(in.cwd)
	kfn, daddr, dport := e.get(in.kfn), e.get(in.daddr), e.get(in.dport)
	etime, start := e.get(in.etime), e.get(in.start)
	kpPaths := e.kpPaths[:0]
	for _, ri := range in.kpPaths {
		kpPaths = append(kpPaths, e.get(ri))
	}
	e.kpPaths = kpPaths
	e.arena = e.arena[:0]
	d := &e.d
	d.reset(n)
	// Consecutive rows of one process share most inputs: each value below
	// is recomputed only when its inputs differ from the previous row's,
	// which the input vectors' equal-run flags tell.
	binEq, cwdEq, etEq, fnEq, addrEq := binary.equalRuns(), cwd.equalRuns(), eventType.equalRuns(), kfn.equalRuns(), daddr.equalRuns()
	// lastPrev is the previous event time entry of row lastPrevRow.
	idEq := execID.equalRuns()
	var lastPrev *int64
	lastPrevRow := -1
	kpEq := e.kpEq[:0]
	for _, v := range kpPaths {
		kpEq = append(kpEq, v.equalRuns())
	}
	e.kpEq = kpEq
	var last struct {
		procBase, cwdNorm, action, object, cat, ip string
		tokenIn                                    [6]string
		token, pair                                string
	}
	for i := range n {
		bin, binOK := binary.s[i], !binary.isNull(i)
		if !binEq[i] {
			last.procBase = ""
			if binOK && bin != "" {
				last.procBase = pathx.Base(bin) // aliases raw, alive for this call
			}
		}
		procBase, parentBase := last.procBase, lin[i].ParentBasename
		d.procBase.s[i], d.parentBase.s[i] = procBase, parentBase
		c, cOK := cwd.s[i], !cwd.isNull(i)
		if !cwdEq[i] {
			last.cwdNorm = ""
			if cOK && c != "" {
				last.cwdNorm = e.normalizeCwd(c)
			}
		}
		d.cwdNorm.s[i] = last.cwdNorm
		et, etOK := eventType.s[i], !eventType.isNull(i)
		if !etEq[i] || !fnEq[i] {
			var etp *string
			if etOK {
				etp = &et
			}
			last.action = t.ActionFamily.Resolve(etp, kfn.s[i])
			last.object = t.ObjectCategory.Resolve(etp, kfn.s[i])
		}
		action := last.action
		d.action.s[i], d.object.s[i] = action, last.object
		// The category path: the first non-null kprobe path if non-empty,
		// else the binary of an exec, else the cwd. It is the previous
		// row's when all of those are.
		same := binEq[i] && cwdEq[i] && etEq[i]
		for k := range kpEq {
			same = same && kpEq[k][i]
		}
		if !same {
			catIn, catNull := c, !cOK
			kpSet := false
			for _, v := range kpPaths {
				if !v.isNull(i) {
					if v.s[i] != "" {
						catIn, catNull, kpSet = v.s[i], false, true
					}
					break
				}
			}
			if !kpSet && etOK && et == "process_exec" && binOK && bin != "" {
				catIn, catNull = bin, false
			}
			last.cat = e.cat.label(catIn, catNull)
		}
		pathCat := last.cat
		d.pathCat.s[i] = pathCat
		if !addrEq[i] {
			last.ip = e.ip.label(daddr.s[i], daddr.isNull(i))
		}
		ipCat := last.ip
		d.ipCat.s[i] = ipCat
		portCat := t.DstPortCategory.Null
		if !dport.isNull(i) {
			portCat = portCategory(&t.DstPortCategory, float64(dport.i[i]))
		}
		d.portCat.s[i] = portCat
		// Tokens and pairs are written into one arena per batch: the
		// strings alias it (an arena that grows leaves earlier strings on
		// the old array, which stays alive while they refer to it). The
		// inputs are mostly the very strings of the row before, which
		// compare at once.
		tokenIn := [6]string{action, procBase, parentBase, pathCat, ipCat, portCat}
		if i == 0 || tokenIn != last.tokenIn {
			off := len(e.arena)
			e.arena = e.tokens.AppendToken(e.arena, action, procBase, parentBase, pathCat, ipCat, portCat)
			last.token = unsafeString(e.arena[off:])
			off = len(e.arena)
			e.arena = e.tokens.AppendPair(e.arena, parentBase, procBase)
			last.pair = unsafeString(e.arena[off:])
			last.tokenIn = tokenIn
		}
		d.token.s[i], d.pair.s[i] = last.token, last.pair
		l := &lin[i]
		d.depth.i[i] = int64(l.Depth)
		d.rootBase.s[i], d.rootID.s[i] = l.RootBasename, l.RootExecID
		d.fallback.b[i], d.missing.b[i], d.cycle.b[i] = l.FallbackUsed, l.MissingParent, l.Cycle
		if l.FallbackUsed {
			e.pending.LineageFallbackUsed++
		}
		if l.MissingParent {
			e.pending.LineageMissingParent++
		}
		if l.Cycle {
			e.pending.LineageCycles++
		}
		// Per-process delta: keyed by proc_exec_id ("" is a key, null is not).
		tsOK := !etime.isNull(i)
		ts := etime.i[i]
		d.dt.i[i], d.dt.null[i] = 0, true
		if tsOK && !execID.isNull(i) {
			id := execID.s[i]
			// Update through the pointer: assigning to an existing string
			// key makes Go store the new key, which aliases the raw batch
			// and would keep every batch alive. A run of one process's rows
			// looks its entry up once.
			prev, ok := lastPrev, lastPrev != nil && lastPrevRow == i-1 && idEq[i]
			if !ok {
				prev, ok = e.prev[id]
			}
			if !ok && e.prevOld != nil {
				// Back into the current generation: a process in use
				// stays. (A rollback leaves it there, which changes
				// nothing but its generation.)
				if prev, ok = e.prevOld[id]; ok {
					delete(e.prevOld, id)
					e.prev[strings.Clone(id)] = prev
				}
			}
			lastPrevRow = i
			if ok {
				lastPrev = prev
				dt := ts - *prev
				if dt < 0 {
					e.pending.NegativeDeltas++
					dt = 0
				}
				d.dt.i[i], d.dt.null[i] = dt, false
				e.undo = append(e.undo, prevUndo{prev, *prev})
				*prev = ts
			} else {
				v := ts
				key := strings.Clone(id)
				e.prev[key] = &v
				e.added = append(e.added, key)
				lastPrev = &v
			}
		}
		if e.ageEachRow && e.age() {
			lastPrev = nil // its entry is in the older generation now
		}
		d.age.i[i], d.age.null[i] = 0, true
		if tsOK && !start.isNull(i) {
			d.age.i[i], d.age.null[i] = ts-start.i[i], false
		}
	}
}

func portCategory(t *schemadoc.PortCategoryTable, port float64) string {
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
	n := &e.doc.Tables.CwdNormalization
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
