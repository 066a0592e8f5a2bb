package lineage

import (
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
)

// TestConcurrentLookup runs the query methods from several goroutines on
// a built graph, with cold memos so that goroutines race to fill them.
// Run it with -race.
func TestConcurrentLookup(t *testing.T) {
	const n = 20000
	rng := rand.New(rand.NewPCG(1, 1))
	build := func() *Graph {
		g := New()
		r := rand.New(rand.NewPCG(2, 2))
		for i := range n {
			parent := ""
			if i > 0 && r.IntN(50) > 0 {
				parent = fmt.Sprintf("p%d", r.IntN(i))
			}
			if r.IntN(200) == 0 {
				parent = fmt.Sprintf("p%d", i+r.IntN(n-i)) // forward edges: late parents, cycles
			}
			g.Add(fmt.Sprintf("p%d", i), parent, "", fmt.Sprintf("/bin/b%d", i%13))
		}
		return g
	}
	want := build()
	ids := make([]string, n)
	expect := make([]Row, n)
	for i := range ids {
		ids[i] = fmt.Sprintf("p%d", i)
		expect[i] = want.For(ids[i], fmt.Sprintf("p%d", (i*7)%n), "")
	}

	g := build()
	var wg sync.WaitGroup
	errs := make(chan error, 8)
	for w := range 8 {
		order := rng.Perm(n)
		wg.Go(func() {
			for _, i := range order {
				if got := g.For(ids[i], fmt.Sprintf("p%d", (i*7)%n), ""); got != expect[i] {
					errs <- fmt.Errorf("worker %d: For(%s) = %+v, want %+v", w, ids[i], got, expect[i])
					return
				}
				_ = g.ParentBasename(ids[i], "", "/x")
				_ = g.Contains(ids[i])
			}
			_ = g.Stats()
			_ = g.Len()
			if w == 0 {
				if _, err := g.WriteTo(io.Discard); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

// TestRWMutexStreaming is the documented pattern for registering and
// looking up from several goroutines: Lock to add, RLock to look up.
func TestRWMutexStreaming(t *testing.T) {
	var mu sync.RWMutex
	g := New()
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := range 2000 {
				id := fmt.Sprintf("w%d.%d", w, i)
				parent := ""
				if i > 0 {
					parent = fmt.Sprintf("w%d.%d", w, i-1)
				}
				mu.Lock()
				g.Add(id, parent, "", "/bin/x")
				mu.Unlock()
				mu.RLock()
				l := g.Lookup(id)
				mu.RUnlock()
				if want := (Lineage{min(i, MaxWalk), fmt.Sprintf("w%d.%d", w, max(0, i-MaxWalk)), "x", i >= MaxWalk}); l.RootExecID != want.RootExecID || l.Cycle != want.Cycle {
					t.Errorf("%s: %+v, want root %s cycle %v", id, l, want.RootExecID, want.Cycle)
					return
				}
			}
		})
	}
	wg.Wait()
}
