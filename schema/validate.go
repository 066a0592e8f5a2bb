package schema

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"

	"github.com/tetrahids/tetrahids/internal/schemadoc"
)

// knownDerivedNames lists the derived values a recipe input may name (see
// KnownDerived).
var knownDerivedNames = []string{
	"action_family", "object_category", "path_category", "dst_ip_category",
	"dst_port_category", "proc_basename", "parent_basename", "cwd_normalized",
	"parent_child_pair", "token", "root_basename", "root_exec_id",
	"lineage_depth", "lineage_fallback_used", "lineage_missing_parent",
	"lineage_cycle", "delta_t_prev_ns", "process_age_ns",
}

var (
	knownFns      = set("passthrough", "lookup", "bucket", "hash", "flag", "value", "path_sensitivity")
	knownMeasures = set("byte_length", "list_length", "shannon_entropy", "gzip_ratio", "basename", "dirname", "path_components")
	knownPreds    = set("setuid_exec", "cap_count_change")
	knownConverts = set("int", "number", "string", "text", "truthy", "string_list", "string_or_path")
	knownDerived  = set(knownDerivedNames...)
	// knownHashes are the algorithms this package's users can implement
	// bit-compatibly; the document must also describe each one it uses.
	knownHashes = set("blake2b-64-be")
)

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}

func (d *Definitions) validate() error {
	if d.doc.Format != FormatName {
		return &ValidationError{Problem: fmt.Sprintf("format is %q, want %q", d.doc.Format, FormatName)}
	}
	major, minor, ok := strings.Cut(d.doc.SchemaVersion, ".")
	mj, err1 := strconv.Atoi(major)
	_, err2 := strconv.Atoi(minor)
	if !ok || err1 != nil || err2 != nil {
		return &ValidationError{Problem: fmt.Sprintf("schema_version %q is not MAJOR.MINOR", d.doc.SchemaVersion)}
	}
	if mj != 1 {
		return fmt.Errorf("%w: %s (this library reads major version 1)", ErrUnsupportedVersion, d.doc.SchemaVersion)
	}
	if d.doc.Raw.ParserVersion == "" {
		return &ValidationError{Problem: "raw.parser_version is empty"}
	}

	d.rawIndex = make(map[string]int, len(d.doc.Raw.Columns))
	for i, c := range d.doc.Raw.Columns {
		if err := checkColumnBasics(c, d.rawIndex); err != nil {
			return err
		}
		if c.Derive != nil || c.Categorical != nil || c.Hash != nil {
			return &ValidationError{Column: c.Name, Problem: "raw columns take no derive, categorical or hash"}
		}
		d.rawIndex[c.Name] = i
	}
	d.encodedIndex = make(map[string]int, len(d.doc.Encoded.Columns))
	d.labelIndex = make(map[string]map[string]int)
	for i := range d.doc.Encoded.Columns {
		c := &d.doc.Encoded.Columns[i]
		if err := checkColumnBasics(*c, d.encodedIndex); err != nil {
			return err
		}
		if err := d.checkEncoded(c); err != nil {
			return err
		}
		d.encodedIndex[c.Name] = i
	}
	if err := d.checkExtraction(); err != nil {
		return err
	}
	return d.checkTables()
}

func checkColumnBasics(c schemadoc.Column, seen map[string]int) error {
	if c.Name == "" {
		return &ValidationError{Problem: fmt.Sprintf("a column has no name (after %d columns)", len(seen))}
	}
	if _, dup := seen[c.Name]; dup {
		return &ValidationError{Column: c.Name, Problem: "duplicate column name"}
	}
	if _, err := schemadoc.ArrowType(c.Type); err != nil {
		return &ValidationError{Column: c.Name, Problem: err.Error()}
	}
	return nil
}

func (d *Definitions) checkEncoded(c *schemadoc.Column) error {
	bad := func(format string, args ...any) error {
		return &ValidationError{Column: c.Name, Problem: fmt.Sprintf(format, args...)}
	}
	if cat := c.Categorical; cat != nil {
		if len(cat.Codes) == 0 {
			return bad("categorical has no codes")
		}
		labels := make(map[string]int, len(cat.Codes))
		for i, code := range cat.Codes {
			if code.Code != i {
				if code.Code < i {
					return bad("duplicate or out-of-order code %d at position %d", code.Code, i)
				}
				return bad("gap in codes: code %d at position %d, want %d", code.Code, i, i)
			}
			if prev, dup := labels[code.Label]; dup {
				return bad("label %q is used by codes %d and %d", code.Label, prev, code.Code)
			}
			labels[code.Label] = code.Code
		}
		if cat.NullCode == nil {
			return bad("categorical has no null_code")
		}
		if cat.OOVCode == nil {
			return bad("categorical has no oov_code")
		}
		for what, code := range map[string]int{"null_code": *cat.NullCode, "oov_code": *cat.OOVCode} {
			if code < 0 || code >= len(cat.Codes) {
				return bad("%s %d is not one of the %d codes", what, code, len(cat.Codes))
			}
		}
		if cat.Lookup != nil && (*cat.Lookup < 0 || *cat.Lookup > len(cat.Codes)) {
			return bad("lookup %d is outside 0..%d", *cat.Lookup, len(cat.Codes))
		}
		if max := schemadoc.MaxCode(c.Type); max < 0 || int64(len(cat.Codes)-1) > max {
			return bad("%d codes do not fit the Arrow type %s", len(cat.Codes), c.Type)
		}
		d.labelIndex[c.Name] = labels
	}
	if h := c.Hash; h != nil {
		if !knownHashes[h.Algorithm] {
			return bad("unknown hash algorithm %q", h.Algorithm)
		}
		if _, ok := d.doc.HashAlgorithms[h.Algorithm]; !ok {
			return bad("hash algorithm %q is not described in hash_algorithms", h.Algorithm)
		}
		if h.Capacity <= 0 {
			return bad("hash capacity %d must be positive", h.Capacity)
		}
		if max := schemadoc.MaxCode(c.Type); max < 0 || int64(h.Capacity-1) > max {
			return bad("capacity %d does not fit the Arrow type %s", h.Capacity, c.Type)
		}
	}
	dv := c.Derive
	if dv == nil {
		return bad("encoded column has no derive recipe")
	}
	if !knownFns[dv.Fn] {
		return bad("unknown derive fn %q", dv.Fn)
	}
	if err := d.checkInput(dv.Input); err != nil {
		return bad("derive input: %v", err)
	}
	switch dv.Fn {
	case "lookup", "flag", "path_sensitivity", "bucket":
		if c.Categorical == nil {
			return bad("derive fn %q needs a categorical", dv.Fn)
		}
	case "hash":
		if c.Hash == nil {
			return bad("derive fn hash needs a hash description")
		}
	case "value":
		if dv.NullValue == nil {
			return bad("derive fn value needs null_value")
		}
	}
	if dv.Fn == "bucket" {
		if len(dv.Rules) == 0 || dv.DefaultCode == nil {
			return bad("derive fn bucket needs rules and default_code")
		}
		n := len(c.Categorical.Codes)
		for i, r := range dv.Rules {
			if r.Code < 0 || r.Code >= n {
				return bad("rule %d yields code %d, not one of the %d codes", i, r.Code, n)
			}
			if len(r.Equals) > 0 && (r.Min != nil || r.Below != nil) {
				return bad("rule %d mixes equals with min/below", i)
			}
		}
		if *dv.DefaultCode < 0 || *dv.DefaultCode >= n {
			return bad("default_code %d is not one of the %d codes", *dv.DefaultCode, n)
		}
	}
	return nil
}

func (d *Definitions) checkInput(in schemadoc.Input) error {
	forms := 0
	count := func(b bool) {
		if b {
			forms++
		}
	}
	count(in.Column != "" && in.Measure == "")
	count(in.Measure != "")
	count(in.Derived != "")
	count(len(in.Coalesce) > 0)
	count(len(in.Difference) > 0)
	count(len(in.Equal) > 0)
	count(len(in.NotEqual) > 0)
	count(in.EqualValue != nil)
	count(in.Predicate != "")
	count(in.Const != nil)
	if forms != 1 {
		return fmt.Errorf("exactly one input form must be set, have %d", forms)
	}
	raw := func(names ...string) error {
		for _, n := range names {
			if _, ok := d.rawIndex[n]; !ok {
				return fmt.Errorf("unknown raw column %q", n)
			}
		}
		return nil
	}
	switch {
	case in.Measure != "":
		if !knownMeasures[in.Measure] {
			return fmt.Errorf("unknown measure %q", in.Measure)
		}
		if in.Measure == "path_components" && in.Components <= 0 {
			return fmt.Errorf("measure path_components needs components > 0")
		}
		return raw(in.Column)
	case in.Column != "":
		return raw(in.Column)
	case in.Derived != "":
		if !knownDerived[in.Derived] {
			return fmt.Errorf("unknown derived value %q", in.Derived)
		}
	case len(in.Coalesce) > 0:
		return raw(in.Coalesce...)
	case len(in.Difference) > 0:
		if len(in.Difference) != 2 {
			return fmt.Errorf("difference takes two columns")
		}
		return raw(in.Difference...)
	case len(in.Equal) > 0:
		if len(in.Equal) != 2 {
			return fmt.Errorf("equal takes two columns")
		}
		return raw(in.Equal...)
	case len(in.NotEqual) > 0:
		if len(in.NotEqual) != 2 {
			return fmt.Errorf("not_equal takes two columns")
		}
		return raw(in.NotEqual...)
	case in.EqualValue != nil:
		return raw(in.EqualValue.Column)
	case in.Predicate != "":
		if !knownPreds[in.Predicate] {
			return fmt.Errorf("unknown predicate %q", in.Predicate)
		}
	}
	return nil
}

func (d *Definitions) checkExtraction() error {
	if d.doc.Extraction.FunctionMatch != "exact" {
		return &ValidationError{Problem: fmt.Sprintf("kprobe_extraction.function_match %q: only \"exact\" is known", d.doc.Extraction.FunctionMatch)}
	}
	seen := map[string]bool{}
	for _, f := range d.doc.Extraction.Functions {
		if f.Function == "" || seen[f.Function] {
			return &ValidationError{Problem: fmt.Sprintf("kprobe_extraction: empty or duplicate function %q", f.Function)}
		}
		seen[f.Function] = true
		if f.Source != "args" && f.Source != "return" {
			return &ValidationError{Problem: fmt.Sprintf("kprobe_extraction %s: source %q is neither args nor return", f.Function, f.Source)}
		}
		for _, fld := range f.Fields {
			bad := func(p string) error {
				return &ValidationError{Column: fld.Column, Problem: "kprobe_extraction " + f.Function + ": " + p}
			}
			if _, ok := d.rawIndex[fld.Column]; !ok {
				return bad("not a raw column")
			}
			if !knownConverts[fld.Convert] {
				return bad(fmt.Sprintf("unknown convert %q", fld.Convert))
			}
			if len(fld.Kinds) == 0 {
				return bad("no argument kinds")
			}
			n := 0
			if fld.Select.Arg != nil {
				n++
			}
			if fld.Select.FirstWithKind {
				n++
			}
			if fld.Select.Numeric != nil {
				n++
			}
			if n != 1 {
				return bad("select must set exactly one of arg, first_with_kind, numeric")
			}
		}
	}
	return nil
}

func (d *Definitions) checkTables() error {
	t := &d.doc.Tables
	for _, r := range t.DstIPCategory.Rules {
		for _, p := range append(append([]string{}, r.IPv4...), r.IPv6...) {
			if _, err := netip.ParsePrefix(p); err != nil {
				return &ValidationError{Problem: fmt.Sprintf("tables.dst_ip_category %s: %v", r.Label, err)}
			}
		}
		if r.IPv4Mapped != "ipv4" && r.IPv4Mapped != "ipv6" {
			return &ValidationError{Problem: fmt.Sprintf("tables.dst_ip_category %s: ipv4_mapped %q is neither ipv4 nor ipv6", r.Label, r.IPv4Mapped)}
		}
	}
	if t.Lineage.MaxDepth <= 0 || t.Lineage.MaxSteps <= 0 {
		return &ValidationError{Problem: "tables.lineage needs positive max_depth and max_steps"}
	}
	if t.CwdNormalization.Lowercase != "python_str_lower" && t.CwdNormalization.Lowercase != "none" {
		return &ValidationError{Problem: fmt.Sprintf("tables.cwd_normalization.lowercase %q is unknown", t.CwdNormalization.Lowercase)}
	}
	if len(t.Token.Formats) == 0 {
		return &ValidationError{Problem: "tables.token has no formats"}
	}
	return nil
}
