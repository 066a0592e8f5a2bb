package eval

import (
	"errors"
	"math"
	"testing"
)

func TestPerWindowHandComputed(t *testing.T) {
	// 11 events, windows of 4 with stride 3: starts 0, 3, 6; event 10 is
	// left over (only full windows), so its attack makes no window.
	scores := []float64{1, 9, 1, 1, 2, 3, 4, 4, 0, 1, 100}
	attack := []bool{false, false, false, false, true, false, false, false, false, false, true}
	// Windows: [0,4)  benign: max 9, mean 3,    median 1;
	//          [3,7)  attack: max 4, mean 2.5,  median 2.5;
	//          [6,10) benign: max 4, mean 2.25, median 2.5.
	cases := []struct {
		agg  Aggregator
		want float64
	}{
		{Max, 0.25},    // 4 vs {9, 4}: loses to 9, ties 4
		{Mean, 0.5},    // 2.5 vs {3, 2.25}
		{Median, 0.75}, // 2.5 vs {1, 2.5}
	}
	for _, c := range cases {
		res, err := PerWindow(scores, attack, Windows{Size: 4, Stride: 3, Agg: c.agg})
		if err != nil {
			t.Fatalf("%v: %v", c.agg, err)
		}
		if res.Windows != 3 || res.AttackWindows != 1 || math.Abs(res.AUROC-c.want) > 1e-15 {
			t.Errorf("%v: %+v, want AUROC %v", c.agg, res, c.want)
		}
	}
}

func TestPerWindowDefaults(t *testing.T) {
	n := 128 + 32*9 + 31 // 10 full windows, 31 events left over
	scores := make([]float64, n)
	attack := make([]bool, n)
	for i := range scores {
		scores[i] = float64(i % 7)
	}
	attack[200] = true
	scores[200] = 50
	res, err := PerWindow(scores, attack, Windows{})
	if err != nil {
		t.Fatal(err)
	}
	// Starts 96 (i=3), 128, 160, 192 contain event 200: 4 attack windows.
	if res.Windows != 10 || res.AttackWindows != 4 || res.AUROC != 1 {
		t.Errorf("%+v", res)
	}
}

func TestPerWindowFloat32(t *testing.T) {
	// Two windows whose max differ below float32 precision tie when
	// rounded, as in the reference.
	scores := []float64{1 + 1e-12, 1}
	attack := []bool{true, false}
	res, err := PerWindow(scores, attack, Windows{Size: 1, Stride: 1})
	if err != nil || res.AUROC != 1 {
		t.Errorf("float64: %+v %v", res, err)
	}
	res, err = PerWindow(scores, attack, Windows{Size: 1, Stride: 1, Float32: true})
	if err != nil || res.AUROC != 0.5 {
		t.Errorf("float32: %+v %v", res, err)
	}
}

func TestPerWindowErrors(t *testing.T) {
	s, a := make([]float64, 10), make([]bool, 10)
	if _, err := PerWindow(s, a, Windows{Size: 11}); !errors.Is(err, ErrTooFewEvents) {
		t.Errorf("too few: %v", err)
	}
	res, err := PerWindow(s, a, Windows{Size: 4, Stride: 2})
	if !errors.Is(err, ErrOneClass) || res.Windows != 4 || res.AttackWindows != 0 || !math.IsNaN(res.AUROC) {
		t.Errorf("one class: %+v %v", res, err)
	}
	for _, w := range []Windows{{Size: -1}, {Stride: -3}, {Agg: Aggregator(7)}} {
		if _, err := PerWindow(s, a, w); !errors.Is(err, ErrBadOption) {
			t.Errorf("%+v: %v", w, err)
		}
	}
	if _, err := PerWindow(s, a[:9], Windows{Size: 2}); !errors.Is(err, ErrLength) {
		t.Errorf("length: %v", err)
	}
	s[3] = math.NaN()
	if _, err := PerWindow(s, a, Windows{Size: 2}); !errors.Is(err, ErrNaN) {
		t.Errorf("NaN: %v", err)
	}
	s[3], s[4] = math.Inf(1), math.Inf(-1)
	a[0] = true
	if _, err := PerWindow(s, a, Windows{Size: 2, Stride: 1, Agg: Mean}); !errors.Is(err, ErrNaN) {
		t.Errorf("mean of infinities: %v", err)
	}
}

func TestAggregatorStrings(t *testing.T) {
	if len(Aggregators()) != 7 {
		t.Errorf("aggregators: %v", Aggregators())
	}
	for _, a := range Aggregators() {
		got, err := ParseAggregator(a.String())
		if err != nil || got != a {
			t.Errorf("ParseAggregator(%q) = %v, %v", a, got, err)
		}
	}
	if a, err := ParseAggregator("MEDIAN"); err != nil || a != Median {
		t.Errorf("case-insensitive: %v %v", a, err)
	}
	if a, err := ParseAggregator("Top-10-Mean"); err != nil || a != Top10Mean {
		t.Errorf("top-10-mean: %v %v", a, err)
	}
	if _, err := ParseAggregator("p99"); !errors.Is(err, ErrBadOption) {
		t.Errorf("unknown: %v", err)
	}
	if Aggregator(9).String() != "Aggregator(9)" {
		t.Error("String of unknown")
	}
}
