// Package tetraparse decodes Tetragon's JSON export and builds the raw
// table of the tetrahids corpus as Arrow record batches, keeping the
// events of the target container and accounting for every input line. It
// is the first stage of a corpus build and of a live service.
//
//	p, _ := tetraparse.New(tetraparse.Config{TargetInums: []uint64{4026533329}})
//	for rec, err := range p.Files(paths) { ... }    // raw batches; rec is released after the loop body
//	st := p.Stats()                                  // st.Check(): every line accounted for
//
// [Decode] reads one line into a typed [Event]. A [Parser] applies the
// reference pipeline's rules, in its order, to whole inputs:
//
//  1. blank lines are skipped and lines that are not JSON (as Python's
//     json.loads judges it) are counted as JSON errors;
//  2. only process_exec, process_exit and process_kprobe events are kept
//     (other kinds — tracepoint, uprobe, lsm, loader, throttle, usdt,
//     rate_limit_info — are recognized and counted);
//  3. events without a process block are dropped;
//  4. the container filter drops host-namespace events, events without a
//     PID-namespace inum, and events of other PID namespaces than the
//     targets (empty targets: every non-host namespace); see "Selecting
//     the target" for what a Config can change here;
//  5. events inside a sentinel window (inclusive bounds) are dropped;
//     events whose time does not parse are kept with a null event_time;
//  6. the row is built: process and parent blocks, procfs-walk tagging
//     (process_exec only), exit status, kprobe fields, the kp_* columns
//     of the twelve hooked kprobes following the schema's extraction
//     table, and the compact JSON of every kprobe's arguments.
//
// [Stats] accounts for every line: lines read = blank + kept + dropped +
// JSON errors + structure errors + over-long lines, checked by
// [Stats.Check]; [Stats.KeptBy], [Stats.DroppedBy] and [Stats.WrongKind]
// break the counts down by event kind and drop reason, and [Stats.Map] and
// [Stats.Reference] name every counter for stats files.
//
// # Selecting the target
//
// The reference keeps the events of its target PID namespaces
// (Config.TargetInums), and drops events without a PID-namespace inum.
// Tetragon writes namespaces only when run with process namespaces enabled;
// on Kubernetes it writes pod metadata instead (process.pod,
// process.docker). Config.Select replaces the inum targets with
// [Selector]s: PID-namespace inum, pod namespace, pod name, pod labels
// (a subset: the pod may carry more), container id. Within a selector
// every field set must match; an event is kept when any selector matches
// (its outcome is counted in Stats.SelectedBy or as DropNotSelected).
// Config.KeepWithoutNamespace keeps events without a PID-namespace inum:
// host and container events cannot be told apart there, so it is meant to
// be used with pod or container selectors. Events kept this way are built
// into rows, and encode, exactly as the reference would build them had its
// filter let them through (their namespace columns are null, is_host
// false; no feature reads them). Stats.Selection describes the rules in
// force, for stats files and data cards.
//
// # Inputs
//
// Inputs are an io.Reader ([Parser.Records]) or files ([Parser.Files]:
// several files in parallel, yielded in file order). [ExpandInputs]
// expands directories into their Tetragon export files (*.log, *.json,
// *.jsonl, rotated and gzip'd) and lists the entries it skipped. A file
// that cannot be opened or read to the end yields a [FileError], or with
// Config.SkipBadFiles is only recorded in Stats.FailedFiles.
// [Stats.MostlyUnreadable] tells an input that is mostly not Tetragon
// export.
//
// Output is a stream of record batches in the raw schema of package
// schema, in file order (the reference's) or in global event-time order
// ([TimeOrder], an external merge sort with bounded memory).
//
// Records on a stream that can block (a pipe, a socket) is prompt: it
// emits the rows it has whenever the reader has nothing more to deliver,
// and once a row has waited Config.MaxDelay (50 ms by default), so each
// line of a slow stream reaches the consumer at once; files and
// in-memory readers keep whole batches.
//
// # One event at a time
//
// A [Builder] takes lines, or events [Decode] has decoded, one at a time,
// with the Parser's rules and code (the same rows and counters as
// Records), for services that receive events one by one:
// b.AddEvent(tetraparse.Decode(line)) builds the line's row without
// parsing it again. Its pending rows leave as a record batch (Flush) or,
// without Arrow, through a [Rows] view (what encode.Encoder.EncodeRows
// reads).
//
// # Parity
//
// The rows equal the reference parser's cell for cell (the tests compare
// them with its golden rows). Reference behaviours that look like bugs are
// reproduced on purpose and named as quirks in the schema (for instance
// chmod_common's path_arg is not read). Where the reference would crash (a
// value of the wrong type for its column, invalid UTF-8, a 32-bit number
// written as a string), this package keeps going: the value is accepted as
// protojson allows, or written as null and counted in Stats.FieldErrors,
// or the line is counted as an error. [Stats.Reference] gives the counters
// under the reference's names.
//
// # Concurrency and ownership
//
// A Parser is safe for concurrent use: every call of Records or Files has
// its own decoding state, and Stats accumulates over all of them. A record
// batch yielded by Records or Files belongs to the iterator and is
// released when the loop body returns; Retain it to keep it (and Release
// it when done). A Builder is not safe for concurrent use; a batch its
// Flush returns is the caller's, and a Rows view is valid until the
// Builder next changes. Close returns a Builder's counters and buffers to
// its Parser.
//
// # Cost
//
// Config.Columns restricts the batches to the raw columns a consumer
// reads (for an encoder, its RawColumns): every line is still decoded and
// counted, only the other Arrow columns are not built, which saves most
// of the cost of the raw table. Lines are limited to Config.MaxLineBytes
// (16 MiB by default): a longer line is counted and skipped without being
// held in memory, so an endless line or a gzip bomb costs no more memory
// than the limit. Memory is bounded by the batch size, the line limit and
// (with TimeOrder) Config.SortMemory. BENCHMARKS.md has the measured
// rates.
//
// # Format
//
// Tetragon writes one protojson object per line: snake_case field names,
// 64-bit integers as strings, zero values omitted, white space anywhere;
// the event kind is the name of the envelope field that holds the body.
// Files whose names end in ".gz" are gunzipped as Python's gzip module
// reads them (zero padding and several members included); other names are
// read as is. The output columns are the raw table of package schema
// (Definitions.RawColumns), or the subset Config.Columns names.
package tetraparse
