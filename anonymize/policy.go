package anonymize

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"regexp"
	"slices"
	"strings"
)

// PolicyVersion is the only policy document version this package reads.
// A change to the meaning of a field is a new version; new optional fields
// whose zero value keeps the old behaviour are not.
const PolicyVersion = 1

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
	// Version must be PolicyVersion.
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
	// match of its pattern in the result of the previous rule.
	CwdRules []Rule `json:"cwd_rules"`
	// Sweep replaces, in order and case-insensitively, every occurrence of
	// each From with its To in every string column but the exec ids.
	// Every From is also a forbidden value.
	Sweep []Replacement `json:"sweep"`
	// Forbidden lists values that must not appear, case-insensitively, as a
	// substring of any released string, raw or inside a base64-decodable
	// substring (user, host and project names, addresses, …). At least
	// MinForbiddenLength bytes each.
	Forbidden []string `json:"forbidden"`
	// Patterns are regular expressions no released string may match, raw
	// or base64-decoded (MAC addresses, IP addresses, …).
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
}

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
	From string `json:"from"`
	To   string `json:"to"`
}

// Pattern is a named regular expression the released strings must not
// match.
type Pattern struct {
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

// DefaultPolicy returns the policy of the card's release: the twelve
// string columns of the encoded schema classified, the default allowlist,
// code-<40 hex> collapsed to vscode_server_bin, custom_tool_NNN for the
// rest, the card's four cwd rules (proc_cwd_normalized is lower-cased, so
// the /Users rule is case-insensitive), and MAC and IPv4 address patterns.
//
// Sweep and Forbidden are empty: they hold your operator, host and project
// names, which no default can know. A release needs them filled in.
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
			AllowDefaults: true,
			Collapse:      []Collapse{{Pattern: `code-[0-9a-f]{40}`, Alias: "vscode_server_bin"}},
			CustomPrefix:  DefaultCustomPrefix,
			CustomDigits:  DefaultCustomDigits,
		},
		CwdRules: []Rule{
			{Pattern: `^/home/[^/]+`, Replacement: "/home/_user_"},
			{Pattern: `(?i)^/users/[^/]+`, Replacement: "/Users/_user_"},
			{Pattern: `^/mnt/projects/[^/]+`, Replacement: "/workspace/_project_"},
			// Unanchored: a project under a home directory
			// (/home/_user_/projects/webapp/) is a project name too.
			{Pattern: `/projects/[^/]+`, Replacement: "/workspace/_project_"},
		},
		Patterns: []Pattern{
			{Name: "mac_address", Regex: `(?i)\b[0-9a-f]{2}(?::[0-9a-f]{2}){5}\b|\b[0-9a-f]{2}(?:-[0-9a-f]{2}){5}\b|\b[0-9a-f]{4}\.[0-9a-f]{4}\.[0-9a-f]{4}\b`},
			{Name: "ipv4_address", Regex: `\b(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\b`},
		},
		// To be filled in by the policy owner.
		Sweep:              []Replacement{},
		Forbidden:          []string{},
		MinAliasScanLength: DefaultMinAliasScanLength,
	}
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
	re       *regexp.Regexp
	from, to string
	lower    string
}

type compiledPattern struct {
	name string
	re   *regexp.Regexp
}

func perr(field, format string, args ...any) *PolicyError {
	return &PolicyError{Field: field, Problem: fmt.Sprintf(format, args...)}
}

func (p *Policy) compile() (*compiledPolicy, error) {
	if p.Version != PolicyVersion {
		if p.Version == 0 {
			return nil, perr("version", "is required (current version %d)", PolicyVersion)
		}
		return nil, perr("version", "unsupported version %d (this package reads %d)", p.Version, PolicyVersion)
	}
	c := &compiledPolicy{src: *p, allow: map[string]bool{}, prefix: p.Aliases.CustomPrefix, digits: p.Aliases.CustomDigits, minScan: p.MinAliasScanLength}
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
		re, err := regexp.Compile(r.Pattern)
		if err != nil {
			return nil, &PolicyError{Field: fmt.Sprintf("cwd_rules[%d].pattern", i), Problem: "bad regular expression", Err: err}
		}
		c.cwd = append(c.cwd, compiledRule{re: re, repl: r.Replacement})
	}
	for i, f := range p.Forbidden {
		if len(f) < MinForbiddenLength {
			return nil, perr(fmt.Sprintf("forbidden[%d]", i), "%q is shorter than %d bytes", f, MinForbiddenLength)
		}
		c.forbidden = append(c.forbidden, f)
	}
	for i, s := range p.Sweep {
		if len(s.From) < MinForbiddenLength {
			return nil, perr(fmt.Sprintf("sweep[%d].from", i), "%q is shorter than %d bytes", s.From, MinForbiddenLength)
		}
		re := regexp.MustCompile(`(?i)` + regexp.QuoteMeta(s.From)) // quoted: always compiles
		c.sweep = append(c.sweep, compiledSweep{re: re, from: s.From, to: s.To, lower: strings.ToLower(s.From)})
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
		lt := strings.ToLower(texts[field])
		for _, f := range c.forbidden {
			if strings.Contains(lt, strings.ToLower(f)) {
				return nil, perr(field, "%q contains the forbidden value %q", texts[field], f)
			}
		}
	}
	return c, nil
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

// sweepString applies the sweep to s; changed reports whether it did
// anything. The case-insensitive Contains pre-check keeps the common
// no-hit case free of regexp work.
func (c *compiledPolicy) sweepString(s string) (out string, changed bool) {
	out = s
	var lower string
	for i := range c.sweep {
		sw := &c.sweep[i]
		if lower == "" {
			lower = strings.ToLower(out)
		}
		if !strings.Contains(lower, sw.lower) {
			continue
		}
		out = sw.re.ReplaceAllLiteralString(out, sw.to)
		lower = ""
		changed = true
	}
	return out, changed
}

// rewriteCwd applies the cwd rules to s and reports every matched text
// that a rule changed (the "rewritten path prefixes", forbidden from then
// on).
func (c *compiledPolicy) rewriteCwd(s string, rewritten func(string)) string {
	for _, r := range c.cwd {
		locs := r.re.FindAllStringSubmatchIndex(s, -1)
		if locs == nil {
			continue
		}
		var b strings.Builder
		last := 0
		for _, loc := range locs {
			match := s[loc[0]:loc[1]]
			repl := string(r.re.ExpandString(nil, r.repl, s, loc))
			if match != repl && match != "" && rewritten != nil {
				rewritten(match)
			}
			b.WriteString(s[last:loc[0]])
			b.WriteString(repl)
			last = loc[1]
		}
		b.WriteString(s[last:])
		s = b.String()
	}
	return s
}
