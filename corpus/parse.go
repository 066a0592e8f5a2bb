package corpus

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// Parse is the parse and lineage stage of one input set: it yields the
// raw batches of files in the parser's order (tetraparse.Parser.Files,
// files in parallel), each one added to g first when g is not nil. A
// batch is released when the loop body returns (Retain to keep it). The
// first error ends the sequence: a file that cannot be read to the end,
// a batch g refuses, ctx done, or, after the last batch, line counts that
// do not add up (tetraparse.Stats.Check). p.Stats() then holds the
// set's counters.
//
// The reference registers every train row before any test row, so that
// train seeds test: parse the train inputs into g first, or split each
// batch with CutBatch and register the test rows once every train row is
// in.
func Parse(ctx context.Context, p *tetraparse.Parser, files []string, g *lineage.Graph) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		for rec, err := range p.Files(files) {
			if err == nil {
				err = ctx.Err()
			}
			if err == nil && g != nil && rec.NumRows() > 0 {
				if err = g.AddBatch(rec); err != nil {
					err = fmt.Errorf("lineage: %w", err)
				}
			}
			if err != nil {
				yield(nil, err)
				return
			}
			if !yield(rec, nil) {
				return
			}
		}
		if st := p.Stats(); st.Check() != nil {
			yield(nil, st.Check())
		}
	}
}

// CutBatch splits a raw batch at cut, as the reference's carve does:
// before holds the rows whose event_time is before cut, after the others;
// rows without an event_time cannot be placed and are only counted
// (untimed). A side without rows is nil, and a side with every row is rec
// itself, retained (a time-ordered input is only copied at the cut); the
// caller releases both.
func CutBatch(ctx context.Context, rec arrow.RecordBatch, cut time.Time, mem memory.Allocator) (before, after arrow.RecordBatch, untimed int, err error) {
	et, ok := colByName(rec, colEventTime).(*array.Timestamp)
	if !ok {
		return nil, nil, 0, fmt.Errorf("raw batch without a timestamp %s column", colEventTime)
	}
	at := cut.UnixNano()
	n := et.Len()
	var nBefore, nAfter int
	for i, v := range et.TimestampValues() {
		switch {
		case et.IsNull(i):
		case int64(v) < at:
			nBefore++
		default:
			nAfter++
		}
	}
	untimed = n - nBefore - nAfter
	side := func(k int, want func(int64) bool) (arrow.RecordBatch, error) {
		switch k {
		case 0:
			return nil, nil
		case n:
			rec.Retain()
			return rec, nil
		}
		mb := array.NewBooleanBuilder(mem)
		mb.Reserve(n)
		for i, v := range et.TimestampValues() {
			mb.UnsafeAppend(et.IsValid(i) && want(int64(v)))
		}
		mask := mb.NewBooleanArray()
		mb.Release()
		defer mask.Release()
		part, err := compute.FilterRecordBatch(ctx, rec, mask, compute.DefaultFilterOptions())
		if err != nil {
			return nil, fmt.Errorf("splitting a batch at the cut: %w", err)
		}
		return part, nil
	}
	if before, err = side(nBefore, func(t int64) bool { return t < at }); err != nil {
		return nil, nil, 0, err
	}
	if after, err = side(nAfter, func(t int64) bool { return t >= at }); err != nil {
		if before != nil {
			before.Release()
		}
		return nil, nil, 0, err
	}
	return before, after, untimed, nil
}
