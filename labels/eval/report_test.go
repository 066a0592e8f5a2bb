package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strings"
	"testing"
)

func TestEvaluateMatchesParts(t *testing.T) {
	_, cases := loadSklearn(t)
	for _, c := range cases {
		if c.Name != "segments" {
			continue
		}
		tech := make([]string, len(c.Scores))
		for i, a := range c.Attack {
			if a {
				tech[i] = []string{"T1", "T2"}[i%2]
			}
		}
		r, err := Evaluate(c.Scores, c.Attack, tech, Options{Bootstrap: Bootstrap{Resamples: 50}})
		if err != nil {
			t.Fatal(err)
		}
		if !relClose(r.AUROC, c.AUROC) || r.AP != c.AP || r.TPRAt1PctFPR != c.TPRAt[2] {
			t.Errorf("report %+v, sklearn auroc %v ap %v tpr %v", r, c.AUROC, c.AP, c.TPRAt[2])
		}
		w := c.Windows[0] // 128/32 max
		if w.Agg != "max" || w.Size != 128 || !relClose(r.PerWindowAUROC, w.AUROC) || r.Windows != w.N || r.AttackWindows != w.Attack {
			t.Errorf("windows %v %d %d, reference %+v", r.PerWindowAUROC, r.Windows, r.AttackWindows, w)
		}
		if !(r.CILo < r.AUROC && r.AUROC < r.CIHi) {
			t.Errorf("CI [%v, %v] misses %v", r.CILo, r.CIHi, r.AUROC)
		}
		if len(r.PerTechnique) != 2 || r.TestEvents != len(c.Scores) {
			t.Errorf("%+v", r)
		}
		return
	}
	t.Fatal("no segments case")
}

func TestEvaluateUndefinedWindows(t *testing.T) {
	scores := []float64{1, 2, 3, 4}
	attack := []bool{false, true, false, true}
	r, err := Evaluate(scores, attack, []string{"", "T1", "", "T1"}, Options{Bootstrap: Bootstrap{Resamples: 10}})
	if err != nil {
		t.Fatal(err)
	}
	// Fewer events than one window: NaN and no windows, as the reference.
	if !math.IsNaN(r.PerWindowAUROC) || r.Windows != 0 || r.AttackWindows != 0 {
		t.Errorf("%+v", r)
	}
	if len(r.PerTechnique) != 1 || !r.PerTechnique[0].Skipped {
		t.Errorf("per technique %+v", r.PerTechnique)
	}
	r, err = Evaluate(scores, attack, []string{"", "T1", "", "T1"}, Options{Windows: &Windows{Size: 2, Stride: 2}, MinAttackEvents: -1})
	if err != nil {
		t.Fatal(err)
	}
	// Both windows are attacks: NaN, but counted.
	if !math.IsNaN(r.PerWindowAUROC) || r.Windows != 2 || r.AttackWindows != 2 || r.PerTechnique[0].Skipped {
		t.Errorf("%+v", r)
	}
	if _, err := Evaluate(scores, []bool{false, false, false, false}, make([]string, 4), Options{}); !errors.Is(err, ErrOneClass) {
		t.Errorf("one class: %v", err)
	}
	if _, err := Evaluate(scores, attack, nil, Options{}); !errors.Is(err, ErrLength) {
		t.Errorf("length: %v", err)
	}
}

func TestReportJSON(t *testing.T) {
	r := Report{
		AUROC: 0.75, AP: 0.5, CILo: 0.7, CIHi: 0.8, TPRAt1PctFPR: 0, PerWindowAUROC: math.NaN(),
		TestEvents: 10, AttackEvents: 4, Windows: 0, AttackWindows: 0,
		PerTechnique: []TechniqueResult{
			{TechniqueID: "T1082", AttackEvents: 60, AUROC: 0.6},
			{TechniqueID: "T1003.008", AttackEvents: 3, AUROC: math.NaN(), Skipped: true},
		},
	}
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"auroc":0.75,"ap":0.5,"ci95_lo":0.7,"ci95_hi":0.8,"tpr_at_1pct_fpr":0,"per_window_auroc":null,` +
		`"n_test_events":10,"n_attack_events":4,"n_windows":0,"n_attack_windows":0,` +
		`"per_technique":{"T1082":{"auroc":0.6,"n_attack_events":60,"skipped":false},"T1003.008":{"auroc":null,"n_attack_events":3,"skipped":true}}}`
	if string(b) != want {
		t.Errorf("got  %s\nwant %s", b, want)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.AUROC != r.AUROC || !math.IsNaN(back.PerWindowAUROC) || len(back.PerTechnique) != 2 ||
		back.PerTechnique[0] != r.PerTechnique[0] || !math.IsNaN(back.PerTechnique[1].AUROC) || !back.PerTechnique[1].Skipped {
		t.Errorf("round trip: %+v", back)
	}
	for _, bad := range []string{`{"auroc":"x"}`, `{"per_technique":[1]}`, `{"per_technique":{"T":{"auroc":true}}}`} {
		if err := json.Unmarshal([]byte(bad), &back); err == nil {
			t.Errorf("%s: no error", bad)
		}
	}
	// A reference payload without ci95 fields reads them as NaN.
	if err := json.Unmarshal([]byte(`{"auroc":0.5,"extra":{"a":1}}`), &back); err != nil || !math.IsNaN(back.CILo) || back.AUROC != 0.5 {
		t.Errorf("%+v %v", back, err)
	}
	if s := string(must(json.Marshal(Report{}))); !strings.Contains(s, `"per_technique":{}`) {
		t.Errorf("empty techniques: %s", s)
	}
}

func must(b []byte, err error) []byte {
	if err != nil {
		panic(err)
	}
	return b
}

// FuzzReportJSON: any input either fails to decode or decodes into a
// report that encodes and decodes back to itself.
func FuzzReportJSON(f *testing.F) {
	f.Add([]byte(`{"auroc":0.75,"ap":0.5,"per_window_auroc":null,"n_windows":3,"per_technique":{"T1082":{"auroc":0.6,"n_attack_events":60,"skipped":false},"T1":{"auroc":null,"n_attack_events":3,"skipped":true}}}`))
	f.Add([]byte(`{"per_technique":{}}`))
	f.Add([]byte(`{"auroc":1e400}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var r Report
		if err := json.Unmarshal(data, &r); err != nil {
			return
		}
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatalf("%+v: %v", r, err)
		}
		var back Report
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatalf("%s: %v", b, err)
		}
		b2, _ := json.Marshal(back)
		if !bytes.Equal(b, b2) {
			t.Fatalf("round trip:\n%s\n%s", b, b2)
		}
	})
}
