package corpus

import (
	"errors"
	"fmt"
)

// ConfigError reports a Config field that cannot be used: a bad value, a
// file it names that cannot be read or parsed, or a combination of fields
// that makes no sense. NewPlan and Build return it before anything is
// written. Err says why; it may wrap one of the Err* sentinels of this
// package or the error of the package that parsed the named file.
type ConfigError struct {
	Field string // the Config field, e.g. "LabelsFile"
	Err   error
}

// Error names the field: "corpus.Config.LabelsFile: …".
func (e *ConfigError) Error() string { return "corpus.Config." + e.Field + ": " + e.Err.Error() }

// Unwrap returns Err.
func (e *ConfigError) Unwrap() error { return e.Err }

// configErr returns a *ConfigError for field.
func configErr(field string, format string, args ...any) error {
	return &ConfigError{Field: field, Err: fmt.Errorf(format, args...)}
}

// Refusals, each returned inside a *ConfigError.
var (
	// ErrNotCorpus: Out exists and is neither empty nor a corpus built by
	// this package, so replacing it could destroy something else.
	ErrNotCorpus = errors.New("not empty and not a corpus built by this package")
	// ErrReleaseLike: NoAnonymize was asked for an Out that looks like a
	// release (see Config.AllowReleaseLike).
	ErrReleaseLike = errors.New("a release must be anonymized")
	// ErrNoKey: an anonymized build of real inputs was asked for without
	// an HMAC key.
	ErrNoKey = errors.New("anonymization needs a secret HMAC key for the exec-id pseudonyms (e.g. made with `head -c 32 /dev/urandom > key.bin`); a local research build can skip anonymization")
	// ErrInsideOut: LineageOut names a path inside Out. The lineage graph
	// holds raw exec ids and basenames, which a release must not carry.
	ErrInsideOut = errors.New("inside the output directory; the lineage graph holds raw exec ids and basenames and must stay out of the corpus")
	// ErrInputInsideOut: an input is inside Out (or is Out), which the
	// build replaces: reading a corpus into itself would replace it with
	// an empty one.
	ErrInputInsideOut = errors.New("inside the output directory, which the build replaces")
	// ErrMountPoint: Out is a mount point, which cannot be swapped for
	// the new corpus (build into a directory inside it instead).
	ErrMountPoint = errors.New("a mount point cannot be replaced; name a directory inside it")
	// ErrNoInputFiles: the inputs name only directories without Tetragon
	// export files.
	ErrNoInputFiles = errors.New("no Tetragon export files")
)

// Refusals found while building, returned by Build as they are (wrapped
// with details), never inside a *ConfigError.
var (
	// ErrLocked: another build, in this or another process, holds the
	// lock of Out (see Config.WaitForLock).
	ErrLocked = errors.New("another build is writing this output directory")
	// ErrNoRows: the inputs yielded no rows (see Config.AllowEmpty).
	ErrNoRows = errors.New("the inputs yield no rows")
	// ErrMostlyUnreadable: more than half of the non-blank input lines
	// are not Tetragon events (tetraparse.Stats.MostlyUnreadable; see
	// Config.AllowEmpty).
	ErrMostlyUnreadable = errors.New("most input lines are not Tetragon events")
)

// LeakCheckError reports a value that anonymization's assertions found in
// what was about to be written or, in the post-write check, in a written
// shard read back from disk: the policy forbids it, or it is not what
// anonymization should have produced. Err is the *anonymize.LeakError
// naming the column, the row (within the batch, or within the shard) and
// the check; it never quotes the value. Build fails with it and leaves no
// output behind.
type LeakCheckError struct {
	Split string // the split
	Shard string // the shard's file name; empty when found before writing
	Err   error
}

// Error names the split or the shard, the column, the row and the check.
func (e *LeakCheckError) Error() string {
	if e.Shard == "" {
		return "anonymizing " + e.Split + ": " + e.Err.Error()
	}
	return "post-write check of " + e.Shard + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *LeakCheckError) Unwrap() error { return e.Err }
