// Package anonymize de-identifies encoded tetrahids batches for release: a
// corpus leaves the building only if nothing in it names a person, a host,
// a project or an address.
//
//	p, _ := anonymize.New(anonymize.DefaultPolicy(), anonymize.WithKey(key))  // key: the HMAC secret
//	for _, rec := range encoded { p.Observe(rec) }   // every basename, before aliases are numbered
//	out, err := p.Apply(rec)                         // the released batch; a *LeakError stops the release
//
// It is the dataset card's "Anonymization of the release" as a library,
// driven by a Policy (plain data, strict versioned JSON) instead of edited
// code, so that teams building corpora from their own hosts get the same
// guarantees. The f_* features are computed by package encode from the
// raw values before anonymization, exactly as in the release; this package
// never touches a non-string column.
//
// # The steps, in the card's order
//
//  1. Basename aliasing. One AliasMap covers proc_binary_basename,
//     parent_binary_basename and root_ancestor_basename. Allowlisted
//     distro and developer-tool basenames (DefaultAllowlist: coreutils,
//     shells, interpreters including versioned ones such as python3.12,
//     node, npm, git, gh, code, claude, systemd daemons, sshd, cron, …)
//     pass verbatim; code-<40 hex> (VS Code server builds) collapses to
//     vscode_server_bin; every other basename becomes custom_tool_NNN.
//     The empty basename stays empty.
//  2. parent_child_pair and token are regenerated from the released
//     (aliased, then swept) basenames, categories and f_action_family
//     with the canonical format of package encode (encode.Tokens, the one
//     implementation shared with the encoder), then swept themselves, so
//     an original basename never re-enters them.
//  3. proc_cwd_normalized is rewritten by the policy's ordered rules
//     (regular expression → replacement); the card's defaults turn
//     /home/<user> into /home/_user_, /Users/<user> into /Users/_user_, and
//     /mnt/projects/<X> and /projects/<X> into /workspace/_project_, and
//     DefaultPolicy adds /var/home, /export/home, WSL's
//     /mnt/<drive>/Users, repeated slashes, and the first directory under
//     a home (/home/_user_/webapp/ → /home/_user_/workspace/_project_/).
//     Every path prefix a rule rewrote becomes a forbidden value.
//  4. proc_exec_id and process_tree_root_exec_id become exec_ followed by
//     the hex of the first 16 bytes of HMAC-SHA256(key, id). Equal ids map
//     equal, so lineage joins survive; the empty id stays empty and null
//     stays null (an empty id carries nothing, and mapping it to a
//     pseudonym would invent a join between unrelated rows). The key comes
//     from the caller (WithKey), is never generated and never written
//     anywhere; the HMAC runs once per distinct id.
//  5. A final sweep replaces, in order, each policy "from" with its "to"
//     in every string column except the exec ids (pseudonyms carry no
//     identifier, and a sweep hit inside one would only break joins),
//     whatever its spelling (see Matching). Released strings are NFC.
//  6. Post-write assertions (Verifier) run over the output before Apply
//     returns it; a failure is a *LeakError naming column, row, check and
//     pattern (never the cell, which may hold more), and no batch is
//     returned.
//
// A string column the policy does not classify is an error (a new string
// column must be classified before release), unless the policy says
// "unknown_columns": "drop". Non-string columns pass through untouched.
//
// # Matching
//
// A name hides in many spellings: RyPow, ju\u0308rgen for jürgen,
// fullwidth ｒｙｐｏｗ, dendroaspıs with a dotless ı, a Cyrillic о in
// dendrоaspis, acme‐prod with U+2010, ry\u200bpow with a zero-width
// space. The sweep, the cwd rules and the assertions therefore compare
// normalized forms, never the bytes: NFKC, then a small table of
// lookalike characters (Latin letters without their dot, the Cyrillic and
// Greek letters drawn like Latin ones, Unicode hyphens, dashes, slashes
// and colons, invisible characters removed), then full case folding. The
// table, and why it is small, is in normalize.go. ASCII text is only
// lower-cased, without allocating.
//
// A text holding a percent escape (% and two hex digits, either case)
// is also compared in its percent-decoded form, decoded up to three
// times (%2573 is s), so that sigr%C3%BCn is sigrün and
// de%3Aad%3Abe%3Aef%3A00%3A01 a MAC address: the sweep and the cwd rules
// replace the escaped bytes, the assertions fail on them. The text as
// written is compared too, since decoding can also hide a name
// (50%deadbeef). '+' is not read as a space (it is literal in paths,
// in c++ and in base64), and text without '%' costs nothing more.
//
// Listed values (forbidden values, sweep sources) are also looked for
// base64-encoded in any letter case: the cwd is lower-cased before
// release, which turns an encoded name into text that no longer decodes.
// The scan knows, for each value, the part of its encoding that does not
// depend on the neighbouring bytes (at each of the three alignments);
// parts shorter than six characters (names of three or four bytes) would
// turn up by chance in random names, so they count only as whole words
// (/srv/Ym9i/, not /tmp/tmp.kq3ym9id0a/). Decoding runs on the text as it
// is, before any case change, and finds every value in the original case.
//
// # Policy
//
// DefaultPolicy is the card's release with its gaps closed: every string
// column of the encoded schema classified, the default allowlist, the
// collapse rule, cwd rules for the common home layouts and project
// directories, and MAC (with or without separators), IPv4 and IPv6
// address patterns. Its Sweep and Forbidden lists are empty, because only
// you know your operator, host and project names; fill them in
// (Policy.Warnings says so, for a builder to print once). LoadPolicy reads
// the JSON form strictly (an unknown field or an unknown version is an
// error; versions 1 and 2 are read); the file testdata/policy.default.json
// is DefaultPolicy written out, a template to start from. Policy.Digest
// identifies a policy in a release's metadata without naming its file.
//
// # Alias numbering
//
// custom_tool_NNN numbers follow the lexical (byte) order of the
// originals, so they must be assigned once the originals are known:
//
//   - Two-pass (corpus builds): call Observe on every batch, then Freeze
//     (or let the first Apply freeze), then Apply every batch. Numbering
//     depends only on the set of basenames, never on batch sizes or order.
//     WithStrictAliases turns a basename the collection pass missed into
//     an error instead of a late, out-of-order number.
//   - Incremental: WithAliasMap(existing) extends a map (LoadAliasMap reads
//     alias_map.json) without renumbering: known originals keep their
//     aliases, new ones are numbered after the largest existing number, in
//     lexical order among themselves.
//
// Without Observe the pipeline still works in one pass: each batch's new
// basenames are numbered, in lexical order, when the batch arrives (the
// report counts them as late aliases).
//
// The alias map names the originals. Pipeline.ReleaseAliasMap returns the
// map to publish: the full map, unless an original matches a forbidden
// value or pattern (a custom binary named after the host, or holding a
// MAC address). Such an original fails the release by default, naming the
// file and the entry by its alias; with aliases.leaking_originals
// "redact" it is published as a keyed digest instead, and the full map
// (Finish's) goes to a private place outside the release. The other
// originals are published as the card's release did: treat
// alias_map.json like raw data if your custom binaries' names are secret,
// and list those names.
//
// # The assertions, and what "forbidden" means
//
// Forbidden values are the policy's forbidden list, every sweep source,
// every path prefix a cwd rule rewrote, and the originals of renamed
// basenames (custom and collapsed, never allowlisted ones: bash is not a
// secret). They are searched by their normalized form (see Matching) in
// every released string, its percent-decoded form, and every base64
// decoding of their substrings (both alphabets, any alignment, two
// levels deep), along with the base64 spellings of the listed values
// and the policy's patterns (MAC, IPv4 and IPv6 addresses by default).
// A rewritten path prefix is not found where a file name continues it
// (the prefix /home/_user_/work is not in /home/_user_/workspace/).
// Exec-id columns must match
// ^exec_[0-9a-f]{32}$ (or be empty); basename columns must hold values of
// the alias map's closure; pairs and tokens must equal their canonical
// regeneration from the row's released basenames and categories (a check
// for written shards: Apply has just built them exactly so, and does not
// re-run the formatting on its own output).
//
// Short values would match innocent text, so:
//
//   - Policy forbidden values and sweep sources must be at least
//     MinForbiddenLength (3) bytes, and match as plain substrings: the
//     policy owner chose them, and a false alarm blocks a release where a
//     miss would leak.
//   - Originals of renamed basenames match only as words: delimited by
//     bytes other than ASCII letters, digits, '_' and non-ASCII bytes, so
//     "tool" is found in "FILE_OPEN:tool:OTHER" and "bash->tool" but not
//     in "custom_tool_001". Originals shorter than min_alias_scan_length
//     (default 4) and originals that are words of the released vocabulary
//     (category labels, token words, replacement texts, aliases — a custom
//     tool called "public" would otherwise match the PUBLIC category) are
//     not scanned for. They cannot leak anyway where basenames go: the
//     closure check keeps them out of the basename columns and the
//     derivation check out of pairs and tokens. Verifier.UnscannedOriginals
//     counts them.
//
// A false alarm (say a custom binary called "server" and a working
// directory /srv/server/) is settled in the policy, never by weakening the
// scan: allowlist the name if it is no secret, or add a cwd rule.
//
// A Verifier is also available on its own (NewVerifier, Verify) so a
// corpus builder can re-check written shards.
//
// # Releasing a directory
//
// Every file that leaves the building is checked, not only the shards. A
// corpus builder, after writing everything into its release directory:
//
//  1. re-reads each Parquet shard and runs Verify over its batches (the
//     Pipeline's Verifier, which knows the rewritten path prefixes; label
//     columns, public ATT&CK ids, left out);
//  2. writes Pipeline.ReleaseAliasMap's map as reproduction/alias_map.json
//     (and, when it redacted entries, Finish's full map outside the
//     release directory);
//  3. runs Verifier.VerifyFile over every other file: stats, the data
//     card, labels.csv (written with the labels package's
//     Set.WriteRelease), the alias map, the feature definitions (which
//     pass as the schema's own document), anything else. A Parquet file
//     handed to VerifyFile is an error, so a forgotten shard cannot pass
//     unread;
//  4. records Policy.Digest instead of the policy file's name, and prints
//     Policy.Warnings once.
//
// A file that fails is a *LeakError naming the file and the line, CSV
// column or JSON key; the release must not be published.
//
// # Parity
//
// The f_* features are computed by package encode from the raw values
// before anonymization, and this package never touches a non-string
// column, so a model sees the same features in an anonymized corpus as in
// a research build. The released strings follow the card's scheme
// (custom_tool_NNN in the lexical order of the originals, exec_ and the
// first 16 bytes of an HMAC-SHA256 in hex); reproducing a release's own
// values needs its alias map and its key.
//
// # Concurrency and ownership
//
// A Pipeline carries state across batches (alias map, exec-id cache,
// forbidden path prefixes) and is not safe for concurrent use; use one per
// corpus. A Verifier is not safe for concurrent use either; its clones
// (Verifier.Clone) are safe side by side. A Policy is plain data that a
// Pipeline or Verifier reads while it runs: do not change one (its slices
// included) meanwhile. Apply's result is the caller's to Release; the input
// batch is not released, and non-string columns of the result are the
// input's arrays. An AliasMap a Pipeline hands out is a copy.
//
// # Cost
//
// Every transformation is memoized per distinct value (and exec-id HMACs
// per distinct id), consecutive equal values skip even the memo, and a
// column the policy leaves unchanged is passed through as the same Arrow
// array. The assertions are memoized per distinct value too, with a
// two-byte-indexed multi-value matcher instead of one search per
// forbidden value. BenchmarkApply reports rows/s on a million encoded
// rows.
//
// # Format
//
// A policy's JSON form is strict and versioned (versions 1 and 2 are
// read; testdata/policy.default.json is DefaultPolicy written out).
// alias_map.json holds {"format": "tetrahids.alias_map", "version": N,
// "aliases": {original: alias, …}} and, when entries were redacted,
// "redacted": {digest: alias, …}; encoding/json writes the keys sorted,
// so the file is reproducible byte for byte.
package anonymize
