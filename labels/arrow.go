package labels

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// Names of the event columns this package reads and writes.
const (
	// ColEventTime is the event time column: Arrow timestamp (nanoseconds,
	// UTC, in the corpus), nullable; a null time is benign.
	ColEventTime = "event_time"
	// ColIsAttack is the non-nullable bool column AppendLabels adds.
	ColIsAttack = "is_attack"
	// ColLabelTechnique is the string column AppendLabels adds: the
	// technique_id of attack events, null for benign ones.
	ColLabelTechnique = "technique_id"
)

// LabelColumn labels an Arrow event-time column into dst (reused when large
// enough) and returns the labels. The column must be an Arrow timestamp;
// units other than nanoseconds are converted (the time zone does not
// matter: Arrow timestamps count from the Unix epoch in UTC). Null times are
// [Benign]. Errors wrap [ErrColumnType] or [ErrTimeRange].
func (s *Set) LabelColumn(dst []int32, col arrow.Array) ([]int32, error) {
	if col == nil {
		return dst[:0], fmt.Errorf("labels: nil %s column: %w", ColEventTime, ErrNoColumn)
	}
	ts, ok := col.(*array.Timestamp)
	if !ok {
		return dst[:0], fmt.Errorf("labels: %s is %s, want timestamp: %w", ColEventTime, col.DataType(), ErrColumnType)
	}
	unit := col.DataType().(*arrow.TimestampType).Unit
	vals := ts.Values()
	n := len(vals)
	dst = grow(dst, n)

	if unit == arrow.Nanosecond {
		labelSlice(s, dst, vals)
	} else {
		// Scale to nanoseconds; rare in practice (the corpus writes ns), so
		// a scratch copy is fine.
		mul := int64(unit.Multiplier())
		ns := make([]int64, n)
		for i, v := range vals {
			if ts.IsNull(i) {
				continue
			}
			x := int64(v)
			if x > math.MaxInt64/mul || x < math.MinInt64/mul {
				return dst[:0], fmt.Errorf("labels: %s row %d: %d %s: %w", ColEventTime, i, x, unit, ErrTimeRange)
			}
			ns[i] = x * mul
		}
		labelSlice(s, dst, ns)
	}
	if ts.NullN() > 0 {
		for i := range dst {
			if ts.IsNull(i) {
				dst[i] = Benign
			}
		}
	}
	return dst, nil
}

// eventTimeColumn finds the single event_time column of a record.
func eventTimeColumn(rec arrow.RecordBatch) (arrow.Array, error) {
	idx := rec.Schema().FieldIndices(ColEventTime)
	switch len(idx) {
	case 0:
		return nil, fmt.Errorf("labels: record has no %s column: %w", ColEventTime, ErrNoColumn)
	case 1:
		return rec.Column(idx[0]), nil
	default:
		return nil, fmt.Errorf("labels: record has %d %s columns: %w", len(idx), ColEventTime, ErrColumnType)
	}
}

// AppendLabels returns a new record batch: rec's columns (shared, not
// copied), then is_attack (bool, non-null) and technique_id (string, null
// for benign events), computed from rec's event_time column. The schema
// metadata is kept. The caller owns the result and must Release it; rec is
// not released. mem may be nil for the default allocator.
//
// Errors wrap [ErrNoColumn] (no event_time), [ErrColumnType] (event_time is
// not a timestamp), [ErrColumnExists] (rec already has is_attack or
// technique_id) or [ErrTimeRange].
func (s *Set) AppendLabels(rec arrow.RecordBatch, mem memory.Allocator) (arrow.RecordBatch, error) {
	if rec == nil {
		return nil, fmt.Errorf("labels: nil record: %w", ErrNoColumn)
	}
	if mem == nil {
		mem = memory.DefaultAllocator
	}
	col, err := eventTimeColumn(rec)
	if err != nil {
		return nil, err
	}
	for _, name := range []string{ColIsAttack, ColLabelTechnique} {
		if len(rec.Schema().FieldIndices(name)) > 0 {
			return nil, fmt.Errorf("labels: record already has a %s column: %w", name, ErrColumnExists)
		}
	}
	labels, err := s.LabelColumn(nil, col)
	if err != nil {
		return nil, err
	}
	isAttack, technique := s.arrowLabels(labels, mem)
	defer isAttack.Release()
	defer technique.Release()

	old := rec.Schema()
	fields := append(old.Fields(),
		arrow.Field{Name: ColIsAttack, Type: arrow.FixedWidthTypes.Boolean},
		arrow.Field{Name: ColLabelTechnique, Type: arrow.BinaryTypes.String, Nullable: true},
	)
	md := old.Metadata()
	schema := arrow.NewSchemaWithEndian(fields, &md, old.Endianness())
	cols := append(append([]arrow.Array(nil), rec.Columns()...), isAttack, technique)
	return array.NewRecordBatch(schema, cols, rec.NumRows()), nil
}

// arrowLabels builds the is_attack and technique_id arrays for labels.
func (s *Set) arrowLabels(labels []int32, mem memory.Allocator) (arrow.Array, arrow.Array) {
	bb := array.NewBooleanBuilder(mem)
	defer bb.Release()
	sb := array.NewStringBuilder(mem)
	defer sb.Release()
	bb.Reserve(len(labels))
	sb.Reserve(len(labels))
	data := 0
	for _, l := range labels {
		if l >= 0 {
			data += len(s.windows[l].TechniqueID)
		}
	}
	sb.ReserveData(data)
	for _, l := range labels {
		if l >= 0 {
			bb.UnsafeAppend(true)
			sb.AppendString(s.windows[l].TechniqueID)
		} else {
			bb.UnsafeAppend(false)
			sb.AppendNull()
		}
	}
	return bb.NewArray(), sb.NewArray()
}
