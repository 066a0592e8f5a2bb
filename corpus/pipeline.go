package corpus

import (
	"context"
	"sync"

	"github.com/apache/arrow-go/v18/arrow"
)

// pipeline runs source → transform → sink with each stage in its own
// goroutine (the sink on the caller's), connected by channels two batches
// deep, so that reading, encoding and writing overlap on different cores
// while at most a handful of batches are in flight.
//
// Ownership moves with the batch: source hands each batch to emit and
// forgets it; transform owns its input (it must release it) and returns a
// new batch; the sink's batch is released after the sink returns. On the
// first error every stage stops, in-flight batches are released, and that
// error is returned; a done ctx stops the pipeline the same way.
func pipeline(ctx context.Context,
	source func(ctx context.Context, emit func(arrow.RecordBatch) error) error,
	transform func(arrow.RecordBatch) (arrow.RecordBatch, error),
	sink func(arrow.RecordBatch) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		once  sync.Once
		first error
	)
	fail := func(err error) {
		once.Do(func() { first = err })
		cancel()
	}
	ch1 := make(chan arrow.RecordBatch, 2)
	ch2 := make(chan arrow.RecordBatch, 2)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer close(ch1)
		err := source(ctx, func(rec arrow.RecordBatch) error {
			select {
			case ch1 <- rec:
				return nil
			case <-ctx.Done():
				rec.Release()
				return ctx.Err()
			}
		})
		if err != nil {
			fail(err)
		}
	}()
	go func() {
		defer wg.Done()
		defer close(ch2)
		for rec := range ch1 {
			if ctx.Err() != nil {
				rec.Release()
				continue
			}
			out, err := transform(rec)
			if err != nil {
				fail(err)
				continue
			}
			select {
			case ch2 <- out:
			case <-ctx.Done():
				out.Release()
			}
		}
	}()
	for rec := range ch2 {
		if ctx.Err() == nil {
			if err := sink(rec); err != nil {
				fail(err)
			}
		}
		rec.Release()
	}
	wg.Wait()
	if first != nil {
		return first
	}
	return ctx.Err()
}
