// Package anonymize de-identifies encoded tetrahids batches for release: a
// corpus leaves the building only if nothing in it names a person, a host,
// a project or an address.
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
//     /mnt/projects/<X> and /projects/<X> into /workspace/_project_. Every
//     prefix a rule rewrote becomes a forbidden value.
//  4. proc_exec_id and process_tree_root_exec_id become exec_ followed by
//     the hex of the first 16 bytes of HMAC-SHA256(key, id). Equal ids map
//     equal, so lineage joins survive; the empty id stays empty and null
//     stays null (an empty id carries nothing, and mapping it to a
//     pseudonym would invent a join between unrelated rows). The key comes
//     from the caller (WithKey), is never generated and never written
//     anywhere; the HMAC runs once per distinct id.
//  5. A final sweep replaces, case-insensitively and in order, each policy
//     "from" with its "to" in every string column except the exec ids
//     (pseudonyms carry no identifier, and a sweep hit inside one would
//     only break joins).
//  6. Post-write assertions (Verifier) run over the output before Apply
//     returns it; a failure is a *LeakError naming column, row, check and
//     pattern (never the cell, which may hold more), and no batch is
//     returned.
//
// A string column the policy does not classify is an error (a new string
// column must be classified before release), unless the policy says
// "unknown_columns": "drop". Non-string columns pass through untouched.
//
// # Policy
//
// DefaultPolicy reproduces the card's release: every string column of the
// encoded schema classified, the default allowlist, the collapse rule, the
// four cwd rules and MAC and IPv4 address patterns. Its Sweep and
// Forbidden lists are empty, because only you know your operator, host
// and project names; fill them in. LoadPolicy reads the JSON form strictly
// (an unknown field or another version is an error); the file
// testdata/policy.default.json is DefaultPolicy written out, a template
// to start from.
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
// The alias map names the originals. Treat alias_map.json like raw data:
// publish it only if those names are not secret (the card's release
// shipped it).
//
// # The assertions, and what "forbidden" means
//
// Forbidden values are the policy's forbidden list, every sweep source,
// every path prefix a cwd rule rewrote, and the originals of renamed
// basenames (custom and collapsed, never allowlisted ones: bash is not a
// secret). They are searched case-insensitively in every released string
// and in every base64 decoding of its substrings (both alphabets, any
// alignment, two levels deep), along with the policy's patterns (MAC and
// IPv4 addresses by default). Exec-id columns must match
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
// # Performance
//
// Every transformation is memoized per distinct value (and exec-id HMACs
// per distinct id), consecutive equal values skip even the memo, and a
// column the policy leaves unchanged is passed through as the same Arrow
// array. The assertions are memoized per distinct value too, with a
// two-byte-indexed multi-value matcher instead of one search per
// forbidden value. BenchmarkApply reports rows/s on a million encoded
// rows.
package anonymize
