package corpus

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/flight"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/metadata"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
	"github.com/tetrahids/tetrahids/internal/parallel"
)

// columnWriter writes a flat Arrow schema (no nested columns) to one
// Parquet file, the column chunks of each row group in parallel.
//
// pqarrow's FileWriter writes a row group's columns one after another, and
// the train split, three quarters of the rows, made its single writer the
// longest stage of the builder's last pass. This writer gathers a row
// group's batches, then hands each column to a worker that writes it on the
// row group's own column writer: int32 and string chunks through the
// dictionary path of dictcol.go, others with the calls the FileWriter would
// make (pqarrow.WriteArrowToColumn per batch, in order). Column writers of
// a buffered row group are independent, and the file's bytes are laid out
// at the row group's close, in column order. The file is the FileWriter's
// but for the index bit widths described in dictcol.go;
// TestColumnWriterMatchesPqarrow compares the two.
type columnWriter struct {
	w       *file.Writer
	schema  *arrow.Schema
	arrow   pqarrow.ArrowWriterProperties
	maxRows int64
	workers int
	// the current row group's batches
	pending []arrow.RecordBatch
	rows    int64
	// scratch is the workers' state, kept from row group to row group
	scratch []*columnScratch
	// dictChunks counts the column chunks written by writeDictColumn.
	dictChunks atomic.Int64
	// lateLastPage leaves each chunk's last page to the row group's Close
	// (see flushLastPage), for the test that the bytes are the same.
	lateLastPage bool
}

// columnScratch is one worker's state.
type columnScratch struct {
	ctx  context.Context // holds pqarrow's scratch buffers
	def  []int16
	arrs []arrow.Array
	dict dictScratch
}

// newColumnWriter starts a Parquet file of schema sc on w, storing the
// Arrow schema in its metadata as pqarrow.WithStoreSchema does.
func newColumnWriter(sc *arrow.Schema, w io.Writer, props *parquet.WriterProperties) (*columnWriter, error) {
	for _, f := range sc.Fields() {
		if _, nested := f.Type.(arrow.NestedType); nested {
			return nil, fmt.Errorf("column %s: nested types are not supported by the parallel writer", f.Name)
		}
	}
	arrowProps := pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema())
	pqschema, err := pqarrow.ToParquet(sc, props, arrowProps)
	if err != nil {
		return nil, err
	}
	meta := make(metadata.KeyValueMetadata, 0)
	for i, k := range sc.Metadata().Keys() {
		meta.Append(k, sc.Metadata().Values()[i])
	}
	meta.Append("ARROW:schema", base64.StdEncoding.EncodeToString(flight.SerializeSchema(sc, props.Allocator())))
	fw, err := file.NewParquetWriterWithError(w, pqschema.Root(), file.WithWriterProps(props), file.WithWriteMetadata(meta))
	if err != nil {
		return nil, err
	}
	return &columnWriter{w: fw, schema: sc, arrow: arrowProps, maxRows: props.MaxRowGroupLength(),
		workers: runtime.GOMAXPROCS(0)}, nil
}

// Write appends rec (the caller keeps it).
func (c *columnWriter) Write(rec arrow.RecordBatch) error {
	if !rec.Schema().Equal(c.schema) {
		return fmt.Errorf("batch schema differs from the file's:\n%s\n%s", rec.Schema(), c.schema)
	}
	for off := int64(0); off < rec.NumRows(); {
		k := min(rec.NumRows()-off, c.maxRows-c.rows)
		c.pending = append(c.pending, rec.NewSlice(off, off+k))
		c.rows += k
		off += k
		if c.rows == c.maxRows {
			if err := c.flush(); err != nil {
				return err
			}
		}
	}
	return nil
}

// flush writes the gathered batches as one row group.
func (c *columnWriter) flush() error {
	defer func() {
		for _, r := range c.pending {
			r.Release()
		}
		c.pending, c.rows = c.pending[:0], 0
	}()
	rgw, err := c.w.AppendBufferedRowGroupChecked()
	if err != nil {
		return err
	}
	errs := make([]error, c.schema.NumFields())
	next := 0
	parallel.Do(c.schema.NumFields(), c.workers, func() *columnScratch {
		if next == len(c.scratch) {
			c.scratch = append(c.scratch, &columnScratch{ctx: pqarrow.NewArrowWriteContext(context.Background(), &c.arrow)})
		}
		next++
		return c.scratch[next-1]
	}, func(s *columnScratch, i int) {
		errs[i] = c.column(s, rgw, i)
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}
	return rgw.Close()
}

// column writes column i of the pending batches into its column writer.
func (c *columnWriter) column(s *columnScratch, rgw file.BufferedRowGroupWriter, i int) error {
	cw, err := rgw.Column(i)
	if err != nil {
		return err
	}
	s.arrs = s.arrs[:0]
	for _, rec := range c.pending {
		s.arrs = append(s.arrs, rec.Column(i))
	}
	defer clear(s.arrs)
	if done, err := s.dict.writeDictColumn(cw, s.arrs); err != nil {
		return fmt.Errorf("column %s: %w", c.schema.Field(i).Name, err)
	} else if done {
		c.dictChunks.Add(1)
		return c.flushLastPage(cw)
	}
	nullable := c.schema.Field(i).Nullable
	for _, arr := range s.arrs {
		var levels []int16
		if cw.LevelInfo().DefLevel > 0 {
			levels, _ = defLevels(&s.def, arr, 0, arr.Len())
		}
		if err := pqarrow.WriteArrowToColumn(s.ctx, cw, arr, levels, nil, nullable); err != nil {
			return fmt.Errorf("column %s: %w", c.schema.Field(i).Name, err)
		}
	}
	return c.flushLastPage(cw)
}

// flushLastPage builds the chunk's last data page now, on the column's
// worker, rather than in the row group's Close, which closes the columns
// one after another: building a page (encoding the values, compressing)
// was most of Close's time. Close then finds no values to flush and writes
// the same bytes. Only a page known to hold values is built here (by the
// raw size a dictionary encoder counts since its last page, or a plain
// encoder's buffered bytes); anything else is left to Close.
func (c *columnWriter) flushLastPage(cw file.ColumnChunkWriter) error {
	if c.lateLastPage {
		return nil
	}
	f, ok := cw.(interface {
		FlushCurrentPage() error
		EstimatedBufferedValueBytes() int64
	})
	if !ok {
		return nil
	}
	enc := cw.CurrentEncoder()
	buffered := false
	switch enc.Encoding() {
	case parquet.Encodings.PlainDict:
		if d, ok := any(enc).(interface{ ObservedRawSize() int64 }); ok {
			buffered = d.ObservedRawSize() > 0
		}
	case parquet.Encodings.Plain:
		buffered = f.EstimatedBufferedValueBytes() > 0
	}
	if !buffered {
		return nil
	}
	return f.FlushCurrentPage()
}

// defLevels returns the definition levels of rows [off, off+n) of arr, a
// flat optional column (defined, 1, unless null, 0: the levels pqarrow's
// path builder gives it), in *dst's memory, and how many are null.
func defLevels(dst *[]int16, arr arrow.Array, off, n int) ([]int16, int) {
	if cap(*dst) < n {
		*dst = make([]int16, n)
	}
	levels, nulls := (*dst)[:n], 0
	for k := range levels {
		levels[k] = 1
		if arr.IsNull(off + k) {
			levels[k] = 0
			nulls++
		}
	}
	return levels, nulls
}

// Close writes the last row group and the footer.
func (c *columnWriter) Close() error {
	var err error
	if c.rows > 0 {
		err = c.flush()
	}
	if e := c.w.Close(); err == nil {
		err = e
	}
	return err
}

// Abort drops the gathered batches (the file is removed by the caller).
func (c *columnWriter) Abort() {
	for _, r := range c.pending {
		r.Release()
	}
	c.pending = nil
}
