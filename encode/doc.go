// Package encode turns raw parser rows (package tetraparse) into the
// encoded release table of the tetrahids corpus, exactly as the corpus
// holds it: for a corpus build, batch by batch in Arrow; for a live
// service, one event at a time into Features a model reads.
//
//	enc, _ := encode.New(schema.Default(), graph)         // graph: lineage.Graph, seeded
//	live, _ := encode.NewLive(parser, enc, "stdin")       // parser: tetraparse.Parser
//	feats, _ := live.Line(line)                           // one Tetragon line in, its features out
//
// Then model.Score(feats[0].Codes(), feats[0].Floats()), or, for a batch,
// out, _ := enc.Encode(raw).
//
// # Batches and events
//
// Encode takes a raw Arrow batch and returns the encoded batch (the
// corpus builder's path). EncodeRows takes the pending rows of a
// tetraparse.Builder through its Rows view and fills Features, without
// Arrow on either side; Live drives a Builder and EncodeRows for a stream,
// one line or one decoded event at a time (Live.Lines takes the lines
// that are waiting together, with the same results as one at a time and
// about half the cost). All three run the same compiled recipes and give
// the same values for the same rows and graph.
//
// # Features
//
// Features is one encoded row for model code: Codes are the integer codes
// of the model's embedding inputs (what an embedding table takes), Floats
// the flags and plain values, Strings the side strings, all in schema
// order and named by the Encoder's CodeColumns, FloatColumns and
// StringColumns; Value reads any column by name, and AppendJSON writes the
// row as a JSON object for programs in other languages. Filling a
// Features allocates nothing once its buffers have grown.
//
// # Lineage: batch and live semantics
//
// Lineage comes from a lineage.Graph. The reference works in two passes:
// it registers every process of a split (the training split first, which
// seeds the test split's graph) and only then encodes. An event of the
// test split therefore sees its whole ancestry, including ancestors whose
// first event comes later in the file. A live service cannot see the
// future: Live (and WithIncrementalLineage for Encode and EncodeRows) adds
// each event's process to the graph and then encodes the event, so an
// event is encoded against the graph of everything before it and itself.
//
// The live encoding of an event is exactly the corpus's when its resolved
// parent (proc_parent_exec_id, else parent_exec_id) and every process on
// its ancestor walk in the final graph had their first event no later than
// it (a process's first event, normally its process_exec, is what
// registers it). Otherwise only the lineage columns can differ: with the
// parent still unknown the event reports lineage_missing_parent, a depth
// counted to the oldest ancestor known so far, that ancestor as the tree's
// root, and the parent basename from the event's own parent_binary; with
// a later ancestor missing, a shorter depth and another root. Everything
// else (the per-process time deltas included) is the same, since the
// events come in the same order. On the shared test split (graph seeded
// from the training split) 21 of 2,764 events have a parent whose first
// event comes later, by up to 1.2 s; they differ in f_lineage_depth, the
// root's basename and exec_id and their hashes, and
// lineage_missing_parent; the other 2,743 match in all 61 columns
// (TestLiveMatchesBatch). Generated streams, whose processes start in
// order, match in every row.
//
// WithHoldBack trades latency for those rows: an event whose parent has
// not been seen waits until the parent's first event comes, or a bound
// passes. With a 2 s bound every row of the shared test split matches the
// corpus; 34 events wait: 21 until their parent comes (at most 1.2 s), 13
// whose parent never comes for the full bound. Every other event comes
// out at once.
//
// # Long runs
//
// A service seeds its graph from the training split's (lineage.ReadFrom)
// and grows it with every event. lineage.WithMaxProcesses bounds the
// graph and WithMaxProcesses bounds the Encoder's per-process state;
// evicting a process changes the answers of the processes that need it
// again (see both). The Encoder's other memories are bounded caches of
// pure functions (hash digests, compression ratios, normalized
// directories).
//
// A service that checkpoints saves the graph (lineage's WriteTo) and the
// Encoder's per-process state (WriteProcessState) at the same point of
// the stream; restarted, it loads both (ReadFrom, ReadProcessState) and
// encodes the events after that point exactly as an uninterrupted run
// would (TestProcessStateRestart). Without the process state, the next
// event of every process that was running gets a null delta_t_prev_ns.
//
// # Columns and errors
//
// Encode reads only the raw columns [Encoder.RawColumns] names; a parser
// that builds just those (tetraparse's Config.Columns) saves most of the
// cost of the raw table. A batch lacking one of them, or holding it with
// another type than the definitions', is rejected with [ErrColumn] before
// any state changes. The identifier columns copied unchanged from raw
// share raw's Arrow buffers.
//
// # Parity
//
// The tests compare every column of every row with the reference
// pipeline's golden rows (0 mismatching cells); see "Lineage: batch and live
// semantics" for where a live encoding may differ.
//
// What to compute comes from the versioned feature definitions of package
// schema: every encoded column carries a recipe (lookup, bucket, hash,
// flag, value, path_sensitivity or passthrough) over a raw column, a
// measure of one (byte length, list length, Shannon entropy, gzip ratio,
// basename, dirname, leading path components) or one of the behaviour
// builder's derived values (action family and object category, path, IP
// and port categories, basenames, the normalized cwd, the token and
// parent→child pair, lineage depth/root/flags, per-process time delta and
// process age). Schema 1.0, 1.1 and later versions run through the same
// code; only the document differs.
//
// Hash buckets are BLAKE2b with an 8-byte digest read big-endian modulo
// the capacity (empty or null input: bucket 0); the gzip ratio uses an
// exact port of zlib 1.2.13's level-9 deflate (internal/deflate), since
// Go's compress/gzip produces other lengths; the cwd is lower-cased with
// Python's str.lower (internal/pystr); destination IP categories follow
// Python 3.11's ipaddress (an IPv4-mapped IPv6 address is judged as IPv6,
// except for "private", which uses its IPv4 address).
//
// # Concurrency and ownership
//
// An Encoder carries per-process state from batch to batch and is not
// safe for concurrent use, nor is a Live. Encode's result belongs to the
// caller (Release it). Features and the slices Live returns belong to the
// Encoder or Live and are overwritten by the next call; Features.Clone
// keeps a copy. Between calls an Encoder still views the strings of the
// last batch it encoded; ForgetBatch lets them go. Close ends a Live.
//
// # Cost
//
// A single event through Live costs its decoding, one graph update and
// lookup, and each recipe once, with no allocation in the steady state;
// a batch costs each recipe input read once per batch. BENCHMARKS.md has
// the measured rates (BenchmarkLiveEvent, BenchmarkEncode).
//
// A batch is encoded column by column: every recipe input is read once
// into a typed vector, coded in a loop that reuses the code of an equal
// previous row (a process's events come in runs), and written straight
// into Arrow buffers.
package encode
