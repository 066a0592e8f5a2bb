package lineage

import (
	"cmp"
	"slices"
)

// evict drops the least recently used processes, down to the low-water
// mark maxProcs - maxProcs/8, by rebuilding the table from the survivors.
// The survivors are closed under ancestry: going from the most recently
// used process down, each is kept together with its registered ancestors
// (while they fit), so that an ancestor is never evicted before a
// descendant that is kept, however long it has been silent (a login
// shell, its sshd, init). A process whose chain no longer fits is
// skipped.
//
// Rebuilding, rather than deleting in place, is what actually returns the
// memory: the exec_id strings live in shared arena blocks, and placeholders
// that only evicted processes pointed to disappear with them. The sweep is
// O(n log n) and runs once per maxProcs/8 registrations, so its cost per
// Add is O(log n) amortized. Survivors keep their registration order, so
// the result does not depend on map iteration.
func (g *Graph) evict() {
	keepN := g.cfg.maxProcs - g.cfg.maxProcs/8
	live := make([]int32, 0, g.procs)
	for i := range g.nodes {
		if g.nodes[i].base != noBase {
			live = append(live, int32(i))
		}
	}
	if len(live) <= keepN {
		return
	}
	slices.SortFunc(live, func(a, b int32) int {
		return cmp.Compare(g.seen[b], g.seen[a]) // most recent first
	})
	kept := make([]bool, len(g.nodes))
	inChain := make([]int32, len(g.nodes)) // 1 + the live index whose chain holds a node
	keep := make([]int32, 0, keepN)
	var chain []int32
	for k, i := range live {
		if len(keep) >= keepN {
			break
		}
		chain = chain[:0]
		for x := i; g.isRegistered(x) && !kept[x] && inChain[x] != int32(k+1); x = g.nodes[x].parent {
			inChain[x] = int32(k + 1) // a cycle ends the chain
			chain = append(chain, x)
		}
		if len(keep)+len(chain) > keepN {
			continue
		}
		for _, x := range chain {
			kept[x] = true
		}
		keep = append(keep, chain...)
	}
	slices.Sort(keep)

	nt := newTable(len(keep)+len(keep)/8, true)
	for _, i := range keep {
		nt.intern(g.name(i))
	}
	for k, i := range keep {
		ni := int32(k) // survivors were interned first, in order
		old := g.nodes[i]
		p := old.parent
		if p >= 0 {
			p = nt.intern(g.name(p)) // a placeholder if the parent was evicted
		}
		nt.nodes[ni].parent = p
		nt.nodes[ni].base = nt.internBase(g.bases[old.base])
		nt.seen[ni] = g.seen[i]
	}
	nt.procs = len(keep)
	g.stats.evicted += len(live) - len(keep)
	g.table = nt
}
