package main

import (
	"bytes"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/stretchr/testify/require"
)

// TestColumnWriterMatchesPqarrow writes a built corpus's rows, in batches
// that do not line up with the row groups, with columnWriter and with
// pqarrow's FileWriter: the files must be identical byte for byte.
func TestColumnWriterMatchesPqarrow(t *testing.T) {
	t.Parallel()
	out := build(t, "-no-anonymize", "-force")
	recs := readParquet(t, shards(t, out, "train"))
	require.NotEmpty(t, recs)
	sc := recs[0].Schema()
	var batches []arrow.RecordBatch
	for _, r := range recs {
		for off := int64(0); off < r.NumRows(); off += 777 {
			s := r.NewSlice(off, min(off+777, r.NumRows()))
			defer s.Release()
			batches = append(batches, s)
		}
	}
	for _, rowGroup := range []int64{1000, 777 * 2, 1 << 16} {
		props := writerProps(sc, rowGroup)
		var want bytes.Buffer
		fw, err := pqarrow.NewFileWriter(sc, &want, props, pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
		require.NoError(t, err)
		for _, b := range batches {
			require.NoError(t, fw.WriteBuffered(b))
		}
		require.NoError(t, fw.Close())

		var got bytes.Buffer
		cw, err := newColumnWriter(sc, &got, writerProps(sc, rowGroup))
		require.NoError(t, err)
		for _, b := range batches {
			require.NoError(t, cw.Write(b))
		}
		require.NoError(t, cw.Close())
		require.Equal(t, want.Len(), got.Len(), "row groups of %d", rowGroup)
		require.True(t, bytes.Equal(want.Bytes(), got.Bytes()), "row groups of %d", rowGroup)
	}
}
