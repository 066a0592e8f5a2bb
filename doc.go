// Package tetrahids turns raw Tetragon eBPF telemetry into a model-ready
// host-intrusion-detection corpus, and encodes live events into exactly the
// same feature space as the public v0.2 Tetragon-native HIDS corpus.
//
// The root package holds no code; it tells the story of the packages below.
//
// # Data flow
//
// Tetragon writes one JSON object per line (protojson: snake_case names,
// 64-bit integers as strings, zero values omitted). Package tetraparse
// decodes those lines, keeps the events of the target container (by its
// PID-namespace inum), drops sentinel windows, tags the execs Tetragon
// synthesizes from its start-up /proc walk, extracts the arguments of the
// twelve hooked kprobes and builds the 126-column raw table as Arrow record
// batches, accounting for every input line in its statistics.
//
// Package lineage follows exec_id → parent links across the whole input
// (train first, then test, so parents seen in training resolve test events)
// and answers depth, root ancestor, missing-parent and cycle questions.
//
// Package encode turns raw batches into the encoded release table: the
// behaviour columns (action family, categories, tokens, log-time buckets,
// lineage hashes) and the Tier 1–6 features, all driven by the versioned
// feature definitions of package schema, so that a value computed here
// equals the value in the released corpus bit for bit.
//
// Package anonymize de-identifies encoded batches for release (basename
// aliases, path rewriting, HMAC exec-id pseudonyms, a final sweep and
// post-write leak assertions). Package labels joins labels.csv attack
// windows to events by time, cuts chronological splits and computes the
// evaluation metrics (AUROC per event, per window and per technique).
//
// Package schema is the contract: feature_definitions.json for schema 1.0
// (release v0.2.0) and 1.1 (release v0.2.1, the default), embedded in the
// library, with Arrow schemas, code ↔ label lookups and version diffs.
//
// The examples directory holds runnable programs; the corpus builder there
// strings every stage together.
package tetrahids
