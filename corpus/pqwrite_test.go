package corpus

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"
)

// TestColumnWriterMatchesPqarrow writes a built corpus's rows, in batches
// that do not line up with the row groups, with columnWriter and with
// pqarrow's FileWriter: the files must hold the same pages and values (see
// requireSameParquet), and most column chunks take the dictionary path.
func TestColumnWriterMatchesPqarrow(t *testing.T) {
	t.Parallel()
	out := build(t, Config{Sample: true, NoAnonymize: true})
	recs := readParquet(t, shards(t, out, "train"))
	require.NotEmpty(t, recs)
	sc := recs[0].Schema()
	batches := slices777(t, recs...)
	for _, rowGroup := range []int64{1000, 777 * 2, 1 << 16} {
		want, got, dictChunks := writeBoth(t, sc, batches, writerProps(sc, rowGroup, "test"))
		requireSameParquet(t, want, got, "row groups of %d", rowGroup)
		pf, err := file.NewParquetReader(bytes.NewReader(got))
		require.NoError(t, err)
		chunks := int64(pf.NumRowGroups() * sc.NumFields())
		require.Greater(t, dictChunks, chunks/2, "row groups of %d: dictionary path", rowGroup)
	}
}

// slices777 cuts recs into batches of 777 rows (the last of each shorter),
// which line up with no row group.
func slices777(t *testing.T, recs ...arrow.RecordBatch) []arrow.RecordBatch {
	var batches []arrow.RecordBatch
	for _, r := range recs {
		for off := int64(0); off < r.NumRows(); off += 777 {
			s := r.NewSlice(off, min(off+777, r.NumRows()))
			t.Cleanup(s.Release)
			batches = append(batches, s)
		}
	}
	return batches
}

// writeBoth writes batches with pqarrow's FileWriter (want) and with
// columnWriter (got, and how many chunks took the dictionary path).
func writeBoth(t *testing.T, sc *arrow.Schema, batches []arrow.RecordBatch, props *parquet.WriterProperties) (want, got []byte, dictChunks int64) {
	var wb bytes.Buffer
	fw, err := pqarrow.NewFileWriter(sc, &wb, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	require.NoError(t, err)
	for _, b := range batches {
		require.NoError(t, fw.WriteBuffered(b))
	}
	require.NoError(t, fw.Close())

	var gb bytes.Buffer
	cw, err := newColumnWriter(sc, &gb, props)
	require.NoError(t, err)
	for _, b := range batches {
		require.NoError(t, cw.Write(b))
	}
	require.NoError(t, cw.Close())
	return wb.Bytes(), gb.Bytes(), cw.dictChunks.Load()
}

// TestColumnWriterDictionaryEdges covers what the corpus sample does not:
// nulls (whole batches of them), empty strings, int32 values outside the
// direct table, string chunks spanning several data pages, a chunk whose
// dictionary reaches the page size limit (left to the dense path), types
// the dictionary path does not take, and batches starting at an offset.
func TestColumnWriterDictionaryEdges(t *testing.T) {
	t.Parallel()
	sc := arrow.NewSchema([]arrow.Field{
		{Name: "code", Type: arrow.PrimitiveTypes.Int32},
		{Name: "opt_code", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "wide", Type: arrow.PrimitiveTypes.Int32, Nullable: true},
		{Name: "unsigned", Type: arrow.PrimitiveTypes.Uint32},
		{Name: "name", Type: arrow.BinaryTypes.String, Nullable: true},
		{Name: "long", Type: arrow.BinaryTypes.String},
		{Name: "unique", Type: arrow.BinaryTypes.String},
		// Pages end once the values' raw size (length + 4 each) reaches
		// 1 MiB, checked every 1,024 values: at these lengths a page
		// boundary moves if that size is miscounted by one either way.
		{Name: "len60", Type: arrow.BinaryTypes.String},
		{Name: "len64", Type: arrow.BinaryTypes.String},
		{Name: "u8", Type: arrow.PrimitiveTypes.Uint8},
		{Name: "i16", Type: arrow.PrimitiveTypes.Int16, Nullable: true},
	}, nil)
	const rows = 20000
	rng := rand.New(rand.NewPCG(1, 2))
	b := array.NewRecordBuilder(memory.DefaultAllocator, sc)
	defer b.Release()
	pad := strings.Repeat("x", 300)
	for i := range rows {
		b.Field(0).(*array.Int32Builder).Append(int32(i / 7 % 13))
		if i%5 == 0 || (i >= 3000 && i < 5100) {
			b.Field(1).(*array.Int32Builder).AppendNull()
		} else {
			b.Field(1).(*array.Int32Builder).Append(int32(rng.IntN(40)) - 3)
		}
		switch i % 4 {
		case 0:
			b.Field(2).(*array.Int32Builder).AppendNull()
		case 1:
			b.Field(2).(*array.Int32Builder).Append(int32(rng.IntN(1 << 20)))
		default:
			b.Field(2).(*array.Int32Builder).Append(-int32(rng.IntN(5)))
		}
		b.Field(3).(*array.Uint32Builder).Append(uint32(rng.IntN(9)) << 30)
		switch {
		case i%6 == 0 || (i >= 8000 && i < 10100):
			b.Field(4).(*array.StringBuilder).AppendNull()
		case i%6 == 1:
			b.Field(4).(*array.StringBuilder).Append("")
		default:
			b.Field(4).(*array.StringBuilder).Append(fmt.Sprintf("name-%d", rng.IntN(300)))
		}
		b.Field(5).(*array.StringBuilder).Append(fmt.Sprintf("%s-%d", pad, rng.IntN(500)))
		b.Field(6).(*array.StringBuilder).Append(fmt.Sprintf("%s-%d", pad, i))
		b.Field(7).(*array.StringBuilder).Append(fmt.Sprintf("%060d", rng.IntN(1000)))
		b.Field(8).(*array.StringBuilder).Append(fmt.Sprintf("%064d", rng.IntN(1000)))
		b.Field(9).(*array.Uint8Builder).Append(uint8(rng.IntN(256)))
		if i%3 == 0 {
			b.Field(10).(*array.Int16Builder).AppendNull()
		} else {
			b.Field(10).(*array.Int16Builder).Append(int16(rng.IntN(1000) - 500))
		}
	}
	built := b.NewRecordBatch()
	defer built.Release()
	// Empty strings over a byte buffer without bytes (not what a builder
	// makes): the dense path's statistics see no value at all.
	offs := memory.NewBufferBytes(make([]byte, 4*(rows+1)))
	empties := array.NewStringData(array.NewData(arrow.BinaryTypes.String, rows, []*memory.Buffer{nil, offs, memory.NewBufferBytes(nil)}, nil, 0, 0))
	defer empties.Release()
	sc = arrow.NewSchema(append(sc.Fields(), arrow.Field{Name: "empties", Type: arrow.BinaryTypes.String}), nil)
	rec := array.NewRecordBatch(sc, append(built.Columns(), empties), rows)
	defer rec.Release()
	batches := slices777(t, rec)
	// 16,384 rows: len64's first page fills exactly at the row group's end.
	for _, rowGroup := range []int64{1000, 10000, 16384, 1 << 16} {
		want, got, dictChunks := writeBoth(t, sc, batches, writerProps(sc, rowGroup, "test"))
		// Building each chunk's last page on the workers writes the bytes
		// the row group's Close would.
		var late bytes.Buffer
		cw, err := newColumnWriter(sc, &late, writerProps(sc, rowGroup, "test"))
		require.NoError(t, err)
		cw.lateLastPage = true
		for _, b := range batches {
			require.NoError(t, cw.Write(b))
		}
		require.NoError(t, cw.Close())
		requireSameBytes(t, late.Bytes(), got, "row groups of %d: last pages built early", rowGroup)
		groups := (rows + rowGroup - 1) / rowGroup
		// Unique only in row groups of 1,000 (in larger ones its
		// dictionary passes the limit), where four chunks of opt_code and
		// name hold only nulls (no dictionary to write).
		chunks := 10 * groups
		if rowGroup == 1000 {
			chunks += groups - 4
		}
		require.Equal(t, chunks, dictChunks, "row groups of %d", rowGroup)
		requireSameParquet(t, want, got, "row groups of %d", rowGroup)
	}
	// Other writer settings: data pages v2 take the dictionary path too;
	// uncompressed columns, where arrow-go may drop a dictionary that
	// saves no space, are left to the dense path.
	for _, tc := range []struct {
		name  string
		props *parquet.WriterProperties
		dict  bool
	}{
		{"v2", parquet.NewWriterProperties(parquet.WithDataPageVersion(parquet.DataPageV2), parquet.WithCompression(compress.Codecs.Snappy),
			parquet.WithDictionaryDefault(true), parquet.WithStats(true), parquet.WithMaxRowGroupLength(10000)), true},
		{"uncompressed", parquet.NewWriterProperties(parquet.WithDictionaryDefault(true), parquet.WithStats(true), parquet.WithMaxRowGroupLength(10000)), false},
	} {
		want, got, dictChunks := writeBoth(t, sc, batches, tc.props)
		requireSameParquet(t, want, got, tc.name)
		require.Equal(t, tc.dict, dictChunks > 0, tc.name)
	}
}

// requireSameParquet requires got to hold what want holds, written the
// same way: the same key-value metadata and row groups; for each column
// chunk the same encodings, statistics and dictionary page, and data pages
// of the same number of values with the same statistics; and the same
// values, read back. Two things may differ: arrow-go lists a chunk's
// encoding statistics in map order (which varies from run to run when a
// dictionary fell back to plain), and the dictionary path packs a page's
// indices at the bit width of the whole chunk's dictionary, where the dense
// path uses the width of the entries seen up to that page.
func requireSameParquet(t *testing.T, want, got []byte, msgAndArgs ...any) {
	t.Helper()
	wr, err := file.NewParquetReader(bytes.NewReader(want))
	require.NoError(t, err)
	gr, err := file.NewParquetReader(bytes.NewReader(got))
	require.NoError(t, err)
	wm, gm := wr.MetaData(), gr.MetaData()
	require.Equal(t, wm.NumRowGroups(), gm.NumRowGroups(), msgAndArgs...)
	require.Equal(t, wm.KeyValueMetadata(), gm.KeyValueMetadata(), msgAndArgs...)
	for g := range wm.NumRowGroups() {
		for i := range wm.Schema.NumColumns() {
			wc, err := wm.RowGroup(g).ColumnChunk(i)
			require.NoError(t, err)
			gc, err := gm.RowGroup(g).ColumnChunk(i)
			require.NoError(t, err)
			we, ge := wc.Encodings(), gc.Encodings()
			slices.Sort(we)
			slices.Sort(ge)
			require.Equal(t, we, ge, msgAndArgs...)
			require.Equal(t, chunkStats(t, wc), chunkStats(t, gc), msgAndArgs...)
			require.Equal(t, pages(t, wr, g, i), pages(t, gr, g, i), msgAndArgs...)
		}
	}
	wrecs, grecs := readParquetBytes(t, want), readParquetBytes(t, got)
	require.Equal(t, len(wrecs), len(grecs), msgAndArgs...)
	for k := range wrecs {
		require.True(t, array.RecordEqual(wrecs[k], grecs[k]), msgAndArgs...)
	}
}

func chunkStats(t *testing.T, c *metadata.ColumnChunkMetaData) metadata.EncodedStatistics {
	ok, err := c.StatsSet()
	require.NoError(t, err)
	if !ok {
		return metadata.EncodedStatistics{}
	}
	st, err := c.Statistics()
	require.NoError(t, err)
	enc, err := st.Encode()
	require.NoError(t, err)
	return enc
}

// pages describes a column chunk's pages: a dictionary page by its bytes,
// a data page by its number of values, encoding and statistics.
func pages(t *testing.T, r *file.Reader, g, i int) []string {
	pr, err := r.RowGroup(g).GetColumnPageReader(i)
	require.NoError(t, err)
	var out []string
	for pr.Next() {
		switch p := pr.Page().(type) {
		case *file.DictionaryPage:
			out = append(out, fmt.Sprintf("dictionary %d %x", p.NumValues(), p.Data()))
		case *file.DataPageV1:
			out = append(out, fmt.Sprintf("data %d %v %+v", p.NumValues(), p.Encoding(), p.Statistics()))
		case *file.DataPageV2:
			out = append(out, fmt.Sprintf("data v2 %d %d %v %+v", p.NumValues(), p.NumNulls(), p.Encoding(), p.Statistics()))
		default:
			t.Fatalf("unexpected page %T", p)
		}
	}
	require.NoError(t, pr.Err())
	return out
}

func readParquetBytes(t *testing.T, b []byte) []arrow.RecordBatch {
	pf, err := file.NewParquetReader(bytes.NewReader(b))
	require.NoError(t, err)
	fr, err := pqarrow.NewFileReader(pf, pqarrow.ArrowReadProperties{BatchSize: 1 << 16}, memory.DefaultAllocator)
	require.NoError(t, err)
	rr, err := fr.GetRecordReader(context.Background(), nil, nil)
	require.NoError(t, err)
	defer rr.Release()
	var recs []arrow.RecordBatch
	for rr.Next() {
		rec := rr.RecordBatch()
		rec.Retain()
		recs = append(recs, rec)
	}
	require.NoError(t, rr.Err())
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs
}

// requireSameBytes requires two Parquet files to be the same byte for byte,
// but for the order in which arrow-go lists a chunk's encoding statistics
// in the footer (map order, which varies when a dictionary fell back to
// plain encoding): the pages must be identical and the footers the same
// (requireSameParquet).
func requireSameBytes(t *testing.T, want, got []byte, msgAndArgs ...any) {
	t.Helper()
	require.Equal(t, len(want), len(got), msgAndArgs...)
	footer := len(want) - 8 - int(binary.LittleEndian.Uint32(want[len(want)-8:]))
	require.True(t, bytes.Equal(want[:footer], got[:footer]), msgAndArgs...)
	requireSameParquet(t, want, got, msgAndArgs...)
}
