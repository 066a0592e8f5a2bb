// Package encode turns raw parser batches (package tetraparse) into the
// encoded release table of the tetrahids corpus, bit for bit as the
// reference pipeline computes it.
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
// Lineage comes from a lineage.Graph. In the reference's batch mode the
// caller builds the graph from all input (train before test) and then
// encodes; WithIncrementalLineage adds each batch's processes before
// encoding it, for live streams.
//
// Encode reads only the raw columns [Encoder.RawColumns] names; a parser
// that builds just those (tetraparse's Config.Columns) saves most of the
// cost of the raw table. A batch lacking one of them, or holding it with
// another type than the definitions', is rejected with [ErrColumn] before
// any state changes. The identifier columns copied unchanged from raw
// share raw's Arrow buffers.
//
// Each batch is encoded column by column: every recipe input is read from
// Arrow once into a typed vector, coded in a loop that reuses the code of
// an equal previous row (a process's events come in runs), and written
// straight into Arrow buffers.
//
// Parity details worth knowing: hash buckets are BLAKE2b with an 8-byte
// digest read big-endian modulo the capacity (empty or null input: bucket
// 0); the gzip ratio uses an exact port of zlib 1.2.13's level-9 deflate
// (internal/deflate), since Go's compress/gzip produces other lengths; the
// cwd is lower-cased with Python's str.lower (internal/pystr); destination
// IP categories follow Python 3.11's ipaddress (an IPv4-mapped IPv6
// address is judged as IPv6, except for "private", which uses its IPv4
// address).
package encode
