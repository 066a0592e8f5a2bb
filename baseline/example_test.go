package baseline_test

import (
	"bytes"
	"fmt"
	"log"

	"github.com/tetrahids/tetrahids/baseline"
)

// Fit the n-gram on benign sequences, then score a live stream event by
// event; a score above the benign training tail is worth an alert.
func Example() {
	tr, err := baseline.NewNgramTrainer(baseline.NgramQuantiles(0.9))
	if err != nil {
		log.Fatal(err)
	}
	for i := range 50 { // benign: every shell opens a file, then exits
		pid := fmt.Sprint("proc-", i)
		tr.Add(pid, "PROC_EXEC:sshd->bash")
		tr.Add(pid, "FILE_OPEN:bash:USER_HOME")
		tr.Add(pid, "PROC_EXIT:bash")
	}
	m, err := tr.Fit()
	if err != nil {
		log.Fatal(err)
	}
	threshold, _ := m.ScoreQuantile(0.9)

	sc := m.NewScorer()
	for _, token := range []string{"PROC_EXEC:sshd->bash", "FILE_OPEN:bash:USER_HOME", "FILE_OPEN:bash:ETC_SHADOW"} {
		s := sc.Score("live-1", token) // -log P(token | the process's last two)
		fmt.Printf("%-26s %.3f alert=%t\n", token, s, float64(s) > threshold)
	}
	// Output:
	// PROC_EXEC:sshd->bash       1.099 alert=false
	// FILE_OPEN:bash:USER_HOME   0.955 alert=false
	// FILE_OPEN:bash:ETC_SHADOW  3.970 alert=true
}

// A service saves its scorer's process contexts before a restart and
// restores them after, so live processes keep their context.
func ExampleNgramScorer_WriteTo() {
	tr, _ := baseline.NewNgramTrainer()
	for _, tok := range []string{"a", "b", "c", "a", "b", "c"} {
		tr.Add("p", tok)
	}
	m, _ := tr.Fit()

	sc := m.NewScorer(baseline.MaxProcesses(10_000))
	sc.Score("live", "a")
	sc.Score("live", "b")
	var checkpoint bytes.Buffer
	if _, err := sc.WriteTo(&checkpoint); err != nil {
		log.Fatal(err)
	}

	// ... restart: load the model and the checkpoint ...
	restored, err := m.RestoreScorer(&checkpoint)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(restored.Len(), restored.Score("live", "c") == sc.Score("live", "c"))
	// Output: 1 true
}

// Fit an IsolationForest on feature rows and score one event.
func ExampleForestTrainer() {
	tr, err := baseline.NewForestTrainer(baseline.Flat, baseline.ForestSeed(1))
	if err != nil {
		log.Fatal(err)
	}
	nf := len(baseline.Flat.Columns())
	row := make([]float32, nf)
	for i := range 1000 { // benign rows: small codes
		for j := range row {
			row[j] = float32((i + j) % 3)
		}
		tr.AddRow(row)
	}
	f, err := tr.Fit()
	if err != nil {
		log.Fatal(err)
	}
	normal, _ := f.ScoreRow(row)
	for j := range row {
		row[j] = 9 // every feature far outside the training range
	}
	odd, _ := f.ScoreRow(row)
	fmt.Println(f.Kind(), len(f.Columns()), "columns;", odd > normal)
	// Output: iforest-flat 35 columns; true
}
