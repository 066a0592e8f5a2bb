package eval

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Aggregator turns the scores of a window's events into the window's score.
type Aggregator int

// The aggregators. Max is the reference's (and the zero value).
const (
	Max Aggregator = iota
	Mean
	Median // the mean of the two middle scores for an even window
)

// String returns "max", "mean" or "median".
func (a Aggregator) String() string {
	switch a {
	case Max:
		return "max"
	case Mean:
		return "mean"
	case Median:
		return "median"
	}
	return fmt.Sprintf("Aggregator(%d)", int(a))
}

// ParseAggregator parses "max", "mean" or "median" (any case), e.g. from
// a flag. Other strings give an error wrapping [ErrBadOption].
func ParseAggregator(s string) (Aggregator, error) {
	for _, a := range []Aggregator{Max, Mean, Median} {
		if strings.EqualFold(s, a.String()) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%w: aggregator %q, want max, mean or median", ErrBadOption, s)
}

// Default window shape of the reference data loader and evaluator.
const (
	DefaultWindowSize   = 128
	DefaultWindowStride = 32
)

// Windows configures the per-window evaluation. The zero value is the
// reference's: 128 events, stride 32, max.
type Windows struct {
	// Size is the number of events per window, L (0: 128).
	Size int
	// Stride is the step between window starts, S (0: 32).
	Stride int
	// Agg scores a window from its events' scores.
	Agg Aggregator
	// Float32 rounds window scores to float32 before ranking, as the
	// reference evaluator stores them; this can turn near-ties into ties.
	Float32 bool
}

// WindowResult is the per-window evaluation.
type WindowResult struct {
	AUROC float64
	// Windows and AttackWindows count the windows formed and those with
	// at least one attack event; they are set even when the AUROC is
	// undefined (error wrapping ErrOneClass).
	Windows, AttackWindows int
}

// PerWindow returns the AUROC over sliding windows of events, taken in the
// given order (event-time order, as in the reference). Window i covers
// events [i·Stride, i·Stride+Size); only full windows are formed. A window
// is an attack if any of its events is; its score is Agg of its events'
// scores. Errors wrap [ErrLength], [ErrNaN], [ErrBadOption],
// [ErrTooFewEvents] (fewer than Size events) or [ErrOneClass] (all windows
// of one class; the reference returns NaN).
func PerWindow(scores []float64, isAttack []bool, w Windows) (WindowResult, error) {
	if w.Size == 0 {
		w.Size = DefaultWindowSize
	}
	if w.Stride == 0 {
		w.Stride = DefaultWindowStride
	}
	switch {
	case w.Size < 0 || w.Stride < 0:
		return WindowResult{AUROC: math.NaN()}, fmt.Errorf("%w: window size %d, stride %d", ErrBadOption, w.Size, w.Stride)
	case w.Agg < Max || w.Agg > Median:
		return WindowResult{AUROC: math.NaN()}, fmt.Errorf("%w: %v", ErrBadOption, w.Agg)
	case len(scores) != len(isAttack):
		return WindowResult{AUROC: math.NaN()}, fmt.Errorf("%w: %d scores, %d labels", ErrLength, len(scores), len(isAttack))
	}
	for i, s := range scores {
		if math.IsNaN(s) {
			return WindowResult{AUROC: math.NaN()}, fmt.Errorf("%w at event %d", ErrNaN, i)
		}
	}
	n := len(scores)
	if n < w.Size {
		return WindowResult{AUROC: math.NaN()}, fmt.Errorf("%w: %d events, window size %d", ErrTooFewEvents, n, w.Size)
	}
	nw := (n-w.Size)/w.Stride + 1
	winScore := make([]float64, nw)
	winAttack := make([]bool, nw)
	res := WindowResult{AUROC: math.NaN(), Windows: nw}
	var scratch []float64
	for i := range nw {
		lo := i * w.Stride
		s, a := scores[lo:lo+w.Size], isAttack[lo:lo+w.Size]
		winAttack[i] = slices.Contains(a, true)
		if winAttack[i] {
			res.AttackWindows++
		}
		var v float64
		switch w.Agg {
		case Max:
			v = slices.Max(s)
		case Mean:
			for _, x := range s {
				v += x
			}
			v /= float64(len(s))
		case Median:
			scratch = append(scratch[:0], s...)
			slices.Sort(scratch)
			m := len(scratch) / 2
			if len(scratch)%2 == 1 {
				v = scratch[m]
			} else {
				v = (scratch[m-1] + scratch[m]) / 2
			}
		}
		if math.IsNaN(v) { // only a mean of +Inf and -Inf scores
			return res, fmt.Errorf("%w: %v of window %d (events %d to %d)", ErrNaN, w.Agg, i, lo, lo+w.Size-1)
		}
		if w.Float32 {
			v = float64(float32(v))
		}
		winScore[i] = v
	}
	a, err := AUROC(winScore, winAttack)
	if err != nil {
		return res, fmt.Errorf("per-window: %w", err)
	}
	res.AUROC = a
	return res, nil
}
