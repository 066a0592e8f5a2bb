package encode

import (
	"bytes"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

const benchEvents = 50000

var benchInput = sync.OnceValue(func() []byte {
	var b bytes.Buffer
	synth.New(synth.Config{Seed: 11, Events: benchEvents}).WriteTo(&b)
	return b.Bytes()
})

// benchBatchRows is the batch size of the benchmarks: the corpus
// builder's default.
const benchBatchRows = 16384

// benchParser returns the benchmarks' parser, building cols (nil: all).
func benchParser(b *testing.B, cols []string) *tetraparse.Parser {
	p, err := tetraparse.New(tetraparse.Config{Workers: 1, Columns: cols, BatchSize: benchBatchRows})
	if err != nil {
		b.Fatal(err)
	}
	return p
}

// parseBench parses data into retained batches.
func parseBench(b *testing.B, p *tetraparse.Parser, data []byte) []arrow.RecordBatch {
	var recs []arrow.RecordBatch
	for rec, err := range p.Records(bytes.NewReader(data), "bench.json") {
		if err != nil {
			b.Fatal(err)
		}
		rec.Retain()
		recs = append(recs, rec)
	}
	return recs
}

// encodeBench encodes every batch with a new Encoder over g, discarding
// the output.
func encodeBench(b *testing.B, g *lineage.Graph, raw []arrow.RecordBatch) {
	enc, err := New(schema.Default(), g)
	if err != nil {
		b.Fatal(err)
	}
	defer enc.Release()
	for _, r := range raw {
		out, err := enc.Encode(r)
		if err != nil {
			b.Fatal(err)
		}
		out.Release()
	}
}

// BenchmarkEncode measures encoding alone: raw batches parsed once, the
// lineage graph built once, then every batch encoded per iteration.
func BenchmarkEncode(b *testing.B) {
	raw := parseBench(b, benchParser(b, nil), benchInput())
	g := lineage.New()
	rows := 0
	for _, r := range raw {
		g.AddBatch(r)
		rows += int(r.NumRows())
	}
	b.ReportAllocs()
	for b.Loop() {
		encodeBench(b, g, raw)
	}
	b.ReportMetric(float64(rows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkEndToEnd measures parse → lineage → encode on one core, the
// reference's batch mode (graph built before encoding): with the parser
// building the whole raw table, and building only the encoder's
// RawColumns, as a service that only encodes would.
func BenchmarkEndToEnd(b *testing.B) {
	probe, err := New(nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		cols []string
	}{{"all-columns", nil}, {"encoder-columns", probe.RawColumns()}} {
		b.Run(bc.name, func(b *testing.B) {
			// One Parser, as a service keeps: its column buffers are sized
			// by the first input (BenchmarkParse does the same).
			p := benchParser(b, bc.cols)
			data := benchInput()
			b.SetBytes(int64(len(data)))
			b.ReportAllocs()
			for b.Loop() {
				raw := parseBench(b, p, data)
				g := lineage.New()
				for _, r := range raw {
					g.AddBatch(r)
				}
				encodeBench(b, g, raw)
				for _, r := range raw {
					r.Release()
				}
			}
			b.ReportMetric(float64(benchEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
		})
	}
}
