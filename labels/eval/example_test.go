package eval_test

import (
	"encoding/json"
	"fmt"
	"log"
	"strings"

	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/labels/eval"
)

func ExampleAUROC() {
	scores := []float64{0.1, 0.4, 0.4, 0.8}
	isAttack := []bool{false, false, true, true}
	a, err := eval.AUROC(scores, isAttack)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(a) // (0.5 for the tie at 0.4 + 1 + 1 + 1) / 4
	_, err = eval.AUROC(scores, []bool{false, false, false, false})
	fmt.Println(err)
	// Output:
	// 0.875
	// eval: AUROC undefined, only one class present: 0 attack, 4 benign
}

func ExamplePerWindow() {
	scores := []float64{1, 1, 5, 1, 1, 1, 1, 1}
	isAttack := []bool{false, false, true, false, false, false, false, false}
	res, err := eval.PerWindow(scores, isAttack, eval.Windows{Size: 4, Stride: 2, Agg: eval.Max})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("%d windows, %d attack, AUROC %.2f\n", res.Windows, res.AttackWindows, res.AUROC)
	// Output: 3 windows, 2 attack, AUROC 1.00
}

// Labels from a labels.csv, scores from a detector, metrics as the paper
// reports them.
func Example() {
	set, err := labels.Load(strings.NewReader(`start_ts,end_ts,technique_id,trial
2026-04-19T21:00:10Z,2026-04-19T21:00:20Z,T1082,1
2026-04-19T21:00:40Z,2026-04-19T21:00:50Z,T1059.004,1
`))
	if err != nil {
		log.Fatal(err)
	}
	base, _ := labels.ParseTime("2026-04-19T21:00:00Z")
	var times []int64
	var scores []float64
	for i := range 60 { // one event per second, scored by a toy detector
		times = append(times, base+int64(i)*1e9)
		scores = append(scores, float64(i%7))
	}
	isAttack, technique := set.Expand(set.Label(times))

	res, err := eval.PerEvent(scores, isAttack, eval.Bootstrap{Resamples: 200, Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("per-event AUROC %.3f over %d events (%d attack)\n", res.AUROC, res.Events, res.Attacks)
	fmt.Println("95 % CI contains the AUROC:", res.CI.Lo < res.AUROC && res.AUROC < res.CI.Hi)

	rows, err := eval.PerTechnique(scores, isAttack, technique, 0)
	if err != nil {
		log.Fatal(err)
	}
	for _, r := range rows {
		fmt.Printf("%s: %d events, AUROC %.3f\n", r.TechniqueID, r.AttackEvents, r.AUROC)
	}
	// Output:
	// per-event AUROC 0.575 over 60 events (20 attack)
	// 95 % CI contains the AUROC: true
	// T1059.004: 10 events, AUROC 0.561
	// T1082: 10 events, AUROC 0.589
}

// The reference's eval payload, as JSON.
func ExampleEvaluate() {
	scores := []float64{0.1, 0.2, 0.9, 0.8, 0.7, 0.3, 0.2, 0.1, 0.2, 0.3}
	isAttack := []bool{false, false, true, true, true, false, false, false, false, false}
	technique := []string{"", "", "T1082", "T1082", "T1083", "", "", "", "", ""}
	rep, err := eval.Evaluate(scores, isAttack, technique, eval.Options{
		Bootstrap: eval.Bootstrap{Resamples: 100},
		Windows:   &eval.Windows{Size: 4, Stride: 3, Float32: true},
	})
	if err != nil {
		log.Fatal(err)
	}
	rep.CILo, rep.CIHi = 0, 1 // resampling noise, left out of the example
	out, _ := json.MarshalIndent(rep, "", "  ")
	fmt.Println(string(out))
	// Output:
	// {
	//   "auroc": 1,
	//   "ap": 1,
	//   "ci95_lo": 0,
	//   "ci95_hi": 1,
	//   "tpr_at_1pct_fpr": 1,
	//   "per_window_auroc": 1,
	//   "n_test_events": 10,
	//   "n_attack_events": 3,
	//   "n_windows": 3,
	//   "n_attack_windows": 2,
	//   "per_technique": {
	//     "T1082": {
	//       "auroc": null,
	//       "n_attack_events": 2,
	//       "skipped": true
	//     },
	//     "T1083": {
	//       "auroc": null,
	//       "n_attack_events": 1,
	//       "skipped": true
	//     }
	//   }
	// }
}
