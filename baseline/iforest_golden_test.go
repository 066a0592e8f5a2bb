package baseline

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/labels/eval"
)

// IsolationForest acceptance: scikit-learn's random stream cannot be
// reproduced, so the mean per-event AUROC over seeds 0-4 must be within
// 0.02 of scikit-learn's mean over its seeds 0-4 on the same data
// (baselines/iforest.sample-small.json). The spread across seeds is
// about ±0.01. It runs on testdata/golden, which TestNgramGoldenShared
// checks against ../shared.
func TestIForestGoldenSlice(t *testing.T) {
	checkIForestGolden(t, sliceGolden(t))
}

// iforestAUROCs fits a forest per seed on the golden train rows and
// returns the per-event AUROC on the test rows.
func iforestAUROCs(t testing.TB, g *goldenData, fs FeatureSet, seeds []uint64) []float64 {
	set, err := labels.Load(bytes.NewReader(g.labels))
	if err != nil {
		t.Fatal(err)
	}
	keep := make([]int, 0, len(Rich.Columns()))
	for i, c := range Rich.Columns() {
		if slices.Contains(fs.Columns(), c) {
			keep = append(keep, i)
		}
	}
	project := func(e goldenEvent) []float32 {
		x := make([]float32, len(keep))
		for j, i := range keep {
			x[j] = e.features[i]
		}
		return x
	}
	train, test := timeOrder(g.train), timeOrder(g.test)
	times := make([]int64, len(test))
	for i, e := range test {
		times[i] = e.time
	}
	isAttack, _ := set.Expand(set.Label(times))
	var out []float64
	for _, seed := range seeds {
		tr, err := NewForestTrainer(fs, ForestSeed(seed))
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range train { // sample-train has no attack window
			if err := tr.AddRow(project(e)); err != nil {
				t.Fatal(err)
			}
		}
		f, err := tr.Fit()
		if err != nil {
			t.Fatal(err)
		}
		scores := make([]float64, len(test))
		for i, e := range test {
			s, err := f.ScoreRow(project(e))
			if err != nil {
				t.Fatal(err)
			}
			scores[i] = float64(s)
		}
		a, err := eval.AUROC(scores, isAttack)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, a)
	}
	return out
}

func checkIForestGolden(t *testing.T, g *goldenData) {
	type result struct {
		Columns []string  `json:"columns"`
		PerSeed []float64 `json:"auroc_per_seed"`
		Mean    float64   `json:"auroc_mean"`
	}
	var ref struct{ Rich, Flat result }
	if err := json.Unmarshal(g.iforest, &ref); err != nil {
		t.Fatal(err)
	}
	for _, fs := range []FeatureSet{Rich, Flat} {
		r := ref.Rich
		if fs == Flat {
			r = ref.Flat
		}
		if !slices.Equal(r.Columns, fs.Columns()) {
			t.Fatalf("%v columns differ from the reference's:\n%v\n%v", fs, fs.Columns(), r.Columns)
		}
		aurocs := iforestAUROCs(t, g, fs, []uint64{0, 1, 2, 3, 4})
		mean := 0.0
		for _, a := range aurocs {
			mean += a / float64(len(aurocs))
		}
		t.Logf("%v: AUROC per seed %s, mean %.4f; scikit-learn %s, mean %.4f", fs, fmtAll(aurocs), mean, fmtAll(r.PerSeed), r.Mean)
		if math.Abs(mean-r.Mean) > 0.02 {
			t.Errorf("%v: mean AUROC %.4f, scikit-learn %.4f: more than 0.02 apart", fs, mean, r.Mean)
		}
	}
}

func fmtAll(x []float64) string {
	s := "["
	for i, v := range x {
		if i > 0 {
			s += " "
		}
		s += fmt.Sprintf("%.4f", v)
	}
	return s + "]"
}
