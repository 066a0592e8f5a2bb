package eval

import (
	"fmt"
	"math"
	"slices"
)

// ReferenceMinAttackEvents is the reference evaluator's threshold below
// which a technique's AUROC is not reported (too noisy).
const ReferenceMinAttackEvents = 50

// TechniqueResult is the AUROC of one technique.
type TechniqueResult struct {
	// TechniqueID is the ATT&CK technique id, such as "T1059.004".
	TechniqueID string
	// AttackEvents counts the technique's attack events.
	AttackEvents int
	// AUROC is over all benign events plus this technique's attack
	// events; NaN when Skipped.
	AUROC float64
	// Skipped is set when AttackEvents < the minimum asked for.
	Skipped bool
}

// PerTechnique returns one AUROC per technique, sorted by technique_id:
// each over all benign events and the attack events of that technique
// (other techniques' events are left out, not counted as benign).
// technique holds each event's technique_id (as
// [github.com/tetrahids/tetrahids/labels.Set.Expand] makes;
// ignored for benign events). Techniques with fewer than minAttackEvents
// attack events are listed as Skipped; pass [ReferenceMinAttackEvents] for
// the reference's table, 0 to compute all. Attack events without a
// technique_id are left out, as in the reference.
//
// All techniques come from one sort of the events, so the cost is that of
// a single AUROC. Errors wrap [ErrLength], [ErrNaN] or, when there is no
// benign event, [ErrOneClass]. Without attack events the result is empty.
func PerTechnique(scores []float64, isAttack []bool, technique []string, minAttackEvents int) ([]TechniqueResult, error) {
	if len(scores) != len(isAttack) || len(scores) != len(technique) {
		return nil, fmt.Errorf("%w: %d scores, %d labels, %d techniques", ErrLength, len(scores), len(isAttack), len(technique))
	}
	codes := map[string]int32{}
	var names []string
	classes := make([]int32, len(scores))
	keep := make([]bool, len(scores))
	for i, a := range isAttack {
		switch {
		case !a:
			classes[i] = -1
			keep[i] = true
		case technique[i] != "":
			c, ok := codes[technique[i]]
			if !ok {
				c = int32(len(names))
				codes[technique[i]] = c
				names = append(names, technique[i])
			}
			classes[i] = c
			keep[i] = true
		}
	}
	// Drop attack events without a technique: they are neither a
	// technique's positives nor benign.
	sc, cl := scores, classes
	if slices.Contains(keep, false) {
		sc, cl = nil, nil
		for i, k := range keep {
			if k {
				sc, cl = append(sc, scores[i]), append(cl, classes[i])
			}
		}
	}
	r, err := newRanking(sc, cl, len(names))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return []TechniqueResult{}, nil
	}
	if r.neg == 0 {
		return nil, fmt.Errorf("%w: no benign events", ErrOneClass)
	}

	// One pass, one Mann–Whitney count per technique: within a tie group,
	// technique c's positives gain the negatives below the group and half
	// the group's negatives.
	u2 := make([]uint64, len(names))
	inGroup := make([]uint64, len(names))
	var touched []int32
	var negBelow uint64
	for g := 0; g+1 < len(r.groups); g++ {
		var gn uint64
		touched = touched[:0]
		for _, e := range r.ev[r.groups[g]:r.groups[g+1]] {
			if e.class < 0 {
				gn++
				continue
			}
			if inGroup[e.class] == 0 {
				touched = append(touched, e.class)
			}
			inGroup[e.class]++
		}
		for _, c := range touched {
			u2[c] += 2*inGroup[c]*negBelow + inGroup[c]*gn
			inGroup[c] = 0
		}
		negBelow += gn
	}

	out := make([]TechniqueResult, len(names))
	for c, name := range names {
		res := TechniqueResult{TechniqueID: name, AttackEvents: int(r.pos[c]), AUROC: math.NaN()}
		if res.AttackEvents < minAttackEvents {
			res.Skipped = true
		} else {
			res.AUROC = float64(u2[c]) / (2 * float64(r.pos[c]) * float64(r.neg))
		}
		out[c] = res
	}
	slices.SortFunc(out, func(a, b TechniqueResult) int {
		switch {
		case a.TechniqueID < b.TechniqueID:
			return -1
		case a.TechniqueID > b.TechniqueID:
			return 1
		}
		return 0
	})
	return out, nil
}
