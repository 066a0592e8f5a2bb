package encode

import (
	"math"
	"unicode/utf8"
)

// entropyScratch is the working memory of entropy, one per column that
// measures it (columns may be coded concurrently).
type entropyScratch struct {
	counts map[rune]int32
	order  []rune
}

// entropy is the reference's Shannon entropy of s in bits per code point:
// -Σ (c/n)·log2(c/n) over the distinct code points, summed in order of first
// occurrence as Python's Counter iterates. math.Log2 may differ from C's
// log2 in the last bit for some ratios; that cannot move a bucket, because
// an entropy can only sit exactly on a bucket threshold when every ratio is
// a power of two, where both are exact.
func (e *entropyScratch) entropy(s string) float64 {
	if e.counts == nil {
		e.counts = map[rune]int32{}
	}
	counts, order := e.counts, e.order[:0]
	defer func() { e.order = order }()
	n := 0
	ascii := true
	var small [128]int32
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		for i := 0; i < len(s); i++ {
			c := s[i]
			if small[c] == 0 {
				order = append(order, rune(c))
			}
			small[c]++
		}
		n = len(s)
	} else {
		clear(counts)
		for _, r := range s {
			if counts[r] == 0 {
				order = append(order, r)
			}
			counts[r]++
			n++
		}
	}
	fn := float64(n)
	var h float64
	for _, r := range order {
		var c int32
		if ascii {
			c = small[r]
		} else {
			c = counts[r]
		}
		p := float64(c) / fn
		h += p * math.Log2(p)
	}
	return -h
}
