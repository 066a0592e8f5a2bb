package eval

import (
	"fmt"
	"testing"
)

// BenchmarkAUROC: one exact AUROC over 1 M events (dominated by the sort).
func BenchmarkAUROC(b *testing.B) {
	scores, attack := normals(3, 100_000, 900_000, 1)
	for b.Loop() {
		if _, err := AUROC(scores, attack); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(len(scores))*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkResample: the cost of one bootstrap resample, to size
// Resamples (the total is events × resamples, split over Workers).
func BenchmarkResample(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000, 10_000_000} {
		b.Run(fmt.Sprintf("events=%d", n), func(b *testing.B) {
			scores, attack := normals(3, n/10, n-n/10, 1)
			r, err := rankBinary(scores, attack)
			if err != nil {
				b.Fatal(err)
			}
			d := newDrawer(n)
			d.seed(0, 0)
			for b.Loop() {
				r.resample(d)
			}
			b.ReportMetric(b.Elapsed().Seconds()/float64(b.N)/float64(n)*1e9, "ns/event")
		})
	}
}
