package corpus

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"time"

	"github.com/apache/arrow-go/v18/arrow"
	"github.com/apache/arrow-go/v18/arrow/array"
	"github.com/tetrahids/tetrahids/anonymize"
	"github.com/tetrahids/tetrahids/encode"
	"github.com/tetrahids/tetrahids/internal/numfmt"
	"github.com/tetrahids/tetrahids/lineage"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// maxLineErrorExamples bounds the unreadable lines quoted in stats.json.
const maxLineErrorExamples = 20

// Result summarizes a finished build.
type Result struct {
	Out        string        // the output directory (absolute)
	Splits     []SplitResult // in output order
	Lines      int64         // input lines read
	InputBytes int64         // input size on disk
	OutBytes   int64         // output size on disk
	Elapsed    time.Duration // the build's wall-clock time
	Anonymized bool          // whether the shards were anonymized
	LineageOut string        // the lineage graph's file (absolute), or ""
	// PrivateAliasMap is the full alias map's file (absolute), or "".
	PrivateAliasMap string
}

// String says in one line what was written, and how fast: "wrote
// /data/corpus (train 5,000 rows in 1 shard, test 1,000 rows in 1 shard;
// anonymized, 0.3 MB) from 6,000 lines (2.1 MB) in 1.2 s: 5,000 events/s,
// 1.8 MB/s".
func (r *Result) String() string {
	var parts []string
	for _, s := range r.Splits {
		parts = append(parts, fmt.Sprintf("%s %s in %s", s.Name, numfmt.Count(s.Rows, "row", "rows"), numfmt.Count(int64(len(s.Shards)), "shard", "shards")))
	}
	anon := "anonymized"
	if !r.Anonymized {
		anon = "NOT anonymized"
	}
	sec := r.Elapsed.Seconds()
	return fmt.Sprintf("wrote %s (%s; %s, %.1f MB) from %s (%.1f MB) in %.1f s: %s events/s, %.1f MB/s",
		r.Out, strings.Join(parts, ", "), anon, float64(r.OutBytes)/1e6, numfmt.Count(r.Lines, "line", "lines"), float64(r.InputBytes)/1e6,
		sec, numfmt.Group(int64(float64(r.Lines)/sec)), float64(r.InputBytes)/1e6/sec)
}

// SplitResult is one split's output.
type SplitResult struct {
	Name   string   // SplitTrain or SplitTest
	Rows   int64    // rows written
	Shards []string // absolute paths, in order
}

// Build builds the corpus cfg describes into cfg.Out and says what it
// wrote. It checks cfg first, before anything is written (a *ConfigError
// names the field it cannot use). It then parses the inputs, builds the
// lineage graph (every train row before any test row), encodes, labels,
// anonymizes (unless cfg.NoAnonymize) and writes the Parquet shards of
// each split, reads the shards back to check them for leaks
// (*LeakCheckError), and writes labels.csv, reproduction/ (the feature
// definitions, the alias map), stats.json, datacard.md and README.md, and
// checks every one of those files too (VerifyFiles); with cfg.LineageOut,
// the train split's lineage graph too, and with cfg.PrivateAliasMap the
// full alias map. Out is locked for the build (ErrLocked, or wait with
// cfg.WaitForLock). Everything goes to a temporary directory beside Out,
// fsynced and swapped into place only when the build has succeeded: on any
// error, or when ctx is done, nothing is left behind but the lock file and
// a previous corpus in Out is untouched. Progress goes to cfg.OnProgress,
// warnings to cfg.OnWarning.
// Build is NewPlan followed by Plan.Build.
func Build(ctx context.Context, cfg Config) (*Result, error) {
	p, err := NewPlan(cfg)
	if err != nil {
		return nil, err
	}
	return p.Build(ctx)
}

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
//  4. re-check the written shards (anonymized builds), write the alias
//     map, stats.json and datacard.md, check every other file
//     (anonymized builds), and move the directory into place.
type builder struct {
	*Plan
	sets []inputSet
	// spillBudget is the memory the spills share.
	spillBudget *spillBudget
	meter       *meter
	tmp         string // the temporary output directory, renamed to out at the end
	work        string // tmp/.work: spills and the sample's input
	lineageTmp  string // the lineage graph's temporary file, renamed at the end
	privateTmp  string // the full alias map's temporary file, renamed at the end
	anon        *anonymize.Pipeline

	graph  *lineage.Graph
	seeded int
	splits []*splitState

	parserStats  map[string]tetraparse.Stats
	noTime       int64 // rows without event_time, dropped by the cut
	lineErrMu    sync.Mutex
	lineErrCount int64
	lineErrs     []string
	card         *Card
	timings      []timing
	start        time.Time
}

// splitState is one split's spills, encoder counters and output.
type splitState struct {
	name     string
	raw      *spill
	enc      *spill // encoded batches, anonymized builds only
	encStats encode.Stats
	shards   *ShardWriter
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

// Build runs the build: it parses the inputs, builds the lineage, encodes,
// labels, anonymizes and writes the shards, checks them, and writes the
// reproduction files, labels.csv, stats.json, datacard.md and README.md
// into a temporary directory beside Config.Out, which it renames into
// place only when everything succeeded. On any error, or when ctx is done,
// nothing is left behind and a previous Out is untouched. A Plan can be
// built more than once, never twice at the same time.
func (p *Plan) Build(ctx context.Context) (*Result, error) {
	switch {
	case p.cfg.Out == "":
		return nil, configErr("Out", "must name a directory")
	case !p.cfg.Sample && len(p.sets) == 0:
		return nil, configErr("In", "no inputs: name In, or TrainIn and TestIn, or set Sample")
	}
	// Out may have changed since NewPlan (and again while waiting for
	// its lock).
	if _, err := checkOut(p.cfg); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(p.out), 0o755); err != nil {
		return nil, err
	}
	lock, err := lockOut(ctx, p.out, p.cfg.WaitForLock, p.cfg.warn)
	if err != nil {
		return nil, err
	}
	defer lock.unlock()
	if err := cleanStale(p.out, p.cfg.warn); err != nil {
		return nil, err
	}
	p.cfg.hookStep(stepLocked)
	if _, err := checkOut(p.cfg); err != nil {
		return nil, err
	}
	b := &builder{Plan: p, sets: p.sets, meter: newMeter(p.cfg.OnProgress, p.cfg.ProgressInterval),
		parserStats: map[string]tetraparse.Stats{}, start: time.Now()}
	defer b.meter.end()
	if b.tmp, err = makeTempOut(p.out); err != nil {
		return nil, err
	}
	committed := false
	defer func() {
		if !committed {
			os.RemoveAll(b.tmp)
			if b.lineageTmp != "" {
				os.Remove(b.lineageTmp)
			}
			if b.privateTmp != "" {
				os.Remove(b.privateTmp)
			}
		}
	}()
	b.work = filepath.Join(b.tmp, ".work")
	if p.cfg.Sample {
		sp, _, _ := loadSampleParams()
		dir := filepath.Join(b.work, "sample")
		if err := writeSample(dir, sp); err != nil {
			return nil, fmt.Errorf("generating the built-in sample: %w", err)
		}
		set, err := expandInputs(splitAll, []string{dir})
		if err != nil {
			return nil, err
		}
		b.sets = []inputSet{set}
	}
	for _, name := range p.splits {
		b.splits = append(b.splits, &splitState{name: name})
	}
	if b.anon, err = p.NewAnonymizer(); err != nil {
		return nil, err
	}
	if err := b.run(ctx); err != nil {
		return nil, err
	}
	if err := os.RemoveAll(b.work); err != nil {
		return nil, err
	}
	if err := b.verifyFiles(ctx); err != nil {
		return nil, err
	}
	res := b.result()
	if err := commitOut(b.tmp, p.out, &p.cfg); err != nil {
		return nil, fmt.Errorf("moving the corpus into place: %w", err)
	}
	committed = true
	for i := range res.Splits {
		for k, path := range res.Splits[i].Shards {
			res.Splits[i].Shards[k] = filepath.Join(p.out, "data", filepath.Base(path))
		}
	}
	if b.lineageTmp != "" {
		if err := os.Rename(b.lineageTmp, p.lineage); err != nil {
			os.Remove(b.lineageTmp)
			return nil, fmt.Errorf("moving the lineage graph into place: %w", err)
		}
		res.LineageOut = p.lineage
	}
	if b.privateTmp != "" {
		if err := os.Rename(b.privateTmp, p.private); err != nil {
			os.Remove(b.privateTmp)
			return nil, fmt.Errorf("moving the full alias map into place: %w", err)
		}
		res.PrivateAliasMap = p.private
	}
	return res, nil
}

// newParser returns the parser of one input set; onRead counts the input
// bytes read, for the progress meter.
func (b *builder) newParser(onRead func(int)) (*tetraparse.Parser, error) {
	c := b.ParserConfig()
	c.TempDir, c.OnLineError, c.OnRead = b.work, b.lineError, onRead
	return tetraparse.New(c)
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
	if err := os.MkdirAll(b.work, 0o700); err != nil { // raw rows: the owner's only
		return err
	}
	if err := os.MkdirAll(filepath.Join(b.tmp, "reproduction"), 0o755); err != nil {
		return err
	}
	b.spillBudget = newSpillBudget(b.cfg.SpillMemory)
	p, err := b.newParser(nil)
	if err != nil {
		return err
	}
	for _, s := range b.splits {
		var err error
		if s.raw, err = newSpill(filepath.Join(b.work, s.name+".raw.arrows"), p.Schema(), b.cfg.SpillCompression, b.spillBudget); err != nil {
			return err
		}
		defer s.raw.Remove()
	}
	b.graph = lineage.New()
	if err := b.timed("parse", func() error { return b.parseAll(ctx) }); err != nil {
		return err
	}
	if err := b.checkParsed(); err != nil {
		return err
	}

	b.card = b.NewCard(b.Plan.splits...)
	dataDir := filepath.Join(b.tmp, "data")
	if err := os.MkdirAll(dataDir, 0o755); err != nil {
		return err
	}
	for _, s := range b.splits {
		s.shards = b.NewShardWriter(dataDir, s.name)
		defer s.shards.Abort()
	}
	var rawRows int64
	for _, s := range b.splits {
		rawRows += s.raw.rows
	}
	if b.anon == nil {
		err := b.timed("encode+write", func() error {
			pc := b.meter.begin(StageEncode, "", 0, rawRows)
			return b.forSplits(ctx, func(ctx context.Context, s *splitState) error {
				err := b.encodeSplit(ctx, s, pc, b.Label, b.write(s))
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
			if s.enc, err = newSpill(filepath.Join(b.work, s.name+".encoded.arrows"), b.defs.EncodedSchema(), b.cfg.SpillCompression, b.spillBudget); err != nil {
				return err
			}
			defer s.enc.Remove()
		}
		// The anonymize Pipeline is not safe for concurrent use; its
		// results do not depend on the order of Observe or Apply calls.
		var mu sync.Mutex
		err := b.timed("encode+observe", func() error {
			pc := b.meter.begin(StageEncode, "", 0, rawRows)
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
			pc := b.meter.begin(StageAnonymize, "", 0, rawRows)
			return b.forSplits(ctx, func(ctx context.Context, s *splitState) error {
				write := b.write(s)
				err := pipeline(ctx, func(ctx context.Context, emit func(arrow.RecordBatch) error) error {
					return s.enc.Drain(ctx, b.mem, emit)
				}, func(rec arrow.RecordBatch) (arrow.RecordBatch, error) {
					mu.Lock()
					out, err := b.anon.Apply(rec)
					mu.Unlock()
					rec.Release()
					if leak := (*anonymize.LeakError)(nil); errors.As(err, &leak) {
						return nil, &LeakCheckError{Split: s.name, Err: err}
					} else if err != nil {
						return nil, fmt.Errorf("anonymizing %s: %w", s.name, err)
					}
					return b.Label(out)
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
	b.meter.end()
	for _, s := range b.splits {
		if s.written == 0 {
			if err := b.writeEmpty(s); err != nil {
				return err
			}
		}
	}
	for _, s := range b.splits {
		paths, err := s.shards.Close()
		if err != nil {
			return err
		}
		s.paths = paths
		if err := b.card.AddShards(s.name, paths); err != nil {
			return err
		}
	}
	var anonReport any
	if b.anon != nil {
		err := b.timed("verify", func() error {
			var all []string
			for _, s := range b.splits {
				all = append(all, s.paths...)
			}
			return VerifyShards(ctx, b.anon.Verifier(), all, b.mem)
		})
		if err != nil {
			return err
		}
		if anonReport, err = b.releaseAliasMap(); err != nil {
			return err
		}
	}
	// Every other file of the release is checked (verifyFiles) once the
	// work directory is gone.
	return b.writeMeta(anonReport)
}

// parseAll is pass 1: every input set is parsed once into the raw spills
// and the lineage graph, train rows strictly before test rows.
func (b *builder) parseAll(ctx context.Context) error {
	train, test := b.split(SplitTrain), b.split(SplitTest)
	var pending *splitState // test rows whose lineage registration waits for all train rows
	if train == nil {
		// No train split: the graph a test-time service starts from is
		// empty.
		if err := b.writeLineage(); err != nil {
			return err
		}
	}
	for _, set := range b.sets {
		pc := b.meter.begin(StageParse, set.name, set.bytes, 0)
		p, err := b.newParser(func(n int) { pc.bytes.Add(int64(n)) })
		if err != nil {
			return err
		}
		var (
			g     *lineage.Graph // registers every batch of the set
			route func(arrow.RecordBatch) error
		)
		switch set.name {
		case SplitTrain:
			g, route = b.graph, train.raw.Write
		case SplitTest:
			g, route = b.graph, test.raw.Write
		default:
			route = func(rec arrow.RecordBatch) error { return b.routeByTime(ctx, rec, train, test) }
			pending = test
		}
		for rec, err := range Parse(ctx, p, set.files, g) {
			if err != nil {
				return fmt.Errorf("%s inputs: %w", set.name, err)
			}
			pc.rows.Add(rec.NumRows())
			if err := route(rec); err != nil {
				return err
			}
		}
		b.parserStats[set.name] = p.Stats()
		if set.name == SplitTrain || set.name == splitAll {
			b.seeded = b.graph.Len()
			if err := b.writeLineage(); err != nil {
				return err
			}
		}
	}
	b.meter.end()
	for _, s := range b.splits {
		if err := s.raw.Close(); err != nil {
			return err
		}
	}
	if pending != nil && pending.raw.rows > 0 {
		// Split by time: the test rows were spilled only; register them
		// now that every train row is in the graph.
		pc := b.meter.begin(StageLineage, SplitTest, 0, pending.raw.rows)
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

// routeByTime sends the rows of rec before the cut to train (registered
// in the lineage graph now) and the others to test (spilled; registered
// after all train rows); CutBatch drops rows without an event_time, which
// cannot be placed (the reference's carve drops them from both sides).
func (b *builder) routeByTime(ctx context.Context, rec arrow.RecordBatch, train, test *splitState) error {
	if test == nil {
		if err := b.graph.AddBatch(rec); err != nil {
			return fmt.Errorf("lineage: %w", err)
		}
		return train.raw.Write(rec)
	}
	before, after, untimed, err := CutBatch(ctx, rec, time.Unix(0, b.cut), b.mem)
	if err != nil {
		return err
	}
	b.noTime += int64(untimed)
	if before != nil {
		defer before.Release()
		if err := b.graph.AddBatch(before); err != nil {
			return fmt.Errorf("lineage: %w", err)
		}
		if err := train.raw.Write(before); err != nil {
			return err
		}
	}
	if after != nil {
		defer after.Release()
		return test.raw.Write(after)
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

// runtimeWorkers is the default of Config.Workers: the parser's files in
// parallel, and the columns an Encoder codes at once (a split's Encoder
// is sequential per batch; the train split, most of the rows, would
// otherwise leave a core idle once the test split is done).
func runtimeWorkers() int { return runtime.GOMAXPROCS(0) }

// encodeSplit is pass 2 for one split: raw spill → Encode (→ then, when
// not nil) → sink, pipelined. pc counts the rows encoded.
func (b *builder) encodeSplit(ctx context.Context, s *splitState, pc *meterCounter, then func(arrow.RecordBatch) (arrow.RecordBatch, error), sink func(arrow.RecordBatch) error) error {
	enc, err := b.NewEncoder(b.graph)
	if err != nil {
		return err
	}
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

// writeEmpty gives an empty split one shard with no rows. The schema comes
// from pushing an empty batch through the same stages as the data.
func (b *builder) writeEmpty(s *splitState) error {
	sc := b.defs.EncodedSchema()
	cols := make([]arrow.Array, sc.NumFields())
	for i, f := range sc.Fields() {
		cols[i] = array.MakeArrayOfNull(b.mem, f.Type, 0)
		defer cols[i].Release()
	}
	rec := array.NewRecordBatch(sc, cols, 0)
	if b.anon != nil {
		out, err := b.anon.Apply(rec)
		rec.Release()
		if err != nil {
			return fmt.Errorf("anonymizing the empty %s split: %w", s.name, err)
		}
		rec = out
	}
	rec, err := b.Label(rec)
	if err != nil {
		return err
	}
	defer rec.Release()
	return s.shards.WriteEmpty(rec.Schema())
}

// write returns the sink that writes split s's final batches and feeds
// the datacard.
func (b *builder) write(s *splitState) func(arrow.RecordBatch) error {
	return func(rec arrow.RecordBatch) error {
		if err := b.card.Add(s.name, rec); err != nil {
			return err
		}
		s.written += rec.NumRows()
		return s.shards.Write(rec)
	}
}
