package tetraparse

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"

	"github.com/tetrahids/tetrahids/internal/pyjson"
	"github.com/tetrahids/tetrahids/internal/pystr"
	"github.com/tetrahids/tetrahids/internal/schemadoc"
	"github.com/tetrahids/tetrahids/schema"
)

// The extraction table of package schema decides which kp_* column each
// hooked function fills; this file interprets it with the reference's
// Python semantics (see schemadoc.ExtractField).

// errExtraction aborts a function's extraction: the reference's extractor
// raised, so none of its kp_* columns is set (the row is still kept).
var errExtraction = errors.New("kprobe extraction failed")

type fieldPlan struct {
	col          int // raw column index
	slot         int // kp slot index
	sel          schemadoc.Selector
	kinds        []string
	member       []string
	convert      string
	kindOptional bool
	typ          string // Arrow type name of the column
}

type functionPlan struct {
	function string // the kprobe function it extracts
	source   string
	fields   []fieldPlan
}

// kpValue is one extracted value, staged until the whole function's
// extraction succeeds.
type kpValue struct {
	set  bool
	num  bigint
	s    string
	list []string
	b    bool
}

// extractor holds the compiled table and staging slots.
type extractor struct {
	plans map[string]*functionPlan
	// last is the previous lookup's plan: events of one function come in
	// runs.
	last  *functionPlan
	cols  []int // raw column index of each slot
	typs  []string
	slots []kpValue
	vals  []bigint // scratch for numeric selection
}

func newExtractor(defs *schema.Definitions) (*extractor, error) {
	x := &extractor{plans: map[string]*functionPlan{}}
	slotOf := map[int]int{}
	for _, f := range schemadoc.Of(defs).Extraction.Functions {
		fp := &functionPlan{function: f.Function, source: f.Source}
		for _, fld := range f.Fields {
			col, err := defs.RawColumn(fld.Column)
			if err != nil {
				return nil, err
			}
			idx := rawIndex(defs, fld.Column)
			slot, ok := slotOf[idx]
			if !ok {
				slot = len(x.cols)
				slotOf[idx] = slot
				x.cols = append(x.cols, idx)
				x.typs = append(x.typs, col.TypeName())
			}
			if err := checkConvertType(fld.Convert, col.TypeName()); err != nil {
				return nil, fmt.Errorf("tetraparse: extraction of %s.%s: %w", f.Function, fld.Column, err)
			}
			var member []string
			if fld.Member != "" {
				member = strings.Split(fld.Member, ".")
			}
			fp.fields = append(fp.fields, fieldPlan{
				col: idx, slot: slot, sel: fld.Select, kinds: fld.Kinds, member: member,
				convert: fld.Convert, kindOptional: fld.KindOptional, typ: col.TypeName(),
			})
		}
		x.plans[f.Function] = fp
	}
	x.slots = make([]kpValue, len(x.cols))
	return x, nil
}

func rawIndex(defs *schema.Definitions, name string) int {
	for i, c := range defs.RawColumns() {
		if c.Name() == name {
			return i
		}
	}
	return -1
}

func checkConvertType(convert, typ string) error {
	numeric := typ == "int32" || typ == "uint32" || typ == "int64" || typ == "uint64"
	ok := false
	switch convert {
	case "int", "number":
		ok = numeric
	case "string", "text", "string_or_path":
		ok = typ == "utf8"
	case "truthy":
		ok = typ == "bool"
	case "string_list":
		ok = typ == "list<utf8>"
	}
	if !ok {
		return fmt.Errorf("convert %q cannot fill a %s column", convert, typ)
	}
	return nil
}

// clear unsets every slot (a row without kprobe values).
func (x *extractor) clear() {
	for i := range x.slots {
		// Most slots are untouched by an event: skip them (writing a slot
		// holds pointers, so even a no-op write costs a write barrier).
		if s := &x.slots[i]; s.set || len(s.list) > 0 || s.s != "" {
			*s = kpValue{list: s.list[:0]}
		}
	}
}

// extract fills x.slots for the event's kprobe function. It reports
// whether a plan exists, and errExtraction when the reference's extractor
// would have raised (then every slot is cleared). fieldErrors counts values
// that do not fit their column.
func (x *extractor) extract(d *decoder, function string) (found bool, fieldErrors int, err error) {
	x.clear()
	fp := x.last
	if fp == nil || function != fp.function {
		if fp = x.plans[function]; fp == nil {
			return false, 0, nil
		}
		x.last = fp
	}
	args := d.argsNode
	if fp.source == "return" {
		args = d.retNode
	}
	for i := range fp.fields {
		f := &fp.fields[i]
		fe, err := x.field(d, args, fp.source == "return", f)
		if err != nil {
			x.clear()
			return true, 0, err
		}
		fieldErrors += fe
	}
	return true, fieldErrors, nil
}

// argAt returns the selected argument object, or -1 when there is none.
func (x *extractor) selectArg(d *decoder, args int32, single bool, f *fieldPlan) (arg int32, kind int32, err error) {
	doc := &d.doc
	if args < 0 {
		return -1, -1, nil
	}
	// elems iterates the argument list with Python's semantics for a
	// non-list "args" value.
	nd := &doc.Nodes[args]
	if single {
		// A "return" source is the one-element list [return].
		if f.sel.Arg != nil && *f.sel.Arg != 0 {
			return -1, -1, nil
		}
		return x.kindIn(d, args, f)
	}
	switch nd.Kind {
	case pyjson.Array:
	case pyjson.String:
		return -1, -1, nil // characters are never objects
	case pyjson.Object:
		if f.sel.Arg != nil {
			if doc.Len(args) > *f.sel.Arg {
				return -1, -1, errExtraction // args[N] on a dict: KeyError
			}
			return -1, -1, nil
		}
		return -1, -1, nil // iterating a dict yields its keys
	default:
		return -1, -1, errExtraction // len() or iteration of a scalar
	}
	switch {
	case f.sel.Arg != nil:
		i := 0
		for e := nd.First; e >= 0; e = doc.Nodes[e].Next {
			if i == *f.sel.Arg {
				return x.kindIn(d, e, f)
			}
			i++
		}
		return -1, -1, nil
	case f.sel.FirstWithKind:
		for e := nd.First; e >= 0; e = doc.Nodes[e].Next {
			if doc.Nodes[e].Kind != pyjson.Object {
				continue
			}
			for _, k := range f.kinds {
				if v := doc.Get(e, k); v >= 0 {
					return e, v, nil
				}
			}
		}
	}
	return -1, -1, nil
}

// kindIn returns arg and the value of the first of f.kinds it holds.
func (x *extractor) kindIn(d *decoder, arg int32, f *fieldPlan) (int32, int32, error) {
	if d.doc.Nodes[arg].Kind != pyjson.Object {
		return -1, -1, nil
	}
	for _, k := range f.kinds {
		if v := d.doc.Get(arg, k); v >= 0 {
			return arg, v, nil
		}
	}
	return arg, -1, nil
}

// field extracts one field into its slot.
func (x *extractor) field(d *decoder, args int32, single bool, f *fieldPlan) (int, error) {
	doc := &d.doc
	slot := &x.slots[f.slot]
	if f.sel.Numeric != nil {
		return x.numeric(d, args, single, f)
	}
	arg, kv, err := x.selectArg(d, args, single, f)
	if err != nil || arg < 0 {
		return 0, err
	}
	if kv < 0 && !f.kindOptional {
		return 0, nil
	}
	v := kv
	if len(f.member) > 0 {
		// "kind value or {}", then ".get" along the member path, each step
		// but the last again "or {}".
		cur := int32(-1)
		if kv >= 0 && doc.Truthy(kv) {
			if doc.Nodes[kv].Kind != pyjson.Object {
				if f.convert == "string_or_path" {
					return x.stringOrPath(d, kv, slot, f), nil
				}
				return 0, errExtraction
			}
			cur = kv
		}
		v = -1
		for i, m := range f.member {
			if cur < 0 {
				v = -1
				break
			}
			next := doc.Get(cur, m)
			if i == len(f.member)-1 {
				v = next
				break
			}
			if !doc.Truthy(next) {
				cur = -1
				continue
			}
			if doc.Nodes[next].Kind != pyjson.Object {
				return 0, errExtraction
			}
			cur = next
		}
	} else if f.convert == "string_or_path" {
		return x.stringOrPath(d, kv, slot, f), nil
	}
	return x.convert(d, v, slot, f)
}

// stringOrPath implements the do_unlinkat rule: a string kind's string; a
// file kind's path when it is an object, or its value when it is a string.
func (x *extractor) stringOrPath(d *decoder, v int32, slot *kpValue, f *fieldPlan) int {
	doc := &d.doc
	if v < 0 {
		return 0
	}
	if doc.Nodes[v].Kind == pyjson.Object {
		p := doc.Get(v, "path")
		if p < 0 || doc.Nodes[p].Kind == pyjson.Null {
			return 0
		}
		if doc.Nodes[p].Kind != pyjson.String {
			return 1
		}
		*slot = kpValue{set: true, s: d.str(p), list: slot.list}
		return 0
	}
	if doc.Nodes[v].Kind == pyjson.String {
		*slot = kpValue{set: true, s: d.str(v), list: slot.list}
	}
	return 0
}

// numeric implements the {"numeric": N} selector of security_file_mprotect.
func (x *extractor) numeric(d *decoder, args int32, single bool, f *fieldPlan) (int, error) {
	doc := &d.doc
	x.vals = x.vals[:0]
	visit := func(e int32) error {
		if doc.Nodes[e].Kind != pyjson.Object {
			return nil
		}
		for _, k := range f.kinds {
			if v := doc.Get(e, k); v >= 0 {
				n, ok, err := pyInt(d, v)
				if err != nil {
					return err
				}
				if ok {
					x.vals = append(x.vals, n)
				}
				break
			}
		}
		return nil
	}
	switch {
	case args < 0:
	case single:
		if err := visit(args); err != nil {
			return 0, err
		}
	default:
		switch doc.Nodes[args].Kind {
		case pyjson.Array:
			for e := doc.Nodes[args].First; e >= 0; e = doc.Nodes[e].Next {
				if err := visit(e); err != nil {
					return 0, err
				}
			}
		case pyjson.String, pyjson.Object:
		default:
			return 0, errExtraction
		}
	}
	if *f.sel.Numeric < len(x.vals) {
		return x.store(&x.slots[f.slot], x.vals[*f.sel.Numeric], f.typ), nil
	}
	return 0, nil
}

// convert stores the value node v (-1 when absent) into slot.
func (x *extractor) convert(d *decoder, v int32, slot *kpValue, f *fieldPlan) (int, error) {
	doc := &d.doc
	switch f.convert {
	case "truthy":
		*slot = kpValue{set: true, b: doc.Truthy(v), list: slot.list}
		return 0, nil
	case "string_list":
		out := slot.list[:0]
		*slot = kpValue{set: true, list: out}
		if !doc.Truthy(v) {
			return 0, nil
		}
		if doc.Nodes[v].Kind != pyjson.Array {
			slot.set = false
			return 1, nil
		}
		for e := doc.Nodes[v].First; e >= 0; e = doc.Nodes[e].Next {
			if doc.Nodes[e].Kind != pyjson.String {
				slot.set = false
				return 1, nil
			}
			out = append(out, d.str(e))
		}
		slot.list = out
		return 0, nil
	}
	if v < 0 || doc.Nodes[v].Kind == pyjson.Null {
		return 0, nil
	}
	switch f.convert {
	case "int":
		n, ok, err := pyInt(d, v)
		if err != nil || !ok {
			return 0, err
		}
		return x.store(slot, n, f.typ), nil
	case "number":
		n, ok := d.integer(v)
		if !ok {
			return 1, nil
		}
		return x.store(slot, n, f.typ), nil
	case "string":
		if doc.Nodes[v].Kind != pyjson.String {
			return 1, nil
		}
		*slot = kpValue{set: true, s: d.str(v), list: slot.list}
	case "text":
		*slot = kpValue{set: true, s: pyStr(d, v), list: slot.list}
	}
	return 0, nil
}

// store range-checks an integer for the column type.
func (x *extractor) store(slot *kpValue, n bigint, typ string) int {
	var ok bool
	switch typ {
	case "int32":
		ok = (!n.neg && n.abs <= math.MaxInt32) || (n.neg && n.abs <= 1<<31)
	case "int64":
		ok = (!n.neg && n.abs <= math.MaxInt64) || (n.neg && n.abs <= 1<<63)
	case "uint32":
		ok = !n.neg && n.abs <= math.MaxUint32
	case "uint64":
		ok = !n.neg
	}
	if !ok {
		return 1
	}
	*slot = kpValue{set: true, num: n, list: slot.list}
	return 0
}

// pyInt is Python's int(value) for a JSON value: ok is false where Python
// raises TypeError or ValueError (the reference then leaves the column
// null), err is errExtraction where it raises OverflowError (int of an
// infinite float), which aborts the extractor.
func pyInt(d *decoder, v int32) (bigint, bool, error) {
	doc := &d.doc
	switch doc.Nodes[v].Kind {
	case pyjson.True:
		return bigint{abs: 1}, true, nil
	case pyjson.False:
		return bigint{}, true, nil
	case pyjson.Number:
		n, ok := d.integer(v)
		return n, ok, nil
	case pyjson.Float:
		f, _ := strconv.ParseFloat(string(doc.Raw(v)), 64)
		switch {
		case math.IsInf(f, 0):
			return bigint{}, false, errExtraction
		case math.IsNaN(f):
			return bigint{}, false, nil
		}
		f = math.Trunc(f)
		if math.Abs(f) >= 1<<64 {
			return bigint{abs: math.MaxUint64}, true, nil // out of every column's range
		}
		if f < 0 {
			return bigint{abs: uint64(-f), neg: true}, true, nil
		}
		return bigint{abs: uint64(f)}, true, nil
	case pyjson.String:
		n, ok := parsePyIntString(doc.Bytes(v))
		return n, ok, nil
	}
	return bigint{}, false, nil
}

// parsePyIntString mirrors int(str) in base 10 for ASCII input: optional
// surrounding white space, an optional sign, digits with single underscores
// between them. Values beyond 64 bits saturate (they fit no column).
func parsePyIntString(b []byte) (bigint, bool) {
	b = pystr.StripBytes(b)
	neg := false
	if len(b) > 0 && (b[0] == '+' || b[0] == '-') {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || b[0] == '_' || b[len(b)-1] == '_' {
		return bigint{}, false
	}
	var v uint64
	over := false
	for i, c := range b {
		switch {
		case c >= '0' && c <= '9':
			if v > (math.MaxUint64-9)/10 {
				over = true
			}
			v = v*10 + uint64(c-'0')
		case c == '_' && b[i-1] != '_':
		default:
			return bigint{}, false
		}
	}
	if over {
		v = math.MaxUint64
	}
	return bigint{abs: v, neg: neg && v != 0}, true
}

// pyStr is Python's str(value) for the JSON scalars a socket cookie can be;
// containers are written as compact JSON (Python would write its repr).
func pyStr(d *decoder, v int32) string {
	doc := &d.doc
	switch doc.Nodes[v].Kind {
	case pyjson.String:
		return d.str(v)
	case pyjson.True:
		return "True"
	case pyjson.False:
		return "False"
	case pyjson.Number:
		if n, ok := d.integer(v); ok {
			if n.neg {
				return "-" + strconv.FormatUint(n.abs, 10)
			}
			return strconv.FormatUint(n.abs, 10)
		}
	}
	out, _ := pyjson.AppendCompact(nil, doc.Raw(v))
	return string(out)
}
