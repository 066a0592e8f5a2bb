package lineage

import (
	"errors"
	"testing"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/memory"
)

// col is one test column; a nil element is an Arrow null.
type col struct {
	name string
	typ  arrow.DataType // arrow.BinaryTypes.String when nil
	vals []*string
}

func sp(s string) *string { return &s }

// makeRecord builds a record batch from columns of equal length.
func makeRecord(t testing.TB, mem memory.Allocator, cols ...col) arrow.RecordBatch {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for k, c := range cols {
		typ := c.typ
		if typ == nil {
			typ = arrow.BinaryTypes.String
		}
		fields[k] = arrow.Field{Name: c.name, Type: typ, Nullable: true}
		b := array.NewBuilder(mem, typ)
		for _, v := range c.vals {
			switch {
			case v == nil:
				b.AppendNull()
			default:
				switch bb := b.(type) {
				case *array.StringBuilder:
					bb.Append(*v)
				case *array.LargeStringBuilder:
					bb.Append(*v)
				case *array.StringViewBuilder:
					bb.Append(*v)
				default:
					t.Fatalf("unsupported builder %T", b)
				}
			}
		}
		arrs[k] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, int64(len(cols[0].vals)))
	for _, a := range arrs {
		a.Release()
	}
	return rec
}

// scribbler overwrites memory when Arrow frees it, so that any string the
// graph kept pointing into an Arrow buffer would visibly change.
type scribbler struct{ memory.Allocator }

func (s scribbler) Free(b []byte) {
	for i := range b {
		b[i] = 'X'
	}
	s.Allocator.Free(b)
}

func (s scribbler) Reallocate(size int, b []byte) []byte {
	nb := s.Allocate(size)
	copy(nb, b)
	s.Free(b)
	return nb
}

func TestAddBatchNullsAndTypes(t *testing.T) {
	for _, typ := range []arrow.DataType{arrow.BinaryTypes.String, arrow.BinaryTypes.LargeString, arrow.BinaryTypes.StringView} {
		t.Run(typ.String(), func(t *testing.T) {
			mem := memory.NewCheckedAllocator(scribbler{memory.NewGoAllocator()})
			defer mem.AssertSize(t, 0)
			rec := makeRecord(t, mem,
				col{ColProcExecID, typ, []*string{sp("p"), sp("c"), sp("d"), nil, sp(""), sp("e"), sp("f")}},
				col{ColProcParentExecID, typ, []*string{nil, sp("p"), nil, sp("p"), sp("p"), sp(""), sp("")}},
				col{ColParentExecID, typ, []*string{nil, sp("p"), sp("p"), nil, nil, nil, sp("")}},
				col{ColProcBinary, typ, []*string{sp("/sbin/p"), sp("/bin/c"), nil, sp("/x"), sp("/x"), sp("/bin/e"), sp("/bin/f")}},
				col{ColParentBinary, typ, []*string{nil, sp("/bin/rowp"), sp("/bin/rowp"), nil, nil, sp("/bin/rowe"), nil}},
				col{"unrelated", typ, []*string{nil, nil, nil, nil, nil, nil, nil}},
			)
			g := New()
			if err := g.AddBatch(rec); err != nil {
				t.Fatal(err)
			}
			rows, err := g.ForBatch(rec)
			if err != nil {
				t.Fatal(err)
			}
			rec.Release()
			if s := g.Stats(); s.Processes != 5 || s.SkippedRows != 2 {
				t.Errorf("stats %+v", s)
			}
			want := []BatchRow{
				{Row{Lineage{0, "p", "p", false}, false, true}, ""},
				{Row{Lineage{1, "p", "p", false}, false, false}, "p"},
				{Row{Lineage{1, "p", "p", false}, true, false}, "p"},
				{Row{Lineage{}, false, false}, "p"},
				{Row{Lineage{}, false, false}, "p"},
				{Row{Lineage{0, "e", "e", false}, false, false}, "rowe"}, // "" then null: resolved None, not missing
				{Row{Lineage{0, "f", "f", false}, false, true}, ""},      // "" then "": resolved "" is missing
			}
			for i := range want {
				if rows[i] != want[i] {
					t.Errorf("row %d: %+v, want %+v", i, rows[i], want[i])
				}
			}
			// The graph and the rows survive the record's memory being
			// scribbled over.
			if l := g.Lookup("c"); l != (Lineage{1, "p", "p", false}) {
				t.Errorf("after release: %+v", l)
			}
		})
	}
}

func TestAddBatchColumnErrors(t *testing.T) {
	mem := memory.NewCheckedAllocator(memory.NewGoAllocator())
	defer mem.AssertSize(t, 0)
	v := []*string{sp("x")}
	full := []col{{ColProcExecID, nil, v}, {ColProcParentExecID, nil, v}, {ColParentExecID, nil, v}, {ColProcBinary, nil, v}, {ColParentBinary, nil, v}}
	intCol := func(name string) col { return col{name, arrow.PrimitiveTypes.Int64, nil} }

	cases := []struct {
		name   string
		cols   []col
		column string
		want   error
	}{
		{"missing proc_binary", full[:3], ColProcBinary, ErrMissingColumn},
		{"duplicate column", append(append([]col{}, full...), col{ColParentExecID, nil, v}), ColParentExecID, ErrAmbiguousColumn},
		{"binary typed column", []col{full[0], full[1], {ColParentExecID, arrow.BinaryTypes.Binary, nil}, full[3], full[4]}, ColParentExecID, ErrColumnType},
		{"int column", []col{intCol(ColProcExecID), full[1], full[2], full[3], full[4]}, ColProcExecID, ErrColumnType},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			rec := buildAny(t, mem, c.cols)
			defer rec.Release()
			g := New()
			err := g.AddBatch(rec)
			var ce *ColumnError
			if !errors.Is(err, c.want) || !errors.As(err, &ce) || ce.Column != c.column {
				t.Fatalf("AddBatch: %v, want %v on %s", err, c.want, c.column)
			}
			if g.Len() != 0 {
				t.Error("a rejected batch added rows")
			}
			if err.Error() == "" {
				t.Error("empty message")
			}
		})
	}
	// ForBatch needs parent_binary, not proc_binary.
	rec := buildAny(t, mem, full[:4])
	defer rec.Release()
	if _, err := New().ForBatch(rec); !errors.Is(err, ErrMissingColumn) {
		t.Errorf("ForBatch without parent_binary: %v", err)
	}
	if err := New().AddBatch(nil); !errors.Is(err, ErrNilRecord) {
		t.Errorf("AddBatch(nil): %v", err)
	}
	if _, err := New().ForBatch(nil); !errors.Is(err, ErrNilRecord) {
		t.Errorf("ForBatch(nil): %v", err)
	}
}

// buildAny is makeRecord that also accepts non-string columns, built as
// a single null (or empty when vals is nil).
func buildAny(t *testing.T, mem memory.Allocator, cols []col) arrow.RecordBatch {
	t.Helper()
	fields := make([]arrow.Field, len(cols))
	arrs := make([]arrow.Array, len(cols))
	for k, c := range cols {
		typ := c.typ
		if typ == nil {
			typ = arrow.BinaryTypes.String
		}
		fields[k] = arrow.Field{Name: c.name, Type: typ, Nullable: true}
		b := array.NewBuilder(mem, typ)
		b.AppendNull()
		arrs[k] = b.NewArray()
		b.Release()
	}
	rec := array.NewRecordBatch(arrow.NewSchema(fields, nil), arrs, 1)
	for _, a := range arrs {
		a.Release()
	}
	return rec
}
