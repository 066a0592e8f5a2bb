package lineage

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
)

func TestEvictLRU(t *testing.T) {
	g := New(WithMaxProcesses(8))
	g.Add("root", "", "", "/sbin/init")
	for i := range 6 {
		g.Add(fmt.Sprintf("c%d", i), "root", "", "/bin/c") // each child touches root
	}
	g.Add("old", "", "", "/bin/old")
	g.Add("c0", "root", "", "/bin/c") // c0 is active again
	if g.Len() != 8 || g.Stats().Evicted != 0 {
		t.Fatalf("before the bound: %+v", g.Stats())
	}
	g.Add("new", "old", "", "/bin/new") // 9 > 8: evict down to 7
	s := g.Stats()
	if g.Len() != 7 || s.Evicted != 2 {
		t.Fatalf("after eviction: %+v", s)
	}
	// c1 and c2 were the least recently used. "old" was touched as the
	// parent of "new".
	for id, want := range map[string]bool{"c1": false, "c2": false, "c0": true, "root": true, "old": true, "new": true, "c5": true} {
		if g.Contains(id) != want {
			t.Errorf("Contains(%s) = %v, want %v", id, !want, want)
		}
	}
	if l := g.Lookup("new"); l != (Lineage{1, "old", "old", false}) {
		t.Errorf("Lookup(new) = %+v", l)
	}
	// The evicted process comes back as a new registration: no conflict.
	g.Add("c1", "elsewhere", "", "/bin/other")
	if g.Stats().ConflictingDuplicates != 0 {
		t.Errorf("conflict counted against an evicted registration: %+v", g.Stats())
	}
	// Evicting a parent makes it a missing parent for its children.
	g2 := New(WithMaxProcesses(3))
	g2.Add("p", "", "", "/bin/p")
	g2.Add("c", "p", "", "/bin/c")
	g2.Add("x", "", "", "/bin/x")
	g2.Add("c", "p", "", "/bin/c")
	g2.Add("y", "", "", "/bin/y") // 4 > 3: evicts p, the least recent
	if g2.Contains("p") {
		t.Fatal("p survived")
	}
	if r := g2.For("c", "p", ""); r != (Row{Lineage{0, "c", "c", false}, false, true}) {
		t.Errorf("For(c) after its parent's eviction: %+v", r)
	}
	if b := g2.ParentBasename("p", "", "/usr/bin/fromrow"); b != "fromrow" {
		t.Errorf("ParentBasename after eviction = %q", b)
	}
	// The parent coming back restores the chain, through the placeholder
	// the rebuild kept for it.
	g2.Add("p", "", "", "/bin/p")
	if l := g2.Lookup("c"); l != (Lineage{1, "p", "p", false}) {
		t.Errorf("Lookup(c) after p returns: %+v", l)
	}
}

// TestEvictEqualsSurvivors: after any sequence with evictions, the graph
// answers as a fresh graph holding only the surviving registrations.
func TestEvictEqualsSurvivors(t *testing.T) {
	for seed := range uint64(40) {
		rng := rand.New(rand.NewPCG(seed, 7))
		max := 3 + rng.IntN(20)
		g := New(WithMaxProcesses(max))
		first := map[string]event{} // current registration of each exec_id
		var order []string
		evs := randomEvents(rng, 300, 60)
		for i, e := range evs {
			if truthy(e.exec) && !g.Contains(e.exec.String) {
				first[e.exec.String] = e
				order = append(order, e.exec.String)
			}
			g.AddNullable(e.exec, e.ppid, e.pid, e.bin)
			if g.Len() > max {
				t.Fatalf("seed %d: Len %d over the bound %d", seed, g.Len(), max)
			}
			if i%25 != 0 {
				continue
			}
			fresh := New()
			seen := map[string]bool{}
			for _, id := range order {
				if g.Contains(id) && !seen[id] {
					seen[id] = true
					r := first[id]
					fresh.AddNullable(r.exec, r.ppid, r.pid, r.bin)
				}
			}
			if fresh.Len() != g.Len() {
				t.Fatalf("seed %d: %d survivors, graph has %d", seed, fresh.Len(), g.Len())
			}
			for _, e := range evs {
				if a, b := g.ForNullable(e.exec, e.ppid, e.pid), fresh.ForNullable(e.exec, e.ppid, e.pid); a != b {
					t.Fatalf("seed %d row %d: %+v, survivors give %+v", seed, i, a, b)
				}
			}
		}
	}
}

func TestEvictOnLoad(t *testing.T) {
	big := New()
	for i := range 100 {
		big.Add(fmt.Sprintf("p%d", i), fmt.Sprintf("p%d", i/2), "", "/bin/x")
	}
	var buf bytes.Buffer
	if _, err := big.WriteTo(&buf); err != nil {
		t.Fatal(err)
	}
	g := New(WithMaxProcesses(40))
	if _, err := g.ReadFrom(&buf); err != nil {
		t.Fatal(err)
	}
	if g.Len() != 35 || !g.Contains("p99") || g.Contains("p0") {
		t.Errorf("Len %d; the last registered should survive", g.Len())
	}
}
