package anonymize

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/internal/schemadoc"
	"github.com/tetrahids/tetrahids/schema"
)

// execIDPattern documents the exec-id format CheckExecID enforces.
const execIDPattern = `^exec_[0-9a-f]{32}$`

// memoLimit bounds each per-column memo of already verified (or already
// transformed) values; a full memo is cleared and refilled.
const memoLimit = 1 << 16

// Verifier runs the post-write assertions over released batches. A
// Pipeline runs its own Verifier over every batch it returns (all checks
// but CheckDerivation, which would re-run on the same columns the very
// formatting Apply has just done); a corpus builder re-checks written
// shards, all checks included, with one built by NewVerifier (or the
// Pipeline's, which also knows the path prefixes the cwd rules rewrote).
//
// What is checked, per column class:
//
//   - exec_id: the value is exec_<32 lower-case hex>, empty or null
//     (CheckExecID). Nothing else: a digest carries no identifier, and
//     scanning hex for short values would only find coincidences.
//   - basename: the value is empty or in the alias map's closure, or the
//     sweep of a closure value (CheckAliasClosure); then the scan below.
//   - pair, token: the value equals the canonical format applied to the
//     released basenames and categories of its row, swept
//     (CheckDerivation); then the scan.
//   - cwd, text: the scan.
//   - drop, or unclassified under unknown_columns "drop": the column must
//     be absent (CheckDroppedColumn).
//
// The scan looks, in the value, in its percent-decoded form (when it
// holds an escape such as %73) and in every base64 decoding of their
// substrings, for a forbidden value or a rewritten path prefix
// (CheckForbidden), an original of a renamed basename as a word
// (CheckAliasOriginal), all compared in their normalized forms (see the
// package documentation, "Matching"), for the base64 spelling of a
// listed value in any letter case (CheckForbidden, Base64), and for a
// policy pattern (CheckPattern). VerifyFile runs the same scan over the
// other files of a release.
//
// A classified column must hold strings: plain, large or view strings, or
// a dictionary of them, as a Parquet reader returns a dictionary-encoded
// column when asked to (cheaper to read back than materialized strings).
// In a dictionary column every entry is checked, whether a row uses it or
// not and even when it is null (a writer may publish the whole
// dictionary); an entry of a pair or token column that no non-null row
// uses must equal one that a row derives. A failing entry is reported at
// the first row that uses it, or at row -1. An index outside the
// dictionary is a *ColumnError. So a batch read from Parquet must hold
// every row its dictionaries serve: a whole row group (arrow-go's reader
// gives each batch the dictionary of its row group, or more), not a
// slice of one, or entries that only other rows use are reported.
//
// Results per distinct value are memoized, so a Verifier is cheap on
// repetitive columns; it is not safe for concurrent use.
type Verifier struct {
	pol     *compiledPolicy
	tokens  *encode.Tokens
	actions []string
	// innocent is the lower-cased vocabulary released strings are made of
	// (category labels, token words, replacement texts, aliases), joined
	// by NUL; an alias original occurring in it as a word cannot be
	// scanned for without false alarms.
	innocent string

	aliases *AliasMap
	aliasN  int
	extra   []string
	extraN  int
	paths   []string // path prefixes the cwd rules rewrote
	pathN   int
	defsDoc []byte // the feature definitions document, public by construction

	closure   map[string]struct{}
	forbid    *matcher // forbidden values and their long base64 spellings
	b64short  *matcher // short base64 spellings, as words
	pathm     *matcher // rewritten path prefixes
	words     *matcher // originals of renamed basenames
	unscanned int
	fold      *folder

	ok        map[string]map[string]struct{}
	sweepMemo map[string]string
	raw       []byte
	buf       []byte
	scratch   [7][]string
	vals      []string
	b64       b64Scanner
}

// NewVerifier returns a Verifier for batches released under policy with
// the alias map aliases (nil is an empty map: then every non-empty
// basename fails CheckAliasClosure). defs gives the token format and the
// action-family labels; nil means schema.Default(). The alias map is
// copied.
func NewVerifier(policy Policy, aliases *AliasMap, defs *schema.Definitions) (*Verifier, error) {
	pol, err := policy.compile()
	if err != nil {
		return nil, err
	}
	return newVerifier(pol, aliases.Clone(), defs)
}

func newVerifier(pol *compiledPolicy, aliases *AliasMap, defs *schema.Definitions) (*Verifier, error) {
	if defs == nil {
		defs = schema.Default()
	}
	tokens, err := encode.NewTokens(defs)
	if err != nil {
		return nil, fmt.Errorf("anonymize: %w", err)
	}
	v := &Verifier{pol: pol, tokens: tokens, aliases: aliases, aliasN: -1, ok: map[string]map[string]struct{}{},
		sweepMemo: map[string]string{}, fold: newFolder(), defsDoc: defs.Document()}
	v.actions = actionLabels(defs)
	var words []string
	for _, c := range defs.Columns() {
		for _, code := range c.Codes() {
			words = append(words, code.Label)
		}
	}
	token := &schemadoc.Of(defs).Tables.Token
	words = append(words, token.Unknown, token.None, "exec", pol.prefix)
	for _, r := range pol.src.CwdRules {
		words = append(words, r.Replacement)
	}
	for _, s := range pol.src.Sweep {
		words = append(words, s.To)
	}
	for _, c := range pol.collapse {
		words = append(words, c.alias)
	}
	v.innocent = matchKey(strings.Join(words, "\x00"))
	return v, nil
}

// actionLabels returns the action-family label of every code.
func actionLabels(defs *schema.Definitions) []string {
	c, err := defs.Column(colAction)
	if err != nil {
		return nil
	}
	var out []string
	for _, code := range c.Codes() {
		out = append(out, code.Label)
	}
	return out
}

// Clone returns an independent Verifier with v's policy, alias map and
// forbidden values, for checking shards concurrently: a Verifier is not
// safe for concurrent use, its clones are safe to use side by side. They
// share the alias map, which must not grow meanwhile (use clones after
// the last Apply).
func (v *Verifier) Clone() *Verifier {
	return &Verifier{pol: v.pol, tokens: v.tokens, actions: v.actions, innocent: v.innocent,
		aliases: v.aliases, aliasN: -1, extra: slices.Clone(v.extra), paths: slices.Clone(v.paths),
		defsDoc: v.defsDoc, ok: map[string]map[string]struct{}{}, sweepMemo: map[string]string{}, fold: newFolder()}
}

// Reads reports whether Verify reads column f: the classified and the
// string-bearing columns, and the action-family codes tokens are derived
// from. A reader of written shards can decode only these.
func (v *Verifier) Reads(f arrow.Field) bool {
	_, classified := v.pol.src.Columns[f.Name]
	return classified || stringBearing(f.Type) || f.Name == colAction
}

// Forbid adds values that must not appear, with the meaning of the
// policy's forbidden list (for instance names learned after the policy
// was written). Each must be at least MinForbiddenLength bytes,
// normalized.
func (v *Verifier) Forbid(values ...string) error {
	for _, s := range values {
		if err := checkListed("forbidden", s); err != nil {
			return err
		}
	}
	v.extra = append(v.extra, values...)
	return nil
}

// forbidPath adds a path prefix a cwd rule rewrote: found like a forbidden
// value, but not where a file name continues it (a rule that rewrote
// /home/_user_/work must not fail a release holding
// /home/_user_/workspace/_project_/).
func (v *Verifier) forbidPath(prefix string) {
	if len(matchKey(prefix)) >= MinForbiddenLength {
		v.paths = append(v.paths, prefix)
	}
}

// UnscannedOriginals returns how many originals of renamed basenames the
// scan cannot look for, being shorter than the policy's
// min_alias_scan_length or a word of the released vocabulary (such as a
// custom tool called "public"). They are still kept out of the basename
// columns by CheckAliasClosure and out of pairs and tokens by
// CheckDerivation.
func (v *Verifier) UnscannedOriginals() int {
	v.refresh()
	return v.unscanned
}

// refresh rebuilds the matchers and the closure after the alias map or
// the forbidden values grew, and forgets what was verified against the
// smaller sets.
func (v *Verifier) refresh() {
	if v.aliases.Len() == v.aliasN && len(v.extra) == v.extraN && len(v.paths) == v.pathN && v.forbid != nil {
		return
	}
	v.aliasN, v.extraN, v.pathN = v.aliases.Len(), len(v.extra), len(v.paths)
	v.closure = map[string]struct{}{}
	var innocent strings.Builder
	innocent.WriteString(v.innocent)
	for _, a := range v.aliases.Closure() {
		v.closure[a] = struct{}{}
		if s, changed := v.pol.sweepString(v.fold, a); changed {
			v.closure[toNFC(s)] = struct{}{}
		}
		innocent.WriteByte(0)
		innocent.WriteString(matchKey(a))
	}
	voc := innocent.String()
	v.words = newMatcher(matchWord)
	v.unscanned = 0
	var keys []string
	for _, o := range v.aliases.Renamed() {
		scanned := false
		keys = v.fold.appendKeys(keys[:0], o)
		for _, k := range keys {
			if len(k) >= v.pol.minScan && !containsWord(voc, k) {
				v.words.add(k, o, false)
				scanned = true
			}
		}
		if !scanned {
			v.unscanned++
		}
	}
	v.forbid = newMatcher(matchSubstring)
	listed := append(slices.Clone(v.pol.forbidden), v.extra...)
	for _, f := range listed {
		keys = v.fold.appendKeys(keys[:0], f)
		for _, k := range keys {
			v.forbid.add(k, f, false)
		}
	}
	// The base64 spellings of listed values, except those the released
	// vocabulary holds anyway (they would fail every release). A short
	// spelling (of a name of three or four bytes) would turn up by chance
	// inside random names (mktemp's, caches'), so it only counts as a
	// whole word: the name encoded on its own, /srv/Ym9i/.
	v.b64short = newMatcher(matchWord)
	for _, f := range listed {
		for _, sp := range base64Spellings(f) {
			switch {
			case strings.Contains(voc, sp):
			case len(sp) < minB64Spelling:
				v.b64short.add(sp, f, true)
			default:
				v.forbid.add(sp, f, true)
			}
		}
	}
	v.pathm = newMatcher(matchPath)
	for _, p := range v.paths {
		keys = v.fold.appendKeys(keys[:0], p)
		for _, k := range keys {
			v.pathm.add(k, p, false)
		}
	}
	clear(v.ok)
}

// containsWord reports whether w occurs in s delimited by non-word bytes.
func containsWord(s, w string) bool {
	for off := 0; ; {
		i := strings.Index(s[off:], w)
		if i < 0 {
			return false
		}
		i += off
		e := i + len(w)
		if (i == 0 || !isWord(s[i-1])) && (e == len(s) || !isWord(s[e])) {
			return true
		}
		off = i + 1
	}
}

// Verify runs the assertions over rec. It returns nil, a *LeakError for
// the first offending cell (column order, then row order), or a
// *ColumnError for a column the policy does not classify or whose type
// its class cannot hold.
func (v *Verifier) Verify(rec arrow.RecordBatch) error { return v.verify(rec, true) }

// verify is Verify; derivation false skips CheckDerivation, which Apply
// does for its own output: it has just built every pair and token with
// the very function the check would re-run on the same released columns,
// so the check could only repeat the work (about a fifth of Apply's
// time), never disagree. Standalone checks of written shards run it.
func (v *Verifier) verify(rec arrow.RecordBatch, derivation bool) error {
	v.refresh()
	sc := rec.Schema()
	n := int(rec.NumRows())
	for ci, f := range sc.Fields() {
		cl, known := v.pol.src.Columns[f.Name]
		if !known {
			if !stringBearing(f.Type) {
				continue
			}
			if v.pol.dropUnknown {
				return &LeakError{Column: f.Name, Row: -1, Check: CheckDroppedColumn, Pattern: "unclassified column (unknown_columns: drop)"}
			}
			return &ColumnError{Column: f.Name, Type: f.Type.String(), Err: ErrUnclassifiedColumn}
		}
		if cl == ClassDrop {
			return &LeakError{Column: f.Name, Row: -1, Check: CheckDroppedColumn, Pattern: "class drop"}
		}
		if !isCheckableString(f.Type) {
			return &ColumnError{Column: f.Name, Type: f.Type.String(), Err: ErrColumnType}
		}
		col, err := checkableStrings(f.Name, rec.Column(ci))
		if err != nil {
			return err
		}
		if d, ok := col.(dictStrings); ok {
			if err := v.checkDictionary(rec, f.Name, cl, d, n, derivation); err != nil {
				return err
			}
			continue
		}
		switch cl {
		case ClassExecID:
			err = v.checkExecIDs(f.Name, col, n)
		case ClassBasename:
			err = v.checkValues(f.Name, col, n, true)
		case ClassPair, ClassToken:
			if derivation {
				err = v.checkDerivation(rec, f.Name, cl, col, n)
			}
			if err == nil {
				err = v.checkValues(f.Name, col, n, false)
			}
		default:
			err = v.checkValues(f.Name, col, n, false)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// checkDictionary checks a dictionary-encoded column: for a pair or token
// each row's derivation, and that every entry equals a value some row
// derived; then every entry of the dictionary, used by a row or not and
// null or not (a writer may publish the whole dictionary). A failing entry
// is reported at the first row that uses it, or at row -1.
func (v *Verifier) checkDictionary(rec arrow.RecordBatch, name string, cl Class, d dictStrings, n int, derivation bool) error {
	if (cl == ClassPair || cl == ClassToken) && derivation {
		if err := v.checkDerivation(rec, name, cl, d, n); err != nil {
			return err
		}
		if err := v.checkDerivedEntries(name, d); err != nil {
			return err
		}
	}
	entries := everyEntry{d.values}
	var err error
	switch cl {
	case ClassExecID:
		err = v.checkExecIDs(name, entries, entries.Len())
	default:
		err = v.checkValues(name, entries, entries.Len(), cl == ClassBasename)
	}
	var leak *LeakError
	if errors.As(err, &leak) && leak.Row >= 0 {
		leak.Row = d.firstRow(leak.Row)
	}
	return err
}

// checkDerivedEntries requires every entry of a pair or token dictionary
// that no non-null row uses (an unused entry, or a null one, whose bytes a
// writer may still publish) to equal an entry a non-null row uses, whose
// derivation checkDerivation has verified. Without it such an entry would
// only be scanned, and the scan skips some alias originals (see
// Verifier.UnscannedOriginals) that re-deriving the value catches.
func (v *Verifier) checkDerivedEntries(name string, d dictStrings) error {
	used := make([]bool, d.values.Len())
	for i := range d.Len() {
		if !d.IsNull(i) {
			used[d.GetValueIndex(i)] = true
		}
	}
	var derived map[string]struct{}
	for j, u := range used {
		if u {
			continue
		}
		if derived == nil {
			derived = map[string]struct{}{}
			for k, u := range used {
				if u {
					derived[d.values.Value(k)] = struct{}{}
				}
			}
		}
		if _, ok := derived[d.values.Value(j)]; !ok {
			return &LeakError{Column: name, Row: d.firstRow(j), Check: CheckDerivation,
				Pattern: "a dictionary entry equal to a value derived for a row"}
		}
	}
	return nil
}

// Verify checks one released batch against policy and the alias map; a
// convenience for a single shard (build a Verifier to check many).
func Verify(rec arrow.RecordBatch, policy Policy, aliases *AliasMap) error {
	v, err := NewVerifier(policy, aliases, nil)
	if err != nil {
		return err
	}
	return v.Verify(rec)
}

func isExecID(s string) bool {
	if len(s) != 37 || s[:5] != "exec_" {
		return false
	}
	for i := 5; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

func (v *Verifier) checkExecIDs(name string, col stringArray, n int) error {
	nulls := col.NullN() > 0
	v.vals = gather(col, v.vals)
	last := ""
	for i, s := range v.vals {
		if s == last || (nulls && col.IsNull(i)) {
			continue // s == last also skips the empty id
		}
		if !isExecID(s) {
			return &LeakError{Column: name, Row: i, Check: CheckExecID, Pattern: execIDPattern}
		}
		last = s
	}
	return nil
}

// checkValues scans every distinct value of a column once (and, for a
// basename column, checks the closure first).
func (v *Verifier) checkValues(name string, col stringArray, n int, basename bool) error {
	ok := v.ok[name]
	if ok == nil {
		ok = map[string]struct{}{}
		v.ok[name] = ok
	}
	last, haveLast := "", false
	nulls := col.NullN() > 0
	v.vals = gather(col, v.vals)
	for i, s := range v.vals {
		if (haveLast && s == last) || (nulls && col.IsNull(i)) {
			continue
		}
		if _, hit := ok[s]; !hit {
			if basename && s != "" {
				if _, in := v.closure[s]; !in {
					return &LeakError{Column: name, Row: i, Check: CheckAliasClosure, Pattern: "a value of the alias map's closure"}
				}
			}
			if check, pat, b64, bad := v.scan(s, true); bad {
				return &LeakError{Column: name, Row: i, Check: check, Pattern: pat, Base64: b64}
			}
			if len(ok) >= memoLimit {
				clear(ok)
			}
			s = strings.Clone(s) // s aliases the batch's buffer
			ok[s] = struct{}{}
		}
		last, haveLast = s, true
	}
	return nil
}

// scan looks for forbidden values, rewritten path prefixes, alias
// originals (when words is true) and patterns in s, in its
// percent-decoded view (see resetDecoded) and in the base64 decodings of
// their substrings. Decoding runs on the text as it is: a case change
// would garble base64 (the forbidden matcher also holds the base64
// spellings of listed values, in any case).
func (v *Verifier) scan(s string, words bool) (check Check, pattern string, b64, bad bool) {
	if check, pattern, b64, bad = v.scanViews(s, false, words); bad {
		return check, pattern, b64, true
	}
	v.raw = append(v.raw[:0], s...)
	n := len(v.raw)
	if strings.IndexByte(s, '%') >= 0 {
		if d, ok := v.fold.decodePercent(s); ok {
			v.raw = append(v.raw, d...)
		}
	}
	for _, text := range [2][]byte{v.raw[:n], v.raw[n:]} {
		v.b64.each(text, func(d []byte) bool {
			check, pattern, _, bad = v.scanViews(unsafe.String(unsafe.SliceData(d), len(d)), true, words)
			return bad
		})
		if bad {
			break
		}
	}
	return check, pattern, bad, bad
}

// scanViews runs scanText over s and, if it has one, over its
// percent-decoded view. fromB64 says that s is a base64 decoding (bytes,
// see keyBytes).
func (v *Verifier) scanViews(s string, fromB64, words bool) (Check, string, bool, bool) {
	var key []byte
	if fromB64 {
		key = v.fold.keyBytes(unsafe.Slice(unsafe.StringData(s), len(s)))
	} else {
		key = v.fold.reset(s)
	}
	if check, pattern, b64, bad := v.scanText(key, s, !v.fold.ascii, words); bad {
		return check, pattern, b64, true
	}
	if strings.IndexByte(s, '%') < 0 {
		return "", "", false, false
	}
	if key, d, ok := v.fold.resetDecoded(s); ok {
		return v.scanText(key, d, true, words)
	}
	return "", "", false, false
}

// scanText runs the matchers over key, the matching form of raw, and the
// patterns over raw and, when normalization may have changed more than
// letter case (folded), over key.
func (v *Verifier) scanText(key []byte, raw string, folded, words bool) (Check, string, bool, bool) {
	if p, enc, ok := v.forbid.find(key); ok {
		return CheckForbidden, p, enc, true
	}
	if p, _, ok := v.b64short.find(key); ok {
		return CheckForbidden, p, true, true
	}
	if p, _, ok := v.pathm.find(key); ok {
		return CheckForbidden, p, false, true
	}
	if words {
		if p, _, ok := v.words.find(key); ok {
			return CheckAliasOriginal, p, false, true
		}
	}
	for _, p := range v.pol.patterns {
		if p.re.MatchString(raw) || (folded && p.re.Match(key)) {
			return CheckPattern, p.name, false, true
		}
	}
	return "", "", false, false
}

// derivationColumns finds the columns a pair or token is built from.
type derivationColumns struct {
	proc, parent, path, ip, port stringArray
	action                       arrow.Array
}

func findDerivationColumns(rec arrow.RecordBatch, token bool) (*derivationColumns, error) {
	sc := rec.Schema()
	get := func(name string) (arrow.Array, error) {
		idx := sc.FieldIndices(name)
		if len(idx) != 1 {
			return nil, &ColumnError{Column: name, Err: ErrMissingColumn}
		}
		return rec.Column(idx[0]), nil
	}
	str := func(name string) (stringArray, error) {
		a, err := get(name)
		if err != nil {
			return nil, err
		}
		if !isCheckableString(a.DataType()) {
			return nil, &ColumnError{Column: name, Type: a.DataType().String(), Err: ErrColumnType}
		}
		return checkableStrings(name, a)
	}
	d := &derivationColumns{}
	var err error
	if d.proc, err = str(colProcBase); err != nil {
		return nil, err
	}
	if d.parent, err = str(colParentBase); err != nil {
		return nil, err
	}
	if !token {
		return d, nil
	}
	if d.path, err = str(colPathCat); err != nil {
		return nil, err
	}
	if d.ip, err = str(colIPCat); err != nil {
		return nil, err
	}
	if d.port, err = str(colPortCat); err != nil {
		return nil, err
	}
	if d.action, err = get(colAction); err != nil {
		return nil, err
	}
	if !isInteger(d.action.DataType()) {
		return nil, &ColumnError{Column: colAction, Type: d.action.DataType().String(), Err: ErrColumnType}
	}
	return d, nil
}

// checkDerivation regenerates the pair or token of every row from the
// row's released columns and compares. Rows whose inputs and value equal
// the previous checked row's are skipped (events of one process come in
// runs).
func (v *Verifier) checkDerivation(rec arrow.RecordBatch, name string, cl Class, col stringArray, n int) error {
	token := cl == ClassToken
	d, err := findDerivationColumns(rec, token)
	if err != nil {
		return err
	}
	what := "the canonical parent_child_pair of the row's basenames"
	if token {
		what = "the canonical token of the row's basenames and categories"
	}
	sc := &v.scratch
	procs, parents := gather(d.proc, sc[0]), gather(d.parent, sc[1])
	sc[0], sc[1] = procs, parents
	var paths, ips, ports, actions []string
	if token {
		paths, ips, ports = gather(d.path, sc[2]), gather(d.ip, sc[3]), gather(d.port, sc[4])
		actions = labelsOf(d.action, v.actions, sc[5])
		sc[2], sc[3], sc[4], sc[5] = paths, ips, ports, actions
	}
	same := func(a, b int) bool {
		return procs[a] == procs[b] && parents[a] == parents[b] &&
			(!token || (actions[a] == actions[b] && paths[a] == paths[b] && ips[a] == ips[b] && ports[a] == ports[b]))
	}
	nulls := col.NullN() > 0
	gots := gather(col, sc[6])
	sc[6] = gots
	prev, prevGot := -1, ""
	for i := range n {
		if nulls && col.IsNull(i) {
			continue
		}
		got := gots[i]
		if prev >= 0 && got == prevGot && same(prev, i) {
			continue
		}
		if token {
			if actions[i] == "" {
				return &LeakError{Column: name, Row: i, Check: CheckDerivation, Pattern: colAction + " code outside the vocabulary"}
			}
			v.buf = v.tokens.AppendToken(v.buf[:0], actions[i], procs[i], parents[i], paths[i], ips[i], ports[i])
		} else {
			v.buf = v.tokens.AppendPair(v.buf[:0], parents[i], procs[i])
		}
		if got != sweepBytes(v.pol, v.fold, v.sweepMemo, v.buf) {
			return &LeakError{Column: name, Row: i, Check: CheckDerivation, Pattern: what}
		}
		prev, prevGot = i, got
	}
	return nil
}

// sweepBytes returns the sweep of b through a memo keyed by b. Without
// sweep entries it returns a string that aliases b (valid until b
// changes), which is all the callers need.
func sweepBytes(pol *compiledPolicy, f *folder, memo map[string]string, b []byte) string {
	if len(pol.sweep) == 0 {
		return unsafeString(b)
	}
	if s, ok := memo[string(b)]; ok {
		return s
	}
	s, changed := pol.sweepString(f, string(b))
	if changed {
		s = toNFC(s)
	}
	if len(memo) >= memoLimit {
		clear(memo)
	}
	memo[string(b)] = s
	return s
}
