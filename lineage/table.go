package lineage

import (
	"hash/maphash"
	"math"
)

// Special values of node.parent and node.base.
const (
	parentNull  int32 = -1 // the resolved parent is null
	parentEmpty int32 = -2 // the resolved parent is "" (kept apart from null for duplicate counting)
	noBase      int32 = -1 // node.base of an exec_id known only as someone's parent
)

// maxIDs bounds the number of interned exec_ids so that indices fit an
// int32. It is a variable so that tests can exercise the limit.
var maxIDs = math.MaxInt32

// maxNameLen bounds an exec_id's length so that it fits node.nlen.
const maxNameLen = math.MaxUint32

// node is the per-exec_id record: 32 bytes and no pointers. The memo comes
// first so that it is 8-byte aligned for 64-bit atomics on 32-bit
// platforms too.
type node struct {
	memo   uint64 // packed walk result, accessed atomically; see memo.go
	parent int32  // index of the resolved parent, or parentNull / parentEmpty
	base   int32  // index into table.bases, or noBase for a placeholder
	block  uint32 // where the exec_id lives in the arena
	off    uint32
	nlen   uint32
}

// table is the interned graph. Every exec_id the graph has seen, whether
// registered or only referenced as a parent (a placeholder), has one
// index; a placeholder is what lets a child's parent pointer resolve as
// soon as the parent registers, without rewriting the child.
//
// The exec_id -> index map is an open-addressing hash table of uint64
// slots rather than a Go map: with string keys a Go map costs about 40
// bytes per entry and, holding a pointer per entry, has to be scanned by
// every garbage collection; the slots cost 11 to 21 bytes per entry and
// contain no pointers. Together with pointer-free nodes and the arena,
// the whole graph is invisible to the collector, and loading a graph is a
// few passes over flat arrays.
type table struct {
	seed  maphash.Seed
	slots []uint64 // 0: empty; else hash tag << 32 | index+1
	used  int      // occupied slots, == len(nodes)
	nodes []node   // index -> record
	arena arena    // exec_ids and basenames

	baseIDs map[string]int32 // basename -> index into bases; few entries
	bases   []string

	procs int      // registered (non-placeholder) nodes
	lru   bool     // maintain seen
	seen  []uint64 // index -> logical time of last use, when lru
}

// newTable returns an empty table sized for n exec_ids.
func newTable(n int, lru bool) table {
	t := table{
		seed:    maphash.MakeSeed(),
		nodes:   make([]node, 0, n),
		baseIDs: make(map[string]int32),
		lru:     lru,
	}
	t.slots = make([]uint64, slotsFor(n))
	if lru {
		t.seen = make([]uint64, 0, n)
	}
	return t
}

// slotsFor returns the power-of-two table size that holds n entries at a
// load of at most 3/4, where linear probing stays short.
func slotsFor(n int) int {
	size := 16
	for size/4*3 < n {
		size *= 2
	}
	return size
}

// hash returns the hash of an exec_id; its high 32 bits are the slot tag,
// from which the home slot is also taken, so that growing the table never
// has to hash a string again.
func (t *table) hash(id string) uint32 {
	return uint32(maphash.String(t.seed, id) >> 32)
}

// find returns the index of id, interned or not yet.
func (t *table) find(id string) (int32, bool) {
	if len(t.slots) == 0 {
		return 0, false // the zero Graph: no seed yet
	}
	return t.findHashed(id, t.hash(id))
}

func (t *table) findHashed(id string, tag uint32) (int32, bool) {
	if len(t.slots) == 0 {
		return 0, false
	}
	mask := uint32(len(t.slots) - 1)
	for pos := tag & mask; ; pos = (pos + 1) & mask {
		s := t.slots[pos]
		if s == 0 {
			return 0, false
		}
		if uint32(s>>32) == tag {
			if i := int32(uint32(s) - 1); t.name(i) == id {
				return i, true
			}
		}
	}
}

// insert records index i under tag; the caller knows the id is new.
func (t *table) insert(tag uint32, i int32) {
	if (t.used+1)*4 > len(t.slots)*3 {
		t.grow()
	}
	place(t.slots, uint64(tag)<<32|uint64(uint32(i)+1))
	t.used++
}

// place puts a slot value at the first free position of its probe chain.
func place(slots []uint64, s uint64) {
	mask := uint32(len(slots) - 1)
	pos := uint32(s>>32) & mask
	for slots[pos] != 0 {
		pos = (pos + 1) & mask
	}
	slots[pos] = s
}

// grow doubles the slot table.
func (t *table) grow() {
	old := t.slots
	t.slots = make([]uint64, max(2*len(old), 16))
	for _, s := range old {
		if s != 0 {
			place(t.slots, s)
		}
	}
}

// name returns the exec_id of index i.
func (t *table) name(i int32) string {
	n := &t.nodes[i]
	return t.arena.get(n.block, n.off, n.nlen)
}

// intern returns the index of id, adding it as a placeholder if it is new.
// The string is copied, so callers may pass views of Arrow buffers.
func (t *table) intern(id string) int32 {
	tag := t.hash(id)
	if i, ok := t.findHashed(id, tag); ok {
		return i
	}
	return t.add(id, tag)
}

// add interns an exec_id known to be new, as a placeholder.
func (t *table) add(id string, tag uint32) int32 {
	block, off := t.arena.put(id)
	return t.addAt(tag, block, off, uint32(len(id)))
}

// addAt appends a placeholder node whose exec_id is already in the arena.
func (t *table) addAt(tag, block, off, n uint32) int32 {
	i := int32(len(t.nodes))
	t.nodes = append(t.nodes, node{parent: parentNull, base: noBase, block: block, off: off, nlen: n})
	t.insert(tag, i)
	if t.lru {
		t.seen = append(t.seen, 0)
	}
	return i
}

// internBase returns the index of a basename, adding it if it is new.
// Basenames are few (one per distinct binary), so a Go map serves.
func (t *table) internBase(b string) int32 {
	if i, ok := t.baseIDs[b]; ok {
		return i
	}
	b = t.arena.clone(b)
	i := int32(len(t.bases))
	t.baseIDs[b] = i
	t.bases = append(t.bases, b)
	return i
}

// registered returns the index of a registered (non-placeholder) exec_id.
func (t *table) registered(id string) (int32, bool) {
	i, ok := t.find(id)
	if !ok || t.nodes[i].base == noBase {
		return 0, false
	}
	return i, true
}

// isRegistered reports whether a parent reference points at a registered
// process; null, "" and placeholders are not.
func (t *table) isRegistered(ref int32) bool {
	return ref >= 0 && t.nodes[ref].base != noBase
}

// sameParent reports whether a stored parent reference equals a resolved
// parent, telling null and "" apart as the reference's != does.
func (t *table) sameParent(ref int32, parent NullString) bool {
	switch {
	case !parent.Valid:
		return ref == parentNull
	case parent.String == "":
		return ref == parentEmpty
	default:
		return ref >= 0 && t.name(ref) == parent.String
	}
}

// parentRef returns the reference stored for a resolved parent, interning
// a placeholder for an id not seen before.
func (t *table) parentRef(parent NullString) int32 {
	switch {
	case !parent.Valid:
		return parentNull
	case parent.String == "":
		return parentEmpty
	default:
		return t.intern(parent.String)
	}
}
