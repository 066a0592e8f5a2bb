package tetraparse

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/internal/synth"
)

// benchCorpus is generated once per process (never committed): 20,000
// events of realistic Tetragon export, ~2 KB each.
var benchCorpus = sync.OnceValues(func() ([]byte, int) {
	var b bytes.Buffer
	const n = 20000
	synth.New(synth.Config{Seed: 42, Events: n}).WriteTo(&b)
	return b.Bytes(), n
})

func reportEvents(b *testing.B, events int) {
	b.ReportMetric(float64(events)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// BenchmarkDecode measures Decode alone (allocating a fresh Event per line,
// as a caller of the public function does).
func BenchmarkDecode(b *testing.B) {
	data, n := benchCorpus()
	lines := bytes.Split(bytes.TrimSpace(data), []byte{'\n'})
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for _, l := range lines {
			if _, err := Decode(l); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, n)
}

// BenchmarkParse measures the full path on one core: line splitting,
// decode, filter, kprobe extraction and Arrow append.
func BenchmarkParse(b *testing.B) {
	data, n := benchCorpus()
	benchParse(b, data, n)
}

// benchParse parses data (events lines) once per iteration on one core,
// with the target inums of the samples, and reports MB/s and events/s.
func benchParse(b *testing.B, data []byte, events int) {
	p, err := New(Config{TargetInums: []uint64{4026533329, 4026533387}, Workers: 1})
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		for _, err := range p.Records(bytes.NewReader(data), "bench.json") {
			if err != nil {
				b.Fatal(err)
			}
		}
	}
	reportEvents(b, events)
}

// BenchmarkParseShared parses the shared realistic samples (skipped
// without ../shared), for comparison with the generated corpus.
func BenchmarkParseShared(b *testing.B) {
	dir := goldentest.SharedTestdata()
	if dir == "" {
		b.Skip("../shared/testdata not present")
	}
	var data []byte
	for _, f := range []string{"sample-train.jsonl", "sample-small.jsonl"} {
		d, err := os.ReadFile(filepath.Join(dir, "tetragon", f))
		if err != nil {
			b.Fatal(err)
		}
		data = append(data, d...)
	}
	benchParse(b, data, bytes.Count(data, []byte{'\n'}))
}
