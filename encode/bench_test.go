package encode

import (
	"bytes"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
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

// liveBench is the set-up of the per-event benchmarks: the first half of
// the generated input seeds the graph (the training split), the second
// half is the live stream, taken line by line and cycled through.
type liveBench struct {
	lines [][]byte
	g     *lineage.Graph
}

func newLiveBench(b *testing.B) liveBench {
	data := benchInput()
	lines := bytes.Split(bytes.TrimSuffix(data, []byte{'\n'}), []byte{'\n'})
	cut := len(lines) / 2
	p := benchParser(b, nil)
	g := lineage.New()
	for _, rec := range parseBench(b, p, bytes.Join(lines[:cut], []byte{'\n'})) {
		if err := g.AddBatch(rec); err != nil {
			b.Fatal(err)
		}
		rec.Release()
	}
	return liveBench{lines: lines[cut:], g: g}
}

// latencies records the time of each event in a ring, and reports the
// median and 99th percentile of the last million.
type latencies struct {
	ns []int64
	n  int
}

func newLatencies() *latencies { return &latencies{ns: make([]int64, 1<<20)} }

func (l *latencies) add(d time.Duration) {
	l.ns[l.n%len(l.ns)] = int64(d)
	l.n++
}

func (l *latencies) report(b *testing.B) {
	s := slices.Clone(l.ns[:min(l.n, len(l.ns))])
	slices.Sort(s)
	if len(s) == 0 {
		return
	}
	b.ReportMetric(float64(s[len(s)/2]), "p50-ns")
	b.ReportMetric(float64(s[len(s)*99/100]), "p99-ns")
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}

// newLive returns a Live over an encoder of lb's seeded graph and a parser
// that builds only the encoder's raw columns, as a live service sets up.
func (lb *liveBench) newLive(b *testing.B) *Live {
	b.Helper()
	enc, err := New(nil, lb.g)
	if err != nil {
		b.Fatal(err)
	}
	p, err := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	if err != nil {
		b.Fatal(err)
	}
	l, err := NewLive(p, enc, "live")
	if err != nil {
		b.Fatal(err)
	}
	return l
}

// BenchmarkLiveEvent measures a live service's path on one goroutine: one
// Tetragon line in, its Features out (Live.Line: decode, filter, graph
// update and lookup, encode), with a graph seeded from a training split.
// ns/op and B/op are per event; p50-ns and p99-ns are the distribution of
// single events (each timed, which adds two clock reads).
func BenchmarkLiveEvent(b *testing.B) {
	lb := newLiveBench(b)
	l := lb.newLive(b)
	defer l.Close()
	lat := newLatencies()
	var sink int64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		line := lb.lines[i%len(lb.lines)]
		i++
		start := time.Now()
		fs, err := l.Line(line)
		if err != nil {
			b.Fatal(err)
		}
		for k := range fs {
			sink += fs[k].Codes()[0]
		}
		lat.add(time.Since(start))
	}
	lat.report(b)
	_ = sink
}

// BenchmarkLiveLines is BenchmarkLiveEvent with the lines taken 64 at a
// time (Live.Lines, as a service does when lines are waiting): ns/op and
// B/op are per event.
func BenchmarkLiveLines(b *testing.B) {
	lb := newLiveBench(b)
	l := lb.newLive(b)
	defer l.Close()
	const chunk = 64
	var sink int64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		if i%chunk == 0 {
			k := i % len(lb.lines)
			fs, err := l.Lines(lb.lines[k:min(len(lb.lines), k+chunk)])
			if err != nil {
				b.Fatal(err)
			}
			for k := range fs {
				sink += fs[k].Codes()[0]
			}
		}
		i++
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
	_ = sink
}

// BenchmarkRecordsPlusEncodeOneLine measures what the live path replaces:
// each line parsed by Parser.Records as a stream of its own and encoded
// as a one-row Arrow batch (WithIncrementalLineage), a feature read from
// the Arrow column.
func BenchmarkRecordsPlusEncodeOneLine(b *testing.B) {
	lb := newLiveBench(b)
	enc, err := New(nil, lb.g, WithIncrementalLineage())
	if err != nil {
		b.Fatal(err)
	}
	p, err := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	if err != nil {
		b.Fatal(err)
	}
	col := enc.Schema().FieldIndices("f_event_type")[0]
	lat := newLatencies()
	var sink int64
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		line := lb.lines[i%len(lb.lines)]
		i++
		start := time.Now()
		for raw, err := range p.Records(bytes.NewReader(line), "live") {
			if err != nil {
				b.Fatal(err)
			}
			out, err := enc.Encode(raw)
			if err != nil {
				b.Fatal(err)
			}
			sink += int64(out.Column(col).(*array.Uint8).Value(0))
			out.Release()
		}
		lat.add(time.Since(start))
	}
	lat.report(b)
	_ = sink
}
