package anonymize

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Names of the columns the token and the pair are regenerated from. They
// are the encoded schema's names (1.0 and 1.1 alike).
const (
	colProcBase   = "proc_binary_basename"
	colParentBase = "parent_binary_basename"
	colPathCat    = "path_category"
	colIPCat      = "dst_ip_category"
	colPortCat    = "dst_port_category"
	colAction     = "f_action_family"
)

// stringArray is what the package reads from a flat string column;
// *array.String, *array.LargeString and *array.StringView provide it.
type stringArray interface {
	arrow.Array
	Value(i int) string
}

// isFlatString reports whether a column of type dt can be transformed.
func isFlatString(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.STRING, arrow.LARGE_STRING, arrow.STRING_VIEW:
		return true
	}
	return false
}

// isCheckableString reports whether the Verifier can read a column of type
// dt: a flat string column, or a dictionary of one (as Parquet readers
// return dictionary-encoded columns when asked to).
func isCheckableString(dt arrow.DataType) bool {
	if d, ok := dt.(*arrow.DictionaryType); ok {
		return isFlatString(d.ValueType)
	}
	return isFlatString(dt)
}

// checkableStrings returns a column isCheckableString accepts as the
// strings of its rows, or a *ColumnError for a dictionary column with an
// index outside its dictionary (which would name no value at all).
func checkableStrings(name string, a arrow.Array) (stringArray, error) {
	d, ok := a.(*array.Dictionary)
	if !ok {
		return a.(stringArray), nil
	}
	values := d.Dictionary().(stringArray)
	bad := func(i, k int) error {
		return &ColumnError{Column: name, Type: a.DataType().String(),
			Err: fmt.Errorf("%w: row %d has dictionary index %d, outside a dictionary of %d", ErrColumnType, i, k, values.Len())}
	}
	if ix, ok := d.Indices().(*array.Int32); ok && ix.NullN() == 0 {
		// What a Parquet reader returns: a loop without per-row dispatch.
		for i, k := range ix.Int32Values() {
			if uint32(k) >= uint32(values.Len()) {
				return nil, bad(i, int(k))
			}
		}
		return dictStrings{d, values}, nil
	}
	for i := range d.Len() {
		if d.IsNull(i) {
			continue
		}
		if k := d.GetValueIndex(i); k < 0 || k >= values.Len() {
			return nil, bad(i, k)
		}
	}
	return dictStrings{d, values}, nil
}

// dictStrings reads a dictionary-encoded string column row by row: a row
// is null when its index is null or names a null dictionary entry. Only
// Len, IsNull, NullN and Value have that meaning: the embedded
// Dictionary's other methods (IsValid, NullBitmapBytes, Data) see the
// indices alone, so checks must not call them on a dictStrings.
type dictStrings struct {
	*array.Dictionary
	values stringArray
}

// IsNull reports whether row i is null.
func (d dictStrings) IsNull(i int) bool {
	return d.Dictionary.IsNull(i) || d.values.IsNull(d.GetValueIndex(i))
}

// NullN counts the null rows.
func (d dictStrings) NullN() int {
	if d.values.NullN() == 0 {
		return d.Dictionary.NullN()
	}
	n := 0
	for i := range d.Len() {
		if d.IsNull(i) {
			n++
		}
	}
	return n
}

// Value returns row i's string ("" for a null row).
func (d dictStrings) Value(i int) string {
	if d.IsNull(i) {
		return ""
	}
	return d.values.Value(d.GetValueIndex(i))
}

// firstRow returns the first row whose index is entry, or -1.
func (d dictStrings) firstRow(entry int) int {
	for i := range d.Len() {
		if !d.Dictionary.IsNull(i) && d.GetValueIndex(i) == entry {
			return i
		}
	}
	return -1
}

// everyEntry presents a dictionary's entries as a column without nulls,
// so that a check reads the bytes of every entry, null ones included: a
// writer may publish the whole dictionary, used or not.
type everyEntry struct{ stringArray }

func (everyEntry) NullN() int      { return 0 }
func (everyEntry) IsNull(int) bool { return false }

// stringBearing reports whether values of type dt can carry text: strings
// and binaries, and any nested, dictionary, extension or run-end-encoded
// type holding them. Such a column must be classified by the policy.
func stringBearing(dt arrow.DataType) bool {
	switch t := dt.(type) {
	case *arrow.StringType, *arrow.LargeStringType, *arrow.StringViewType,
		*arrow.BinaryType, *arrow.LargeBinaryType, *arrow.BinaryViewType, *arrow.FixedSizeBinaryType:
		return true
	case *arrow.DictionaryType:
		return stringBearing(t.ValueType)
	case arrow.ExtensionType:
		return stringBearing(t.StorageType())
	case arrow.NestedType:
		for _, f := range t.Fields() {
			if stringBearing(f.Type) {
				return true
			}
		}
	}
	return false
}

// intValue reads row i of an integer column (the action family).
func intValue(a arrow.Array, i int) (int, bool) {
	switch c := a.(type) {
	case *array.Uint8:
		return int(c.Value(i)), true
	case *array.Uint16:
		return int(c.Value(i)), true
	case *array.Uint32:
		return int(c.Value(i)), true
	case *array.Int8:
		return int(c.Value(i)), true
	case *array.Int16:
		return int(c.Value(i)), true
	case *array.Int32:
		return int(c.Value(i)), true
	case *array.Int64:
		return int(c.Value(i)), true
	case *array.Uint64:
		return int(c.Value(i)), true
	}
	return 0, false
}

func isInteger(dt arrow.DataType) bool {
	switch dt.ID() {
	case arrow.UINT8, arrow.UINT16, arrow.UINT32, arrow.UINT64, arrow.INT8, arrow.INT16, arrow.INT32, arrow.INT64:
		return true
	}
	return false
}

// strBuilder builds a column of the input's string type.
type strBuilder struct {
	b    array.Builder
	bin  *array.BinaryBuilder     // utf8 and large_utf8
	view *array.BinaryViewBuilder // string_view
}

func newStrBuilder(mem memory.Allocator, dt arrow.DataType, n, dataHint int) *strBuilder {
	s := &strBuilder{b: array.NewBuilder(mem, dt)}
	switch b := s.b.(type) {
	case *array.StringBuilder:
		s.bin = b.BinaryBuilder
		b.ReserveData(dataHint)
	case *array.LargeStringBuilder:
		s.bin = b.BinaryBuilder
		b.ReserveData(dataHint)
	case *array.StringViewBuilder:
		s.view = b.BinaryViewBuilder
	}
	s.b.Reserve(n)
	return s
}

func (s *strBuilder) appendString(v string) {
	if s.bin != nil {
		s.bin.AppendString(v)
		return
	}
	s.view.AppendString(v)
}

func (s *strBuilder) appendNull() { s.b.AppendNull() }

// finish returns the array and releases the builder.
func (s *strBuilder) finish() arrow.Array {
	a := s.b.NewArray()
	s.b.Release()
	return a
}

// gather returns the values of a string column as a slice (null is ""),
// reusing dst.
func gather(a stringArray, dst []string) []string {
	n := a.Len()
	if cap(dst) < n {
		dst = make([]string, n)
	}
	dst = dst[:n]
	// The concrete type lets the compiler inline Value: this loop runs
	// over every string column of every batch, several times.
	switch c := a.(type) {
	case *array.String:
		for i := range n {
			dst[i] = c.Value(i)
		}
	case dictStrings:
		if v, ok := c.values.(*array.String); ok {
			if ix, ok := c.Indices().(*array.Int32); ok && c.Dictionary.NullN() == 0 && v.NullN() == 0 {
				for i, k := range ix.Int32Values() {
					dst[i] = v.Value(int(k))
				}
				break
			}
		}
		for i := range n {
			dst[i] = c.Value(i)
		}
	default:
		for i := range n {
			dst[i] = a.Value(i)
		}
	}
	if a.NullN() > 0 {
		for i := range n {
			if a.IsNull(i) {
				dst[i] = ""
			}
		}
	}
	return dst
}

// labelsOf returns the label of every row's code of an integer column
// ("" for null or out-of-vocabulary codes), reusing dst.
func labelsOf(a arrow.Array, labels []string, dst []string) []string {
	n := a.Len()
	if cap(dst) < n {
		dst = make([]string, n)
	}
	dst = dst[:n]
	for i := range n {
		code, ok := intValue(a, i)
		if !ok || a.IsNull(i) || code < 0 || code >= len(labels) {
			dst[i] = ""
			continue
		}
		dst[i] = labels[code]
	}
	return dst
}

// buildUTF8 builds a utf8 column of n rows from its concatenated values
// and their n+1 offsets, with the validity of like (whose nulls the new
// column shares). Writing the buffers directly instead of appending row by
// row through a builder is what keeps Apply above a million rows a second.
func buildUTF8(mem memory.Allocator, dt arrow.DataType, like arrow.Array, offsets []int32, data []byte) arrow.Array {
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(len(data))
	copy(dataBuf.Bytes(), data)
	return finishUTF8(mem, dt, like, offsets, dataBuf)
}

// buildUTF8Strings builds a utf8 column from one string per row (nulls
// taken from like, their strings ignored); the caller checks fitsUTF8.
func buildUTF8Strings(mem memory.Allocator, dt arrow.DataType, like arrow.Array, outs []string, offsets []int32) ([]int32, arrow.Array) {
	total := 0
	for _, s := range outs {
		total += len(s)
	}
	dataBuf := memory.NewResizableBuffer(mem)
	dataBuf.Resize(total)
	data := dataBuf.Bytes()
	offsets = offsets[:0]
	pos := 0
	nulls := like.NullN() > 0
	for i, s := range outs {
		offsets = append(offsets, int32(pos))
		if nulls && like.IsNull(i) {
			continue
		}
		pos += copy(data[pos:], s)
	}
	offsets = append(offsets, int32(pos))
	return offsets, finishUTF8(mem, dt, like, offsets, dataBuf)
}

func finishUTF8(mem memory.Allocator, dt arrow.DataType, like arrow.Array, offsets []int32, dataBuf *memory.Buffer) arrow.Array {
	n := len(offsets) - 1
	offBuf := memory.NewResizableBuffer(mem)
	offBuf.Resize((n + 1) * arrow.Int32SizeBytes)
	copy(arrow.Int32Traits.CastFromBytes(offBuf.Bytes()), offsets)
	nulls := like.NullN()
	var valid *memory.Buffer
	if nulls > 0 {
		valid = memory.NewResizableBuffer(mem)
		valid.Resize(int(bitutil.BytesForBits(int64(n))))
		bits := valid.Bytes()
		clear(bits)
		for i := range n {
			if like.IsValid(i) {
				bitutil.SetBit(bits, i)
			}
		}
	}
	d := array.NewData(dt, n, []*memory.Buffer{valid, offBuf, dataBuf}, nil, nulls, 0)
	out := array.MakeFromData(d)
	d.Release()
	offBuf.Release()
	dataBuf.Release()
	if valid != nil {
		valid.Release()
	}
	return out
}

// fitsUTF8 reports whether data of this size fits int32 offsets.
func fitsUTF8(size int) bool { return size <= math.MaxInt32 }
