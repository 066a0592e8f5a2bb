package labels_test

import (
	"fmt"
	"log"
	"os"
	"strings"

	"github.com/tetrahids/tetrahids/labels"
)

const labelsCSV = `start_ts,end_ts,technique_id,trial,tactic
2026-04-19T21:48:02.652Z,2026-04-19T21:48:05.081Z,T1195.002,1,Initial Access
2026-04-19T21:50:42.982Z,2026-04-19T21:50:45.831Z,T1082,1,Discovery
`

func ExampleLoad() {
	set, err := labels.Load(strings.NewReader(labelsCSV))
	if err != nil {
		log.Fatal(err)
	}
	for _, w := range set.Windows() {
		fmt.Println(w.TechniqueID, w.Trial, w.Tactic(), labels.FormatTime(w.Start), w.End-w.Start)
	}
	// Output:
	// T1195.002 1 Initial Access 2026-04-19T21:48:02.652Z 2429000000
	// T1082 1 Discovery 2026-04-19T21:50:42.982Z 2849000000
}

func ExampleSet_Label() {
	set, err := labels.Load(strings.NewReader(labelsCSV))
	if err != nil {
		log.Fatal(err)
	}
	var times []int64
	for _, s := range []string{
		"2026-04-19T21:48:02.651999999Z", // just before the first window
		"2026-04-19T21:48:02.652Z",       // its start: attack
		"2026-04-19T21:48:05.081Z",       // its end: benign (windows are half open)
		"2026-04-19T21:50:44Z",
	} {
		t, err := labels.ParseTime(s)
		if err != nil {
			log.Fatal(err)
		}
		times = append(times, t)
	}
	for i, l := range set.Label(times) {
		fmt.Printf("event %d: attack=%v technique=%q\n", i, l != labels.Benign, set.Technique(l))
	}
	// Output:
	// event 0: attack=false technique=""
	// event 1: attack=true technique="T1195.002"
	// event 2: attack=false technique=""
	// event 3: attack=true technique="T1082"
}

func ExampleSet_LabelInto() {
	set, err := labels.Load(strings.NewReader(labelsCSV))
	if err != nil {
		log.Fatal(err)
	}
	t, _ := labels.ParseTime("2026-04-19T21:48:03Z")
	// The second event has a null time: its times entry is ignored.
	got, err := set.LabelInto(nil, []int64{t, t}, []bool{true, false})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(got)
	// Output: [0 -1]
}

func ExampleSet_Split() {
	set, err := labels.Load(strings.NewReader(labelsCSV))
	if err != nil {
		log.Fatal(err)
	}
	cut, _ := labels.ParseTime("2026-04-19T21:49:00Z")
	_, err = set.Split(cut)
	fmt.Println(err)
	// Output: labels: 1 attack window(s) start before the train/test cut 2026-04-19T21:49:00Z (train must be benign-only): T1195.002 trial 1 [2026-04-19T21:48:02.652Z, 2026-04-19T21:48:05.081Z) on line 2
}

func ExampleTally() {
	set, err := labels.Load(strings.NewReader(labelsCSV))
	if err != nil {
		log.Fatal(err)
	}
	var times []int64
	for _, s := range []string{"2026-04-19T21:47:00Z", "2026-04-19T21:48:03Z", "2026-04-19T21:48:04Z", "2026-04-19T21:55:00Z"} {
		t, _ := labels.ParseTime(s)
		times = append(times, t)
	}
	split, err := set.Split(times[0] + 1)
	if err != nil {
		log.Fatal(err)
	}
	tally := labels.NewTally(set, &split)
	if err := tally.Add(times, nil, set.Label(times)); err != nil {
		log.Fatal(err)
	}
	if err := tally.WriteMarkdown(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// Output:
	// | split | events | attack events | attack rate |
	// |---|---:|---:|---:|
	// | train | 1 | 0 | 0.000 % |
	// | test | 3 | 2 | 66.667 % |
	//
	// | technique_id | tactic | trials | trials with events | attack events |
	// |---|---|---:|---:|---:|
	// | T1082 | Discovery | 1 | 0 | 0 |
	// | T1195.002 | Initial Access | 1 | 1 | 2 |
	// | **total** | | 2 | 1 | 2 |
	//
	// | tactic | techniques | trials | trials with events | attack events |
	// |---|---:|---:|---:|---:|
	// | Discovery | 1 | 1 | 0 | 0 |
	// | Initial Access | 1 | 1 | 1 | 2 |
}

// A labels file with an operator's notes is released with the documented
// columns only.
func ExampleSet_WriteRelease() {
	set, err := labels.Load(strings.NewReader(`technique_id,trial,start_ts,end_ts,tactic,notes
T1082,1,2026-04-19T21:50:42.982Z,2026-04-19T21:50:45.831Z,Discovery,"ran from jdoe's laptop"
`))
	if err != nil {
		log.Fatal(err)
	}
	if err := set.WriteRelease(os.Stdout); err != nil {
		log.Fatal(err)
	}
	// A free-text technique id is refused.
	_, err = labels.Load(strings.NewReader("start_ts,end_ts,technique_id,trial\n2026-04-19T21:00:00Z,2026-04-19T21:00:01Z,see notes,1\n"))
	fmt.Println(err)
	// Output:
	// start_ts,end_ts,technique_id,trial,tactic
	// 2026-04-19T21:50:42.982Z,2026-04-19T21:50:45.831Z,T1082,1,Discovery
	// labels: line 2: technique_id "see notes": not a technique id of the allowed form: want T1234, T1234.567 or CHAIN.NAME01
}
