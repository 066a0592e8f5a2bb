package lineage

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// benchN is the graph size the targets are stated for.
const benchN = 1_000_000

// fixture is a realistic process population: Tetragon-style exec_ids
// (base64 of "node:ktime:pid", 40 bytes), a random recursive forest (each
// process's parent drawn among the earlier ones, mean depth about
// ln n = 14), one process in a thousand starting a tree whose root's
// parent never registers (in the shared samples every event's root is
// systemd), and a few dozen binaries.
type fixture struct {
	ids, parents, bins []string
	strBytes           int // bytes of the distinct strings the graph interns
	meanIDLen          float64
}

var (
	fixOnce sync.Once
	fix     *fixture
)

func benchFixture() *fixture {
	fixOnce.Do(func() {
		rng := rand.New(rand.NewPCG(42, 42))
		execID := func(ktime int64) string {
			return base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "prox1:%d:%d", ktime, 1_000_000+rng.IntN(4_000_000)))
		}
		f := &fixture{ids: make([]string, benchN), parents: make([]string, benchN), bins: make([]string, benchN)}
		binaries := make([]string, 60)
		for k := range binaries {
			binaries[k] = fmt.Sprintf("/usr/lib/pkg%d/bin/tool-%d", k%7, k)
			f.strBytes += len(fmt.Sprintf("tool-%d", k))
		}
		ktime := int64(560993660000000)
		for i := range f.ids {
			ktime += int64(1 + rng.IntN(20_000_000))
			f.ids[i] = execID(ktime)
			f.strBytes += len(f.ids[i])
			f.meanIDLen += float64(len(f.ids[i])) / benchN
			switch {
			case i == 0 || rng.IntN(1000) == 0:
				f.parents[i] = execID(ktime - 1) // never registers
				f.strBytes += len(f.parents[i])
			default:
				f.parents[i] = f.ids[rng.IntN(i)]
			}
			f.bins[i] = binaries[rng.IntN(len(binaries))]
		}
		fix = f
	})
	return fix
}

func (f *fixture) build(opts ...Option) *Graph {
	g := New(opts...)
	for i := range f.ids {
		g.Add(f.ids[i], f.parents[i], f.parents[i], f.bins[i])
	}
	return g
}

func (f *fixture) warm(g *Graph) {
	for _, id := range f.ids {
		g.Lookup(id)
	}
}

func heapAlloc() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMemory builds a 1M-process graph per op and reports heap bytes
// per process, total and beyond the interned strings, with memos filled
// (their slot exists from the start anyway).
func BenchmarkMemory(b *testing.B) {
	f := benchFixture()
	b.ReportMetric(f.meanIDLen, "id-bytes")
	report := func(b *testing.B, build func() *Graph) {
		var total, overhead float64
		for b.Loop() {
			b.StopTimer()
			before := heapAlloc()
			b.StartTimer()
			g := build()
			b.StopTimer()
			f.warm(g)
			after := heapAlloc()
			runtime.KeepAlive(g)
			total = float64(after-before) / benchN
			overhead = float64(int(after-before)-f.strBytes) / benchN
			b.StartTimer()
		}
		b.ReportMetric(total, "B/process")
		b.ReportMetric(overhead, "B-overhead/process")
		b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/process")
	}
	b.Run("Add", func(b *testing.B) { report(b, func() *Graph { return f.build() }) })
	b.Run("AddWithCapacity", func(b *testing.B) {
		report(b, func() *Graph { return f.build(WithCapacity(benchN + benchN/50)) })
	})
	var enc bytes.Buffer
	if _, err := f.build().WriteTo(&enc); err != nil {
		b.Fatal(err)
	}
	b.Run("ReadFrom", func(b *testing.B) {
		report(b, func() *Graph {
			g := New()
			if _, err := g.ReadFrom(bytes.NewReader(enc.Bytes())); err != nil {
				b.Fatal(err)
			}
			return g
		})
	})
}

// BenchmarkAdd measures one Add: of a new process into graphs growing to
// 1M processes, and of a process already registered (the per-event case).
func BenchmarkAdd(b *testing.B) {
	f := benchFixture()
	b.Run("new", func(b *testing.B) {
		var g *Graph
		i := 0
		for b.Loop() {
			if i == 0 {
				b.StopTimer()
				g = New()
				runtime.GC()
				b.StartTimer()
			}
			g.Add(f.ids[i], f.parents[i], f.parents[i], f.bins[i])
			if i++; i == benchN {
				i = 0
			}
		}
	})
	b.Run("repeat", func(b *testing.B) {
		g := f.build()
		perm := rand.New(rand.NewPCG(1, 2)).Perm(benchN)
		i := 0
		for b.Loop() {
			k := perm[i]
			g.Add(f.ids[k], f.parents[k], f.parents[k], f.bins[k])
			if i++; i == benchN {
				i = 0
			}
		}
	})
}

// BenchmarkAddBatch measures AddBatch on 64Ki-row Arrow batches.
func BenchmarkAddBatch(b *testing.B) {
	f := benchFixture()
	const rows = 1 << 16
	mem := memory.NewGoAllocator()
	var recs []arrow.RecordBatch
	for start := 0; start < benchN; start += rows {
		end := min(start+rows, benchN)
		cols := []col{{name: ColProcExecID}, {name: ColProcParentExecID}, {name: ColParentExecID}, {name: ColProcBinary}}
		for i := start; i < end; i++ {
			cols[0].vals = append(cols[0].vals, &f.ids[i])
			cols[1].vals = append(cols[1].vals, &f.parents[i])
			cols[2].vals = append(cols[2].vals, &f.parents[i])
			cols[3].vals = append(cols[3].vals, &f.bins[i])
		}
		recs = append(recs, makeRecord(b, mem, cols...))
	}
	defer func() {
		for _, r := range recs {
			r.Release()
		}
	}()
	for b.Loop() {
		g := New()
		for _, r := range recs {
			if err := g.AddBatch(r); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/benchN, "ns/row")
}

// BenchmarkLookup measures Lookup on a 1M-process graph with every memo
// filled:
//
//   - cached-random-1M: random order over all processes, so every access
//     (hash slot, node, exec_id bytes) misses the caches and the TLB: the
//     worst case, bound by memory latency;
//   - cached-random-4Ki: a fixed random subset of 4096 processes, scattered
//     over the whole graph;
//   - cached-recent-4Ki: the 4096 most recently registered processes in
//     random order, what a live event stream mostly asks for;
//   - cached-same: one process again and again (a burst of its events);
//   - first-lookup: memo misses, parents before children;
//   - parallel: cached-random-1M from every core;
//   - For: Lookup plus the parent check, random over all processes.
//
// The map-* cases time a bare map[string]int32 access with the same keys
// and order: the floor for any exec_id -> state lookup on the machine.
func BenchmarkLookup(b *testing.B) {
	f := benchFixture()
	g := f.build()
	f.warm(g)
	perm := rand.New(rand.NewPCG(3, 4)).Perm(benchN)
	recent := f.ids[benchN-4096:]
	lookups := func(b *testing.B) {
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mlookups/s")
	}
	b.Run("cached-random-1M", func(b *testing.B) {
		i := 0
		for b.Loop() {
			g.Lookup(f.ids[perm[i]])
			if i++; i == benchN {
				i = 0
			}
		}
		lookups(b)
	})
	b.Run("cached-random-4Ki", func(b *testing.B) {
		i := 0
		for b.Loop() {
			g.Lookup(f.ids[perm[i&4095]])
			i++
		}
		lookups(b)
	})
	b.Run("cached-recent-4Ki", func(b *testing.B) {
		i := 0
		for b.Loop() {
			g.Lookup(recent[perm[i&4095]&4095])
			i++
		}
		lookups(b)
	})
	b.Run("cached-same", func(b *testing.B) {
		for b.Loop() {
			g.Lookup(recent[7])
		}
		lookups(b)
	})
	b.Run("first-lookup", func(b *testing.B) {
		cold := f.build()
		i := 0
		for b.Loop() {
			cold.Lookup(f.ids[i])
			if i++; i == benchN {
				b.StopTimer()
				for k := range cold.nodes {
					cold.nodes[k].memo = 0
				}
				i = 0
				b.StartTimer()
			}
		}
		lookups(b)
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := rand.IntN(benchN)
			for pb.Next() {
				g.Lookup(f.ids[perm[i]])
				if i++; i == benchN {
					i = 0
				}
			}
		})
		lookups(b)
	})
	b.Run("For-cached-random-1M", func(b *testing.B) {
		i := 0
		for b.Loop() {
			k := perm[i]
			g.For(f.ids[k], f.parents[k], f.parents[k])
			if i++; i == benchN {
				i = 0
			}
		}
		lookups(b)
	})
	// The keys are copies, so that, as in the graph (and with exec_ids read
	// from Arrow buffers), a hit compares bytes instead of finding the
	// very same string pointer.
	m := make(map[string]int32, benchN)
	for i, id := range f.ids {
		m[strings.Clone(id)] = int32(i)
	}
	var sink int32
	b.Run("map-random-1M", func(b *testing.B) {
		i := 0
		for b.Loop() {
			sink += m[f.ids[perm[i]]]
			if i++; i == benchN {
				i = 0
			}
		}
		lookups(b)
	})
	b.Run("map-recent-4Ki", func(b *testing.B) {
		i := 0
		for b.Loop() {
			sink += m[recent[perm[i&4095]&4095]]
			i++
		}
		lookups(b)
	})
	_ = sink
}

// BenchmarkRoundTrip writes a 1M-process graph with WriteTo and reads it
// back with ReadFrom.
func BenchmarkRoundTrip(b *testing.B) {
	g := benchFixture().build()
	var buf bytes.Buffer
	var write, read time.Duration
	for b.Loop() {
		buf.Reset()
		t0 := time.Now()
		if _, err := g.WriteTo(&buf); err != nil {
			b.Fatal(err)
		}
		t1 := time.Now()
		if _, err := New().ReadFrom(&buf); err != nil {
			b.Fatal(err)
		}
		write += t1.Sub(t0)
		read += time.Since(t1)
	}
	b.ReportMetric(float64(write.Milliseconds())/float64(b.N), "ms-write")
	b.ReportMetric(float64(read.Milliseconds())/float64(b.N), "ms-read")
	b.ReportMetric(float64(buf.Cap())/1e6, "MB-buffer")
}
