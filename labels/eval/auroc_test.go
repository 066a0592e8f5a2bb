package eval

import (
	"errors"
	"math"
	"math/rand/v2"
	"testing"
)

func TestAUROCHandComputed(t *testing.T) {
	cases := []struct {
		name   string
		scores []float64
		attack []bool
		want   float64
	}{
		{"perfect", []float64{1, 2, 3, 4}, []bool{false, false, true, true}, 1},
		{"inverted", []float64{1, 2, 3, 4}, []bool{true, true, false, false}, 0},
		{"all tied", []float64{5, 5, 5, 5}, []bool{true, false, true, false}, 0.5},
		// pos {0.5, 0.8}, neg {0.5, 0.2}: pairs 0.5 (tie) + 1 + 1 + 1 = 3.5 of 4.
		{"one tie", []float64{0.5, 0.8, 0.5, 0.2}, []bool{true, true, false, false}, 3.5 / 4},
		// pos {1, 2, 2}, neg {2, 2, 3}: pos 1 beats none and ties none;
		// each pos 2 ties two negs (2 × 0.5) and beats none → 2 of 9.
		{"tie groups", []float64{1, 2, 2, 2, 2, 3}, []bool{true, true, true, false, false, false}, 2.0 / 9},
		// Ranks: 1:-0.0(neg) & +0.0(pos) tie; -0 == +0.
		{"signed zero", []float64{-0.0, 0.0, 1}, []bool{false, true, true}, (0.5 + 1) / 2},
		{"infinities", []float64{math.Inf(-1), math.Inf(1), math.Inf(1)}, []bool{false, true, false}, 0.75},
		// Mann–Whitney by hand: ranks of 10,20,20,30,40 are 1,2.5,2.5,4,5;
		// positives 20 (2.5) and 40 (5): R = 7.5, U = 7.5 - 3 = 4.5 of 6.
		{"average ranks", []float64{10, 20, 20, 30, 40}, []bool{false, true, false, false, true}, 4.5 / 6},
	}
	for _, c := range cases {
		got, err := AUROC(c.scores, c.attack)
		if err != nil || math.Abs(got-c.want) > 1e-15 {
			t.Errorf("%s: AUROC = %v, %v; want %v", c.name, got, err, c.want)
		}
	}
}

func TestAUROCErrors(t *testing.T) {
	if _, err := AUROC([]float64{1, 2}, []bool{true, true}); !errors.Is(err, ErrOneClass) {
		t.Errorf("all attack: %v", err)
	}
	if _, err := AUROC([]float64{1, 2}, []bool{false, false}); !errors.Is(err, ErrOneClass) {
		t.Errorf("all benign: %v", err)
	}
	if _, err := AUROC(nil, nil); !errors.Is(err, ErrOneClass) {
		t.Errorf("empty: %v", err)
	}
	if _, err := AUROC([]float64{1, math.NaN()}, []bool{true, false}); !errors.Is(err, ErrNaN) {
		t.Errorf("NaN: %v", err)
	}
	if _, err := AUROC([]float64{1}, []bool{true, false}); !errors.Is(err, ErrLength) {
		t.Errorf("length: %v", err)
	}
}

// bruteAUROC counts every (attack, benign) pair.
func bruteAUROC(scores []float64, attack []bool) float64 {
	var num, pairs float64
	for i, si := range scores {
		if !attack[i] {
			continue
		}
		for j, sj := range scores {
			if attack[j] {
				continue
			}
			pairs++
			switch {
			case si > sj:
				num++
			case si == sj:
				num += 0.5
			}
		}
	}
	return num / pairs
}

// Phi is the standard normal CDF.
func Phi(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

func TestAUROCShiftedNormals(t *testing.T) {
	// Attack ~ N(δ, 1), benign ~ N(0, 1): AUROC = P(X > Y) = Φ(δ/√2).
	rng := rand.New(rand.NewPCG(42, 1))
	for _, delta := range []float64{0, 0.5, 1, 2} {
		const nPos, nNeg = 2000, 3000
		scores := make([]float64, 0, nPos+nNeg)
		attack := make([]bool, 0, nPos+nNeg)
		for range nPos {
			scores, attack = append(scores, delta+rng.NormFloat64()), append(attack, true)
		}
		for range nNeg {
			scores, attack = append(scores, rng.NormFloat64()), append(attack, false)
		}
		got, err := AUROC(scores, attack)
		if err != nil {
			t.Fatal(err)
		}
		if brute := bruteAUROC(scores, attack); math.Abs(got-brute) > 1e-9 {
			t.Errorf("δ=%v: exact %v, brute force %v", delta, got, brute)
		}
		// SE of AUROC ≤ sqrt((P+N+1)/(12·P·N)) (its value at 0.5, the
		// maximum); allow 5 SE.
		want := Phi(delta / math.Sqrt2)
		tol := 5 * math.Sqrt(float64(nPos+nNeg+1)/(12*nPos*nNeg))
		if math.Abs(got-want) > tol {
			t.Errorf("δ=%v: AUROC %v, closed form %v (tolerance %v)", delta, got, want, tol)
		}
	}
}

func TestAUROCTiesBruteForce(t *testing.T) {
	// Coarse integer scores: many ties, many tie groups mixing classes.
	rng := rand.New(rand.NewPCG(5, 6))
	for range 50 {
		n := 2 + rng.IntN(300)
		scores := make([]float64, n)
		attack := make([]bool, n)
		for i := range scores {
			scores[i] = float64(rng.IntN(10))
			attack[i] = rng.IntN(3) == 0
		}
		attack[0], attack[1] = true, false
		got, err := AUROC(scores, attack)
		if err != nil {
			t.Fatal(err)
		}
		if brute := bruteAUROC(scores, attack); math.Abs(got-brute) > 1e-12 {
			t.Fatalf("AUROC %v, brute force %v", got, brute)
		}
	}
}
