package eval

import (
	"slices"
	"testing"
)

// The blocked draw must give exactly the counts of the direct draw.
func TestBlockedDrawMatchesDirect(t *testing.T) {
	n := directMax + 3<<blockShift + 17 // several blocks, a partial last one
	blocked := newDrawer(n)
	direct := newDrawer(n)
	direct.low = nil // force the direct path
	for stream := range uint64(3) {
		blocked.seed(9, stream)
		direct.seed(9, stream)
		for range 2 { // consecutive draws continue the same stream
			a, b := blocked.draw(), direct.draw()
			if !slices.Equal(a, b) {
				t.Fatalf("stream %d: blocked and direct counts differ", stream)
			}
			var sum int
			for _, c := range a {
				sum += int(c)
			}
			if sum != n {
				t.Fatalf("counts sum to %d, want %d", sum, n)
			}
		}
	}
}
