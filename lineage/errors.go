package lineage

import (
	"errors"
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// Sentinel errors. Errors returned by this package wrap one of them, so
// callers can test with errors.Is.
var (
	// ErrCorrupt reports an encoded graph that is truncated, fails its
	// checksum or is otherwise malformed. The wrapping error says where.
	ErrCorrupt = errors.New("lineage: corrupt graph encoding")

	// ErrUnsupportedVersion reports an encoded graph written in a format
	// version this package cannot read.
	ErrUnsupportedVersion = errors.New("lineage: unsupported graph format version")

	// ErrMissingColumn reports a record batch that lacks a column the
	// operation needs. It is wrapped in a *ColumnError.
	ErrMissingColumn = errors.New("missing column")

	// ErrAmbiguousColumn reports a record batch holding several columns of
	// the same name. It is wrapped in a *ColumnError.
	ErrAmbiguousColumn = errors.New("ambiguous column")

	// ErrColumnType reports a column that is not a string column (utf8,
	// large_utf8 or string_view). It is wrapped in a *ColumnError.
	ErrColumnType = errors.New("column is not a string column")

	// ErrNilRecord reports a nil record batch.
	ErrNilRecord = errors.New("lineage: nil record batch")
)

// ColumnError describes a record batch column that AddBatch or ForBatch
// cannot use. Err is ErrMissingColumn, ErrAmbiguousColumn or ErrColumnType.
type ColumnError struct {
	Column string         // the column name looked up
	Type   arrow.DataType // the column's type, nil when it is missing
	Err    error          // the reason, one of the column sentinels
}

// Error implements error.
func (e *ColumnError) Error() string {
	if e.Type != nil {
		return fmt.Sprintf("lineage: column %q (%s): %v", e.Column, e.Type, e.Err)
	}
	return fmt.Sprintf("lineage: column %q: %v", e.Column, e.Err)
}

// Unwrap returns the sentinel reason, for errors.Is.
func (e *ColumnError) Unwrap() error { return e.Err }
