package lineage

import "sync/atomic"

// memo is a walk result packed into 64 bits, so that concurrent lookups
// can publish and read it with single atomic operations and no lock:
//
//	bit  63     set when the memo holds a result (the zero memo is empty)
//	bit  62     cycle
//	bits 32-39  depth, 0..MaxWalk, not capped at MaxDepth: extending a
//	            parent's result needs the true depth
//	bits 0-31   index of the root
//
// A memo is a pure function of the graph, so two goroutines racing to
// store one store the same value.
type memo uint64

const (
	memoSet   memo = 1 << 63
	memoCycle memo = 1 << 62
)

func newMemo(depth int, root int32, cycle bool) memo {
	m := memoSet | memo(depth)<<32 | memo(uint32(root))
	if cycle {
		m |= memoCycle
	}
	return m
}

func (m memo) depth() int    { return int(m>>32) & 0xff }
func (m memo) root() int32   { return int32(uint32(m)) }
func (m memo) cycle() bool   { return m&memoCycle != 0 }
func (m memo) revisit() bool { return m.cycle() && m.depth() < MaxWalk }

// memoOf returns the memo of registered index i if it is still valid.
//
// Nodes are never modified once registered (first write wins), so a walk
// that ended on a revisit or on the MaxWalk cap can never change. A walk
// that ended at a root changes exactly when the root's parent registers
// later, and that is checked here in O(1). Invalidation is therefore
// lazy: Add does no work for it, and no memo outlives its truth. (Eviction
// rebuilds the table, dropping every memo.)
func (t *table) memoOf(i int32) (memo, bool) {
	m := memo(atomic.LoadUint64(&t.nodes[i].memo))
	if m&memoSet == 0 {
		return 0, false
	}
	if !m.cycle() && t.isRegistered(t.nodes[m.root()].parent) {
		return 0, false
	}
	return m, true
}

func (t *table) setMemo(i int32, m memo) {
	atomic.StoreUint64(&t.nodes[i].memo, uint64(m))
}

// resolve returns the walk result of registered index x after a memo miss
// (Lookup checks the memo itself, inline), memoizing it and the results of
// the ancestors it had to visit.
//
// It climbs from x until it meets an ancestor with a valid memo or a root,
// then fills the memos back down, each from its parent's (derive). For a
// chain whose ancestors were looked up first, the usual order when events
// stream in, that is one step. The climb is bounded by MaxWalk, as the
// walk itself is.
func (t *table) resolve(x int32) memo {
	var buf [MaxWalk]int32
	stack := buf[:0]
	for cur := x; ; {
		p := t.nodes[cur].parent
		if !t.isRegistered(p) {
			t.setMemo(cur, newMemo(0, cur, false))
			break
		}
		stack = append(stack, cur)
		if len(stack) == MaxWalk {
			break
		}
		if _, ok := t.memoOf(p); ok {
			break
		}
		cur = p
	}
	for k := len(stack) - 1; k >= 0; k-- {
		y := stack[k]
		if _, ok := t.memoOf(y); ok {
			continue // a cycle can put a node on the stack twice
		}
		t.setMemo(y, t.derive(y))
	}
	if m, ok := t.memoOf(x); ok {
		return m
	}
	return t.walk(x) // unreachable while the graph is not mutated concurrently
}

// derive computes the result of registered index y, whose parent p is
// registered, from p's memo when that is possible and by a direct walk
// otherwise. The cases, in the terms of the reference walk:
//
//   - p's walk reached a root at depth d (no cycle). y cannot be on p's
//     path (it would then be on a cycle), so y's walk is one step longer:
//     depth d+1 and the same root, unless d+1 reaches MaxWalk, where the
//     cap fires on that same root.
//   - p's walk revisited a node at depth d < MaxWalk and that node is not
//     p. Then p is on the tail leading into the cycle, not on the cycle,
//     hence neither is y: same root, depth d+1 (the cap, if it fires,
//     fires on the same node), cycle.
//   - Otherwise (p on a cycle, where y may or may not be; or p's walk hit
//     the cap, whose root is not derivable from p's) walk directly. That
//     costs at most MaxWalk steps and happens only on cycles and chains at
//     least MaxWalk deep.
func (t *table) derive(y int32) memo {
	p := t.nodes[y].parent
	if pm, ok := t.memoOf(p); ok {
		switch {
		case !pm.cycle():
			if d := pm.depth() + 1; d < MaxWalk {
				return newMemo(d, pm.root(), false)
			}
			return newMemo(MaxWalk, pm.root(), true)
		case pm.revisit() && pm.root() != p:
			return newMemo(min(pm.depth()+1, MaxWalk), pm.root(), true)
		}
	}
	return t.walk(y)
}

// walk is the reference walk, step for step: follow parents while they are
// registered; a revisited node is a cycle and becomes the root; reaching
// MaxWalk steps is a cycle too, rooted where the walk stands.
func (t *table) walk(x int32) memo {
	// At most MaxWalk nodes are visited: each visit but the last is
	// followed by a step, and the walk stops at step MaxWalk.
	var visited [MaxWalk]int32
	n := 0
	cur, depth := x, 0
	for {
		for _, v := range visited[:n] {
			if v == cur {
				return newMemo(depth, cur, true)
			}
		}
		visited[n] = cur
		n++
		p := t.nodes[cur].parent
		if !t.isRegistered(p) {
			return newMemo(depth, cur, false)
		}
		cur = p
		depth++
		if depth >= MaxWalk {
			return newMemo(depth, cur, true)
		}
	}
}
