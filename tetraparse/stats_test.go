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
