package tetraparse

import (
	"bytes"
	"hash/maphash"
	"slices"
	"strings"
)

// blockCache remembers decoded process blocks by their exact bytes.
//
// Tetragon repeats a process's block verbatim in every event the process
// emits (kprobe events are ~97 % of a corpus), and the process and parent
// blocks are most of each line. When the bytes at a block's position equal
// a block seen before, the Doc skips parsing them (pyjson.Doc.Known) and the
// decoder copies the stored result. Equal bytes decode equally and were
// validated when first seen, so results and error accounting are unchanged;
// only blocks that decoded without a structure error are stored.
type blockCache struct {
	seed    maphash.Seed
	entries map[uint64]*blockEntry
	// hit is the entry Known matched at a byte offset of the current line.
	hits map[int]*blockEntry
}

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
	return &blockCache{seed: maphash.MakeSeed(), entries: map[uint64]*blockEntry{}, hits: map[int]*blockEntry{}}
}

func (c *blockCache) key(b []byte) uint64 {
	return maphash.Bytes(c.seed, b[:min(len(b), blockKeyBytes)])
}

// known is the pyjson.Doc.Known hook: it recognizes a stored block at
// data[i] under the keys "process" and "parent".
func (c *blockCache) known(key, data []byte, i int) int {
	if i >= len(data) || data[i] != '{' || (string(key) != "process" && string(key) != "parent") {
		return 0
	}
	e := c.entries[c.key(data[i:])]
	if e == nil || len(e.raw) > len(data)-i || !bytes.Equal(e.raw, data[i:i+len(e.raw)]) {
		return 0
	}
	c.hits[i] = e
	return i + len(e.raw)
}

// lookup returns the entry known matched at byte offset start of the
// current line.
func (c *blockCache) lookup(start int) (*blockEntry, bool) {
	e, ok := c.hits[start]
	return e, ok
}

// reset forgets the current line's matches.
func (c *blockCache) reset() { clear(c.hits) }

// store remembers a decoded block; p's strings may alias the line, so the
// entry owns copies.
func (c *blockCache) store(raw []byte, p *Process, fieldErrors int) {
	if len(c.entries) >= blockCacheLimit {
		clear(c.entries)
	}
	e := &blockEntry{raw: bytes.Clone(raw), proc: *p, fieldErrors: fieldErrors}
	q := &e.proc
	for _, s := range []*Opt[string]{&q.ExecID, &q.ParentExecID, &q.Binary, &q.Arguments, &q.Cwd} {
		s.Value = strings.Clone(s.Value)
	}
	q.Flags = strings.Clone(q.Flags)
	for _, l := range []*Opt[[]string]{&q.CapPermitted, &q.CapEffective, &q.CapInheritable} {
		l.Value = slices.Clone(l.Value)
		for i := range l.Value {
			l.Value[i] = strings.Clone(l.Value[i])
		}
	}
	c.entries[c.key(raw)] = e
}
