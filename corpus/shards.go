package corpus

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/parquet"
	"github.com/apache/arrow-go/v18/parquet/compress"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// ShardWriter is the write stage: it writes one split as Parquet shards of
// at most Config.ShardRows rows, named <split>-00000-of-0000N.parquet (the
// Hugging Face layout) once N is known, at Close. Until then shards carry
// a temporary name (.<split>-00000.parquet.partial). Make one with
// Plan.NewShardWriter. A ShardWriter is not safe for concurrent use; one
// per split.
//
// Format choices, for independent readers: Parquet format 2.6 (so that
// event_time stays TIMESTAMP(NANOS, UTC) rather than being coerced to
// microseconds; unsigned codes keep their INT(8/16/32/64, unsigned)
// logical types), version-1 data pages (the most widely readable), snappy
// compression, dictionary encoding, column statistics, and the Arrow schema
// stored in the file metadata so that Arrow readers restore the exact
// types; the schema-version metadata is also a plain key-value entry of
// the file (tetrahids.schema_version). Row groups hold Config.RowGroupRows
// rows (65,536 by default: a few MB per column chunk, what a streaming
// reader holds at once, and enough rows for good compression). The file is
// written by pqarrow's FileWriter, batches buffered into row groups
// (WriteBuffered); the splits' writers run concurrently.
type ShardWriter struct {
	dir, split   string
	schema       *arrow.Schema
	rowsPerShard int64
	rowGroupRows int64
	md           arrow.Metadata
	createdBy    string

	f       *os.File
	bw      *bufio.Writer
	fw      *pqarrow.FileWriter
	curRows int64
	temps   []string
	rows    int64
}

// newShardWriter returns the writer of one split. The columns are taken
// from the first batch written (anonymization may drop columns, labelling
// adds two); the schema metadata is always md (the schema version of the
// definitions used), which pqarrow stores as file key-value metadata.
func newShardWriter(dir, split string, rowsPerShard, rowGroupRows int64, md arrow.Metadata, createdBy string) *ShardWriter {
	return &ShardWriter{dir: dir, split: split, rowsPerShard: rowsPerShard, rowGroupRows: rowGroupRows, md: md, createdBy: createdBy}
}

// writerProps returns the Parquet properties for schema sc. Dictionary
// encoding is on except for timestamps and int64 columns (event_time,
// delta_t_prev_ns, process_age_ns): those are nearly unique per row, so a
// dictionary only costs hashing before it falls back to plain encoding
// (switching it off made the shards smaller and no slower to write).
func writerProps(sc *arrow.Schema, rowGroupRows int64, createdBy string) *parquet.WriterProperties {
	opts := []parquet.WriterProperty{
		parquet.WithVersion(parquet.V2_6),
		parquet.WithDataPageVersion(parquet.DataPageV1),
		parquet.WithCompression(compress.Codecs.Snappy),
		parquet.WithDictionaryDefault(true),
		parquet.WithStats(true),
		parquet.WithMaxRowGroupLength(rowGroupRows),
		parquet.WithCreatedBy(createdBy),
	}
	for _, f := range sc.Fields() {
		switch f.Type.ID() {
		case arrow.TIMESTAMP, arrow.INT64:
			opts = append(opts, parquet.WithDictionaryFor(f.Name, false))
		}
	}
	return parquet.NewWriterProperties(opts...)
}

func (s *ShardWriter) open() error {
	name := filepath.Join(s.dir, fmt.Sprintf(".%s-%05d.parquet.partial", s.split, len(s.temps)))
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	s.f, s.bw = f, bufio.NewWriterSize(f, 1<<20)
	s.fw, err = pqarrow.NewFileWriter(s.schema, s.bw, writerProps(s.schema, s.rowGroupRows, s.createdBy),
		pqarrow.NewArrowWriterProperties(pqarrow.WithStoreSchema()))
	if err != nil {
		f.Close()
		return fmt.Errorf("%s: %w", name, err)
	}

	s.temps = append(s.temps, name)
	s.curRows = 0
	return nil
}

func (s *ShardWriter) closeShard() error {
	if s.fw == nil {
		return nil
	}
	name := s.temps[len(s.temps)-1]
	err := s.fw.Close()
	if e := s.bw.Flush(); err == nil {
		err = e
	}
	if e := s.f.Close(); err == nil {
		err = e
	}
	s.fw, s.bw, s.f = nil, nil, nil
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

// Write appends rec (the caller keeps it), starting a new shard whenever
// the current one is full. The first batch fixes the columns (anonymization
// may drop columns, labelling adds two); every later batch must have them.
func (s *ShardWriter) Write(rec arrow.RecordBatch) error {
	if s.schema == nil {
		s.schema = arrow.NewSchema(rec.Schema().Fields(), &s.md)
	}
	n := rec.NumRows()
	for off := int64(0); off < n; {
		if s.fw == nil {
			if err := s.open(); err != nil {
				return err
			}
		}
		k := min(n-off, s.rowsPerShard-s.curRows)
		part := rec
		if k != n {
			part = rec.NewSlice(off, off+k)
		}
		err := s.fw.WriteBuffered(part)
		if part != rec {
			part.Release()
		}
		if err != nil {
			return fmt.Errorf("%s shard %d: %w", s.split, len(s.temps)-1, err)
		}
		off += k
		s.curRows += k
		s.rows += k
		if s.curRows == s.rowsPerShard {
			if err := s.closeShard(); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteEmpty makes sure the split has a shard even without rows: an empty
// file with schema sc (the writer's schema if it has one), so that the
// split still exists for readers (a glob over test-*.parquet finds it)
// and carries the schema.
func (s *ShardWriter) WriteEmpty(sc *arrow.Schema) error {
	if len(s.temps) > 0 {
		return nil
	}
	if s.schema == nil {
		s.schema = arrow.NewSchema(sc.Fields(), &s.md)
	}
	return s.open()
}

// Close finishes the last shard and gives every shard its final name. It
// returns the final paths, in order (none for a split without rows and
// without WriteEmpty). The ShardWriter must not be written to afterwards;
// a second Close returns no paths and no error.
func (s *ShardWriter) Close() ([]string, error) {
	if err := s.closeShard(); err != nil {
		return nil, err
	}
	var out []string
	for i, tmp := range s.temps {
		final := filepath.Join(s.dir, fmt.Sprintf("%s-%05d-of-%05d.parquet", s.split, i, len(s.temps)))
		if err := os.Rename(tmp, final); err != nil {
			return nil, err
		}
		out = append(out, final)
	}
	s.temps = nil
	return out, nil
}

// Abort closes the shard being written, if any, and removes every shard
// not yet renamed by Close. Calling it after Close does nothing.
func (s *ShardWriter) Abort() {
	if s.fw != nil {
		s.f.Close() // the writer's buffered row group is dropped with it
		s.fw, s.bw, s.f = nil, nil, nil
	}
	for _, tmp := range s.temps {
		os.Remove(tmp)
	}
	s.temps = nil
}

// Rows returns the rows written so far.
func (s *ShardWriter) Rows() int64 { return s.rows }
