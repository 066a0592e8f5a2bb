package npmath

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
)

// numpy.json holds numpy 1.24's results for arrays of lengths around the
// pairwise block boundaries (testdata/gen.py regenerates it).
type npCase struct {
	Dtype       string    `json:"dtype"`
	X           []float64 `json:"x"`
	Sum         float64   `json:"sum"`
	Mean        float64   `json:"mean"`
	Std         float64   `json:"std"`
	Median      float64   `json:"median"`
	Percentiles []float64 `json:"percentiles"`
}

func loadCases(t *testing.T) ([]float64, []npCase) {
	t.Helper()
	b, err := os.ReadFile("testdata/numpy.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		QS    []float64 `json:"qs"`
		Cases []npCase  `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) == 0 {
		t.Fatal("no cases")
	}
	return f.QS, f.Cases
}

func same(got, want float64) bool {
	return got == want && math.Signbit(got) == math.Signbit(want) || math.IsNaN(got) && math.IsNaN(want)
}

func TestAgainstNumpy(t *testing.T) {
	qs, cases := loadCases(t)
	for i, c := range cases {
		name := fmt.Sprintf("case %d (%s, n=%d)", i, c.Dtype, len(c.X))
		check := func(what string, got, want float64) {
			if !same(got, want) {
				t.Errorf("%s %s: got %v, numpy %v", name, what, got, want)
			}
		}
		switch c.Dtype {
		case "float64":
			x := c.X
			s := slices.Sorted(slices.Values(x))
			check("sum", Sum64(x), c.Sum)
			check("mean", Mean64(x), c.Mean)
			check("std", Std64(x, nil), c.Std)
			check("median", Median64(s), c.Median)
			for k, q := range qs {
				check(fmt.Sprintf("p%v", q), Percentile64(s, q), c.Percentiles[k])
			}
		case "float32":
			x := make([]float32, len(c.X))
			for k, v := range c.X {
				x[k] = float32(v)
				if float64(x[k]) != v {
					t.Fatalf("%s: value %v is not a float32", name, v)
				}
			}
			s := slices.Sorted(slices.Values(x))
			check("sum", float64(Sum32(x)), c.Sum)
			check("mean", float64(Mean32(x)), c.Mean)
			check("std", float64(Std32(x, nil)), c.Std)
			check("median", float64(Median32(s)), c.Median)
			for k, q := range qs {
				check(fmt.Sprintf("p%v", q), Percentile32(s, q), c.Percentiles[k])
			}
		default:
			t.Fatalf("%s: unknown dtype", name)
		}
	}
}

// The pairwise order is visible: a left-to-right float32 sum of the same
// values differs, so the test above can tell the two apart.
func TestPairwiseDiffersFromSequential(t *testing.T) {
	_, cases := loadCases(t)
	differ := 0
	for _, c := range cases {
		if c.Dtype != "float32" || len(c.X) < 9 {
			continue
		}
		var seq float32
		for _, v := range c.X {
			seq += float32(v)
		}
		if float64(seq) != c.Sum {
			differ++
		}
	}
	if differ == 0 {
		t.Error("no case distinguishes pairwise from sequential summation")
	}
}

func TestSmall(t *testing.T) {
	if got := Percentile64([]float64{1, 2, 3, 4}, 0.5); got != 2.5 {
		t.Errorf("median of 1..4 = %v", got)
	}
	if got := Percentile32([]float32{7}, 0.9); got != 7 {
		t.Errorf("one value: %v", got)
	}
	if got := Mean32(nil); !math.IsNaN(float64(got)) {
		t.Errorf("mean of nothing = %v", got)
	}
	if got := Median32([]float32{1, 2}); got != 1.5 {
		t.Errorf("median = %v", got)
	}
}
