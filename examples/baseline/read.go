package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/apache/arrow-go/v18/parquet/file"
	"github.com/apache/arrow-go/v18/parquet/pqarrow"
)

// shards lists a split's Parquet shards, DIR/data/<split>-*.parquet, in
// name order.
func shards(corpus, split string) ([]string, error) {
	paths, err := filepath.Glob(filepath.Join(corpus, "data", split+"-*.parquet"))
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("no %s shards (%s)", split, filepath.Join(corpus, "data", split+"-*.parquet"))
	}
	slices.Sort(paths)
	return paths, nil
}

// eachBatch calls fn with every record batch of the shards, holding the
// named columns only, in file order. fn must Retain a batch it keeps.
func eachBatch(ctx context.Context, paths, columns []string, fn func(path string, rec arrow.RecordBatch) error) error {
	for _, path := range paths {
		if err := readShard(ctx, path, columns, fn); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
	}
	return nil
}

func readShard(ctx context.Context, path string, columns []string, fn func(string, arrow.RecordBatch) error) error {
	pf, err := file.OpenParquetFile(path, false)
	if err != nil {
		return err
	}
	defer pf.Close()
	props := pqarrow.ArrowReadProperties{BatchSize: 64 << 10}
	fr, err := pqarrow.NewFileReader(pf, props, memory.DefaultAllocator)
	if err != nil {
		return err
	}
	var leaves []int
	for _, c := range columns {
		i := slices.IndexFunc(fr.Manifest.Fields, func(f pqarrow.SchemaField) bool { return f.Field.Name == c })
		if i < 0 {
			return fmt.Errorf("no %s column", c)
		}
		f := fr.Manifest.Fields[i]
		if !f.IsLeaf() {
			return fmt.Errorf("column %s is nested", c)
		}
		leaves = append(leaves, f.ColIndex)
	}
	rr, err := fr.GetRecordReader(ctx, leaves, nil)
	if err != nil {
		return err
	}
	defer rr.Release()
	for rr.Next() {
		if err := fn(path, rr.RecordBatch()); err != nil {
			return err
		}
	}
	if err := rr.Err(); err != nil && !errors.Is(err, io.EOF) {
		return err
	}
	return nil
}

// rowRef addresses a row of a split held in memory.
type rowRef struct {
	batch, row int32
	time       int64
}

// split is a split's columns in memory, with its rows in the reference
// loader's order: stably sorted by event_time, rows without one left out.
type split struct {
	recs   []arrow.RecordBatch
	order  []rowRef
	noTime int
}

func (s *split) release() {
	for _, r := range s.recs {
		r.Release()
	}
}

// loadSplit reads the columns (event_time among them) of a split's shards.
func loadSplit(ctx context.Context, paths, columns []string) (*split, error) {
	s := &split{}
	err := eachBatch(ctx, paths, columns, func(path string, rec arrow.RecordBatch) error {
		times, valid, err := eventTimes(rec)
		if err != nil {
			return err
		}
		b := int32(len(s.recs))
		rec.Retain()
		s.recs = append(s.recs, rec)
		for i, t := range times {
			if !valid[i] {
				s.noTime++
				continue
			}
			s.order = append(s.order, rowRef{batch: b, row: int32(i), time: t})
		}
		return nil
	})
	if err != nil {
		s.release()
		return nil, err
	}
	slices.SortStableFunc(s.order, func(a, b rowRef) int { return cmp.Compare(a.time, b.time) })
	return s, nil
}

// eventTimes returns a batch's event_time column in nanoseconds and which
// rows have one.
func eventTimes(rec arrow.RecordBatch) ([]int64, []bool, error) {
	idx := rec.Schema().FieldIndices(colEventTime)
	if len(idx) != 1 {
		return nil, nil, fmt.Errorf("%d %s columns", len(idx), colEventTime)
	}
	ts, ok := rec.Column(idx[0]).(*array.Timestamp)
	if !ok {
		return nil, nil, fmt.Errorf("%s is %s, want a timestamp", colEventTime, rec.Column(idx[0]).DataType())
	}
	mul := int64(ts.DataType().(*arrow.TimestampType).Unit.Multiplier())
	times := make([]int64, ts.Len())
	valid := make([]bool, ts.Len())
	for i := range times {
		if ts.IsValid(i) {
			v := int64(ts.Value(i))
			if v > math.MaxInt64/mul || v < math.MinInt64/mul {
				return nil, nil, fmt.Errorf("%s row %d: %d out of range", colEventTime, i, v)
			}
			times[i] = v * mul
			valid[i] = true
		}
	}
	return times, valid, nil
}

// stringValues reads a string column as a function of the row: the value
// and whether it is not null.
func stringValues(rec arrow.RecordBatch, name string) (func(int) (string, bool), error) {
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		return nil, fmt.Errorf("%d %s columns", len(idx), name)
	}
	switch a := rec.Column(idx[0]).(type) {
	case *array.String:
		return func(i int) (string, bool) { return a.Value(i), a.IsValid(i) }, nil
	case *array.LargeString:
		return func(i int) (string, bool) { return a.Value(i), a.IsValid(i) }, nil
	}
	return nil, fmt.Errorf("%s is %s, want utf8", name, rec.Column(idx[0]).DataType())
}
