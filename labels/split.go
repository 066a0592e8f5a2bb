package labels

import "fmt"

// Side is the split an event falls in.
type Side uint8

// The sides of a chronological split.
const (
	// Train holds events with time < cut.
	Train Side = iota
	// Test holds events with time >= cut.
	Test
	// NoTime holds events without a time. They cannot be placed
	// chronologically; the reference's carve drops them from both sides
	// (its time comparison yields null, which its filter discards).
	NoTime
)

// String returns "train", "test" or "no time".
func (s Side) String() string {
	switch s {
	case Train:
		return "train"
	case Test:
		return "test"
	case NoTime:
		return "no time"
	}
	return fmt.Sprintf("Side(%d)", uint8(s))
}

// Split is a chronological train/test cut: events with time < Cut are
// train, the others test. The zero Split cuts at the epoch. Use
// [Set.Split] to get one checked against a label set.
type Split struct {
	// Cut is the first test time, in nanoseconds since the epoch.
	Cut int64
}

// Side returns the side of an event at time t; valid false means the time
// is null, and gives [NoTime].
func (sp Split) Side(t int64, valid bool) Side {
	switch {
	case !valid:
		return NoTime
	case t < sp.Cut:
		return Train
	default:
		return Test
	}
}

// Sides classifies times into dst (reused when large enough). valid, when
// not nil, marks present times as in [Set.LabelInto]. It returns an error
// wrapping [ErrLength] if valid and times differ in length.
func (sp Split) Sides(dst []Side, times []int64, valid []bool) ([]Side, error) {
	if valid != nil && len(valid) != len(times) {
		return dst[:0], fmt.Errorf("labels: %d validity flags for %d times: %w", len(valid), len(times), ErrLength)
	}
	if cap(dst) < len(times) {
		dst = make([]Side, len(times))
	}
	dst = dst[:len(times)]
	for i, t := range times {
		dst[i] = sp.Side(t, valid == nil || valid[i])
	}
	return dst, nil
}

// Split returns the split at cut after checking that it keeps train
// benign-only: every window must start at or after the cut (a window that
// straddles the cut would put attack events into train). Otherwise it
// returns a [*SplitError], which wraps [ErrWindowInTrain] and lists the
// offending windows.
func (s *Set) Split(cut int64) (Split, error) {
	var bad []Window
	for _, w := range s.windows {
		if w.Start < cut {
			bad = append(bad, w)
		}
	}
	if len(bad) > 0 {
		return Split{}, &SplitError{Cut: cut, Windows: bad}
	}
	return Split{Cut: cut}, nil
}
