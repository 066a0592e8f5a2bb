package schema

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
)

// MetadataVersionKey is the Arrow schema metadata key holding the schema
// version of a table built from these definitions.
const MetadataVersionKey = "tetrahids.schema_version"

// RawSchema returns the Arrow schema of the parser's raw table.
func (d *Definitions) RawSchema() *arrow.Schema { return d.arrowSchema(d.Raw.Columns) }

// EncodedSchema returns the Arrow schema of the encoded release table.
func (d *Definitions) EncodedSchema() *arrow.Schema { return d.arrowSchema(d.Encoded.Columns) }

func (d *Definitions) arrowSchema(cols []Column) *arrow.Schema {
	fields := make([]arrow.Field, len(cols))
	for i, c := range cols {
		t, _ := ArrowType(c.Type) // validated on load
		fields[i] = arrow.Field{Name: c.Name, Type: t, Nullable: c.Nullable}
	}
	md := arrow.NewMetadata([]string{MetadataVersionKey}, []string{d.SchemaVersion})
	return arrow.NewSchema(fields, &md)
}

// Column returns the encoded column with the given name.
func (d *Definitions) Column(name string) (*Column, error) {
	i, ok := d.encodedIndex[name]
	if !ok {
		return nil, fmt.Errorf("%w %q in encoded schema %s", ErrUnknownColumn, name, d.SchemaVersion)
	}
	return &d.Encoded.Columns[i], nil
}

// RawColumn returns the raw column with the given name.
func (d *Definitions) RawColumn(name string) (*Column, error) {
	i, ok := d.rawIndex[name]
	if !ok {
		return nil, fmt.Errorf("%w %q in raw schema %s", ErrUnknownColumn, name, d.SchemaVersion)
	}
	return &d.Raw.Columns[i], nil
}

// Label returns the label of a code of a categorical encoded column.
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

// Code returns the code of a label of a categorical encoded column.
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

func (d *Definitions) categorical(column string) (*Categorical, error) {
	c, err := d.Column(column)
	if err != nil {
		return nil, err
	}
	if c.Categorical == nil {
		return nil, fmt.Errorf("%w: %q", ErrNotCategorical, column)
	}
	return c.Categorical, nil
}
