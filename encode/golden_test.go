package encode

import (
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// parseShared parses a full shared sample with the golden README's parser
// configuration, skipping the test without ../shared.
func parseShared(t testing.TB, rel string, batch int) []arrow.RecordBatch {
	t.Helper()
	dir := goldentest.SharedTestdata()
	if dir == "" {
		t.Skip("../shared not present")
	}
	return parseSample(t, dir, rel, batch)
}

// parseSample parses rel under dir (a Source's Testdata) with the golden
// README's parser configuration.
func parseSample(t testing.TB, dir, rel string, batch int) []arrow.RecordBatch {
	t.Helper()
	p, err := tetraparse.New(sampleConfig(t, dir, rel, batch))
	require.NoError(t, err)
	var recs []arrow.RecordBatch
	for rec, err := range p.Files([]string{filepath.Join(dir, rel)}) {
		require.NoError(t, err)
		rec.Retain()
		recs = append(recs, rec)
	}
	t.Cleanup(func() {
		for _, r := range recs {
			r.Release()
		}
	})
	return recs
}

// encodeAll builds the graph from seeds then inputs (the reference's batch
// mode) and encodes inputs.
func encodeAll(t testing.TB, defs *schema.Definitions, seeds, inputs []arrow.RecordBatch, opts ...Option) ([]arrow.RecordBatch, *Encoder) {
	t.Helper()
	g := lineage.New()
	for _, r := range append(append([]arrow.RecordBatch{}, seeds...), inputs...) {
		require.NoError(t, g.AddBatch(r))
	}
	enc, err := New(defs, g, opts...)
	require.NoError(t, err)
	var out []arrow.RecordBatch
	for _, r := range inputs {
		rec, err := enc.Encode(r)
		require.NoError(t, err)
		out = append(out, rec)
	}
	t.Cleanup(func() {
		for _, r := range out {
			r.Release()
		}
	})
	return out, enc
}

func TestGoldenParity(t *testing.T) {
	src := goldentest.Parity()
	t.Log("parity against", src.Describe())
	type run struct {
		golden, input, seed string
	}
	for _, r := range []run{
		{"sample-train.golden.jsonl.gz", "tetragon/sample-train.jsonl", ""},
		{"sample-small.golden.jsonl.gz", "tetragon/sample-small.jsonl", "tetragon/sample-train.jsonl"},
		{"tetragon-docs.golden.jsonl", "tetragon-docs/events.jsonl", ""},
	} {
		t.Run(r.golden, func(t *testing.T) {
			rows, err := goldentest.Read(filepath.Join(src.Golden, r.golden))
			require.NoError(t, err)
			inputs := parseSample(t, src.Testdata, r.input, 1000)
			var seeds []arrow.RecordBatch
			if r.seed != "" {
				seeds = parseSample(t, src.Testdata, r.seed, 1000)
			}
			out, enc := encodeAll(t, schema.Default(), seeds, inputs)
			names := make([]string, 0)
			for _, c := range schema.Default().Columns() {
				names = append(names, c.Name())
			}
			counts, examples := goldentest.Mismatches(out, rows, "encoded", names)
			keys := make([]string, 0, len(counts))
			for k := range counts {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				t.Errorf("column %s: %d mismatches of %d rows", k, counts[k], len(rows))
			}
			t.Logf("%d columns x %d rows compared; %d columns with mismatches", len(names), len(rows), len(keys))
			for _, e := range examples {
				t.Log(e)
			}
			st := enc.Stats()
			require.EqualValues(t, len(rows), st.Rows)
			if !src.Full {
				return // the reference's counters exist for the full samples only
			}
			ref := readBatchStats(t, filepath.Join(src.Golden, strings.Split(r.golden, ".")[0]+".stats.json"))
			require.Equal(t, ref, map[string]int64{
				"lineage_parent_fallback_used": st.LineageFallbackUsed,
				"lineage_missing_parent":       st.LineageMissingParent,
				"lineage_cycle_detected":       st.LineageCycles,
				"negative_delta_t_prev":        st.NegativeDeltas,
			})
		})
	}
}

func readBatchStats(t *testing.T, path string) map[string]int64 {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var doc struct {
		BatchStats map[string]int64 `json:"batch_stats"`
	}
	require.NoError(t, json.Unmarshal(data, &doc))
	return doc.BatchStats
}
