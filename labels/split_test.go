package labels

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplit(t *testing.T) {
	set := mustLoad(t, csvOf(row(10, 20, "T1", "1"), row(30, 40, "T2", "1"), row(50, 60, "T3", "1")))

	sp, err := set.Split(10e9) // a window starting exactly at the cut is in test
	if err != nil || sp.Cut != 10e9 {
		t.Fatalf("Split(10s) = %v, %v", sp, err)
	}
	sides, err := sp.Sides(nil, []int64{0, 10e9 - 1, 10e9, 99e9, 0}, []bool{true, true, true, true, false})
	if err != nil {
		t.Fatal(err)
	}
	if want := []Side{Train, Train, Test, Test, NoTime}; !slices.Equal(sides, want) {
		t.Errorf("Sides = %v, want %v", sides, want)
	}
	if _, err := sp.Sides(nil, []int64{1}, []bool{}); !errors.Is(err, ErrLength) {
		t.Errorf("Sides length error = %v", err)
	}
	if Train.String() != "train" || Test.String() != "test" || NoTime.String() != "no time" || Side(9).String() != "Side(9)" {
		t.Error("Side.String")
	}

	// A cut inside T2 puts T1 (before) and T2 (straddling) into train.
	_, err = set.Split(35e9)
	if !errors.Is(err, ErrWindowInTrain) {
		t.Fatalf("Split(35s) error = %v", err)
	}
	var se *SplitError
	if !errors.As(err, &se) {
		t.Fatalf("%v is not a *SplitError", err)
	}
	var techs []string
	for _, w := range se.Windows {
		techs = append(techs, w.TechniqueID)
	}
	if !slices.Equal(techs, []string{"T1", "T2"}) || se.Cut != 35e9 {
		t.Errorf("SplitError = %+v", se)
	}
	for _, s := range []string{"2 attack window(s)", "1970-01-01T00:00:35Z", "T2 trial 1 [1970-01-01T00:00:30Z, 1970-01-01T00:00:40Z) on line 3", "benign-only"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("message %q lacks %q", err, s)
		}
	}
}
