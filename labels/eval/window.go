package eval

import (
	"fmt"
	"math"
	"slices"
	"strings"

	"github.com/tetrahids/tetrahids/internal/npmath"
)

// Aggregator turns the scores of a window's events into the window's score.
type Aggregator int

// The aggregators of the paper's aggregator ablation (Table IV). Max is
// the reference's (and the zero value).
const (
	Max       Aggregator = iota
	Mean                 // numpy's mean: pairwise summation in event order
	Median               // the mean of the two middle scores for an even window
	P90                  // numpy's linear 90th percentile
	P95                  // numpy's linear 95th percentile
	Top5Mean             // the mean of the 5 highest scores (all, if fewer)
	Top10Mean            // the mean of the 10 highest scores (all, if fewer)
	numAggregators
)

// Aggregators returns every aggregator, in the paper's order.
func Aggregators() []Aggregator {
	out := make([]Aggregator, numAggregators)
	for i := range out {
		out[i] = Aggregator(i)
	}
	return out
}

var aggregatorNames = [numAggregators]string{"max", "mean", "median", "p90", "p95", "top-5-mean", "top-10-mean"}

// String returns the aggregator's name as the paper writes it: "max",
// "mean", "median", "p90", "p95", "top-5-mean" or "top-10-mean".
func (a Aggregator) String() string {
	if a >= 0 && a < numAggregators {
		return aggregatorNames[a]
	}
	return fmt.Sprintf("Aggregator(%d)", int(a))
}

// ParseAggregator parses an aggregator's name (any case), e.g. from a
// flag. Other strings give an error wrapping [ErrBadOption].
func ParseAggregator(s string) (Aggregator, error) {
	for _, a := range Aggregators() {
		if strings.EqualFold(s, a.String()) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%w: aggregator %q, want one of %s", ErrBadOption, s, strings.Join(aggregatorNames[:], ", "))
}

// Default window shape of the reference data loader and evaluator.
const (
	DefaultWindowSize   = 128
	DefaultWindowStride = 32
)

// Windows configures the per-window evaluation. The zero value is the
// reference's shape and aggregator, 128 events, stride 32, max, in float64;
// set Float32 for the reference's float32 window scores.
type Windows struct {
	// Size is the number of events per window, L (0: 128).
	Size int
	// Stride is the step between window starts, S (0: 32).
	Stride int
	// Agg scores a window from its events' scores.
	Agg Aggregator
	// Float32 evaluates as the reference does with its float32 per-event
	// scores: scores are rounded to float32 (a no-op for float32 scores),
	// aggregated with numpy's float32 arithmetic (a mean sums in float32;
	// a percentile subtracts its neighbours in float32 and interpolates in
	// float64), and the window scores are stored as float32 before ranking.
	// This can turn near-ties into ties. Without it every step is float64.
	Float32 bool
}

// WindowResult is the per-window evaluation.
type WindowResult struct {
	// AUROC is the AUROC over the windows' aggregated scores.
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
// scores, computed as numpy computes it (np.max, np.mean, np.median,
// np.percentile, and the mean of the top of np.sort for top-k). Errors wrap
// [ErrLength], [ErrNaN], [ErrBadOption], [ErrTooFewEvents] (fewer than
// Size events; the reference returns NaN and 0 windows) or [ErrOneClass]
// (all windows of one class; the reference returns NaN).
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
	case w.Agg < 0 || w.Agg >= numAggregators:
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
	var agg func(lo int) float64
	if w.Float32 {
		s32 := make([]float32, n)
		for i, s := range scores {
			s32[i] = float32(s)
		}
		var a aggregator[float32]
		agg = func(lo int) float64 { return float64(float32(a.apply(w.Agg, s32[lo:lo+w.Size]))) }
	} else {
		var a aggregator[float64]
		agg = func(lo int) float64 { return a.apply(w.Agg, scores[lo:lo+w.Size]) }
	}
	for i := range nw {
		lo := i * w.Stride
		winAttack[i] = slices.Contains(isAttack[lo:lo+w.Size], true)
		if winAttack[i] {
			res.AttackWindows++
		}
		v := agg(lo)
		if math.IsNaN(v) { // only a mean of +Inf and -Inf scores
			return res, fmt.Errorf("%w: %v of window %d (events %d to %d)", ErrNaN, w.Agg, i, lo, lo+w.Size-1)
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

// aggregator computes window scores in the precision T with numpy's
// rounding, reusing its scratch buffer.
type aggregator[T float32 | float64] struct {
	sorted []T
}

func (a *aggregator[T]) apply(agg Aggregator, s []T) float64 {
	switch agg {
	case Max:
		return float64(slices.Max(s))
	case Mean:
		return float64(mean(s))
	}
	a.sorted = sortedCopy(a.sorted, s)
	sorted := a.sorted
	switch agg {
	case Median:
		return float64(median(sorted))
	case P90:
		return percentile(sorted, 0.9)
	case P95:
		return percentile(sorted, 0.95)
	case Top5Mean:
		return float64(mean(sorted[max(0, len(sorted)-5):]))
	case Top10Mean:
		return float64(mean(sorted[max(0, len(sorted)-10):]))
	}
	panic("unreachable: aggregator checked by PerWindow")
}

// mean, median and percentile dispatch to numpy's arithmetic for T.
func mean[T float32 | float64](s []T) T {
	switch x := any(s).(type) {
	case []float32:
		return T(npmath.Mean32(x))
	case []float64:
		return T(npmath.Mean64(x))
	}
	panic("unreachable")
}

func median[T float32 | float64](sorted []T) T {
	switch x := any(sorted).(type) {
	case []float32:
		return T(npmath.Median32(x))
	case []float64:
		return T(npmath.Median64(x))
	}
	panic("unreachable")
}

func percentile[T float32 | float64](sorted []T, q float64) float64 {
	switch x := any(sorted).(type) {
	case []float32:
		return npmath.Percentile32(x, q)
	case []float64:
		return npmath.Percentile64(x, q)
	}
	panic("unreachable")
}

// sortedCopy returns x sorted, in scratch when it is large enough.
func sortedCopy[T float32 | float64](scratch []T, x []T) []T {
	scratch = append(scratch[:0], x...)
	slices.Sort(scratch)
	return scratch
}
