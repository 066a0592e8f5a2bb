package encode

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
)

// kind is the element type of a vec.
type kind uint8

const (
	kindStr   kind = iota
	kindInt        // integers, timestamps and list lengths that fit an int64
	kindUint       // uint64 values; i holds them clamped to math.MaxInt64
	kindFloat      // measures (entropy, compression ratio)
	kindBool
)

func (k kind) String() string {
	return [...]string{"string", "integer", "unsigned integer", "float", "boolean"}[k]
}

// vec is one recipe input for a whole batch. Inputs are materialized column
// by column, so that coding a column is a tight loop over a slice instead of
// a call per row, and an input that several columns read (proc_binary,
// proc_arguments, kp_sock_dport, …) is read from Arrow once per batch.
type vec struct {
	kind kind
	n    int
	null []bool // nil when no row is null
	s    []string
	i    []int64
	u    []uint64
	f    []float64
	b    []bool

	nullBuf []bool
	// eq[i] reports that row i equals row i-1, null or not: the test that
	// lets a column reuse the previous row's code. Computed once per batch
	// on first use and shared by every column reading the vec, and passed
	// on by measures (a pure function of equal rows is equal).
	eq     []bool
	eqBuf  []bool
	eqDone bool
}

// reset sizes v for n rows of kind k with no nulls; the previous contents
// are garbage.
func (v *vec) reset(k kind, n int) {
	v.kind, v.n, v.null = k, n, nil
	v.eq, v.eqDone = nil, false
	switch k {
	case kindStr:
		v.s = grown(v.s, n)
	case kindInt:
		v.i = grown(v.i, n)
	case kindUint:
		v.u = grown(v.u, n)
		v.i = grown(v.i, n)
	case kindFloat:
		v.f = grown(v.f, n)
	case kindBool:
		v.b = grown(v.b, n)
	}
}

// nulls returns v's null flags, all false, creating them on first use.
func (v *vec) nulls() []bool {
	if v.null == nil {
		v.nullBuf = grown(v.nullBuf, v.n)
		clear(v.nullBuf)
		v.null = v.nullBuf
	}
	return v.null
}

func (v *vec) isNull(i int) bool { return v.null != nil && v.null[i] }

// num is row i as the float the rules compare.
func (v *vec) num(i int) float64 {
	switch v.kind {
	case kindFloat:
		return v.f[i]
	case kindUint:
		return float64(v.u[i])
	}
	return float64(v.i[i])
}

// equalRuns returns v's eq flags, computing them on first use.
func (v *vec) equalRuns() []bool {
	if v.eqDone {
		return v.eq
	}
	v.eqBuf = grown(v.eqBuf, v.n)
	eq := v.eqBuf
	// One loop per kind, not same's switch per row: every input of every
	// batch goes through here.
	switch v.kind {
	case kindStr:
		adjacentEqual(eq, v.s)
	case kindInt:
		adjacentEqual(eq, v.i)
	case kindUint:
		adjacentEqual(eq, v.u)
	case kindFloat:
		adjacentEqual(eq, v.f)
	default:
		adjacentEqual(eq, v.b)
	}
	if v.null != nil {
		// Null slots hold zero values, equal to a zero non-null value.
		for i := 1; i < len(eq); i++ {
			eq[i] = eq[i] && v.null[i] == v.null[i-1]
		}
	}
	v.eq, v.eqDone = eq, true
	return eq
}

// adjacentEqual sets eq[i] to whether xs[i] equals xs[i-1] (eq[0] false).
func adjacentEqual[T comparable](eq []bool, xs []T) {
	if len(eq) == 0 {
		return
	}
	xs = xs[:len(eq)]
	eq[0] = false
	for i := 1; i < len(xs); i++ {
		eq[i] = xs[i] == xs[i-1]
	}
}

// shareRuns gives out, a pure function of in row by row, in's eq flags.
func (out *vec) shareRuns(in *vec) {
	out.eq, out.eqDone = in.equalRuns(), true
}

// grown returns s with length n, reusing its array when large enough.
func grown[T any](s []T, n int) []T {
	if cap(s) < n {
		return make([]T, n, n+n/4)
	}
	return s[:n]
}

// load materializes a raw Arrow column into v.
func (v *vec) load(a arrow.Array) error {
	n := a.Len()
	switch x := a.(type) {
	case *array.String:
		v.reset(kindStr, n)
		if n > 0 {
			// ValueOffsets and ValueBytes are already offset by the
			// array's slice offset; strings view the Arrow bytes.
			offs, data := x.ValueOffsets(), x.ValueBytes()
			base := offs[0]
			for i := range v.s[:n] {
				v.s[i] = unsafeString(data[offs[i]-base : offs[i+1]-base])
			}
		}
	case *array.Boolean:
		v.reset(kindBool, n)
		for i := range n {
			v.b[i] = x.Value(i)
		}
	case *array.Timestamp:
		loadInts(v, x.TimestampValues())
	case *array.Uint32:
		loadInts(v, x.Uint32Values())
	case *array.Int32:
		loadInts(v, x.Int32Values())
	case *array.Int64:
		loadInts(v, x.Int64Values())
	case *array.Uint64:
		v.reset(kindUint, n)
		copy(v.u, x.Uint64Values())
		for i, u := range v.u {
			v.i[i] = int64(min(u, math.MaxInt64))
		}
	case *array.List:
		// A list is read as its length, all that recipes use of one.
		v.reset(kindInt, n)
		for i := range n {
			s, e := x.ValueOffsets(i)
			v.i[i] = e - s
		}
	default:
		return fmt.Errorf("%w: unsupported type %s", ErrColumn, a.DataType())
	}
	if a.NullN() > 0 {
		null := v.nulls()
		bits, off := a.NullBitmapBytes(), a.Data().Offset()
		for i := range null {
			null[i] = !bitutil.BitIsSet(bits, off+i)
		}
		// A null slot's value is unspecified in Arrow; zero it so that
		// equal runs and combinations never read garbage.
		for i := range n {
			if null[i] {
				v.zero(i)
			}
		}
	}
	return nil
}

func (v *vec) zero(i int) {
	switch v.kind {
	case kindStr:
		v.s[i] = ""
	case kindInt:
		v.i[i] = 0
	case kindUint:
		v.u[i], v.i[i] = 0, 0
	case kindFloat:
		v.f[i] = 0
	case kindBool:
		v.b[i] = false
	}
}

func loadInts[T int32 | uint32 | int64 | arrow.Timestamp](v *vec, xs []T) {
	v.reset(kindInt, len(xs))
	for i, x := range xs {
		v.i[i] = int64(x)
	}
}

// unsafeString views b as a string; b must not change while it is used.
func unsafeString(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}
