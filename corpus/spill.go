package corpus

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"sync/atomic"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/ipc"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// spill holds one split's batches between the passes: written once, read
// back any number of times, one batch at a time, in order.
//
// Batches stay in memory while the builder's spill budget (Config.SpillMemory,
// shared by every spill) allows; once one does not fit, it and all later
// batches of that spill go to a temporary Arrow IPC file, so memory stays
// bounded whatever the input size. Writing and reading the file costs far
// less than parsing the input a second time would (about 3 µs per row
// against about 11 µs to parse). It is LZ4 compressed by default: on the
// synthetic benchmark that is as fast as no compression (LZ4 costs about
// what the kernel saves on page-cache writes) and takes about 0.1 KB of
// temporary disk per raw row; Config.SpillCompression none or zstd choose
// otherwise. The files live in the temporary output directory and are
// deleted as soon as their split is encoded.
type spill struct {
	path    string
	schema  *arrow.Schema
	codec   []ipc.Option
	budget  *spillBudget
	held    []arrow.RecordBatch // the batches kept in memory, first in order
	inMem   int64               // their bytes, taken from budget
	memory  int64               // bytes ever held in memory (for stats)
	f       *os.File
	bw      *bufio.Writer
	w       *ipc.Writer
	rows    int64
	batches int
	bytes   int64 // on disk
}

// spillBudget is the Arrow memory all spills may hold at once.
type spillBudget struct{ left atomic.Int64 }

func newSpillBudget(n int64) *spillBudget {
	b := &spillBudget{}
	b.left.Store(n)
	return b
}

// take reserves n bytes if that many are left.
func (b *spillBudget) take(n int64) bool {
	for {
		left := b.left.Load()
		if left < n {
			return false
		}
		if b.left.CompareAndSwap(left, left-n) {
			return true
		}
	}
}

func (b *spillBudget) give(n int64) { b.left.Add(n) }

// spillCodecs are the Config.SpillCompression choices.
var spillCodecs = map[string][]ipc.Option{
	"none": nil,
	"lz4":  {ipc.WithLZ4()},
	"zstd": {ipc.WithZstd()},
}

func knownSpillCodec(codec string) bool {
	_, ok := spillCodecs[codec]
	return ok
}

// newSpill returns an empty spill of batches of schema sc; its file, if
// it needs one, is created at path and compressed with codec (a key of
// spillCodecs).
func newSpill(path string, sc *arrow.Schema, codec string, budget *spillBudget) (*spill, error) {
	opts, ok := spillCodecs[codec]
	if !ok {
		return nil, fmt.Errorf("spill compression %q: want none, lz4 or zstd", codec)
	}
	return &spill{path: path, schema: sc, codec: opts, budget: budget}, nil
}

// Write appends a batch (which the caller keeps).
func (s *spill) Write(rec arrow.RecordBatch) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if s.f == nil {
		if size := recordBytes(rec); s.budget.take(size) {
			rec.Retain()
			s.held = append(s.held, rec)
			s.inMem += size
			s.memory += size
			s.rows += rec.NumRows()
			s.batches++
			return nil
		}
		f, err := os.OpenFile(s.path, os.O_RDWR|os.O_CREATE|os.O_TRUNC, 0o600) // raw rows: the owner's only
		if err != nil {
			return err
		}
		s.f, s.bw = f, bufio.NewWriterSize(f, 1<<20)
		s.w = ipc.NewWriter(s.bw, append([]ipc.Option{ipc.WithSchema(s.schema)}, s.codec...)...)
	}
	if s.w == nil {
		return fmt.Errorf("spill %s: write after close", s.path)
	}
	if err := s.w.Write(rec); err != nil {
		return fmt.Errorf("spill %s: %w", s.path, err)
	}
	s.rows += rec.NumRows()
	s.batches++
	return nil
}

// Close finishes the file, if any; the spill can then be read.
func (s *spill) Close() error {
	if s.w == nil {
		return nil
	}
	err := s.w.Close()
	if e := s.bw.Flush(); err == nil {
		err = e
	}
	if fi, e := s.f.Stat(); e == nil {
		s.bytes = fi.Size()
	}
	if e := s.f.Close(); err == nil {
		err = e
	}
	s.w = nil
	if err != nil {
		return fmt.Errorf("spill %s: %w", s.path, err)
	}
	return nil
}

// Remove frees the batches held in memory and deletes the file.
func (s *spill) Remove() {
	s.Close()
	for _, r := range s.held {
		if r != nil { // nil: handed over by an interrupted Drain
			r.Release()
		}
	}
	s.held = nil
	s.budget.give(s.inMem)
	s.inMem = 0
	if s.f != nil {
		os.Remove(s.path)
	}
}

// Read calls fn with every batch in order. fn owns the batch and must
// Release it. Read stops at the first error, or when ctx is done.
func (s *spill) Read(ctx context.Context, mem memory.Allocator, fn func(arrow.RecordBatch) error) error {
	return s.read(ctx, mem, false, fn)
}

// Drain is the last Read: the spill lets go of each batch held in memory
// as it hands it over, returning its bytes to the budget at once (for the
// spill the next pass writes), and holds none afterwards.
func (s *spill) Drain(ctx context.Context, mem memory.Allocator, fn func(arrow.RecordBatch) error) error {
	return s.read(ctx, mem, true, fn)
}

func (s *spill) read(ctx context.Context, mem memory.Allocator, drain bool, fn func(arrow.RecordBatch) error) error {
	for k, rec := range s.held {
		if err := ctx.Err(); err != nil {
			return err
		}
		if drain {
			s.held[k] = nil
			size := recordBytes(rec)
			s.inMem -= size
			s.budget.give(size)
		} else {
			rec.Retain()
		}
		if err := fn(rec); err != nil {
			return err
		}
	}
	if drain {
		s.held = s.held[:0]
	}
	if s.f == nil {
		return nil
	}
	f, err := os.Open(s.path)
	if err != nil {
		return err
	}
	defer f.Close()
	r, err := ipc.NewReader(bufio.NewReaderSize(f, 1<<20), ipc.WithAllocator(mem))
	if err != nil {
		return fmt.Errorf("spill %s: %w", s.path, err)
	}
	defer r.Release()
	for r.Next() {
		if err := ctx.Err(); err != nil {
			return err
		}
		rec := r.RecordBatch()
		rec.Retain()
		if err := fn(rec); err != nil {
			return err
		}
	}
	if err := r.Err(); err != nil {
		return fmt.Errorf("spill %s: %w", s.path, err)
	}
	return nil
}

// recordBytes is the memory rec keeps alive: every buffer it refers to,
// counted once, and for a slice of a larger buffer (the IPC reader slices
// a whole message body; an encoded batch shares raw columns) the whole of
// that buffer.
func recordBytes(rec arrow.RecordBatch) int64 {
	var n int64
	seen := map[*memory.Buffer]bool{}
	var data func(d arrow.ArrayData)
	data = func(d arrow.ArrayData) {
		for _, b := range d.Buffers() {
			for b != nil && b.Parent() != nil {
				b = b.Parent()
			}
			if b != nil && !seen[b] {
				seen[b] = true
				n += int64(b.Len())
			}
		}
		for _, c := range d.Children() {
			data(c)
		}
	}
	for _, c := range rec.Columns() {
		data(c.Data())
	}
	return n
}
