package eval

import (
	"fmt"
	"math"

	"github.com/tetrahids/tetrahids/internal/npmath"
)

// Curve is a ROC curve as scikit-learn's roc_curve returns it (with its
// default drop_intermediate=True): one point per distinct score, from the
// highest down, except the points in the middle of a straight run (equal
// steps before and after in both counts), which cannot change the area
// but can change a TPR read off at a fixed FPR. A first point (0, 0) with
// threshold Thresholds[1]+1 starts the curve.
type Curve struct {
	// FPR and TPR are the false and true positive rates of the rule
	// "attack iff score >= Thresholds[i]"; they rise from 0 to 1.
	FPR, TPR []float64
	// Thresholds decrease.
	Thresholds []float64
}

// ROC returns the ROC curve of scores for the labels isAttack. Errors wrap
// [ErrLength], [ErrNaN] or [ErrOneClass] (scikit-learn returns NaN rates
// then).
func ROC(scores []float64, isAttack []bool) (Curve, error) {
	r, err := rankBinary(scores, isAttack)
	if err != nil {
		return Curve{}, err
	}
	fps, tps, thr := r.descending()
	p, n := tps[len(tps)-1], fps[len(fps)-1]
	if p == 0 || n == 0 {
		return Curve{}, fmt.Errorf("%w: %d attack, %d benign", ErrOneClass, p, n)
	}
	// Drop the points with a zero second difference in both counts.
	if len(fps) > 2 {
		k := 1
		for i := 1; i+1 < len(fps); i++ {
			if fps[i-1]+fps[i+1] != 2*fps[i] || tps[i-1]+tps[i+1] != 2*tps[i] {
				fps[k], tps[k], thr[k] = fps[i], tps[i], thr[i]
				k++
			}
		}
		last := len(fps) - 1
		fps[k], tps[k], thr[k] = fps[last], tps[last], thr[last]
		fps, tps, thr = fps[:k+1], tps[:k+1], thr[:k+1]
	}
	c := Curve{
		FPR:        make([]float64, len(fps)+1),
		TPR:        make([]float64, len(fps)+1),
		Thresholds: append([]float64{thr[0] + 1}, thr...),
	}
	for i := range fps {
		c.FPR[i+1] = float64(fps[i]) / float64(n)
		c.TPR[i+1] = float64(tps[i]) / float64(p)
	}
	return c, nil
}

// descending returns, for each distinct score from the highest down, the
// numbers of benign (fps) and attack (tps) events scoring at least it, and
// the score: scikit-learn's _binary_clf_curve.
func (r *ranking) descending() (fps, tps []uint64, thr []float64) {
	ng := len(r.groups) - 1
	fps, tps, thr = make([]uint64, ng), make([]uint64, ng), make([]float64, ng)
	var fp, tp uint64
	for k := range ng {
		g := ng - 1 - k
		for _, e := range r.ev[r.groups[g]:r.groups[g+1]] {
			if e.class < 0 {
				fp++
			} else {
				tp++
			}
		}
		fps[k], tps[k], thr[k] = fp, tp, r.ev[r.groups[g]].score
	}
	return fps, tps, thr
}

// ReferenceTargetFPR is the false positive rate of the reference's
// tpr_at_1pct_fpr.
const ReferenceTargetFPR = 0.01

// TPRAtFPR returns the largest true positive rate on the [ROC] curve at a
// point whose false positive rate is at most target: the reference's
// tpr_at_fpr, the operating point of an alert threshold that may raise
// target·(benign events) false alarms. Because it reads the curve after
// scikit-learn drops collinear points, it can be lower than the best
// threshold's TPR. Errors wrap those of [ROC], or [ErrBadOption] for a
// NaN target.
func TPRAtFPR(scores []float64, isAttack []bool, target float64) (float64, error) {
	if math.IsNaN(target) {
		return math.NaN(), fmt.Errorf("%w: target FPR NaN", ErrBadOption)
	}
	c, err := ROC(scores, isAttack)
	if err != nil {
		return math.NaN(), err
	}
	return c.TPRAt(target), nil
}

// TPRAt reads the curve as [TPRAtFPR] does: the largest TPR at a point
// with FPR <= target, or, if there is none (target < 0), the smallest TPR
// at a point with a positive FPR.
func (c Curve) TPRAt(target float64) float64 {
	best, found := math.Inf(-1), false
	for i, f := range c.FPR {
		if f <= target {
			best, found = max(best, c.TPR[i]), true
		}
	}
	if found {
		return best
	}
	low, any := math.Inf(1), false
	for i, f := range c.FPR {
		if f > 0 {
			low, any = min(low, c.TPR[i]), true
		}
	}
	if !any {
		return 0
	}
	return low
}

// AveragePrecision returns scikit-learn's average_precision_score (1.2):
// the sum over the distinct scores, from the highest down, of the
// precision at that threshold times the recall it adds, with tied scores
// forming a single threshold (not interpolated). It is the area under the
// precision-recall curve as a step function, and its chance level is the
// attack rate. The sum is taken in numpy's order, so the result is bit for
// bit scikit-learn's. Errors wrap [ErrLength], [ErrNaN] or, without attack
// events, [ErrOneClass]; without benign events it is 1.
func AveragePrecision(scores []float64, isAttack []bool) (float64, error) {
	r, err := rankBinary(scores, isAttack)
	if err != nil {
		return math.NaN(), err
	}
	fps, tps, _ := r.descending()
	k := len(tps)
	p := tps[k-1]
	if p == 0 {
		return math.NaN(), fmt.Errorf("%w: no attack events", ErrOneClass)
	}
	// scikit-learn reverses the curve (recall decreasing), appends the
	// point (recall 0, precision 1), and sums -diff(recall)·precision.
	precision := func(i int) float64 { return float64(tps[i]) / float64(tps[i]+fps[i]) }
	recall := func(i int) float64 { return float64(tps[i]) / float64(p) }
	terms := make([]float64, k)
	for j := range k {
		i := k - 1 - j // position in the reversed arrays
		next := 0.0
		if i > 0 {
			next = recall(i - 1)
		}
		terms[j] = (next - recall(i)) * precision(i)
	}
	return -npmath.Sum64(terms), nil
}
