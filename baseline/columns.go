package baseline

import (
	"fmt"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
)

// stringCol reads a utf8 or large_utf8 column.
type stringCol struct {
	s  *array.String
	ls *array.LargeString
}

// value returns row i, "" for a null.
func (c stringCol) value(i int) string {
	if c.s != nil {
		if c.s.IsNull(i) {
			return ""
		}
		return c.s.Value(i)
	}
	if c.ls.IsNull(i) {
		return ""
	}
	return c.ls.Value(i)
}

// token returns row i as a token: a null is NullToken.
func (c stringCol) token(i int) string {
	if c.s != nil && c.s.IsNull(i) || c.ls != nil && c.ls.IsNull(i) {
		return NullToken
	}
	return c.value(i)
}

// column finds the single column called name.
func column(rec arrow.RecordBatch, name string) (arrow.Array, error) {
	if rec == nil {
		return nil, fmt.Errorf("%w: nil record", ErrColumn)
	}
	idx := rec.Schema().FieldIndices(name)
	switch len(idx) {
	case 0:
		return nil, fmt.Errorf("%w: no %s column", ErrColumn, name)
	case 1:
		return rec.Column(idx[0]), nil
	}
	return nil, fmt.Errorf("%w: %d %s columns", ErrColumn, len(idx), name)
}

func stringColumn(rec arrow.RecordBatch, name string) (stringCol, error) {
	col, err := column(rec, name)
	if err != nil {
		return stringCol{}, err
	}
	switch a := col.(type) {
	case *array.String:
		return stringCol{s: a}, nil
	case *array.LargeString:
		return stringCol{ls: a}, nil
	}
	return stringCol{}, fmt.Errorf("%w: %s is %s, want utf8", ErrColumn, name, col.DataType())
}

func ngramColumns(rec arrow.RecordBatch) (pids, tokens stringCol, err error) {
	if pids, err = stringColumn(rec, ColProcExecID); err != nil {
		return
	}
	tokens, err = stringColumn(rec, ColToken)
	return
}

// FeatureMatrix appends to dst[:0] the named columns of rec as a
// row-major float32 matrix (row i is dst[i*len(columns):(i+1)*len(columns)]),
// as the reference casts its feature table to float32. Columns may be any
// integer, floating point or boolean type without nulls; anything else
// gives an error wrapping [ErrColumn].
func FeatureMatrix(dst []float32, rec arrow.RecordBatch, columns []string) ([]float32, error) {
	n, f := int(rec.NumRows()), len(columns)
	if cap(dst) < n*f {
		dst = make([]float32, n*f)
	}
	dst = dst[:n*f]
	for j, name := range columns {
		col, err := column(rec, name)
		if err != nil {
			return dst[:0], err
		}
		if col.NullN() > 0 {
			return dst[:0], fmt.Errorf("%w: %s has %d nulls", ErrColumn, name, col.NullN())
		}
		if err := fillColumn(dst, j, f, col); err != nil {
			return dst[:0], fmt.Errorf("%w: %s: %w", ErrColumn, name, err)
		}
	}
	return dst, nil
}

func fillColumn(dst []float32, j, stride int, col arrow.Array) error {
	switch a := col.(type) {
	case *array.Uint8:
		fill(dst, j, stride, a.Values())
	case *array.Uint16:
		fill(dst, j, stride, a.Values())
	case *array.Uint32:
		fill(dst, j, stride, a.Values())
	case *array.Uint64:
		fill(dst, j, stride, a.Values())
	case *array.Int8:
		fill(dst, j, stride, a.Values())
	case *array.Int16:
		fill(dst, j, stride, a.Values())
	case *array.Int32:
		fill(dst, j, stride, a.Values())
	case *array.Int64:
		fill(dst, j, stride, a.Values())
	case *array.Float32:
		fill(dst, j, stride, a.Values())
	case *array.Float64:
		fill(dst, j, stride, a.Values())
	case *array.Boolean:
		for i := range a.Len() {
			if a.Value(i) {
				dst[i*stride+j] = 1
			} else {
				dst[i*stride+j] = 0
			}
		}
	default:
		return fmt.Errorf("type %s is not numeric", col.DataType())
	}
	return nil
}

func fill[T uint8 | uint16 | uint32 | uint64 | int8 | int16 | int32 | int64 | float32 | float64](dst []float32, j, stride int, v []T) {
	for i, x := range v {
		dst[i*stride+j] = float32(x)
	}
}
