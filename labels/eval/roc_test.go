package eval

import (
	"errors"
	"math"
	"testing"
)

func TestAveragePrecisionHandComputed(t *testing.T) {
	// Descending: 0.8 (attack), 0.4 (benign), 0.35 (attack), 0.1 (benign).
	// Recall steps 1/2 at precision 1 and 1/2 at precision 2/3.
	ap, err := AveragePrecision([]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true})
	if err != nil || math.Abs(ap-(0.5+0.5*2.0/3)) > 1e-15 {
		t.Errorf("AP = %v, %v", ap, err)
	}
	// Ties form one threshold: 2 attacks and 2 benign all at 1 give
	// precision 1/2 over the whole recall.
	ap, _ = AveragePrecision([]float64{1, 1, 1, 1}, []bool{true, false, true, false})
	if ap != 0.5 {
		t.Errorf("tied AP = %v", ap)
	}
	ap, err = AveragePrecision([]float64{1, 2}, []bool{true, true})
	if err != nil || ap != 1 {
		t.Errorf("all attacks: %v, %v", ap, err)
	}
	if _, err := AveragePrecision([]float64{1, 2}, []bool{false, false}); !errors.Is(err, ErrOneClass) {
		t.Errorf("no attacks: %v", err)
	}
	if _, err := AveragePrecision([]float64{math.NaN()}, []bool{true}); !errors.Is(err, ErrNaN) {
		t.Errorf("NaN: %v", err)
	}
	if _, err := AveragePrecision([]float64{1}, []bool{true, false}); !errors.Is(err, ErrLength) {
		t.Errorf("length: %v", err)
	}
}

func TestROCErrors(t *testing.T) {
	for _, attack := range [][]bool{{true, true}, {false, false}} {
		if _, err := ROC([]float64{1, 2}, attack); !errors.Is(err, ErrOneClass) {
			t.Errorf("%v: %v", attack, err)
		}
		if _, err := TPRAtFPR([]float64{1, 2}, attack, 0.01); !errors.Is(err, ErrOneClass) {
			t.Errorf("%v: %v", attack, err)
		}
	}
	if _, err := TPRAtFPR([]float64{1, 2}, []bool{true, false}, math.NaN()); !errors.Is(err, ErrBadOption) {
		t.Errorf("NaN target: %v", err)
	}
}

func TestROCShape(t *testing.T) {
	c, err := ROC([]float64{0.1, 0.4, 0.35, 0.8}, []bool{false, false, true, true})
	if err != nil {
		t.Fatal(err)
	}
	// scikit-learn's documented example.
	wantF := []float64{0, 0, 0.5, 0.5, 1}
	wantT := []float64{0, 0.5, 0.5, 1, 1}
	wantThr := []float64{1.8, 0.8, 0.4, 0.35, 0.1}
	for i := range wantF {
		if c.FPR[i] != wantF[i] || c.TPR[i] != wantT[i] || c.Thresholds[i] != wantThr[i] {
			t.Fatalf("curve %+v", c)
		}
	}
	if got := c.TPRAt(-1); got != 0.5 {
		t.Errorf("below every point: %v, want the smallest TPR with FPR > 0", got)
	}
}
