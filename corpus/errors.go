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
	// ErrInsideOut: LineageOut or PrivateAliasMap names a path inside
	// Out. The lineage graph holds raw exec ids and basenames, the full
	// alias map original basenames, which a release must not carry.
	ErrInsideOut = errors.New("inside the output directory; it holds raw exec ids or basenames and must stay out of the corpus")
	// ErrNoPrivateAliasMap: the policy publishes leaking alias-map
	// originals redacted (aliases.leaking_originals "redact"), and no
	// PrivateAliasMap names where the full map goes.
	ErrNoPrivateAliasMap = errors.New(`the policy redacts leaking alias-map originals (aliases.leaking_originals "redact"): name a file outside the output directory for the full alias map`)
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
// what was about to be written or, in the post-write checks, in a written
// shard read back from disk or in another released file: the policy
// forbids it, or it is not what anonymization should have produced. Err
// is the *anonymize.LeakError naming the column and the row (within the
// batch, or within the shard), or the file's line and CSV column or JSON
// key, and the check; it never quotes the cell or the line, only the
// policy's value that matched. Of the alias map, Err joins one
// *anonymize.LeakError per leaking original, each naming the entry by its
// alias. A released file the checks cannot read (not a regular file,
// binary, a Parquet file that is not one of the checked shards) is an Err
// wrapping anonymize.ErrFileFormat. Build fails with it and leaves no
// output behind.
type LeakCheckError struct {
	Split string // the split; empty for files other than shards
	Shard string // the shard's file name; empty when found before writing
	File  string // another released file, by its slash-separated path within Out
	Err   error
}

// Error names the split, the shard or the file, where in it, and the
// check.
func (e *LeakCheckError) Error() string {
	switch {
	case e.File != "":
		return "post-write check of " + e.File + ": " + e.Err.Error()
	case e.Shard != "":
		return "post-write check of " + e.Shard + ": " + e.Err.Error()
	}
	return "anonymizing " + e.Split + ": " + e.Err.Error()
}

// Unwrap returns Err.
func (e *LeakCheckError) Unwrap() error { return e.Err }
