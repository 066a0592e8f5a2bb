// Package schema holds the versioned feature definitions of tetrahids: the
// contract between this library, the released corpus and every detector
// trained on it.
//
// A definitions document (feature_definitions.json) describes, for one schema
// version:
//
//   - every column of the raw parser table (126 columns, groups A–H of the
//     reference writer): name, Arrow type, nullability, group, meaning and
//     derivation;
//   - the per-kprobe argument extraction table that fills the kp_* columns;
//   - every column of the encoded release table, with the recipe the encoder
//     runs (its "derive" object) and, where it applies, the ordered
//     vocabulary (code → label) with its null and out-of-vocabulary codes,
//     the bucket rules, or the hash algorithm, capacity and input;
//   - the tables the encoder's derived values come from (path categories,
//     path sensitivity prefixes, destination IP CIDR lists, port rules, the
//     token format, lineage limits);
//   - the named quirks: reference behaviours that the version reproduces on
//     purpose, so that a corrected version changes data, not code.
//
// Two versions are embedded: 1.0 (the v0.2.0 release layout) and 1.1 (the
// v0.2.1 release, the default). [Default] and [Version] return them; [Load]
// reads any other document and validates it strictly (unknown fields, gapped
// or duplicate codes, missing null/OOV codes, capacities that do not fit the
// Arrow type and unknown hash algorithms are all errors that name the column).
//
// A *Definitions is immutable: no method changes it and every slice a
// method returns is the caller's, so it is safe for concurrent use.
//
// # Document format
//
// The top-level object has the fields format ("tetrahids.feature_definitions"),
// schema_version ("MAJOR.MINOR"; this package reads major version 1),
// release, description, hash_algorithms, quirks, raw, kprobe_extraction,
// tables and encoded. The embedded documents are the reference for every
// field; [Definitions] answers the questions a user asks of them (columns,
// vocabularies, hash buckets, quirks, Arrow schemas), and the recipes and
// lookup tables are read by the packages that run them.
//
// Bucket rules are tried in order and the first match wins. A rule matches a
// value v when v equals one of its "equals" values, or when min <= v < below
// (min inclusive, below exclusive; a missing bound is unbounded). A null input
// gets the categorical's null_code, a value no rule matches the default_code.
package schema
