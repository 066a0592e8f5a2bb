package tetraparse

import (
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
)

// goldenRun is one reference run of the shared golden README.
type goldenRun struct {
	golden, input string
	targets       []uint64
	sentinels     bool
}

func goldenRuns(t *testing.T) (goldentest.Source, []goldenRun) {
	src := goldentest.Parity()
	t.Log("parity against", src.Describe())
	return src, []goldenRun{
		{"sample-train", "tetragon/sample-train.jsonl", []uint64{4026533329, 4026533387}, true},
		{"sample-small", "tetragon/sample-small.jsonl", []uint64{4026533329, 4026533387}, true},
		{"tetragon-docs", "tetragon-docs/events.jsonl", nil, false},
	}
}

func parseAll(t *testing.T, p *Parser, paths ...string) []arrow.RecordBatch {
	t.Helper()
	var recs []arrow.RecordBatch
	for rec, err := range p.Files(paths) {
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

func referenceParser(t *testing.T, src goldentest.Source, run goldenRun) *Parser {
	t.Helper()
	cfg := Config{TargetInums: run.targets, NodeName: "prox1", BatchSize: 500}
	if run.sentinels {
		f, err := os.Open(filepath.Join(src.Testdata, "tetragon", "sample.sentinels.csv"))
		require.NoError(t, err)
		defer f.Close()
		cfg.Sentinels, err = ReadWindows(f)
		require.NoError(t, err)
	}
	p, err := New(cfg)
	require.NoError(t, err)
	return p
}

func TestGoldenParity(t *testing.T) {
	src, runs := goldenRuns(t)
	for _, run := range runs {
		t.Run(run.golden, func(t *testing.T) {
			golden := filepath.Join(src.Golden, run.golden+".golden.jsonl")
			if _, err := os.Stat(golden); err != nil {
				golden += ".gz"
			}
			rows, err := goldentest.Read(golden)
			require.NoError(t, err)
			p := referenceParser(t, src, run)
			input := filepath.Join(src.Testdata, run.input)
			recs := parseAll(t, p, input)
			// The docs run was recorded under another file name.
			if run.golden == "tetragon-docs" {
				for i := range rows {
					rows[i].Raw.Values["_source_file"] = "events.jsonl"
				}
			}
			counts, examples := goldentest.Mismatches(recs, rows, "raw", rows[0].Raw.Names)
			if len(counts) > 0 {
				keys := make([]string, 0, len(counts))
				for k := range counts {
					keys = append(keys, k)
				}
				sort.Strings(keys)
				for _, k := range keys {
					t.Errorf("column %s: %d mismatches", k, counts[k])
				}
				for _, e := range examples {
					t.Log(e)
				}
			}
			st := p.Stats()
			require.NoError(t, st.Check())
			require.EqualValues(t, len(rows), st.Kept())
			t.Logf("%d rows × %d raw columns compared", len(rows), len(rows[0].Raw.Names))
			if src.Full { // the reference's counters exist for the full samples only
				want := readReferenceStats(t, filepath.Join(src.Golden, run.golden+".stats.json"))
				require.Equal(t, want, st.Reference())
			}
		})
	}
}
