package schema

import (
	"fmt"
	"slices"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tetrahids/tetrahids/internal/schemadoc"
)

// MetadataVersionKey is the Arrow schema metadata key holding the schema
// version of a table built from these definitions.
const MetadataVersionKey = "tetrahids.schema_version"

// Column describes one column of the raw or the encoded table: its name,
// Arrow type, meaning and, for a coded column, its vocabulary or hash
// buckets. It is a small value that reads the immutable [Definitions] it
// came from; the slices its methods return are the caller's. The zero
// Column describes nothing: every method returns a zero value.
type Column struct{ c *schemadoc.Column }

// Name returns the column's name, such as "f_action_family".
func (c Column) Name() string {
	if c.c == nil {
		return ""
	}
	return c.c.Name
}

// TypeName returns the column's Arrow type as the document writes it:
// utf8, bool, uint8, uint16, uint32, uint64, int32, int64,
// timestamp[ns,UTC] or list<utf8>.
func (c Column) TypeName() string {
	if c.c == nil {
		return ""
	}
	return c.c.Type
}

// Type returns the column's Arrow type (nil for the zero Column).
func (c Column) Type() arrow.DataType {
	if c.c == nil {
		return nil
	}
	t, _ := schemadoc.ArrowType(c.c.Type) // validated on load
	return t
}

// Nullable reports whether the column may hold nulls.
func (c Column) Nullable() bool { return c.c != nil && c.c.Nullable }

// Group returns a raw column's group in the reference writer, "A" to "H";
// empty for an encoded column.
func (c Column) Group() string {
	if c.c == nil {
		return ""
	}
	return c.c.Group
}

// Tier returns an encoded column's tier: "identifier", "1" to "6",
// "builder" (the behaviour builder's f_* columns) or "side" (the side
// columns); empty for a raw column.
func (c Column) Tier() string {
	if c.c == nil {
		return ""
	}
	return c.c.Tier
}

// Meaning says in words what the column holds.
func (c Column) Meaning() string {
	if c.c == nil {
		return ""
	}
	return c.c.Meaning
}

// Derivation says in words how the column's value is computed.
func (c Column) Derivation() string {
	if c.c == nil {
		return ""
	}
	return c.c.Derivation
}

// Categorical reports whether the column's values are codes with labels
// (see Codes, NullCode and OOVCode).
func (c Column) Categorical() bool { return c.c != nil && c.c.Categorical != nil }

// Code is one entry of a categorical column's vocabulary.
type Code struct {
	// Code is the integer the column holds.
	Code int
	// Label is what the code stands for, such as "FILE_OPEN".
	Label string
}

// Codes returns the vocabulary of a categorical column, codes 0, 1, 2, …
// in order; nil for a column without one.
func (c Column) Codes() []Code {
	if !c.Categorical() {
		return nil
	}
	out := make([]Code, len(c.c.Categorical.Codes))
	for i, x := range c.c.Categorical.Codes {
		out[i] = Code{Code: x.Code, Label: x.Label}
	}
	return out
}

// NullCode returns the code a categorical column holds for a null input,
// and false for a column without a vocabulary.
func (c Column) NullCode() (int, bool) {
	if !c.Categorical() {
		return 0, false
	}
	return *c.c.Categorical.NullCode, true
}

// OOVCode returns the code a categorical column holds for a value outside
// its vocabulary, and false for a column without a vocabulary.
func (c Column) OOVCode() (int, bool) {
	if !c.Categorical() {
		return 0, false
	}
	return *c.c.Categorical.OOVCode, true
}

// Hash describes a hash-bucket column: values are buckets in
// [0, Capacity) of Algorithm over Input.
type Hash struct {
	// Algorithm names the hash, such as "blake2b-64-be";
	// Definitions.HashAlgorithm describes it.
	Algorithm string
	// Capacity is the number of buckets.
	Capacity int
	// Input says in words what is hashed, such as "basename of
	// proc_binary".
	Input string
}

// Hash returns the hash description of a hash-bucket column, and false for
// any other column.
func (c Column) Hash() (Hash, bool) {
	if c.c == nil || c.c.Hash == nil {
		return Hash{}, false
	}
	h := c.c.Hash
	return Hash{Algorithm: h.Algorithm, Capacity: h.Capacity, Input: h.Input}, true
}

// String returns the column's name and type, such as
// "f_action_family uint8".
func (c Column) String() string { return c.Name() + " " + c.TypeName() }

// RawSchema returns the Arrow schema of the parser's raw table.
func (d *Definitions) RawSchema() *arrow.Schema { return d.arrowSchema(d.doc.Raw.Columns) }

// EncodedSchema returns the Arrow schema of the encoded release table.
func (d *Definitions) EncodedSchema() *arrow.Schema { return d.arrowSchema(d.doc.Encoded.Columns) }

func (d *Definitions) arrowSchema(cols []schemadoc.Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		t, _ := schemadoc.ArrowType(c.Type) // validated on load
		fields[i] = arrow.Field{Name: c.Name, Type: t, Nullable: c.Nullable}
	}
	md := arrow.NewMetadata([]string{MetadataVersionKey}, []string{d.doc.SchemaVersion})
	return arrow.NewSchema(fields, &md)
}

// Columns returns every column of the encoded table, in table order.
func (d *Definitions) Columns() []Column { return columns(d.doc.Encoded.Columns) }

// RawColumns returns every column of the raw table, in table order.
func (d *Definitions) RawColumns() []Column { return columns(d.doc.Raw.Columns) }

func columns(cols []schemadoc.Column) []Column {
	out := make([]Column, len(cols))
	for i := range cols {
		out[i] = Column{&cols[i]}
	}
	return out
}

// Column returns the encoded column with the given name; an unknown name
// is an error wrapping [ErrUnknownColumn].
func (d *Definitions) Column(name string) (Column, error) {
	i, ok := d.encodedIndex[name]
	if !ok {
		return Column{}, fmt.Errorf("%w %q in encoded schema %s", ErrUnknownColumn, name, d.doc.SchemaVersion)
	}
	return Column{&d.doc.Encoded.Columns[i]}, nil
}

// RawColumn returns the raw column with the given name; an unknown name is
// an error wrapping [ErrUnknownColumn].
func (d *Definitions) RawColumn(name string) (Column, error) {
	i, ok := d.rawIndex[name]
	if !ok {
		return Column{}, fmt.Errorf("%w %q in raw schema %s", ErrUnknownColumn, name, d.doc.SchemaVersion)
	}
	return Column{&d.doc.Raw.Columns[i]}, nil
}

// Label returns the label of a code of a categorical encoded column. The
// error wraps [ErrUnknownColumn], [ErrNotCategorical] or [ErrUnknownCode].
func (d *Definitions) Label(column string, code int) (string, error) {
	c, err := d.categorical(column)
	if err != nil {
		return "", err
	}
	if code < 0 || code >= len(c.Codes) {
		return "", fmt.Errorf("%w %d in column %q (codes 0..%d)", ErrUnknownCode, code, column, len(c.Codes)-1)
	}
	return c.Codes[code].Label, nil
}

// Code returns the code of a label of a categorical encoded column. The
// error wraps [ErrUnknownColumn], [ErrNotCategorical] or [ErrUnknownLabel].
func (d *Definitions) Code(column, label string) (int, error) {
	if _, err := d.categorical(column); err != nil {
		return 0, err
	}
	code, ok := d.labelIndex[column][label]
	if !ok {
		return 0, fmt.Errorf("%w %q in column %q", ErrUnknownLabel, label, column)
	}
	return code, nil
}

func (d *Definitions) categorical(column string) (*schemadoc.Categorical, error) {
	c, err := d.Column(column)
	if err != nil {
		return nil, err
	}
	if c.c.Categorical == nil {
		return nil, fmt.Errorf("%w: %q", ErrNotCategorical, column)
	}
	return c.c.Categorical, nil
}

// KnownDerived returns the names of the derived values an encoded
// column's recipe may read (its input's "derived" field): the behaviour
// builder's per-row values, computed by the encoder. The slice is the
// caller's.
func KnownDerived() []string { return slices.Clone(knownDerivedNames) }
