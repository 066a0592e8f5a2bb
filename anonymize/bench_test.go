package anonymize

import (
	"bytes"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// benchRows is the size of the benchmark corpus.
const benchRows = 1_000_000

// benchInput is a million encoded rows: generated export of 50,000
// events, encoded once in batches of 65,536 rows and repeated. The
// repeats share exec ids, as the events of one corpus do (a process has
// many events), so the exec-id cache is exercised as in a real build.
var benchInput = sync.OnceValues(func() ([]arrow.RecordBatch, error) {
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 11, Events: 50_000}).WriteTo(&b)
	p, err := tetraparse.New(tetraparse.Config{Workers: 1})
	if err != nil {
		return nil, err
	}
	var raw []arrow.RecordBatch
	for rec, err := range p.Records(&b, "bench.json") {
		if err != nil {
			return nil, err
		}
		rec.Retain()
		raw = append(raw, rec)
	}
	g := lineage.New()
	for _, r := range raw {
		if err := g.AddBatch(r); err != nil {
			return nil, err
		}
	}
	enc, err := encode.New(schema.Default(), g)
	if err != nil {
		return nil, err
	}
	var set []arrow.RecordBatch
	for _, r := range raw {
		out, err := enc.Encode(r)
		if err != nil {
			return nil, err
		}
		set = append(set, out)
		r.Release()
	}
	var recs []arrow.RecordBatch
	for rows := 0; rows < benchRows; {
		for _, r := range set {
			recs = append(recs, r)
			rows += int(r.NumRows())
		}
	}
	return recs, nil
})

// reportRows reports rows per wall-second and, where the platform tells,
// rows per CPU-second of the whole process (garbage collection included):
// the per-core throughput, which contention on a shared machine does not
// distort.
func reportRows(b *testing.B, rows int, cpu0 time.Duration) {
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
	if cpu := cpuTime() - cpu0; cpu > 0 && cpu0 > 0 {
		b.ReportMetric(float64(rows)*float64(b.N)/cpu.Seconds(), "rows/cpu-s")
	}
}

func benchRecs(b *testing.B) ([]arrow.RecordBatch, int) {
	recs, err := benchInput()
	if err != nil {
		b.Fatal(err)
	}
	rows := 0
	for _, r := range recs {
		rows += int(r.NumRows())
	}
	return recs, rows
}

// BenchmarkApply measures a whole release run per iteration: a new
// Pipeline (cold caches, one HMAC per distinct exec id), the collection
// pass, then Apply — transformation and post-write assertions — on about
// a million encoded rows.
func BenchmarkApply(b *testing.B) {
	recs, rows := benchRecs(b)
	pol := leakPolicy()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		p, err := New(pol, WithKey(testKey))
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range recs {
			if err := p.Observe(r); err != nil {
				b.Fatal(err)
			}
		}
		for _, r := range recs {
			out, err := p.Apply(r)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
		p.Finish()
	}
	reportRows(b, rows, cpu0)
}

// BenchmarkApplyWarm measures Apply alone with warm caches (a pipeline
// that has already seen the corpus), the steady state of a long build.
func BenchmarkApplyWarm(b *testing.B) {
	recs, rows := benchRecs(b)
	p, err := New(leakPolicy(), WithKey(testKey))
	if err != nil {
		b.Fatal(err)
	}
	for _, r := range recs[:len(recs)/4] {
		out, err := p.Apply(r)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		for _, r := range recs {
			out, err := p.Apply(r)
			if err != nil {
				b.Fatal(err)
			}
			out.Release()
		}
	}
	reportRows(b, rows, cpu0)
}

// BenchmarkVerify measures the standalone assertions over released
// batches (re-checking written shards).
func BenchmarkVerify(b *testing.B) {
	recs, rows := benchRecs(b)
	p, err := New(leakPolicy(), WithKey(testKey))
	if err != nil {
		b.Fatal(err)
	}
	var outs []arrow.RecordBatch
	for _, r := range recs {
		out, err := p.Apply(r)
		if err != nil {
			b.Fatal(err)
		}
		defer out.Release()
		outs = append(outs, out)
	}
	aliases, _ := p.Finish()
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		v, err := NewVerifier(leakPolicy(), aliases, nil)
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range outs {
			if err := v.Verify(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	reportRows(b, rows, cpu0)
}

// BenchmarkMatchKey measures the matching form of released strings: the
// ASCII path every common value takes, the Unicode path, and the
// percent-decoded view.
func BenchmarkMatchKey(b *testing.B) {
	for _, tc := range []struct{ name, s string }{
		{"ascii", "/home/_user_/workspace/_project_/node_modules/.bin/"},
		{"ascii-upper", "NET_CONNECT:custom_tool_001:PUBLIC:WEB"},
		{"unicode", "/srv/ju\u0308rgen/\uff44\uff41\uff54\uff41/\u0440\u0435\u043f\u043e/"},
	} {
		b.Run(tc.name, func(b *testing.B) {
			f := newFolder()
			b.SetBytes(int64(len(tc.s)))
			b.ReportAllocs()
			for b.Loop() {
				f.reset(tc.s)
			}
		})
	}
	// The percent-decoded view, which only text holding an escape has.
	b.Run("percent-decoded", func(b *testing.B) {
		s := "/srv/sigr%C3%BCn/%2570roject/x%20y/"
		f := newFolder()
		b.SetBytes(int64(len(s)))
		b.ReportAllocs()
		for b.Loop() {
			f.resetDecoded(s)
		}
	})
}
