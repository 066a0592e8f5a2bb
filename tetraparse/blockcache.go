package tetraparse

import (
	"bytes"
	"hash/maphash"
	"slices"
	"strings"
)

// blockCache remembers decoded process blocks by their exact bytes.
//
// Tetragon repeats a process's block in every event the process emits
// (kprobe events are ~97 % of a corpus), and the process and parent blocks
// are most of each line. When the bytes at a block's position equal a
// block seen before, the Doc skips parsing them (pyjson.Doc.Known) and the
// decoder copies the stored result. Equal bytes decode equally and were
// validated when first seen, so results and error accounting are unchanged;
// only blocks that decoded without a structure error are stored.
//
// A process's blocks are verbatim copies but for a few fields (each
// thread's tid, the refcnt), so several variants of a block are kept: with
// one, a process whose threads alternate missed on every switch (half of
// the misses on the shared samples, two thirds on the generated corpus).
type blockCache struct {
	seed maphash.Seed
	// entries holds the blocks by the hash of their leading bytes, which
	// several blocks of one process share (its threads' tids, its refcnt
	// differ further on): a few of them per key.
	entries map[uint64]*blockVariants
	n       int // blocks stored
	// hits are the entries Known matched in the current line, by byte
	// offset: an event has a process and a parent block. Further blocks
	// (duplicate keys, or "process" under another top-level object) are
	// parsed as usual once both slots are taken.
	hits [2]blockHit
	// last is the entry matched last under each key (process, parent):
	// events of one process come in runs, so it is tried before the map.
	last [2]*blockEntry
	// known is c.knownAt as a func value, made once: a method value
	// made per line would be allocated per line.
	known func(key, data []byte, i int) int
}

type blockHit struct {
	start int
	e     *blockEntry
}

// blockVariants holds the blocks that share their leading bytes, the
// oldest replaced first.
type blockVariants struct {
	e    [blockVariantsPerKey]*blockEntry
	next int
}

const blockVariantsPerKey = 8

type blockEntry struct {
	raw         []byte
	proc        Process // strings owned by the entry
	fieldErrors int
}

const (
	blockKeyBytes   = 96 // a block's leading bytes, which hold its exec_id
	blockCacheLimit = 1 << 13
)

func newBlockCache() *blockCache {
	c := &blockCache{seed: maphash.MakeSeed(), entries: map[uint64]*blockVariants{}}
	c.known = c.knownAt
	return c
}

func (c *blockCache) key(b []byte) uint64 {
	return maphash.Bytes(c.seed, b[:min(len(b), blockKeyBytes)])
}

// knownAt is the pyjson.Doc.Known hook: it recognizes a stored block at
// data[i] under the keys "process" and "parent".
func (c *blockCache) knownAt(key, data []byte, i int) int {
	if i >= len(data) || data[i] != '{' {
		return 0
	}
	slot := 0
	switch string(key) {
	case "process":
	case "parent":
		slot = 1
	default:
		return 0
	}
	free := -1
	for k := range c.hits {
		if c.hits[k].e == nil {
			free = k
			break
		}
	}
	if free < 0 {
		return 0 // a third block: parsed as usual
	}
	e := c.last[slot]
	if e == nil || !hasPrefix(data[i:], e.raw) {
		if e = c.find(data[i:]); e == nil {
			return 0
		}
		c.last[slot] = e
	}
	c.hits[free] = blockHit{i, e}
	return i + len(e.raw)
}

// find returns the stored block b starts with, or nil.
func (c *blockCache) find(b []byte) *blockEntry { return c.entries[c.key(b)].find(b) }

// find returns the variant b starts with, or nil (also for a nil vs).
func (vs *blockVariants) find(b []byte) *blockEntry {
	if vs == nil {
		return nil
	}
	for _, e := range vs.e {
		if e != nil && hasPrefix(b, e.raw) {
			return e
		}
	}
	return nil
}

func hasPrefix(b, prefix []byte) bool {
	return len(prefix) <= len(b) && bytes.Equal(prefix, b[:len(prefix)])
}

// lookup returns the entry known matched at byte offset start of the
// current line.
func (c *blockCache) lookup(start int) (*blockEntry, bool) {
	for _, h := range c.hits {
		if h.e != nil && h.start == start {
			return h.e, true
		}
	}
	return nil, false
}

// reset forgets the current line's matches.
func (c *blockCache) reset() { c.hits = [2]blockHit{} }

// store remembers a decoded block; p's strings may alias the line, so the
// entry owns copies.
func (c *blockCache) store(raw []byte, p *Process, fieldErrors int) {
	k := c.key(raw)
	vs := c.entries[k]
	if vs.find(raw) != nil {
		// Parsed although stored (a line's third block, or a key
		// repeated: see hits); a stored block raw starts with is raw, one
		// JSON object being no prefix of another. A copy would evict a
		// useful variant.
		return
	}
	if c.n >= blockCacheLimit {
		clear(c.entries)
		c.n, c.last, vs = 0, [2]*blockEntry{}, nil
	}
	e := &blockEntry{raw: bytes.Clone(raw), proc: *p, fieldErrors: fieldErrors}
	q := &e.proc
	for _, s := range []*Opt[string]{&q.ExecID, &q.ParentExecID, &q.Binary, &q.Arguments, &q.Cwd} {
		s.Value = strings.Clone(s.Value)
	}
	q.Flags = strings.Clone(q.Flags)
	ownK8s(q)
	for _, l := range []*Opt[[]string]{&q.CapPermitted, &q.CapEffective, &q.CapInheritable} {
		l.Value = slices.Clone(l.Value)
		for i := range l.Value {
			l.Value[i] = strings.Clone(l.Value[i])
		}
	}
	if vs == nil {
		vs = &blockVariants{}
		c.entries[k] = vs
	}
	if vs.e[vs.next] == nil {
		c.n++
	}
	vs.e[vs.next] = e
	vs.next = (vs.next + 1) % blockVariantsPerKey
}
