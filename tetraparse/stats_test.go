package tetraparse

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMostlyUnreadable parses what a directory of notes gives (a README,
// a CSV) and an export with some damage, and checks the rule a builder
// applies to refuse a build.
func TestMostlyUnreadable(t *testing.T) {
	parse := func(in string) Stats {
		p, err := New(Config{})
		require.NoError(t, err)
		for _, err := range p.Records(strings.NewReader(in), "x") {
			require.NoError(t, err)
		}
		st := p.Stats()
		require.NoError(t, st.Check())
		return st
	}
	readme := "# Notes\n\nThese are the logs of host A.\n"
	csv := "start_ts,end_ts,label\n1,2,a\n3,4,b\n"
	numbers := "1\n2\n3\n\"text\"\n{\"not\":\"an event\"}\n"
	export := strings.Repeat(nsEvent+"\n", 10)
	throttle := `{"process_throttle":{"type":"THROTTLE_START"}}` + "\n"
	for _, c := range []struct {
		name       string
		in         string
		unreadable int64
		mostly     bool
	}{
		{"readme", readme, 2, true},
		{"csv", csv, 3, true},
		{"json values that are no event", numbers, 5, true},
		{"export", export, 0, false},
		{"export with a README line", export + readme, 2, false},
		{"other Tetragon kinds are events", strings.Repeat(throttle, 5) + export, 0, false},
		{"half and half is not mostly", strings.Repeat(nsEvent+"\nxx\n", 3), 3, false},
		{"blank only", "\n\n  \n", 0, false},
	} {
		st := parse(c.in)
		require.Equal(t, c.unreadable, st.Unreadable(), c.name)
		require.Equal(t, c.mostly, st.MostlyUnreadable(), c.name)
	}
}

func TestStatsAddAndMap(t *testing.T) {
	a := Stats{LinesRead: 3, LinesTooLong: 1, KeptWithoutNamespace: 2, SelectedBy: []int64{1},
		FailedFiles: []FailedFile{{File: "a", Reason: "x"}}, Selection: "s1"}
	b := Stats{LinesRead: 2, LinesTooLong: 2, SelectedBy: []int64{1, 4}, FailedFiles: []FailedFile{{File: "b"}}, Selection: "s2"}
	a.droppedByReason[DropNotSelected] = 3
	a.Add(&b)
	a.Add(&b)
	require.EqualValues(t, 7, a.LinesRead)
	require.EqualValues(t, 5, a.LinesTooLong)
	require.EqualValues(t, 5, a.Errors())
	require.Equal(t, []int64{3, 8}, a.SelectedBy)
	require.Equal(t, []FailedFile{{File: "a", Reason: "x"}, {File: "b"}, {File: "b"}}, a.FailedFiles)
	require.Equal(t, "s1 | s2", a.Selection)
	m := a.Map()
	require.EqualValues(t, 5, m["errors_line_too_long"])
	require.EqualValues(t, 2, m["kept_without_namespace"])
	require.EqualValues(t, 8, m["selected_by_selector_2"])
	require.EqualValues(t, 3, m["drop_not_selected"])
	require.EqualValues(t, 3, a.Dropped())
	// The reference's counters leave the new ones out.
	ref := a.Reference()
	for k := range ref {
		require.NotContains(t, []string{"errors_line_too_long", "kept_without_namespace", "drop_not_selected"}, k)
	}
	// Parser.Stats hands out copies.
	p, err := New(Config{Select: []Selector{{PIDNamespace: 4026531836}}})
	require.NoError(t, err)
	for _, err := range p.Records(strings.NewReader(nsEvent+"\n"), "x") {
		require.NoError(t, err)
	}
	st := p.Stats()
	st.SelectedBy[0] = 99
	require.Equal(t, []int64{1}, p.Stats().SelectedBy)
}

// TestStatsByKindAndReason checks the accessors against the counters they
// sum to, and that out-of-range kinds and reasons read as zero.
func TestStatsByKindAndReason(t *testing.T) {
	p, err := New(Config{TargetInums: []uint64{4026531836}})
	require.NoError(t, err)
	in := nsEvent + "\n" + `{"process_lsm":{}}` + "\n7\n" + `{"process_exec":{}}` + "\n"
	for _, err := range p.Records(strings.NewReader(in), "x") {
		require.NoError(t, err)
	}
	st := p.Stats()
	require.NoError(t, st.Check())
	var kept, wrong, dropped int64
	for _, k := range Kinds() {
		kept += st.KeptBy(k)
		wrong += st.WrongKind(k)
	}
	for _, r := range DropReasons() {
		dropped += st.DroppedBy(r)
	}
	require.Equal(t, st.Kept(), kept)
	require.Equal(t, st.Dropped(), dropped)
	require.Equal(t, st.DroppedBy(DropWrongEventType), wrong)
	require.EqualValues(t, 1, st.KeptBy(KindExec))
	require.EqualValues(t, 1, st.WrongKind(KindLsm))
	require.EqualValues(t, 1, st.WrongKind(KindUnknown))
	require.EqualValues(t, 1, st.DroppedBy(DropNoProcess))
	require.Zero(t, st.KeptBy(Kind(200)))
	require.Zero(t, st.WrongKind(Kind(200)))
	require.Zero(t, st.DroppedBy(DropReason(200)))
	require.Len(t, Kinds(), int(KindRateLimitInfo)+1)
	require.Len(t, DropReasons(), int(DropNotSelected)+1)
}
