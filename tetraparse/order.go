package tetraparse

import (
	"container/heap"
	"errors"
	"fmt"
	"iter"
	"os"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/ipc"
)

// TimeOrder sorts externally: batches arrive in file order from the
// parallel parser and are held in memory until they exceed
// Config.SortMemory; then the held rows are sorted and written to TempDir as
// one run (Arrow IPC). At the end the runs are merged k-way. Memory is
// bounded by SortMemory for the held rows plus one batch per run during the
// merge (and the Workers' in-flight batches of the parser).

// rowRef locates one row of a held batch and carries its sort key.
type rowRef struct {
	time    int64
	hasTime bool
	file    int32
	line    uint32
	rec     int32
	row     int32
}

func lessKey(a, b *rowRef) bool {
	if a.hasTime != b.hasTime {
		return a.hasTime // rows without a time sort last
	}
	if a.hasTime && a.time != b.time {
		return a.time < b.time
	}
	if a.file != b.file {
		return a.file < b.file
	}
	return a.line < b.line
}

// fileIndexColumn is appended to spilled runs so the merge can break ties
// by input position (base names are not unique).
const fileIndexColumn = "__tetrahids_file_index"

type sorter struct {
	p        *Parser
	schema   *arrow.Schema
	timeCol  int
	lineCol  int
	held     []arrow.RecordBatch
	heldFile []int32
	heldSize int64
	runs     []string
	dir      string
}

func (p *Parser) timeOrder(paths []string) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		sc := p.Schema()
		s := &sorter{p: p, schema: sc, timeCol: sc.FieldIndices("event_time")[0], lineCol: sc.FieldIndices("_source_line")[0]}
		defer s.cleanup()
		var errs []error
		stopped := false
		p.runFiles(paths, func(file int, rec arrow.RecordBatch, err error) bool {
			if err != nil {
				errs = append(errs, err)
				return true
			}
			rec.Retain()
			s.held = append(s.held, rec)
			s.heldFile = append(s.heldFile, int32(file))
			s.heldSize += recordBytes(rec)
			if s.heldSize > p.cfg.SortMemory {
				if err := s.spill(); err != nil {
					errs = append(errs, err)
					stopped = true
					return false
				}
			}
			return true
		})
		for _, err := range errs {
			if !yield(nil, err) {
				return
			}
		}
		if stopped {
			return
		}
		if len(s.runs) == 0 {
			s.emitHeld(yield)
			return
		}
		if len(s.held) > 0 {
			if err := s.spill(); err != nil {
				yield(nil, err)
				return
			}
		}
		if err := s.merge(yield); err != nil {
			yield(nil, err)
		}
	}
}

func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	var walk func(d arrow.ArrayData)
	walk = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			if b != nil {
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			walk(c)
		}
	}
	for _, c := range rec.Columns() {
		walk(c.Data())
	}
	return n
}

// sortedRefs returns the held rows in output order.
func (s *sorter) sortedRefs() []rowRef {
	var refs []rowRef
	for ri, rec := range s.held {
		times := rec.Column(s.timeCol).(*array.Timestamp)
		lines := rec.Column(s.lineCol).(*array.Uint32)
		for j := range int(rec.NumRows()) {
			refs = append(refs, rowRef{
				time: int64(times.Value(j)), hasTime: times.IsValid(j),
				file: s.heldFile[ri], line: lines.Value(j), rec: int32(ri), row: int32(j),
			})
		}
	}
	slices.SortStableFunc(refs, func(a, b rowRef) int {
		switch {
		case lessKey(&a, &b):
			return -1
		case lessKey(&b, &a):
			return 1
		}
		return 0
	})
	return refs
}

func (s *sorter) releaseHeld() {
	for _, r := range s.held {
		r.Release()
	}
	s.held, s.heldFile, s.heldSize = s.held[:0], s.heldFile[:0], 0
}

// emitHeld sorts the held rows and yields them in batches.
func (s *sorter) emitHeld(yield func(arrow.RecordBatch, error) bool) {
	refs := s.sortedRefs()
	b := array.NewRecordBuilder(s.p.cfg.Allocator, s.schema)
	defer b.Release()
	defer s.releaseHeld()
	n := 0
	for _, r := range refs {
		copyRow(b, s.held[r.rec], int(r.row), len(s.schema.Fields()))
		n++
		if n == s.p.cfg.BatchSize {
			if !yieldBatch(b, yield) {
				return
			}
			n = 0
		}
	}
	if n > 0 {
		yieldBatch(b, yield)
	}
}

func yieldBatch(b *array.RecordBuilder, yield func(arrow.RecordBatch, error) bool) bool {
	rec := b.NewRecordBatch()
	defer rec.Release()
	return yield(rec, nil)
}

// spill writes the held rows, sorted, as one run.
func (s *sorter) spill() error {
	if s.dir == "" {
		dir, err := os.MkdirTemp(s.p.cfg.TempDir, "tetraparse-sort-")
		if err != nil {
			return fmt.Errorf("tetraparse: time order: %w", err)
		}
		s.dir = dir
	}
	refs := s.sortedRefs()
	fields := append(slices.Clone(s.schema.Fields()), arrow.Field{Name: fileIndexColumn, Type: arrow.PrimitiveTypes.Int32})
	runSchema := arrow.NewSchema(fields, nil)
	path := fmt.Sprintf("%s/run-%05d.arrow", s.dir, len(s.runs))
	// Runs hold raw rows: readable by the owner only, like their
	// directory (MkdirTemp's 0700).
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("tetraparse: time order: %w", err)
	}
	w, err := ipc.NewFileWriter(f, ipc.WithSchema(runSchema), ipc.WithAllocator(s.p.cfg.Allocator))
	if err != nil {
		f.Close()
		return fmt.Errorf("tetraparse: time order: %w", err)
	}
	b := array.NewRecordBuilder(s.p.cfg.Allocator, runSchema)
	defer b.Release()
	ncols := len(s.schema.Fields())
	fileCol := b.Field(ncols).(*array.Int32Builder)
	write := func() error {
		rec := b.NewRecordBatch()
		defer rec.Release()
		return w.Write(rec)
	}
	n := 0
	for _, r := range refs {
		copyRow(b, s.held[r.rec], int(r.row), ncols)
		fileCol.Append(r.file)
		n++
		if n == s.p.cfg.BatchSize {
			if err := write(); err != nil {
				f.Close()
				return fmt.Errorf("tetraparse: time order: write run: %w", err)
			}
			n = 0
		}
	}
	if n > 0 {
		if err := write(); err != nil {
			f.Close()
			return fmt.Errorf("tetraparse: time order: write run: %w", err)
		}
	}
	if err := errors.Join(w.Close(), f.Close()); err != nil {
		return fmt.Errorf("tetraparse: time order: close run: %w", err)
	}
	s.releaseHeld()
	s.runs = append(s.runs, path)
	return nil
}

// runCursor walks one spilled run.
type runCursor struct {
	f    *os.File
	r    *ipc.FileReader
	next int // next record index
	rec  arrow.RecordBatch
	row  int
	key  rowRef
}

func (c *runCursor) advance(s *sorter) (bool, error) {
	c.row++
	for c.rec == nil || c.row >= int(c.rec.NumRows()) {
		if c.rec != nil {
			c.rec.Release()
			c.rec = nil
		}
		if c.next >= c.r.NumRecords() {
			return false, nil
		}
		rec, err := c.r.RecordBatch(c.next)
		if err != nil {
			return false, err
		}
		rec.Retain()
		c.rec, c.row = rec, 0
		c.next++
	}
	times := c.rec.Column(s.timeCol).(*array.Timestamp)
	c.key = rowRef{
		time: int64(times.Value(c.row)), hasTime: times.IsValid(c.row),
		file: c.rec.Column(len(s.schema.Fields())).(*array.Int32).Value(c.row),
		line: c.rec.Column(s.lineCol).(*array.Uint32).Value(c.row),
	}
	return true, nil
}

type cursorHeap []*runCursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return lessKey(&h[i].key, &h[j].key) }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(*runCursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

func (s *sorter) merge(yield func(arrow.RecordBatch, error) bool) error {
	var h cursorHeap
	var all []*runCursor
	defer func() {
		for _, c := range all {
			if c.rec != nil {
				c.rec.Release()
			}
			c.r.Close()
			c.f.Close()
		}
	}()
	for _, path := range s.runs {
		f, err := os.Open(path)
		if err != nil {
			return fmt.Errorf("tetraparse: time order: %w", err)
		}
		r, err := ipc.NewFileReader(f, ipc.WithAllocator(s.p.cfg.Allocator))
		if err != nil {
			f.Close()
			return fmt.Errorf("tetraparse: time order: read run %s: %w", path, err)
		}
		c := &runCursor{f: f, r: r, row: -1}
		all = append(all, c)
		ok, err := c.advance(s)
		if err != nil {
			return fmt.Errorf("tetraparse: time order: read run %s: %w", path, err)
		}
		if ok {
			h = append(h, c)
		}
	}
	heap.Init(&h)
	b := array.NewRecordBuilder(s.p.cfg.Allocator, s.schema)
	defer b.Release()
	ncols := len(s.schema.Fields())
	n := 0
	for h.Len() > 0 {
		c := h[0]
		copyRow(b, c.rec, c.row, ncols)
		n++
		if n == s.p.cfg.BatchSize {
			if !yieldBatch(b, yield) {
				return nil
			}
			n = 0
		}
		ok, err := c.advance(s)
		if err != nil {
			return fmt.Errorf("tetraparse: time order: read run: %w", err)
		}
		if ok {
			heap.Fix(&h, 0)
		} else {
			heap.Pop(&h)
		}
	}
	if n > 0 {
		yieldBatch(b, yield)
	}
	return nil
}

func (s *sorter) cleanup() {
	s.releaseHeld()
	if s.dir != "" {
		os.RemoveAll(s.dir)
	}
}

// copyRow appends row j of the first ncols columns of rec to b.
func copyRow(b *array.RecordBuilder, rec arrow.RecordBatch, j, ncols int) {
	for c := range ncols {
		appendValue(b.Field(c), rec.Column(c), j)
	}
}

func appendValue(fb array.Builder, col arrow.Array, j int) {
	if col.IsNull(j) {
		fb.AppendNull()
		return
	}
	switch a := col.(type) {
	case *array.String:
		fb.(*array.StringBuilder).Append(a.Value(j))
	case *array.Uint32:
		fb.(*array.Uint32Builder).Append(a.Value(j))
	case *array.Uint64:
		fb.(*array.Uint64Builder).Append(a.Value(j))
	case *array.Int32:
		fb.(*array.Int32Builder).Append(a.Value(j))
	case *array.Int64:
		fb.(*array.Int64Builder).Append(a.Value(j))
	case *array.Boolean:
		fb.(*array.BooleanBuilder).Append(a.Value(j))
	case *array.Timestamp:
		fb.(*array.TimestampBuilder).Append(a.Value(j))
	case *array.List:
		lb := fb.(*array.ListBuilder)
		lb.Append(true)
		start, end := a.ValueOffsets(j)
		vals := a.ListValues()
		for k := start; k < end; k++ {
			appendValue(lb.ValueBuilder(), vals, int(k))
		}
	default:
		panic(fmt.Sprintf("tetraparse: copyRow: unsupported column type %s", col.DataType()))
	}
}
