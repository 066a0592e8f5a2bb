package tetraparse

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"iter"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tetrahids/tetrahids/internal/pygzip"
	"github.com/tetrahids/tetrahids/internal/pystr"
	"github.com/tetrahids/tetrahids/schema"
)

// defaultMaxDelay is Config.MaxDelay's default: short enough for a live
// stream's consumer, long enough to batch the rows of a busy one.
const defaultMaxDelay = 50 * time.Millisecond

// Parser turns Tetragon JSON export into raw-table record batches.
//
// A Parser is safe for concurrent use: every call of Records or Files has
// its own decoding state, and Stats accumulates over all of them.
//
// Ownership: a record batch yielded by Records or Files belongs to the
// iterator and is released when the loop body returns; call Retain to keep
// it longer (and Release when done).
type Parser struct {
	cfg     Config
	defs    *schema.Definitions
	schema  *arrow.Schema // of the batches: the raw schema or its projection
	targets map[uint64]bool
	sel     *selection
	mu      sync.Mutex
	stats   Stats
	// streams holds idle streams: their column buffers and block cache,
	// sized by earlier inputs, serve the next file or Records call.
	streams sync.Pool
}

// New returns a Parser for cfg.
func New(cfg Config) (*Parser, error) {
	if cfg.Definitions == nil {
		cfg.Definitions = schema.Default()
	}
	if cfg.BatchSize <= 0 {
		cfg.BatchSize = 1 << 16
	}
	if cfg.MaxDelay == 0 {
		cfg.MaxDelay = defaultMaxDelay
	}
	if cfg.Workers <= 0 {
		cfg.Workers = runtime.GOMAXPROCS(0)
	}
	if cfg.SortMemory <= 0 {
		cfg.SortMemory = 256 << 20
	}
	if cfg.Allocator == nil {
		cfg.Allocator = memory.DefaultAllocator
	}
	if cfg.MaxLineBytes == 0 {
		cfg.MaxLineBytes = DefaultMaxLineBytes
	}
	sel, err := newSelection(&cfg)
	if err != nil {
		return nil, err
	}
	for i, w := range cfg.Sentinels {
		if w.End < w.Start {
			return nil, fmt.Errorf("tetraparse: sentinel window %d (%s) ends before it starts", i, w.Label)
		}
	}
	p := &Parser{cfg: cfg, defs: cfg.Definitions, targets: map[uint64]bool{}, sel: sel}
	if p.schema, err = project(p.defs.RawSchema(), cfg.Columns, cfg.Order); err != nil {
		return nil, err
	}
	for _, t := range cfg.TargetInums {
		p.targets[t] = true
	}
	// Fail early on a schema the parser cannot fill.
	s, err := p.newStream()
	if err != nil {
		return nil, err
	}
	p.putStream(s)
	return p, nil
}

// Schema returns the Arrow schema of the batches: the raw schema, or its
// projection on Config.Columns.
func (p *Parser) Schema() *arrow.Schema { return p.schema }

// project returns the fields of raw named in cols, in raw's order (raw
// itself when cols is empty).
func project(raw *arrow.Schema, cols []string, order Order) (*arrow.Schema, error) {
	if len(cols) == 0 {
		return raw, nil
	}
	keep := map[string]bool{}
	for _, c := range cols {
		if !raw.HasField(c) {
			return nil, fmt.Errorf("tetraparse: Config.Columns: %q is not a raw column", c)
		}
		keep[c] = true
	}
	if order == TimeOrder {
		keep["event_time"], keep["_source_line"] = true, true
	}
	var fields []arrow.Field
	for _, f := range raw.Fields() {
		if keep[f.Name] {
			fields = append(fields, f)
		}
	}
	md := raw.Metadata()
	return arrow.NewSchema(fields, &md), nil
}

// Stats returns the counters accumulated so far, and the selection in
// force.
func (p *Parser) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	st := p.stats.clone()
	st.Selection = p.sel.text
	// Files fail in parallel: sorted, the list is the same on every run.
	slices.SortStableFunc(st.FailedFiles, func(a, b FailedFile) int { return strings.Compare(a.File, b.File) })
	return st
}

func (p *Parser) addStats(s *Stats) {
	p.mu.Lock()
	p.stats.Add(s)
	p.mu.Unlock()
}

// stream is the state of one input being parsed.
type stream struct {
	p     *Parser
	dec   decoder
	x     *extractor
	rows  *rowBuilder
	stats Stats
	ev    Event
}

func (p *Parser) newStream() (*stream, error) {
	x, err := newExtractor(p.defs)
	if err != nil {
		return nil, err
	}
	rows, err := newRowBuilder(p.defs, p.schema, p.cfg.Allocator, x)
	if err != nil {
		return nil, err
	}
	s := &stream{p: p, x: x, rows: rows}
	s.dec.blocks = newBlockCache()
	s.dec.skipArgs = !p.schema.HasField("kprobe_args_json")
	s.dec.skipReturn = true
	s.dec.skipK8s = !p.sel.needK8s
	return s, nil
}

// getStream returns an idle stream or a new one.
func (p *Parser) getStream() (*stream, error) {
	if s, ok := p.streams.Get().(*stream); ok {
		return s, nil
	}
	return p.newStream()
}

// putStream adds a finished stream's counters to the Parser's and keeps
// the stream for reuse. Blocks are cached by their bytes, so a cache
// filled by another input decodes the next one exactly as a fresh one.
func (p *Parser) putStream(s *stream) {
	p.addStats(&s.stats)
	s.stats = Stats{}
	s.rows.discard()
	p.streams.Put(s)
}

// line processes one input line; file is the base name used for provenance.
func (s *stream) line(raw []byte, file string, lineNo int64) {
	st := &s.stats
	st.LinesRead++
	line := pystr.StripBytes(raw)
	if len(line) == 0 {
		st.Blank++
		return
	}
	// No separate UTF-8 check: only a line that fails to parse can be
	// invalid UTF-8 (the scanner checks the bytes of every string, JSON
	// outside strings is ASCII, and a cached block matched bytes once
	// checked), and the parser then reports the first invalid sequence
	// in its place, as the reference's text-mode read would.
	ev := &s.ev
	if err := s.dec.decode(ev, line, false); err != nil {
		st.JSONErrors++
		s.report(file, lineNo, err)
		return
	}
	s.keep(ev, &s.dec, s.dec.structErr, s.dec.stage, file, lineNo)
}

// keep applies the reference's rules, in its order, to a decoded event
// and appends its row if it passes them. structErr is the event's first
// structure error (nil if none) and stage where the reference meets it; d
// holds the event's parse tree, which the kprobe extraction reads (nil for
// an event that has none).
func (s *stream) keep(ev *Event, d *decoder, structErr *DecodeError, stage stage, file string, lineNo int64) {
	st := &s.stats
	cfg := &s.p.cfg
	if !ev.Kind.Kept() {
		st.droppedByReason[DropWrongEventType]++
		st.wrongKinds[ev.Kind]++
		return
	}
	if structErr != nil && stage == stageEnvelope {
		s.structureError(file, lineNo, structErr)
		return
	}
	if ev.Process == nil {
		if !cfg.KeepWithoutProcess {
			st.droppedByReason[DropNoProcess]++
			return
		}
	} else {
		pid := &ev.Process.NS.PID
		if pid.IsHost && !cfg.KeepHostNamespace {
			st.droppedByReason[DropHostNamespace]++
			return
		}
		if !pid.InumPresent && !cfg.KeepWithoutNamespace {
			st.droppedByReason[DropNoInum]++
			return
		}
		if len(s.p.targets) > 0 {
			if structErr != nil && stage == stageInum {
				s.structureError(file, lineNo, structErr)
				return
			}
			if !pid.Inum.Valid || !s.p.targets[pid.Inum.Value] {
				st.droppedByReason[DropWrongInum]++
				return
			}
		}
		if s.p.sel.active() && !s.p.sel.admit(ev.Process, st) {
			return
		}
	}
	if !ev.Time.Valid {
		st.UnparseableTimes++
	} else {
		for _, w := range cfg.Sentinels {
			if w.Start <= ev.Time.Value && ev.Time.Value <= w.End {
				st.droppedByReason[DropSentinel]++
				return
			}
		}
	}
	if structErr != nil {
		s.structureError(file, lineNo, structErr)
		return
	}
	switch {
	case ev.Kind != KindKprobe || !ev.Kprobe.FunctionName.Valid:
		s.x.clear()
	case d == nil:
		// An Event that Decode did not make has no argument tree.
		s.x.clear()
		st.ExtractionFailures++
	default:
		_, fieldErrs, err := s.x.extract(d, ev.Kprobe.FunctionName.Value)
		if err != nil {
			st.ExtractionFailures++
		}
		st.FieldErrors += int64(fieldErrs)
	}
	st.FieldErrors += int64(ev.FieldErrors)
	s.rows.appendRow(ev, cfg.NodeName, file, lineNo, s.x)
	st.keptByKind[ev.Kind]++
	if ev.Process != nil && !ev.Process.NS.PID.InumPresent {
		st.KeptWithoutNamespace++
	}
	if ev.Kind == KindExec && ev.Process != nil && ev.Process.FlagProcFS {
		st.ProcfsWalkTagged++
	}
}

func (s *stream) structureError(file string, lineNo int64, err *DecodeError) {
	s.stats.StructureErrors++
	s.report(file, lineNo, err)
}

// longLine counts a line longer than Config.MaxLineBytes.
func (s *stream) longLine(file string, lineNo, n int64) {
	s.stats.LinesRead++
	s.stats.LinesTooLong++
	s.report(file, lineNo, fmt.Errorf("%w: %d bytes, the maximum is %d", ErrLineTooLong, n, s.p.cfg.MaxLineBytes))
}

func (s *stream) report(file string, lineNo int64, err error) {
	if s.p.cfg.OnLineError == nil {
		return
	}
	le := &LineError{File: file, Line: lineNo, Err: err}
	var de *DecodeError
	if errors.As(err, &de) && de.Offset >= 0 {
		le.Column = de.Offset + 1
	}
	s.p.cfg.OnLineError(le)
}

// parse reads r to the end, emitting a batch every BatchSize rows. It
// returns a *FileError when reading fails (the rows before are emitted).
//
// With prompt set (a reader that can block), it also emits the pending
// rows before it waits for input and once the first of them has waited
// Config.MaxDelay, so that each line of a slow stream reaches the consumer
// at once.
func (s *stream) parse(r io.Reader, name string, prompt bool, emit func(arrow.RecordBatch) bool) error {
	maxDelay := time.Duration(-1)
	var since time.Time
	if prompt {
		pr := newPromptReader(r, func() error {
			if !s.emit(emit) {
				return errStopped
			}
			return nil
		})
		defer pr.stop()
		r, maxDelay = pr, s.p.cfg.MaxDelay
	}
	lr := newLineReader(r, s.p.cfg.MaxLineBytes)
	batch := s.p.cfg.BatchSize
	for {
		line, ok := lr.next()
		if !ok {
			break
		}
		if lr.long {
			s.longLine(name, lr.line(), lr.longLen)
			continue
		}
		before := s.rows.rows
		s.line(line, name, lr.line())
		due := s.rows.rows >= batch || s.rows.big
		if maxDelay > 0 && s.rows.rows > 0 {
			if before == 0 {
				since = time.Now()
			} else if !due {
				due = time.Since(since) >= maxDelay
			}
		}
		if due && !s.emit(emit) {
			return errStopped
		}
	}
	if lr.err == errStopped || !s.emit(emit) {
		return errStopped
	}
	if lr.err != nil {
		return &FileError{File: name, Lines: lr.line(), Err: lr.err}
	}
	return nil
}

var errStopped = errors.New("stopped by the consumer")

func (s *stream) emit(emit func(arrow.RecordBatch) bool) bool {
	rec := s.rows.flush()
	if rec == nil {
		return true
	}
	defer rec.Release()
	return emit(rec)
}

// Records parses one stream. name is recorded in the _source_file column
// (its base name). Read errors are yielded once, after the rows read
// before them.
//
// On a reader that can block (anything but a regular file or an in-memory
// reader), Records yields the rows it has whenever the reader has nothing
// more to deliver, and once a row has waited Config.MaxDelay, so that each
// line of a slow stream reaches the consumer at once; it reads r on a
// goroutine of its own. If the loop stops early, a read in progress on
// such a reader finishes in the background (closing the reader ends it).
func (p *Parser) Records(r io.Reader, name string) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		s, err := p.getStream()
		if err != nil {
			yield(nil, err)
			return
		}
		defer p.putStream(s)
		err = s.parse(r, filepath.Base(name), canBlock(r), func(rec arrow.RecordBatch) bool { return yield(rec, nil) })
		if err != nil && err != errStopped {
			yield(nil, err)
		}
	}
}

// Files parses files (".gz" names are gunzipped, any other name is read as
// is) with up to Config.Workers in parallel, in Config.Order. A file that
// cannot be opened or read to the end yields a *FileError at its place in
// the order, after the rows read before the failure (with
// Config.SkipBadFiles it is only recorded in Stats.FailedFiles), and
// parsing goes on with the next file.
func (p *Parser) Files(paths []string) iter.Seq2[arrow.RecordBatch, error] {
	if p.cfg.Order == TimeOrder {
		return p.timeOrder(paths)
	}
	return p.fileOrder(paths)
}

// item is one element of a file's output: a record or a final error.
type item struct {
	rec arrow.RecordBatch
	err error
}

// fileOrder yields the batches of runFiles.
func (p *Parser) fileOrder(paths []string) iter.Seq2[arrow.RecordBatch, error] {
	return func(yield func(arrow.RecordBatch, error) bool) {
		p.runFiles(paths, func(_ int, rec arrow.RecordBatch, err error) bool { return yield(rec, err) })
	}
}

// runFiles parses paths with one goroutine per file, at most Workers at a
// time, and calls fn in file order with each batch (released after fn
// returns) or file error. Each file's output goes through its own small
// channel, read in file order, so memory stays bounded by
// Workers × (channel capacity + 1) batches. fn returning false stops.
func (p *Parser) runFiles(paths []string, fn func(file int, rec arrow.RecordBatch, err error) bool) {
	out := make([]chan item, len(paths))
	for i := range out {
		out[i] = make(chan item, 2)
	}
	done := make(chan struct{})
	sem := make(chan struct{}, p.cfg.Workers)
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { // dispatcher: starts files in order as workers free up
		defer wg.Done()
		for i, path := range paths {
			select {
			case sem <- struct{}{}:
			case <-done:
				for _, ch := range out[i:] {
					close(ch)
				}
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer func() { <-sem }()
				p.parseFile(path, out[i], done)
			}()
		}
	}()
	defer func() {
		close(done)
		// Drain so that workers blocked on send can finish, releasing
		// what they produced.
		for _, ch := range out {
			for it := range ch {
				if it.rec != nil {
					it.rec.Release()
				}
			}
		}
		wg.Wait()
	}()
	for i, ch := range out {
		for it := range ch {
			ok := fn(i, it.rec, it.err)
			if it.rec != nil {
				it.rec.Release()
			}
			if !ok {
				return
			}
		}
	}
}

// parseFile parses one file into ch and closes it.
func (p *Parser) parseFile(path string, ch chan<- item, done <-chan struct{}) {
	defer close(ch)
	name := filepath.Base(path)
	s, err := p.getStream()
	if err != nil {
		ch <- item{err: err}
		return
	}
	defer p.putStream(s)
	send := func(it item) bool {
		select {
		case ch <- it:
			return true
		case <-done:
			if it.rec != nil {
				it.rec.Release()
			}
			return false
		}
	}
	r, closeFn, err := openInput(path, p.cfg.OnRead)
	if err != nil {
		if fe := s.fileFailed(&FileError{File: path, Err: err}); fe != nil {
			send(item{err: fe})
		}
		return
	}
	defer closeFn()
	s.stats.FilesRead++
	err = s.parse(r, name, false, func(rec arrow.RecordBatch) bool {
		rec.Retain()
		return send(item{rec: rec})
	})
	if err != nil && err != errStopped {
		var fe *FileError
		if errors.As(err, &fe) {
			fe.File = path
		} else {
			fe = &FileError{File: path, Err: err}
		}
		if fe := s.fileFailed(fe); fe != nil {
			send(item{err: fe})
		}
	}
}

// fileFailed counts and records a failed file, and returns the error to
// yield (nil under Config.SkipBadFiles).
func (s *stream) fileFailed(fe *FileError) error {
	s.stats.FilesFailed++
	s.stats.FailedFiles = append(s.stats.FailedFiles, FailedFile{File: fe.File, Lines: fe.Lines, Reason: fe.Err.Error()})
	if s.p.cfg.SkipBadFiles {
		return nil
	}
	return fe
}

// openInput opens a file, gunzipping names that end in ".gz" as Python's
// gzip module reads them (internal/pygzip); onRead, when set, sees the bytes
// read from the file. A directory is refused at once, as Python's open
// refuses it.
func openInput(path string, onRead func(int)) (io.Reader, func() error, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, nil, err
	}
	if fi, err := f.Stat(); err == nil && fi.IsDir() {
		f.Close()
		return nil, nil, &fs.PathError{Op: "open", Path: path, Err: syscall.EISDIR}
	}
	var r io.Reader = f
	if onRead != nil {
		r = &countingReader{r: f, onRead: onRead}
	}
	if !strings.HasSuffix(path, ".gz") {
		return r, f.Close, nil
	}
	zr := pygzip.NewReader(r)
	return zr, func() error { zr.Close(); return f.Close() }, nil
}

// countingReader reports the bytes read through it.
type countingReader struct {
	r      io.Reader
	onRead func(int)
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	if n > 0 {
		c.onRead(n)
	}
	return n, err
}
