package metrics_test

import (
	"fmt"
	"strings"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
	"github.com/tetrahids/tetrahids/examples/live/internal/metrics"
)

func ExampleStatusLine() {
	var c metrics.Counters
	prev := c.Snapshot(follow.Stats{})
	for range 3 {
		c.Line(900)
		c.Kept()
	}
	c.Dropped("filtered")
	cur := c.Snapshot(follow.Stats{})
	cur.Time = prev.Time.Add(2 * time.Second) // for a fixed rate
	cur.HeapBytes = 8 << 20
	fmt.Println(metrics.StatusLine(prev, cur))
	// Output: lines 3 (1.5/s) kept 3 dropped 1 [filtered=1] alerts 0 lag 0 B 0.0 s heap 8.0 MiB
}

func ExampleSnapshot_WritePrometheus() {
	var c metrics.Counters
	c.Line(900)
	c.Kept()
	var b strings.Builder
	c.Snapshot(follow.Stats{}).WritePrometheus(&b)
	for _, line := range strings.Split(b.String(), "\n")[:9] {
		fmt.Println(line)
	}
	// Output:
	// # HELP tetrahids_live_lines_read_total Complete input lines read.
	// # TYPE tetrahids_live_lines_read_total counter
	// tetrahids_live_lines_read_total 1
	// # HELP tetrahids_live_input_bytes_total Bytes of the input lines read, newlines included.
	// # TYPE tetrahids_live_input_bytes_total counter
	// tetrahids_live_input_bytes_total 900
	// # HELP tetrahids_live_events_kept_total Events kept: scored and written to the output.
	// # TYPE tetrahids_live_events_kept_total counter
	// tetrahids_live_events_kept_total 1
}
