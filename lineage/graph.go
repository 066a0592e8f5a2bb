package lineage

import "github.com/tetrahids/tetrahids/internal/pathx"

const (
	// MaxWalk is the number of parent steps after which a walk gives up
	// and reports a cycle, as the reference's MAX_DEPTH does. A chain of
	// MaxWalk or more edges is therefore reported as a cycle even when it
	// has a genuine root.
	MaxWalk = 64

	// MaxDepth caps Lineage.Depth. The walk itself goes on to MaxWalk
	// steps (the root and the cycle flag come from the full walk); only
	// the reported depth is capped, as the reference's uint8 feature is.
	MaxDepth = 15
)

// NullString is a string that may be null, the Go form of a nullable Arrow
// utf8 value. The zero value is null. It exists because the reference
// tells None from "" in a few places (see the package documentation, "Null
// versus empty"); AddNullable and ForNullable take it so that such callers
// can reproduce the reference exactly.
type NullString struct {
	String string // the value; meaningful only when Valid
	Valid  bool   // false for null
}

// Str returns s as a non-null NullString, "" included.
func Str(s string) NullString { return NullString{String: s, Valid: true} }

// nullIfEmpty maps "" to null: the convention of the string-taking methods.
func nullIfEmpty(s string) NullString { return NullString{String: s, Valid: s != ""} }

// Lineage is the result of walking a process's ancestry.
type Lineage struct {
	// Depth is the number of parent steps taken, capped at MaxDepth.
	Depth int
	// RootExecID is the exec_id the walk ended on: the oldest ancestor in
	// the graph, the node where a cycle was detected, or the node reached
	// after MaxWalk steps. It is "" only for an exec_id the graph does not
	// hold.
	RootExecID string
	// RootBasename is the binary basename registered for RootExecID.
	RootBasename string
	// Cycle reports a revisited node or a walk of MaxWalk steps.
	Cycle bool
}

// Row is the per-event lineage output: the walk plus the two diagnostics
// that depend on the event's own parent columns.
type Row struct {
	Lineage
	// FallbackUsed is true when proc_parent_exec_id is null and
	// parent_exec_id is not, whether or not that parent is in the graph.
	FallbackUsed bool
	// MissingParent is true when both parent columns are null, or when
	// the resolved parent (proc_parent_exec_id, else parent_exec_id) is
	// not in the graph.
	MissingParent bool
}

// Stats are the graph's counters. Processes and ConflictingDuplicates are
// the reference's unique_processes and duplicate_exec_ids.
type Stats struct {
	// Processes is the number of exec_ids currently registered (Len).
	Processes int
	// DanglingParents is the number of parent exec_ids that registered
	// processes point to but that are not registered themselves.
	DanglingParents int
	// ConflictingDuplicates counts rows whose exec_id was already
	// registered with a different (resolved parent, basename) pair. The
	// first registration is kept.
	ConflictingDuplicates int
	// Repeats counts rows whose exec_id was already registered with the
	// same (resolved parent, basename): the normal case of a process
	// emitting several events.
	Repeats int
	// SkippedRows counts rows with a null or empty exec_id, which the
	// reference ignores.
	SkippedRows int
	// Evicted counts processes dropped by the WithMaxProcesses bound.
	Evicted int
	// Rejected counts rows dropped because the graph already held the
	// maximum number of exec_ids an int32 index can address (about 2^31),
	// or because an id was longer than 4 GiB.
	Rejected int
}

// counters is the mutable form of Stats (the fields derived from the table
// are computed on demand).
type counters struct {
	conflicts, repeats, skipped, evicted, rejected int
}

// Graph is an exec_id -> (parent, basename) map with the reference's
// lineage walk on top. The zero value is an empty graph ready to use; New
// sets options. A Graph must not be copied after first use.
//
// Concurrency: the query methods (Lookup, For, ForNullable, ForBatch,
// ParentBasename, Contains, Len, Stats, WriteTo) may run concurrently with
// each other. The mutating methods (Add, AddNullable, AddBatch, ReadFrom)
// must not run concurrently with any other method. See the package
// documentation.
type Graph struct {
	table
	stats counters
	cfg   config
	clock uint64 // logical time for the LRU bound
}

// config holds the options given to New.
type config struct {
	maxProcs int // 0: unbounded
	capacity int // size hint
}

// Option configures a Graph built by New.
type Option func(*config)

// WithCapacity pre-sizes the graph for n exec_ids, saving the rehashing
// and slice growth of a graph built one Add at a time. It is only a hint.
func WithCapacity(n int) Option {
	return func(c *config) { c.capacity = max(n, 0) }
}

// WithMaxProcesses bounds the number of registered processes. When an Add
// registers the process that exceeds n, the least recently used processes
// are evicted in one sweep, down to n - n/8 at most, so that the cost of
// the sweep is amortized over many Adds. A process is used when Add sees
// its exec_id, either as the row's process or as the parent of a newly
// registered process; Lookup does not count, which keeps lookups
// read-only. A kept process keeps its registered ancestors.
//
// Eviction changes answers: see the package documentation, "Bounded
// memory". n <= 0 means unbounded, the default.
func WithMaxProcesses(n int) Option {
	return func(c *config) { c.maxProcs = max(n, 0) }
}

// New returns an empty graph configured by opts.
func New(opts ...Option) *Graph {
	g := &Graph{}
	for _, o := range opts {
		o(&g.cfg)
	}
	g.table = newTable(g.cfg.capacity, g.cfg.maxProcs > 0)
	return g
}

// Add registers one raw event row: its proc_exec_id, proc_parent_exec_id,
// parent_exec_id and proc_binary. In the id arguments "" stands for null;
// binary may be "" or a path.
//
// The row is ignored when execID is "". The resolved parent is
// procParentExecID, or parentExecID when that is "". The basename is the
// last '/' segment of binary. The first registration of an exec_id wins; a
// later row for it with a different (parent, basename) is counted in
// Stats.ConflictingDuplicates.
//
// Add matches the reference in every rule but one corner of duplicate
// counting: when both parent ids are absent the reference stores
// parent_exec_id as it is (None or ""), so a null and an empty parent
// conflict, whereas Add sees both as null. Use AddNullable to keep that
// distinction.
func (g *Graph) Add(execID, procParentExecID, parentExecID, binary string) {
	g.AddNullable(nullIfEmpty(execID), nullIfEmpty(procParentExecID), nullIfEmpty(parentExecID), Str(binary))
}

// AddNullable is Add with nullable arguments, following the reference
// exactly: a null or empty exec_id is skipped; the resolved parent is
// procParentExecID unless it is null or "" (Python's `or`), in which case
// it is parentExecID as it is, null, "" or an id; a null or empty binary
// gives the basename "".
func (g *Graph) AddNullable(execID, procParentExecID, parentExecID, binary NullString) {
	if !execID.Valid || execID.String == "" {
		g.stats.skipped++
		return
	}
	parent := procParentExecID
	if !parent.Valid || parent.String == "" {
		parent = parentExecID
	}
	base := ""
	if binary.Valid {
		base = pathx.Base(binary.String)
	}
	g.register(execID.String, parent, base)
}

// register applies first-write-wins for one resolved row.
func (g *Graph) register(execID string, parent NullString, base string) {
	if g.slots == nil {
		g.table = newTable(0, g.cfg.maxProcs > 0)
	}
	tag := g.hash(execID)
	i, known := g.findHashed(execID, tag)
	if known && g.nodes[i].base != noBase {
		n := g.nodes[i]
		if g.sameParent(n.parent, parent) && g.bases[n.base] == base {
			g.stats.repeats++
		} else {
			g.stats.conflicts++
		}
		g.touch(i)
		return
	}
	// Registering needs at most two new indices: the process and its
	// parent placeholder. Strings must fit the arena's 32-bit lengths.
	if len(g.nodes) > maxIDs-2 || uint64(len(execID)) > maxNameLen || uint64(len(parent.String)) > maxNameLen {
		g.stats.rejected++
		return
	}
	if !known {
		i = g.add(execID, tag)
	}
	p := g.parentRef(parent)
	g.nodes[i].parent = p
	g.nodes[i].base = g.internBase(base)
	g.procs++
	g.touch(i)
	if p >= 0 {
		// A process that keeps spawning children stays recent even when
		// it emits no events itself (shells, service managers).
		g.touch(p)
	}
	if g.cfg.maxProcs > 0 && g.procs > g.cfg.maxProcs {
		g.evict()
	}
}

// touch marks index i as used now, for the LRU bound.
func (g *Graph) touch(i int32) {
	if g.lru {
		g.clock++
		g.seen[i] = g.clock
	}
}

// Contains reports whether execID is registered (the reference's
// `exec_id in process_map`). It is false for "".
func (g *Graph) Contains(execID string) bool {
	_, ok := g.registered(execID)
	return ok
}

// Len returns the number of registered processes. Read right after
// seeding, it is the reference's seed_processes.
func (g *Graph) Len() int { return g.procs }

// Stats returns the graph's counters.
func (g *Graph) Stats() Stats {
	return Stats{
		Processes:             g.procs,
		DanglingParents:       len(g.nodes) - g.procs,
		ConflictingDuplicates: g.stats.conflicts,
		Repeats:               g.stats.repeats,
		SkippedRows:           g.stats.skipped,
		Evicted:               g.stats.evicted,
		Rejected:              g.stats.rejected,
	}
}

// Lookup walks the ancestry of execID: from the process to its parent and
// on while the parent is registered. It stops at a process whose parent is
// null or unregistered (the root), at a revisited process (a cycle, which
// becomes the root), or after MaxWalk steps (reported as a cycle, with the
// process reached as the root). An unregistered execID gives the zero
// Lineage.
//
// Results are memoized per process, and a process's result is derived from
// its parent's memo, so a lookup costs O(1) amortized however deep the
// chain (cycles and chains of MaxWalk or more edges cost a bounded walk of
// at most MaxWalk steps). Memos are revalidated in O(1) on every hit, so
// Lookup stays exact while the graph grows (see the package
// documentation, "Streaming").
func (g *Graph) Lookup(execID string) Lineage {
	i, ok := g.registered(execID)
	if !ok {
		return Lineage{}
	}
	m, ok := g.memoOf(i)
	if !ok {
		m = g.resolve(i)
	}
	root := m.root()
	return Lineage{
		Depth:        min(m.depth(), MaxDepth),
		RootExecID:   g.name(root),
		RootBasename: g.bases[g.nodes[root].base],
		Cycle:        m.cycle(),
	}
}

// For returns the lineage output for one event row, given its
// proc_exec_id, proc_parent_exec_id and parent_exec_id; "" stands for null.
//
// The reference tells None from "" here: with proc_parent_exec_id == ""
// (not null) it reports no fallback, and with it "" and parent_exec_id
// null it reports no missing parent. For treats "" as null in both; use
// ForNullable when the input can hold empty, non-null ids.
func (g *Graph) For(execID, procParentExecID, parentExecID string) Row {
	return g.ForNullable(nullIfEmpty(execID), nullIfEmpty(procParentExecID), nullIfEmpty(parentExecID))
}

// ForNullable is For with nullable ids, following the reference exactly.
func (g *Graph) ForNullable(execID, procParentExecID, parentExecID NullString) Row {
	var r Row
	r.FallbackUsed = !procParentExecID.Valid && parentExecID.Valid
	resolved := procParentExecID
	if !resolved.Valid || resolved.String == "" {
		resolved = parentExecID
	}
	switch {
	case !procParentExecID.Valid && !parentExecID.Valid:
		r.MissingParent = true
	case resolved.Valid && !g.Contains(resolved.String):
		r.MissingParent = true
	}
	if execID.Valid {
		r.Lineage = g.Lookup(execID.String)
	}
	return r
}

// ParentBasename returns the basename of an event's parent binary: the
// basename registered for the resolved parent (procParentExecID, else
// parentExecID) when that parent is in the graph, otherwise the last '/'
// segment of the row's own parentBinary. Null and "" behave alike here,
// so plain strings suffice.
//
// The graph wins because a parent's first registration is the canonical
// one; the row's parent_binary is only a fallback for parents outside it.
func (g *Graph) ParentBasename(procParentExecID, parentExecID, parentBinary string) string {
	id := procParentExecID
	if id == "" {
		id = parentExecID
	}
	if id != "" {
		if i, ok := g.registered(id); ok {
			return g.bases[g.nodes[i].base]
		}
	}
	return pathx.Base(parentBinary)
}
