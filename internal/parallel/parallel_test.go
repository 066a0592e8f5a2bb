package parallel

import (
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDo calls every index once, gives each goroutine its own state, and
// never makes more states than workers or items.
func TestDo(t *testing.T) {
	for _, tc := range []struct{ n, workers int }{{0, 4}, {1, 4}, {10, 1}, {10, 0}, {100, 3}} {
		var states atomic.Int32
		seen := make([]int32, tc.n)
		Do(tc.n, tc.workers, func() *int { states.Add(1); return new(int) }, func(s *int, i int) {
			*s++ // unshared: -race would flag a state used by two goroutines
			atomic.AddInt32(&seen[i], 1)
		})
		for i, c := range seen {
			require.EqualValues(t, 1, c, "index %d", i)
		}
		require.LessOrEqual(t, int(states.Load()), max(1, min(tc.workers, tc.n)))
	}
}
