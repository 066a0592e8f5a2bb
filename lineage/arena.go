package lineage

import "strings"

// arenaChunk is the size of one arena block. Strings longer than a quarter
// of it get a block of their own.
const arenaChunk = 256 << 10

// arena stores strings in large shared blocks, addressed by (block, offset).
//
// Interning a million exec_ids one allocation each would cost a size-class
// rounding, a GC object and a pointer per id; with the arena, the graph's
// per-id state holds no pointers at all, so the garbage collector never
// scans it. Copying into the arena also guarantees that interned strings
// never alias caller memory such as Arrow buffers, which may be released
// or reused after the call.
//
// Blocks are filled through a strings.Builder, which never modifies bytes
// it has already handed out through String (appending within capacity
// only writes past the current length), so every block string stays valid
// while the block grows.
type arena struct {
	blocks []string         // block k; the block being filled is kept current
	cur    *strings.Builder // the block being filled, nil before the first
	curIdx int              // its index in blocks
}

// put copies s into the arena and returns where it lives.
func (a *arena) put(s string) (block, off uint32) {
	if len(s) > arenaChunk/4 {
		a.blocks = append(a.blocks, strings.Clone(s))
		return uint32(len(a.blocks) - 1), 0
	}
	off = a.reserve(len(s))
	a.cur.WriteString(s)
	a.blocks[a.curIdx] = a.cur.String()
	return uint32(a.curIdx), off
}

// putBytes is put for a byte slice.
func (a *arena) putBytes(b []byte) (block, off uint32) {
	if len(b) > arenaChunk/4 {
		a.blocks = append(a.blocks, string(b))
		return uint32(len(a.blocks) - 1), 0
	}
	off = a.reserve(len(b))
	a.cur.Write(b)
	a.blocks[a.curIdx] = a.cur.String()
	return uint32(a.curIdx), off
}

// reserve makes room for n bytes in the current block, starting a new one
// if needed, and returns the offset they will be written at.
func (a *arena) reserve(n int) uint32 {
	if a.cur == nil || a.cur.Cap()-a.cur.Len() < n {
		a.cur = new(strings.Builder)
		a.cur.Grow(arenaChunk)
		a.curIdx = len(a.blocks)
		a.blocks = append(a.blocks, "")
	}
	return uint32(a.cur.Len())
}

// get returns the string of length n at (block, off).
func (a *arena) get(block, off, n uint32) string {
	return a.blocks[block][off : off+n]
}

// clone returns a copy of s that lives in the arena.
func (a *arena) clone(s string) string {
	b, off := a.put(s)
	return a.get(b, off, uint32(len(s)))
}
