package encode

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/stretchr/testify/require"
	"github.com/tetrahids/tetrahids/internal/goldentest"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// sharedConfig is the golden README's parser configuration for a shared
// input (rel under ../shared/testdata), with the given batch size; it
// skips the test without ../shared.
func sharedConfig(t testing.TB, rel string, batch int) tetraparse.Config {
	t.Helper()
	dir := goldentest.SharedTestdata()
	if dir == "" {
		t.Skip("../shared not present")
	}
	return sampleConfig(t, dir, rel, batch)
}

// sampleConfig is the golden README's parser configuration for rel under
// dir (a Source's Testdata).
func sampleConfig(t testing.TB, dir, rel string, batch int) tetraparse.Config {
	t.Helper()
	f, err := os.Open(filepath.Join(dir, "tetragon", "sample.sentinels.csv"))
	require.NoError(t, err)
	windows, err := tetraparse.ReadWindows(f)
	f.Close()
	require.NoError(t, err)
	cfg := tetraparse.Config{TargetInums: []uint64{4026533329, 4026533387}, NodeName: "prox1", Sentinels: windows, BatchSize: batch}
	if rel == "tetragon-docs/events.jsonl" {
		cfg.TargetInums, cfg.Sentinels = nil, nil
	}
	return cfg
}

// sharedLines returns the lines of a shared input.
func sharedLines(t testing.TB, rel string) [][]byte {
	t.Helper()
	return sampleLines(t, goldentest.SharedTestdata(), rel)
}

// sampleLines returns the lines of rel under dir.
func sampleLines(t testing.TB, dir, rel string) [][]byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, rel))
	require.NoError(t, err)
	return bytes.Split(bytes.TrimSuffix(data, []byte("\n")), []byte("\n"))
}

// goldenCell renders a Features value as goldentest.Format renders the
// golden one.
func goldenCell(f *Features, name string) string {
	v, ok := f.Value(name)
	switch {
	case !ok:
		return "<missing column>"
	case v.Null:
		return "null"
	}
	switch t := f.lay.types[f.lay.index[name]]; t {
	case arrow.STRING:
		return strconv.Quote(v.Str)
	case arrow.BOOL:
		return strconv.FormatBool(v.Bool)
	case arrow.UINT64:
		return strconv.FormatUint(v.Uint, 10)
	}
	return strconv.FormatInt(v.Int, 10)
}

// featureMismatches compares rows of Features with golden rows, every
// encoded column, and returns the mismatch count per column and examples.
func featureMismatches(feats []Features, rows []goldentest.Row) (map[string]int, []string) {
	counts := map[string]int{}
	var examples []string
	if len(feats) != len(rows) {
		counts["<row count>"] = len(feats) - len(rows)
	}
	for r := range min(len(feats), len(rows)) {
		for _, name := range rows[r].Encoded.Names {
			if _, ok := feats[r].lay.index[name]; !ok {
				continue // a column schema 1.1 dropped
			}
			got, want := goldenCell(&feats[r], name), goldentest.Format(rows[r].Encoded.Values[name])
			if got != want {
				counts[name]++
				if len(examples) < 20 {
					examples = append(examples, fmt.Sprintf("row %d %s: got %s want %s", r, name, got, want))
				}
			}
		}
	}
	return counts, examples
}

func reportMismatches(t *testing.T, counts map[string]int, examples []string, rows int) {
	t.Helper()
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		t.Errorf("column %s: %d mismatches of %d rows", k, counts[k], rows)
	}
	for _, e := range examples {
		t.Log(e)
	}
}

// TestGoldenParityRows encodes the golden inputs through a Builder and
// EncodeRows, with the graph built first as the reference does, in
// batches of every size from one row to all, and compares every cell with
// the golden rows; it also compares the JSON encoding of each row.
func TestGoldenParityRows(t *testing.T) {
	src := goldentest.Parity()
	t.Log("parity against", src.Describe())
	for _, r := range []struct{ golden, input, seed string }{
		{"sample-train.golden.jsonl.gz", "tetragon/sample-train.jsonl", ""},
		{"sample-small.golden.jsonl.gz", "tetragon/sample-small.jsonl", "tetragon/sample-train.jsonl"},
		{"tetragon-docs.golden.jsonl", "tetragon-docs/events.jsonl", ""},
	} {
		rows, err := goldentest.Read(filepath.Join(src.Golden, r.golden))
		require.NoError(t, err)
		g := lineage.New()
		for _, rel := range []string{r.seed, r.input} {
			if rel != "" {
				for _, rec := range parseSample(t, src.Testdata, rel, 1000) {
					require.NoError(t, g.AddBatch(rec))
				}
			}
		}
		probe, err := New(nil, nil)
		require.NoError(t, err)
		cfg := sampleConfig(t, src.Testdata, r.input, 1<<20)
		cfg.Columns = probe.RawColumns()
		lines := sampleLines(t, src.Testdata, r.input)
		for _, batch := range []int{1, 7, 1 << 20} {
			t.Run(fmt.Sprintf("%s/batch=%d", r.golden, batch), func(t *testing.T) {
				p, err := tetraparse.New(cfg)
				require.NoError(t, err)
				b, err := p.NewBuilder(r.input)
				require.NoError(t, err)
				defer b.Close()
				enc, err := New(schema.Default(), g)
				require.NoError(t, err)
				var all, feats []Features
				flush := func() {
					feats, err = enc.EncodeRows(b.Rows(), feats)
					require.NoError(t, err)
					for i := range feats {
						all = append(all, *feats[i].Clone()) // feats is reused
					}
					b.Reset()
				}
				for _, l := range lines {
					if b.AddLine(l) && b.Len() == batch {
						flush()
					}
				}
				flush()
				counts, examples := featureMismatches(all, rows)
				reportMismatches(t, counts, examples, len(rows))
				t.Logf("%d columns x %d rows compared", len(schema.Default().Columns()), len(all))
				require.EqualValues(t, len(rows), enc.Stats().Rows)
				if src.Full { // the reference's counters exist for the full samples only
					ref := readBatchStats(t, filepath.Join(src.Golden, strings.Split(r.golden, ".")[0]+".stats.json"))
					st := enc.Stats()
					require.Equal(t, ref, map[string]int64{
						"lineage_parent_fallback_used": st.LineageFallbackUsed,
						"lineage_missing_parent":       st.LineageMissingParent,
						"lineage_cycle_detected":       st.LineageCycles,
						"negative_delta_t_prev":        st.NegativeDeltas,
					})
				}
				// The JSON form of a row holds the golden values.
				for i := range all {
					var m map[string]any
					dec := json.NewDecoder(bytes.NewReader(all[i].AppendJSON(nil)))
					dec.UseNumber()
					require.NoError(t, dec.Decode(&m))
					require.Len(t, m, len(schema.Default().Columns()))
					for name, v := range m {
						require.Equal(t, goldentest.Format(rows[i].Encoded.Values[name]), goldentest.Format(v), "row %d %s", i, name)
					}
				}
			})
		}
	}
}

// TestEncoderMaxProcesses: with a bound, a process in use keeps its
// previous event time across generations, and one left unseen while the
// bound's worth of others came loses it (its delta becomes null).
func TestEncoderMaxProcesses(t *testing.T) {
	enc, err := New(nil, nil, WithMaxProcesses(4))
	require.NoError(t, err)
	p, err := tetraparse.New(tetraparse.Config{Columns: enc.RawColumns()})
	require.NoError(t, err)
	l, err := NewLive(p, enc, "live")
	require.NoError(t, err)
	defer l.Close()
	delta := func(id string, sec int) string {
		fs, err := l.Line(liveLine("process_kprobe", id, "", "/bin/"+id, sec))
		require.NoError(t, err)
		require.Len(t, fs, 1)
		v, _ := fs[0].Value("delta_t_prev_ns")
		if v.Null {
			return "null"
		}
		return strconv.FormatInt(v.Int/1e9, 10)
	}
	require.Equal(t, "null", delta("busy", 3))
	require.Equal(t, "null", delta("quiet", 2))
	for i := range 10 {
		require.Equal(t, "null", delta(fmt.Sprintf("p%d", i), 3+i))
		require.Equal(t, "1", delta("busy", 4+i), "a process in use keeps its time")
	}
	require.Equal(t, "null", delta("quiet", 20), "a process unseen for 10 others lost its time")
	require.LessOrEqual(t, len(enc.prev)+len(enc.prevOld), 4+1)
}
