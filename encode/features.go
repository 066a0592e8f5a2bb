package encode

import (
	"strconv"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tetrahids/tetrahids/internal/jsonstr"
	"github.com/tetrahids/tetrahids/internal/schemadoc"
)

// Features is one encoded event: the values of the encoded table's
// columns for one row, typed for model code. The Encoder fills it
// (EncodeRows, Live); a zero Features is ready to be filled.
//
//   - Codes are the integer codes of the model's embedding inputs, in
//     schema order: every model-input column (the f_* columns) but the
//     flags and plain values, which are Floats. That is the reference
//     model's split: 33 embedding and 9 float inputs in schema 1.1. A code
//     is an index into its column's embedding table: below its vocabulary
//     size or hash capacity.
//   - Floats are the flags (0 or 1) and the plain values (fd numbers, mmap
//     and mprotect protection bits), unscaled, in schema order.
//   - Strings are the side string columns (basenames, categories, token,
//     parent→child pair, …), in schema order.
//   - Value reads any column by name, identifiers included, and AppendJSON
//     writes the whole row as a JSON object.
//
// The Encoder's CodeColumns, FloatColumns and StringColumns name the
// elements. Slices and strings belong to the Features and are valid until
// it is filled again; copy what must outlive that.
type Features struct {
	lay  *layout
	num  []int64  // by column: integers in the column's type, timestamps in ns, bools as 0/1
	str  []string // by column: strings, viewing buf
	null []bool   // by column
	buf  []byte

	codes  []int64
	floats []float64
	strs   []string
	line   int64
	held   bool
	wait   time.Duration
}

// layout describes the encoded columns once per Encoder; every Features
// it fills shares it.
type layout struct {
	names  []string
	index  map[string]int
	types  []arrow.Type
	codes  []int // columns in Codes, Floats and Strings, in order
	floats []int
	strs   []int
}

func newLayout(doc *schemadoc.Document, sc *arrow.Schema) *layout {
	l := &layout{index: map[string]int{}}
	for k, c := range doc.Encoded.Columns {
		l.names = append(l.names, c.Name)
		l.index[c.Name] = k
		t := sc.Field(k).Type.ID()
		l.types = append(l.types, t)
		switch {
		case c.Tier == "side":
			if t == arrow.STRING {
				l.strs = append(l.strs, k)
			}
		case c.Tier == "identifier":
		case c.Derive.Fn == "flag" || c.Derive.Fn == "value":
			l.floats = append(l.floats, k)
		default:
			l.codes = append(l.codes, k)
		}
	}
	return l
}

func (l *layout) columns(idx []int) []string {
	out := make([]string, len(idx))
	for i, k := range idx {
		out[i] = l.names[k]
	}
	return out
}

// reset sizes f for the layout l, keeping its memory.
func (f *Features) reset(l *layout, line int64) {
	n := len(l.names)
	f.lay, f.line, f.held, f.wait = l, line, false, 0
	f.num, f.str, f.null = grown(f.num, n), grown(f.str, n), grown(f.null, n)
	clear(f.null)
	clear(f.str)
	f.buf = f.buf[:0]
}

// finish copies the strings into f's buffer and fills the model views.
func (f *Features) finish() {
	l := f.lay
	total := 0
	for _, s := range f.str {
		total += len(s)
	}
	if cap(f.buf) < total {
		f.buf = make([]byte, 0, total+total/4)
	}
	for k, s := range f.str {
		if s == "" {
			continue
		}
		off := len(f.buf)
		f.buf = append(f.buf, s...)
		f.str[k] = unsafeString(f.buf[off:])
	}
	f.codes = grown(f.codes, len(l.codes))
	for j, k := range l.codes {
		f.codes[j] = f.num[k]
	}
	f.floats = grown(f.floats, len(l.floats))
	for j, k := range l.floats {
		if l.types[k] == arrow.UINT64 {
			f.floats[j] = float64(uint64(f.num[k]))
		} else {
			f.floats[j] = float64(f.num[k])
		}
	}
	f.strs = grown(f.strs, len(l.strs))
	for j, k := range l.strs {
		f.strs[j] = f.str[k]
	}
}

// Clone returns a copy of f with memory of its own, which later fills of
// f leave unchanged.
func (f *Features) Clone() *Features {
	c := &Features{}
	if f.lay == nil {
		return c
	}
	c.reset(f.lay, f.line)
	c.held, c.wait = f.held, f.wait
	copy(c.num, f.num)
	copy(c.null, f.null)
	copy(c.str, f.str)
	c.finish()
	return c
}

// Codes returns the embedding inputs' codes (see Encoder.CodeColumns).
func (f *Features) Codes() []int64 { return f.codes }

// Floats returns the float inputs (see Encoder.FloatColumns).
func (f *Features) Floats() []float64 { return f.floats }

// Strings returns the side strings (see Encoder.StringColumns).
func (f *Features) Strings() []string { return f.strs }

// Line returns the number of the input line the event came from, as Live
// counts lines (from 1); 0 when EncodeRows filled f.
func (f *Features) Line() int64 { return f.line }

// Held reports whether Live held the event back (WithHoldBack) and for
// how long, by its clock.
func (f *Features) Held() (time.Duration, bool) { return f.wait, f.held }

// Value is one cell of an encoded row. Null is set for a null cell (only
// nullable columns: event_time, proc_pid, delta_t_prev_ns,
// process_age_ns). Otherwise the field of the column's type holds it:
// Str for utf8, Bool for bool, and for integers and timestamps (ns since
// the epoch) both Int and Uint, the value read as signed and as unsigned
// (equal when it is not negative and fits both).
type Value struct {
	Null bool
	Int  int64
	Uint uint64
	Bool bool
	Str  string
}

// Value returns the cell of the named encoded column; ok is false when no
// column has that name.
func (f *Features) Value(name string) (v Value, ok bool) {
	k, ok := f.lay.index[name]
	if !ok {
		return Value{}, false
	}
	return f.value(k), true
}

func (f *Features) value(k int) Value {
	if f.null[k] {
		return Value{Null: true}
	}
	switch f.lay.types[k] {
	case arrow.STRING:
		return Value{Str: f.str[k]}
	case arrow.BOOL:
		return Value{Bool: f.num[k] != 0, Int: f.num[k], Uint: uint64(f.num[k])}
	}
	return Value{Int: f.num[k], Uint: uint64(f.num[k])}
}

// AppendJSON appends the row as a JSON object to dst: every encoded
// column in schema order, integers as numbers (timestamps as nanoseconds
// since the epoch), booleans, strings, and null for null cells; the form
// of the reference's golden rows. Invalid UTF-8 in a string is written as
// U+FFFD.
func (f *Features) AppendJSON(dst []byte) []byte {
	l := f.lay
	dst = append(dst, '{')
	for k, name := range l.names {
		if k > 0 {
			dst = append(dst, ',')
		}
		dst = jsonstr.Append(dst, name)
		dst = append(dst, ':')
		switch {
		case f.null[k]:
			dst = append(dst, "null"...)
		case l.types[k] == arrow.STRING:
			dst = jsonstr.Append(dst, f.str[k])
		case l.types[k] == arrow.BOOL:
			dst = strconv.AppendBool(dst, f.num[k] != 0)
		case l.types[k] == arrow.UINT64:
			dst = strconv.AppendUint(dst, uint64(f.num[k]), 10)
		default:
			dst = strconv.AppendInt(dst, f.num[k], 10)
		}
	}
	return append(dst, '}')
}

// MarshalJSON returns AppendJSON's object.
func (f *Features) MarshalJSON() ([]byte, error) { return f.AppendJSON(nil), nil }

// narrow converts x to the output integer type t as the Arrow emitters do
// (a Go conversion), so that Features and Encode agree on every value.
func narrow(t arrow.Type, x int64) int64 {
	switch t {
	case arrow.UINT8:
		return int64(uint8(x))
	case arrow.UINT16:
		return int64(uint16(x))
	case arrow.UINT32:
		return int64(uint32(x))
	case arrow.INT32:
		return int64(int32(x))
	}
	return x
}
