// Package npmath reproduces the few pieces of numpy arithmetic whose
// rounding the reference evaluation depends on (numpy 1.24, the version
// that produced the golden files): pairwise summation of float64 and
// float32 arrays (np.sum, np.mean, np.std) and the default "linear"
// percentile (np.percentile, np.median), including numpy's choice of
// formula and precision in each step. Results are bit for bit numpy's.
package npmath

import "math"

// pairwiseBlock is numpy's PW_BLOCKSIZE: up to this many elements are
// summed with eight interleaved accumulators; longer runs are split in two.
const pairwiseBlock = 128

// Sum64 is np.sum of a contiguous float64 array: numpy's pairwise
// summation (eight accumulators per block of at most 128 elements, blocks
// halved recursively), whose rounding differs from a left-to-right sum.
func Sum64(x []float64) float64 {
	return 0 + pairwise(x) // the reduction starts from the identity 0
}

// pairwise is numpy's pairwise summation in the precision of F: a float32
// array keeps float32 accumulators, as numpy does (it does not widen them).
func pairwise[F float32 | float64](x []F) F {
	n := len(x)
	switch {
	case n < 8:
		var res F
		for _, v := range x {
			res += v
		}
		return res
	case n <= pairwiseBlock:
		var r [8]F
		copy(r[:], x[:8])
		i := 8
		for ; i < n-n%8; i += 8 {
			r[0] += x[i]
			r[1] += x[i+1]
			r[2] += x[i+2]
			r[3] += x[i+3]
			r[4] += x[i+4]
			r[5] += x[i+5]
			r[6] += x[i+6]
			r[7] += x[i+7]
		}
		res := ((r[0] + r[1]) + (r[2] + r[3])) + ((r[4] + r[5]) + (r[6] + r[7]))
		for ; i < n; i++ {
			res += x[i]
		}
		return res
	}
	n2 := n / 2
	n2 -= n2 % 8
	return pairwise(x[:n2]) + pairwise(x[n2:])
}

// Sum32 is np.sum of a contiguous float32 array: pairwise summation with
// float32 accumulators (numpy does not widen them).
func Sum32(x []float32) float32 {
	return 0 + pairwise(x)
}

// Mean64 is np.mean of a float64 array (NaN when empty).
func Mean64(x []float64) float64 {
	return Sum64(x) / float64(len(x))
}

// Mean32 is np.mean of a float32 array: the float32 pairwise sum divided
// in float32 (NaN when empty).
func Mean32(x []float32) float32 {
	return float32(float64(Sum32(x)) / float64(len(x)))
}

// Std32 is np.std of a float32 array (ddof 0), every step in float32 as
// numpy does: the mean, the deviations, their squares, their pairwise sum
// and the division. scratch, if large enough, holds the squared
// deviations; it may be nil.
func Std32(x []float32, scratch []float32) float32 {
	n := len(x)
	if n == 0 {
		return float32(math.NaN())
	}
	m := Mean32(x)
	if cap(scratch) < n {
		scratch = make([]float32, n)
	}
	sq := scratch[:n]
	for i, v := range x {
		d := v - m
		sq[i] = float32(d * d) // the conversion forbids fusing into the sum
	}
	v := float32(float64(Sum32(sq)) / float64(n))
	return float32(math.Sqrt(float64(v)))
}

// Std64 is np.std of a float64 array (ddof 0).
func Std64(x []float64, scratch []float64) float64 {
	n := len(x)
	if n == 0 {
		return math.NaN()
	}
	m := Mean64(x)
	if cap(scratch) < n {
		scratch = make([]float64, n)
	}
	sq := scratch[:n]
	for i, v := range x {
		d := v - m
		sq[i] = float64(d * d)
	}
	return math.Sqrt(Sum64(sq) / float64(n))
}

// index returns numpy's neighbours and weight for the linear percentile
// q in [0, 1] of n sorted values: the virtual index (n-1)·q, its floor
// lo, lo+1 (both clamped to the last element) and the fraction t.
func index(n int, q float64) (lo, hi int, t float64) {
	v := float64(n-1) * q
	f := math.Floor(v)
	t = v - f
	if v >= float64(n-1) {
		return n - 1, n - 1, t
	}
	if v < 0 {
		return 0, 0, t
	}
	return int(f), int(f) + 1, t
}

// lerp is numpy's _lerp: a + (b-a)·t, or b - (b-a)·(1-t) from t = 0.5 on,
// which keeps the result monotone and exact at both ends. diff is b-a
// rounded in the array's precision.
func lerp(a, b, diff, t float64) float64 {
	if t >= 0.5 {
		return b - float64(diff*(1-t))
	}
	return a + float64(diff*t)
}

// Lerp64 interpolates between neighbours a <= b of a sorted float64
// array at weight t in [0, 1] as np.percentile does.
func Lerp64(a, b, t float64) float64 { return lerp(a, b, b-a, t) }

// Lerp32 interpolates between neighbours a <= b of a sorted float32 array
// at weight t as np.percentile does: b-a in float32, the rest in float64.
func Lerp32(a, b float32, t float64) float64 { return lerp(float64(a), float64(b), float64(b-a), t) }

// Percentile64 is np.percentile(x, 100·q) (method "linear") of a sorted
// float64 slice, q in [0, 1]. The caller sorts; numpy's partial sort
// selects the same neighbours.
func Percentile64(sorted []float64, q float64) float64 {
	lo, hi, t := index(len(sorted), q)
	return Lerp64(sorted[lo], sorted[hi], t)
}

// Percentile32 is np.percentile(x, 100·q) of a sorted one-dimensional
// float32 array. numpy subtracts the two neighbours in float32 and
// interpolates in float64 (the weight is a float64 scalar), so the result
// is a float64 that is generally not a float32 value.
func Percentile32(sorted []float32, q float64) float64 {
	lo, hi, t := index(len(sorted), q)
	return Lerp32(sorted[lo], sorted[hi], t)
}

// Median32 is np.median of a sorted float32 array: the middle value, or
// the float32 mean of the two middle values.
func Median32(sorted []float32) float32 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return Mean32(sorted[n/2-1 : n/2+1])
}

// Median64 is np.median of a sorted float64 array.
func Median64(sorted []float64) float64 {
	n := len(sorted)
	if n%2 == 1 {
		return sorted[n/2]
	}
	return Mean64(sorted[n/2-1 : n/2+1])
}
