package pyjson

import (
	"bytes"
	"hash/maphash"
	"sync"
	"unicode/utf8"
)

// keySpan locates the raw content (between the quotes) of an object key.
// The top bit of end flags keys with backslash escapes. Offsets fit in 31
// bits: AppendCompact does not use the compactor for values of 2 GiB or
// more.
type keySpan struct {
	start, end uint32
}

const escBit = 1 << 31

func (k keySpan) key(data []byte) []byte { return data[k.start : k.end&^escBit] }
func (k keySpan) esc() bool              { return k.end&escBit != 0 }

// smallKeys is the number of keys (of all open objects together) the
// compactor tracks without touching the pool.
const smallKeys = 24

// pairwiseMax is the largest object checked for duplicates by comparing
// all pairs; larger objects use a hash table.
const pairwiseMax = 24

// keyStack holds the keys of the open objects, innermost last, so that
// duplicates can be detected when an object closes. Keys live in small
// until it is full, then all of them in the pooled big state.
type keyStack struct {
	n      int
	useBig bool
	small  [smallKeys]keySpan
	big    *bigState
}

// bigState is the pooled storage for many keys and the hash table.
type bigState struct {
	keys    []keySpan
	table   []int32
	hashes  []uint64
	scratch []byte
}

var (
	bigPool = sync.Pool{New: func() any { return new(bigState) }}
	keySeed = maphash.MakeSeed()
)

func (k *keyStack) state() *bigState {
	if k.big == nil {
		k.big = bigPool.Get().(*bigState)
	}
	return k.big
}

// release returns the pooled state, if any.
func (k *keyStack) release() {
	if b := k.big; b != nil {
		k.big = nil
		if cap(b.keys) <= 1<<16 && cap(b.table) <= 1<<17 && cap(b.scratch) <= 1<<16 {
			bigPool.Put(b)
		}
	}
}

func (k *keyStack) push(start, end int, esc bool) {
	ks := keySpan{start: uint32(start), end: uint32(end)}
	if esc {
		ks.end |= escBit
	}
	switch {
	case k.useBig:
		k.big.keys = append(k.big.keys[:k.n], ks)
	case k.n < smallKeys:
		k.small[k.n] = ks
	default:
		b := k.state()
		b.keys = append(b.keys[:0], k.small[:]...)
		b.keys = append(b.keys, ks)
		k.useBig = true
	}
	k.n++
}

// hasDuplicate reports whether keys base..n-1 contain two keys denoting the
// same Python string.
func (k *keyStack) hasDuplicate(data []byte, base int) bool {
	n := k.n - base
	if n < 2 {
		return false
	}
	var keys []keySpan
	if k.useBig {
		keys = k.big.keys[base:k.n]
	} else {
		keys = k.small[base:k.n]
	}
	if n > pairwiseMax {
		return k.hashDuplicate(data, keys)
	}
	for a := 1; a < n; a++ {
		ka := keys[a]
		for _, kb := range keys[:a] {
			if (ka.end|kb.end)&escBit == 0 {
				// Unescaped keys: equal iff the same bytes.
				if ka.end-ka.start == kb.end-kb.start && bytes.Equal(ka.key(data), kb.key(data)) {
					return true
				}
				continue
			}
			if compareKeys(ka.key(data), kb.key(data), ka.esc(), kb.esc()) == 0 {
				return true
			}
		}
	}
	return false
}

// hashDuplicate is hasDuplicate for large objects: an open-addressing
// table over a hash of each key's canonical (WTF-8) form.
func (k *keyStack) hashDuplicate(data []byte, keys []keySpan) bool {
	b := k.state()
	size := 1
	for size < 2*len(keys) {
		size <<= 1
	}
	if cap(b.table) < size {
		b.table = make([]int32, size)
	}
	table := b.table[:size]
	for i := range table {
		table[i] = -1
	}
	if cap(b.hashes) < len(keys) {
		b.hashes = make([]uint64, len(keys))
	}
	hashes := b.hashes[:len(keys)]
	mask := size - 1
	for i, ks := range keys {
		key := ks.key(data)
		if ks.esc() {
			b.scratch = appendCanonical(b.scratch[:0], key)
			key = b.scratch
		}
		h := maphash.Bytes(keySeed, key)
		hashes[i] = h
		for p := int(h) & mask; ; p = (p + 1) & mask {
			j := table[p]
			if j < 0 {
				table[p] = int32(i)
				break
			}
			kj := keys[j]
			if hashes[j] == h && compareKeys(ks.key(data), kj.key(data), ks.esc(), kj.esc()) == 0 {
				return true
			}
		}
	}
	return false
}

// appendCanonical appends the code points of a key's raw content as
// generalised UTF-8 (surrogates encoded like other code points), which for
// a key without escapes is the raw content itself.
func appendCanonical(dst, s []byte) []byte {
	for i := 0; i < len(s); {
		var r rune
		r, i = nextChar(s, i)
		if r >= 0xd800 && r < 0xe000 {
			dst = append(dst, byte(0xe0|r>>12), byte(0x80|(r>>6)&0x3f), byte(0x80|r&0x3f))
		} else {
			dst = utf8.AppendRune(dst, r)
		}
	}
	return dst
}
