package corpus

import (
	"fmt"
	"slices"
	"strings"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/schema"
)

// Dictionary columns without per-value hashing.
//
// Given dense values, arrow-go's dictionary encoder looks every value up in
// its memo table, which made it the largest cost of writing a shard (the
// corpus has ~45 int32 code columns and ~12 string columns, all
// dictionary-encoded). For a row group's int32 and string column chunks
// this writer builds the dictionary itself, in first-occurrence order, with
// a direct table for small codes and a Go map for strings, and skips the
// lookup when a row repeats the previous row's value (runs are common:
// consecutive events of one process). It then seeds the encoder with that
// dictionary and hands it the indices, batch by batch, making the calls the
// dense path makes between pages (raw size, page statistics, levels).
//
// The chunk comes out as the dense path writes it (the same dictionary page,
// page boundaries, page and chunk statistics and values) with one
// difference: the dense path packs a data page's indices at the bit width of
// the entries seen so far, this one at the width of the whole chunk's
// dictionary. Only a chunk of several pages that meets new values after its
// first page is affected (in the 1 M-event corpus, the exec-id column's
// first page of some row groups; under 0.1 % of the output's bytes).
// TestColumnWriterMatchesPqarrow and TestColumnWriterDictionaryEdges check
// all of this against pqarrow's FileWriter.
//
// Left to the dense path: every other type; a chunk whose dictionary would
// reach the dictionary page size limit (where the dense path falls back to
// plain encoding part way through) or that holds only nulls; columns for
// which arrow-go weighs dropping the dictionary before the first page
// (uncompressed ones); and string arrays of only empty values over a nil
// byte buffer (whose dense statistics differ).

// dictEncoder is the part of arrow-go's dictionary encoder (of an internal
// type) that this writer drives.
type dictEncoder interface {
	Encoding() parquet.Encoding
	PutDictionary(arrow.Array) error
	NumEntries() int
	AddRawSize(int64)
}

// smallCodes bounds the int32 values looked up in a direct table; others
// (file descriptors, say) go through a map.
const smallCodes = 1 << 16

// dictScratch holds one worker's buffers, reused from chunk to chunk.
type dictScratch struct {
	// idx holds each row's dictionary index (0 for nulls), per pending
	// array, after offset%8 padding slots (the array's offset within the
	// byte of its validity bitmap) so that an indices array can share the
	// array's bitmap.
	idx    []int32
	starts []int // where each pending array's slots begin in idx
	// integer columns, as the INT32 values Parquet stores
	slot []int32 // value → dictionary index + 1, for 0 ≤ value < smallCodes
	big  map[int32]int32
	ints []int32
	// keys orders the dictionary's entries as the statistics do, and
	// sizes is each entry's raw size as the encoder counts it.
	keys  []uint32
	sizes []int32
	// string columns
	strs  map[string]int32
	views []string // dictionary values, viewing the pending arrays' bytes
	order []int32
	def   []int16
}

// writeDictColumn writes arrs (one column of a row group's pending
// batches) to cw through its dictionary encoder. It returns false, having
// written nothing, for a chunk it leaves to the dense path.
func (d *dictScratch) writeDictColumn(cw file.ColumnChunkWriter, arrs []arrow.Array) (bool, error) {
	enc, ok := any(cw.CurrentEncoder()).(dictEncoder)
	if !ok || enc.Encoding() != parquet.Encodings.PlainDict || enc.NumEntries() != 0 || len(arrs) == 0 {
		return false, nil
	}
	props := cw.Properties()
	if props.DictionaryCostFallbackEnabledFor(cw.Descr().Path()) {
		// The dense path may drop the dictionary before its first page
		// when it saves no space (uncompressed columns): its call.
		return false, nil
	}
	defined := cw.LevelInfo().DefLevel > 0
	if !defined {
		for _, a := range arrs {
			if a.NullN() > 0 {
				return false, nil // nulls in a required column: pqarrow's call
			}
		}
	}
	var (
		dict     arrow.Array
		dictSize int
	)
	switch arrs[0].DataType().ID() {
	case arrow.INT8, arrow.UINT8, arrow.INT16, arrow.UINT16, arrow.INT32, arrow.UINT32:
		// Stored as INT32 (unsigned types bit for bit), compared by the
		// statistics as the column's sort order says.
		if cw.Type() != parquet.Types.Int32 || !d.intDict(arrs) {
			return false, nil
		}
		dictSize = 4 * len(d.ints)
		if len(d.ints) == 0 || int64(dictSize) >= props.DictionaryPageSizeLimit() {
			return false, nil
		}
		// The statistics compare as uint32 or int32; flipping the sign
		// bit turns the second order into the first.
		flip := uint32(1 << 31)
		if cw.Descr().SortOrder() == schema.SortUNSIGNED {
			flip = 0
		}
		d.keys, d.sizes = d.keys[:0], d.sizes[:0]
		for _, v := range d.ints {
			d.keys = append(d.keys, uint32(v)^flip)
			d.sizes = append(d.sizes, 4)
		}
		dict = array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, len(d.ints),
			[]*memory.Buffer{nil, memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(slices.Clone(d.ints)))}, nil, 0, 0))
	case arrow.STRING:
		if cw.Descr().SortOrder() != schema.SortUNSIGNED {
			return false, nil
		}
		for _, a := range arrs {
			if b := a.Data().Buffers()[2]; b != nil && b.Bytes() == nil {
				// Only empty strings, over no bytes at all: the dense
				// path's values are then nil slices, which its
				// statistics take for "no value".
				return false, nil
			}
		}
		dictSize = d.stringDict(arrs)
		defer clear(d.views) // they view the batches, which the caller releases
		if len(d.views) == 0 || int64(dictSize) >= props.DictionaryPageSizeLimit() {
			return false, nil
		}
		dict = stringArray(props.Allocator(), d.views)
		d.rankStrings()
	default:
		return false, nil
	}
	defer dict.Release()
	if err := enc.PutDictionary(dict); err != nil {
		return true, err
	}
	if enc.NumEntries() != dict.Len() {
		return true, fmt.Errorf("dictionary of %d values has %d entries", dict.Len(), enc.NumEntries())
	}
	batch := props.WriteBatchSize()
	for a, arr := range arrs {
		data := arr.Data()
		// The indices array shares arr's validity bitmap from the byte
		// holding arr's first row, and so starts at bit off0.
		off0 := data.Offset() % 8
		var valid *memory.Buffer
		if b := data.Buffers()[0]; b != nil {
			valid = memory.NewBufferBytes(b.Bytes()[data.Offset()/8:])
		}
		idx := d.idx[d.starts[a] : d.starts[a]+off0+arr.Len()]
		idxBuf := memory.NewBufferBytes(arrow.Int32Traits.CastToBytes(idx))
		for off := 0; off < arr.Len(); off += int(batch) {
			n := min(int(batch), arr.Len()-off)
			var levels []int16
			nulls := 0
			if defined {
				levels, nulls = defLevels(&d.def, arr, off, n)
			}
			rows := idx[off0+off : off0+off+n]
			d.batchStats(cw, enc, rows, levels, nulls)
			ind := array.NewInt32Data(array.NewData(arrow.PrimitiveTypes.Int32, n,
				[]*memory.Buffer{valid, idxBuf}, nil, nulls, off0+off))
			err := cw.WriteDictIndices(ind, levels, nil)
			ind.Release()
			if err != nil {
				return true, err
			}
		}
	}
	return true, nil
}

// batchStats does for one batch of indices what the dense path does as it
// encodes the batch's values: add their raw size to the encoder's count
// (which decides where pages end) and update the page statistics. levels
// are the batch's definition levels (0: null), read when nulls > 0.
func (d *dictScratch) batchStats(cw file.ColumnChunkWriter, enc dictEncoder, rows []int32, levels []int16, nulls int) {
	nonNull := len(rows) - nulls
	var raw, size int64
	var loKey, hiKey uint32
	lo, hi, prev := int32(-1), int32(-1), int32(-1) // dictionary indices
	for k, ix := range rows {
		if nulls > 0 && levels[k] == 0 { // the definition levels tell nulls
			continue
		}
		if ix != prev { // runs of one value are common
			prev, size = ix, int64(d.sizes[ix])
			key := d.keys[ix]
			if lo < 0 || key < loKey {
				lo, loKey = ix, key
			}
			if hi < 0 || key > hiKey {
				hi, hiKey = ix, key
			}
		}
		raw += size
	}
	enc.AddRawSize(raw)
	stats := cw.PageStatistics()
	if stats == nil {
		return
	}
	stats.IncNulls(int64(nulls))
	stats.IncNumValues(int64(nonNull))
	if nonNull == 0 {
		return
	}
	switch s := stats.(type) {
	case *metadata.Int32Statistics:
		s.SetMinMax(d.ints[lo], d.ints[hi])
	case *metadata.ByteArrayStatistics:
		s.SetMinMax(byteArray(d.views[lo]), byteArray(d.views[hi]))
	}
}

// intDict fills d.ints (the dictionary), d.idx and d.starts for arrs, the
// values converted to int32 as pqarrow converts them; it returns false for
// an array of another type.
func (d *dictScratch) intDict(arrs []arrow.Array) bool {
	if d.slot == nil {
		d.slot = make([]int32, smallCodes)
		d.big = map[int32]int32{}
	}
	d.ints, d.idx, d.starts = d.ints[:0], d.idx[:0], d.starts[:0]
	defer func() {
		for _, v := range d.ints {
			if uint32(v) < smallCodes {
				d.slot[v] = 0
			}
		}
		clear(d.big)
	}()
	r := intRun{ix: -1}
	for _, arr := range arrs {
		d.starts = append(d.starts, len(d.idx))
		d.idx = append(d.idx, make([]int32, arr.Data().Offset()%8)...)
		switch a := arr.(type) {
		case *array.Int8:
			appendIndices(d, &r, a, a.Int8Values())
		case *array.Uint8:
			appendIndices(d, &r, a, a.Uint8Values())
		case *array.Int16:
			appendIndices(d, &r, a, a.Int16Values())
		case *array.Uint16:
			appendIndices(d, &r, a, a.Uint16Values())
		case *array.Int32:
			appendIndices(d, &r, a, a.Int32Values())
		case *array.Uint32:
			appendIndices(d, &r, a, a.Uint32Values())
		default:
			return false
		}
	}
	return true
}

// intRun is the last non-null value seen and its dictionary index (-1
// before the first).
type intRun struct {
	v  int32
	ix int32
}

// appendIndices appends the dictionary indices of vals (the values of a)
// to d.idx, adding new values to the dictionary.
func appendIndices[T int8 | uint8 | int16 | uint16 | int32 | uint32](d *dictScratch, r *intRun, a arrow.Array, vals []T) {
	nulls := a.NullN() > 0
	for k, val := range vals {
		if nulls && a.IsNull(k) {
			d.idx = append(d.idx, 0)
			continue
		}
		v := int32(val)
		if v != r.v || r.ix < 0 {
			r.v = v
			if uint32(v) < smallCodes {
				r.ix = d.slot[v] - 1
				if r.ix < 0 {
					r.ix = int32(len(d.ints))
					d.slot[v] = r.ix + 1
					d.ints = append(d.ints, v)
				}
			} else {
				ix, seen := d.big[v]
				if !seen {
					ix = int32(len(d.ints))
					d.big[v] = ix
					d.ints = append(d.ints, v)
				}
				r.ix = ix
			}
		}
		d.idx = append(d.idx, r.ix)
	}
}

// stringDict fills d.views (the dictionary), d.idx and d.starts for arrs,
// and returns the dictionary's encoded size (each value's length plus 4,
// as the encoder counts it).
func (d *dictScratch) stringDict(arrs []arrow.Array) int {
	if d.strs == nil {
		d.strs = map[string]int32{}
	}
	d.views, d.idx, d.starts = d.views[:0], d.idx[:0], d.starts[:0]
	defer clear(d.strs)
	size := 0
	prev, prevIx := "", int32(-1)
	for _, arr := range arrs {
		a := arr.(*array.String)
		d.starts = append(d.starts, len(d.idx))
		d.idx = append(d.idx, make([]int32, a.Data().Offset()%8)...)
		nulls := a.NullN() > 0
		for k := range a.Len() {
			if nulls && a.IsNull(k) {
				d.idx = append(d.idx, 0)
				continue
			}
			v := a.Value(k) // views the array's bytes, which outlive the chunk
			if v != prev || prevIx < 0 {
				prev = v
				ix, seen := d.strs[v]
				if !seen {
					ix = int32(len(d.views))
					d.strs[v] = ix
					d.views = append(d.views, v)
					size += len(v) + 4
				}
				prevIx = ix
			}
			d.idx = append(d.idx, prevIx)
		}
	}
	return size
}

// rankStrings sets d.keys to each dictionary value's rank in byte order,
// the order of the column's statistics, and d.sizes to its raw size.
func (d *dictScratch) rankStrings() {
	d.order = d.order[:0]
	for i := range d.views {
		d.order = append(d.order, int32(i))
	}
	slices.SortFunc(d.order, func(a, b int32) int { return strings.Compare(d.views[a], d.views[b]) })
	d.keys = slices.Grow(d.keys[:0], len(d.views))[:len(d.views)]
	for r, i := range d.order {
		d.keys[i] = uint32(r)
	}
	d.sizes = d.sizes[:0]
	for _, v := range d.views {
		d.sizes = append(d.sizes, int32(len(v)+4))
	}
}

// byteArray views s (SetMinMax copies it). An empty value is a non-nil
// empty slice, as on the dense path: to the statistics a nil one means "no
// value".
func byteArray(s string) parquet.ByteArray {
	if s == "" {
		return parquet.ByteArray{}
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}

// stringArray returns a new string array of vs (copied).
func stringArray(mem memory.Allocator, vs []string) arrow.Array {
	b := array.NewStringBuilder(mem)
	defer b.Release()
	b.AppendValues(vs, nil)
	return b.NewArray()
}
