package baseline

import (
	"errors"
	"fmt"
)

// Sentinel errors; every error of this package wraps one of them (errors
// from reading or writing also wrap the underlying I/O error).
var (
	// ErrNotModel: the input does not start with a model (or scorer
	// checkpoint) header.
	ErrNotModel = errors.New("baseline: not a tetrahids baseline file")
	// ErrVersion: the file's format version is not one this build reads.
	ErrVersion = errors.New("baseline: unsupported format version")
	// ErrChecksum: the content does not match its checksum.
	ErrChecksum = errors.New("baseline: checksum mismatch")
	// ErrTruncated: the input ends early.
	ErrTruncated = errors.New("baseline: truncated input")
	// ErrCorrupt: the checksum matches but the content is inconsistent
	// (only a file written by something else can be).
	ErrCorrupt = errors.New("baseline: corrupt content")
	// ErrKind: the file holds another kind of model than asked for.
	ErrKind = errors.New("baseline: wrong model kind")
	// ErrModelMismatch: a scorer checkpoint belongs to another model.
	ErrModelMismatch = errors.New("baseline: checkpoint of another model")
	// ErrNoTraining: no benign event was given to a trainer.
	ErrNoTraining = errors.New("baseline: no benign training events")
	// ErrColumn: a record lacks a column the model reads, or has it with
	// another type, or with nulls where none are allowed.
	ErrColumn = errors.New("baseline: missing or mistyped column")
	// ErrLength: a slice argument has the wrong length.
	ErrLength = errors.New("baseline: length mismatch")
	// ErrBadOption: an option is out of range.
	ErrBadOption = errors.New("baseline: invalid option")
	// ErrTooLarge: a vocabulary, forest or file exceeds this package's
	// limits.
	ErrTooLarge = errors.New("baseline: too large")
)

// FormatError reports a model or checkpoint file that cannot be read: the
// byte offset where the problem was found and what it is (wrapping
// [ErrNotModel], [ErrVersion], [ErrChecksum], [ErrTruncated], [ErrCorrupt],
// [ErrKind], [ErrModelMismatch] or [ErrTooLarge]).
type FormatError struct {
	// Offset is the position in the input, in bytes from its start.
	Offset int64
	// Err is one of the sentinel errors above, possibly wrapped with
	// details.
	Err error
}

// Error names the problem and its byte offset.
func (e *FormatError) Error() string {
	return fmt.Sprintf("%v (at byte %d)", e.Err, e.Offset)
}

// Unwrap returns Err, for errors.Is with the sentinel errors.
func (e *FormatError) Unwrap() error { return e.Err }
