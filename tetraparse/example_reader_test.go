package tetraparse_test

import (
	"fmt"
	"iter"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"

	"github.com/tetrahids/tetrahids/tetraparse"
)

// handOver adapts an iterator whose batches are released after the loop
// body (Parser.Records and Parser.Files) to arrow-go's ReaderFromIter,
// which takes over a reference to each batch and releases it on the next
// Next or on Release: each batch is retained once for the reader.
func handOver(seq iter.Seq2[arrow.RecordBatch, error]) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		for rec, err := range seq {
			if rec != nil {
				rec.Retain()
			}
			if !yield(rec, err) {
				return
			}
		}
	}
}

// A program built on Arrow's RecordReader (an IPC writer, a Flight
// server, a pqarrow writer) reads the parser's batches through
// array.ReaderFromIter. The reader stops at the first error, as
// RecordReaders do; a Parser.Files input with Config.SkipBadFiles yields
// none for a bad file.
func ExampleParser_Records_recordReader() {
	lines := strings.Join([]string{
		`{"process_exec":{"process":{"exec_id":"a","binary":"/usr/bin/bash","ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-19T21:48:02Z"}`,
		`{"process_exec":{"process":{"exec_id":"b","binary":"/usr/bin/curl","ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-19T21:48:03Z"}`,
		`{"process_exit":{"process":{"exec_id":"b","ns":{"pid":{"inum":4026533329}}}},"time":"2026-04-19T21:48:04Z"}`,
	}, "\n")
	mem := memory.NewCheckedAllocator(memory.DefaultAllocator)
	p, err := tetraparse.New(tetraparse.Config{
		TargetInums: []uint64{4026533329},
		Columns:     []string{"event_type", "proc_binary"},
		BatchSize:   2,
		Allocator:   mem,
	})
	if err != nil {
		fmt.Println(err)
		return
	}

	rdr := array.ReaderFromIter(p.Schema(), handOver(p.Records(strings.NewReader(lines), "events.jsonl")))
	var first arrow.RecordBatch
	for rdr.Next() {
		rec := rdr.RecordBatch() // valid until the next Next; Retain it to keep it
		fmt.Println(rec.NumRows(), "rows:", rec.Column(0), rec.Column(1))
		if first == nil {
			first = rec
			first.Retain()
		}
	}
	if err := rdr.Err(); err != nil {
		fmt.Println(err)
	}
	rdr.Release()
	fmt.Println("the retained batch still holds its memory:", mem.CurrentAlloc() > 0, first.Column(1))
	first.Release()
	fmt.Println("bytes still allocated:", mem.CurrentAlloc())
	// Output:
	// 2 rows: ["process_exec" "process_exec"] ["/usr/bin/bash" "/usr/bin/curl"]
	// 1 rows: ["process_exit"] [(null)]
	// the retained batch still holds its memory: true ["/usr/bin/bash" "/usr/bin/curl"]
	// bytes still allocated: 0
}
