package eval

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestPerTechnique(t *testing.T) {
	scores := []float64{1, 2, 3, 4, 5, 6, 3, 0}
	attack := []bool{false, false, false, true, true, true, true, true}
	tech := []string{"", "", "", "TB", "TB", "TA", "TA", ""} // last: attack without technique
	got, err := PerTechnique(scores, attack, tech, 0)
	if err != nil {
		t.Fatal(err)
	}
	// TA: {6, 3} vs benign {1, 2, 3}: 3 + (2 + 0.5) = 5.5 of 6.
	// TB: {4, 5} vs benign: 6 of 6. The technique-less attack (score 0)
	// is in neither table nor the benign set.
	want := []TechniqueResult{
		{TechniqueID: "TA", AttackEvents: 2, AUROC: 5.5 / 6},
		{TechniqueID: "TB", AttackEvents: 2, AUROC: 1},
	}
	if len(got) != len(want) {
		t.Fatalf("got %+v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("row %d = %+v, want %+v", i, got[i], want[i])
		}
	}

	got, _ = PerTechnique(scores, attack, tech, ReferenceMinAttackEvents)
	for _, r := range got {
		if !r.Skipped || !math.IsNaN(r.AUROC) || r.AttackEvents != 2 {
			t.Errorf("min 50: %+v", r)
		}
	}
}

func TestPerTechniqueMatchesSubsetAUROC(t *testing.T) {
	rng := rand.New(rand.NewPCG(11, 12))
	n := 3000
	scores := make([]float64, n)
	attack := make([]bool, n)
	tech := make([]string, n)
	names := []string{"T1", "T2", "T3"}
	for i := range scores {
		scores[i] = float64(rng.IntN(50)) // ties
		if rng.IntN(4) == 0 {
			attack[i] = true
			tech[i] = names[rng.IntN(3)]
			scores[i] += float64(rng.IntN(10))
		}
	}
	got, err := PerTechnique(scores, attack, tech, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range got {
		var s []float64
		var a []bool
		for i := range scores {
			if !attack[i] || tech[i] == r.TechniqueID {
				s, a = append(s, scores[i]), append(a, attack[i])
			}
		}
		want, err := AUROC(s, a)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(r.AUROC-want) > 1e-12 {
			t.Errorf("%s: %v, subset AUROC %v", r.TechniqueID, r.AUROC, want)
		}
	}
}

func TestPerTechniqueErrors(t *testing.T) {
	if _, err := PerTechnique([]float64{1}, []bool{true}, []string{"T"}, 0); !errors.Is(err, ErrOneClass) {
		t.Errorf("no benign: %v", err)
	}
	if got, err := PerTechnique([]float64{1}, []bool{false}, []string{""}, 0); err != nil || len(got) != 0 {
		t.Errorf("no attack: %v %v", got, err)
	}
	if _, err := PerTechnique([]float64{1}, []bool{false}, nil, 0); !errors.Is(err, ErrLength) {
		t.Errorf("length: %v", err)
	}
	if _, err := PerTechnique([]float64{math.NaN(), 1}, []bool{false, true}, []string{"", "T"}, 0); !errors.Is(err, ErrNaN) {
		t.Errorf("NaN: %v", err)
	}
}
