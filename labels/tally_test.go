package labels

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

const tallyCSV = `start_ts,end_ts,technique_id,trial,tactic,technique_name
1970-01-01T00:00:10Z,1970-01-01T00:00:20Z,T1,1,Execution,Shell
1970-01-01T00:00:30Z,1970-01-01T00:00:40Z,T1,2,Execution,Shell
1970-01-01T00:00:50Z,1970-01-01T00:01:00Z,T2,1,Discovery,Files|Dirs
1970-01-01T00:01:10Z,1970-01-01T00:01:20Z,T3,1,Execution,Python
`

func TestTally(t *testing.T) {
	set := mustLoad(t, tallyCSV)
	sp, err := set.Split(5e9)
	if err != nil {
		t.Fatal(err)
	}
	times := []int64{1e9, 2e9, 11e9, 12e9, 13e9, 25e9, 55e9, 0}
	valid := []bool{true, true, true, true, true, true, true, false}
	labels, err := set.LabelInto(nil, times, valid)
	if err != nil {
		t.Fatal(err)
	}
	tally := NewTally(set, &sp)
	if err := tally.Add(times, valid, labels); err != nil {
		t.Fatal(err)
	}
	if err := tally.Add(times, nil, labels[:1]); !errors.Is(err, ErrLength) {
		t.Errorf("Add length error = %v", err)
	}

	wantTech := []TechniqueRow{
		{TechniqueID: "T1", Tactic: "Execution", Name: "Shell", Trials: 2, TrialsSeen: 1, Events: 3},
		{TechniqueID: "T2", Tactic: "Discovery", Name: "Files|Dirs", Trials: 1, TrialsSeen: 1, Events: 1},
		{TechniqueID: "T3", Tactic: "Execution", Name: "Python", Trials: 1, TrialsSeen: 0, Events: 0},
	}
	if got := tally.Techniques(); !slices.Equal(got, wantTech) {
		t.Errorf("Techniques = %+v\nwant %+v", got, wantTech)
	}
	wantTactic := []TacticRow{
		{Tactic: "Discovery", Techniques: 1, Trials: 1, TrialsSeen: 1, Events: 1},
		{Tactic: "Execution", Techniques: 2, Trials: 3, TrialsSeen: 1, Events: 3},
	}
	if got := tally.Tactics(); !slices.Equal(got, wantTactic) {
		t.Errorf("Tactics = %+v\nwant %+v", got, wantTactic)
	}
	wantSplit := []SplitRow{
		{Split: "train", Events: 2},
		{Split: "test", Events: 5, Attacks: 4, AttackRate: 0.8},
		{Split: "no time", Events: 1},
	}
	if got := tally.Splits(); !slices.Equal(got, wantSplit) {
		t.Errorf("Splits = %+v\nwant %+v", got, wantSplit)
	}

	var b strings.Builder
	if err := tally.WriteMarkdown(&b); err != nil {
		t.Fatal(err)
	}
	const wantMD = `| split | events | attack events | attack rate |
|---|---:|---:|---:|
| train | 2 | 0 | 0.000 % |
| test | 5 | 4 | 80.000 % |
| no time | 1 | 0 | 0.000 % |

| technique_id | tactic | technique_name | trials | trials with events | attack events |
|---|---|---|---:|---:|---:|
| T1 | Execution | Shell | 2 | 1 | 3 |
| T2 | Discovery | Files\|Dirs | 1 | 1 | 1 |
| T3 | Execution | Python | 1 | 0 | 0 |
| **total** | | | 4 | 2 | 4 |

| tactic | techniques | trials | trials with events | attack events |
|---|---:|---:|---:|---:|
| Discovery | 1 | 1 | 1 | 1 |
| Execution | 2 | 3 | 1 | 3 |
`
	if b.String() != wantMD {
		t.Errorf("WriteMarkdown:\n%s\nwant:\n%s", b.String(), wantMD)
	}

	// Without a split or optional columns: one "all" row, no tactic table.
	plain := NewTally(mustLoad(t, csvOf(row(10, 20, "T1", "1"))), nil)
	if err := plain.Add(times, valid, labels); err != nil {
		t.Fatal(err)
	}
	if got := plain.Splits(); !slices.Equal(got, []SplitRow{{Split: "all", Events: 8, Attacks: 3, AttackRate: 3.0 / 8}}) {
		t.Errorf("Splits without split = %+v", got)
	}
	if plain.Tactics() != nil {
		t.Error("Tactics without a tactic column should be nil")
	}
	b.Reset()
	if err := plain.WriteMarkdown(&b); err != nil || strings.Contains(b.String(), "| tactic") {
		t.Errorf("WriteMarkdown without tactic column:\n%s", b.String())
	}
}

func TestTallyAddRecord(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	set := mustLoad(t, csvOf(row(10, 20, "T1", "1"), row(30, 40, "T2", "1")))
	rec := eventRecord(t, mem, tsNS, []int64{5e9, 15e9, 0, 35e9}, []bool{true, true, false, true})
	defer rec.Release()
	labeled, err := set.AppendLabels(rec, mem)
	if err != nil {
		t.Fatal(err)
	}
	defer labeled.Release()

	tally := NewTally(set, nil)
	if err := tally.AddRecord(labeled); err != nil {
		t.Fatal(err)
	}
	if got := tally.Splits()[0]; got.Events != 4 || got.Attacks != 2 {
		t.Errorf("Splits = %+v", got)
	}
	if err := tally.AddRecord(rec); !errors.Is(err, ErrNoColumn) {
		t.Errorf("unlabeled record error = %v", err)
	}

	// The same record judged by a different labels file.
	other := NewTally(mustLoad(t, csvOf(row(10, 20, "T1", "1"), row(30, 40, "T9", "1"))), nil)
	err = other.AddRecord(labeled)
	if !errors.Is(err, ErrLabelMismatch) || !strings.Contains(err.Error(), `row 3`) ||
		!strings.Contains(err.Error(), `technique_id="T2", labels say "T9"`) {
		t.Errorf("mismatch error = %v", err)
	}
	if got := other.Splits()[0]; got.Events != 0 {
		t.Errorf("a failed batch was accumulated: %+v", got)
	}

	// Wrong column type.
	cols := slices.Clone(labeled.Columns())
	cols[2] = labeled.Column(0)
	fields := slices.Clone(labeled.Schema().Fields())
	fields[2].Type = arrow.PrimitiveTypes.Int64
	bad := array.NewRecordBatch(arrow.NewSchema(fields, nil), cols, labeled.NumRows())
	defer bad.Release()
	if err := tally.AddRecord(bad); !errors.Is(err, ErrColumnType) {
		t.Errorf("bad is_attack type error = %v", err)
	}
}
