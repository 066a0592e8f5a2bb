package tetraparse

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tetrahids/tetrahids/internal/tstime"
	"github.com/tetrahids/tetrahids/schema"
)

// Config configures a Parser. The zero Config parses with the reference's
// rules and schema 1.1: any non-host PID namespace, host events dropped,
// events without a PID-namespace inum dropped, events without a process
// block dropped, no sentinel windows, lines of at most
// DefaultMaxLineBytes.
type Config struct {
	// Definitions gives the raw schema and the kprobe extraction table;
	// nil means schema.Default().
	Definitions *schema.Definitions
	// TargetInums are the PID-namespace inums to keep, as in the
	// reference's container filter; empty keeps every non-host namespace.
	// It cannot be combined with Select or KeepWithoutNamespace.
	TargetInums []uint64
	// Select, when not empty, replaces TargetInums: an event is kept when
	// any of these selectors matches its process (see Selector; within a
	// selector every field set must match). Events no selector matches are
	// dropped as DropNotSelected; Stats.SelectedBy counts the events each
	// selector took. The host and inum rules below apply first.
	Select []Selector
	// KeepHostNamespace keeps events whose PID namespace is the host's
	// (the reference drops them).
	KeepHostNamespace bool
	// KeepWithoutNamespace keeps events whose process carries no
	// PID-namespace inum (the reference drops them as
	// drop_container_filter_no_inum). Tetragon writes namespaces only when
	// it runs with process namespaces enabled, so without them every event
	// looks like this, and host and container events cannot be told apart:
	// use Select on pod or container fields to pick a Kubernetes target.
	// The rows of such events are built as the reference would have built
	// them had its filter let them through (their namespace columns are
	// null, is_host false); Stats.KeptWithoutNamespace counts them.
	KeepWithoutNamespace bool
	// KeepWithoutProcess keeps events without a process block (the
	// reference drops them); such events bypass the container filter and
	// the selectors.
	KeepWithoutProcess bool
	// Sentinels are time windows whose events are dropped; both bounds are
	// inclusive, as in the reference.
	Sentinels []Window
	// NodeName is written when an event has no node_name.
	NodeName string
	// Columns, when not empty, restricts the batches to these raw columns,
	// in the raw schema's order. Every line is still decoded, filtered and
	// counted; only the Arrow columns nobody reads are not built. A consumer
	// names what it reads, such as (*encode.Encoder).RawColumns (which
	// includes what the lineage graph reads). TimeOrder adds event_time and
	// _source_line, which it sorts by. An unknown name is an error from New.
	Columns []string
	// BatchSize is the number of rows per record batch (default 65,536).
	BatchSize int
	// MaxDelay bounds how long a row of a stream waits in a partial batch
	// (default 50 ms; negative: no bound). Records on a reader that can
	// block (a pipe, a socket) also emits a partial batch whenever the
	// reader has nothing to deliver; Builder.Due applies the bound; Files,
	// and Records on a regular file or an in-memory reader, keep whole
	// batches.
	MaxDelay time.Duration
	// MaxLineBytes bounds the length of one line in bytes (0:
	// DefaultMaxLineBytes; negative: unlimited, so memory grows with the
	// longest line). A longer line is counted in Stats.LinesTooLong and
	// reported to OnLineError; its bytes are read on to the next line end
	// without being kept, so no input (an endless stream without a line
	// end, a gzip bomb) holds more than about MaxLineBytes per file being
	// parsed.
	MaxLineBytes int
	// SkipBadFiles makes Files go on past a file that cannot be opened or
	// read to the end (missing, unreadable, a directory, a corrupt or
	// truncated gzip stream) without yielding its *FileError: the failure
	// is recorded in Stats.FailedFiles. The rows read before the failure
	// are kept, as the reference keeps them. By default the *FileError is
	// yielded (and recorded).
	SkipBadFiles bool
	// Workers is the number of files parsed in parallel by Files
	// (default GOMAXPROCS).
	Workers int
	// Order is the output order of Files (default FileOrder).
	Order Order
	// TempDir holds the sorted runs of TimeOrder (default os.TempDir()).
	TempDir string
	// SortMemory bounds the bytes of Arrow data TimeOrder holds in memory
	// before spilling a sorted run to TempDir (default 256 MiB).
	SortMemory int64
	// Allocator allocates the record batches (default memory.DefaultAllocator).
	Allocator memory.Allocator
	// OnRead, when set, is called by Files with the number of bytes read
	// from an input file (before gunzipping), for progress meters. Files
	// are read in parallel: it must be safe for concurrent use.
	OnRead func(n int)
	// OnLineError, when set, is called for every line that is not valid
	// JSON or not a readable event; the line is counted in Stats either
	// way. It is called from the goroutine parsing the file.
	OnLineError func(*LineError)
}

// DefaultMaxLineBytes is the line length limit of a zero
// Config.MaxLineBytes: 16 MiB, thousands of times the size of a Tetragon
// event.
const DefaultMaxLineBytes = 16 << 20

// ErrLineTooLong is wrapped by the LineError of a line longer than
// Config.MaxLineBytes.
var ErrLineTooLong = errors.New("tetraparse: line longer than the maximum line length")

// Order is the output order of Parser.Files.
type Order uint8

const (
	// FileOrder yields files in the given order and lines in file order,
	// as the reference parser does.
	FileOrder Order = iota
	// TimeOrder yields rows by event time, ties broken by file then line,
	// rows without a time last (the v0.2.1 release's ORDER BY event_time).
	TimeOrder
)

// Window is a closed time interval [Start, End] in nanoseconds since the
// epoch.
type Window struct {
	Start, End int64
	// Label names the window (the sentinel file's label column).
	Label string
}

// ErrWindows reports a malformed sentinel window file.
var ErrWindows = errors.New("tetraparse: invalid sentinel windows")

// ReadWindows reads sentinel windows from CSV with the header
// start_ts,end_ts,label (label optional; other columns ignored). Times use
// the event-time rules (see internal/tstime). Errors name the line.
func ReadWindows(r io.Reader) ([]Window, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("%w: header: %v", ErrWindows, err)
	}
	idx := map[string]int{}
	for i, h := range header {
		idx[strings.TrimSpace(strings.TrimPrefix(h, "\ufeff"))] = i
	}
	si, ok1 := idx["start_ts"]
	ei, ok2 := idx["end_ts"]
	if !ok1 || !ok2 {
		return nil, fmt.Errorf("%w: line 1: the header needs start_ts and end_ts, have %q", ErrWindows, header)
	}
	li, hasLabel := idx["label"]
	var out []Window
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			return out, nil
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", ErrWindows, err)
		}
		get := func(i int) string {
			if i < len(rec) {
				return strings.TrimSpace(rec[i])
			}
			return ""
		}
		start, ok1 := tstime.Parse(get(si))
		end, ok2 := tstime.Parse(get(ei))
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("%w: line %d: unparseable bound start=%q end=%q", ErrWindows, line, get(si), get(ei))
		}
		w := Window{Start: start, End: end}
		if hasLabel {
			w.Label = get(li)
		}
		out = append(out, w)
	}
}

// LineError describes a line that could not be read as an event.
type LineError struct {
	File string // base name of the input
	Line int64  // 1-based line number
	// Column is the 1-based byte column of a syntax error, 0 otherwise.
	Column int
	Err    error // a *DecodeError, or an error wrapping ErrLineTooLong
}

// Error renders file:line[:column]: reason.
func (e *LineError) Error() string {
	if e.Column > 0 {
		return fmt.Sprintf("%s:%d:%d: %v", e.File, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("%s:%d: %v", e.File, e.Line, e.Err)
}

// Unwrap returns the underlying error.
func (e *LineError) Unwrap() error { return e.Err }

// FileError reports a file that could not be opened or read to the end:
// File is the path given to Files (the name given to Records), Lines the
// number of lines read (and delivered) before the failure.
type FileError struct {
	File  string
	Lines int64
	// Err is the cause: the open or read error.
	Err error
}

// Error names the file and the lines read before the failure.
func (e *FileError) Error() string {
	return fmt.Sprintf("tetraparse: %s: after %d lines: %v", e.File, e.Lines, e.Err)
}

// Unwrap returns the underlying error.
func (e *FileError) Unwrap() error { return e.Err }
