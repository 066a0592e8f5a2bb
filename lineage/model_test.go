package lineage

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// refModel transcribes the reference LineageWalker and its helpers, with
// NullString standing for str | None, and no cache: every lookup walks the
// map as it is. The randomized tests below compare Graph against it.
type refModel struct {
	m    map[string]refEntry
	dups int
}

type refEntry struct {
	parent NullString
	base   string
}

func truthy(s NullString) bool { return s.Valid && s.String != "" }

// or is Python's `a or b` on str | None.
func or(a, b NullString) NullString {
	if truthy(a) {
		return a
	}
	return b
}

func pyBasename(s NullString) string {
	if !truthy(s) {
		return ""
	}
	for i := len(s.String) - 1; i >= 0; i-- {
		if s.String[i] == '/' {
			return s.String[i+1:]
		}
	}
	return s.String
}

func (r *refModel) in(s NullString) bool {
	if !s.Valid {
		return false
	}
	_, ok := r.m[s.String]
	return ok
}

func (r *refModel) add(exec, ppid, pid, bin NullString) {
	if !truthy(exec) {
		return
	}
	parent := or(ppid, pid)
	base := pyBasename(bin)
	if e, ok := r.m[exec.String]; ok {
		if e.parent != parent || e.base != base {
			r.dups++
		}
		return
	}
	r.m[exec.String] = refEntry{parent, base}
}

func (r *refModel) lookup(exec NullString) Lineage {
	if !truthy(exec) || !r.in(exec) {
		return Lineage{}
	}
	visited := map[string]bool{}
	cur := exec.String
	depth, cycle := 0, false
	for {
		if _, ok := r.m[cur]; !ok {
			break
		}
		if visited[cur] {
			cycle = true
			break
		}
		visited[cur] = true
		p := r.m[cur].parent
		if !p.Valid || !r.in(p) {
			break
		}
		cur = p.String
		depth++
		if depth >= MaxWalk {
			cycle = true
			break
		}
	}
	return Lineage{min(depth, MaxDepth), cur, r.m[cur].base, cycle}
}

func (r *refModel) lineageFor(exec, ppid, pid NullString) Row {
	row := Row{Lineage: r.lookup(exec)}
	row.FallbackUsed = !ppid.Valid && pid.Valid
	resolved := or(ppid, pid)
	switch {
	case !ppid.Valid && !pid.Valid:
		row.MissingParent = true
	case resolved.Valid && !r.in(resolved):
		row.MissingParent = true
	}
	return row
}

func (r *refModel) parentBasename(ppid, pid, parentBin NullString) string {
	id := or(ppid, pid)
	if truthy(id) && r.in(id) {
		return r.m[id.String].base
	}
	return pyBasename(parentBin)
}

// event is one raw row.
type event struct{ exec, ppid, pid, bin, pbin NullString }

// randomEvents draws rows over a small id pool, with nulls and empty
// strings, so that cycles, dangling parents and conflicts are frequent.
func randomEvents(rng *rand.Rand, n, pool int) []event {
	id := func() NullString {
		switch x := rng.IntN(20); {
		case x < 3:
			return NullString{}
		case x < 5:
			return Str("")
		default:
			return Str(fmt.Sprintf("id%d", rng.IntN(pool)))
		}
	}
	bins := []NullString{{}, Str(""), Str("/bin/a"), Str("/usr/bin/a"), Str("/sbin/b"), Str("c"), Str("/opt/"), Str("//d")}
	bin := func() NullString { return bins[rng.IntN(len(bins))] }
	evs := make([]event, n)
	for i := range evs {
		evs[i] = event{id(), id(), id(), bin(), bin()}
	}
	return evs
}

// nullEmpty is the string-form reading of a NullString: "" is null.
func nullEmpty(s NullString) NullString { return nullIfEmpty(s.String) }

func checkEvent(t *testing.T, g *Graph, ref *refModel, e event, what string) {
	t.Helper()
	if got, want := g.ForNullable(e.exec, e.ppid, e.pid), ref.lineageFor(e.exec, e.ppid, e.pid); got != want {
		t.Fatalf("%s: ForNullable(%v, %v, %v) = %+v, want %+v", what, e.exec, e.ppid, e.pid, got, want)
	}
	if got, want := g.ParentBasename(e.ppid.String, e.pid.String, e.pbin.String), ref.parentBasename(e.ppid, e.pid, e.pbin); got != want {
		t.Fatalf("%s: ParentBasename = %q, want %q", what, got, want)
	}
	// The string form equals the reference on inputs whose "" are nulls.
	ne := event{nullEmpty(e.exec), nullEmpty(e.ppid), nullEmpty(e.pid), e.bin, e.pbin}
	if got, want := g.For(e.exec.String, e.ppid.String, e.pid.String), ref.lineageFor(ne.exec, ne.ppid, ne.pid); got != want {
		t.Fatalf("%s: For(%q, %q, %q) = %+v, want %+v", what, e.exec.String, e.ppid.String, e.pid.String, got, want)
	}
}

func checkStats(t *testing.T, g *Graph, ref *refModel) {
	t.Helper()
	if g.Len() != len(ref.m) || g.Stats().ConflictingDuplicates != ref.dups {
		t.Fatalf("Len %d dups %d, want %d %d", g.Len(), g.Stats().ConflictingDuplicates, len(ref.m), ref.dups)
	}
}

// TestModelTwoPass registers everything, then looks up in random order.
func TestModelTwoPass(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 1))
		evs := randomEvents(rng, 5+rng.IntN(80), 2+rng.IntN(30))
		g, ref := New(), &refModel{m: map[string]refEntry{}}
		for _, e := range evs {
			g.AddNullable(e.exec, e.ppid, e.pid, e.bin)
			ref.add(e.exec, e.ppid, e.pid, e.bin)
		}
		checkStats(t, g, ref)
		for _, k := range rng.Perm(len(evs)) {
			checkEvent(t, g, ref, evs[k], fmt.Sprintf("seed %d", seed))
		}
	}
}

// TestModelStreaming interleaves registrations with lookups of the row
// just added and of random earlier rows, which exercises memo
// invalidation: every answer must equal a fresh walk of the graph as it is.
func TestModelStreaming(t *testing.T) {
	for seed := range uint64(300) {
		rng := rand.New(rand.NewPCG(seed, 2))
		evs := randomEvents(rng, 5+rng.IntN(120), 2+rng.IntN(40))
		g, ref := New(), &refModel{m: map[string]refEntry{}}
		for i, e := range evs {
			g.AddNullable(e.exec, e.ppid, e.pid, e.bin)
			ref.add(e.exec, e.ppid, e.pid, e.bin)
			checkEvent(t, g, ref, e, fmt.Sprintf("seed %d row %d", seed, i))
			for range 3 {
				checkEvent(t, g, ref, evs[rng.IntN(i+1)], fmt.Sprintf("seed %d row %d (earlier)", seed, i))
			}
		}
		checkStats(t, g, ref)
	}
}

// TestModelStringForm checks that Add equals the reference fed with nulls
// for "": the string form is exact on such input.
func TestModelStringForm(t *testing.T) {
	for seed := range uint64(100) {
		rng := rand.New(rand.NewPCG(seed, 3))
		evs := randomEvents(rng, 5+rng.IntN(80), 2+rng.IntN(30))
		g, ref := New(), &refModel{m: map[string]refEntry{}}
		for _, e := range evs {
			g.Add(e.exec.String, e.ppid.String, e.pid.String, e.bin.String)
			ref.add(nullEmpty(e.exec), nullEmpty(e.ppid), nullEmpty(e.pid), e.bin)
		}
		checkStats(t, g, ref)
		for _, e := range evs {
			ne := event{nullEmpty(e.exec), nullEmpty(e.ppid), nullEmpty(e.pid), e.bin, e.pbin}
			checkEvent(t, g, ref, ne, fmt.Sprintf("seed %d", seed))
		}
	}
}

// TestModelLongChains builds long chains, cycles of every length up to
// past MaxWalk and tails into them, registered in random order and looked
// up in random order, interleaved: the cases where memos are derived from
// ancestors' memos or fall back to the direct walk.
func TestModelLongChains(t *testing.T) {
	for seed := range uint64(60) {
		rng := rand.New(rand.NewPCG(seed, 4))
		var evs []event
		name := func(c, i int) NullString { return Str(fmt.Sprintf("c%d.%d", c, i)) }
		for c := range 6 {
			k := 1 + rng.IntN(150)
			loop := rng.IntN(3) == 0 // close the chain into a cycle
			entry := rng.IntN(k)
			for i := range k {
				var parent NullString
				switch {
				case i > 0:
					parent = name(c, i-1)
				case loop:
					parent = name(c, k-1-entry)
				}
				evs = append(evs, event{exec: name(c, i), ppid: parent, bin: Str(fmt.Sprintf("/bin/%d", i%7))})
			}
			// Tails grafted onto random nodes.
			for j := range rng.IntN(20) {
				evs = append(evs, event{exec: Str(fmt.Sprintf("t%d.%d", c, j)), ppid: name(c, rng.IntN(k)), bin: Str("/bin/t")})
			}
		}
		rng.Shuffle(len(evs), func(i, j int) { evs[i], evs[j] = evs[j], evs[i] })
		g, ref := New(), &refModel{m: map[string]refEntry{}}
		for i, e := range evs {
			g.AddNullable(e.exec, e.ppid, e.pid, e.bin)
			ref.add(e.exec, e.ppid, e.pid, e.bin)
			if rng.IntN(4) == 0 {
				for range 5 {
					checkEvent(t, g, ref, evs[rng.IntN(i+1)], fmt.Sprintf("seed %d", seed))
				}
			}
		}
		for _, k := range rng.Perm(len(evs)) {
			checkEvent(t, g, ref, evs[k], fmt.Sprintf("seed %d final", seed))
		}
	}
}

// TestStreamingEqualsTwoPass checks the documented guarantee: when every
// process registers after its parent, registering and looking up each row
// at once gives the two-pass answers.
func TestStreamingEqualsTwoPass(t *testing.T) {
	for seed := range uint64(50) {
		rng := rand.New(rand.NewPCG(seed, 5))
		var evs []event
		for i := range 300 {
			var parent NullString
			if i > 0 && rng.IntN(10) > 0 {
				parent = Str(fmt.Sprintf("p%d", rng.IntN(i))) // an earlier process
			}
			evs = append(evs, event{exec: Str(fmt.Sprintf("p%d", i)), ppid: parent, pid: parent, bin: Str("/bin/x"), pbin: Str("/bin/y")})
			// Later events of random earlier processes.
			for range rng.IntN(3) {
				evs = append(evs, evs[rng.IntN(len(evs))])
			}
		}
		stream := New()
		var got []BatchRow
		for _, e := range evs {
			stream.AddNullable(e.exec, e.ppid, e.pid, e.bin)
			got = append(got, BatchRow{stream.ForNullable(e.exec, e.ppid, e.pid), stream.ParentBasename(e.ppid.String, e.pid.String, e.pbin.String)})
		}
		twoPass := New()
		for _, e := range evs {
			twoPass.AddNullable(e.exec, e.ppid, e.pid, e.bin)
		}
		for i, e := range evs {
			want := BatchRow{twoPass.ForNullable(e.exec, e.ppid, e.pid), twoPass.ParentBasename(e.ppid.String, e.pid.String, e.pbin.String)}
			if got[i] != want {
				t.Fatalf("seed %d row %d: streaming %+v, two-pass %+v", seed, i, got[i], want)
			}
		}
	}
}
