// Package parallel runs the items of a batch of independent work on a few
// goroutines, each with state of its own (scratch buffers, a clone of a
// checker that is not safe for concurrent use).
package parallel

import "sync"

// Do calls fn(s, i) for every i in [0, n), on up to workers goroutines
// (at least one), and returns when all calls have returned. Each goroutine
// gets its own s, made by newState on the calling goroutine before any fn
// runs (so newState may hand out reused scratch); fn must touch shared
// data only at the index it is given. With one worker everything runs on
// the calling goroutine.
func Do[S any](n, workers int, newState func() S, fn func(s S, i int)) {
	workers = max(1, min(workers, n))
	if workers == 1 {
		s := newState()
		for i := range n {
			fn(s, i)
		}
		return
	}
	states := make([]S, workers)
	for w := range states {
		states[w] = newState()
	}
	next := make(chan int)
	var wg sync.WaitGroup
	for _, s := range states {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				fn(s, i)
			}
		}()
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}
