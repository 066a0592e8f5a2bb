package corpus

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

var spillSchema = arrow.NewSchema([]arrow.Field{
	{Name: "id", Type: arrow.PrimitiveTypes.Int64},
	{Name: "text", Type: arrow.BinaryTypes.String, Nullable: true},
}, nil)

// spillBatch returns n rows whose ids start at first.
func spillBatch(mem memory.Allocator, first, n int) arrow.RecordBatch {
	b := array.NewRecordBuilder(mem, spillSchema)
	defer b.Release()
	for i := first; i < first+n; i++ {
		b.Field(0).(*array.Int64Builder).Append(int64(i))
		b.Field(1).(*array.StringBuilder).Append(strings.Repeat("x", i%97))
	}
	return b.NewRecordBatch()
}

// ids reads every id of a spill in order.
func ids(t *testing.T, s *spill, mem memory.Allocator, drain bool) []int64 {
	var out []int64
	read := s.Read
	if drain {
		read = s.Drain
	}
	require.NoError(t, read(context.Background(), mem, func(rec arrow.RecordBatch) error {
		defer rec.Release()
		out = append(out, rec.Column(0).(*array.Int64).Int64Values()...)
		return nil
	}))
	return out
}

// TestSpillTiers writes more batches than the budget holds: the first stay
// in memory, the rest go to the file, reads (repeated, then a drain) give
// every row in order, and the budget is whole again at the end, also
// after a drain that its consumer interrupts.
func TestSpillTiers(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	for _, codec := range []string{"none", "lz4"} {
		one := spillBatch(mem, 0, 100)
		size := recordBytes(one)
		one.Release()
		budget := newSpillBudget(3*size + size/2) // three batches fit
		s, err := newSpill(filepath.Join(t.TempDir(), "s.arrows"), spillSchema, codec, budget)
		require.NoError(t, err)
		var want []int64
		for k := range 6 {
			rec := spillBatch(mem, 100*k, 100)
			require.NoError(t, s.Write(rec))
			rec.Release()
			for i := range 100 {
				want = append(want, int64(100*k+i))
			}
		}
		require.NoError(t, s.Close())
		require.Len(t, s.held, 3, codec)
		require.Positive(t, s.bytes, "the rest is on disk")
		require.Equal(t, want, ids(t, s, mem, false))
		require.Equal(t, want, ids(t, s, mem, false), "a spill reads again")
		require.Equal(t, want, ids(t, s, mem, true))
		require.Equal(t, 3*size+size/2, budget.left.Load(), "a drain gives the memory back")
		s.Remove()

		// An interrupted drain, then Remove.
		s, err = newSpill(filepath.Join(t.TempDir(), "t.arrows"), spillSchema, codec, budget)
		require.NoError(t, err)
		for k := range 5 {
			rec := spillBatch(mem, 100*k, 100)
			require.NoError(t, s.Write(rec))
			rec.Release()
		}
		require.NoError(t, s.Close())
		n := 0
		stop := errors.New("stop")
		err = s.Drain(context.Background(), mem, func(rec arrow.RecordBatch) error {
			rec.Release()
			if n++; n == 2 {
				return stop
			}
			return nil
		})
		require.ErrorIs(t, err, stop)
		s.Remove()
		require.Equal(t, 3*size+size/2, budget.left.Load())
	}
}

// TestRecordBytesCountsWholeBuffers counts a column that is a slice of a
// larger buffer as the whole buffer, once: what holding it keeps alive.
func TestRecordBytesCountsWholeBuffers(t *testing.T) {
	mem := memory.NewGoAllocator()
	rec := spillBatch(mem, 0, 1000)
	defer rec.Release()
	whole := recordBytes(rec)
	part := rec.NewSlice(10, 20)
	defer part.Release()
	require.Equal(t, whole, recordBytes(part), "a slice keeps the batch's buffers")

	// Two columns sharing one parent buffer count it once.
	parent := memory.NewBufferBytes(make([]byte, 4096))
	a := memory.SliceBuffer(parent, 0, 800)
	b := memory.SliceBuffer(parent, 800, 800)
	defer a.Release()
	defer b.Release()
	mk := func(buf *memory.Buffer) arrow.Array {
		d := array.NewData(arrow.PrimitiveTypes.Int64, 100, []*memory.Buffer{nil, buf}, nil, 0, 0)
		defer d.Release()
		return array.MakeFromData(d)
	}
	x, y := mk(a), mk(b)
	defer x.Release()
	defer y.Release()
	sc := arrow.NewSchema([]arrow.Field{{Name: "x", Type: arrow.PrimitiveTypes.Int64}, {Name: "y", Type: arrow.PrimitiveTypes.Int64}}, nil)
	two := array.NewRecordBatch(sc, []arrow.Array{x, y}, 100)
	defer two.Release()
	require.EqualValues(t, 4096, recordBytes(two))
}
