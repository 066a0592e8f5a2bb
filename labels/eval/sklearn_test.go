package eval

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"slices"
	"testing"
)

// testdata/sklearn.json holds scikit-learn 1.2.1's and numpy 1.24's
// results for float32 score arrays (testdata/gen_sklearn.py regenerates
// it): the reference's metric functions, computed by the library they call.
type skCase struct {
	Name       string    `json:"name"`
	Scores     []float64 `json:"scores"`
	Attack     []bool    `json:"attack"`
	AUROC      float64   `json:"auroc"`
	AP         float64   `json:"ap"`
	FPR        []float64 `json:"fpr"`
	TPR        []float64 `json:"tpr"`
	Thresholds []float64 `json:"thresholds"`
	TPRAt      []float64 `json:"tpr_at"`
	Windows    []struct {
		Size, Stride int
		Agg          string
		AUROC        float64
		N, Attack    int
	} `json:"windows"`
}

func loadSklearn(t *testing.T) ([]float64, []skCase) {
	t.Helper()
	b, err := os.ReadFile("testdata/sklearn.json")
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Targets []float64 `json:"targets"`
		Cases   []skCase  `json:"cases"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatal(err)
	}
	if len(f.Cases) < 5 {
		t.Fatalf("%d cases", len(f.Cases))
	}
	return f.Targets, f.Cases
}

// relClose: equal within 1e-12 relative (AUROC is computed exactly here
// and by trapezoids in scikit-learn, so the last bits may differ).
func relClose(got, want float64) bool {
	return got == want || math.Abs(got-want) <= 1e-12*math.Abs(want)
}

func TestAgainstSklearn(t *testing.T) {
	targets, cases := loadSklearn(t)
	for _, c := range cases {
		t.Run(c.Name, func(t *testing.T) {
			a, err := AUROC(c.Scores, c.Attack)
			if err != nil || !relClose(a, c.AUROC) {
				t.Errorf("AUROC %v (%v), sklearn %v", a, err, c.AUROC)
			}
			ap, err := AveragePrecision(c.Scores, c.Attack)
			if err != nil || ap != c.AP {
				t.Errorf("AP %v (%v), sklearn %v", ap, err, c.AP)
			}
			curve, err := ROC(c.Scores, c.Attack)
			if err != nil {
				t.Fatal(err)
			}
			// The first threshold is the top score + 1, which scikit-learn
			// adds in float32.
			wantThr := slices.Clone(c.Thresholds)
			wantThr[0] = float64(float32(c.Thresholds[1]) + 1)
			gotThr := slices.Clone(curve.Thresholds)
			gotThr[0] = float64(float32(gotThr[0]))
			if !slices.Equal(curve.FPR, c.FPR) || !slices.Equal(curve.TPR, c.TPR) || !slices.Equal(gotThr, wantThr) {
				t.Errorf("ROC curve differs:\n got fpr %v tpr %v thr %v\nwant fpr %v tpr %v thr %v",
					curve.FPR, curve.TPR, curve.Thresholds, c.FPR, c.TPR, c.Thresholds)
			}
			for i, target := range targets {
				got, err := TPRAtFPR(c.Scores, c.Attack, target)
				if err != nil || got != c.TPRAt[i] {
					t.Errorf("TPR at FPR %v = %v (%v), reference %v", target, got, err, c.TPRAt[i])
				}
			}
			for _, w := range c.Windows {
				agg, err := ParseAggregator(w.Agg)
				if err != nil {
					t.Fatal(err)
				}
				name := fmt.Sprintf("%s L=%d S=%d", w.Agg, w.Size, w.Stride)
				res, err := PerWindow(c.Scores, c.Attack, Windows{Size: w.Size, Stride: w.Stride, Agg: agg, Float32: true})
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if !relClose(res.AUROC, w.AUROC) || res.Windows != w.N || res.AttackWindows != w.Attack {
					t.Errorf("%s: %+v, reference %v over %d windows (%d attack)", name, res, w.AUROC, w.N, w.Attack)
				}
			}
		})
	}
}

// The collinear case is where dropping intermediate points matters: every
// threshold adds one attack and one benign event, so the curve keeps only
// its ends and a TPR read at 5 % FPR is 1/60, not 3/60.
func TestTPRAtFPRDropsIntermediate(t *testing.T) {
	var scores []float64
	var attack []bool
	for s := 60; s > 0; s-- {
		scores = append(scores, float64(s), float64(s))
		attack = append(attack, true, false)
	}
	got, err := TPRAtFPR(scores, attack, 0.05)
	if err != nil || got != 1.0/60 {
		t.Errorf("TPR at 5 %% = %v (%v), want 1/60", got, err)
	}
	c, _ := ROC(scores, attack)
	if len(c.FPR) != 3 {
		t.Errorf("curve has %d points, want 3", len(c.FPR))
	}
}
