package anonymize

import (
	"bytes"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/internal/synth"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// testKey is a fixed HMAC key for tests (never use a constant key for a
// real release).
var testKey = []byte("0123456789abcdef0123456789abcdef")

// rawInput returns raw batches of the shared samples (train, then test)
// when ../shared is present, else of generated export.
func rawInput(t testing.TB, batch int) (recs []arrow.RecordBatch, shared bool) {
	return rawInputFrom(t, batch, true)
}

// rawInputFrom is rawInput; useShared false forces generated export.
func rawInputFrom(t testing.TB, batch int, useShared bool) (recs []arrow.RecordBatch, shared bool) {
	t.Helper()
	var cfg tetraparse.Config
	var files []string
	if dir := goldentest.SharedTestdata(); dir != "" && useShared {
		files = []string{
			filepath.Join(dir, "tetragon", "sample-train.jsonl"),
			filepath.Join(dir, "tetragon", "sample-small.jsonl"),
		}
		f, err := os.Open(filepath.Join(dir, "tetragon", "sample.sentinels.csv"))
		require.NoError(t, err)
		windows, err := tetraparse.ReadWindows(f)
		f.Close()
		require.NoError(t, err)
		cfg = tetraparse.Config{TargetInums: []uint64{4026533329, 4026533387}, NodeName: "prox1", Sentinels: windows}
		shared = true
	}
	cfg.BatchSize = batch
	cfg.Workers = 1
	p, err := tetraparse.New(cfg)
	require.NoError(t, err)
	if shared {
		for rec, err := range p.Files(files) {
			require.NoError(t, err)
			rec.Retain()
			recs = append(recs, rec)
		}
	} else {
		var b bytes.Buffer
		synth.New(synth.Config{Seed: 5, Events: 6000}).WriteTo(&b)
		for rec, err := range p.Records(&b, "synth.json") {
			require.NoError(t, err)
			rec.Retain()
			recs = append(recs, rec)
		}
	}
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs, shared
}

// encodedInput returns encoded batches of rawInput (lineage built from
// all input first, the reference's batch mode).
func encodedInput(t testing.TB, batch int) []arrow.RecordBatch {
	return encodedInputFrom(t, batch, true)
}

// encodedCache keeps the encoded inputs for the whole test binary: they
// are read-only, and parsing and encoding them again for every test would
// dominate the run time (under -race especially).
var encodedCache struct {
	sync.Mutex
	m map[[2]int][]arrow.RecordBatch
}

// encodedInputFrom is encodedInput; useShared false forces generated
// export. Callers must not release the batches.
func encodedInputFrom(t testing.TB, batch int, useShared bool) []arrow.RecordBatch {
	t.Helper()
	key := [2]int{batch, 0}
	if useShared {
		key[1] = 1
	}
	encodedCache.Lock()
	defer encodedCache.Unlock()
	if recs, ok := encodedCache.m[key]; ok {
		return recs
	}
	raw, _ := rawInputFrom(t, batch, useShared)
	g := lineage.New()
	for _, r := range raw {
		require.NoError(t, g.AddBatch(r))
	}
	enc, err := encode.New(schema.Default(), g)
	require.NoError(t, err)
	var out []arrow.RecordBatch
	for _, r := range raw {
		rec, err := enc.Encode(r)
		require.NoError(t, err)
		out = append(out, rec)
	}
	if encodedCache.m == nil {
		encodedCache.m = map[[2]int][]arrow.RecordBatch{}
	}
	encodedCache.m[key] = out
	return out
}

// column returns the named column of rec.
func column(t testing.TB, rec arrow.RecordBatch, name string) arrow.Array {
	t.Helper()
	idx := rec.Schema().FieldIndices(name)
	require.Len(t, idx, 1, name)
	return rec.Column(idx[0])
}

// strings returns the values of a string column ("" for nulls).
func stringsOf(t testing.TB, rec arrow.RecordBatch, name string) []string {
	t.Helper()
	a := column(t, rec, name).(*array.String)
	out := make([]string, a.Len())
	for i := range out {
		out[i] = a.Value(i)
	}
	return out
}

// replaceColumns returns rec with the named string columns replaced by
// the given values.
func replaceColumns(t testing.TB, rec arrow.RecordBatch, cols map[string][]string) arrow.RecordBatch {
	t.Helper()
	arrays := make([]arrow.Array, rec.NumCols())
	for i, f := range rec.Schema().Fields() {
		vals, ok := cols[f.Name]
		if !ok {
			arrays[i] = rec.Column(i)
			arrays[i].Retain()
			continue
		}
		require.Len(t, vals, int(rec.NumRows()))
		b := array.NewStringBuilder(memory.DefaultAllocator)
		in := rec.Column(i)
		for k, v := range vals {
			if in.IsNull(k) {
				b.AppendNull()
			} else {
				b.Append(v)
			}
		}
		arrays[i] = b.NewArray()
		b.Release()
	}
	out := array.NewRecordBatch(rec.Schema(), arrays, rec.NumRows())
	for _, a := range arrays {
		a.Release()
	}
	return out
}

// applyAll runs p over every batch and returns the outputs (released at
// cleanup).
func applyAll(t testing.TB, p *Pipeline, recs []arrow.RecordBatch) []arrow.RecordBatch {
	t.Helper()
	var out []arrow.RecordBatch
	for _, r := range recs {
		o, err := p.Apply(r)
		require.NoError(t, err)
		out = append(out, o)
	}
	t.Cleanup(func() {
		for _, r := range out {
			r.Release()
		}
	})
	return out
}
