package tetraparse

import (
	"fmt"
	"slices"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// colBuf accumulates one raw column of the current batch in Go slices;
// flush hands them to the batch's Arrow buffers (see takeBuffer).
// Appending is a slice append and a validity bit, without the per-value
// capacity checks of Arrow's builders, which were half of the parser's
// time.
type colBuf struct {
	typ   arrow.DataType
	id    arrow.Type
	n     int
	nulls int
	valid []byte // validity bitmap, one byte per 8 rows
	// Exactly one of these holds the values, by id.
	str  []byte   // STRING: the concatenated bytes
	offs []int32  // STRING and LIST: n+1 offsets
	bits []byte   // BOOL: value bitmap
	u32  []uint32 // UINT32
	u64  []uint64 // UINT64
	i32  []int32  // INT32
	i64  []int64  // INT64 and TIMESTAMP
	elem *colBuf  // LIST: the utf8 values
}

// maxColumnBytes (a variable for tests) bounds the string bytes of one column of one batch below
// the 2 GiB that Arrow's int32 offsets address; the stream flushes a batch
// early when a column reaches it.
var maxColumnBytes = 1 << 30

func newColBuf(t arrow.DataType) (*colBuf, error) {
	c := &colBuf{typ: t, id: t.ID()}
	switch c.id {
	case arrow.STRING:
		c.offs = []int32{0}
	case arrow.LIST:
		lt := t.(*arrow.ListType)
		if lt.Elem().ID() != arrow.STRING {
			return nil, fmt.Errorf("list of %s", lt.Elem())
		}
		c.offs = []int32{0}
		c.elem = &colBuf{typ: lt.Elem(), id: arrow.STRING, offs: []int32{0}}
	case arrow.BOOL, arrow.UINT32, arrow.UINT64, arrow.INT32, arrow.INT64, arrow.TIMESTAMP:
	default:
		return nil, fmt.Errorf("type %s", t)
	}
	return c, nil
}

// next adds a row's validity bit.
func (c *colBuf) next(valid bool) {
	if c.n&7 == 0 {
		c.valid = append(c.valid, 0)
	}
	if valid {
		c.valid[c.n>>3] |= 1 << (c.n & 7)
	} else {
		c.nulls++
	}
	c.n++
}

func (c *colBuf) appendNull() {
	switch c.id {
	case arrow.STRING:
		c.offs = append(c.offs, int32(len(c.str)))
	case arrow.LIST:
		c.offs = append(c.offs, int32(c.elem.n))
	case arrow.BOOL:
		c.appendBit(false)
	case arrow.UINT32:
		c.u32 = append(c.u32, 0)
	case arrow.UINT64:
		c.u64 = append(c.u64, 0)
	case arrow.INT32:
		c.i32 = append(c.i32, 0)
	case arrow.INT64, arrow.TIMESTAMP:
		c.i64 = append(c.i64, 0)
	}
	c.next(false)
}

func (c *colBuf) appendString(s string) {
	c.str = append(c.str, s...)
	c.offs = append(c.offs, int32(len(c.str)))
	c.next(true)
}

func (c *colBuf) appendBytes(s []byte) {
	c.str = append(c.str, s...)
	c.offs = append(c.offs, int32(len(c.str)))
	c.next(true)
}

func (c *colBuf) appendBit(v bool) {
	if c.n&7 == 0 {
		c.bits = append(c.bits, 0)
	}
	if v {
		c.bits[c.n>>3] |= 1 << (c.n & 7)
	}
}

func (c *colBuf) appendBool(v bool) {
	c.appendBit(v)
	c.next(true)
}

func (c *colBuf) appendU32(v uint32) {
	c.u32 = append(c.u32, v)
	c.next(true)
}

func (c *colBuf) appendU64(v uint64) {
	c.u64 = append(c.u64, v)
	c.next(true)
}

func (c *colBuf) appendI32(v int32) {
	c.i32 = append(c.i32, v)
	c.next(true)
}

func (c *colBuf) appendI64(v int64) {
	c.i64 = append(c.i64, v)
	c.next(true)
}

func (c *colBuf) appendList(v []string) {
	for _, s := range v {
		c.elem.appendString(s)
	}
	c.offs = append(c.offs, int32(c.elem.n))
	c.next(true)
}

// bytes is the string bytes the column holds, for the early-flush check.
func (c *colBuf) bytes() int {
	if c.elem != nil {
		return len(c.elem.str)
	}
	return len(c.str)
}

// flush returns the rows appended since the last flush as an Arrow array
// and empties the buffer.
func (c *colBuf) flush(mem memory.Allocator) arrow.Array {
	d := c.data(mem)
	defer d.Release()
	return array.MakeFromData(d)
}

func (c *colBuf) data(mem memory.Allocator) *array.Data {
	var validity *memory.Buffer
	if c.nulls > 0 {
		c.valid = c.valid[:bitutil.BytesForBits(int64(c.n))]
		validity = takeBuffer(mem, &c.valid)
	}
	var bufs []*memory.Buffer
	var children []arrow.ArrayData
	switch c.id {
	case arrow.STRING:
		bufs = []*memory.Buffer{validity, takeBuffer(mem, &c.offs), takeBuffer(mem, &c.str)}
	case arrow.LIST:
		child := c.elem.data(mem)
		defer child.Release()
		children = []arrow.ArrayData{child}
		bufs = []*memory.Buffer{validity, takeBuffer(mem, &c.offs)}
	case arrow.BOOL:
		bufs = []*memory.Buffer{validity, takeBuffer(mem, &c.bits)}
	case arrow.UINT32:
		bufs = []*memory.Buffer{validity, takeBuffer(mem, &c.u32)}
	case arrow.UINT64:
		bufs = []*memory.Buffer{validity, takeBuffer(mem, &c.u64)}
	case arrow.INT32:
		bufs = []*memory.Buffer{validity, takeBuffer(mem, &c.i32)}
	case arrow.INT64, arrow.TIMESTAMP:
		bufs = []*memory.Buffer{validity, takeBuffer(mem, &c.i64)}
	}
	d := array.NewData(c.typ, c.n, bufs, children, c.nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	c.reset()
	return d
}

func (c *colBuf) reset() {
	c.n, c.nulls = 0, 0
	c.valid, c.str, c.bits = c.valid[:0], c.str[:0], c.bits[:0]
	c.u32, c.u64, c.i32, c.i64 = c.u32[:0], c.u64[:0], c.i32[:0], c.i64[:0]
	if c.offs != nil {
		c.offs = append(c.offs[:0], 0)
	}
}

// takeBuffer returns the values of *s as a buffer of the batch. With the
// Go allocator the buffer takes *s's memory itself, and *s restarts, empty,
// in new memory with room for as many values: the garbage collector frees
// a batch's buffers, and a copy would only cost time (unless more than an
// eighth of the memory is spare capacity, which a kept batch would hold:
// then the batch gets a copy and *s keeps its memory). With any other
// allocator (one that accounts for its memory) the values are copied into
// a buffer from mem, and *s keeps its memory.
func takeBuffer[T byte | uint32 | uint64 | int32 | int64](mem memory.Allocator, s *[]T) *memory.Buffer {
	b := *s
	if _, ok := mem.(*memory.GoAllocator); ok && len(b) > 0 {
		if cap(b)-len(b) > len(b)/8 {
			// Too much spare capacity to hand over: the batch gets a
			// copy, and the column keeps its memory.
			return memory.NewBufferBytes(sliceBytes(slices.Clone(b)))
		}
		*s = make([]T, 0, len(b)+len(b)/8)
		return memory.NewBufferBytes(sliceBytes(b))
	}
	buf := memory.NewResizableBuffer(mem)
	buf.Resize(len(b) * int(unsafe.Sizeof(b[0])))
	copy(buf.Bytes(), sliceBytes(b))
	return buf
}

// sliceBytes views a slice of fixed-width values as its bytes, in native
// byte order as Arrow's in-memory format has them.
func sliceBytes[T byte | uint32 | uint64 | int32 | int64](s []T) []byte {
	if len(s) == 0 {
		return nil
	}
	return unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(s))), len(s)*int(unsafe.Sizeof(s[0])))
}
