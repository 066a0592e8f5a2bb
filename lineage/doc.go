// Package lineage reconstructs process ancestry from Tetragon events: for
// each event, how deep its process sits in its process tree, the tree's
// root, its parent's basename, and whether the parent was missing or the
// chain looped. These answers are the lineage columns of the corpus
// (f_lineage_depth, root_ancestor_basename, process_tree_root_exec_id,
// parent_binary_basename and the three lineage_* diagnostics).
//
// Register every process, then look each event up:
//
//	g := lineage.New()
//	g.AddBatch(rec)                     // raw Tetragon batches; first write wins
//	rows, err := g.ForBatch(rec)        // depth, root, parent basename, diagnostics per row
//
// A Graph is what package encode walks; most users hand one to
// encode.New and never call it directly. Register the training split
// before the test split ("train seeds test"), save a graph with WriteTo
// and load it with ReadFrom, and bound it with WithMaxProcesses in a
// service that runs indefinitely.
//
// # The graph
//
// Every Tetragon event names its process by exec_id and its parent by
// proc_parent_exec_id, or, when that is absent, parent_exec_id. A Graph
// maps each exec_id to its resolved parent and to the basename of its
// binary. Events repeat processes, so registration is first write wins: the
// first row of an exec_id defines it, and a later row that disagrees on
// (parent, basename) only increments Stats.ConflictingDuplicates.
//
// Lookup walks from a process to its parent and on, while the parent is
// registered. The depth is the number of steps (reported capped at
// MaxDepth = 15), the root is where the walk stopped. A revisited process
// is a cycle, and so is a walk of MaxWalk = 64 steps: a pathologically
// deep chain is reported like a loop, rooted at the process 64 steps up,
// exactly as the reference does. The method For adds the per-event
// diagnostics (FallbackUsed, MissingParent), and ParentBasename resolves
// the parent's basename from the graph first and from the event's own
// parent_binary otherwise.
//
// # Batch use and seeding
//
// The reference runs in two passes: first every row is registered, then
// every row is looked up. With a Graph:
//
//	g := lineage.New()
//	for _, rec := range trainBatches { g.AddBatch(rec) }
//	seeded := g.Len()                 // reference seed_processes
//	for _, rec := range testBatches { g.AddBatch(rec) }
//	for _, rec := range testBatches { rows, _ := g.ForBatch(rec) ... }
//
// Registering the training split first seeds the graph: test events whose
// parents only ran during the training window still resolve, and since
// the first write wins, the seeded entries win any collision. WriteTo and
// ReadFrom persist a graph, so the test split can be encoded later without
// reading the training split again; the counters travel with it.
//
// # Streaming
//
// A long-running service cannot make two passes; it registers each event
// and looks it up at once. Lookups always answer for the graph as it is at
// that moment, so streaming gives the two-pass answers for every event
// whose resolved parent, and whose process's ancestors as the final graph
// knows them, are registered by the time it is looked up. In particular it
// does when every process's first event arrives after its parent's first
// event. It differs when an ancestor arrives late:
//
//   - A process looked up before its parent registers has a shorter chain:
//     a smaller depth, and as its root the oldest ancestor registered so
//     far. MissingParent is true where the two-pass run says false.
//   - ParentBasename falls back to the event's own parent_binary.
//   - A cycle only exists once its last edge registers, so events before
//     that report none.
//
// Registration itself (first write wins, the duplicate counters) does not
// depend on lookups, so it is identical in both uses.
//
// # Bounded memory
//
// WithMaxProcesses bounds the graph for services that run indefinitely;
// it is off by default, and the reference has no equivalent. When the
// bound is exceeded, the least recently used processes are evicted, a
// process being used when Add sees its exec_id as the event's process or
// as the parent of a newly registered process. The processes kept are
// closed under ancestry: a kept process keeps its registered ancestors,
// however long they have been silent (a shell in use keeps its sshd and
// init). Every structure of the graph stays proportional to the bound:
// registered processes, placeholders (at most one per registration since
// the last sweep), hash slots, arena bytes and basenames. Eviction
// changes answers:
//
//   - A process registering under an evicted parent sees it as a missing
//     parent: its depth is shorter, its root is itself (or the oldest
//     surviving ancestor) and MissingParent is true; ParentBasename falls
//     back to the event's parent_binary.
//   - An evicted process that shows up again registers afresh from its new
//     row, so a conflict with its old registration is not counted.
//
// Exit events are not used to evict: a process's children keep running,
// and keep needing its lineage, after it exits.
//
// A live service seeds its graph as the corpus did, with the training
// split's graph (ReadFrom of the file the corpus builder writes), and
// registers each event as it comes:
//
//	g := lineage.New(lineage.WithMaxProcesses(1 << 20))
//	if _, err := g.ReadFrom(trainGraph); err != nil { ... }
//	for ev := range events { g.Add(...); row := g.For(...) }
//
// With a bound, ReadFrom counts the loaded processes as used in file
// order and evicts at once when the file holds more than the bound; the
// seeded processes then age like the others, and those the stream keeps
// using (as parents, or as ancestors of processes in use) stay.
//
// # Parity
//
// The answers are the reference pipeline's LineageWalker's, bit for bit:
// the tests compare the lineage columns with its golden rows and the
// string-taking methods with a transcription of the walker.
//
// The reference tells Python's None from "" in a few rules, and Arrow
// columns can hold both. AddBatch and ForBatch honour Arrow nulls exactly;
// the string-taking methods read "" as null, which is exact for every rule
// except these two:
//
//   - Duplicate counting (Add). When both parent ids are absent, the
//     reference stores parent_exec_id as it is, None or "", and a later
//     row that has the other form counts as a conflicting duplicate. Add
//     stores null for both.
//   - Diagnostics (For). FallbackUsed is "proc_parent_exec_id is None and
//     parent_exec_id is not None", so an empty proc_parent_exec_id is no
//     fallback; and an empty proc_parent_exec_id with a null
//     parent_exec_id resolves to None, which the reference does not count
//     as a missing parent. For treats "" as null in both.
//
// Everywhere else None and "" are interchangeable (an empty exec_id is
// skipped, the resolved parent uses Python's `or`, "" is never registered,
// an empty binary has basename ""). AddNullable and ForNullable take a
// NullString and are exact in every case. The package's tests check both
// forms against a transcription of the reference.
//
// # Concurrency and ownership
//
// A Graph is not locked internally. Lookup, For, ForNullable, ForBatch,
// ParentBasename, Contains, Len, Stats and WriteTo may be called from any
// number of goroutines at once; the memos they fill are published with
// atomic operations, and since a memo is a function of the graph, racing
// goroutines store identical values. Add, AddNullable, AddBatch and
// ReadFrom mutate the graph (and Add may evict) and must not run
// concurrently with any other method. A service that registers and looks
// up from several goroutines can guard the graph with a sync.RWMutex:
// Lock for the mutating methods, RLock for the others.
//
// ForBatch returns rows the caller owns, whose strings do not alias the
// batch; a Graph keeps no reference to the batches it is given (exec_ids
// and basenames are copied into its arena).
//
// # Cost
//
// About 50 bytes per process beyond its exec_id and basename strings,
// with nothing in it for the garbage collector to scan. A lookup costs
// one step per process the first time its chain is walked, however deep,
// and a hash probe and a few loads after that. How:
//
// Exec_ids are interned once. Each gets an int32 index and a 32-byte,
// pointer-free node (parent index, basename index, memo, and where its
// bytes live); the bytes are copied into shared arena blocks, and the
// exec_id -> index map is an open-addressing table of 8-byte slots. So the
// graph costs about 50 bytes per process beyond the strings themselves,
// and the garbage collector has nothing in it to scan. Basenames are
// interned in a separate small table. A parent that has not registered yet
// gets an index too, a placeholder, so that its children point at it
// already.
//
// A lookup derives a process's memo from its parent's in O(1), so a chain
// costs one step per process however deep it is, and a repeated lookup is
// a hash probe and a few loads. Only cycles and chains at least MaxWalk
// deep fall back to the reference walk, bounded at MaxWalk steps.
//
// Memoization must not freeze early answers. Nodes never change once
// registered, so a walk that ended on a cycle or on the 64-step cap stays
// right forever; a walk that ended at a root is wrong exactly when that
// root's parent has registered since. Each memo hit checks that in O(1),
// and a stale memo is recomputed from the memos of the ancestors, which
// are themselves checked the same way. So Add does no invalidation work,
// and a late parent corrects every answer that depended on its absence
// from the next lookup on.
//
// # Format
//
// WriteTo and ReadFrom implement io.WriterTo and io.ReaderFrom: a service
// loads the graph a corpus build wrote (the train split's, see package
// corpus's Config.LineageOut) and keeps growing it. The counters travel
// with the graph; memos and the LRU clock are recomputed. ReadFrom
// validates everything and reports bad input as ErrCorrupt or
// ErrUnsupportedVersion rather than panicking.
//
// The format is versioned and binary. Fixed-width integers are little
// endian; "uvarint" is encoding/binary's unsigned varint. Version 1:
//
//	header, 20 bytes
//	  magic            8 bytes "TETRALIN"
//	  version          uint16  1
//	  flags            uint16  0 (reserved; readers reject other values)
//	  payload length   uint64
//	payload
//	  nBases           uvarint
//	  nBases times     uvarint length, bytes: basename k is the (k+1)-th
//	  nIDs             uvarint
//	  nIDs times       uvarint length, bytes: exec_id (non-empty, unique)
//	                   uvarint base: 0 = not registered (only someone's
//	                     parent), k = basename k-1
//	                   uvarint parent, present when base != 0:
//	                     0 = "", 1 = null, k = exec_id k-2
//	  nCounters        uvarint
//	  nCounters times  uvarint: conflicting duplicates, repeats, skipped
//	                   rows, evicted, rejected (readers ignore counters they
//	                   do not know; absent ones are zero)
//	trailer
//	  checksum         uint32  CRC-32C (Castagnoli) of header and payload
//
// Exec_ids are written in index order, registered processes and
// placeholders alike, so that parent references are plain indices and a
// reader rebuilds the exact table. Memos and the LRU clock are not
// written; they are recomputed. ReadFrom validates everything (lengths,
// counts, references, uniqueness, checksum) and reports bad input as
// ErrCorrupt or ErrUnsupportedVersion rather than panicking. A change to
// the layout gets a new version number.
package lineage
