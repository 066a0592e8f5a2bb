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
	// A silent parent stays as long as its child is in use: the survivors
	// are closed under ancestry.
	g2 := New(WithMaxProcesses(3))
	g2.Add("p", "", "", "/bin/p")
	g2.Add("c", "p", "", "/bin/c")
	g2.Add("x", "", "", "/bin/x")
	g2.Add("c", "p", "", "/bin/c")
	g2.Add("y", "", "", "/bin/y") // 4 > 3: p is the least recent, x goes
	if !g2.Contains("p") || !g2.Contains("c") || g2.Contains("x") {
		t.Fatalf("p %v c %v x %v", g2.Contains("p"), g2.Contains("c"), g2.Contains("x"))
	}
	if l := g2.Lookup("c"); l != (Lineage{1, "p", "p", false}) {
		t.Errorf("Lookup(c) = %+v", l)
	}
	// A process registering under an evicted parent sees it missing.
	g3 := New(WithMaxProcesses(3))
	for _, id := range []string{"p", "x", "y", "z"} { // 4 > 3: evicts p
		g3.Add(id, "", "", "/bin/"+id)
	}
	if g3.Contains("p") {
		t.Fatal("p survived")
	}
	g3.Add("c", "p", "", "/bin/c") // 4 > 3: evicts x
	if r := g3.For("c", "p", ""); r != (Row{Lineage{0, "c", "c", false}, false, true}) {
		t.Errorf("For(c) under an evicted parent: %+v", r)
	}
	if b := g3.ParentBasename("p", "", "/usr/bin/fromrow"); b != "fromrow" {
		t.Errorf("ParentBasename after eviction = %q", b)
	}
	// The parent coming back restores the chain, through the placeholder
	// the rebuild kept for it.
	g3.Add("p", "", "", "/bin/p")
	if l := g3.Lookup("c"); l != (Lineage{1, "p", "p", false}) {
		t.Errorf("Lookup(c) after p returns: %+v", l)
	}
	if g3.Len() > 3 {
		t.Errorf("Len %d", g3.Len())
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
	// p_i's parent is p_(i/2): the most recently loaded processes survive
	// with their ancestors, p0 included.
	if g.Len() > 35 {
		t.Errorf("Len %d over the low-water mark", g.Len())
	}
	for i := 99; ; i /= 2 {
		if !g.Contains(fmt.Sprintf("p%d", i)) {
			t.Errorf("p%d, an ancestor of the last loaded, was evicted", i)
		}
		if i == 0 {
			break
		}
	}
	for i := range 100 {
		if g.Contains(fmt.Sprintf("p%d", i)) && i > 0 && !g.Contains(fmt.Sprintf("p%d", i/2)) {
			t.Errorf("p%d survived without its parent", i)
		}
	}
	if g.Contains("p50") {
		t.Error("p50, loaded first of the leaves and no one's ancestor, survived")
	}
}

// TestEvictBoundsMemory streams far more processes than the bound through
// a graph, each under a parent that never registers (the worst case for
// placeholders), and checks that every structure stays bounded: the
// registered processes, all interned ids, the hash slots, the arena and
// the basenames.
func TestEvictBoundsMemory(t *testing.T) {
	const max, total = 1000, 200_000
	g := New(WithMaxProcesses(max))
	var peakNodes, peakSlots, peakArena, peakBases int
	for i := range total {
		g.Add(fmt.Sprintf("proc-%08d", i), fmt.Sprintf("gone-%08d", i), "", fmt.Sprintf("/usr/bin/tool%d", i%5000))
		if g.Len() > max {
			t.Fatalf("after %d processes: Len %d over the bound %d", i+1, g.Len(), max)
		}
		arena := 0
		for _, b := range g.arena.blocks {
			arena += len(b)
		}
		peakNodes = maxInt(peakNodes, len(g.nodes))
		peakSlots = maxInt(peakSlots, len(g.slots))
		peakArena = maxInt(peakArena, arena)
		peakBases = maxInt(peakBases, len(g.bases))
	}
	// Each registration interns at most its id and its parent's: the ids
	// of the survivors and of the registrations since the last sweep.
	if peakNodes > 2*max+2 {
		t.Errorf("peak interned ids %d, want at most %d", peakNodes, 2*max+2)
	}
	if peakSlots > slotsFor(2*max+2) {
		t.Errorf("peak hash slots %d for %d ids", peakSlots, peakNodes)
	}
	// 13-byte ids and their basenames: two arena chunks at most.
	if peakArena > 2*arenaChunk {
		t.Errorf("peak arena %d bytes", peakArena)
	}
	if peakBases > 2*max+1 {
		t.Errorf("peak basenames %d", peakBases)
	}
	if s := g.Stats(); s.Evicted != total-g.Len() {
		t.Errorf("evicted %d, want %d", s.Evicted, total-g.Len())
	}
	t.Logf("%d processes through a bound of %d: peak %d ids, %d slots, %d arena bytes, %d basenames", total, max, peakNodes, peakSlots, peakArena, peakBases)
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// TestSeededStreamWithEviction is a service's life: the training graph is
// loaded with ReadFrom into a bounded graph, then a long stream registers
// new processes one by one. The bound holds throughout; a seeded process
// that keeps spawning children survives; a process whose ancestors all
// survive gets the answer an unbounded graph gives.
func TestSeededStreamWithEviction(t *testing.T) {
	train := New()
	train.Add("init", "", "", "/sbin/init")
	train.Add("sshd", "init", "", "/usr/sbin/sshd")
	for i := range 3000 {
		train.Add(fmt.Sprintf("old-%d", i), "init", "", "/usr/bin/old")
	}
	var saved bytes.Buffer
	if _, err := train.WriteTo(&saved); err != nil {
		t.Fatal(err)
	}
	const max = 500
	g := New(WithMaxProcesses(max))
	if _, err := g.ReadFrom(bytes.NewReader(saved.Bytes())); err != nil {
		t.Fatal(err)
	}
	if g.Len() > max || !g.Contains("old-2999") || g.Contains("old-0") {
		t.Fatalf("after loading: Len %d; the last registered processes should survive", g.Len())
	}
	// init and sshd came first in the file, so loading evicted them; a
	// service re-registers the ancestors it still sees in events.
	full := New()
	if _, err := full.ReadFrom(bytes.NewReader(saved.Bytes())); err != nil {
		t.Fatal(err)
	}
	add := func(id, parent, bin string) {
		g.Add(id, parent, "", bin)
		full.Add(id, parent, "", bin)
	}
	add("init", "", "/sbin/init")
	add("sshd", "init", "/usr/sbin/sshd")
	for i := range 20_000 {
		shell := fmt.Sprintf("bash-%d", i)
		add(shell, "sshd", "/bin/bash") // sshd stays in use as a parent
		add(fmt.Sprintf("ls-%d", i), shell, "/bin/ls")
		if g.Len() > max {
			t.Fatalf("Len %d over the bound", g.Len())
		}
		if i%997 == 0 {
			id := fmt.Sprintf("ls-%d", i)
			if a, b := g.For(id, shell, ""), full.For(id, shell, ""); a != b {
				t.Fatalf("%s: bounded %+v, unbounded %+v", id, a, b)
			}
		}
	}
	if !g.Contains("sshd") || !g.Contains("init") {
		t.Error("ancestors in use were evicted")
	}
	if l := g.Lookup("ls-19999"); l.Depth != 3 || l.RootExecID != "init" {
		t.Errorf("Lookup(ls-19999) = %+v", l)
	}
	if g.Contains("old-2999") {
		t.Error("a seeded process unused for 40,000 registrations survived")
	}
	t.Logf("bounded graph: %+v", g.Stats())
}
