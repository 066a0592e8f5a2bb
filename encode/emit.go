package encode

import (
	"fmt"
	"math"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/bitutil"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// The output arrays are written straight into Arrow buffers: a whole
// column is known when it is emitted, so the per-value bookkeeping of the
// array builders (capacity checks, validity bits of columns without nulls)
// is not needed.

type fixed interface {
	~uint8 | ~uint16 | ~uint32 | ~uint64 | ~int32 | ~int64
}

// buffer returns a buffer of size bytes from mem.
func buffer(mem memory.Allocator, size int) *memory.Buffer {
	b := memory.NewResizableBuffer(mem)
	b.Resize(size)
	return b
}

// values returns a buffer of n T and its typed view.
func values[T fixed](mem memory.Allocator, n int) (*memory.Buffer, []T) {
	var zero T
	b := buffer(mem, n*int(unsafe.Sizeof(zero)))
	if n == 0 {
		return b, nil
	}
	return b, unsafe.Slice((*T)(unsafe.Pointer(unsafe.SliceData(b.Bytes()))), n)
}

// validity returns the validity bitmap of null flags (nil when none).
func validity(mem memory.Allocator, null []bool) (*memory.Buffer, int) {
	if null == nil {
		return nil, 0
	}
	b := buffer(mem, int(bitutil.BytesForBits(int64(len(null)))))
	bits := b.Bytes()
	clear(bits)
	nulls := 0
	for i, isNull := range null {
		if isNull {
			nulls++
		} else {
			bitutil.SetBit(bits, i)
		}
	}
	if nulls == 0 {
		b.Release()
		return nil, 0
	}
	return b, nulls
}

// makeArray assembles an array from its buffers, taking ownership of them.
func makeArray(t arrow.DataType, n int, nulls int, bufs ...*memory.Buffer) arrow.Array {
	d := array.NewData(t, n, bufs, nil, nulls, 0)
	for _, b := range bufs {
		if b != nil {
			b.Release()
		}
	}
	defer d.Release()
	return array.MakeFromData(d)
}

// codeEmitter returns the builder of a coded column of type t.
func codeEmitter(e *Encoder, t arrow.DataType) (func([]int64) arrow.Array, error) {
	switch t.ID() {
	case arrow.UINT8:
		return codes[uint8](e, t), nil
	case arrow.UINT16:
		return codes[uint16](e, t), nil
	case arrow.UINT32:
		return codes[uint32](e, t), nil
	case arrow.UINT64:
		return codes[uint64](e, t), nil
	case arrow.INT32:
		return codes[int32](e, t), nil
	case arrow.INT64:
		return codes[int64](e, t), nil
	}
	return nil, fmt.Errorf("output type %s is not an integer type", t)
}

func codes[T fixed](e *Encoder, t arrow.DataType) func([]int64) arrow.Array {
	return func(c []int64) arrow.Array {
		b, out := values[T](e.opts.mem, len(c))
		for i, x := range c {
			out[i] = T(x)
		}
		return makeArray(t, len(c), 0, nil, b)
	}
}

// vecEmitter returns the builder of a passthrough column of type t.
func vecEmitter(e *Encoder, t arrow.DataType) (func(*vec) (arrow.Array, error), error) {
	mem := e.opts.mem
	mismatch := func(v *vec) error { return fmt.Errorf("cannot write %s values as %s", v.kind, t) }
	switch t.ID() {
	case arrow.STRING:
		return func(v *vec) (arrow.Array, error) {
			if v.kind != kindStr {
				return nil, mismatch(v)
			}
			return stringArray(mem, t, v)
		}, nil
	case arrow.BOOL:
		return func(v *vec) (arrow.Array, error) {
			if v.kind != kindBool {
				return nil, mismatch(v)
			}
			valid, nulls := validity(mem, v.null)
			b := buffer(mem, int(bitutil.BytesForBits(int64(v.n))))
			bits := b.Bytes()
			clear(bits)
			for i, x := range v.b[:v.n] {
				if x {
					bitutil.SetBit(bits, i)
				}
			}
			return makeArray(t, v.n, nulls, valid, b), nil
		}, nil
	case arrow.UINT8:
		return vecValues[uint8](mem, t), nil
	case arrow.UINT16:
		return vecValues[uint16](mem, t), nil
	case arrow.UINT32:
		return vecValues[uint32](mem, t), nil
	case arrow.UINT64:
		return vecValues[uint64](mem, t), nil
	case arrow.INT32:
		return vecValues[int32](mem, t), nil
	case arrow.INT64, arrow.TIMESTAMP:
		return vecValues[int64](mem, t), nil
	}
	return nil, fmt.Errorf("passthrough to %s is not supported", t)
}

func vecValues[T fixed](mem memory.Allocator, t arrow.DataType) func(*vec) (arrow.Array, error) {
	return func(v *vec) (arrow.Array, error) {
		b, out := values[T](mem, v.n)
		switch v.kind {
		case kindInt:
			for i, x := range v.i[:v.n] {
				out[i] = T(x)
			}
		case kindUint:
			for i, x := range v.u[:v.n] {
				out[i] = T(x)
			}
		default:
			b.Release()
			return nil, fmt.Errorf("cannot write %s values as %s", v.kind, t)
		}
		valid, nulls := validity(mem, v.null)
		return makeArray(t, v.n, nulls, valid, b), nil
	}
}

// maxStringBytes is what a utf8 array's int32 offsets address (a variable
// for tests).
var maxStringBytes = math.MaxInt32

// stringArray writes a string vec as a utf8 array.
func stringArray(mem memory.Allocator, t arrow.DataType, v *vec) (arrow.Array, error) {
	total := 0
	for _, s := range v.s[:v.n] {
		total += len(s)
	}
	if total > maxStringBytes {
		return nil, fmt.Errorf("%d bytes of strings exceed a utf8 array's 2 GiB; encode smaller batches", total)
	}
	ob, offs := values[int32](mem, v.n+1)
	db := buffer(mem, total)
	data := db.Bytes()
	off := 0
	for i, s := range v.s[:v.n] {
		offs[i] = int32(off)
		off += copy(data[off:], s)
	}
	offs[v.n] = int32(off)
	valid, nulls := validity(mem, v.null)
	return makeArray(t, v.n, nulls, valid, ob, db), nil
}
