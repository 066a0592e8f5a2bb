package encode

import (
	"fmt"
	"math"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tetrahids/tetrahids/internal/pathx"
	"github.com/tetrahids/tetrahids/schema"
)

// val is one input value of a recipe.
type val struct {
	null    bool
	s       string
	i       int64 // integers, timestamps, lengths
	u       uint64
	f       float64
	isFloat bool
	b       bool
}

func (v val) num() float64 {
	if v.isFloat {
		return v.f
	}
	return float64(v.i)
}

func (v *val) same(w *val) bool {
	return v.null == w.null && v.i == w.i && v.u == w.u && v.b == w.b &&
		v.isFloat == w.isFloat && v.f == w.f && v.s == w.s
}

// colPlan is one encoded column compiled from its recipe. A coded column
// (every recipe but passthrough) has a pure code function of its input, so
// runs of rows with the same input (a process's consecutive events) are
// coded once.
type colPlan struct {
	col   *schema.Column
	out   array.Builder
	input func(e *Encoder) (func(i int) val, error)
	// measure transforms the raw input (nil: none).
	measure func(val) val
	// code and appendInt are set for coded columns, emit for passthrough.
	code      func(v val) int64
	appendInt func(int64)
	emit      func(v val)
}

// run appends the column's n values.
func (p *colPlan) run(get func(int) val, n int) {
	if p.code == nil {
		for i := range n {
			p.emit(get(i))
		}
		return
	}
	var last val
	var code int64
	for i := range n {
		v := get(i)
		if i == 0 || !v.same(&last) {
			last = v
			if p.measure != nil {
				v = p.measure(v)
			}
			code = p.code(v)
		}
		p.appendInt(code)
	}
}

// compile builds the plan of one encoded column.
func (e *Encoder) compile(c *schema.Column, out array.Builder) (*colPlan, error) {
	p := &colPlan{col: c, out: out}
	dv := c.Derive
	in, measure, err := e.compileInput(dv.Input)
	if err != nil {
		return nil, err
	}
	p.input, p.measure = in, measure
	appendInt, err := intAppender(out)
	if dv.Fn != "passthrough" && err != nil {
		return nil, err
	}
	p.appendInt = appendInt
	switch dv.Fn {
	case "passthrough":
		p.emit, err = passthrough(out)
		if err != nil {
			return nil, err
		}
		if measure != nil {
			emit := p.emit
			p.emit = func(v val) { emit(measure(v)) }
		}
	case "lookup":
		cat := c.Categorical
		codes := map[string]int64{}
		for _, code := range cat.Codes[:cat.LookupCount()] {
			codes[code.Label] = int64(code.Code)
		}
		null, oov := int64(*cat.NullCode), int64(*cat.OOVCode)
		p.code = func(v val) int64 {
			if v.null {
				return null
			}
			if code, ok := codes[v.s]; ok {
				return code
			}
			return oov
		}
	case "bucket":
		rules, deflt, null := dv.Rules, int64(*dv.DefaultCode), int64(*c.Categorical.NullCode)
		p.code = func(v val) int64 {
			if v.null {
				return null
			}
			x := v.num()
			for i := range rules {
				if rules[i].Matches(x) {
					return int64(rules[i].Code)
				}
			}
			return deflt
		}
	case "hash":
		capacity := uint64(c.Hash.Capacity)
		p.code = func(v val) int64 {
			if v.null || v.s == "" {
				return 0
			}
			return int64(e.hash.digest(v.s) % capacity)
		}
	case "flag":
		p.code = func(v val) int64 {
			if !v.null && v.b {
				return 1
			}
			return 0
		}
	case "value":
		nv := *dv.NullValue
		_, unsigned64 := out.(*array.Uint64Builder)
		p.code = func(v val) int64 {
			switch {
			case v.null:
				return nv
			case unsigned64:
				return int64(v.u) // the appender restores the bits
			}
			return v.i
		}
	case "path_sensitivity":
		codes := map[string]int64{}
		for _, code := range c.Categorical.Codes {
			codes[code.Label] = int64(code.Code)
		}
		for _, r := range e.defs.Tables.PathSensitivity.Rules {
			if _, ok := codes[r.Label]; !ok {
				return nil, fmt.Errorf("path sensitivity label %q has no code", r.Label)
			}
		}
		for _, l := range []string{e.sens.empty, e.sens.deflt} {
			if _, ok := codes[l]; !ok {
				return nil, fmt.Errorf("path sensitivity label %q has no code", l)
			}
		}
		p.code = func(v val) int64 { return codes[e.sens.label(v.s, v.null)] }
	default:
		return nil, fmt.Errorf("unknown derive fn %q", dv.Fn)
	}
	return p, nil
}

// intAppender returns an appender of integer codes for an integer builder.
func intAppender(b array.Builder) (func(int64), error) {
	switch x := b.(type) {
	case *array.Uint8Builder:
		return func(v int64) { x.Append(uint8(v)) }, nil
	case *array.Uint16Builder:
		return func(v int64) { x.Append(uint16(v)) }, nil
	case *array.Uint32Builder:
		return func(v int64) { x.Append(uint32(v)) }, nil
	case *array.Uint64Builder:
		return func(v int64) { x.Append(uint64(v)) }, nil
	case *array.Int32Builder:
		return func(v int64) { x.Append(int32(v)) }, nil
	case *array.Int64Builder:
		return func(v int64) { x.Append(v) }, nil
	}
	return nil, fmt.Errorf("output type %s is not an integer type", b.Type())
}

// passthrough copies a value of any supported type.
func passthrough(b array.Builder) (func(val), error) {
	switch x := b.(type) {
	case *array.StringBuilder:
		return func(v val) {
			if v.null {
				x.AppendNull()
			} else {
				x.Append(v.s)
			}
		}, nil
	case *array.BooleanBuilder:
		return func(v val) {
			if v.null {
				x.AppendNull()
			} else {
				x.Append(v.b)
			}
		}, nil
	case *array.TimestampBuilder:
		return func(v val) {
			if v.null {
				x.AppendNull()
			} else {
				x.Append(arrow.Timestamp(v.i))
			}
		}, nil
	case *array.Uint64Builder:
		return func(v val) {
			if v.null {
				x.AppendNull()
			} else {
				x.Append(v.u)
			}
		}, nil
	}
	app, err := intAppender(b)
	if err != nil {
		return nil, err
	}
	return func(v val) {
		if v.null {
			b.AppendNull()
		} else {
			app(v.i)
		}
	}, nil
}

// rawGetter reads a raw column of any supported type.
func rawGetter(a arrow.Array) (func(i int) val, error) {
	switch x := a.(type) {
	case *array.String:
		return func(i int) val {
			if x.IsNull(i) {
				return val{null: true}
			}
			return val{s: x.Value(i)}
		}, nil
	case *array.Boolean:
		return func(i int) val {
			if x.IsNull(i) {
				return val{null: true}
			}
			return val{b: x.Value(i)}
		}, nil
	case *array.Timestamp:
		return intGetter(x), nil
	case *array.Uint32:
		return intGetter(x), nil
	case *array.Int32:
		return intGetter(x), nil
	case *array.Int64:
		return intGetter(x), nil
	case *array.Uint64:
		return func(i int) val {
			if x.IsNull(i) {
				return val{null: true}
			}
			v := x.Value(i)
			// Integers beyond int64 compare as floats in the rules.
			if v > math.MaxInt64 {
				return val{u: v, f: float64(v), isFloat: true, i: math.MaxInt64}
			}
			return val{i: int64(v), u: v}
		}, nil
	case *array.List:
		return func(i int) val {
			if x.IsNull(i) {
				return val{null: true}
			}
			s, e := x.ValueOffsets(i)
			return val{i: e - s}
		}, nil
	}
	return nil, fmt.Errorf("%w: unsupported type %s", ErrColumn, a.DataType())
}

// intGetter reads an integer column whose values fit an int64.
func intGetter[T int32 | uint32 | int64 | arrow.Timestamp](x interface {
	IsNull(int) bool
	Value(int) T
}) func(i int) val {
	return func(i int) val {
		if x.IsNull(i) {
			return val{null: true}
		}
		v := x.Value(i)
		return val{i: int64(v), u: uint64(v)}
	}
}

// compileInput returns, for an input recipe, a binder that resolves the
// recipe against the current batch.
func (e *Encoder) compileInput(in schema.Input) (func(e *Encoder) (func(i int) val, error), func(val) val, error) {
	get, err := e.compileGetter(in)
	if err != nil || in.Measure == "" {
		return get, nil, err
	}
	measure, err := measureFn(e, in)
	return get, measure, err
}

// compileGetter returns a binder of the input before any measure.
func (e *Encoder) compileGetter(in schema.Input) (func(e *Encoder) (func(i int) val, error), error) {
	raw := func(name string) (func(i int) val, error) {
		a, err := e.col(name)
		if err != nil {
			return nil, err
		}
		return rawGetter(a)
	}
	switch {
	case in.Column != "":
		return func(e *Encoder) (func(i int) val, error) { return raw(in.Column) }, nil
	case in.Derived != "":
		get, err := derivedGetter(e, in.Derived)
		if err != nil {
			return nil, err
		}
		return func(e *Encoder) (func(i int) val, error) { return get, nil }, nil
	case len(in.Coalesce) > 0:
		return func(e *Encoder) (func(i int) val, error) {
			gets, err := raws(raw, in.Coalesce...)
			if err != nil {
				return nil, err
			}
			return func(i int) val {
				for _, g := range gets {
					if v := g(i); !v.null {
						return v
					}
				}
				return val{null: true}
			}, nil
		}, nil
	case len(in.Difference) == 2:
		return combine(raw, in.Difference, func(a, b val) val { return val{i: a.i - b.i} }), nil
	case len(in.Equal) == 2:
		return combine(raw, in.Equal, func(a, b val) val { return val{b: a.i == b.i} }), nil
	case len(in.NotEqual) == 2:
		return combine(raw, in.NotEqual, func(a, b val) val { return val{b: a.i != b.i} }), nil
	case in.EqualValue != nil:
		want := in.EqualValue.Value
		return func(e *Encoder) (func(i int) val, error) {
			get, err := raw(in.EqualValue.Column)
			if err != nil {
				return nil, err
			}
			return func(i int) val {
				v := get(i)
				return val{b: !v.null && v.num() == want}
			}, nil
		}, nil
	case in.Predicate != "":
		return predicate(raw, in.Predicate)
	case in.Const != nil:
		c := *in.Const
		return func(e *Encoder) (func(i int) val, error) {
			return func(int) val { return val{b: c} }, nil
		}, nil
	}
	return nil, fmt.Errorf("empty input recipe")
}

// combine combines two raw columns; a null on either side gives null.
func combine(raw func(string) (func(int) val, error), cols []string, f func(a, b val) val) func(e *Encoder) (func(i int) val, error) {
	return func(e *Encoder) (func(i int) val, error) {
		g, err := raws(raw, cols...)
		if err != nil {
			return nil, err
		}
		ga, gb := g[0], g[1]
		return func(i int) val {
			a, b := ga(i), gb(i)
			if a.null || b.null {
				return val{null: true}
			}
			return f(a, b)
		}, nil
	}
}

// raws binds several raw columns at once.
func raws(raw func(string) (func(int) val, error), names ...string) ([]func(int) val, error) {
	gets := make([]func(int) val, len(names))
	for i, n := range names {
		g, err := raw(n)
		if err != nil {
			return nil, err
		}
		gets[i] = g
	}
	return gets, nil
}

func predicate(raw func(string) (func(int) val, error), name string) (func(e *Encoder) (func(i int) val, error), error) {
	lengthOr := func(v val, d int64) int64 {
		if v.null {
			return d
		}
		return v.i
	}
	switch name {
	case "setuid_exec":
		// process_exec with effective capabilities whose parent had none.
		return func(e *Encoder) (func(i int) val, error) {
			g, err := raws(raw, "proc_cap_effective", "parent_cap_effective", "event_type")
			if err != nil {
				return nil, err
			}
			procCaps, parentCaps, et := g[0], g[1], g[2]
			return func(i int) val {
				t := et(i)
				return val{b: lengthOr(procCaps(i), 0) > 0 && lengthOr(parentCaps(i), 0) == 0 && !t.null && t.s == "process_exec"}
			}, nil
		}, nil
	case "cap_count_change":
		// kp_creds_caps present and of another length than proc_cap_effective.
		return func(e *Encoder) (func(i int) val, error) {
			g, err := raws(raw, "kp_creds_caps", "proc_cap_effective")
			if err != nil {
				return nil, err
			}
			kp, proc := g[0], g[1]
			return func(i int) val {
				k := lengthOr(kp(i), -1)
				return val{b: k >= 0 && k != lengthOr(proc(i), -1)}
			}, nil
		}, nil
	}
	return nil, fmt.Errorf("unknown predicate %q", name)
}

// measureFn returns the transformation of a measure.
func measureFn(e *Encoder, in schema.Input) (func(val) val, error) {
	null := val{null: true}
	switch in.Measure {
	case "byte_length":
		return func(v val) val {
			if v.null {
				return null
			}
			return val{i: int64(len(v.s))}
		}, nil
	case "list_length":
		return func(v val) val { return v }, nil
	case "shannon_entropy":
		memo := newFloatMemo()
		return func(v val) val {
			if v.null || v.s == "" {
				return null
			}
			return val{f: memo.get(v.s, e.entropy), isFloat: true}
		}, nil
	case "gzip_ratio":
		memo := newFloatMemo()
		ratio := func(s string) float64 {
			b := unsafeBytes(s)
			return float64(e.sizer.GzipLen(b)) / float64(len(b))
		}
		return func(v val) val {
			if v.null || v.s == "" {
				return null
			}
			return val{f: memo.get(v.s, ratio), isFloat: true}
		}, nil
	case "basename":
		return func(v val) val {
			if v.null {
				return null
			}
			return val{s: pathx.Base(v.s)}
		}, nil
	case "dirname":
		return func(v val) val {
			if v.null || v.s == "" {
				return null
			}
			return val{s: dirname(v.s)}
		}, nil
	case "path_components":
		n := in.Components
		return func(v val) val {
			if v.null || v.s == "" {
				return null
			}
			return val{s: firstComponents(v.s, n)}
		}, nil
	}
	return nil, fmt.Errorf("unknown measure %q", in.Measure)
}

// dirname is the reference's directory of a path, with its trailing '/'.
func dirname(p string) string {
	i := strings.LastIndexByte(p, '/')
	switch i {
	case -1:
		return p
	case 0:
		return "/"
	}
	return p[:i+1]
}

// firstComponents returns the first n '/'-separated components of p, as
// the reference's _first_n_path_components (leading '/' kept): the text up
// to the n-th separator after the leading one.
func firstComponents(p string, n int) string {
	rest := 0
	if strings.HasPrefix(p, "/") {
		rest = 1
	}
	seen := 0
	for i := rest; i < len(p); i++ {
		if p[i] == '/' {
			seen++
			if seen == n {
				return p[:i]
			}
		}
	}
	return p
}

// derivedGetter reads one of the behaviour builder's values of the batch.
func derivedGetter(e *Encoder, name string) (func(i int) val, error) {
	s := func(f func(d *derived) string) func(int) val {
		return func(i int) val { return val{s: f(&e.rows[i])} }
	}
	switch name {
	case "proc_basename":
		return s(func(d *derived) string { return d.procBase }), nil
	case "parent_basename":
		return s(func(d *derived) string { return d.parentBase }), nil
	case "cwd_normalized":
		return s(func(d *derived) string { return d.cwdNorm }), nil
	case "root_basename":
		return s(func(d *derived) string { return d.rootBase }), nil
	case "root_exec_id":
		return s(func(d *derived) string { return d.rootID }), nil
	case "parent_child_pair":
		return s(func(d *derived) string { return d.pair }), nil
	case "path_category":
		return s(func(d *derived) string { return d.pathCat }), nil
	case "dst_ip_category":
		return s(func(d *derived) string { return d.ipCat }), nil
	case "dst_port_category":
		return s(func(d *derived) string { return d.portCat }), nil
	case "object_category":
		return s(func(d *derived) string { return d.object }), nil
	case "action_family":
		return s(func(d *derived) string { return d.action }), nil
	case "token":
		return s(func(d *derived) string { return d.token }), nil
	case "lineage_depth":
		return func(i int) val { return val{i: e.rows[i].depth} }, nil
	case "lineage_fallback_used":
		return func(i int) val { return val{b: e.rows[i].fallback} }, nil
	case "lineage_missing_parent":
		return func(i int) val { return val{b: e.rows[i].missing} }, nil
	case "lineage_cycle":
		return func(i int) val { return val{b: e.rows[i].cycle} }, nil
	case "delta_t_prev_ns":
		return func(i int) val {
			d := &e.rows[i]
			return val{i: d.dt, null: !d.dtValid}
		}, nil
	case "process_age_ns":
		return func(i int) val {
			d := &e.rows[i]
			return val{i: d.age, null: !d.ageValid}
		}, nil
	}
	return nil, fmt.Errorf("unknown derived value %q", name)
}

// floatMemo remembers a function of recent strings: a process's arguments
// repeat on every one of its events, and the gzip length is the costliest
// feature of a row.
type floatMemo struct {
	m map[string]float64
}

const floatMemoLimit = 1 << 14

func newFloatMemo() *floatMemo { return &floatMemo{m: map[string]float64{}} }

func (m *floatMemo) get(s string, f func(string) float64) float64 {
	if v, ok := m.m[s]; ok {
		return v
	}
	v := f(s)
	if len(m.m) >= floatMemoLimit {
		clear(m.m)
	}
	m.m[strings.Clone(s)] = v
	return v
}
