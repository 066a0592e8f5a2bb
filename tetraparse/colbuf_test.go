package tetraparse

import (
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
)

// TestColBufMatchesArrowBuilders appends the same rows to column buffers
// and to Arrow's builders, with the first null at every position of a
// bitmap byte and in no row at all, over several batches of one buffer.
//
// With the Go allocator the batches take the buffers' memory (see
// takeBuffer); every earlier batch is checked again at the end, which
// fails if a later one wrote into memory it still uses.
func TestColBufMatchesArrowBuilders(t *testing.T) {
	checked := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer checked.AssertSize(t, 0)
	for _, mem := range []memory.Allocator{checked, memory.DefaultAllocator} {
		colBufMatchesArrowBuilders(t, mem)
	}
}

func colBufMatchesArrowBuilders(t *testing.T, mem memory.Allocator) {
	type pair struct{ want, got arrow.Array }
	var kept []pair
	defer func() {
		for _, p := range kept {
			require.True(t, array.Equal(p.want, p.got), "%s after later batches:\nwant %v\ngot  %v", p.want.DataType(), p.want, p.got)
			p.want.Release()
			p.got.Release()
		}
	}()
	types := []arrow.DataType{
		arrow.BinaryTypes.String, arrow.PrimitiveTypes.Uint32, arrow.PrimitiveTypes.Uint64,
		arrow.PrimitiveTypes.Int32, arrow.FixedWidthTypes.Boolean, arrow.FixedWidthTypes.Timestamp_ns,
		arrow.ListOf(arrow.BinaryTypes.String),
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, typ := range types {
		c, err := newColBuf(typ)
		require.NoError(t, err)
		for batch, firstNull := range []int{-1, 0, 1, 7, 8, 9, 15, 16, 21} {
			n := 30 + batch
			b := array.NewBuilder(memory.DefaultAllocator, typ)
			for i := range n {
				null := i == firstNull || (firstNull >= 0 && i > firstNull && rng.IntN(3) == 0)
				if null {
					c.appendNull()
					b.AppendNull()
					continue
				}
				switch x := b.(type) {
				case *array.StringBuilder:
					s := strconv.Itoa(rng.IntN(1000))
					c.appendString(s)
					x.Append(s)
				case *array.Uint32Builder:
					v := rng.Uint32()
					c.appendU32(v)
					x.Append(v)
				case *array.Uint64Builder:
					v := rng.Uint64()
					c.appendU64(v)
					x.Append(v)
				case *array.Int32Builder:
					v := rng.Int32() - 1<<30
					c.appendI32(v)
					x.Append(v)
				case *array.BooleanBuilder:
					v := rng.IntN(2) == 0
					c.appendBool(v)
					x.Append(v)
				case *array.TimestampBuilder:
					v := rng.Int64()
					c.appendI64(v)
					x.Append(arrow.Timestamp(v))
				case *array.ListBuilder:
					var l []string
					for range rng.IntN(4) {
						l = append(l, strconv.Itoa(rng.IntN(50)))
					}
					c.appendList(l)
					x.Append(true)
					for _, s := range l {
						x.ValueBuilder().(*array.StringBuilder).Append(s)
					}
				}
			}
			want := b.NewArray()
			got := c.flush(mem)
			require.NoError(t, array.ValidateFull(got))
			require.True(t, array.Equal(want, got), "%s, first null at %d:\nwant %v\ngot  %v", typ, firstNull, want, got)
			require.Equal(t, want.NullN(), got.NullN())
			kept = append(kept, pair{want, got})
			b.Release()
		}
	}
}
