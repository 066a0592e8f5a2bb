package deflate

// Port of the parts of zlib 1.2.13 trees.c that decide block sizes. Codes
// themselves are never generated: dynamic and static block sizes are exactly
// 3+opt_len and 3+static_len bits (zlib asserts this in debug builds), so
// only the bit lengths are needed.

const (
	lengthCodes = 29
	literals    = 256
	lCodes      = literals + 1 + lengthCodes // 286
	dCodes      = 30
	blCodes     = 19
	heapSize    = 2*lCodes + 1 // 573, shared by all three trees as in zlib
	maxBits     = 15
	maxBLBits   = 7
	endBlock    = 256
	rep3_6      = 16
	repz3_10    = 17
	repz11_138  = 18
)

var extraLbits = [lengthCodes]uint8{0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0}

var extraDbits = [dCodes]uint8{0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13}

var extraBLbits = [blCodes]uint8{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 3, 7}

var blOrder = [blCodes]uint8{16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15}

var (
	// lengthCode maps match length-3 to its length code (0..28), as _length_code.
	lengthCode [maxMatch - minMatch + 1]uint8
	// distCode maps distance-1 to its distance code via d_code, as _dist_code.
	distCode [512]uint8
	// Descriptors of the literal/length, distance and bit-length trees.
	lDesc, dDesc, blDesc treeDesc
)

// treeDesc is zlib's static_tree_desc flattened into per-node tables, so
// gen_bitlen needs no range checks or branches per node.
type treeDesc struct {
	xbits     [heapSize]uint8 // extra bits of each leaf; 0 for internal nodes
	slen      [heapSize]uint8 // fixed-Huffman code length of each leaf
	hasStatic bool            // false for the bit-length tree (stree == NULL)
	elems     int
	maxLength int
}

func init() {
	// Mirrors tr_static_init.
	length := 0
	code := 0
	for ; code < lengthCodes-1; code++ {
		for n := 0; n < 1<<extraLbits[code]; n++ {
			lengthCode[length] = uint8(code)
			length++
		}
	}
	// Length 258 uses code 285, not 284 + 5 extra bits.
	lengthCode[length-1] = uint8(code)

	dist := 0
	for code = 0; code < 16; code++ {
		for n := 0; n < 1<<extraDbits[code]; n++ {
			distCode[dist] = uint8(code)
			dist++
		}
	}
	dist >>= 7
	for ; code < dCodes; code++ {
		for n := 0; n < 1<<(extraDbits[code]-7); n++ {
			distCode[256+dist] = uint8(code)
			dist++
		}
	}

	lDesc = treeDesc{hasStatic: true, elems: lCodes, maxLength: maxBits}
	for n := 0; n < lCodes; n++ {
		switch {
		case n <= 143:
			lDesc.slen[n] = 8
		case n <= 255:
			lDesc.slen[n] = 9
		case n <= 279:
			lDesc.slen[n] = 7
		default:
			lDesc.slen[n] = 8
		}
		if n > literals {
			lDesc.xbits[n] = extraLbits[n-literals-1]
		}
	}
	dDesc = treeDesc{hasStatic: true, elems: dCodes, maxLength: maxBits}
	for n := 0; n < dCodes; n++ {
		dDesc.slen[n] = 5
		dDesc.xbits[n] = extraDbits[n]
	}
	blDesc = treeDesc{elems: blCodes, maxLength: maxBLBits}
	for n := 0; n < blCodes; n++ {
		blDesc.xbits[n] = extraBLbits[n]
	}
}

// dCode is zlib's d_code macro; dist is the match distance minus one.
func dCode(dist int) uint8 {
	if dist < 256 {
		return distCode[dist]
	}
	return distCode[256+(dist>>7)]
}

// trees is the per-block Huffman state of deflate_state plus the running
// bit count of the whole stream. ct_data's Freq/Code and Dad/Len unions are
// split into separate arrays; the overlapping writes zlib makes never feed
// back into any length.
type trees struct {
	lFreq, lLen, lDad    [heapSize]uint16
	dFreq, dLen, dDad    [2*dCodes + 1]uint16
	blFreq, blLen, blDad [2*blCodes + 1]uint16

	heap    [heapSize]uint64 // packed entries, see pqdownheap
	blCount [maxBits + 1]uint16

	optLen, staticLen int64
	syms              int // symbols in the current block (sym_next/3)
	bits              uint64
}

// initBlock mirrors init_block. Only leaf frequencies need clearing; internal
// nodes are written when buildTree creates them.
func (t *trees) initBlock() {
	clear(t.lFreq[:lCodes])
	clear(t.dFreq[:dCodes])
	clear(t.blFreq[:blCodes])
	t.lFreq[endBlock] = 1
	t.optLen, t.staticLen = 0, 0
	t.syms = 0
}

// tallyLit mirrors _tr_tally_lit and reports whether the block is full.
func (t *trees) tallyLit(c byte) bool {
	t.lFreq[c]++
	t.syms++
	return t.syms == symLimit
}

// tallyDist mirrors _tr_tally_dist (dist >= 1, lc = length-3) and reports
// whether the block is full.
func (t *trees) tallyDist(dist, lc int) bool {
	t.lFreq[int(lengthCode[lc])+literals+1]++
	t.dFreq[dCode(dist-1)]++
	t.syms++
	return t.syms == symLimit
}

// flushBlock mirrors _tr_flush_block at level > 0, adding the block's bits to
// t.bits. haveBuf is false when zlib would pass buf == NULL (block start slid
// out of the window), which forbids a stored block.
func (t *trees) flushBlock(storedLen int, haveBuf, last bool) {
	lMax := t.buildTree(&lDesc, t.lFreq[:], t.lLen[:], t.lDad[:])
	dMax := t.buildTree(&dDesc, t.dFreq[:], t.dLen[:], t.dDad[:])
	t.buildBLTree(lMax, dMax)

	optLenb := (t.optLen + 3 + 7) >> 3
	staticLenb := (t.staticLen + 3 + 7) >> 3
	if staticLenb <= optLenb {
		optLenb = staticLenb
	}

	switch {
	case int64(storedLen)+4 <= optLenb && haveBuf:
		// _tr_stored_block: 3 header bits, bi_windup, LEN, NLEN, raw bytes.
		t.bits += 3
		t.bits = (t.bits + 7) &^ 7
		t.bits += 32 + 8*uint64(storedLen)
	case staticLenb == optLenb:
		t.bits += 3 + uint64(t.staticLen)
	default:
		t.bits += 3 + uint64(t.optLen)
	}
	t.initBlock()
	if last {
		t.bits = (t.bits + 7) &^ 7 // bi_windup
	}
}

// Heap entries pack a node's sort key with its index: freq<<24 | depth<<16 |
// node. Comparing v>>16 orders by frequency, then depth, exactly like zlib's
// smaller() macro (ties compare as "smaller or equal"), without indirection.
const (
	heapFreqShift  = 24
	heapDepthShift = 16
	heapNodeMask   = 1<<16 - 1
	heapKeyLow     = 1<<heapDepthShift - 1 // bits below the sort key
)

// pqdownheap mirrors zlib's pqdownheap: move heap[k] down, swapping with the
// smaller child (the right one on ties) until v is smaller-or-equal to it.
// The child choice is branch-free because it is unpredictable and tree
// building dominates the cost of short inputs; heap[heapLen+1] must hold the
// sentinel ^0 so the right child can always be read.
func pqdownheap(heap *[heapSize]uint64, heapLen, k int) {
	v := heap[k]
	for j := k << 1; j <= heapLen; j = k << 1 {
		// key(x) <= key(y) is x <= y|heapKeyLow; choose the right child on
		// ties, as zlib does. (Kept small enough to be inlined.)
		j += b2i(heap[j+1] <= heap[j]|heapKeyLow)
		c := heap[j]
		if v <= c|heapKeyLow {
			break
		}
		heap[k] = c
		k = j
	}
	heap[k] = v
}

// b2i converts a comparison to 0/1; the compiler emits SETcc, not a branch.
func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// buildTree mirrors build_tree (without gen_codes) and returns max_code.
func (t *trees) buildTree(d *treeDesc, freq, ln, dad []uint16) int {
	elems := d.elems
	heap := &t.heap
	heapLen := 0
	maxCode := -1
	// Collect leaves with non-zero frequency, branch-free (the test is
	// unpredictable). Lengths of absent leaves must read as 0; present ones
	// are overwritten by genBitlen.
	clear(ln[:elems])
	for n, f := range freq[:elems] {
		heap[heapLen+1] = uint64(f)<<heapFreqShift | uint64(n) // depth 0
		nz := int(uint32(f)+0xffff) >> 16                      // 1 if f != 0
		heapLen += nz
		maxCode += (n - maxCode) & -nz
	}

	// Force at least two codes so every tree has at least one bit per code.
	for heapLen < 2 {
		node := 0
		if maxCode < 2 {
			maxCode++
			node = maxCode
		}
		heapLen++
		heap[heapLen] = 1<<heapFreqShift | uint64(node)
		freq[node] = 1
		t.optLen--
		if d.hasStatic {
			t.staticLen -= int64(d.slen[node])
		}
	}

	heap[heapLen+1] = ^uint64(0) // sentinel right child, see pqdownheap
	for n := heapLen / 2; n >= 1; n-- {
		pqdownheap(heap, heapLen, n)
	}

	heapMax := heapSize
	node := uint64(elems)
	for {
		n := heap[1] // pqremove
		heap[1] = heap[heapLen]
		heap[heapLen] = ^uint64(0) // keep the sentinel at heapLen+1
		heapLen--
		pqdownheap(heap, heapLen, 1)
		m := heap[1]

		heapMax--
		heap[heapMax] = n
		heapMax--
		heap[heapMax] = m

		// Frequencies are ush and depths uch in zlib; neither can wrap here
		// (at most 16384 symbols per block) but keep the widths anyway.
		f := (n>>heapFreqShift + m>>heapFreqShift) & 0xffff
		dn, dm := uint8(n>>heapDepthShift), uint8(m>>heapDepthShift)
		if dn < dm {
			dn = dm
		}
		dad[n&heapNodeMask] = uint16(node)
		dad[m&heapNodeMask] = uint16(node)

		heap[1] = f<<heapFreqShift | uint64(dn+1)<<heapDepthShift | node
		node++
		pqdownheap(heap, heapLen, 1)
		if heapLen < 2 {
			break
		}
	}
	heapMax--
	heap[heapMax] = heap[1]

	t.genBitlen(d, heapMax, freq, ln, dad, maxCode)
	return maxCode
}

// genBitlen mirrors gen_bitlen, including its length-overflow repair.
// heap[heapMax:] lists the nodes by increasing frequency, root first.
func (t *trees) genBitlen(d *treeDesc, heapMax int, freq, ln, dad []uint16, maxCode int) {
	xbits, slen, maxLength := &d.xbits, &d.slen, d.maxLength
	t.blCount = [maxBits + 1]uint16{}
	overflow := 0

	ln[t.heap[heapMax]&heapNodeMask] = 0 // root
	h := heapMax + 1
	var optLen, staticLen int64
	for ; h < heapSize; h++ {
		n := int(t.heap[h] & heapNodeMask)
		b := int(ln[dad[n]]) + 1
		if b > maxLength {
			b = maxLength
			overflow++
		}
		ln[n] = uint16(b)
		// Leaves and internal nodes interleave unpredictably, so count
		// leaves branch-free: leaf is 1 for n <= maxCode, else 0.
		leaf := b2i(n <= maxCode)
		t.blCount[b] += uint16(leaf)
		f := int64(freq[n]) & -int64(leaf)
		x := int64(xbits[n])
		optLen += f * (int64(b) + x)
		staticLen += f * (int64(slen[n]) + x)
	}
	t.optLen += optLen
	if d.hasStatic {
		t.staticLen += staticLen
	}
	if overflow == 0 {
		return
	}

	for overflow > 0 {
		b := maxLength - 1
		for t.blCount[b] == 0 {
			b--
		}
		t.blCount[b]--
		t.blCount[b+1] += 2
		t.blCount[maxLength]--
		overflow -= 2
	}

	// h == heapSize here, as zlib relies on.
	for b := maxLength; b != 0; b-- {
		n := int(t.blCount[b])
		for n != 0 {
			h--
			m := int(t.heap[h] & heapNodeMask)
			if m > maxCode {
				continue
			}
			if int(ln[m]) != b {
				t.optLen += int64(b-int(ln[m])) * int64(freq[m])
				ln[m] = uint16(b)
			}
			n--
		}
	}
}

// scanTree mirrors scan_tree, run by run instead of code by code. zlib's
// count/max_count/min_count state machine splits each maximal run of equal
// lengths into chunks: zero runs into chunks of up to 138 (REPZ codes from
// 3 on); a non-zero run into a first chunk of up to 7 (the length itself,
// plus REP_3_6 from 4 on) and further chunks of up to 6 (REP_3_6 from 3 on).
// The 0xffff guard zlib writes at max_code+1 just ends the last run.
func (t *trees) scanTree(ln []uint16, maxCode int) {
	bl := &t.blFreq
	for n := 0; n <= maxCode; {
		cur := ln[n]
		end := n + 1
		for end <= maxCode && ln[end] == cur {
			end++
		}
		r := end - n
		n = end
		if cur == 0 {
			for ; r > 0; r -= 138 {
				switch c := min(r, 138); {
				case c < 3:
					bl[0] += uint16(c)
				case c <= 10:
					bl[repz3_10]++
				default:
					bl[repz11_138]++
				}
			}
			continue
		}
		// First chunk: the previous run had a different length, so zlib
		// always sends the length itself before a repeat code.
		if c := min(r, 7); c < 4 {
			bl[cur] += uint16(c)
		} else {
			bl[cur]++
			bl[rep3_6]++
		}
		for r -= 7; r > 0; r -= 6 {
			if c := min(r, 6); c < 3 {
				bl[cur] += uint16(c)
			} else {
				bl[rep3_6]++
			}
		}
	}
}

// buildBLTree mirrors build_bl_tree, adding the tree-description cost to optLen.
func (t *trees) buildBLTree(lMax, dMax int) {
	t.scanTree(t.lLen[:], lMax)
	t.scanTree(t.dLen[:], dMax)
	t.buildTree(&blDesc, t.blFreq[:], t.blLen[:], t.blDad[:])
	maxBlindex := blCodes - 1
	for ; maxBlindex >= 3; maxBlindex-- {
		if t.blLen[blOrder[maxBlindex]] != 0 {
			break
		}
	}
	t.optLen += 3*int64(maxBlindex+1) + 5 + 5 + 4
}
