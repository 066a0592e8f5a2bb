// Package tetrahids turns raw Tetragon eBPF telemetry into a model-ready
// host-intrusion-detection corpus, and encodes live events into exactly the
// same feature space as the public v0.2 Tetragon-native HIDS corpus, so
// that a model trained on the corpus scores a live stream with the
// features it was trained on.
//
//	res, err := corpus.Build(ctx, corpus.Config{In: []string{"/var/log/tetragon"}, Out: "corpus", HMACKeyFile: "key.bin"})
//	enc, _ := encode.New(schema.Default(), graph)          // graph: the training split's lineage
//	live, _ := encode.NewLive(parser, enc, "stdin")        // then live.Line(line): the line's features
//
// The root package holds no code; it tells the story of the packages below.
//
// # Data flow
//
// Tetragon writes one JSON object per line (protojson: snake_case names,
// 64-bit integers as strings, zero values omitted). Package tetraparse
// decodes those lines, keeps the events of the target container, drops
// sentinel windows, tags the execs Tetragon synthesizes from its start-up
// /proc walk, extracts the arguments of the twelve hooked kprobes and
// builds the 126-column raw table as Arrow record batches, accounting for
// every input line in its statistics.
//
// Package lineage follows exec_id → parent links across the whole input
// (train first, then test, so parents seen in training resolve test events)
// and answers depth, root ancestor, missing-parent and cycle questions.
//
// Package encode turns raw batches, or single events, into the encoded
// release table: the behaviour columns (action family, categories, tokens,
// log-time buckets, lineage hashes) and the Tier 1–6 features, all driven
// by the versioned feature definitions of package schema.
//
// Package anonymize de-identifies encoded batches for release (basename
// aliases, path rewriting, HMAC exec-id pseudonyms, a final sweep and
// post-write leak assertions). Package labels joins labels.csv attack
// windows to events by time and cuts chronological splits; labels/eval
// computes the paper's metrics (AUROC per event, per window and per
// technique, AP, TPR at a fixed FPR). Package baseline fits and runs the
// paper's n-gram and IsolationForest detectors.
//
// Package corpus strings every stage together into a corpus directory
// (Parquet shards, labels, feature definitions, stats.json, datacard.md);
// examples/corpus is its command line.
//
// Package schema is the contract: feature_definitions.json for schema 1.0
// (release v0.2.0) and 1.1 (release v0.2.1, the default), embedded in the
// library, with Arrow schemas, column descriptions, code ↔ label lookups
// and version diffs.
//
// # Parity
//
// A feature computed by these packages equals the value in the released
// corpus bit for bit. The tests compare them row by row with the outputs
// of the reference Python pipeline: a slice of those outputs is committed
// under each package's testdata, and the full goldens are read from
// ../shared/golden when that directory is present beside the module.
//
// # Concurrency and ownership
//
// Each type states whether it is safe for concurrent use. The ownership
// words mean one thing everywhere:
//
//   - Retain and Release are Arrow's reference counting, and apply only to
//     Arrow values: a record batch a function returns is the caller's to
//     Release; one an iterator yields is released when the loop body
//     returns, so Retain it to keep it.
//   - Close ends the life of what it is called on (Builder, Live,
//     ShardWriter): it must not be used afterwards, and Close may be
//     called again.
//   - Reset empties what is pending (a Builder's rows) and keeps the value
//     usable; Encoder.ForgetBatch drops an Encoder's views of the last
//     batch it encoded.
//
// # Compatibility
//
// Within a schema version nothing that decides a value changes; the Go
// API follows the compatibility policy in the README, and every exported
// name is snapshotted in api/*.txt.
package tetrahids
