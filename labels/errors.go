package labels

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Sentinel errors. Every error this package returns wraps one of them, so
// callers can branch with errors.Is; [*LineError] and [*SplitError] carry
// the details and are reachable with errors.As.
var (
	// ErrMissingColumn: a required column is absent from the header (or
	// the file has no header at all).
	ErrMissingColumn = errors.New("missing required column")
	// ErrDuplicateColumn: a column name appears twice in the header.
	ErrDuplicateColumn = errors.New("duplicate column")
	// ErrFieldCount: a row has a different number of fields than the header.
	ErrFieldCount = errors.New("wrong number of fields")
	// ErrBadTime: a start_ts or end_ts value does not parse.
	ErrBadTime = errors.New("unparseable timestamp")
	// ErrEmptyWindow: a window's end is not after its start.
	ErrEmptyWindow = errors.New("window end not after start")
	// ErrDuplicateWindow: two rows share a (technique_id, trial) pair.
	ErrDuplicateWindow = errors.New("duplicate (technique_id, trial)")
	// ErrEmptyValue: technique_id or trial is empty.
	ErrEmptyValue = errors.New("empty required value")
	// ErrTechniqueID: a technique_id does not match the technique pattern
	// (TechniqueIDPattern, or WithTechniquePattern's).
	ErrTechniqueID = errors.New("not a technique id of the allowed form")
	// ErrSyntax: the CSV reader rejected the input. Quotes are read
	// leniently (as Python's csv module does), so malformed quoting usually
	// surfaces as ErrFieldCount instead.
	ErrSyntax = errors.New("malformed CSV")
	// ErrTooManyWindows: the file has more windows than a label index
	// (an int32) can address.
	ErrTooManyWindows = errors.New("too many windows")

	// ErrWindowInTrain: an attack window starts before the train/test cut.
	ErrWindowInTrain = errors.New("attack window starts before the train/test cut")

	// ErrLength: slices that must be parallel differ in length.
	ErrLength = errors.New("slice lengths differ")
	// ErrNoColumn: an Arrow record lacks a column this package needs.
	ErrNoColumn = errors.New("missing column")
	// ErrColumnType: an Arrow column has an unsupported type.
	ErrColumnType = errors.New("unsupported column type")
	// ErrColumnExists: AppendLabels would add a column the record already has.
	ErrColumnExists = errors.New("column already exists")
	// ErrTimeRange: an event time cannot be expressed in int64 nanoseconds.
	ErrTimeRange = errors.New("event time out of int64 nanosecond range")
	// ErrLabelMismatch: a labeled record disagrees with the label set.
	ErrLabelMismatch = errors.New("labels disagree with the label set")
)

// LineError reports a problem with one line of a labels file. Err is one
// of the sentinel errors above.
type LineError struct {
	// File names the input: the path for [LoadFile], empty for [Load].
	File string
	// Line is the 1-based line number; the header is line 1.
	Line int
	// Column is the offending column, if the problem is one field.
	Column string
	// Value is the offending value, if any.
	Value string
	// FirstLine is, for ErrDuplicateWindow and ErrDuplicateColumn, the
	// line of the first occurrence.
	FirstLine int
	// Err is the sentinel error.
	Err error
}

// Error formats the error as "file:line: column "value": problem", the
// form editors and compilers use, so the message points at the line.
func (e *LineError) Error() string {
	var b strings.Builder
	if e.File != "" {
		fmt.Fprintf(&b, "%s:%d: ", e.File, e.Line)
	} else {
		fmt.Fprintf(&b, "labels: line %d: ", e.Line)
	}
	if e.Column != "" {
		b.WriteString(e.Column)
		if e.Value != "" || errors.Is(e.Err, ErrBadTime) || errors.Is(e.Err, ErrEmptyValue) {
			fmt.Fprintf(&b, " %q", e.Value)
		}
		b.WriteString(": ")
	}
	b.WriteString(e.Err.Error())
	if e.FirstLine > 0 {
		fmt.Fprintf(&b, " (first on line %d)", e.FirstLine)
	}
	return b.String()
}

// Unwrap returns the sentinel error.
func (e *LineError) Unwrap() error { return e.Err }

// SplitError reports the windows that start before a train/test cut, which
// would put attack events into the benign-only train split.
type SplitError struct {
	// Cut is the cut, in nanoseconds since the epoch.
	Cut int64
	// Windows are the offending windows, in [Set.Windows] order.
	Windows []Window
}

// Error lists the offending windows (up to five) with their lines.
func (e *SplitError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "labels: %d attack window(s) start before the train/test cut %s (train must be benign-only): ",
		len(e.Windows), FormatTime(e.Cut))
	for i, w := range e.Windows {
		if i == 5 {
			fmt.Fprintf(&b, ", and %d more", len(e.Windows)-i)
			break
		}
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s trial %s [%s, %s) on line %d", w.TechniqueID, w.Trial,
			FormatTime(w.Start), FormatTime(w.End), w.Line)
	}
	return b.String()
}

// Unwrap returns [ErrWindowInTrain].
func (e *SplitError) Unwrap() error { return ErrWindowInTrain }

// FormatTime renders nanoseconds since the epoch as RFC 3339 in UTC with
// nanoseconds, for messages and tables.
func FormatTime(ns int64) string {
	return time.Unix(0, ns).UTC().Format(time.RFC3339Nano)
}
