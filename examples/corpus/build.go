package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/apache/arrow-go/v18/arrow/compute"
	"github.com/apache/arrow-go/v18/arrow/memory"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// Split names, in output order.
const (
	splitTrain = "train"
	splitTest  = "test"
)

// maxLineErrorExamples bounds the unreadable lines quoted in stats.json.
const maxLineErrorExamples = 20

// builder carries one build's state through its passes:
//
//  1. parse every input once; rows go to their split's raw spill, and
//     train rows (then, after all of them, test rows) into the lineage
//     graph;
//  2. encode each split from its spill with its own Encoder (per-process
//     state carries across batches, in order), the splits concurrently;
//     without anonymization, label and write the shards right away;
//  3. with anonymization, pass 2 only observes and spills the encoded
//     batches, and this pass applies the frozen pipeline, labels and
//     writes;
//  4. re-check the written shards (anonymized builds), write stats.json
//     and datacard.md, and move the directory into place.
type builder struct {
	o    *Options
	defs *schema.Definitions
	mem  memory.Allocator
	// rawCols are the raw columns the parser builds: the encoder's.
	rawCols []string
	// spillBudget is the memory the spills share.
	spillBudget *spillBudget
	prog        *progress
	warn        io.Writer
	out         string // final -out (absolute)
	tmp         string // the temporary output directory, renamed to out at the end
	work        string // tmp/.work: spills and the sample's input
	anon        *anonymizer
	set         *labels.Set
	lblCS       []byte // labels.csv as read, copied to the output
	cut         int64  // first test time when splitting by time
	rule        string // how rows were split, for stats.json and the card
	sets        []inputSet
	sents       []tetraparse.Window

	graph  *lineage.Graph
	seeded int
	splits []*splitState

	parserStats  map[string]tetraparse.Stats
	noTime       int64 // rows without event_time, dropped by the cut
	lineErrMu    sync.Mutex
	lineErrCount int64
	lineErrs     []string
	card         *card
	timings      []timing
	start        time.Time
}

// splitState is one split's spills, encoder counters and output.
type splitState struct {
	name     string
	raw      *spill
	enc      *spill // encoded batches, anonymized builds only
	encStats encode.Stats
	shards   *shardWriter
	paths    []string
	written  int64
}

// timing is one phase's wall-clock and CPU time (CPU time over wall time
// is how many cores the phase kept busy).
type timing struct {
	Phase      string  `json:"phase"`
	Seconds    float64 `json:"seconds"`
	CPUSeconds float64 `json:"cpu_seconds"`
}

func (b *builder) timed(phase string, f func() error) error {
	t, c := time.Now(), cpuTime()
	err := f()
	b.timings = append(b.timings, timing{phase, time.Since(t).Seconds(), (cpuTime() - c).Seconds()})
	return err
}

func (b *builder) split(name string) *splitState {
	for _, s := range b.splits {
		if s.name == name {
			return s
		}
	}
	return nil
}

// Result summarizes a finished build.
type Result struct {
	Out        string
	Splits     []SplitResult
	Lines      int64
	InputBytes int64
	Elapsed    time.Duration
	Anonymized bool
	OutBytes   int64
}

// SplitResult is one split's output.
type SplitResult struct {
	Name   string
	Rows   int64
	Shards []string
}

func (r *Result) summary(w io.Writer) {
	var parts []string
	for _, s := range r.Splits {
		parts = append(parts, fmt.Sprintf("%s %s rows in %d shard(s)", s.Name, group(s.Rows), len(s.Shards)))
	}
	anon := "anonymized"
	if !r.Anonymized {
		anon = "NOT anonymized"
	}
	sec := r.Elapsed.Seconds()
	fmt.Fprintf(w, "corpus: wrote %s (%s; %s, %.1f MB) from %s lines (%.1f MB) in %.1f s: %s events/s, %.1f MB/s\n",
		r.Out, strings.Join(parts, ", "), anon, float64(r.OutBytes)/1e6, group(r.Lines), float64(r.InputBytes)/1e6,
		sec, group(int64(float64(r.Lines)/sec)), float64(r.InputBytes)/1e6/sec)
	fmt.Fprintf(w, "corpus: see %s and %s\n", filepath.Join(r.Out, "datacard.md"), filepath.Join(r.Out, "stats.json"))
}

// Build runs the whole build for o (which it does not modify). Progress
// and warnings go to stderr.
func Build(ctx context.Context, opts *Options, stderr io.Writer) (*Result, error) {
	o := *opts // the sample fills in inputs and the cut
	b := &builder{o: &o, mem: memory.DefaultAllocator, warn: stderr, prog: newProgress(stderr, o.Quiet),
		parserStats: map[string]tetraparse.Stats{}, start: time.Now(), cut: math.MaxInt64}
	defer b.prog.end()
	if err := b.configure(); err != nil {
		return nil, err
	}
	var err error
	if b.out, b.tmp, err = prepareOut(&o); err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(b.tmp)
		}
	}()
	b.work = filepath.Join(b.tmp, ".work")
	if err := b.prepareInputs(); err != nil {
		return nil, err
	}
	if err := b.run(ctx); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(b.work); err != nil {
		return nil, err
	}
	res := b.result()
	if err := commitOut(b.tmp, b.out); err != nil {
		return nil, fmt.Errorf("moving the corpus into place: %w", err)
	}
	committed = true
	for i := range res.Splits {
		for k, p := range res.Splits[i].Shards {
			res.Splits[i].Shards[k] = filepath.Join(b.out, "data", filepath.Base(p))
		}
	}
	return res, nil
}

// configure loads everything named by flags before any output exists, so
// that a typo fails in a second rather than after the parse.
func (b *builder) configure() error {
	o := b.o
	var err error
	if b.defs, err = loadSchema(o.Schema); err != nil {
		return err
	}
	if o.Sentinels != "" {
		f, err := os.Open(o.Sentinels)
		if err != nil {
			return fmt.Errorf("-sentinels: %w", err)
		}
		b.sents, err = tetraparse.ReadWindows(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("-sentinels %s: %w", o.Sentinels, err)
		}
	}
	if o.Sample {
		_, cut, err := loadSampleParams()
		if err != nil {
			return err
		}
		b.lblCS, _ = sampleFS.ReadFile("sample/labels.csv")
		if b.set, err = labels.Load(bytes.NewReader(b.lblCS)); err != nil {
			return fmt.Errorf("built-in sample labels: %w", err)
		}
		o.Cut, o.HasCut = cut.UnixNano(), true
	} else if o.Labels != "" {
		if b.lblCS, err = os.ReadFile(o.Labels); err != nil {
			return fmt.Errorf("-labels: %w", err)
		}
		if b.set, err = labels.LoadFile(o.Labels); err != nil {
			return err // LoadFile's errors name the file and line
		}
	}
	if b.set != nil {
		for _, ov := range b.set.Overlaps() {
			w1, _ := b.set.Window(ov.First)
			w2, _ := b.set.Window(ov.Second)
			fmt.Fprintf(b.warn, "corpus: warning: labels windows on lines %d and %d overlap from %s to %s; the later-starting window labels the overlap\n",
				w1.Line, w2.Line, labels.FormatTime(ov.From), labels.FormatTime(ov.To))
		}
	}
	if !o.NoAnonymize {
		if b.anon, err = newAnonymizer(o, b.defs, b.mem, b.warn); err != nil {
			return err
		}
	}
	return nil
}

// loadSchema resolves -schema: an embedded version or a definitions file.
func loadSchema(v string) (*schema.Definitions, error) {
	if strings.HasSuffix(v, ".json") || strings.ContainsRune(v, os.PathSeparator) {
		f, err := os.Open(v)
		if err != nil {
			return nil, fmt.Errorf("-schema: %w", err)
		}
		defer f.Close()
		d, err := schema.Load(f)
		if err != nil {
			return nil, fmt.Errorf("-schema %s: %w", v, err)
		}
		return d, nil
	}
	d, err := schema.Version(v)
	if err != nil {
		return nil, fmt.Errorf("-schema %q: %w (embedded versions: %s; or name a feature_definitions.json)", v, err, strings.Join(schema.EmbeddedVersions(), ", "))
	}
	return d, nil
}

// prepareInputs expands the input flags (generating the sample first when
// there are none) and decides the split rule.
func (b *builder) prepareInputs() error {
	o := b.o
	if o.Sample {
		p, _, _ := loadSampleParams()
		dir := filepath.Join(b.work, "sample")
		if err := writeSample(dir, p); err != nil {
			return fmt.Errorf("generating the built-in sample: %w", err)
		}
		o.In = []string{dir}
	}
	switch {
	case len(o.In) > 0:
		set, err := expandInputs("all", o.In)
		if err != nil {
			return err
		}
		b.sets = []inputSet{set}
		switch {
		case o.HasCut:
			b.cut = o.Cut
			b.rule = fmt.Sprintf("Rows are split by time at %s: event_time before it is train, from it on test (rows without an event_time are dropped).", labels.FormatTime(b.cut))
		case b.set != nil && b.set.Len() > 0:
			b.cut = b.set.Windows()[0].Start
			b.rule = fmt.Sprintf("Rows are split by time at %s, the start of the first labels window (no -cut): event_time before it is train, from it on test (rows without an event_time are dropped).", labels.FormatTime(b.cut))
		default:
			b.rule = "Every row is train (no -cut and no labels)."
		}
		if b.set != nil && b.cut != math.MaxInt64 {
			if _, err := b.set.Split(b.cut); err != nil {
				return fmt.Errorf("-cut %s: %w (train must be benign-only: move the cut before the first window)", labels.FormatTime(b.cut), err)
			}
		}
		b.splits = []*splitState{{name: splitTrain}}
		if b.cut != math.MaxInt64 {
			b.splits = append(b.splits, &splitState{name: splitTest})
		}
	default:
		b.rule = "Train and test come from separate inputs (-train-in, -test-in); every row of each is kept in its split."
		for _, x := range []struct {
			name string
			args []string
		}{{splitTrain, o.TrainIn}, {splitTest, o.TestIn}} {
			if len(x.args) == 0 {
				continue
			}
			set, err := expandInputs(x.name, x.args)
			if err != nil {
				return err
			}
			b.sets = append(b.sets, set)
			b.splits = append(b.splits, &splitState{name: x.name})
		}
	}
	return nil
}

// newParser returns the parser of one input set; onRead counts the input
// bytes read, for the progress meter.
func (b *builder) newParser(onRead func(int)) (*tetraparse.Parser, error) {
	o := b.o
	return tetraparse.New(tetraparse.Config{
		Definitions: b.defs,
		TargetInums: o.TargetInums,
		Sentinels:   b.sents,
		NodeName:    o.NodeName,
		BatchSize:   o.BatchRows,
		Workers:     o.Workers,
		Order:       o.Order,
		Columns:     b.rawCols,
		TempDir:     b.work,
		Allocator:   b.mem,
		OnLineError: b.lineError,
		OnRead:      onRead,
	})
}

// lineError counts an unreadable line and keeps the first few (file, line,
// column and reason; never the line's content) for stats.json; an
// anonymized build leaves the file name out.
func (b *builder) lineError(e *tetraparse.LineError) {
	b.lineErrMu.Lock()
	defer b.lineErrMu.Unlock()
	b.lineErrCount++
	if len(b.lineErrs) < maxLineErrorExamples {
		msg := e.Error()
		if b.anon != nil {
			c := *e
			c.File = "(input)"
			msg = c.Error()
		}
		b.lineErrs = append(b.lineErrs, msg)
	}
}

// run performs the passes and writes every output file into b.tmp.
func (b *builder) run(ctx context.Context) error {
	for _, dir := range []string{b.work, filepath.Join(b.tmp, "reproduction")} {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return err
		}
	}
	// The raw table is only an intermediate here: build and spill just the
	// columns the encoder reads.
	probe, err := encode.New(b.defs, nil)
	if err != nil {
		return err
	}
	b.rawCols = probe.RawColumns()
	b.spillBudget = newSpillBudget(b.o.SpillMemoryMiB << 20)
	p, err := b.newParser(nil)
	if err != nil {
		return err
	}
	for _, s := range b.splits {
		var err error
		if s.raw, err = newSpill(filepath.Join(b.work, s.name+".raw.arrows"), p.Schema(), b.o.SpillCompression, b.spillBudget); err != nil {
			return err
		}
		defer s.raw.Remove()
	}
	b.graph = lineage.New()
	if err := b.timed("parse", func() error { return b.parseAll(ctx) }); err != nil {
		return err
	}

	names := make([]string, len(b.splits))
	for i, s := range b.splits {
		names[i] = s.name
	}
	b.card = newCard(b.defs, b.set, names...)
	dataDir := filepath.Join(b.tmp, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	for _, s := range b.splits {
		s.shards = newShardWriter(dataDir, s.name, b.o.ShardRows, b.o.RowGroupRows, b.defs.EncodedSchema().Metadata())
		defer s.shards.Abort()
	}
	var rawRows int64
	for _, s := range b.splits {
		rawRows += s.raw.rows
	}
	if b.anon == nil {
		err := b.timed("encode+write", func() error {
			pc := b.prog.begin("encode", 0, rawRows)
			return b.forSplits(ctx, func(ctx context.Context, s *splitState) error {
				err := b.encodeSplit(ctx, s, pc, b.label, b.write(s))
				s.raw.Remove() // free the disk early
				return err
			})
		})
		if err != nil {
			return err
		}
	} else {
		for _, s := range b.splits {
			var err error
			if s.enc, err = newSpill(filepath.Join(b.work, s.name+".encoded.arrows"), b.defs.EncodedSchema(), b.o.SpillCompression, b.spillBudget); err != nil {
				return err
			}
			defer s.enc.Remove()
		}
		// The anonymize Pipeline is not safe for concurrent use; its
		// results do not depend on the order of Observe or Apply calls.
		var mu sync.Mutex
		err := b.timed("encode+observe", func() error {
			pc := b.prog.begin("encode", 0, rawRows)
			return b.forSplits(ctx, func(ctx context.Context, s *splitState) error {
				err := b.encodeSplit(ctx, s, pc, nil, func(rec arrow.RecordBatch) error {
					mu.Lock()
					err := b.anon.Observe(rec)
					mu.Unlock()
					if err != nil {
						return err
					}
					return s.enc.Write(rec)
				})
				s.raw.Remove()
				if err != nil {
					return err
				}
				return s.enc.Close()
			})
		})
		if err != nil {
			return err
		}
		b.anon.Freeze()
		err = b.timed("anonymize+write", func() error {
			pc := b.prog.begin("anonymize", 0, rawRows)
			return b.forSplits(ctx, func(ctx context.Context, s *splitState) error {
				write := b.write(s)
				err := pipeline(ctx, func(ctx context.Context, emit func(arrow.RecordBatch) error) error {
					return s.enc.Drain(ctx, b.mem, emit)
				}, func(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
					mu.Lock()
					out, err := b.anon.Apply(rec)
					mu.Unlock()
					if err != nil {
						return nil, fmt.Errorf("anonymizing %s: %w", s.name, err)
					}
					return b.label(out)
				}, func(rec arrow.RecordBatch) error {
					pc.rows.Add(rec.NumRows())
					return write(rec)
				})
				s.enc.Remove()
				return err
			})
		})
		if err != nil {
			return err
		}
	}
	b.prog.end()
	for _, s := range b.splits {
		if s.written == 0 {
			if err := b.writeEmpty(s); err != nil {
				return err
			}
		}
	}
	if b.o.MemProfile != "" {
		// After the last batch, before the shards are closed: the point
		// of the largest live heap.
		if err := writeHeapProfile(b.o.MemProfile); err != nil {
			return err
		}
	}
	for _, s := range b.splits {
		paths, err := s.shards.Close()
		if err != nil {
			return err
		}
		s.paths = paths
		cs := b.card.split(s.name)
		cs.shards = len(paths)
		for _, p := range paths {
			if fi, err := os.Stat(p); err == nil {
				cs.bytes += fi.Size()
			}
		}
	}
	var anonReport any
	if b.anon != nil {
		err := b.timed("verify", func() error {
			var all []string
			for _, s := range b.splits {
				all = append(all, s.paths...)
			}
			return b.anon.VerifyShards(ctx, all)
		})
		if err != nil {
			return err
		}
		rep, err := b.anon.Finish(filepath.Join(b.tmp, "reproduction"))
		if err != nil {
			return err
		}
		if anonReport, err = snakeKeys(rep); err != nil {
			return err
		}
	}
	return b.writeMeta(anonReport)
}

// parseAll is pass 1: every input set is parsed once into the raw spills
// and the lineage graph, train rows strictly before test rows.
func (b *builder) parseAll(ctx context.Context) error {
	train, test := b.split(splitTrain), b.split(splitTest)
	var pending *splitState // test rows whose lineage registration waits for all train rows
	for _, set := range b.sets {
		pc := b.prog.begin("parse "+set.name, set.bytes, 0)
		p, err := b.newParser(func(n int) { pc.bytes.Add(int64(n)) })
		if err != nil {
			return err
		}
		var route func(arrow.RecordBatch) error
		switch set.name {
		case splitTrain:
			route = func(rec arrow.RecordBatch) error { return b.addRaw(train, rec, true) }
		case splitTest:
			route = func(rec arrow.RecordBatch) error { return b.addRaw(test, rec, true) }
		default:
			route = func(rec arrow.RecordBatch) error { return b.routeByTime(ctx, rec, train, test) }
			pending = test
		}
		if err := parseFiles(ctx, p, set.files, pc, route); err != nil {
			return err
		}
		st := p.Stats()
		if err := st.Check(); err != nil {
			return fmt.Errorf("%s inputs: %w", set.name, err)
		}
		b.parserStats[set.name] = st
		if set.name == splitTrain || set.name == "all" {
			b.seeded = b.graph.Len()
		}
	}
	b.prog.end()
	for _, s := range b.splits {
		if err := s.raw.Close(); err != nil {
			return err
		}
	}
	if pending != nil && pending.raw.rows > 0 {
		// Split by time: the test rows were spilled only; register them
		// now that every train row is in the graph.
		pc := b.prog.begin("lineage test", 0, pending.raw.rows)
		err := pending.raw.Read(ctx, b.mem, func(rec arrow.RecordBatch) error {
			defer rec.Release()
			pc.rows.Add(rec.NumRows())
			return b.graph.AddBatch(rec)
		})
		if err != nil {
			return fmt.Errorf("lineage of the test rows: %w", err)
		}
	}
	return nil
}

// addRaw spills a raw batch of split s and, when register is set, adds
// its processes to the lineage graph.
func (b *builder) addRaw(s *splitState, rec arrow.RecordBatch, register bool) error {
	if rec.NumRows() == 0 {
		return nil
	}
	if register {
		if err := b.graph.AddBatch(rec); err != nil {
			return fmt.Errorf("lineage: %w", err)
		}
	}
	return s.raw.Write(rec)
}

// routeByTime sends each row of rec to train (event_time < cut, lineage
// registered now) or test (spilled; registered after all train rows), and
// drops rows without an event_time, which cannot be placed (the
// reference's carve drops them from both sides). Batches that fall on one
// side, which is all but the batches at the cut for time-ordered input,
// are routed whole.
func (b *builder) routeByTime(ctx context.Context, rec arrow.RecordBatch, train, test *splitState) error {
	if test == nil {
		return b.addRaw(train, rec, true)
	}
	et, ok := colByName(rec, colEventTime).(*array.Timestamp)
	if !ok {
		return fmt.Errorf("raw batch without a timestamp %s column", colEventTime)
	}
	n := et.Len()
	var nTrain, nTest int
	for i, v := range et.TimestampValues() {
		switch {
		case et.IsNull(i):
		case int64(v) < b.cut:
			nTrain++
		default:
			nTest++
		}
	}
	b.noTime += int64(n - nTrain - nTest)
	switch {
	case nTrain == n:
		return b.addRaw(train, rec, true)
	case nTest == n:
		return b.addRaw(test, rec, false)
	}
	for _, side := range []struct {
		s        *splitState
		n        int
		register bool
		want     func(int64) bool
	}{
		{train, nTrain, true, func(t int64) bool { return t < b.cut }},
		{test, nTest, false, func(t int64) bool { return t >= b.cut }},
	} {
		if side.n == 0 {
			continue
		}
		mb := array.NewBooleanBuilder(b.mem)
		mb.Reserve(n)
		for i, v := range et.TimestampValues() {
			mb.UnsafeAppend(et.IsValid(i) && side.want(int64(v)))
		}
		mask := mb.NewBooleanArray()
		mb.Release()
		part, err := compute.FilterRecordBatch(ctx, rec, mask, compute.DefaultFilterOptions())
		mask.Release()
		if err != nil {
			return fmt.Errorf("splitting a batch at the cut: %w", err)
		}
		err = b.addRaw(side.s, part, side.register)
		part.Release()
		if err != nil {
			return err
		}
	}
	return nil
}

// forSplits runs fn for every split concurrently (the graph is only read
// from now on, and each split has its own Encoder, spills and shards), so
// that the splits' pipelines share the cores; the first error cancels the
// others.
func (b *builder) forSplits(ctx context.Context, fn func(context.Context, *splitState) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make([]error, len(b.splits))
	var wg sync.WaitGroup
	for i, s := range b.splits {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if errs[i] = fn(ctx, s); errs[i] != nil {
				cancel()
			}
		}()
	}
	wg.Wait()
	for _, err := range errs { // the root cause, not a cancelled sibling
		if err != nil && !errors.Is(err, context.Canceled) {
			return err
		}
	}
	return errors.Join(errs...)
}

// workers is -workers: the parser's files in parallel, and the columns an
// Encoder codes at once (a split's Encoder is sequential per batch; the
// train split, most of the rows, would otherwise leave a core idle once
// the test split is done).
func (b *builder) workers() int {
	if b.o.Workers > 0 {
		return b.o.Workers
	}
	return runtime.GOMAXPROCS(0)
}

// encodeSplit is pass 2 for one split: raw spill → Encode (→ then, when
// not nil) → sink, pipelined. pc counts the rows encoded.
func (b *builder) encodeSplit(ctx context.Context, s *splitState, pc *progressCounter, then func(arrow.RecordBatch) (arrow.RecordBatch, error), sink func(arrow.RecordBatch) error) error {
	enc, err := encode.New(b.defs, b.graph, encode.WithAllocator(b.mem), encode.WithWorkers(b.workers()))
	if err != nil {
		return err
	}
	defer enc.Release()
	err = pipeline(ctx, func(ctx context.Context, emit func(arrow.RecordBatch) error) error {
		return s.raw.Drain(ctx, b.mem, emit)
	}, func(raw arrow.RecordBatch) (arrow.RecordBatch, error) {
		out, err := enc.Encode(raw)
		raw.Release()
		if err != nil {
			return nil, fmt.Errorf("encoding %s: %w", s.name, err)
		}
		if then != nil {
			return then(out)
		}
		return out, nil
	}, func(rec arrow.RecordBatch) error {
		pc.rows.Add(rec.NumRows())
		return sink(rec)
	})
	s.encStats = enc.Stats()
	return err
}

// label appends is_attack and technique_id (when there are labels and
// label columns are wanted); it takes ownership of rec.
func (b *builder) label(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
	if b.set == nil || b.o.NoLabelColumns {
		return rec, nil
	}
	out, err := b.set.AppendLabels(rec, b.mem)
	rec.Release()
	if err != nil {
		return nil, fmt.Errorf("labelling: %w", err)
	}
	return out, nil
}

// writeEmpty gives an empty split one shard with no rows, so that the
// split still exists for readers (a glob over test-*.parquet finds it) and
// carries the schema. The schema comes from pushing an empty batch through
// the same stages as the data.
func (b *builder) writeEmpty(s *splitState) error {
	sc := b.defs.EncodedSchema()
	cols := make([]arrow.Array, sc.NumFields())
	for i, f := range sc.Fields() {
		cols[i] = array.MakeArrayOfNull(b.mem, f.Type, 0)
		defer cols[i].Release()
	}
	rec := array.NewRecordBatch(sc, cols, 0)
	if b.anon != nil {
		var err error
		if rec, err = b.anon.Apply(rec); err != nil {
			return fmt.Errorf("anonymizing the empty %s split: %w", s.name, err)
		}
	}
	rec, err := b.label(rec)
	if err != nil {
		return err
	}
	defer rec.Release()
	return s.shards.WriteEmpty(rec.Schema())
}

// write returns the sink that writes split s's final batches and feeds
// the datacard.
func (b *builder) write(s *splitState) func(arrow.RecordBatch) error {
	cs := b.card.split(s.name)
	return func(rec arrow.RecordBatch) error {
		if err := b.card.add(cs, rec); err != nil {
			return err
		}
		s.written += rec.NumRows()
		return s.shards.Write(rec)
	}
}
