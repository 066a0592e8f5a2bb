// Package schemadoc is the document model of a feature-definitions document
// (feature_definitions.json): the Go types encoding/json decodes it into.
//
// Package schema loads, validates and wraps a Document in an immutable
// schema.Definitions; the packages that run what a document describes
// (tetraparse's extraction table, encode's recipes and lookup tables,
// anonymize's token words) read the Document behind a Definitions with [Of].
// None of them may modify it: one Document is shared by every user of the
// embedded schema versions.
package schemadoc

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// of returns the Document behind a *schema.Definitions; package schema
// installs it with Bind when it initializes, before any Definitions exists.
var of func(defs any) *Document

// Bind installs the accessor [Of] uses. Package schema calls it once, in
// its init; a second call panics.
func Bind(f func(defs any) *Document) {
	if of != nil {
		panic("schemadoc: Bind called twice")
	}
	of = f
}

// Of returns the Document behind defs, a *schema.Definitions, or nil for
// a nil one. The Document is shared and must not be modified.
func Of(defs any) *Document { return of(defs) }

// Document is one feature-definitions document, field by field.
type Document struct {
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
	// Derived is one of the encoder's derived values (schema.KnownDerived).
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

// Rule is one bucket rule. Rules are tried in order and the first match
// wins; see Matches.
type Rule struct {
	Code   int       `json:"code"`
	Equals []float64 `json:"equals,omitempty"`
	Min    *float64  `json:"min,omitempty"`
	Below  *float64  `json:"below,omitempty"`
}

// Matches reports whether v falls in the rule: v equals one of Equals, or
// Min <= v < Below (a missing bound is unbounded).
func (r *Rule) Matches(v float64) bool { return matches(r.Equals, r.Min, r.Below, v) }

func matches(equals []float64, min, below *float64, v float64) bool {
	if len(equals) > 0 {
		for _, e := range equals {
			if v == e {
				return true
			}
		}
		return false
	}
	if min != nil && v < *min {
		return false
	}
	if below != nil && v >= *below {
		return false
	}
	return true
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

// MaxCode returns the largest value an integer type name can hold, or -1
// for a type that is not an integer.
func MaxCode(typ string) int64 {
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
