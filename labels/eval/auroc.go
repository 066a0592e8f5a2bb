package eval

import (
	"cmp"
	"errors"
	"fmt"
	"math"
	"slices"
)

// Sentinel errors; every error of this package wraps one of them.
var (
	// ErrOneClass: AUROC is undefined because the events (or windows) are
	// all attacks or all benign.
	ErrOneClass = errors.New("eval: AUROC undefined, only one class present")
	// ErrNaN: a score is NaN.
	ErrNaN = errors.New("eval: NaN score")
	// ErrLength: scores and labels differ in length.
	ErrLength = errors.New("eval: scores and labels differ in length")
	// ErrTooFewEvents: fewer events than one window.
	ErrTooFewEvents = errors.New("eval: fewer events than one window")
	// ErrBadOption: an option is out of range.
	ErrBadOption = errors.New("eval: invalid option")
)

// AUROC returns the area under the ROC curve of scores for the binary
// labels isAttack: the probability that a random attack event scores
// higher than a random benign one, ties counting one half. It returns an
// error wrapping [ErrLength], [ErrNaN] or [ErrOneClass].
func AUROC(scores []float64, isAttack []bool) (float64, error) {
	r, err := rankBinary(scores, isAttack)
	if err != nil {
		return math.NaN(), err
	}
	return r.auroc()
}

// event is one event in score order: its score and class (-1 benign, else
// a positive class: 0 for attacks, or a technique code).
type event struct {
	score float64
	class int32
}

// ranking is the events sorted by (score, class) with the tie groups of
// equal scores. Sorting by class too makes the order canonical, so that
// results that depend on positions (the bootstrap) do not depend on the
// input order.
type ranking struct {
	ev []event
	// groups[g] is the first position of tie group g; the last entry is
	// len(ev).
	groups []int
	// pos[c] counts the events of positive class c; neg the benign ones.
	pos []uint64
	neg uint64
}

// newRanking checks scores and sorts the events. classes has one entry
// per score (-1 benign); nclass is 1 + the largest class.
func newRanking(scores []float64, classes []int32, nclass int) (*ranking, error) {
	r := &ranking{ev: make([]event, len(scores)), pos: make([]uint64, nclass)}
	for i, s := range scores {
		if math.IsNaN(s) {
			return nil, fmt.Errorf("%w at event %d", ErrNaN, i)
		}
		c := classes[i]
		r.ev[i] = event{s, c}
		if c < 0 {
			r.neg++
		} else {
			r.pos[c]++
		}
	}
	slices.SortFunc(r.ev, func(a, b event) int {
		// NaN is excluded, and -0 == +0 ties, as it should.
		if a.score != b.score {
			if a.score < b.score {
				return -1
			}
			return 1
		}
		return cmp.Compare(a.class, b.class)
	})
	r.groups = append(r.groups, 0)
	for i := 1; i < len(r.ev); i++ {
		if r.ev[i].score != r.ev[i-1].score {
			r.groups = append(r.groups, i)
		}
	}
	r.groups = append(r.groups, len(r.ev))
	return r, nil
}

// rankBinary is newRanking for attack/benign labels.
func rankBinary(scores []float64, isAttack []bool) (*ranking, error) {
	if len(scores) != len(isAttack) {
		return nil, fmt.Errorf("%w: %d scores, %d labels", ErrLength, len(scores), len(isAttack))
	}
	classes := make([]int32, len(isAttack))
	for i, a := range isAttack {
		if !a {
			classes[i] = -1
		}
	}
	return newRanking(scores, classes, 1)
}

// auroc is the binary AUROC: every positive class counts as an attack.
func (r *ranking) auroc() (float64, error) {
	var p uint64
	for _, c := range r.pos {
		p += c
	}
	if p == 0 || r.neg == 0 {
		return math.NaN(), fmt.Errorf("%w: %d attack, %d benign", ErrOneClass, p, r.neg)
	}
	// 2U = sum over tie groups of 2·(positives in group)·(negatives
	// below it) + (positives in group)·(negatives in group).
	var u2, negBelow uint64
	for g := 0; g+1 < len(r.groups); g++ {
		var gp, gn uint64
		for _, e := range r.ev[r.groups[g]:r.groups[g+1]] {
			if e.class < 0 {
				gn++
			} else {
				gp++
			}
		}
		u2 += 2*gp*negBelow + gp*gn
		negBelow += gn
	}
	return float64(u2) / (2 * float64(p) * float64(r.neg)), nil
}
