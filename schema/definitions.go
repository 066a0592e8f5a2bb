package schema

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"sync"

	"github.com/tetrahids/tetrahids/internal/schemadoc"
)

// FormatName is the value of the "format" field of every definitions document.
const FormatName = "tetrahids.feature_definitions"

// DefaultVersion is the schema version returned by [Default].
const DefaultVersion = "1.1"

// Sentinel errors, wrapped by the errors this package returns.
var (
	// ErrInvalid is wrapped by every *ValidationError.
	ErrInvalid = errors.New("schema: invalid feature definitions")
	// ErrUnsupportedVersion reports a schema_version whose major version this
	// package cannot read, or an unknown embedded version.
	ErrUnsupportedVersion = errors.New("schema: unsupported schema version")
	// ErrUnknownColumn reports a column name the definitions do not have.
	ErrUnknownColumn = errors.New("schema: unknown column")
	// ErrNotCategorical reports a Label or Code call on a column without codes.
	ErrNotCategorical = errors.New("schema: column has no categorical codes")
	// ErrUnknownCode reports a code outside a column's vocabulary.
	ErrUnknownCode = errors.New("schema: unknown code")
	// ErrUnknownLabel reports a label outside a column's vocabulary.
	ErrUnknownLabel = errors.New("schema: unknown label")
)

// ValidationError describes one problem found while loading a document.
// Column is empty for problems that are not about one column.
type ValidationError struct {
	Column string
	// Problem says what is wrong, such as "gap in codes: code 3 at
	// position 2, want 2".
	Problem string
}

// Error names the column (when there is one) and the problem.
func (e *ValidationError) Error() string {
	if e.Column == "" {
		return "schema: " + e.Problem
	}
	return fmt.Sprintf("schema: column %q: %s", e.Column, e.Problem)
}

// Unwrap makes errors.Is(err, ErrInvalid) true.
func (e *ValidationError) Unwrap() error { return ErrInvalid }

// Definitions is one parsed and validated feature-definitions document:
// the columns of the raw and the encoded table, their vocabularies, hash
// capacities and recipes, the lookup tables and the quirks of one schema
// version. Its methods only read it: a Definitions never changes after
// [Load] and is safe for concurrent use, and every slice a method returns
// is the caller's.
type Definitions struct {
	doc          *schemadoc.Document
	rawIndex     map[string]int
	encodedIndex map[string]int
	labelIndex   map[string]map[string]int // column → label → code
	document     []byte
}

func init() {
	// The packages that run a document's recipes (encode, tetraparse,
	// anonymize) read the document model through schemadoc.Of; users see
	// only the methods below.
	schemadoc.Bind(func(defs any) *schemadoc.Document {
		if d, _ := defs.(*Definitions); d != nil {
			return d.doc
		}
		return nil
	})
}

//go:embed definitions/*/feature_definitions.json
var embedded embed.FS

var cache sync.Map // version → *Definitions

// EmbeddedVersions lists the schema versions built into the library.
func EmbeddedVersions() []string { return []string{"1.0", "1.1"} }

// Default returns the definitions of schema version 1.1.
func Default() *Definitions {
	d, err := Version(DefaultVersion)
	if err != nil {
		// The embedded documents are validated by the package tests.
		panic(err)
	}
	return d
}

// Version returns the embedded definitions of schema version v ("1.0" or
// "1.1"). Every call for one version returns the same *Definitions, which
// nothing can modify.
func Version(v string) (*Definitions, error) {
	if d, ok := cache.Load(v); ok {
		return d.(*Definitions), nil
	}
	data, err := embedded.ReadFile("definitions/" + v + "/feature_definitions.json")
	if err != nil {
		return nil, fmt.Errorf("%w: %q is not embedded (have %s)", ErrUnsupportedVersion, v, strings.Join(EmbeddedVersions(), ", "))
	}
	d, err := Load(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("embedded schema %s: %w", v, err)
	}
	actual, _ := cache.LoadOrStore(v, d)
	return actual.(*Definitions), nil
}

// Load reads and validates a definitions document. Unknown fields are errors.
func Load(r io.Reader) (*Definitions, error) {
	data, err := io.ReadAll(r)
	if err != nil {
		return nil, fmt.Errorf("schema: read definitions: %w", err)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	d := Definitions{doc: new(schemadoc.Document)}
	if err := dec.Decode(d.doc); err != nil {
		return nil, &ValidationError{Problem: "decode: " + describeJSONError(data, err)}
	}
	if dec.More() {
		return nil, &ValidationError{Problem: "decode: trailing data after the document"}
	}
	if err := d.validate(); err != nil {
		return nil, err
	}
	d.document = data
	return &d, nil
}

// describeJSONError adds a line and column to encoding/json's offsets.
func describeJSONError(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var ue *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &ue):
		off = ue.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return err.Error()
	}
	line := 1 + bytes.Count(data[:off], []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("line %d, column %d: %v", line, col, err)
}

// Document returns the document's bytes as loaded, for writing next to a
// corpus (reproduction/feature_definitions.json).
func (d *Definitions) Document() []byte { return bytes.Clone(d.document) }

// SchemaVersion returns the document's schema version, "MAJOR.MINOR"
// (such as "1.1"): the value of the Arrow schema metadata key
// [MetadataVersionKey].
func (d *Definitions) SchemaVersion() string { return d.doc.SchemaVersion }

// CorpusRelease returns the corpus release the version describes, such
// as "v0.2.1".
func (d *Definitions) CorpusRelease() string { return d.doc.Release }

// Description returns the document's description of the version, one
// paragraph for people.
func (d *Definitions) Description() string { return d.doc.Description }

// ParserVersion returns the raw table's parser version, the value of its
// _parser_version column.
func (d *Definitions) ParserVersion() string { return d.doc.Raw.ParserVersion }

// Major returns the major part of the schema version.
func (d *Definitions) Major() int {
	major, _, _ := strings.Cut(d.doc.SchemaVersion, ".")
	n, _ := strconv.Atoi(major)
	return n
}

// HashAlgorithm returns the document's description of a hash algorithm
// that a column's [Hash].Algorithm names, such as "blake2b-64-be", and
// whether the document describes it.
func (d *Definitions) HashAlgorithm(name string) (string, bool) {
	s, ok := d.doc.HashAlgorithms[name]
	return s, ok
}

// Quirk is a named reference behaviour that a schema version reproduces on
// purpose (or, inactive, no longer reproduces), so that a corrected
// version changes data, not code.
type Quirk struct {
	// Name identifies the quirk, such as "chmod_path_arg_ignored".
	Name string
	// Active reports whether this version reproduces it.
	Active bool
	// Description says in words what the reference does.
	Description string
}

// Quirk reports whether the named quirk is active in this version.
func (d *Definitions) Quirk(name string) bool {
	for _, q := range d.doc.Quirks {
		if q.Name == name {
			return q.Active
		}
	}
	return false
}

// Quirks returns every quirk the document names, in document order.
func (d *Definitions) Quirks() []Quirk {
	out := make([]Quirk, len(d.doc.Quirks))
	for i, q := range d.doc.Quirks {
		out[i] = Quirk{Name: q.Name, Active: q.Active, Description: q.Description}
	}
	return out
}
