package anonymize

import (
	"errors"
	"fmt"
)

// Sentinel errors. Every error this package returns wraps one of them, so
// callers can branch with errors.Is; the typed errors below carry the
// details and are reachable with errors.As.
var (
	// ErrPolicy reports an invalid policy: a malformed or unknown-field
	// JSON document, an unsupported version, a bad regular expression, a
	// forbidden value too short to scan for, … Returned as *PolicyError.
	ErrPolicy = errors.New("anonymize: invalid policy")
	// ErrKey reports a missing or too short HMAC key. The key must come
	// from the caller; the package never generates one.
	ErrKey = errors.New("anonymize: HMAC key")
	// ErrUnclassifiedColumn reports a string-bearing column the policy does
	// not classify. A new string column must be classified before release.
	ErrUnclassifiedColumn = errors.New("anonymize: column not classified by the policy")
	// ErrColumnType reports a column whose Arrow type (or, for the action
	// family, whose codes) its class cannot handle: the transforming
	// classes need utf8, large_utf8 or string_view; the token needs an
	// integer action-family column with codes of the definitions.
	ErrColumnType = errors.New("anonymize: unsupported column type")
	// ErrMissingColumn reports a column a class depends on that the batch
	// lacks (the token needs the basenames, the categories and the action
	// family).
	ErrMissingColumn = errors.New("anonymize: missing column")
	// ErrUnknownBasename reports, under WithStrictAliases, a basename that
	// was not observed before the alias map was frozen.
	ErrUnknownBasename = errors.New("anonymize: basename not in the frozen alias map")
	// ErrLeak reports a failed post-write assertion. Returned as *LeakError.
	ErrLeak = errors.New("anonymize: leak assertion failed")
	// ErrAliasMap reports an alias_map.json that cannot be read.
	ErrAliasMap = errors.New("anonymize: invalid alias map")
	// ErrBatchTooLarge reports a rebuilt utf8 column whose data would
	// exceed the 2 GiB its int32 offsets address; split the batch.
	ErrBatchTooLarge = errors.New("anonymize: batch too large for a utf8 column")
	// ErrFinished reports a call on a Pipeline after Finish.
	ErrFinished = errors.New("anonymize: pipeline finished")
	// ErrFileFormat reports a released file Verifier.VerifyFile cannot
	// check: binary content (a Parquet shard: check its batches with
	// Verify), text that is not UTF-8, malformed JSON or CSV, a JSON file
	// over MaxJSONFileSize. A file that cannot be checked is not released.
	ErrFileFormat = errors.New("anonymize: released file cannot be checked")
)

// PolicyError describes one problem of a policy. Field is the JSON path of
// the offending field ("cwd_rules[2].pattern"), empty when the problem is
// about the document as a whole.
type PolicyError struct {
	Field string
	// Problem says what is wrong with it, such as "unknown field".
	Problem string
	// Err is the underlying error (a JSON or regexp error), if any.
	Err error
}

// Error implements error.
func (e *PolicyError) Error() string {
	msg := "anonymize: policy"
	if e.Field != "" {
		msg += " " + e.Field
	}
	msg += ": " + e.Problem
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

// Unwrap makes errors.Is(err, ErrPolicy) true and exposes the cause.
func (e *PolicyError) Unwrap() []error {
	if e.Err == nil {
		return []error{ErrPolicy}
	}
	return []error{ErrPolicy, e.Err}
}

// ColumnError reports a column of a batch the pipeline cannot process.
// Err is ErrUnclassifiedColumn, ErrColumnType or ErrMissingColumn.
type ColumnError struct {
	// Column is the column's name.
	Column string
	// Type is the Arrow type of the column, empty when it is missing.
	Type string
	Err  error
}

// Error implements error.
func (e *ColumnError) Error() string {
	if e.Type == "" {
		return fmt.Sprintf("%v %q", e.Err, e.Column)
	}
	return fmt.Sprintf("%v: %q (%s)", e.Err, e.Column, e.Type)
}

// Unwrap returns the sentinel.
func (e *ColumnError) Unwrap() error { return e.Err }

// Check names a post-write assertion.
type Check string

// The post-write assertions, in the order they are evaluated per column.
const (
	// CheckExecID: an exec-id column holds exec_<32 lower-case hex>, the
	// empty string or null.
	CheckExecID Check = "exec_id_format"
	// CheckAliasClosure: a basename column holds only values of the alias
	// map's closure (or the empty string).
	CheckAliasClosure Check = "alias_closure"
	// CheckDerivation: parent_child_pair and token equal what the canonical
	// format (encode.Tokens) builds from the released basenames and
	// categories, so no original basename can hide in them.
	CheckDerivation Check = "derivation"
	// CheckForbidden: no forbidden value (policy list, sweep sources,
	// rewritten path prefixes) occurs as a substring, case-insensitively.
	CheckForbidden Check = "forbidden_value"
	// CheckAliasOriginal: no original of a renamed basename occurs as a
	// word (see the package documentation for the boundary rule).
	CheckAliasOriginal Check = "alias_original"
	// CheckPattern: no policy pattern (MAC address, IPv4 address, …)
	// matches.
	CheckPattern Check = "pattern"
	// CheckDroppedColumn: a column the policy drops is present.
	CheckDroppedColumn Check = "dropped_column"
)

// LeakError is a failed post-write assertion: the first offending cell
// found, in column order then row order, or the first offending value of
// a released file. It names the value that leaked (Pattern) but never
// prints the cell or the file's text itself, which may hold more.
type LeakError struct {
	// File is the released file, for the checks of files
	// (Verifier.VerifyFile, Pipeline.ReleaseAliasMap); empty for batches.
	File string
	// Line is the 1-based line within File (0: not known).
	Line int
	// Key locates the value within a JSON file: a path such as
	// config.node_name or splits[1].name (a member name that leaks itself
	// is shown as {#n}, its position), or, in an alias map,
	// aliases[original of custom_tool_003].
	Key string
	// Column is the batch's column, or the CSV file's column.
	Column string
	// Row is the 0-based row within the checked batch (-1 for a
	// column-level failure such as CheckDroppedColumn, and for files).
	Row int
	// Check is the assertion that failed, such as CheckExecID.
	Check Check
	// Pattern is the forbidden value, the original basename, or the name of
	// the pattern that matched; for CheckExecID, CheckAliasClosure and
	// CheckDerivation it describes the expectation.
	Pattern string
	// Base64 is true when the match was inside a base64-decoded substring.
	Base64 bool
}

// Error implements error.
func (e *LeakError) Error() string {
	where := fmt.Sprintf("column %q row %d", e.Column, e.Row)
	switch {
	case e.File != "":
		where = fmt.Sprintf("file %q", e.File)
		if e.Line > 0 {
			where += fmt.Sprintf(" line %d", e.Line)
		}
		if e.Column != "" {
			where += fmt.Sprintf(" column %q", e.Column)
		}
		if e.Key != "" {
			where += fmt.Sprintf(" key %q", e.Key)
		}
	case e.Row < 0:
		where = fmt.Sprintf("column %q", e.Column)
	}
	enc := ""
	if e.Base64 {
		enc = " (inside a base64-decoded substring)"
	}
	return fmt.Sprintf("%v: %s: %s %q%s", ErrLeak, where, e.Check, e.Pattern, enc)
}

// Unwrap makes errors.Is(err, ErrLeak) true.
func (e *LeakError) Unwrap() error { return ErrLeak }
