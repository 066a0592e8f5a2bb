package encode

import (
	"fmt"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tetrahids/tetrahids/internal/deflate"
	"github.com/tetrahids/tetrahids/internal/pathx"
	"github.com/tetrahids/tetrahids/internal/schemadoc"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// colPlan is one encoded column compiled from its recipe. Per batch it
// reads its input as a vec, applies the measure, and either codes it
// (every recipe but passthrough) or copies it. Code functions are pure
// functions of their input, so a run of rows with the same input (a
// process's consecutive events) is coded once.
type colPlan struct {
	col *schemadoc.Column
	out arrow.DataType
	// input returns the batch's input vector.
	input func() *vec
	// kind is the kind of the input after the measure.
	kind kind
	// shared is the raw column of a plain passthrough: its Arrow array is
	// shared with the output when the types are equal.
	shared *rawInput
	// measure transforms the input into mvec (nil: none).
	measure func(in, out *vec) *vec
	mvec    vec
	// code writes one code per row (nil for passthrough).
	code func(in *vec, codes []int64)
	// emitCodes and emitVec build the output array.
	emitCodes func(codes []int64) arrow.Array
	emitVec   func(v *vec) (arrow.Array, error)
}

// rawInput is a raw column that recipes read, materialized at most once
// per batch however many columns read it.
type rawInput struct {
	name string
	typ  arrow.DataType
	kind kind
	arr  arrow.Array
	col  tetraparse.RowsColumn // the source when the Encoder reads rows
	v    vec
	gen  uint64
	err  error
}

// rawKind is the vec kind a raw column type is read as.
func rawKind(t arrow.DataType) (kind, error) {
	switch t.ID() {
	case arrow.STRING:
		return kindStr, nil
	case arrow.BOOL:
		return kindBool, nil
	case arrow.TIMESTAMP, arrow.UINT32, arrow.INT32, arrow.INT64, arrow.LIST:
		return kindInt, nil
	case arrow.UINT64:
		return kindUint, nil
	}
	return 0, fmt.Errorf("raw type %s is not supported by recipes", t)
}

// raw returns the rawInput of a column, registering it on first use.
func (e *Encoder) raw(name string) (*rawInput, error) {
	if ri, ok := e.inputs[name]; ok {
		return ri, nil
	}
	f, ok := e.rawSchema.FieldsByName(name)
	if !ok {
		return nil, fmt.Errorf("raw column %q is not in the definitions", name)
	}
	k, err := rawKind(f[0].Type)
	if err != nil {
		return nil, fmt.Errorf("raw column %q: %w", name, err)
	}
	ri := &rawInput{name: name, typ: f[0].Type, kind: k}
	e.inputs[name] = ri
	e.inputOrder = append(e.inputOrder, ri)
	return ri, nil
}

// get returns the column's vec for the current batch.
func (e *Encoder) get(ri *rawInput) *vec {
	if ri.gen != e.gen {
		ri.gen = e.gen
		// bind and bindRows have checked the type, which load and
		// loadRows support.
		if e.fromRows {
			ri.v.loadRows(ri.col, e.n)
		} else {
			ri.err = ri.v.load(ri.arr)
		}
	}
	return &ri.v
}

// scratchVec returns a new vec of the Encoder's, which Release clears.
func (e *Encoder) scratchVec() *vec {
	v := &vec{}
	e.scratch = append(e.scratch, v)
	return v
}

// compile builds the plan of one encoded column.
func (e *Encoder) compile(c *schemadoc.Column, out arrow.DataType) (*colPlan, error) {
	p := &colPlan{col: c, out: out}
	dv := c.Derive
	in, inKind, err := e.compileInput(dv.Input)
	if err != nil {
		return nil, err
	}
	p.input, p.kind = in, inKind
	e.scratch = append(e.scratch, &p.mvec)
	if dv.Input.Measure != "" {
		if p.measure, p.kind, err = measureFn(e, dv.Input, inKind); err != nil {
			return nil, err
		}
	}
	if dv.Fn == "passthrough" {
		if dv.Input.Column != "" && p.measure == nil {
			p.shared = e.inputs[dv.Input.Column]
		}
		// Checked now so that Encode cannot fail on it after changing state.
		if (p.shared == nil || !arrow.TypeEqual(p.shared.typ, out)) && !writable(p.kind, out) {
			return nil, fmt.Errorf("passthrough of %s input to a %s column", p.kind, out)
		}
		p.emitVec, err = vecEmitter(e, out)
		return p, err
	}
	if p.emitCodes, err = codeEmitter(e, out); err != nil {
		return nil, err
	}
	want := func(kinds ...kind) error {
		for _, k := range kinds {
			if p.kind == k {
				return nil
			}
		}
		return fmt.Errorf("derive fn %q does not take %s input", dv.Fn, p.kind)
	}
	switch dv.Fn {
	case "lookup":
		if err := want(kindStr); err != nil {
			return nil, err
		}
		cat := c.Categorical
		codes := map[string]int64{}
		for _, code := range cat.Codes[:cat.LookupCount()] {
			codes[code.Label] = int64(code.Code)
		}
		null, oov := int64(*cat.NullCode), int64(*cat.OOVCode)
		p.code = func(in *vec, out []int64) {
			strCodes(in, out, func(s string) int64 {
				if code, ok := codes[s]; ok {
					return code
				}
				return oov
			}, null)
		}
	case "bucket":
		if err := want(kindInt, kindUint, kindFloat); err != nil {
			return nil, err
		}
		rules, deflt, null := dv.Rules, int64(*dv.DefaultCode), int64(*c.Categorical.NullCode)
		bucket := func(x float64) int64 {
			for i := range rules {
				if rules[i].Matches(x) {
					return int64(rules[i].Code)
				}
			}
			return deflt
		}
		p.code = func(in *vec, out []int64) {
			codeRuns(in, out, null, func(i int) int64 { return bucket(in.num(i)) })
		}
	case "hash":
		if err := want(kindStr); err != nil {
			return nil, err
		}
		capacity := uint64(c.Hash.Capacity)
		h := newHasher(e.opts.hashCache) // per column: columns may be coded concurrently
		p.code = func(in *vec, out []int64) {
			strCodes(in, out, func(s string) int64 {
				if s == "" {
					return 0
				}
				return int64(h.digest(s) % capacity)
			}, 0)
		}
	case "flag":
		if err := want(kindBool); err != nil {
			return nil, err
		}
		p.code = func(in *vec, out []int64) {
			for i, b := range in.b[:in.n] {
				out[i] = 0
				if b && !in.isNull(i) {
					out[i] = 1
				}
			}
		}
	case "value":
		if err := want(kindInt, kindUint); err != nil {
			return nil, err
		}
		nv := *dv.NullValue
		unsigned64 := out.ID() == arrow.UINT64
		p.code = func(in *vec, out []int64) {
			for i := range in.n {
				switch {
				case in.isNull(i):
					out[i] = nv
				case unsigned64 && in.kind == kindUint:
					out[i] = int64(in.u[i]) // the emitter restores the bits
				default:
					out[i] = in.i[i]
				}
			}
		}
	case "path_sensitivity":
		if err := want(kindStr); err != nil {
			return nil, err
		}
		codes := map[string]int64{}
		for _, code := range c.Categorical.Codes {
			codes[code.Label] = int64(code.Code)
		}
		t := &e.doc.Tables.PathSensitivity
		// One table per column, for its memo: columns may be coded
		// concurrently.
		sens := newPathTable(nil, t.Rules, t.Empty, t.Default)
		byIndex := make([]int64, len(sens.labels))
		for k, l := range sens.labels {
			code, ok := codes[l]
			if !ok {
				return nil, fmt.Errorf("path sensitivity label %q has no code", l)
			}
			byIndex[k] = code
		}
		null := byIndex[pathEmpty]
		p.code = func(in *vec, out []int64) {
			strCodes(in, out, func(s string) int64 { return byIndex[sens.index(s, false)] }, null)
		}
	default:
		return nil, fmt.Errorf("unknown derive fn %q", dv.Fn)
	}
	return p, nil
}

// writable reports whether vecEmitter writes values of kind k as type t.
func writable(k kind, t arrow.DataType) bool {
	switch t.ID() {
	case arrow.STRING:
		return k == kindStr
	case arrow.BOOL:
		return k == kindBool
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.INT32, arrow.INT64, arrow.TIMESTAMP:
		return k == kindInt || k == kindUint
	}
	return false
}

// codeRuns codes the rows of in: null rows get null, a row equal to the
// one before gets its code, others code(i).
func codeRuns(in *vec, out []int64, null int64, code func(i int) int64) {
	nulls, eq := in.null, in.equalRuns()
	for i := range out[:in.n] {
		switch {
		case nulls != nil && nulls[i]:
			out[i] = null
		case eq[i]:
			out[i] = out[i-1]
		default:
			out[i] = code(i)
		}
	}
}

// strCodes is codeRuns for a string vec, coding a row's value with f.
func strCodes(in *vec, out []int64, f func(string) int64, null int64) {
	codeRuns(in, out, null, func(i int) int64 { return f(in.s[i]) })
}

// compileInput returns the batch input of a recipe and its kind.
func (e *Encoder) compileInput(in schemadoc.Input) (func() *vec, kind, error) {
	raws := func(names ...string) ([]*rawInput, error) {
		out := make([]*rawInput, len(names))
		for i, n := range names {
			ri, err := e.raw(n)
			if err != nil {
				return nil, err
			}
			out[i] = ri
		}
		return out, nil
	}
	ints := func(names []string) ([]*rawInput, error) {
		r, err := raws(names...)
		if err != nil {
			return nil, err
		}
		for _, ri := range r {
			if ri.kind != kindInt && ri.kind != kindUint {
				return nil, fmt.Errorf("raw column %q is not an integer", ri.name)
			}
		}
		return r, nil
	}
	out := e.scratchVec()
	switch {
	case in.Column != "":
		r, err := raws(in.Column)
		if err != nil {
			return nil, 0, err
		}
		ri := r[0]
		return func() *vec { return e.get(ri) }, ri.kind, nil
	case in.Derived != "":
		v, k, err := e.d.byName(in.Derived)
		if err != nil {
			return nil, 0, err
		}
		return func() *vec { return v }, k, nil
	case len(in.Coalesce) > 0:
		r, err := raws(in.Coalesce...)
		if err != nil {
			return nil, 0, err
		}
		for _, ri := range r {
			if ri.kind != r[0].kind || ri.kind == kindUint {
				return nil, 0, fmt.Errorf("coalesce of %s and %s columns", r[0].kind, ri.kind)
			}
		}
		return func() *vec { return e.coalesce(r, out) }, r[0].kind, nil
	case len(in.Difference) == 2:
		r, err := ints(in.Difference)
		if err != nil {
			return nil, 0, err
		}
		return func() *vec {
			return combine(e.get(r[0]), e.get(r[1]), out, kindInt, func(i int, a, b *vec) { out.i[i] = a.i[i] - b.i[i] })
		}, kindInt, nil
	case len(in.Equal) == 2, len(in.NotEqual) == 2:
		names, want := in.Equal, true
		if len(in.NotEqual) == 2 {
			names, want = in.NotEqual, false
		}
		r, err := ints(names)
		if err != nil {
			return nil, 0, err
		}
		return func() *vec {
			return combine(e.get(r[0]), e.get(r[1]), out, kindBool, func(i int, a, b *vec) { out.b[i] = (a.i[i] == b.i[i]) == want })
		}, kindBool, nil
	case in.EqualValue != nil:
		want := in.EqualValue.Value
		r, err := raws(in.EqualValue.Column)
		if err != nil {
			return nil, 0, err
		}
		if r[0].kind == kindStr || r[0].kind == kindBool {
			return nil, 0, fmt.Errorf("raw column %q is not a number", r[0].name)
		}
		return func() *vec {
			v := e.get(r[0])
			out.reset(kindBool, v.n)
			for i := range v.n {
				out.b[i] = !v.isNull(i) && v.num(i) == want
			}
			return out
		}, kindBool, nil
	case in.Predicate != "":
		f, err := e.predicate(in.Predicate, out)
		return f, kindBool, err
	case in.Const != nil:
		c := *in.Const
		return func() *vec {
			out.reset(kindBool, e.n)
			for i := range out.b {
				out.b[i] = c
			}
			return out
		}, kindBool, nil
	}
	return nil, 0, fmt.Errorf("empty input recipe")
}

// coalesce writes the first non-null value of the columns into out.
func (e *Encoder) coalesce(r []*rawInput, out *vec) *vec {
	vs := make([]*vec, len(r))
	for i, ri := range r {
		vs[i] = e.get(ri)
	}
	out.reset(vs[0].kind, e.n)
rows:
	for i := range e.n {
		for _, v := range vs {
			if !v.isNull(i) {
				switch v.kind {
				case kindStr:
					out.s[i] = v.s[i]
				case kindInt:
					out.i[i] = v.i[i]
				case kindFloat:
					out.f[i] = v.f[i]
				case kindBool:
					out.b[i] = v.b[i]
				}
				continue rows
			}
		}
		out.nulls()[i] = true
		out.zero(i)
	}
	return out
}

// combine applies f to the rows where both a and b are non-null; the
// others are null.
func combine(a, b, out *vec, k kind, f func(i int, a, b *vec)) *vec {
	out.reset(k, a.n)
	for i := range a.n {
		if a.isNull(i) || b.isNull(i) {
			out.nulls()[i] = true
			out.zero(i)
			continue
		}
		f(i, a, b)
	}
	return out
}

func (e *Encoder) predicate(name string, out *vec) (func() *vec, error) {
	list := func(n string) (*rawInput, error) {
		ri, err := e.raw(n)
		if err == nil && ri.typ.ID() != arrow.LIST {
			err = fmt.Errorf("raw column %q is not a list", n)
		}
		return ri, err
	}
	lengthOr := func(v *vec, i int, d int64) int64 {
		if v.isNull(i) {
			return d
		}
		return v.i[i]
	}
	switch name {
	case "setuid_exec":
		// process_exec with effective capabilities whose parent had none.
		procCaps, err1 := list("proc_cap_effective")
		parentCaps, err2 := list("parent_cap_effective")
		et, err3 := e.raw("event_type")
		if err := firstErr(err1, err2, err3); err != nil {
			return nil, err
		}
		if et.kind != kindStr {
			return nil, fmt.Errorf("raw column event_type is not a string")
		}
		return func() *vec {
			pc, qc, t := e.get(procCaps), e.get(parentCaps), e.get(et)
			out.reset(kindBool, e.n)
			for i := range e.n {
				out.b[i] = lengthOr(pc, i, 0) > 0 && lengthOr(qc, i, 0) == 0 && !t.isNull(i) && t.s[i] == "process_exec"
			}
			return out
		}, nil
	case "cap_count_change":
		// kp_creds_caps present and of another length than proc_cap_effective.
		kp, err1 := list("kp_creds_caps")
		proc, err2 := list("proc_cap_effective")
		if err := firstErr(err1, err2); err != nil {
			return nil, err
		}
		return func() *vec {
			k, p := e.get(kp), e.get(proc)
			out.reset(kindBool, e.n)
			for i := range e.n {
				n := lengthOr(k, i, -1)
				out.b[i] = n >= 0 && n != lengthOr(p, i, -1)
			}
			return out
		}, nil
	}
	return nil, fmt.Errorf("unknown predicate %q", name)
}

func firstErr(errs ...error) error {
	for _, err := range errs {
		if err != nil {
			return err
		}
	}
	return nil
}

// measureFn returns the transformation of a measure and its output kind.
func measureFn(e *Encoder, in schemadoc.Input, k kind) (func(in, out *vec) *vec, kind, error) {
	str := func(f func(s string) (string, bool)) (func(in, out *vec) *vec, kind, error) {
		if k != kindStr {
			return nil, 0, fmt.Errorf("measure %q of %s input", in.Measure, k)
		}
		return func(in, out *vec) *vec {
			out.reset(kindStr, in.n)
			eq := in.equalRuns()
			for i := range in.n {
				if eq[i] {
					out.s[i] = out.s[i-1]
					if out.null != nil {
						out.null[i] = out.null[i-1]
					}
					continue
				}
				v, ok := "", false
				if !in.isNull(i) {
					v, ok = f(in.s[i])
				}
				if !ok {
					out.nulls()[i] = true
				}
				out.s[i] = v
			}
			out.shareRuns(in)
			return out
		}, kindStr, nil
	}
	float := func(memo *floatMemo, f func(string) float64) (func(in, out *vec) *vec, kind, error) {
		if k != kindStr {
			return nil, 0, fmt.Errorf("measure %q of %s input", in.Measure, k)
		}
		return func(in, out *vec) *vec {
			out.reset(kindFloat, in.n)
			eq := in.equalRuns()
			for i := range in.n {
				switch {
				case in.isNull(i) || in.s[i] == "":
					out.nulls()[i] = true
					out.f[i] = 0
				case eq[i]:
					out.f[i] = out.f[i-1]
				default:
					out.f[i] = memo.get(in.s[i], f)
				}
			}
			out.shareRuns(in)
			return out
		}, kindFloat, nil
	}
	switch in.Measure {
	case "byte_length":
		if k != kindStr {
			return nil, 0, fmt.Errorf("measure %q of %s input", in.Measure, k)
		}
		return func(in, out *vec) *vec {
			out.reset(kindInt, in.n)
			for i := range in.n {
				out.i[i] = int64(len(in.s[i]))
				if in.isNull(i) {
					out.nulls()[i] = true
				}
			}
			out.shareRuns(in)
			return out
		}, kindInt, nil
	case "list_length":
		if k != kindInt {
			return nil, 0, fmt.Errorf("measure %q of %s input", in.Measure, k)
		}
		// Lists are read as their lengths already.
		return func(in, _ *vec) *vec { return in }, kindInt, nil
	case "shannon_entropy":
		return float(newFloatMemo(), new(entropyScratch).entropy)
	case "gzip_ratio":
		sizer := new(deflate.Sizer)
		return float(newFloatMemo(), func(s string) float64 {
			b := unsafeBytes(s)
			return float64(sizer.GzipLen(b)) / float64(len(b))
		})
	case "basename":
		return str(func(s string) (string, bool) { return pathx.Base(s), true })
	case "dirname":
		return str(func(s string) (string, bool) { return dirname(s), s != "" })
	case "path_components":
		n := in.Components
		return str(func(s string) (string, bool) { return firstComponents(s, n), s != "" })
	}
	return nil, 0, fmt.Errorf("unknown measure %q", in.Measure)
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
