package encode

import (
	"fmt"
	"math"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// EncodeRows encodes the rows of a tetraparse.Rows view, a Builder's
// pending rows, into Features, one per row: dst[:rows.Len()], reusing the
// elements of dst and growing it when it is too short. The values are
// those Encode gives for a batch of the same rows (with
// WithIncrementalLineage every row is added to the graph before the first
// is looked up, as for a batch), and the per-process state and counters
// carry over between EncodeRows and Encode calls alike.
//
// No Arrow array is built on either side, so an event costs no more than
// its share of the work: this is the path for events taken one at a time
// (see Live). A view lacking a column RawColumns names, or holding it with
// another type, is rejected with ErrColumn before any state changes.
func (e *Encoder) EncodeRows(rows tetraparse.Rows, dst []Features) ([]Features, error) {
	if err := e.bindRows(rows); err != nil {
		return dst[:0], err
	}
	e.startRows(rows.Len())
	if e.opts.incremental {
		e.registerRows()
	}
	dst = growFeatures(dst, e.n)
	for i := range dst {
		dst[i].reset(e.lay, 0)
	}
	e.encodeRows(dst)
	return dst, nil
}

// bindRows points the raw inputs at the view's columns, checking names and
// types first. The column positions are computed once per schema.
func (e *Encoder) bindRows(rows tetraparse.Rows) error {
	sc := rows.Schema()
	if sc != e.rowsSchema {
		idx := make([]int, len(e.inputOrder))
		for k, ri := range e.inputOrder {
			f := sc.FieldIndices(ri.name)
			if len(f) != 1 {
				return fmt.Errorf("%w %q is missing", ErrColumn, ri.name)
			}
			if t := sc.Field(f[0]).Type; !arrow.TypeEqual(t, ri.typ) {
				return fmt.Errorf("%w %q has type %s, the definitions say %s", ErrColumn, ri.name, t, ri.typ)
			}
			idx[k] = f[0]
		}
		e.rowsSchema, e.rowsIdx = sc, idx
	}
	for k, ri := range e.inputOrder {
		ri.col = rows.Column(e.rowsIdx[k])
	}
	return nil
}

// startRows starts a batch of n rows read from the bound view.
func (e *Encoder) startRows(n int) {
	e.n, e.fromRows = n, true
	e.gen++
}

// lineageVecs returns the inputs the graph reads (lineage.Columns), loaded.
func (e *Encoder) lineageVecs() (execID, procParent, parent, binary, parentBinary *vec) {
	in := &e.lineageIn
	return e.get(in[0]), e.get(in[1]), e.get(in[2]), e.get(in[3]), e.get(in[4])
}

func nullString(v *vec, i int) lineage.NullString {
	return lineage.NullString{String: v.s[i], Valid: !v.isNull(i)}
}

// registerRows adds the current rows to the graph, as AddBatch does.
func (e *Encoder) registerRows() {
	id, pp, p, bin, _ := e.lineageVecs()
	for i := range e.n {
		e.g.AddNullable(nullString(id, i), nullString(pp, i), nullString(p, i), nullString(bin, i))
	}
}

// encodeRows computes the current rows into dst, which reset has sized.
func (e *Encoder) encodeRows(dst []Features) { e.encodeRowsFrom(dst, false) }

// encodeRowsRegistering is encodeRows with each row added to the graph
// just before it is looked up, and the per-process times aged after each
// row: every row is encoded as Live encodes a single event.
func (e *Encoder) encodeRowsRegistering(dst []Features) {
	e.ageEachRow = true
	defer func() { e.ageEachRow = false }()
	e.encodeRowsFrom(dst, true)
}

func (e *Encoder) encodeRowsFrom(dst []Features, register bool) {
	// The graph's answers, as ForBatch gives them.
	id, pp, p, bin, pbin := e.lineageVecs()
	e.lin = grown(e.lin, e.n)
	for i := range e.n {
		if register {
			e.g.AddNullable(nullString(id, i), nullString(pp, i), nullString(p, i), nullString(bin, i))
		}
		e.lin[i] = lineage.BatchRow{
			Row:            e.g.ForNullable(nullString(id, i), nullString(pp, i), nullString(p, i)),
			ParentBasename: e.g.ParentBasename(pp.s[i], p.s[i], pbin.s[i]),
		}
	}
	e.undo, e.added, e.pending = e.undo[:0], e.added[:0], Stats{}
	e.derive(e.lin, e.n)
	if len(e.codes) == 0 {
		e.codes = append(e.codes, nil)
	}
	types := e.lay.types
	for k, pl := range e.plans {
		t := types[k]
		in := pl.input()
		if pl.measure != nil {
			in = pl.measure(in, &pl.mvec)
		}
		if pl.code != nil {
			codes := grown(e.codes[0], e.n)
			e.codes[0] = codes
			pl.code(in, codes)
			for i := range dst {
				dst[i].num[k] = narrow(t, codes[i])
			}
			continue
		}
		for i := range dst {
			f := &dst[i]
			if in.isNull(i) {
				f.null[k] = true
				continue
			}
			switch in.kind {
			case kindStr:
				f.str[k] = in.s[i]
			case kindInt:
				f.num[k] = narrow(t, in.i[i])
			case kindUint:
				f.num[k] = narrow(t, int64(in.u[i]))
			case kindBool:
				f.num[k] = 0
				if in.b[i] {
					f.num[k] = 1
				}
			}
		}
	}
	for i := range dst {
		dst[i].finish()
	}
	e.pending.Rows = int64(e.n)
	e.stats.add(&e.pending)
	e.age()
}

// growFeatures returns dst with length n, keeping its elements (and
// their buffers).
func growFeatures(dst []Features, n int) []Features {
	if cap(dst) < n {
		nd := make([]Features, n)
		copy(nd, dst[:cap(dst)])
		return nd
	}
	return dst[:n]
}

// loadRows materializes column c of the bound view into v, as load does
// for the same values in an Arrow array.
func (v *vec) loadRows(c tetraparse.RowsColumn, n int) {
	switch c.Type().ID() {
	case arrow.STRING:
		v.reset(kindStr, n)
		for i := range n {
			v.s[i] = c.Str(i)
		}
	case arrow.BOOL:
		v.reset(kindBool, n)
		for i := range n {
			v.b[i] = c.Bool(i)
		}
	case arrow.UINT64:
		v.reset(kindUint, n)
		for i := range n {
			u := c.Uint(i)
			v.u[i], v.i[i] = u, int64(min(u, math.MaxInt64))
		}
	case arrow.LIST:
		v.reset(kindInt, n)
		for i := range n {
			v.i[i] = int64(c.ListLen(i))
		}
	default: // the integers and timestamps rawKind reads as kindInt
		v.reset(kindInt, n)
		for i := range n {
			v.i[i] = c.Int(i)
		}
	}
	for i := range n {
		if c.IsNull(i) {
			v.nulls()[i] = true
			v.zero(i)
		}
	}
}
