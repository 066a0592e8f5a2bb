package labels

import "fmt"

// Benign is the label of an event outside every window (or without a
// time). Other labels are indices into [Set.Windows].
const Benign int32 = -1

// Find labels one event time: the index in [Set.Windows] of the window the
// event is an attack of, or [Benign]. It costs a bucket lookup, plus a
// binary search among the few window boundaries that share the time's
// bucket: O(log n) at worst in the number of windows.
func (s *Set) Find(t int64) int32 {
	return s.seg[s.segment(t)]
}

// segment returns the index of the segment holding t: the number of window
// boundaries <= t.
func (s *Set) segment(t int64) int {
	bounds := s.ext[1 : len(s.ext)-1]
	m := len(bounds)
	switch {
	case m == 0 || t < bounds[0]:
		return 0
	case t >= bounds[m-1]:
		return m
	}
	k := (uint64(t) - uint64(bounds[0])) >> s.shift
	lo, hi := int(s.bucketLo[k]), int(s.bucketLo[k+1])
	if lo == hi {
		return lo // no boundary inside the bucket: the common case
	}
	return lo + upper(bounds[lo:hi], t)
}

// Technique returns the technique_id of label l, or "" for [Benign].
func (s *Set) Technique(l int32) string {
	if l < 0 || int(l) >= len(s.windows) {
		return ""
	}
	return s.windows[l].TechniqueID
}

// Label labels event times (all non-null) and returns one label per time.
// See [Set.LabelInto] for null times and buffer reuse.
func (s *Set) Label(times []int64) []int32 {
	dst := make([]int32, len(times))
	labelSlice(s, dst, times)
	return dst
}

// LabelInto labels times into dst, reusing its storage when it is large
// enough, and returns the labels (len(times) of them). valid, when not
// nil, marks which times are present: an event whose valid entry is false
// has a null time and is labeled [Benign], whatever its times entry holds.
// It returns an error wrapping [ErrLength] if valid and times differ in
// length.
//
// Any order of times is fine. Sorted or nearly sorted times (the order of
// event logs) cost about one comparison each, as the previous event's
// segment usually holds the next one; other times cost a [Set.Find].
func (s *Set) LabelInto(dst []int32, times []int64, valid []bool) ([]int32, error) {
	if valid != nil && len(valid) != len(times) {
		return dst[:0], fmt.Errorf("labels: %d validity flags for %d times: %w", len(valid), len(times), ErrLength)
	}
	dst = grow(dst, len(times))
	labelSlice(s, dst, times)
	if valid != nil {
		for i, ok := range valid {
			if !ok {
				dst[i] = Benign
			}
		}
	}
	return dst, nil
}

// Expand turns labels into the per-event columns evaluation code wants:
// whether each event is an attack and its technique_id ("" if benign).
// Out-of-range labels count as benign.
func (s *Set) Expand(labels []int32) (isAttack []bool, technique []string) {
	isAttack = make([]bool, len(labels))
	technique = make([]string, len(labels))
	for i, l := range labels {
		if l >= 0 && int(l) < len(s.windows) {
			isAttack[i] = true
			technique[i] = s.windows[l].TechniqueID
		}
	}
	return isAttack, technique
}

// grow returns dst resized to n, reallocating only if it is too small.
func grow(dst []int32, n int) []int32 {
	if cap(dst) < n {
		return make([]int32, n)
	}
	return dst[:n]
}

// labelSlice is the labeling loop. It remembers the segment of the previous
// event, [lo, hi), and only looks up when an event falls outside it; for
// time-ordered input that happens about twice per window in total. It is
// generic so that Arrow's timestamp values need no copy.
func labelSlice[T ~int64](s *Set, dst []int32, times []T) {
	ext, seg := s.ext, s.seg
	dst = dst[:len(times)]
	lo, hi, cur := ext[0], ext[1], seg[0]
	for i, tt := range times {
		t := int64(tt)
		if t >= lo && t < hi {
			dst[i] = cur
			continue
		}
		j := s.segment(t)
		lo, hi, cur = ext[j], ext[j+1], seg[j]
		dst[i] = cur
	}
}

// upper returns the number of elements of the sorted slice b that are
// <= t, i.e. Python's bisect_right. The loop halves the candidate range
// without a data-dependent branch (the compiler emits a conditional move),
// which matters for unordered input where a branch would mispredict half
// the time.
func upper(b []int64, t int64) int {
	n := len(b)
	if n == 0 {
		return 0
	}
	base := 0
	for n > 1 {
		half := n >> 1
		if b[base+half] <= t {
			base += half
		}
		n -= half
	}
	if b[base] <= t {
		return base + 1
	}
	return base
}
