package tetraparse

import (
	"errors"
	"path/filepath"
	"time"
	"unsafe"

	"github.com/apache/arrow-go/v18/arrow"
)

// Builder builds raw rows one line or one decoded event at a time, for
// services that receive events one by one. It applies the Parser's rules
// with the Parser's code: the rows and Stats it produces for a sequence of
// lines are exactly those Parser.Records produces for the same lines.
//
// Pending rows leave the Builder as a record batch (Flush) or, without
// Arrow, through the Rows view (for the encoder's per-event path), after
// which Reset drops them. Due reports when a batch is complete by the
// Parser's rules: Config.BatchSize rows, or the oldest pending row older
// than Config.MaxDelay. A caller that reads a stream calls Flush before
// it waits for input, so that no row waits for the next line.
//
// A Builder is not safe for concurrent use. Close returns its counters to
// the Parser (Parser.Stats) and its buffers to the Parser's pool.
type Builder struct {
	s     *stream
	name  string    // base name, for _source_file
	lines int64     // lines added, for _source_line
	since time.Time // when the first pending row was added
}

// NewBuilder returns a Builder whose rows name their source name (its
// base name, as in Records) in the _source_file column and number lines
// from 1 in _source_line.
func (p *Parser) NewBuilder(name string) (*Builder, error) {
	s, err := p.getStream()
	if err != nil {
		return nil, err
	}
	return &Builder{s: s, name: filepath.Base(name)}, nil
}

// AddLine processes one line of Tetragon's JSON export (without its line
// terminator) as Parser.Records does, and reports whether it became a
// row. A line that did not is counted in Stats (blank, dropped by a rule,
// or an error, which Config.OnLineError also sees).
func (b *Builder) AddLine(line []byte) bool {
	before := b.s.rows.rows
	b.lines++
	if m := b.s.p.cfg.MaxLineBytes; m > 0 && len(line) > m {
		b.s.longLine(b.name, b.lines, int64(len(line)))
		return false
	}
	b.s.line(line, b.name, b.lines)
	return b.added(before)
}

// AddEvent processes a line that Decode has decoded, taking Decode's two
// results (b.AddEvent(tetraparse.Decode(line))): the event, or the error
// for a line Decode rejected. The row and the counters are those AddLine
// gives for the same line, without parsing it again: the kp_* columns of
// a kprobe come from the parse tree Decode keeps in the event.
//
// An Event not made by Decode has no parse tree: its kp_* columns are null
// and it counts in Stats.ExtractionFailures. An error that is not a
// *DecodeError, or a nil event without an error, counts as a JSON error.
// Config.MaxLineBytes does not apply: the caller has decoded the line.
// AddEvent does not keep ev.
func (b *Builder) AddEvent(ev *Event, err error) bool {
	s := b.s
	before := s.rows.rows
	b.lines++
	st := &s.stats
	st.LinesRead++
	var de *DecodeError
	switch {
	case err == nil && ev != nil:
		s.keep(ev, ev.src, nil, stageNone, b.name, b.lines)
	case errors.As(err, &de) && de.blank:
		st.Blank++
	case de != nil && de.Err == ErrStructure && de.ev != nil:
		s.keep(de.ev, de.ev.src, de, de.stage, b.name, b.lines)
	default:
		if err == nil {
			err = errNoEvent
		}
		st.JSONErrors++
		s.report(b.name, b.lines, err)
	}
	return b.added(before)
}

var errNoEvent = errors.New("tetraparse: no event and no error")

// added notes the time of the first pending row, for Due.
func (b *Builder) added(before int) bool {
	kept := b.s.rows.rows > before
	if kept && before == 0 && b.s.p.cfg.MaxDelay > 0 {
		b.since = time.Now()
	}
	return kept
}

// Len returns the number of pending rows.
func (b *Builder) Len() int { return b.s.rows.rows }

// Due reports whether the pending rows make a batch by the Parser's
// rules: Config.BatchSize rows, a column holding 1 GiB of strings, or a
// first pending row added Config.MaxDelay ago or more.
func (b *Builder) Due() bool {
	r := b.s.rows
	if r.rows == 0 {
		return false
	}
	if r.rows >= b.s.p.cfg.BatchSize || r.big {
		return true
	}
	d := b.s.p.cfg.MaxDelay
	return d > 0 && time.Since(b.since) >= d
}

// Flush returns the pending rows as a record batch in the Parser's schema
// and empties the Builder; it returns nil when no row is pending. The
// caller owns the batch and must Release it.
func (b *Builder) Flush() arrow.RecordBatch { return b.s.rows.flush() }

// Rows returns a read-only view of the pending rows. It stays valid until
// the Builder next changes (Add*, Flush, Reset, Close).
func (b *Builder) Rows() Rows { return Rows{b.s.rows} }

// Reset drops the pending rows, keeping their buffers for the next ones:
// after the rows have been read through Rows.
func (b *Builder) Reset() { b.s.rows.discard() }

// Stats returns the counters of the lines added so far.
func (b *Builder) Stats() Stats {
	st := b.s.stats.clone()
	st.Selection = b.s.p.sel.text
	return st
}

// Close drops pending rows, adds the Builder's counters to the Parser's
// and returns its buffers to the Parser. The Builder must not be used
// afterwards; Close may be called again.
func (b *Builder) Close() {
	if b.s == nil {
		return
	}
	b.s.p.putStream(b.s)
	b.s = nil
}

// Rows is a read-only view of a Builder's pending rows, column by column
// in the Parser's schema (Parser.Schema), without building Arrow arrays:
// what an encoder that takes one event at a time reads. Its values,
// strings included, view the Builder's buffers and are valid until the
// Builder next changes.
type Rows struct{ b *rowBuilder }

// Len returns the number of rows.
func (r Rows) Len() int { return r.b.rows }

// Schema returns the schema of the rows (the Parser's).
func (r Rows) Schema() *arrow.Schema { return r.b.schema }

// Column returns column i of Schema.
func (r Rows) Column(i int) RowsColumn { return RowsColumn{r.b.cols[r.b.out[i]]} }

// RowsColumn is one column of a Rows view. Its accessors take a row index
// in [0, Rows.Len()) and read the value as the column's Arrow type holds
// it; a null row reads as the zero value.
type RowsColumn struct{ c *colBuf }

// Type returns the column's Arrow type.
func (c RowsColumn) Type() arrow.DataType { return c.c.typ }

// IsNull reports whether row i is null.
func (c RowsColumn) IsNull(i int) bool { return c.c.valid[i>>3]&(1<<(i&7)) == 0 }

// Str returns row i of a utf8 column, viewing the Builder's buffer.
func (c RowsColumn) Str(i int) string {
	cb := c.c
	if cb.id != arrow.STRING {
		return ""
	}
	b := cb.str[cb.offs[i]:cb.offs[i+1]]
	if len(b) == 0 {
		return ""
	}
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// Int returns row i of a signed or 32-bit integer column (int32, uint32,
// int64, or a timestamp's int64).
func (c RowsColumn) Int(i int) int64 {
	switch cb := c.c; cb.id {
	case arrow.INT64, arrow.TIMESTAMP:
		return cb.i64[i]
	case arrow.INT32:
		return int64(cb.i32[i])
	case arrow.UINT32:
		return int64(cb.u32[i])
	}
	return 0
}

// Uint returns row i of a uint64 column.
func (c RowsColumn) Uint(i int) uint64 {
	if cb := c.c; cb.id == arrow.UINT64 {
		return cb.u64[i]
	}
	return 0
}

// Bool returns row i of a boolean column.
func (c RowsColumn) Bool(i int) bool {
	if cb := c.c; cb.id == arrow.BOOL {
		return cb.bits[i>>3]&(1<<(i&7)) != 0
	}
	return false
}

// ListLen returns the number of elements of row i of a list column.
func (c RowsColumn) ListLen(i int) int {
	if cb := c.c; cb.id == arrow.LIST {
		return int(cb.offs[i+1] - cb.offs[i])
	}
	return 0
}
