package eval

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func normals(seed uint64, nPos, nNeg int, delta float64) ([]float64, []bool) {
	rng := rand.New(rand.NewPCG(seed, 0))
	var scores []float64
	var attack []bool
	for range nPos {
		scores, attack = append(scores, delta+rng.NormFloat64()), append(attack, true)
	}
	for range nNeg {
		scores, attack = append(scores, rng.NormFloat64()), append(attack, false)
	}
	return scores, attack
}

func TestBootstrapReproducible(t *testing.T) {
	scores, attack := normals(1, 300, 700, 1)
	b := Bootstrap{Resamples: 200, Seed: 7, Workers: 1}
	r1, err := PerEvent(scores, attack, b)
	if err != nil {
		t.Fatal(err)
	}
	b.Workers = 3
	r2, err := PerEvent(scores, attack, b)
	if err != nil {
		t.Fatal(err)
	}
	if r1 != r2 {
		t.Errorf("workers changed the result: %+v vs %+v", r1, r2)
	}
	// The input order does not matter either.
	perm := rand.New(rand.NewPCG(9, 9)).Perm(len(scores))
	ps, pa := make([]float64, len(scores)), make([]bool, len(scores))
	for i, j := range perm {
		ps[i], pa[i] = scores[j], attack[j]
	}
	r3, err := PerEvent(ps, pa, b)
	if err != nil {
		t.Fatal(err)
	}
	if r3 != r2 {
		t.Errorf("input order changed the result: %+v vs %+v", r3, r2)
	}
	b.Seed = 8
	r4, _ := PerEvent(scores, attack, b)
	if r4.CI == r1.CI {
		t.Error("a different seed gave the same interval")
	}
	if !(r1.CI.Lo < r1.AUROC && r1.AUROC < r1.CI.Hi) || r1.CI.Level != 0.95 || r1.CI.Resamples != 200 || r1.CI.Dropped != 0 {
		t.Errorf("CI %+v around AUROC %v", r1.CI, r1.AUROC)
	}
	if r1.Events != 1000 || r1.Attacks != 300 {
		t.Errorf("counts %+v", r1)
	}
	// Width near the normal approximation: AUROC SE (Hanley–McNeil) × 3.92.
	a := r1.AUROC
	q1, q2 := a/(2-a), 2*a*a/(1+a)
	se := math.Sqrt((a*(1-a) + 299*(q1-a*a) + 699*(q2-a*a)) / (300 * 700))
	if w := r1.CI.Hi - r1.CI.Lo; w < 0.7*3.92*se || w > 1.3*3.92*se {
		t.Errorf("CI width %v, expected about %v", w, 3.92*se)
	}
	ci, err := BootstrapCI(scores, attack, Bootstrap{Resamples: 200, Seed: 7})
	if err != nil || ci != r1.CI {
		t.Errorf("BootstrapCI = %+v, %v; want %+v", ci, err, r1.CI)
	}
}

func TestBootstrapDefaultsAndOptions(t *testing.T) {
	scores, attack := normals(2, 20, 20, 1)
	r, err := PerEvent(scores, attack, Bootstrap{})
	if err != nil || r.CI.Resamples != DefaultResamples || r.CI.Level != 0.95 {
		t.Errorf("defaults: %+v, %v", r.CI, err)
	}
	for _, b := range []Bootstrap{{Resamples: -1}, {Level: 1}, {Level: -0.5}, {Level: math.NaN()}, {Workers: -2}} {
		if _, err := PerEvent(scores, attack, b); !errors.Is(err, ErrBadOption) {
			t.Errorf("%+v: error %v", b, err)
		}
	}
	if _, err := PerEvent(scores, make([]bool, len(scores)), Bootstrap{}); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: %v", err)
	}
}

func TestBootstrapDropsOneClassResamples(t *testing.T) {
	// One attack among three events: a resample misses it with probability
	// (2/3)^3 ≈ 0.3, six times in a row ≈ 7e-4; over 5000 resamples a few
	// are dropped, and the interval still comes from the rest.
	scores := []float64{3, 1, 2}
	attack := []bool{true, false, false}
	ci, err := BootstrapCI(scores, attack, Bootstrap{Resamples: 5000, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if ci.Dropped == 0 || ci.Dropped > 50 || ci.Lo != 1 || ci.Hi != 1 {
		t.Errorf("CI = %+v", ci)
	}
}

func TestQuantile(t *testing.T) {
	x := []float64{1, 2, 3, 4, 10}
	// numpy.percentile(x, [0, 2.5, 50, 97.5, 100]) = 1, 1.1, 3, 9.4, 10.
	for _, c := range []struct{ q, want float64 }{{0, 1}, {0.025, 1.1}, {0.5, 3}, {0.975, 9.4}, {1, 10}} {
		if got := quantile(x, c.q); math.Abs(got-c.want) > 1e-12 {
			t.Errorf("quantile(%v) = %v, want %v", c.q, got, c.want)
		}
	}
	if got := quantile([]float64{7}, 0.975); got != 7 {
		t.Errorf("single = %v", got)
	}
}
