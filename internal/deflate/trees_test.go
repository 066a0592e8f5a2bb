package deflate

import (
	"math/rand/v2"
	"testing"
)

// scanTreeRef is a literal port of zlib's scan_tree, the reference for the
// run-based scanTree.
func (t *trees) scanTreeRef(ln []uint16, maxCode int) {
	prevlen := -1
	nextlen := int(ln[0])
	count := 0
	maxCount, minCount := 7, 4
	if nextlen == 0 {
		maxCount, minCount = 138, 3
	}
	for n := 0; n <= maxCode; n++ {
		curlen := nextlen
		if n < maxCode {
			nextlen = int(ln[n+1])
		} else {
			nextlen = 0xffff
		}
		count++
		if count < maxCount && curlen == nextlen {
			continue
		} else if count < minCount {
			t.blFreq[curlen] += uint16(count)
		} else if curlen != 0 {
			if curlen != prevlen {
				t.blFreq[curlen]++
			}
			t.blFreq[rep3_6]++
		} else if count <= 10 {
			t.blFreq[repz3_10]++
		} else {
			t.blFreq[repz11_138]++
		}
		count = 0
		prevlen = curlen
		if nextlen == 0 {
			maxCount, minCount = 138, 3
		} else if curlen == nextlen {
			maxCount, minCount = 6, 3
		} else {
			maxCount, minCount = 7, 4
		}
	}
}

// TestScanTreeEquivalence checks the run-based scanTree against zlib's
// per-code state machine on random length sequences with runs of all sizes.
func TestScanTreeEquivalence(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for it := 0; it < 50000; it++ {
		n := 1 + r.IntN(286)
		ln := make([]uint16, n+1)
		k := 1 + r.IntN(16)
		for i := 0; i < n; {
			v := uint16(r.IntN(k))
			if r.IntN(3) == 0 {
				v = 0
			}
			run := 1 + r.IntN([]int{1, 3, 8, 20, 150, 300}[r.IntN(6)])
			for ; run > 0 && i < n; run-- {
				ln[i] = v
				i++
			}
		}
		maxCode := n - 1
		var a, b trees
		a.scanTreeRef(ln, maxCode)
		b.scanTree(ln, maxCode)
		if a.blFreq != b.blFreq {
			t.Fatalf("lengths %v: zlib %v, scanTree %v", ln[:n], a.blFreq[:blCodes], b.blFreq[:blCodes])
		}
	}
}
