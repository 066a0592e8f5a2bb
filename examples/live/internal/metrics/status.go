package metrics

import (
	"fmt"
	"maps"
	"slices"
	"strings"
)

// StatusLine renders cur as one line for standard error; the event rate is
// taken over the time since prev (the previous status line's snapshot).
//
//	lines 120000 (4000.0/s) kept 118000 dropped 2000 [filtered=1990 parse_error=10] alerts 3 lag 0 B 0.0 s heap 41.2 MiB
//
// Input problems (lines dropped, gaps) and failed checkpoints are appended
// when there are any.
func StatusLine(prev, cur Snapshot) string {
	var b strings.Builder
	rate := 0.0
	if dt := cur.Time.Sub(prev.Time).Seconds(); dt > 0 && cur.Lines >= prev.Lines {
		rate = float64(cur.Lines-prev.Lines) / dt
	}
	fmt.Fprintf(&b, "lines %d (%.1f/s) kept %d dropped %d", cur.Lines, rate, cur.Kept, sum(cur.Dropped))
	reasons(&b, cur.Dropped)
	fmt.Fprintf(&b, " alerts %d lag %s %.1f s heap %s", cur.Alerts, bytesIEC(uint64(max(cur.Input.LagBytes, 0))), cur.Input.LagSeconds, bytesIEC(cur.HeapBytes))
	if n := sum(cur.InputDropped); n > 0 {
		fmt.Fprintf(&b, " input-dropped %d", n)
		reasons(&b, cur.InputDropped)
	}
	if n := sum(cur.Gaps); n > 0 {
		fmt.Fprintf(&b, " gaps %d", n)
		reasons(&b, cur.Gaps)
	}
	if cur.CheckpointErrors > 0 {
		fmt.Fprintf(&b, " checkpoint-errors %d", cur.CheckpointErrors)
	}
	return b.String()
}

func sum(m map[string]uint64) uint64 {
	var n uint64
	for _, v := range m {
		n += v
	}
	return n
}

func reasons(b *strings.Builder, m map[string]uint64) {
	if len(m) == 0 {
		return
	}
	b.WriteString(" [")
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(b, "%s=%d", k, m[k])
	}
	b.WriteByte(']')
}

func bytesIEC(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, i := float64(n), -1
	for v >= unit && i < 4 {
		v /= unit
		i++
	}
	return fmt.Sprintf("%.1f %ciB", v, "KMGTP"[i])
}
