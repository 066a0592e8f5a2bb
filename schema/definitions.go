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

	"github.com/apache/arrow-go/v18/arrow"
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
	Column  string
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

// Definitions is one parsed and validated feature-definitions document.
// It must not be modified after loading; it is safe for concurrent use.
type Definitions struct {
	Format         string            `json:"format"`
	SchemaVersion  string            `json:"schema_version"`
	Release        string            `json:"release"`
	Description    string            `json:"description"`
	HashAlgorithms map[string]string `json:"hash_algorithms"`
	Quirks         []Quirk           `json:"quirks"`
	Raw            RawTable          `json:"raw"`
	Extraction     Extraction        `json:"kprobe_extraction"`
	Tables         Tables            `json:"tables"`
	Encoded        EncodedTable      `json:"encoded"`

	rawIndex     map[string]int
	encodedIndex map[string]int
	labelIndex   map[string]map[string]int // column → label → code
	document     []byte
}

// Quirk is a named reference behaviour that a schema version reproduces.
type Quirk struct {
	Name        string `json:"name"`
	Active      bool   `json:"active"`
	Description string `json:"description"`
}

// RawTable describes the parser's output table.
type RawTable struct {
	// ParserVersion is written to the _parser_version column.
	ParserVersion string   `json:"parser_version"`
	Columns       []Column `json:"columns"`
}

// EncodedTable describes the encoder's output table.
type EncodedTable struct {
	Columns []Column `json:"columns"`
}

// Column is one column of the raw or the encoded table.
type Column struct {
	Name string `json:"name"`
	// Type is the Arrow type: utf8, bool, uint8, uint16, uint32, uint64,
	// int32, int64, timestamp[ns,UTC] or list<utf8>.
	Type     string `json:"type"`
	Nullable bool   `json:"nullable"`
	// Group is the raw table's column group (A–H); empty for encoded columns.
	Group string `json:"group,omitempty"`
	// Tier is the encoded table's tier: "identifier", "1"–"6", "builder"
	// or "side"; empty for raw columns.
	Tier       string `json:"tier,omitempty"`
	Meaning    string `json:"meaning"`
	Derivation string `json:"derivation"`
	// Categorical is set for columns whose values are codes with labels.
	Categorical *Categorical `json:"categorical,omitempty"`
	// Hash is set for hash-bucket columns.
	Hash *Hash `json:"hash,omitempty"`
	// Derive is the recipe the encoder runs (encoded columns only).
	Derive *Derive `json:"derive,omitempty"`
}

// Categorical is the vocabulary of a coded column.
type Categorical struct {
	// Codes lists every code in order: 0, 1, 2, … with no gaps.
	Codes []Code `json:"codes"`
	// NullCode is the code of a null input.
	NullCode *int `json:"null_code"`
	// OOVCode is the code of a value outside the vocabulary.
	OOVCode *int `json:"oov_code"`
	// Lookup is how many leading codes are matched against input values by
	// the "lookup" recipe; the codes after them are reserved for null and
	// out-of-vocabulary. Absent means all codes.
	Lookup *int `json:"lookup,omitempty"`
}

// LookupCount returns how many leading codes are input values.
func (c *Categorical) LookupCount() int {
	if c.Lookup == nil {
		return len(c.Codes)
	}
	return *c.Lookup
}

// Code is one vocabulary entry.
type Code struct {
	Code  int    `json:"code"`
	Label string `json:"label"`
}

// Hash describes a hash-bucket column.
type Hash struct {
	// Algorithm names an entry of the document's hash_algorithms.
	Algorithm string `json:"algorithm"`
	// Capacity is the number of buckets; values are in [0, Capacity).
	Capacity int `json:"capacity"`
	// Input says in words what is hashed; Derive.Input says it as a recipe.
	Input string `json:"input"`
}

// Derive is the encoder's recipe for one encoded column.
type Derive struct {
	// Fn is one of passthrough, lookup, bucket, hash, flag, value,
	// path_sensitivity.
	Fn    string `json:"fn"`
	Input Input  `json:"input"`
	// Rules and DefaultCode drive the "bucket" recipe.
	Rules       []Rule `json:"rules,omitempty"`
	DefaultCode *int   `json:"default_code,omitempty"`
	// NullValue replaces a null input in the "value" recipe.
	NullValue *int64 `json:"null_value,omitempty"`
}

// Input names what a recipe reads. Exactly one form is set.
type Input struct {
	// Column is a raw column, read as is.
	Column string `json:"column,omitempty"`
	// Derived is one of the encoder's derived values (see KnownDerived).
	Derived string `json:"derived,omitempty"`
	// Measure applies a function to Column: byte_length, list_length,
	// shannon_entropy, gzip_ratio, basename, dirname, path_components.
	Measure string `json:"measure,omitempty"`
	// Components is the component count of the path_components measure.
	Components int `json:"components,omitempty"`
	// Coalesce is the first non-null of these raw columns.
	Coalesce []string `json:"coalesce,omitempty"`
	// Difference is the first raw column minus the second.
	Difference []string `json:"difference,omitempty"`
	// Equal and NotEqual compare two raw columns (null on either side is false).
	Equal    []string `json:"equal,omitempty"`
	NotEqual []string `json:"not_equal,omitempty"`
	// EqualValue compares a raw column with a constant (null is false).
	EqualValue *ColumnValue `json:"equal_value,omitempty"`
	// Predicate is a named multi-column predicate: setuid_exec,
	// cap_count_change.
	Predicate string `json:"predicate,omitempty"`
	// Const is a constant boolean.
	Const *bool `json:"const,omitempty"`
}

// ColumnValue is a raw column and a constant to compare it with.
type ColumnValue struct {
	Column string  `json:"column"`
	Value  float64 `json:"value"`
}

// Rule is one bucket rule; see the package documentation for matching.
type Rule struct {
	Code   int       `json:"code"`
	Equals []float64 `json:"equals,omitempty"`
	Min    *float64  `json:"min,omitempty"`
	Below  *float64  `json:"below,omitempty"`
}

// Matches reports whether v falls in the rule.
func (r *Rule) Matches(v float64) bool {
	if len(r.Equals) > 0 {
		for _, e := range r.Equals {
			if v == e {
				return true
			}
		}
		return false
	}
	if r.Min != nil && v < *r.Min {
		return false
	}
	if r.Below != nil && v >= *r.Below {
		return false
	}
	return true
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
// "1.1"). The result is shared: do not modify it.
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
	var d Definitions
	if err := dec.Decode(&d); err != nil {
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

// Major returns the major part of the schema version.
func (d *Definitions) Major() int {
	major, _, _ := strings.Cut(d.SchemaVersion, ".")
	n, _ := strconv.Atoi(major)
	return n
}

// Quirk reports whether the named quirk is active in this version.
func (d *Definitions) Quirk(name string) bool {
	for _, q := range d.Quirks {
		if q.Name == name {
			return q.Active
		}
	}
	return false
}

// ArrowType returns the Arrow type a column type name stands for.
func ArrowType(name string) (arrow.DataType, error) {
	switch name {
	case "utf8":
		return arrow.BinaryTypes.String, nil
	case "bool":
		return arrow.FixedWidthTypes.Boolean, nil
	case "uint8":
		return arrow.PrimitiveTypes.Uint8, nil
	case "uint16":
		return arrow.PrimitiveTypes.Uint16, nil
	case "uint32":
		return arrow.PrimitiveTypes.Uint32, nil
	case "uint64":
		return arrow.PrimitiveTypes.Uint64, nil
	case "int32":
		return arrow.PrimitiveTypes.Int32, nil
	case "int64":
		return arrow.PrimitiveTypes.Int64, nil
	case "timestamp[ns,UTC]":
		return &arrow.TimestampType{Unit: arrow.Nanosecond, TimeZone: "UTC"}, nil
	case "list<utf8>":
		return arrow.ListOf(arrow.BinaryTypes.String), nil
	}
	return nil, fmt.Errorf("unknown type %q", name)
}

// maxCode returns the largest value an integer type name can hold, or -1.
func maxCode(typ string) int64 {
	switch typ {
	case "uint8":
		return 1<<8 - 1
	case "uint16":
		return 1<<16 - 1
	case "uint32":
		return 1<<32 - 1
	case "int32":
		return 1<<31 - 1
	case "uint64", "int64":
		return 1<<63 - 1
	}
	return -1
}
