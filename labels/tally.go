package labels

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// Tally accumulates labeled events and produces the dataset card's tables:
// attack events and trials per technique and per tactic, and the attack
// rate per split. Feed it with [Tally.Add] (label results) or
// [Tally.AddRecord] (labeled Arrow records), in any number of batches. A
// Tally is not safe for concurrent use.
type Tally struct {
	set   *Set
	split *Split

	perWindow []int64  // attack events per window, indexed like Set.Windows
	events    [3]int64 // events per side (index 0 only without a split)
	attacks   [3]int64 // attack events per side
	scratch   []int32  // label buffer for AddRecord
	tactics   bool     // the labels file has a tactic column
	names     bool     // the labels file has a technique_name column
}

// NewTally returns an empty Tally for set. With a nil split the split
// table has a single "all" row; otherwise it has train and test rows, and a
// "no time" row when some events have a null time.
func NewTally(set *Set, split *Split) *Tally {
	t := &Tally{
		set:       set,
		perWindow: make([]int64, set.Len()),
		tactics:   set.HasColumn(ColTactic),
		names:     set.HasColumn(ColTechniqueName),
	}
	if split != nil {
		sp := *split
		t.split = &sp
	}
	return t
}

func (t *Tally) side(ns int64, valid bool) Side {
	if t.split == nil {
		return 0
	}
	return t.split.Side(ns, valid)
}

func (t *Tally) add(side Side, l int32) {
	t.events[side]++
	if l >= 0 && int(l) < len(t.perWindow) {
		t.attacks[side]++
		t.perWindow[l]++
	}
}

// Add accumulates events from their times, validity (nil: all present) and
// labels, as passed to and returned by [Set.LabelInto]. It returns an error
// wrapping [ErrLength] if the slices differ in length.
func (t *Tally) Add(times []int64, valid []bool, labels []int32) error {
	if len(labels) != len(times) || (valid != nil && len(valid) != len(times)) {
		return fmt.Errorf("labels: tally: %d times, %d validity flags, %d labels: %w",
			len(times), len(valid), len(labels), ErrLength)
	}
	for i, l := range labels {
		t.add(t.side(times[i], valid == nil || valid[i]), l)
	}
	return nil
}

// AddRecord accumulates a labeled record batch: one with event_time,
// is_attack and technique_id columns, as [Set.AppendLabels] makes. The
// Tally relabels event_time with its own Set (which also yields the trial
// of every attack event) and checks the record's labels against the result,
// so a batch labeled with another labels file is caught: the error wraps
// [ErrLabelMismatch] and names the first disagreeing row. Nothing is
// accumulated from a batch that fails.
func (t *Tally) AddRecord(rec arrow.RecordBatch) error {
	col, err := eventTimeColumn(rec)
	if err != nil {
		return fmt.Errorf("labels: tally: %w", err)
	}
	isAttack, err := column[*array.Boolean](rec, ColIsAttack, "bool")
	if err != nil {
		return err
	}
	tech, err := column[*array.String](rec, ColLabelTechnique, "string")
	if err != nil {
		return err
	}
	t.scratch, err = t.set.LabelColumn(t.scratch, col)
	if err != nil {
		return fmt.Errorf("labels: tally: %w", err)
	}
	labels := t.scratch
	for i, l := range labels {
		gotAttack := isAttack.IsValid(i) && isAttack.Value(i)
		gotTech, techOK := "", tech.IsValid(i)
		if techOK {
			gotTech = tech.Value(i)
		}
		want := t.set.Technique(l)
		if gotAttack != (l >= 0) || techOK != (l >= 0) || gotTech != want {
			return fmt.Errorf("labels: tally: row %d (event_time %s): record says is_attack=%v technique_id=%s, labels say %s: %w",
				i, col.ValueStr(i), gotAttack, quoteOrNull(gotTech, techOK), quoteOrNull(want, l >= 0), ErrLabelMismatch)
		}
	}
	ts := col.(*array.Timestamp) // LabelColumn checked the type
	mul := int64(ts.DataType().(*arrow.TimestampType).Unit.Multiplier())
	for i, v := range ts.Values() {
		t.add(t.side(int64(v)*mul, ts.IsValid(i)), labels[i])
	}
	return nil
}

func quoteOrNull(s string, ok bool) string {
	if !ok {
		return "null"
	}
	return fmt.Sprintf("%q", s)
}

// column finds the named column of rec and checks its Go array type.
func column[A arrow.Array](rec arrow.RecordBatch, name, want string) (A, error) {
	var zero A
	idx := rec.Schema().FieldIndices(name)
	if len(idx) != 1 {
		return zero, fmt.Errorf("labels: tally: record has %d %s columns, want 1: %w", len(idx), name, ErrNoColumn)
	}
	a, ok := rec.Column(idx[0]).(A)
	if !ok {
		return zero, fmt.Errorf("labels: tally: %s is %s, want %s: %w", name, rec.Column(idx[0]).DataType(), want, ErrColumnType)
	}
	return a, nil
}

// TechniqueRow is one row of the per-technique table.
type TechniqueRow struct {
	// TechniqueID is the ATT&CK technique id, such as "T1059.004".
	TechniqueID string
	// Tactic is the tactic column of the technique's windows ("" if the
	// file has none; distinct values joined with ", " if they differ).
	Tactic string
	// Name is the technique_name column, likewise.
	Name string
	// Trials counts the technique's windows in the labels file.
	Trials int
	// TrialsSeen counts those windows that labeled at least one event.
	TrialsSeen int
	// Events counts the technique's attack events.
	Events int64
}

// TacticRow is one row of the per-tactic table.
type TacticRow struct {
	Tactic     string // the tactic column's value
	Techniques int    // distinct technique_ids
	Trials     int    // windows of the tactic
	TrialsSeen int    // those windows that labeled at least one event
	Events     int64  // attack events of the tactic
}

// SplitRow is one row of the split table.
type SplitRow struct {
	// Split is "train", "test", "no time" or, without a split, "all".
	Split string
	// Events counts the split's events, Attacks those inside an attack
	// window.
	Events  int64
	Attacks int64
	// AttackRate is Attacks/Events, 0 for an empty split.
	AttackRate float64
}

// Techniques returns the per-technique table, sorted by technique_id.
// Techniques with windows but no events are included (Events 0).
func (t *Tally) Techniques() []TechniqueRow {
	byID := map[string]*TechniqueRow{}
	var order []string
	for i, w := range t.set.windows {
		r := byID[w.TechniqueID]
		if r == nil {
			r = &TechniqueRow{TechniqueID: w.TechniqueID}
			byID[w.TechniqueID] = r
			order = append(order, w.TechniqueID)
		}
		r.Tactic = joinDistinct(r.Tactic, w.Attrs[ColTactic])
		r.Name = joinDistinct(r.Name, w.Attrs[ColTechniqueName])
		r.Trials++
		if t.perWindow[i] > 0 {
			r.TrialsSeen++
		}
		r.Events += t.perWindow[i]
	}
	slices.Sort(order)
	rows := make([]TechniqueRow, len(order))
	for i, id := range order {
		rows[i] = *byID[id]
	}
	return rows
}

// joinDistinct appends v to the ", "-joined list acc unless already there.
func joinDistinct(acc, v string) string {
	if v == "" {
		return acc
	}
	if acc == "" {
		return v
	}
	if slices.Contains(strings.Split(acc, ", "), v) {
		return acc
	}
	return acc + ", " + v
}

// Tactics returns the per-tactic table sorted by tactic, or nil if the
// labels file has no tactic column. Each window counts under its own
// tactic.
func (t *Tally) Tactics() []TacticRow {
	if !t.tactics {
		return nil
	}
	byTactic := map[string]*TacticRow{}
	techs := map[string]map[string]bool{}
	for i, w := range t.set.windows {
		name := w.Attrs[ColTactic]
		r := byTactic[name]
		if r == nil {
			r = &TacticRow{Tactic: name}
			byTactic[name] = r
			techs[name] = map[string]bool{}
		}
		if !techs[name][w.TechniqueID] {
			techs[name][w.TechniqueID] = true
			r.Techniques++
		}
		r.Trials++
		if t.perWindow[i] > 0 {
			r.TrialsSeen++
		}
		r.Events += t.perWindow[i]
	}
	rows := make([]TacticRow, 0, len(byTactic))
	for _, r := range byTactic {
		rows = append(rows, *r)
	}
	slices.SortFunc(rows, func(a, b TacticRow) int { return cmp.Compare(a.Tactic, b.Tactic) })
	return rows
}

// Splits returns the split table: train and test (and "no time" if any
// event had a null time), or a single "all" row without a split.
func (t *Tally) Splits() []SplitRow {
	row := func(name string, s Side) SplitRow {
		r := SplitRow{Split: name, Events: t.events[s], Attacks: t.attacks[s]}
		if r.Events > 0 {
			r.AttackRate = float64(r.Attacks) / float64(r.Events)
		}
		return r
	}
	if t.split == nil {
		return []SplitRow{row("all", 0)}
	}
	rows := []SplitRow{row(Train.String(), Train), row(Test.String(), Test)}
	if t.events[NoTime] > 0 {
		rows = append(rows, row(NoTime.String(), NoTime))
	}
	return rows
}

// WriteMarkdown renders the tables as GitHub-flavoured Markdown, in the
// card's order: splits, techniques (with a total row), tactics (if any).
func (t *Tally) WriteMarkdown(w io.Writer) error {
	var b strings.Builder
	b.WriteString("| split | events | attack events | attack rate |\n|---|---:|---:|---:|\n")
	for _, r := range t.Splits() {
		fmt.Fprintf(&b, "| %s | %d | %d | %.3f %% |\n", r.Split, r.Events, r.Attacks, 100*r.AttackRate)
	}

	b.WriteString("\n| technique_id |")
	align := "|---|"
	if t.tactics {
		b.WriteString(" tactic |")
		align += "---|"
	}
	if t.names {
		b.WriteString(" technique_name |")
		align += "---|"
	}
	b.WriteString(" trials | trials with events | attack events |\n")
	b.WriteString(align + "---:|---:|---:|\n")
	var trials, seen int
	var events int64
	for _, r := range t.Techniques() {
		fmt.Fprintf(&b, "| %s |", mdEscape(r.TechniqueID))
		if t.tactics {
			fmt.Fprintf(&b, " %s |", mdEscape(r.Tactic))
		}
		if t.names {
			fmt.Fprintf(&b, " %s |", mdEscape(r.Name))
		}
		fmt.Fprintf(&b, " %d | %d | %d |\n", r.Trials, r.TrialsSeen, r.Events)
		trials, seen, events = trials+r.Trials, seen+r.TrialsSeen, events+r.Events
	}
	b.WriteString("| **total** |")
	if t.tactics {
		b.WriteString(" |")
	}
	if t.names {
		b.WriteString(" |")
	}
	fmt.Fprintf(&b, " %d | %d | %d |\n", trials, seen, events)

	if rows := t.Tactics(); rows != nil {
		b.WriteString("\n| tactic | techniques | trials | trials with events | attack events |\n|---|---:|---:|---:|---:|\n")
		for _, r := range rows {
			fmt.Fprintf(&b, "| %s | %d | %d | %d | %d |\n", mdEscape(r.Tactic), r.Techniques, r.Trials, r.TrialsSeen, r.Events)
		}
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("labels: writing tables: %w", err)
	}
	return nil
}

// mdEscape keeps a cell from breaking the table.
func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ", "\r", " ").Replace(s)
}
