// Package schema holds the versioned feature definitions of tetrahids: the
// contract between this library, the released corpus and every detector
// trained on it. It says which columns the raw and the encoded tables
// have, what each means, and, for a coded column, its vocabulary or hash
// buckets; a model, a data card or an inventory reads them here.
//
//	defs := schema.Default()                         // schema 1.1, the v0.2.1 release
//	c, _ := defs.Column("f_action_family")           // type, tier, meaning, codes, null and OOV codes
//	label, _ := defs.Label("f_action_family", 6)     // "FILE_OPEN"
//
// # Versions
//
// Two versions are embedded: 1.0 (the v0.2.0 release layout) and 1.1 (the
// v0.2.1 release, the default). [Default] and [Version] return them; [Load]
// reads any other document and validates it strictly (unknown fields, gapped
// or duplicate codes, missing null/OOV codes, capacities that do not fit the
// Arrow type and unknown hash algorithms are all errors that name the column).
// [Diff] lists what changed between two versions, as the card's evolution
// list does.
//
// # What a version describes
//
// A definitions document (feature_definitions.json) describes, for one
// schema version:
//
//   - every column of the raw parser table (126 columns, groups A–H of the
//     reference writer): name, Arrow type, nullability, group, meaning and
//     derivation ([Definitions.RawColumns]);
//   - the per-kprobe argument extraction table that fills the kp_* columns;
//   - every column of the encoded release table ([Definitions.Columns]),
//     with the recipe the encoder runs and, where it applies, the ordered
//     vocabulary (code → label) with its null and out-of-vocabulary codes,
//     the bucket rules, or the hash algorithm, capacity and input;
//   - the tables the encoder's derived values come from (path categories,
//     path sensitivity prefixes, destination IP CIDR lists, port rules, the
//     token format, lineage limits);
//   - the named quirks: reference behaviours that the version reproduces on
//     purpose ([Definitions.Quirks]).
//
// A [Column] answers what a user asks of a column; the recipes, extraction
// table and lookup tables are read by the packages that run them
// (tetraparse, encode).
//
// # Parity
//
// Within a schema version nothing that decides a value changes: column
// names, order and Arrow types, vocabularies and their codes, null and
// out-of-vocabulary codes, bucket rules, hash algorithms, capacities and
// inputs, lookup tables and quirks. A fix that changes a value is a new
// schema version; since the quirks are named in the document, a corrected
// version changes data, not code. The embedded versions' column order is
// the reference pipeline's, checked against its golden rows.
//
// # Concurrency and ownership
//
// A *Definitions is immutable: no method changes it, [Version] hands every
// caller the same one, and every slice a method returns (Columns, Codes,
// Quirks, [KnownDerived]) is a fresh copy, the caller's to change. It is
// safe for concurrent use. A [Column] is a small value that reads its
// Definitions.
//
// # Cost
//
// An embedded version is parsed and validated once, on first use. Column,
// Label and Code are map lookups; Columns and Codes allocate the slice
// they return.
//
// # Format
//
// The top-level object has the fields format ("tetrahids.feature_definitions"),
// schema_version ("MAJOR.MINOR"; this package reads major version 1),
// release, description, hash_algorithms, quirks, raw, kprobe_extraction,
// tables and encoded. The embedded documents are the reference for every
// field; [Definitions.Document] returns a version's document as loaded,
// for writing next to a corpus.
//
// Bucket rules are tried in order and the first match wins. A rule matches a
// value v when v equals one of its "equals" values, or when min <= v < below
// (min inclusive, below exclusive; a missing bound is unbounded). A null input
// gets the categorical's null_code, a value no rule matches the default_code.
package schema
