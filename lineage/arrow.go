package lineage

import (
	"strings"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"

	"github.com/tetrahids/tetrahids/internal/pathx"
)

// Names of the raw parser columns the graph reads.
const (
	ColProcExecID       = "proc_exec_id"
	ColProcParentExecID = "proc_parent_exec_id"
	ColParentExecID     = "parent_exec_id"
	ColProcBinary       = "proc_binary"
	ColParentBinary     = "parent_binary"
)

// Columns returns the names of the raw columns AddBatch and ForBatch read.
func Columns() []string {
	return []string{ColProcExecID, ColProcParentExecID, ColParentExecID, ColProcBinary, ColParentBinary}
}

// stringColumn is what the graph needs from a string array; *array.String,
// *array.LargeString and *array.StringView all provide it.
type stringColumn interface {
	IsNull(i int) bool
	Value(i int) string
}

// column finds the string column called name in rec.
func column(rec arrow.RecordBatch, name string) (stringColumn, error) {
	idx := rec.Schema().FieldIndices(name)
	switch len(idx) {
	case 0:
		return nil, &ColumnError{Column: name, Err: ErrMissingColumn}
	case 1:
	default:
		return nil, &ColumnError{Column: name, Err: ErrAmbiguousColumn}
	}
	switch c := rec.Column(idx[0]).(type) {
	case *array.String:
		return c, nil
	case *array.LargeString:
		return c, nil
	case *array.StringView:
		return c, nil
	default:
		return nil, &ColumnError{Column: name, Type: c.DataType(), Err: ErrColumnType}
	}
}

// columns finds several string columns, failing on the first unusable one
// before anything is read, so that a bad batch changes nothing.
func columns(rec arrow.RecordBatch, names ...string) ([]stringColumn, error) {
	if rec == nil {
		return nil, ErrNilRecord
	}
	cols := make([]stringColumn, len(names))
	for k, name := range names {
		c, err := column(rec, name)
		if err != nil {
			return nil, err
		}
		cols[k] = c
	}
	return cols, nil
}

// value reads row i of c, null included.
func value(c stringColumn, i int) NullString {
	if c.IsNull(i) {
		return NullString{}
	}
	return Str(c.Value(i))
}

// AddBatch registers every row of a raw parser batch, in row order, as
// AddNullable does: Arrow nulls are nulls and empty strings are empty
// strings, exactly as the reference's to_pylist sees them. It reads the
// columns proc_exec_id, proc_parent_exec_id, parent_exec_id and
// proc_binary by name (utf8, large_utf8 or string_view; other columns are
// ignored) and returns a *ColumnError, having added nothing, when one is
// missing, duplicated or not a string column.
//
// The graph copies what it keeps, so rec may be released afterwards.
func (g *Graph) AddBatch(rec arrow.RecordBatch) error {
	cols, err := columns(rec, ColProcExecID, ColProcParentExecID, ColParentExecID, ColProcBinary)
	if err != nil {
		return err
	}
	eid, ppid, pid, bin := cols[0], cols[1], cols[2], cols[3]
	for i, n := 0, int(rec.NumRows()); i < n; i++ {
		g.AddNullable(value(eid, i), value(ppid, i), value(pid, i), value(bin, i))
	}
	return nil
}

// BatchRow is the lineage output for one row of a batch: the Row of
// ForNullable and the resolved parent basename of ParentBasename (the
// encoder's parent_binary_basename).
type BatchRow struct {
	Row
	ParentBasename string
}

// ForBatch returns the lineage output of every row of a raw parser batch,
// reading proc_exec_id, proc_parent_exec_id, parent_exec_id and
// parent_binary by name, with Arrow nulls honoured as ForNullable does.
// Column problems are reported as by AddBatch.
//
// ForBatch only queries the graph: in the reference's two-pass use, call
// AddBatch on every batch (seed splits first) before the first ForBatch.
// The returned strings do not alias rec.
func (g *Graph) ForBatch(rec arrow.RecordBatch) ([]BatchRow, error) {
	cols, err := columns(rec, ColProcExecID, ColProcParentExecID, ColParentExecID, ColParentBinary)
	if err != nil {
		return nil, err
	}
	eid, ppid, pid, pbin := cols[0], cols[1], cols[2], cols[3]
	out := make([]BatchRow, rec.NumRows())
	var last struct{ e, pp, p, bin NullString }
	for i := range out {
		e, pp, p, bin := value(eid, i), value(ppid, i), value(pid, i), value(pbin, i)
		// A process's events come in runs: a row whose inputs repeat the
		// row before's has its answer.
		if i > 0 && e == last.e && pp == last.pp && p == last.p && bin == last.bin {
			out[i] = out[i-1]
			continue
		}
		last.e, last.pp, last.p, last.bin = e, pp, p, bin
		out[i].Row = g.ForNullable(e, pp, p)
		out[i].ParentBasename = g.parentBasename(pp.String, p.String, pbin, i)
	}
	return out, nil
}

// parentBasename is ParentBasename for a batch row; a basename taken from
// the row's parent_binary is cloned, since it would otherwise point into
// rec's buffers.
func (g *Graph) parentBasename(ppid, pid string, pbin stringColumn, i int) string {
	id := ppid
	if id == "" {
		id = pid
	}
	if id != "" {
		if k, ok := g.registered(id); ok {
			return g.bases[g.nodes[k].base]
		}
	}
	if pbin.IsNull(i) {
		return ""
	}
	return strings.Clone(pathx.Base(pbin.Value(i)))
}
