package labels

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
)

// csvOf writes windows (times in seconds) as a labels file, in the given order.
func csvOf(rows ...string) string {
	return "start_ts,end_ts,technique_id,trial\n" + strings.Join(rows, "\n") + "\n"
}

func row(start, end int64, tech, trial string) string {
	return fmt.Sprintf("%s,%s,%s,%s", FormatTime(start*1e9), FormatTime(end*1e9), tech, trial)
}

// lineOf maps a label to the window's file line (0 for benign), which
// identifies a window independently of the label order.
func lineOf(set *Set, l int32) int {
	if w, ok := set.Window(int(l)); ok {
		return w.Line
	}
	return 0
}

func TestBoundaries(t *testing.T) {
	set := mustLoad(t, csvOf(row(10, 20, "T1", "1")))
	s := int64(1e9)
	cases := []struct {
		t      int64
		attack bool
	}{
		{math.MinInt64, false}, {10*s - 1, false}, {10 * s, true}, {15 * s, true},
		{20*s - 1, true}, {20 * s, false}, {20*s + 1, false}, {math.MaxInt64, false},
	}
	for _, c := range cases {
		l := set.Find(c.t)
		if (l >= 0) != c.attack {
			t.Errorf("Find(%d) = %d, attack want %v", c.t, l, c.attack)
		}
		if c.attack && set.Technique(l) != "T1" {
			t.Errorf("Technique(Find(%d)) = %q", c.t, set.Technique(l))
		}
	}
	if set.Technique(Benign) != "" || set.Technique(7) != "" {
		t.Error("Technique of benign/out-of-range label not empty")
	}
}

func TestOverlapSemantics(t *testing.T) {
	// OUTER [10,40) contains INNER [20,25); LATE [30,50) overlaps OUTER.
	set := mustLoad(t, csvOf(
		row(10, 40, "OUTER", "1"),
		row(20, 25, "INNER", "1"),
		row(30, 50, "LATE", "1"),
	))
	cases := []struct {
		sec  int64
		tech string
	}{
		{15, "OUTER"},
		{20, "INNER"}, // the later start wins inside the overlap
		{24, "INNER"},
		{25, ""}, // INNER ended: benign, although OUTER still covers it
		{29, ""},
		{30, "LATE"},
		{39, "LATE"},
		{45, "LATE"},
		{50, ""},
	}
	for _, c := range cases {
		if got := set.Technique(set.Find(c.sec * 1e9)); got != c.tech {
			t.Errorf("t=%ds: technique %q, want %q", c.sec, got, c.tech)
		}
	}
}

func TestEqualStartTies(t *testing.T) {
	// The reference sorts (start, end, technique_id) tuples and takes the
	// last window with start <= t: for equal starts, the largest end, then
	// the largest technique_id, whatever the file order.
	for _, rows := range [][]string{
		{row(10, 30, "T2", "1"), row(10, 20, "T1", "1")},
		{row(10, 20, "T1", "1"), row(10, 30, "T2", "1")},
	} {
		set := mustLoad(t, csvOf(rows...))
		for _, sec := range []int64{10, 15, 25} {
			if got := set.Technique(set.Find(sec * 1e9)); got != "T2" {
				t.Errorf("order %q, t=%ds: %q, want T2 (largest end)", rows, sec, got)
			}
		}
	}
	for _, rows := range [][]string{
		{row(10, 20, "TB", "1"), row(10, 20, "TA", "1")},
		{row(10, 20, "TA", "1"), row(10, 20, "TB", "1")},
	} {
		set := mustLoad(t, csvOf(rows...))
		if got := set.Technique(set.Find(15e9)); got != "TB" {
			t.Errorf("order %q: %q, want TB (largest technique_id)", rows, got)
		}
	}
	// Identical keys: file order, the later line wins.
	set := mustLoad(t, csvOf(row(10, 20, "T1", "1"), row(10, 20, "T1", "2")))
	if w, _ := set.Window(int(set.Find(15e9))); w.Trial != "2" || w.Line != 3 {
		t.Errorf("identical windows: got trial %q line %d, want trial 2 line 3", w.Trial, w.Line)
	}
}

func TestEmptySet(t *testing.T) {
	set := mustLoad(t, "start_ts,end_ts,technique_id,trial\n")
	if set.Len() != 0 {
		t.Fatal("not empty")
	}
	got := set.Label([]int64{math.MinInt64, 0, math.MaxInt64})
	if !slices.Equal(got, []int32{Benign, Benign, Benign}) {
		t.Errorf("Label = %v", got)
	}
}

// bruteForce is the reference rule stated directly: among windows with
// start <= t pick the greatest (start, end, technique_id, line); attack iff
// t < its end. It returns the window's line, 0 if benign.
func bruteForce(ws []Window, t int64) int {
	best := -1
	for i, w := range ws {
		if w.Start > t {
			continue
		}
		if best < 0 || cmpWindow(w, ws[best]) > 0 {
			best = i
		}
	}
	if best < 0 || t >= ws[best].End {
		return 0
	}
	return ws[best].Line
}

func cmpWindow(a, b Window) int {
	return cmp.Or(cmp.Compare(a.Start, b.Start), cmp.Compare(a.End, b.End),
		strings.Compare(a.TechniqueID, b.TechniqueID), cmp.Compare(a.Line, b.Line))
}

func TestLabelMatchesBruteForce(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for iter := range 200 {
		n := rng.IntN(12)
		var rows []string
		for i := range n {
			start := rng.Int64N(100)
			end := start + 1 + rng.Int64N(30)
			// Few technique ids so equal starts with equal ends occur.
			rows = append(rows, row(start, end, fmt.Sprintf("T%d", rng.IntN(3)), fmt.Sprint(i)))
		}
		set := mustLoad(t, csvOf(rows...))
		ws := set.Windows()

		times := make([]int64, 500)
		for i := range times {
			times[i] = rng.Int64N(140e9) - 5e9
			if rng.IntN(4) == 0 { // hit boundaries exactly
				times[i] = rng.Int64N(140) * 1e9
			}
		}
		times = append(times, math.MinInt64, math.MaxInt64)
		check := func(order string, times []int64, got []int32) {
			t.Helper()
			for i, tt := range times {
				if g, w := lineOf(set, got[i]), bruteForce(ws, tt); g != w {
					t.Fatalf("iter %d %s: t=%d: line %d, want %d (windows %q)", iter, order, tt, g, w, rows)
				}
			}
		}
		check("random", times, set.Label(times))
		sorted := slices.Clone(times)
		slices.Sort(sorted)
		check("sorted", sorted, set.Label(sorted))
		slices.Reverse(sorted)
		check("reversed", sorted, set.Label(sorted))
		for _, tt := range times {
			if g, w := lineOf(set, set.Find(tt)), bruteForce(ws, tt); g != w {
				t.Fatalf("Find(%d) line %d, want %d", tt, g, w)
			}
		}
	}
}

func TestLabelInto(t *testing.T) {
	set := mustLoad(t, csvOf(row(10, 20, "T1", "1")))
	times := []int64{5e9, 15e9, 15e9, 25e9}
	valid := []bool{true, true, false, true}
	buf := make([]int32, 0, 10)
	got, err := set.LabelInto(buf, times, valid)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, []int32{Benign, 0, Benign, Benign}) {
		t.Errorf("LabelInto = %v", got)
	}
	if &got[0] != &buf[:1][0] {
		t.Error("LabelInto did not reuse dst")
	}
	if got, _ := set.LabelInto(nil, times, nil); !slices.Equal(got, []int32{Benign, 0, 0, Benign}) {
		t.Errorf("LabelInto(valid=nil) = %v", got)
	}
	if _, err := set.LabelInto(nil, times, valid[:2]); !errors.Is(err, ErrLength) {
		t.Errorf("length mismatch error = %v", err)
	}
	isAttack, tech := set.Expand([]int32{Benign, 0, 5})
	if !slices.Equal(isAttack, []bool{false, true, false}) || !slices.Equal(tech, []string{"", "T1", ""}) {
		t.Errorf("Expand = %v %q", isAttack, tech)
	}
}

func TestUpper(t *testing.T) {
	for n := range 20 {
		b := make([]int64, n)
		for i := range b {
			b[i] = int64(i / 2 * 2) // duplicates
		}
		for x := int64(-2); x < int64(n)+2; x++ {
			want := 0
			for _, v := range b {
				if v <= x {
					want++
				}
			}
			if got := upper(b, x); got != want {
				t.Fatalf("upper(%v, %d) = %d, want %d", b, x, got, want)
			}
		}
	}
}

func TestLabelExtremeSpan(t *testing.T) {
	// Windows spread over the whole int64 nanosecond range make the bucket
	// index coarse (and its span exceed MaxInt64); labels must not change.
	rows := []string{
		"1677-09-22T00:00:00Z,1677-09-22T00:00:01Z,OLD,1",
		"2262-04-10T00:00:00Z,2262-04-11T00:00:00Z,FUTURE,1",
	}
	for i := range 40 {
		rows = append(rows, row(1_776_000_000+int64(i)*10, 1_776_000_000+int64(i)*10+3, "T", fmt.Sprint(i)))
	}
	set := mustLoad(t, csvOf(rows...))
	ws := set.Windows()
	rng := rand.New(rand.NewPCG(3, 4))
	var times []int64
	for _, w := range ws {
		times = append(times, w.Start-1, w.Start, w.Start+1, w.End-1, w.End, w.End+1)
	}
	for range 2000 {
		times = append(times, int64(rng.Uint64()), 1_776_000_000e9+rng.Int64N(500e9))
	}
	times = append(times, math.MinInt64, math.MaxInt64)
	got := set.Label(times)
	for i, tt := range times {
		if g, w := lineOf(set, got[i]), bruteForce(ws, tt); g != w {
			t.Fatalf("t=%d: line %d, want %d", tt, g, w)
		}
	}
}
