package labels

import (
	"bytes"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
)

// benchSet is the shared sample's 61 windows when present, else 61
// synthetic windows with the same shape (3 s trials, ~20 s apart).
func benchSet(b *testing.B) *Set {
	b.Helper()
	if data, err := os.ReadFile(sampleLabels()); err == nil {
		set, err := Load(bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		return set
	}
	var rows []string
	for i := range 61 {
		rows = append(rows, row(int64(1000+20*i), int64(1003+20*i), "T1", string(rune('a'+i%26))+string(rune('a'+i/26))))
	}
	set, err := Load(strings.NewReader(csvOf(rows...)), WithTechniquePattern(nil))
	if err != nil {
		b.Fatal(err)
	}
	return set
}

// benchTimes returns n event times spanning the windows and a margin,
// in the given order.
func benchTimes(set *Set, n int, order string) []int64 {
	ws := set.Windows()
	lo, hi := ws[0].Start-60e9, ws[len(ws)-1].End+60e9
	rng := rand.New(rand.NewPCG(7, 7))
	times := make([]int64, n)
	for i := range times {
		times[i] = lo + rng.Int64N(hi-lo)
	}
	switch order {
	case "sorted":
		slices.Sort(times)
	case "nearly-sorted":
		// Sorted, then local disorder as in a real export (events of
		// concurrent CPUs interleave): swap neighbours within 64 rows.
		slices.Sort(times)
		for i := range times {
			j := min(n-1, i+rng.IntN(64))
			times[i], times[j] = times[j], times[i]
		}
	}
	return times
}

// BenchmarkLabel labels 10 M event times per iteration against 61 windows
// and reports events/s (single goroutine, i.e. per core).
func BenchmarkLabel(b *testing.B) {
	set := benchSet(b)
	const n = 10_000_000
	for _, order := range []string{"sorted", "nearly-sorted", "random"} {
		b.Run(order, func(b *testing.B) {
			times := benchTimes(set, n, order)
			dst := make([]int32, n)
			for b.Loop() {
				dst, _ = set.LabelInto(dst, times, nil)
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
