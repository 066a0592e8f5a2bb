package lineage

import (
	"fmt"
	"testing"
)

// row is one Add call of a table test.
type row struct{ exec, ppid, pid, bin string }

func build(rows ...row) *Graph {
	g := New()
	for _, r := range rows {
		g.Add(r.exec, r.ppid, r.pid, r.bin)
	}
	return g
}

// chain returns rows for n0 <- n1 <- ... <- n(k-1): n0 has no parent.
func chain(k int) []row {
	rows := make([]row, k)
	for i := range rows {
		rows[i] = row{exec: fmt.Sprintf("n%d", i), bin: fmt.Sprintf("/bin/b%d", i)}
		if i > 0 {
			rows[i].ppid = fmt.Sprintf("n%d", i-1)
		}
	}
	return rows
}

func TestLookup(t *testing.T) {
	tree := []row{
		{"init", "", "", "/sbin/init"},
		{"sshd", "init", "", "/usr/sbin/sshd"},
		{"bash", "sshd", "", "/bin/bash"},
		{"curl", "bash", "", "/usr/bin/curl"},
		{"orphan", "gone", "", "/usr/bin/orphan"},
		{"viaFallback", "", "bash", "/usr/bin/fallback"},
		{"self", "self", "", "/bin/self"},
		{"a", "b", "", "/bin/a"},
		{"b", "a", "", "/bin/b"},
		{"tail", "a", "", "/bin/tail"},
		{"nobin", "", "", ""},
		{"dirbin", "", "", "/usr/bin/"},
	}
	cases := []struct {
		name string
		rows []row
		id   string
		want Lineage
	}{
		{"root itself", tree, "init", Lineage{0, "init", "init", false}},
		{"three deep", tree, "curl", Lineage{3, "init", "init", false}},
		{"parent missing from graph", tree, "orphan", Lineage{0, "orphan", "orphan", false}},
		{"fallback parent is walked", tree, "viaFallback", Lineage{3, "init", "init", false}},
		{"self-parent cycle", tree, "self", Lineage{1, "self", "self", true}},
		{"2-cycle from a", tree, "a", Lineage{2, "a", "a", true}},
		{"2-cycle from b", tree, "b", Lineage{2, "b", "b", true}},
		{"tail into 2-cycle", tree, "tail", Lineage{3, "a", "a", true}},
		{"unknown id", tree, "nope", Lineage{}},
		{"empty id", tree, "", Lineage{}},
		{"placeholder parent is not registered", tree, "gone", Lineage{}},
		{"empty binary", tree, "nobin", Lineage{0, "nobin", "", false}},
		{"binary ending in slash", tree, "dirbin", Lineage{0, "dirbin", "", false}},
		{"63-edge chain: no cycle", chain(64), "n63", Lineage{15, "n0", "b0", false}},
		{"64-edge chain: cap is a cycle", chain(65), "n64", Lineage{15, "n0", "b0", true}},
		{"70-deep chain", chain(71), "n70", Lineage{15, "n6", "b6", true}},
		{"70-deep chain, mid node", chain(71), "n40", Lineage{15, "n0", "b0", false}},
		{"depth 15 exactly", chain(16), "n15", Lineage{15, "n0", "b0", false}},
		{"depth 16 capped", chain(17), "n16", Lineage{15, "n0", "b0", false}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := build(c.rows...)
			if got := g.Lookup(c.id); got != c.want {
				t.Errorf("Lookup(%q) = %+v, want %+v", c.id, got, c.want)
			}
			// A memo hit must give the same answer.
			if got := g.Lookup(c.id); got != c.want {
				t.Errorf("second Lookup(%q) = %+v, want %+v", c.id, got, c.want)
			}
		})
	}
}

// TestDeepChainOrders checks chains around and beyond MaxWalk whatever the
// lookup order, since memos are derived from ancestors' memos.
func TestDeepChainOrders(t *testing.T) {
	for _, k := range []int{1, 2, 15, 16, 63, 64, 65, 66, 70, 128, 129, 200} {
		rows := chain(k)
		want := func(i int) Lineage {
			if i >= MaxWalk {
				r := i - MaxWalk
				return Lineage{MaxDepth, fmt.Sprintf("n%d", r), fmt.Sprintf("b%d", r), true}
			}
			return Lineage{min(i, MaxDepth), "n0", "b0", false}
		}
		orders := map[string]func(int) int{
			"top-down":  func(i int) int { return i },
			"bottom-up": func(i int) int { return k - 1 - i },
			"strided":   func(i int) int { return (i * 37) % k },
		}
		for name, at := range orders {
			g := build(rows...)
			for n := range k {
				i := at(n)
				id := fmt.Sprintf("n%d", i)
				if got := g.Lookup(id); got != want(i) {
					t.Fatalf("k=%d %s: Lookup(%s) = %+v, want %+v", k, name, id, got, want(i))
				}
			}
		}
	}
}

func TestFor(t *testing.T) {
	g := build(
		row{"p", "", "", "/bin/p"},
		row{"c", "p", "", "/bin/c"},
	)
	cases := []struct {
		name            string
		exec, ppid, pid string
		want            Row
	}{
		{"proc parent present", "c", "p", "p", Row{Lineage{1, "p", "p", false}, false, false}},
		{"fallback used, parent present", "c", "", "p", Row{Lineage{1, "p", "p", false}, true, false}},
		{"fallback used, parent absent", "c", "", "zzz", Row{Lineage{1, "p", "p", false}, true, true}},
		{"both parents absent", "p", "", "", Row{Lineage{0, "p", "p", false}, false, true}},
		{"resolved parent not in graph", "c", "zzz", "p", Row{Lineage{1, "p", "p", false}, false, true}},
		{"unknown exec id", "nope", "p", "", Row{Lineage{}, false, false}},
		{"unknown exec id, no parents", "", "", "", Row{Lineage{}, false, true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := g.For(c.exec, c.ppid, c.pid); got != c.want {
				t.Errorf("For(%q, %q, %q) = %+v, want %+v", c.exec, c.ppid, c.pid, got, c.want)
			}
		})
	}
}

// TestNullVersusEmpty pins the reference's None/"" distinctions, and where
// the string forms differ from them.
func TestNullVersusEmpty(t *testing.T) {
	null := NullString{}
	empty := Str("")
	g := New()
	g.AddNullable(Str("p"), null, null, Str("/bin/p"))
	t.Run("ForNullable", func(t *testing.T) {
		cases := []struct {
			name     string
			ppid     NullString
			pid      NullString
			fallback bool
			missing  bool
		}{
			{"null, null", null, null, false, true},
			{"null, empty", null, empty, true, true},   // resolved "" is not in the graph
			{"empty, null", empty, null, false, false}, // resolved None: not missing
			{"empty, empty", empty, empty, false, true},
			{"empty, present", empty, Str("p"), false, false}, // `or` falls back, but no fallback flag
			{"null, present", null, Str("p"), true, false},
			{"empty, absent", empty, Str("x"), false, true},
		}
		for _, c := range cases {
			r := g.ForNullable(Str("p"), c.ppid, c.pid)
			if r.FallbackUsed != c.fallback || r.MissingParent != c.missing {
				t.Errorf("%s: fallback=%v missing=%v, want %v %v", c.name, r.FallbackUsed, r.MissingParent, c.fallback, c.missing)
			}
		}
	})
	t.Run("For reads empty as null", func(t *testing.T) {
		if r := g.For("p", "", "p"); !r.FallbackUsed {
			t.Error(`For("p", "", "p"): no fallback; "" should read as null`)
		}
		if r := g.For("p", "", ""); !r.MissingParent {
			t.Error(`For("p", "", ""): parent not missing; "" should read as null`)
		}
	})
	t.Run("AddNullable duplicate counting", func(t *testing.T) {
		g := New()
		g.AddNullable(Str("x"), null, null, Str("/bin/x"))
		g.AddNullable(Str("x"), empty, null, Str("/bin/x")) // resolves to null again: a repeat
		g.AddNullable(Str("x"), null, empty, Str("/bin/x")) // resolves to "": conflicts with null
		g.AddNullable(Str("x"), null, null, null)           // basename "" differs: conflict
		g.AddNullable(Str("x"), null, null, Str("x"))       // basename "x", as /bin/x: repeat
		s := g.Stats()
		if s.Repeats != 2 || s.ConflictingDuplicates != 2 || s.Processes != 1 {
			t.Errorf("stats %+v, want 2 repeats, 2 conflicts, 1 process", s)
		}
		g.AddNullable(Str("y"), empty, empty, null) // stored parent ""
		g.AddNullable(Str("y"), null, empty, null)  // "" again: repeat
		g.AddNullable(Str("y"), null, null, null)   // null: conflict
		if s := g.Stats(); s.Repeats != 3 || s.ConflictingDuplicates != 3 {
			t.Errorf("stats %+v, want 3 repeats, 3 conflicts", s)
		}
		if l := g.Lookup("y"); l != (Lineage{0, "y", "", false}) {
			t.Errorf(`a "" parent is no parent: %+v`, l)
		}
	})
	t.Run("Add reads empty as null", func(t *testing.T) {
		g := New()
		g.Add("x", "", "", "/bin/x")
		g.AddNullable(Str("x"), null, empty, Str("/bin/x")) // "" parent vs stored null: conflict
		g.Add("x", "", "", "/bin/x")                        // repeat
		if s := g.Stats(); s.Repeats != 1 || s.ConflictingDuplicates != 1 {
			t.Errorf("stats %+v, want 1 repeat, 1 conflict", s)
		}
	})
	t.Run("skipped exec ids", func(t *testing.T) {
		g := New()
		g.AddNullable(null, Str("p"), null, Str("/bin/x"))
		g.AddNullable(empty, Str("p"), null, Str("/bin/x"))
		g.Add("", "p", "", "/bin/x")
		if s := g.Stats(); s.SkippedRows != 3 || s.Processes != 0 || s.DanglingParents != 0 {
			t.Errorf("stats %+v, want 3 skipped and nothing registered", s)
		}
	})
}

func TestFirstWriteWins(t *testing.T) {
	g := build(
		row{"p1", "", "", "/bin/one"},
		row{"p2", "", "", "/bin/two"},
		row{"c", "p1", "", "/bin/c"},
		row{"c", "p2", "", "/bin/c"},     // other parent: conflict, ignored
		row{"c", "p1", "", "/bin/other"}, // other basename: conflict, ignored
		row{"c", "p1", "", "/usr/bin/c"}, // same basename: repeat
		row{"c", "", "p1", "/bin/c"},     // same resolved parent through the fallback
	)
	if l := g.Lookup("c"); l != (Lineage{1, "p1", "one", false}) {
		t.Errorf("Lookup(c) = %+v", l)
	}
	want := Stats{Processes: 3, ConflictingDuplicates: 2, Repeats: 2}
	if s := g.Stats(); s != want {
		t.Errorf("Stats() = %+v, want %+v", s, want)
	}
	if g.Len() != 3 {
		t.Errorf("Len() = %d", g.Len())
	}
}

func TestSeedingFirstWriteWins(t *testing.T) {
	g := New()
	g.Add("shell", "", "", "/bin/bash") // train
	g.Add("tool", "shell", "", "/usr/bin/tool")
	seeded := g.Len()
	g.Add("tool", "other", "", "/usr/bin/impostor") // test: same exec_id, loses
	g.Add("child", "tool", "", "/bin/child")
	if seeded != 2 || g.Len() != 3 {
		t.Fatalf("seeded %d, total %d", seeded, g.Len())
	}
	if l := g.Lookup("child"); l != (Lineage{2, "shell", "bash", false}) {
		t.Errorf("Lookup(child) = %+v", l)
	}
	if b := g.ParentBasename("tool", "", "/usr/bin/impostor"); b != "tool" {
		t.Errorf("ParentBasename = %q, want the seeded tool", b)
	}
	if g.Stats().ConflictingDuplicates != 1 {
		t.Errorf("stats %+v", g.Stats())
	}
}

func TestParentBasename(t *testing.T) {
	g := build(
		row{"p", "", "", "/usr/bin/registered"},
	)
	cases := []struct {
		ppid, pid, bin, want string
	}{
		{"p", "", "/bin/rowparent", "registered"},
		{"", "p", "/bin/rowparent", "registered"},
		{"zzz", "p", "/bin/rowparent", "rowparent"}, // resolved is zzz, not in the graph
		{"", "", "/bin/rowparent", "rowparent"},
		{"", "", "", ""},
		{"", "", "/bin/", ""},
		{"", "", "plain", "plain"},
	}
	for _, c := range cases {
		if got := g.ParentBasename(c.ppid, c.pid, c.bin); got != c.want {
			t.Errorf("ParentBasename(%q, %q, %q) = %q, want %q", c.ppid, c.pid, c.bin, got, c.want)
		}
	}
}

// TestStreamingInvalidation covers memos that a later registration must
// correct.
func TestStreamingInvalidation(t *testing.T) {
	g := New()
	g.Add("c", "p", "", "/bin/c")
	g.Add("gc", "c", "", "/bin/gc")
	if l := g.Lookup("gc"); l != (Lineage{1, "c", "c", false}) {
		t.Fatalf("before parent: %+v", l)
	}
	if r := g.For("c", "p", ""); !r.MissingParent {
		t.Fatalf("p should be missing: %+v", r)
	}
	g.Add("p", "pp", "", "/bin/p")
	if l := g.Lookup("gc"); l != (Lineage{2, "p", "p", false}) {
		t.Fatalf("after parent: %+v", l)
	}
	g.Add("pp", "", "", "/bin/pp")
	if l := g.Lookup("gc"); l != (Lineage{3, "pp", "pp", false}) {
		t.Fatalf("after grandparent: %+v", l)
	}
	if l := g.Lookup("c"); l != (Lineage{2, "pp", "pp", false}) {
		t.Fatalf("c after grandparent: %+v", l)
	}
	// Closing a loop turns the walks into cycles.
	g2 := New()
	g2.Add("a", "b", "", "/bin/a")
	if l := g2.Lookup("a"); l.Cycle {
		t.Fatalf("no cycle yet: %+v", l)
	}
	g2.Add("b", "a", "", "/bin/b")
	if l := g2.Lookup("a"); l != (Lineage{2, "a", "a", true}) {
		t.Fatalf("after closing the loop: %+v", l)
	}
	// A long chain registered bottom-up, looked up after each step.
	g3 := New()
	const k = 100
	for i := k - 1; i >= 0; i-- {
		p := ""
		if i > 0 {
			p = fmt.Sprintf("n%d", i-1)
		}
		g3.Add(fmt.Sprintf("n%d", i), p, "", "/bin/x")
		leaf := g3.Lookup(fmt.Sprintf("n%d", k-1))
		depth := k - 1 - i
		want := Lineage{min(depth, MaxDepth), fmt.Sprintf("n%d", i), "x", false}
		if depth >= MaxWalk {
			want = Lineage{MaxDepth, fmt.Sprintf("n%d", k-1-MaxWalk), "x", true}
		}
		if leaf != want {
			t.Fatalf("after n%d: %+v, want %+v", i, leaf, want)
		}
	}
}

func TestZeroGraph(t *testing.T) {
	var g Graph
	if l := g.Lookup("x"); l != (Lineage{}) {
		t.Errorf("zero graph lookup: %+v", l)
	}
	if g.Contains("x") || g.Len() != 0 {
		t.Error("zero graph is not empty")
	}
	g.Add("x", "", "", "/bin/x")
	if l := g.Lookup("x"); l != (Lineage{0, "x", "x", false}) {
		t.Errorf("zero graph after Add: %+v", l)
	}
}

func TestRejectedAtCapacity(t *testing.T) {
	defer func(old int) { maxIDs = old }(maxIDs)
	maxIDs = 4
	g := New()
	g.Add("a", "pa", "", "/bin/a") // 2 ids
	g.Add("b", "pb", "", "/bin/b") // 4 ids
	g.Add("c", "", "", "/bin/c")   // would need a fifth
	g.Add("a", "pa", "", "/bin/a") // repeats still work
	s := g.Stats()
	if s.Processes != 2 || s.Rejected != 1 || s.Repeats != 1 {
		t.Errorf("stats %+v", s)
	}
}
