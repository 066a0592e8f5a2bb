package eval

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
)

// Report is the reference evaluator's payload (compute_eval_payload in
// the reference's shared.py): the numbers of the paper's Table II for one
// scorer on one test split. It marshals to JSON under the reference's
// names (given with each field); NaN, e.g. a per-window AUROC over windows
// of one class or a skipped technique's AUROC, is written as null.
type Report struct {
	AUROC float64 // "auroc": per-event AUROC
	AP    float64 // "ap": average precision ([AveragePrecision])
	// CILo and CIHi bound the bootstrap confidence interval of AUROC
	// ("ci95_lo", "ci95_hi"). They are this package's [Bootstrap], which
	// cannot equal numpy's random draws digit for digit.
	CILo, CIHi float64
	// TPRAt1PctFPR is [TPRAtFPR] at 1 % ("tpr_at_1pct_fpr").
	TPRAt1PctFPR float64
	// PerWindowAUROC is [PerWindow] ("per_window_auroc"); NaN with
	// Windows 0 if there are fewer events than one window, NaN if every
	// window has one class.
	PerWindowAUROC float64
	TestEvents     int // "n_test_events"
	AttackEvents   int // "n_attack_events"
	Windows        int // "n_windows"
	AttackWindows  int // "n_attack_windows"
	// PerTechnique is [PerTechnique], sorted by technique_id
	// ("per_technique": an object keyed by technique_id, each
	// {"auroc", "n_attack_events", "skipped"}).
	PerTechnique []TechniqueResult
}

// Options configures [Evaluate]. The zero value is the reference
// evaluator's protocol.
type Options struct {
	// Bootstrap configures the confidence interval (zero: 1000 resamples).
	Bootstrap Bootstrap
	// Windows configures the per-window AUROC; nil means the reference's
	// windows: 128 events, stride 32, max, float32 window scores.
	Windows *Windows
	// MinAttackEvents is the per-technique minimum (0: the reference's 50;
	// negative: no minimum).
	MinAttackEvents int
}

// ReferenceWindows is the per-window protocol of the reference evaluator.
func ReferenceWindows() Windows {
	return Windows{Size: DefaultWindowSize, Stride: DefaultWindowStride, Agg: Max, Float32: true}
}

// Evaluate computes the whole [Report] for per-event scores (in event-time
// order, which the per-window AUROC depends on), their labels and their
// technique_ids (as [github.com/tetrahids/tetrahids/labels.Set.Expand]
// makes). As the reference, it fails only when the per-event AUROC is
// undefined (one class: an error wrapping [ErrOneClass]) or the input is
// invalid ([ErrLength], [ErrNaN], [ErrBadOption]); a per-window AUROC that
// is undefined is NaN.
func Evaluate(scores []float64, isAttack []bool, technique []string, opt Options) (Report, error) {
	if len(technique) != len(scores) {
		return Report{}, fmt.Errorf("%w: %d scores, %d techniques", ErrLength, len(scores), len(technique))
	}
	ev, err := PerEvent(scores, isAttack, opt.Bootstrap)
	if err != nil {
		return Report{}, err
	}
	r := Report{AUROC: ev.AUROC, CILo: ev.CI.Lo, CIHi: ev.CI.Hi, TestEvents: ev.Events, AttackEvents: ev.Attacks}
	if r.AP, err = AveragePrecision(scores, isAttack); err != nil {
		return Report{}, err
	}
	if r.TPRAt1PctFPR, err = TPRAtFPR(scores, isAttack, ReferenceTargetFPR); err != nil {
		return Report{}, err
	}
	w := ReferenceWindows()
	if opt.Windows != nil {
		w = *opt.Windows
	}
	pw, err := PerWindow(scores, isAttack, w)
	switch {
	case errors.Is(err, ErrTooFewEvents):
		pw = WindowResult{AUROC: math.NaN()}
	case err != nil && !errors.Is(err, ErrOneClass):
		return Report{}, err
	}
	r.PerWindowAUROC, r.Windows, r.AttackWindows = pw.AUROC, pw.Windows, pw.AttackWindows
	minEvents := opt.MinAttackEvents
	switch {
	case minEvents == 0:
		minEvents = ReferenceMinAttackEvents
	case minEvents < 0:
		minEvents = 0
	}
	if r.PerTechnique, err = PerTechnique(scores, isAttack, technique, minEvents); err != nil {
		return Report{}, err
	}
	return r, nil
}

// jsonFloat writes NaN and infinities as null and reads null as NaN.
type jsonFloat float64

func (f jsonFloat) MarshalJSON() ([]byte, error) {
	x := float64(f)
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return []byte("null"), nil
	}
	return json.Marshal(x)
}

func (f *jsonFloat) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = jsonFloat(math.NaN())
		return nil
	}
	x, err := strconv.ParseFloat(string(b), 64)
	if err != nil {
		return fmt.Errorf("eval: number %s: %w", b, err)
	}
	*f = jsonFloat(x)
	return nil
}

type reportJSON struct {
	AUROC          jsonFloat      `json:"auroc"`
	AP             jsonFloat      `json:"ap"`
	CILo           jsonFloat      `json:"ci95_lo"`
	CIHi           jsonFloat      `json:"ci95_hi"`
	TPRAt1PctFPR   jsonFloat      `json:"tpr_at_1pct_fpr"`
	PerWindowAUROC jsonFloat      `json:"per_window_auroc"`
	TestEvents     int            `json:"n_test_events"`
	AttackEvents   int            `json:"n_attack_events"`
	Windows        int            `json:"n_windows"`
	AttackWindows  int            `json:"n_attack_windows"`
	PerTechnique   techniquesJSON `json:"per_technique"`
}

type techniqueJSON struct {
	AUROC        jsonFloat `json:"auroc"`
	AttackEvents int       `json:"n_attack_events"`
	Skipped      bool      `json:"skipped"`
}

// techniquesJSON is an object keyed by technique_id, in slice order.
type techniquesJSON []TechniqueResult

func (ts techniquesJSON) MarshalJSON() ([]byte, error) {
	var b bytes.Buffer
	b.WriteByte('{')
	for i, t := range ts {
		if i > 0 {
			b.WriteByte(',')
		}
		k, err := json.Marshal(t.TechniqueID)
		if err != nil {
			return nil, err
		}
		v, err := json.Marshal(techniqueJSON{jsonFloat(t.AUROC), t.AttackEvents, t.Skipped})
		if err != nil {
			return nil, err
		}
		b.Write(k)
		b.WriteByte(':')
		b.Write(v)
	}
	b.WriteByte('}')
	return b.Bytes(), nil
}

func (ts *techniquesJSON) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*ts = nil
		return nil
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return fmt.Errorf("eval: per_technique is not an object")
	}
	out := techniquesJSON{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return fmt.Errorf("eval: per_technique: %w", err)
		}
		var v techniqueJSON
		if err := dec.Decode(&v); err != nil {
			return fmt.Errorf("eval: per_technique %q: %w", tok, err)
		}
		out = append(out, TechniqueResult{TechniqueID: tok.(string), AttackEvents: v.AttackEvents, AUROC: float64(v.AUROC), Skipped: v.Skipped})
	}
	*ts = out
	return nil
}

// MarshalJSON writes the reference's field names; see [Report].
func (r Report) MarshalJSON() ([]byte, error) {
	per := r.PerTechnique
	if per == nil {
		per = []TechniqueResult{}
	}
	return json.Marshal(reportJSON{
		AUROC: jsonFloat(r.AUROC), AP: jsonFloat(r.AP), CILo: jsonFloat(r.CILo), CIHi: jsonFloat(r.CIHi),
		TPRAt1PctFPR: jsonFloat(r.TPRAt1PctFPR), PerWindowAUROC: jsonFloat(r.PerWindowAUROC),
		TestEvents: r.TestEvents, AttackEvents: r.AttackEvents, Windows: r.Windows, AttackWindows: r.AttackWindows,
		PerTechnique: techniquesJSON(per),
	})
}

// UnmarshalJSON reads what MarshalJSON writes, or the reference's eval
// JSON (other fields are ignored; absent numbers are NaN).
func (r *Report) UnmarshalJSON(b []byte) error {
	nan := jsonFloat(math.NaN())
	aux := reportJSON{AUROC: nan, AP: nan, CILo: nan, CIHi: nan, TPRAt1PctFPR: nan, PerWindowAUROC: nan}
	if err := json.Unmarshal(b, &aux); err != nil {
		return fmt.Errorf("eval: report: %w", err)
	}
	*r = Report{
		AUROC: float64(aux.AUROC), AP: float64(aux.AP), CILo: float64(aux.CILo), CIHi: float64(aux.CIHi),
		TPRAt1PctFPR: float64(aux.TPRAt1PctFPR), PerWindowAUROC: float64(aux.PerWindowAUROC),
		TestEvents: aux.TestEvents, AttackEvents: aux.AttackEvents, Windows: aux.Windows, AttackWindows: aux.AttackWindows,
		PerTechnique: []TechniqueResult(aux.PerTechnique),
	}
	return nil
}
