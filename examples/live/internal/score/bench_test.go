package score

import (
	"bufio"
	"io"
	"testing"
)

// BenchmarkProcess measures the scoring step on one goroutine: a
// generated Tetragon line in, its JSON line out (decode, filter, encode
// with the graph seeded, n-gram score), lines taken together as the
// service takes a backlog. ns/op is per line; events/s counts kept
// events.
func BenchmarkProcess(b *testing.B) {
	f := newFixture(b, 40000) // the size of the full tests
	p, c := newProcessor(b, f, Config{Threshold: 7})
	w := bufio.NewWriter(io.Discard)
	var bytes int64
	for _, l := range f.test {
		bytes += int64(len(l)) + 1
	}
	b.SetBytes(bytes / int64(len(f.test)))
	b.ResetTimer()
	i := 0
	for b.Loop() {
		if err := p.Process(f.test[i%len(f.test)], w); err != nil {
			b.Fatal(err)
		}
		i++
	}
	if err := p.Flush(w); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(c.Snapshot(statsZero).Kept)/b.Elapsed().Seconds(), "events/s")
}
