package score

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/examples/live/internal/metrics"
	"github.com/tetrahids/tetrahids/internal/jsonstr"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// Defaults of Config.
const (
	// DefaultMaxProcesses bounds each per-process memory: the graph, the
	// encoder's previous event times and the n-gram's contexts. At about
	// 400 bytes per process for the three together (exec ids of some 50
	// bytes), 2^18 processes take some 100 MiB.
	DefaultMaxProcesses = 1 << 18
	// DefaultHashCacheSize is the number of digests the encoder keeps per
	// hashed column (the library's default, 2^20, suits a corpus build).
	DefaultHashCacheSize = 1 << 16
	// DefaultThreshold is the default alert threshold: the model's
	// stored 0.999 quantile of its benign training scores.
	DefaultThreshold = "q0.999"
)

// Section names of a checkpoint.
const (
	SectionLineage = "lineage"
	SectionEncoder = "encoder"
	SectionScorer  = "scorer"
	SectionHeld    = "held"
)

// Config configures a Processor.
type Config struct {
	// Definitions is the schema to encode with (the model's corpus's);
	// nil is schema.Default().
	Definitions *schema.Definitions
	// Parser holds the filters, as the corpus builder sets them
	// (TargetInums, Select, KeepWithoutNamespace, Sentinels, NodeName)
	// and the line limit. New sets Definitions and Columns.
	Parser tetraparse.Config
	// Seed, if not nil, is a lineage graph written by lineage's WriteTo
	// (the training split's): the graph starts from it.
	Seed io.Reader
	// Model scores the events: a *baseline.Ngram or a *baseline.IForest.
	Model baseline.Model
	// Threshold is the alert threshold: an event scoring at least this
	// much is an alert (see ParseThreshold).
	Threshold float64
	// HoldBack holds an event whose parent process has not been seen for
	// at most this long (encode.WithHoldBack); 0 holds none.
	HoldBack time.Duration
	// MaxProcesses bounds each per-process memory (0:
	// DefaultMaxProcesses; negative: no bound, for finite inputs only).
	MaxProcesses int
	// HashCacheSize bounds the encoder's digest caches, per column (0:
	// DefaultHashCacheSize; negative: none).
	HashCacheSize int
	// Features adds the whole encoded row to each output line.
	Features bool
	// Source names the input in the raw rows (_source_file).
	Source string
	// Counters receives the counts (nil: counts are kept but not shared).
	Counters *metrics.Counters
	// Log receives what an operator should know (nil: nothing).
	Log *slog.Logger
}

// Processor is the service's Processor that scores events; it
// implements service.Processor, service.Stateful and service.Drainer. It
// is used by one goroutine.
type Processor struct {
	cfg    Config
	graph  *lineage.Graph
	enc    *encode.Encoder
	parser *tetraparse.Parser
	live   *encode.Live
	ngram  *baseline.Ngram
	scorer *baseline.NgramScorer
	forest *baseline.IForest
	inputs []forestInput // the forest's columns, from Features
	row    []float32
	token  int // index in Features.Strings
	base   int
	c      *metrics.Counters
	log    *slog.Logger
	buf    []byte

	seq      int64            // lines given to live, as it numbers them
	batch    []byte           // lines waiting to be taken together (without hold-back)
	ends     []int            // where each line of batch ends
	lines    [][]byte         // views of batch's lines
	held     map[int64][]byte // the lines of held events, by seq
	pending  bytes.Buffer     // output released while restoring
	last     tetraparse.Stats // live's counts at the last drop
	droppers map[string]*atomic.Uint64
	logged   map[string]bool // kinds of unreadable lines logged
}

// forestInput is where an IsolationForest input comes from.
type forestInput struct {
	from inputFrom
	k    int    // index in Codes or Floats
	name string // column, for fromValue
}

type inputFrom uint8

const (
	fromCode  inputFrom = iota // Features.Codes()[k]
	fromFloat                  // Features.Floats()[k]
	fromValue                  // Features.Value(name).Uint: a uint64 column, which a float64 may not hold exactly
)

// New returns a Processor for cfg. It fails on a bad filter, an unusable
// seed graph, or a model the schema cannot feed.
func New(cfg Config) (*Processor, error) {
	if cfg.Model == nil {
		return nil, errors.New("score: no model")
	}
	defs := cfg.Definitions
	if defs == nil {
		defs = schema.Default()
	}
	maxProcs := bound(cfg.MaxProcesses)
	hashCache := cfg.HashCacheSize
	if hashCache == 0 {
		hashCache = DefaultHashCacheSize
	}
	if cfg.Source == "" {
		cfg.Source = "stdin"
	}
	p := &Processor{cfg: cfg, c: cfg.Counters, log: cfg.Log, held: map[int64][]byte{}, droppers: map[string]*atomic.Uint64{}, logged: map[string]bool{}}
	if p.c == nil {
		p.c = new(metrics.Counters)
	}
	if p.log == nil {
		p.log = slog.New(slog.DiscardHandler)
	}
	p.graph = lineage.New(lineage.WithMaxProcesses(maxProcs))
	if cfg.Seed != nil {
		if _, err := p.graph.ReadFrom(cfg.Seed); err != nil {
			return nil, fmt.Errorf("score: seed graph: %w", err)
		}
	}
	var err error
	if p.enc, err = encode.New(defs, p.graph, encode.WithMaxProcesses(maxProcs), encode.WithHashCacheSize(hashCache)); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	strs := p.enc.StringColumns()
	if p.token, p.base = slices.Index(strs, "token"), slices.Index(strs, "proc_binary_basename"); p.token < 0 || p.base < 0 {
		return nil, fmt.Errorf("score: schema %s has no token or proc_binary_basename column", defs.SchemaVersion())
	}
	switch m := cfg.Model.(type) {
	case *baseline.Ngram:
		p.ngram = m
		p.scorer = m.NewScorer(baseline.MaxProcesses(maxProcs))
	case *baseline.IForest:
		p.forest = m
		if p.inputs, err = forestInputs(p.enc, defs.SchemaVersion(), m.Columns()); err != nil {
			return nil, err
		}
		p.row = make([]float32, len(p.inputs))
	default:
		return nil, fmt.Errorf("score: model of kind %v is not supported", cfg.Model.Kind())
	}
	pc := cfg.Parser
	pc.Definitions, pc.Columns = defs, p.enc.RawColumns()
	if pc.OnLineError == nil {
		pc.OnLineError = p.lineError
	}
	if p.parser, err = tetraparse.New(pc); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	var opts []encode.LiveOption
	if cfg.HoldBack > 0 {
		opts = append(opts, encode.WithHoldBack(cfg.HoldBack))
	}
	if p.live, err = encode.NewLive(p.parser, p.enc, cfg.Source, opts...); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	return p, nil
}

// forestInputs finds each column an IsolationForest reads among the
// Features' codes and floats.
func forestInputs(enc *encode.Encoder, version string, cols []string) ([]forestInput, error) {
	codes, floats := enc.CodeColumns(), enc.FloatColumns()
	sc := enc.Schema()
	out := make([]forestInput, len(cols))
	for j, name := range cols {
		f := sc.FieldIndices(name)
		switch {
		case len(f) != 1:
			return nil, fmt.Errorf("score: the model reads %s, which schema %s does not encode", name, version)
		case sc.Field(f[0]).Type.ID() == arrow.UINT64:
			out[j] = forestInput{from: fromValue, name: name}
		case slices.Contains(codes, name):
			out[j] = forestInput{from: fromCode, k: slices.Index(codes, name)}
		case slices.Contains(floats, name):
			out[j] = forestInput{from: fromFloat, k: slices.Index(floats, name)}
		default:
			return nil, fmt.Errorf("score: the model reads %s, which is not a model input", name)
		}
	}
	return out, nil
}

// ParseThreshold reads an alert threshold: a number, or a quantile of the
// model's benign training scores written as q and its level ("q0.999").
// The model must have stored that level.
func ParseThreshold(s string, m baseline.Model) (float64, error) {
	if lv, ok := strings.CutPrefix(s, "q"); ok {
		level, err := strconv.ParseFloat(lv, 64)
		if err != nil {
			return 0, fmt.Errorf("threshold %q: the level is not a number", s)
		}
		v, ok := m.ScoreQuantile(level)
		if !ok {
			var have []string
			for _, q := range m.Quantiles() {
				have = append(have, "q"+strconv.FormatFloat(q.Level, 'g', -1, 64))
			}
			return 0, fmt.Errorf("threshold %q: the model stores no quantile at %v (it has %s)", s, level, strings.Join(have, ", "))
		}
		return v, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) {
		return 0, fmt.Errorf("threshold %q: want a number or a quantile such as q0.999", s)
	}
	return v, nil
}

// Batch limits: lines that arrive while others wait are taken together
// (encode.Live.Lines), up to this many lines or bytes.
const (
	batchLines = 64
	batchBytes = 1 << 20
)

// Process decodes, filters, encodes and scores one line, writing the
// lines of the events it releases. Without hold-back, lines are collected
// and taken together when batchLines are waiting, or at the next Flush
// (which the service calls as soon as no line is ready), so that a
// backlog costs about half as much per event and a slow stream waits for
// nothing.
func (p *Processor) Process(line []byte, out io.Writer) error {
	if err := p.writePending(out); err != nil {
		return err
	}
	if p.cfg.HoldBack > 0 {
		return p.take(line, out)
	}
	p.batch = append(p.batch, line...)
	p.ends = append(p.ends, len(p.batch))
	if len(p.ends) >= batchLines || len(p.batch) >= batchBytes {
		return p.takeBatch(out)
	}
	return nil
}

// takeBatch takes the collected lines together.
func (p *Processor) takeBatch(out io.Writer) error {
	if len(p.ends) == 0 {
		return nil
	}
	p.lines = p.lines[:0]
	start := 0
	for _, end := range p.ends {
		p.lines = append(p.lines, p.batch[start:end])
		start = end
	}
	p.seq += int64(len(p.lines))
	kept := 0
	feats, err := p.live.Lines(p.lines)
	p.batch, p.ends = p.batch[:0], p.ends[:0]
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	for i := range feats {
		if err := p.emit(&feats[i], out); err != nil {
			return err
		}
		kept++
	}
	if kept < len(p.lines) {
		p.countDrops()
	}
	if cap(p.batch) > 4*batchBytes {
		p.batch = nil // a batch of long lines: do not keep their memory
	}
	return nil
}

// take gives a line to live and writes what it releases.
func (p *Processor) take(line []byte, out io.Writer) error {
	heldBefore := p.live.Held()
	p.seq++
	feats, err := p.live.Line(line)
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	own, released := false, 0
	for i := range feats {
		f := &feats[i]
		if _, wasHeld := f.Held(); wasHeld {
			released++
			delete(p.held, f.Line())
		} else if f.Line() == p.seq {
			own = true
		}
		if err := p.emit(f, out); err != nil {
			return err
		}
	}
	switch {
	case own:
	case p.live.Held() > heldBefore-released:
		// The event waits for its parent: its line is state until then.
		p.held[p.seq] = bytes.Clone(line)
	default:
		p.countDrops()
	}
	return nil
}

// lineError logs the first unreadable line of each kind (not JSON, not an
// event's structure, too long), with its number and column; the others
// are only counted, since they can come in floods.
func (p *Processor) lineError(e *tetraparse.LineError) {
	kind := "line too long"
	var de *tetraparse.DecodeError
	if errors.As(e, &de) {
		kind = de.Err.Error()
	}
	if p.logged[kind] {
		return
	}
	p.logged[kind] = true
	p.log.Warn("input line not readable as an event (further ones are only counted)", "kind", kind, "err", e)
}

// countDrops counts the lines live did not keep since the last count, by
// reason.
func (p *Processor) countDrops() {
	cur := p.live.Stats()
	prev := &p.last
	for _, r := range tetraparse.DropReasons() {
		p.drop(r.String(), cur.DroppedBy(r)-prev.DroppedBy(r))
	}
	p.drop("blank", cur.Blank-prev.Blank)
	p.drop("json_error", cur.JSONErrors-prev.JSONErrors)
	p.drop("structure_error", cur.StructureErrors-prev.StructureErrors)
	p.drop("line_too_long", cur.LinesTooLong-prev.LinesTooLong)
	p.last = cur
}

func (p *Processor) drop(reason string, n int64) {
	if n <= 0 {
		return
	}
	c, ok := p.droppers[reason]
	if !ok {
		c = p.c.Dropper(reason)
		p.droppers[reason] = c
	}
	c.Add(uint64(n))
}

// emit scores an event and writes its line.
func (p *Processor) emit(f *encode.Features, out io.Writer) error {
	s := p.score(f)
	alert := float64(s) >= p.cfg.Threshold
	p.buf = p.appendLine(p.buf[:0], f, s, alert)
	if _, err := out.Write(p.buf); err != nil {
		return fmt.Errorf("score: writing: %w", err)
	}
	p.c.Kept()
	if alert {
		p.c.Alert()
	}
	return nil
}

func (p *Processor) score(f *encode.Features) float32 {
	if p.scorer != nil {
		pid, _ := f.Value("proc_exec_id") // null: "", an event without a process, as in the batch
		return p.scorer.Score(pid.Str, f.Strings()[p.token])
	}
	codes, floats := f.Codes(), f.Floats()
	for j, in := range p.inputs {
		switch in.from {
		case fromCode:
			p.row[j] = float32(codes[in.k])
		case fromFloat:
			p.row[j] = float32(floats[in.k])
		default:
			v, _ := f.Value(in.name)
			p.row[j] = float32(v.Uint)
		}
	}
	s, _ := p.forest.ScoreRow(p.row) // the length is the forest's by construction
	return s
}

// appendLine appends an event's output line, newline included.
func (p *Processor) appendLine(b []byte, f *encode.Features, s float32, alert bool) []byte {
	b = append(b, `{"event_time":`...)
	if t, _ := f.Value("event_time"); t.Null {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, t.Int, 10)
	}
	b = append(b, `,"proc_exec_id":`...)
	if id, _ := f.Value("proc_exec_id"); id.Null {
		b = append(b, "null"...)
	} else {
		b = jsonstr.Append(b, id.Str)
	}
	strs := f.Strings()
	b = append(b, `,"proc_binary_basename":`...)
	b = jsonstr.Append(b, strs[p.base])
	b = append(b, `,"token":`...)
	b = jsonstr.Append(b, strs[p.token])
	b = append(b, `,"score":`...)
	if v := float64(s); math.IsNaN(v) || math.IsInf(v, 0) {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendFloat(b, v, 'g', -1, 32)
	}
	b = append(b, `,"alert":`...)
	b = strconv.AppendBool(b, alert)
	if p.cfg.Features {
		b = append(b, `,"features":`...)
		b = f.AppendJSON(b)
	}
	return append(b, "}\n"...)
}

// Flush takes the collected lines, and writes the held events whose time
// is up. The other held events stay held: they are in the Sections.
func (p *Processor) Flush(out io.Writer) error {
	if err := p.writePending(out); err != nil {
		return err
	}
	if p.cfg.HoldBack <= 0 {
		return p.takeBatch(out)
	}
	feats, err := p.live.Expire()
	return p.emitReleased(feats, err, out)
}

// Drain writes every held event: the input has ended, or the service
// stops without a state directory to keep them in.
func (p *Processor) Drain(out io.Writer) error {
	if err := p.writePending(out); err != nil {
		return err
	}
	if err := p.takeBatch(out); err != nil {
		return err
	}
	feats, err := p.live.Flush()
	return p.emitReleased(feats, err, out)
}

func (p *Processor) emitReleased(feats []encode.Features, err error, out io.Writer) error {
	for i := range feats {
		delete(p.held, feats[i].Line())
		if err := p.emit(&feats[i], out); err != nil {
			return err
		}
	}
	if err != nil {
		return fmt.Errorf("score: %w", err)
	}
	return nil
}

func (p *Processor) writePending(out io.Writer) error {
	if p.pending.Len() == 0 {
		return nil
	}
	if _, err := p.pending.WriteTo(out); err != nil {
		return fmt.Errorf("score: writing: %w", err)
	}
	return nil
}

// Close releases the parser's buffers. Held events are dropped: Drain
// first.
func (p *Processor) Close() { p.live.Close() }

// Stats describes the per-process memories, for operators and tests.
type Stats struct {
	Graph          lineage.Stats
	GraphProcesses int
	Contexts       int    // n-gram contexts
	Evictions      uint64 // n-gram contexts evicted
	Held           int    // events held back
	Parser         tetraparse.Stats
	Encoder        encode.Stats
}

// Stats returns the memories' sizes and the library's counters.
func (p *Processor) Stats() Stats {
	s := Stats{Graph: p.graph.Stats(), GraphProcesses: p.graph.Len(), Held: p.live.Held(), Parser: p.live.Stats(), Encoder: p.enc.Stats()}
	if p.scorer != nil {
		s.Contexts, s.Evictions = p.scorer.Len(), p.scorer.Evictions()
	}
	return s
}
