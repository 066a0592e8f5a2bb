// Package deflate computes the exact size of zlib 1.2.13's level-9 deflate
// output without producing it.
//
// The match finder, lazy evaluation, block splitting and block-type choice
// are a faithful port of zlib's deflate.c (deflate_slow, longest_match,
// fill_window) and trees.c (_tr_flush_block and the Huffman tree builders)
// for level 9, memLevel 8, windowBits 15, Z_DEFAULT_STRATEGY and a single
// deflate(Z_FINISH) call, which is how CPython 3.11's gzip.compress drives
// zlib. Only bit counts are kept: no output bytes are ever written.
package deflate

import (
	"encoding/binary"
	"math/bits"
	"sync"
)

// Parameters fixed by level 9, memLevel 8, windowBits 15 in zlib 1.2.13.
const (
	minMatch     = 3
	maxMatch     = 258
	wSize        = 1 << 15
	wMask        = wSize - 1
	windowSize   = 2 * wSize
	minLookahead = maxMatch + minMatch + 1 // MIN_LOOKAHEAD
	maxDist      = wSize - minLookahead    // MAX_DIST(s)
	hashBits     = 8 + 7                   // memLevel + 7
	hashSize     = 1 << hashBits
	hashMask     = hashSize - 1
	hashShift    = (hashBits + minMatch - 1) / minMatch
	tooFar       = 4096

	goodMatch    = 32   // configuration_table[9].good_length
	maxLazyMatch = 258  // configuration_table[9].max_lazy
	niceMatch    = 258  // configuration_table[9].nice_length
	maxChain     = 4096 // configuration_table[9].max_chain

	litBufsize = 1 << (8 + 6)   // lit_bufsize = 1 << (memLevel + 6)
	symLimit   = litBufsize - 1 // sym_end/3: a block holds at most this many symbols

	// posLimit bounds base+position values (see Sizer.head) so they stay
	// non-negative even as a 32-bit int; maxInput leaves room for the +1
	// gap between calls.
	posLimit = 1<<31 - 1
	maxInput = posLimit - 2

	gzipOverhead = 10 + 8 // gzip header without name/extra, plus CRC32 and ISIZE
)

// Sizer holds the reusable match-finder and Huffman state so repeated calls do
// not allocate. The zero value is ready to use; a Sizer is not safe for
// concurrent use.
type Sizer struct {
	// head and prev are zlib's hash heads and chain links, but store
	// base+position instead of window indexes. Entries written by earlier
	// calls are then <= the current base, which zlib's NIL test already
	// rejects, so the 128 KiB head table never needs clearing per call and
	// the window never needs copying or sliding.
	head [hashSize]uint32
	prev [wSize]uint32
	base uint32

	trees
}

var pool = sync.Pool{New: func() any { return new(Sizer) }}

// GzipLen returns len(gzip.compress(data, 9)) as CPython 3.11 over zlib 1.2.13 computes it.
func GzipLen(data []byte) int {
	s := pool.Get().(*Sizer)
	n := s.GzipLen(data)
	pool.Put(s)
	return n
}

// RawLen returns the length in bytes of zlib's raw level-9 deflate stream of data (Z_FINISH).
func RawLen(data []byte) int {
	s := pool.Get().(*Sizer)
	n := s.RawLen(data)
	pool.Put(s)
	return n
}

// GzipLen is like the package-level GzipLen but reuses s's tables.
func (s *Sizer) GzipLen(data []byte) int {
	return gzipOverhead + s.RawLen(data)
}

// RawLen is like the package-level RawLen but reuses s's tables.
// It panics if len(data) is 2 GiB - 3 or more, beyond the position encoding.
func (s *Sizer) RawLen(data []byte) int {
	if len(data) > maxInput {
		panic("deflate: input too large")
	}
	return int((s.rawBits(data) + 7) >> 3)
}

// hash3 is zlib's rolling UPDATE_HASH applied to three consecutive bytes; after
// three updates the 15-bit key depends only on those bytes, so computing it
// directly is identical to zlib's incremental ins_h.
func hash3(b0, b1, b2 byte) uint32 {
	return (uint32(b0)<<(2*hashShift) ^ uint32(b1)<<hashShift ^ uint32(b2)) & hashMask
}

// rawBits runs deflate_slow over data and returns the total number of bits
// emitted, already rounded up to a byte by the final block's bi_windup.
//
// Positions are absolute offsets into data. w is the absolute position of
// zlib's window index 0; it is advanced exactly when fill_window would slide,
// because sliding changes which hash entries read as NIL and whether the
// current block can still be stored (block_start < 0 means buf == NULL).
// lookahead is zlib's window-limited lookahead, readPos - strstart.
func (s *Sizer) rawBits(data []byte) uint64 {
	n := len(data)
	if uint64(s.base)+uint64(n)+2 > posLimit {
		s.head = [hashSize]uint32{}
		s.base = 0
	}
	base := s.base
	// Every value stored below is base+p with p < n, so the next call's base
	// makes all of them read as NIL.
	s.base += uint32(n) + 1

	head := &s.head
	prev := &s.prev
	t := &s.trees
	t.bits = 0
	t.initBlock()

	var (
		strstart, readPos, w, blockStart int
		matchLength, prevLength          = minMatch - 1, minMatch - 1
		matchStart, prevMatch            int
		matchAvailable                   bool
	)

	// flush mirrors FLUSH_BLOCK_ONLY.
	flush := func(last bool) {
		t.flushBlock(strstart-blockStart, blockStart >= w, last)
		blockStart = strstart
	}

	for {
		if readPos-strstart < minLookahead {
			// fill_window: slide check first (even with no input left), then read.
			for {
				more := windowSize - (readPos - strstart) - (strstart - w)
				if strstart-w >= wSize+maxDist {
					w += wSize
					more += wSize
				}
				if readPos == n {
					break
				}
				k := n - readPos
				if k > more {
					k = more
				}
				readPos += k
				if readPos-strstart >= minLookahead || readPos == n {
					break
				}
			}
			if readPos == strstart {
				break
			}
		}
		lookahead := readPos - strstart

		// INSERT_STRING(strstart); hashHead <= w means NIL.
		hashHead := w
		if lookahead >= minMatch {
			h := hash3(data[strstart], data[strstart+1], data[strstart+2])
			v := head[h]
			prev[strstart&wMask] = v
			head[h] = base + uint32(strstart)
			hashHead = int(v) - int(base)
		}

		prevLength, prevMatch = matchLength, matchStart
		matchLength = minMatch - 1

		if hashHead > w && prevLength < maxLazyMatch && strstart-hashHead <= maxDist {
			if prevLength >= lookahead {
				// zlib's longest_match would return lookahead here (it is
				// capped at lookahead and starts from best_len=prev_length),
				// and any value <= prev_length emits the previous match.
				matchLength = lookahead
			} else {
				matchLength, matchStart = longestMatch(data, prev, base, strstart, hashHead, prevLength, lookahead, w, matchStart)
			}
			if matchLength == minMatch && strstart-matchStart > tooFar {
				matchLength = minMatch - 1
			}
		}

		if prevLength >= minMatch && matchLength <= prevLength {
			maxInsert := strstart + lookahead - minMatch
			bflush := t.tallyDist(strstart-1-prevMatch, prevLength-minMatch)
			// Insert strstart+1 .. end (strstart-1 and strstart already are).
			end := strstart + prevLength - 2
			if end > maxInsert {
				end = maxInsert
			}
			for p := strstart + 1; p <= end; p++ {
				h := hash3(data[p], data[p+1], data[p+2])
				prev[p&wMask] = head[h]
				head[h] = base + uint32(p)
			}
			strstart += prevLength - 1
			matchAvailable = false
			matchLength = minMatch - 1
			if bflush {
				flush(false)
			}
		} else if matchAvailable {
			if t.tallyLit(data[strstart-1]) {
				flush(false)
			}
			strstart++
		} else {
			matchAvailable = true
			strstart++
		}
	}
	if matchAvailable {
		t.tallyLit(data[strstart-1])
	}
	flush(true)
	return t.bits
}

// longestMatch ports zlib's longest_match for level 9: it walks the hash
// chain from curMatch and returns the longest match length (capped at
// lookahead) and its start; the start stays matchStart (zlib leaves
// s->match_start untouched) unless a match beats prevLength. Comparisons
// are bounded by min(258, lookahead), which reads only real input; zlib may
// compare stale window bytes past that, but nice_match = min(258, lookahead)
// makes such comparisons unable to change the outcome.
func longestMatch(data []byte, prev *[wSize]uint32, base uint32, strstart, curMatch, prevLength, lookahead, w, matchStart int) (int, int) {
	chainLength := maxChain
	bestLen := prevLength
	nice := niceMatch
	if nice > lookahead {
		nice = lookahead
	}
	limit := w
	if strstart-w > maxDist {
		limit = strstart - maxDist
	}
	if prevLength >= goodMatch {
		chainLength >>= 2
	}
	maxLen := maxMatch
	if maxLen > lookahead {
		maxLen = lookahead
	}
	scan := data[strstart : strstart+maxLen]
	scan0, scan1 := scan[0], scan[1]
	scanEnd1, scanEnd := scan[bestLen-1], scan[bestLen]

	for {
		m := data[curMatch : curMatch+maxLen]
		if m[bestLen] == scanEnd && m[bestLen-1] == scanEnd1 && m[0] == scan0 && m[1] == scan1 {
			// Bytes 0..1 match and the 15-bit hash keys are equal, so byte 2
			// matches too (as zlib assumes); count from byte 2 anyway.
			l := 2 + commonPrefix(scan[2:], m[2:])
			if l > bestLen {
				matchStart = curMatch
				bestLen = l
				if l >= nice {
					break
				}
				scanEnd1, scanEnd = scan[bestLen-1], scan[bestLen]
			}
		}
		curMatch = int(prev[curMatch&wMask]) - int(base)
		if curMatch <= limit {
			break
		}
		chainLength--
		if chainLength == 0 {
			break
		}
	}
	// zlib returns min(best_len, lookahead); comparisons here never pass
	// maxLen <= lookahead, and prevLength < lookahead on entry.
	return bestLen, matchStart
}

// commonPrefix returns the number of equal leading bytes of a and b,
// where len(b) >= len(a).
func commonPrefix(a, b []byte) int {
	n := 0
	for len(a)-n >= 8 {
		x := binary.LittleEndian.Uint64(a[n:]) ^ binary.LittleEndian.Uint64(b[n:])
		if x != 0 {
			return n + bits.TrailingZeros64(x)>>3
		}
		n += 8
	}
	for n < len(a) && a[n] == b[n] {
		n++
	}
	return n
}
