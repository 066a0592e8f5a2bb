package anonymize

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// PolicyVersion is the newest policy document version, the one
// DefaultPolicy writes. LoadPolicy reads versions 1 and 2. A change to the
// meaning of a field is a new version; new optional fields whose zero
// value keeps the old behaviour are not.
//
// Version 2 adds aliases.leaking_originals. A version-1 document is read
// as before, without that field; like every policy it is matched on the
// normalized form of the text (see the package documentation, "Matching").
const PolicyVersion = 2

// minPolicyVersion is the oldest version LoadPolicy reads.
const minPolicyVersion = 1

// MinForbiddenLength is the shortest forbidden value or sweep source a
// policy may list: shorter values match innocent text everywhere (a
// two-letter user name is inside most words), and a sweep of them would
// shred every column.
const MinForbiddenLength = 3

// Defaults taken by zero fields of a policy.
const (
	// DefaultCustomPrefix is the prefix of the aliases of custom binaries.
	DefaultCustomPrefix = "custom_tool_"
	// DefaultCustomDigits is the zero-padded width of their number.
	DefaultCustomDigits = 3
	// DefaultMinAliasScanLength is the shortest alias original that the
	// post-write scan looks for as a word (see the package documentation).
	DefaultMinAliasScanLength = 4
)

// Class says what the pipeline does with one string column.
type Class string

// The column classes.
const (
	// ClassExecID: replaced by exec_<hex of the first 16 bytes of
	// HMAC-SHA256(key, id)>; empty stays empty, null stays null. Exempt
	// from the sweep (a digest carries no identifier, and a sweep hit
	// would break lineage joins).
	ClassExecID Class = "exec_id"
	// ClassBasename: replaced by its alias from the alias map, then swept.
	ClassBasename Class = "basename"
	// ClassCwd: rewritten by the policy's cwd rules, then swept.
	ClassCwd Class = "cwd"
	// ClassPair: regenerated from the released basenames with the
	// canonical parent→child pair format, then swept.
	ClassPair Class = "pair"
	// ClassToken: regenerated from the released basenames and categories
	// with the canonical token format, then swept.
	ClassToken Class = "token"
	// ClassText: passed through the sweep (vocabulary-bounded categories,
	// or any string the policy owner has judged releasable after it).
	ClassText Class = "text"
	// ClassDrop: removed from the output.
	ClassDrop Class = "drop"
)

var classes = []Class{ClassExecID, ClassBasename, ClassCwd, ClassPair, ClassToken, ClassText, ClassDrop}

// Policy configures a Pipeline. It is plain data with a strict, versioned
// JSON form (see LoadPolicy and testdata/policy.default.json); zero values
// of the optional fields take the documented defaults.
//
// Every regular expression uses Go's RE2 syntax.
type Policy struct {
	// Version is the document version: 1 or PolicyVersion (2).
	Version int `json:"version"`
	// Columns classifies every string column that may appear in a batch
	// (column name → class). Non-string columns need no entry and pass
	// through untouched.
	Columns map[string]Class `json:"columns"`
	// UnknownColumns is what happens to a string-bearing column missing
	// from Columns: "error" (the default; a new string column must be
	// classified before release) or "drop".
	UnknownColumns string `json:"unknown_columns,omitempty"`
	// Aliases configures basename aliasing.
	Aliases AliasPolicy `json:"aliases"`
	// CwdRules rewrite the cwd columns, in order: each rule replaces every
	// match of its pattern in the result of the previous rule. Patterns
	// match the normalized form of the value, case-insensitively (see the
	// package documentation, "Matching").
	CwdRules []Rule `json:"cwd_rules"`
	// Sweep replaces, in order, every occurrence of each From with its To
	// in every string column but the exec ids, matching on the normalized
	// form (so case, decomposed accents, compatibility and lookalike
	// characters, and percent-encoding, do not hide a From). Every From
	// is also a forbidden value.
	Sweep []Replacement `json:"sweep"`
	// Forbidden lists values that must not appear, in their normalized
	// form, as a substring of the normalized form of any released string,
	// raw, percent-decoded, inside a base64-decodable substring, or
	// base64-encoded in any letter case (user, host and project names,
	// addresses, …). At least
	// MinForbiddenLength bytes each, normalized.
	Forbidden []string `json:"forbidden"`
	// Patterns are regular expressions no released string may match, raw,
	// percent-decoded or base64-decoded; text that is not ASCII is also
	// matched in its
	// normalized form, which is case-folded (write patterns with (?i) to
	// have them catch every spelling).
	Patterns []Pattern `json:"patterns"`
	// MinAliasScanLength is the shortest original of a renamed basename the
	// post-write scan looks for (default DefaultMinAliasScanLength).
	MinAliasScanLength int `json:"min_alias_scan_length,omitempty"`
}

// AliasPolicy configures the one alias map shared by the basename columns.
// A basename is looked up in this order: the empty string stays empty; a
// name already in the map keeps its alias; a Collapse rule gives its
// alias; an allowlisted name passes verbatim; anything else becomes
// CustomPrefix + a zero-padded number, numbered in lexical (byte) order of
// the originals.
type AliasPolicy struct {
	// AllowDefaults adds DefaultAllowlist() and DefaultAllowPatterns() to
	// Allow and AllowPatterns.
	AllowDefaults bool `json:"allow_defaults"`
	// Allow lists basenames that pass verbatim (exact, case-sensitive).
	Allow []string `json:"allow,omitempty"`
	// AllowPatterns are regular expressions matched against the whole
	// basename (they are anchored for you): versioned interpreters such as
	// python3.12.
	AllowPatterns []string `json:"allow_patterns,omitempty"`
	// Collapse maps every basename matching a pattern (whole-name, anchored
	// for you) to one alias, e.g. code-<40 hex> → vscode_server_bin.
	Collapse []Collapse `json:"collapse"`
	// CustomPrefix prefixes the numbered aliases (default
	// DefaultCustomPrefix).
	CustomPrefix string `json:"custom_prefix,omitempty"`
	// CustomDigits is the zero-padded width of the numbers (default
	// DefaultCustomDigits); larger numbers simply take more digits.
	CustomDigits int `json:"custom_digits,omitempty"`
	// LeakingOriginals is what Pipeline.ReleaseAliasMap does with an
	// original that matches a forbidden value or pattern (a custom binary
	// named after the host, say): "fail" (the default: the release stops
	// with a *LeakError) or "redact" (the released map holds a keyed digest
	// of that original instead; keep the full map, Pipeline.Finish's, in a
	// private place). Policy version 2.
	LeakingOriginals string `json:"leaking_originals,omitempty"`
}

// Values of AliasPolicy.LeakingOriginals.
const (
	LeakingOriginalsFail   = "fail"
	LeakingOriginalsRedact = "redact"
)

// Collapse maps every basename matching Pattern to Alias.
type Collapse struct {
	Pattern string `json:"pattern"`
	Alias   string `json:"alias"`
}

// Rule is one cwd rewrite: every match of Pattern is replaced with
// Replacement, in which $1 or ${name} expand capture groups.
type Rule struct {
	Pattern     string `json:"pattern"`
	Replacement string `json:"replacement"`
}

// Replacement is one sweep entry.
type Replacement struct {
	// From is the string to replace wherever it occurs, To what replaces
	// it.
	From string `json:"from"`
	To   string `json:"to"`
}

// Pattern is a named regular expression the released strings must not
// match.
type Pattern struct {
	// Name identifies the pattern in a LeakError, Regex is the expression
	// (Go's RE2 syntax).
	Name  string `json:"name"`
	Regex string `json:"regex"`
}

// Default column classification of the encoded schema (1.0 and 1.1 share
// their string columns).
var defaultColumns = map[string]Class{
	"proc_exec_id":              ClassExecID,
	"process_tree_root_exec_id": ClassExecID,
	"proc_binary_basename":      ClassBasename,
	"parent_binary_basename":    ClassBasename,
	"root_ancestor_basename":    ClassBasename,
	"proc_cwd_normalized":       ClassCwd,
	"parent_child_pair":         ClassPair,
	"token":                     ClassToken,
	"path_category":             ClassText,
	"dst_ip_category":           ClassText,
	"dst_port_category":         ClassText,
	"object_category":           ClassText,
}

// DefaultPolicy returns the policy of the card's release, with the gaps
// of its cwd rules and address patterns closed: the twelve string columns
// of the encoded schema classified, the default allowlist, code-<40 hex>
// collapsed to vscode_server_bin, custom_tool_NNN for the rest, alias-map
// originals that match a forbidden value or pattern failing the release,
// and:
//
//   - cwd rules for the user's home in /home, /var/home, /export/home,
//     /Users and WSL's /mnt/<drive>/Users, repeated slashes included; the
//     card's /mnt/projects/<X> and /projects/<X> rules; and, last, a rule
//     that hides the first directory under a home (or /root) that is not
//     hidden itself (.cache, .config, …), because it is as often a
//     project as a generic name: /home/jdoe/webapp/src/ becomes
//     /home/_user_/workspace/_project_/src/;
//   - MAC addresses (colon, hyphen and dot notations, and twelve hex
//     digits without separators holding at least one letter, so that a
//     twelve-digit time is not one), IPv4 addresses and IPv6 addresses
//     (full and compressed notations).
//
// Sweep and Forbidden are empty: they hold your operator, host and project
// names, which no default can know. A release needs them filled in (see
// Policy.Warnings).
func DefaultPolicy() Policy {
	cols := make(map[string]Class, len(defaultColumns))
	for k, v := range defaultColumns {
		cols[k] = v
	}
	return Policy{
		Version:        PolicyVersion,
		Columns:        cols,
		UnknownColumns: "error",
		Aliases: AliasPolicy{
			AllowDefaults:    true,
			Collapse:         []Collapse{{Pattern: `code-[0-9a-f]{40}`, Alias: "vscode_server_bin"}},
			CustomPrefix:     DefaultCustomPrefix,
			CustomDigits:     DefaultCustomDigits,
			LeakingOriginals: LeakingOriginalsFail,
		},
		CwdRules: []Rule{
			{Pattern: `^/+home/+[^/]+`, Replacement: "/home/_user_"},
			{Pattern: `^/+var/+home/+[^/]+`, Replacement: "/var/home/_user_"},
			{Pattern: `^/+export/+home/+[^/]+`, Replacement: "/export/home/_user_"},
			{Pattern: `^/+users/+[^/]+`, Replacement: "/Users/_user_"},
			{Pattern: `^/+mnt/+([a-z])/+users/+[^/]+`, Replacement: "/mnt/$1/Users/_user_"},
			{Pattern: `^/+mnt/+projects/+[^/]+`, Replacement: "/workspace/_project_"},
			// Unanchored: a project under a home directory
			// (/home/_user_/projects/webapp/) is a project name too.
			{Pattern: `/+projects/+[^/]+`, Replacement: "/workspace/_project_"},
			// The first directory under a home, unless hidden or already
			// rewritten.
			{Pattern: `^(/home/_user_|/var/home/_user_|/export/home/_user_|/users/_user_|/mnt/[a-z]/users/_user_|/root)/+(?:workspace/+_project_|[^./][^/]*)`,
				Replacement: "$1/workspace/_project_"},
		},
		Patterns: []Pattern{
			{Name: "mac_address", Regex: macPattern},
			{Name: "ipv4_address", Regex: `\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b`},
			{Name: "ipv6_address", Regex: ipv6Pattern},
		},
		// To be filled in by the policy owner.
		Sweep:              []Replacement{},
		Forbidden:          []string{},
		MinAliasScanLength: DefaultMinAliasScanLength,
	}
}

// macPattern matches MAC addresses: six hex pairs separated by colons or
// hyphens, three hex quads separated by dots, or twelve hex digits alone
// (not part of a longer run of letters and digits) of which at least one
// is a letter.
var macPattern = `(?i)\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b|\b[0-9a-f]{2}(?:-[0-9a-f]{2}){5}\b|\b[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}\b|` +
	`(?:^|[^0-9a-z])(?:` + bareMAC() + `)(?:$|[^0-9a-z])`

// bareMAC returns the alternatives of twelve hex digits with a letter:
// k digits, a letter, then any 11-k hex digits.
func bareMAC() string {
	alts := make([]string, 12)
	for k := range alts {
		var b strings.Builder
		switch k {
		case 0:
		case 1:
			b.WriteString("[0-9]")
		default:
			fmt.Fprintf(&b, "[0-9]{%d}", k)
		}
		b.WriteString("[a-f]")
		switch 11 - k {
		case 0:
		case 1:
			b.WriteString("[0-9a-f]")
		default:
			fmt.Fprintf(&b, "[0-9a-f]{%d}", 11-k)
		}
		alts[k] = b.String()
	}
	return strings.Join(alts, "|")
}

// ipv6Pattern matches IPv6 addresses: eight groups of one to four hex
// digits, or fewer around one "::" (not "::" alone), not part of a longer
// run of letters, digits and colons.
const ipv6Pattern = `(?i)(?:^|[^0-9a-z:])(?:` +
	`[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){7}|` +
	`[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6}::(?:[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6})?|` +
	`::[0-9a-f]{1,4}(?::[0-9a-f]{1,4}){0,6}` +
	`)(?:$|[^0-9a-z:])`

// Warnings returns what a corpus builder should tell its operator, once,
// about a valid policy: for now, that it lists no forbidden value and no
// sweep entry, so that names the cwd rules and address patterns do not
// cover (a host name in an argument-derived basename, a project outside a
// home) are released unchecked. A release needs your names; a local build
// may go without.
func (p Policy) Warnings() []string {
	if len(p.Forbidden) == 0 && len(p.Sweep) == 0 {
		return []string{"the anonymization policy lists no forbidden values and no sweep entries: " +
			"operator, host and project names outside the home and project directories its cwd rules rewrite are released unchecked; " +
			"list them under \"forbidden\" and \"sweep\" (start from anonymize/testdata/policy.default.json)"}
	}
	return nil
}

// Digest returns a keyed digest of the policy, "hmac-sha256:" and 64 hex
// digits, to record with a release instead of the policy file's name (a
// path may name its owner). It covers the policy's canonical JSON form
// (encoding/json: fields in declaration order, map keys sorted), so the
// same policy written another way has the same digest. It is keyed
// because the policy lists the operator's names: an unkeyed hash would let
// anyone confirm a guessed name by hashing the default policy with it.
// Use the release's HMAC key (at least MinKeyLength bytes); whoever holds
// it can check which policy built a release.
func (p Policy) Digest(key []byte) (string, error) {
	if len(key) < MinKeyLength {
		return "", fmt.Errorf("%w: %d bytes, need at least %d", ErrKey, len(key), MinKeyLength)
	}
	doc, err := json.Marshal(p)
	if err != nil {
		return "", &PolicyError{Problem: "cannot encode", Err: err}
	}
	mac := hmac.New(sha256.New, key)
	mac.Write([]byte("tetrahids.policy\x00"))
	mac.Write(doc)
	return "hmac-sha256:" + hex.EncodeToString(mac.Sum(nil)), nil
}

// LoadPolicy reads a policy document. Decoding is strict: an unknown
// field, trailing data or an unsupported version is an error, and the
// policy is validated (see Policy.Validate). Errors wrap ErrPolicy.
func LoadPolicy(r io.Reader) (Policy, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return Policy{}, &PolicyError{Problem: "cannot read", Err: err}
	}
	var p Policy
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p); err != nil {
		return Policy{}, &PolicyError{Problem: "cannot decode", Err: err}
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return Policy{}, &PolicyError{Problem: "trailing data after the document"}
	}
	if err := p.Validate(); err != nil {
		return Policy{}, err
	}
	return p, nil
}

// Validate checks the policy: the version, every class, every regular
// expression, the lengths of forbidden values and sweep sources, and that
// no replacement text (cwd rule, sweep target, alias) reintroduces a
// forbidden value. It returns the first problem as a *PolicyError.
func (p Policy) Validate() error {
	_, err := p.compile()
	return err
}

// compiledPolicy is a validated policy with its regular expressions.
type compiledPolicy struct {
	src           Policy
	allow         map[string]bool
	allowPatterns []*regexp.Regexp
	collapse      []compiledCollapse
	cwd           []compiledRule
	sweep         []compiledSweep
	forbidden     []string // policy forbidden ∪ sweep sources, as written
	patterns      []compiledPattern
	prefix        string
	digits        int
	minScan       int
	dropUnknown   bool
	redact        bool // aliases.leaking_originals "redact"
}

type compiledCollapse struct {
	re    *regexp.Regexp
	alias string
}

type compiledRule struct {
	re   *regexp.Regexp
	repl string
}

type compiledSweep struct {
	from, to string
	key      []byte // matching form of from
}

type compiledPattern struct {
	name string
	re   *regexp.Regexp
}

func perr(field, format string, args ...any) *PolicyError {
	return &PolicyError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

func (p *Policy) compile() (*compiledPolicy, error) {
	if p.Version < minPolicyVersion || p.Version > PolicyVersion {
		if p.Version == 0 {
			return nil, perr("version", "is required (current version %d)", PolicyVersion)
		}
		return nil, perr("version", "unsupported version %d (this package reads %d to %d)", p.Version, minPolicyVersion, PolicyVersion)
	}
	c := &compiledPolicy{src: *p, allow: map[string]bool{}, prefix: p.Aliases.CustomPrefix, digits: p.Aliases.CustomDigits, minScan: p.MinAliasScanLength}
	switch p.Aliases.LeakingOriginals {
	case "":
	case LeakingOriginalsFail, LeakingOriginalsRedact:
		if p.Version < 2 {
			return nil, perr("aliases.leaking_originals", "needs policy version 2")
		}
		c.redact = p.Aliases.LeakingOriginals == LeakingOriginalsRedact
	default:
		return nil, perr("aliases.leaking_originals", "must be %q or %q, got %q", LeakingOriginalsFail, LeakingOriginalsRedact, p.Aliases.LeakingOriginals)
	}
	if c.prefix == "" {
		c.prefix = DefaultCustomPrefix
	}
	if c.digits == 0 {
		c.digits = DefaultCustomDigits
	}
	if c.digits < 0 || c.digits > 9 {
		return nil, perr("aliases.custom_digits", "must be between 1 and 9, got %d", c.digits)
	}
	if c.minScan == 0 {
		c.minScan = DefaultMinAliasScanLength
	}
	if c.minScan < 2 {
		return nil, perr("min_alias_scan_length", "must be at least 2, got %d", c.minScan)
	}
	switch p.UnknownColumns {
	case "", "error":
	case "drop":
		c.dropUnknown = true
	default:
		return nil, perr("unknown_columns", "must be \"error\" or \"drop\", got %q", p.UnknownColumns)
	}
	for name, cl := range p.Columns {
		if name == "" {
			return nil, perr("columns", "empty column name")
		}
		if !slices.Contains(classes, cl) {
			return nil, perr("columns."+name, "unknown class %q (one of %v)", cl, classes)
		}
	}
	allow := p.Aliases.Allow
	allowPat := p.Aliases.AllowPatterns
	if p.Aliases.AllowDefaults {
		allow = append(DefaultAllowlist(), allow...)
		allowPat = append(DefaultAllowPatterns(), allowPat...)
	}
	for i, a := range allow {
		if a == "" || strings.Contains(a, "/") {
			return nil, perr(fmt.Sprintf("aliases.allow[%d]", i), "%q is not a basename", a)
		}
		c.allow[a] = true
	}
	for i, s := range allowPat {
		re, err := regexp.Compile(`^(?:` + s + `)$`)
		if err != nil {
			return nil, &PolicyError{Field: fmt.Sprintf("aliases.allow_patterns[%d]", i), Problem: "bad regular expression", Err: err}
		}
		c.allowPatterns = append(c.allowPatterns, re)
	}
	for i, col := range p.Aliases.Collapse {
		re, err := regexp.Compile(`^(?:` + col.Pattern + `)$`)
		if err != nil {
			return nil, &PolicyError{Field: fmt.Sprintf("aliases.collapse[%d].pattern", i), Problem: "bad regular expression", Err: err}
		}
		if col.Alias == "" {
			return nil, perr(fmt.Sprintf("aliases.collapse[%d].alias", i), "is empty")
		}
		if strings.HasPrefix(col.Alias, c.prefix) {
			return nil, perr(fmt.Sprintf("aliases.collapse[%d].alias", i), "%q collides with the custom prefix %q", col.Alias, c.prefix)
		}
		c.collapse = append(c.collapse, compiledCollapse{re: re, alias: col.Alias})
	}
	for i, r := range p.CwdRules {
		// Case-insensitive: the rule runs on the case-folded matching
		// form, and a literal upper-case letter in it must still match.
		re, err := regexp.Compile(`(?i)` + r.Pattern)
		if err != nil {
			return nil, &PolicyError{Field: fmt.Sprintf("cwd_rules[%d].pattern", i), Problem: "bad regular expression", Err: err}
		}
		c.cwd = append(c.cwd, compiledRule{re: re, repl: r.Replacement})
	}
	for i, f := range p.Forbidden {
		if err := checkListed(fmt.Sprintf("forbidden[%d]", i), f); err != nil {
			return nil, err
		}
		c.forbidden = append(c.forbidden, f)
	}
	for i, s := range p.Sweep {
		if err := checkListed(fmt.Sprintf("sweep[%d].from", i), s.From); err != nil {
			return nil, err
		}
		c.sweep = append(c.sweep, compiledSweep{from: s.From, to: s.To, key: []byte(matchKey(s.From))})
		c.forbidden = append(c.forbidden, s.From)
	}
	for i, pt := range p.Patterns {
		if pt.Name == "" {
			return nil, perr(fmt.Sprintf("patterns[%d].name", i), "is empty")
		}
		re, err := regexp.Compile(pt.Regex)
		if err != nil {
			return nil, &PolicyError{Field: fmt.Sprintf("patterns[%d].regex", i), Problem: "bad regular expression", Err: err}
		}
		if re.MatchString("") {
			return nil, perr(fmt.Sprintf("patterns[%d].regex", i), "matches the empty string, hence every value")
		}
		c.patterns = append(c.patterns, compiledPattern{name: pt.Name, re: re})
	}
	// Replacement texts must not reintroduce what the scan forbids, or
	// every release would fail its own assertions.
	texts := map[string]string{}
	for i, r := range p.CwdRules {
		texts[fmt.Sprintf("cwd_rules[%d].replacement", i)] = r.Replacement
	}
	for i, s := range p.Sweep {
		texts[fmt.Sprintf("sweep[%d].to", i)] = s.To
	}
	for i, col := range p.Aliases.Collapse {
		texts[fmt.Sprintf("aliases.collapse[%d].alias", i)] = col.Alias
	}
	texts["aliases.custom_prefix"] = c.prefix
	for _, field := range slices.Sorted(maps.Keys(texts)) {
		lt := matchKey(texts[field])
		for _, f := range c.forbidden {
			if strings.Contains(lt, matchKey(f)) {
				return nil, perr(field, "%q contains the forbidden value %q", texts[field], f)
			}
		}
	}
	return c, nil
}

// checkListed checks a forbidden value or sweep source: long enough to
// scan for once normalized (invisible characters removed), and not
// text the normalization would change (a listed value is matched by its
// normalized form; listing ju\u0308rgen is listing jürgen).
func checkListed(field, v string) error {
	if k := matchKey(v); len(v) < MinForbiddenLength || len(k) < MinForbiddenLength {
		return perr(field, "%q is shorter than %d bytes once normalized", v, MinForbiddenLength)
	}
	return nil
}

// has reports whether some column has class cl.
func (c *compiledPolicy) has(cl Class) bool {
	for _, x := range c.src.Columns {
		if x == cl {
			return true
		}
	}
	return false
}

// sweepString applies the sweep to s: every occurrence of a source's
// matching form in the matching form of the text is replaced, with the
// bytes of s that produced it, by the target; then the same on the
// percent-decoded view of the result, if it has one (see
// resetDecoded), so that sigr%C3%BCn is swept like sigrün. changed
// reports whether anything was. f computes the matching forms.
func (c *compiledPolicy) sweepString(f *folder, s string) (out string, changed bool) {
	if len(c.sweep) == 0 {
		return s, false
	}
	out, changed = c.sweepView(f, s, false)
	if strings.IndexByte(out, '%') >= 0 {
		var more bool
		out, more = c.sweepView(f, out, true)
		changed = changed || more
	}
	return out, changed
}

// sweepView is one pass of the sweep over the plain or the decoded view
// of s.
func (c *compiledPolicy) sweepView(f *folder, s string, decoded bool) (out string, changed bool) {
	out = s
	var key []byte
	stale := true
	for i := range c.sweep {
		sw := &c.sweep[i]
		if stale {
			var ok bool
			if key, ok = f.view(out, decoded); !ok {
				break
			}
			stale = false
		}
		j := bytes.Index(key, sw.key)
		if j < 0 {
			continue
		}
		var b strings.Builder
		last := 0
		for j >= 0 {
			a, e := f.span(j, j+len(sw.key))
			a, e = max(a, last), max(e, a, last)
			b.WriteString(out[last:a])
			b.WriteString(sw.to)
			last = e
			next := j + len(sw.key)
			if k := bytes.Index(key[next:], sw.key); k >= 0 {
				j = next + k
			} else {
				j = -1
			}
		}
		b.WriteString(out[last:])
		out, stale, changed = b.String(), true, true
	}
	return out, changed
}

// rewriteCwd applies the cwd rules to s, each on the matching form of the
// previous rule's result, and reports every text a rule changed (the
// "rewritten path prefixes", forbidden from then on). A match replaces the
// bytes of s that produced it; capture groups ($1) expand to bytes of s
// too, so what a rule keeps is kept as written. The rules run on the
// plain view, then on the percent-decoded view of the result if it has
// one (/home/sigr%C3%BCn/ and %2Fhome%2Fsigrun are home directories too).
func (c *compiledPolicy) rewriteCwd(f *folder, s string, rewritten func(string)) string {
	s = c.rewriteCwdView(f, s, false, rewritten)
	if strings.IndexByte(s, '%') >= 0 {
		s = c.rewriteCwdView(f, s, true, rewritten)
	}
	return s
}

// rewriteCwdView is one pass of the cwd rules over the plain or the
// decoded view of s.
func (c *compiledPolicy) rewriteCwdView(f *folder, s string, decoded bool, rewritten func(string)) string {
	var key []byte
	stale := true
	var loc []int
	for _, r := range c.cwd {
		if stale {
			var ok bool
			if key, ok = f.view(s, decoded); !ok {
				break
			}
			stale = false
		}
		locs := r.re.FindAllSubmatchIndex(key, -1)
		if locs == nil {
			continue
		}
		var b strings.Builder
		last := 0
		for _, kl := range locs {
			// The match and its groups, in bytes of s.
			loc = append(loc[:0], kl...)
			for g := 0; g+1 < len(loc); g += 2 {
				if loc[g] >= 0 {
					loc[g], loc[g+1] = f.span(loc[g], loc[g+1])
				}
			}
			a, e := max(loc[0], last), max(loc[1], loc[0], last)
			match := s[a:e]
			repl := string(r.re.ExpandString(nil, r.repl, s, loc))
			if rewritten != nil && match != "" && match != repl && !keeps(repl, match) {
				rewritten(match)
			}
			b.WriteString(s[last:a])
			b.WriteString(repl)
			last = e
		}
		b.WriteString(s[last:])
		if b.String() != s {
			s, stale = b.String(), true
		}
	}
	return s
}

// keeps reports whether a rule's replacement repl still holds the text
// match it replaced, in either of match's views: the rule only
// respelled it (%2Fhome%2F_user_ to /home/_user_), and match is no
// rewritten path prefix.
func keeps(repl, match string) bool {
	rk := matchKey(repl)
	if strings.Contains(rk, matchKey(match)) {
		return true
	}
	if strings.IndexByte(match, '%') < 0 {
		return false
	}
	k, _, ok := newFolder().resetDecoded(match)
	return ok && strings.Contains(rk, string(k))
}
