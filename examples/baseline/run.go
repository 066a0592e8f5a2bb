package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/apache/arrow-go/v18/arrow"

	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/labels/eval"
)

const colEventTime = "event_time"

// options are the command's flags.
type options struct {
	corpus, labels, out string
	kind                baseline.Kind
	seed                uint64 // IsolationForest
	bootstrap           eval.Bootstrap
	windows             eval.Windows
}

// result is what a run computed, before it is written out.
type result struct {
	model baseline.Model
	// The test split in evaluated order.
	times     []int64
	pids      []string
	hasPID    []bool
	scores    []float32
	isAttack  []bool
	technique []string

	report     eval.Report
	byAgg      []aggResult
	trainRows  int // train rows with an event_time
	excluded   int // train attack rows left out of the fit
	noTime     [2]int
	trainNanos int64
	scoreNanos int64
}

type aggResult struct {
	agg eval.Aggregator
	res eval.WindowResult
	err error
}

// run fits the model on the corpus's train split, scores its test split
// and evaluates the scores.
func run(ctx context.Context, o options, logw io.Writer) (*result, error) {
	set, err := labels.LoadFile(o.labels)
	if err != nil {
		return nil, err
	}
	trainPaths, err := shards(o.corpus, "train")
	if err != nil {
		return nil, err
	}
	testPaths, err := shards(o.corpus, "test")
	if err != nil {
		return nil, err
	}
	res := &result{}
	start := time.Now()
	if o.kind == baseline.KindNgram {
		err = fitNgram(ctx, o, set, trainPaths, res)
	} else {
		err = fitForest(ctx, o, set, trainPaths, res)
	}
	if err != nil {
		return nil, fmt.Errorf("fit: %w", err)
	}
	res.trainNanos = time.Since(start).Nanoseconds()
	fmt.Fprintf(logw, "baseline: fitted %v on %d train events (%d attack events left out, %d without event_time) in %.1f s\n",
		o.kind, res.trainRows-res.excluded, res.excluded, res.noTime[0], time.Since(start).Seconds())

	start = time.Now()
	if err := score(ctx, set, testPaths, res); err != nil {
		return nil, fmt.Errorf("score: %w", err)
	}
	res.scoreNanos = time.Since(start).Nanoseconds()
	fmt.Fprintf(logw, "baseline: scored %d test events (%d without event_time left out) in %.1f s\n",
		len(res.scores), res.noTime[1], time.Since(start).Seconds())

	scores := make([]float64, len(res.scores))
	for i, s := range res.scores {
		scores[i] = float64(s)
	}
	w := o.windows
	res.report, err = eval.Evaluate(scores, res.isAttack, res.technique, eval.Options{Bootstrap: o.bootstrap, Windows: &w})
	if err != nil {
		return nil, fmt.Errorf("evaluate: %w", err)
	}
	for _, agg := range eval.Aggregators() {
		w.Agg = agg
		r, err := eval.PerWindow(scores, res.isAttack, w)
		res.byAgg = append(res.byAgg, aggResult{agg, r, err})
	}
	return res, nil
}

// isAttackAt labels one event time (the reference's half-open windows).
func isAttackAt(set *labels.Set, t int64) (bool, string) {
	l := set.Find(t)
	return l != labels.Benign, set.Technique(l)
}

func fitNgram(ctx context.Context, o options, set *labels.Set, paths []string, res *result) error {
	sp, err := loadSplit(ctx, paths, []string{colEventTime, baseline.ColProcExecID, baseline.ColToken})
	if err != nil {
		return err
	}
	defer sp.release()
	res.noTime[0], res.trainRows = sp.noTime, len(sp.order)
	tr, err := baseline.NewNgramTrainer()
	if err != nil {
		return err
	}
	cols, err := ngramColumns(sp.recs)
	if err != nil {
		return err
	}
	for _, r := range sp.order {
		if attack, _ := isAttackAt(set, r.time); attack {
			res.excluded++
			continue
		}
		c := cols[r.batch]
		pid, _ := c.pid(int(r.row)) // null: "", an event without a process
		if err := tr.Add(pid, c.token(int(r.row))); err != nil {
			return err
		}
	}
	m, err := tr.Fit()
	res.model = m
	return err
}

type ngramCols struct {
	pid func(int) (string, bool)
	tok func(int) (string, bool)
}

func (c ngramCols) token(i int) string {
	if t, ok := c.tok(i); ok {
		return t
	}
	return baseline.NullToken
}

func ngramColumns(recs []arrow.RecordBatch) ([]ngramCols, error) {
	out := make([]ngramCols, len(recs))
	for i, rec := range recs {
		var err error
		if out[i].pid, err = stringValues(rec, baseline.ColProcExecID); err != nil {
			return nil, err
		}
		if out[i].tok, err = stringValues(rec, baseline.ColToken); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func featureSet(k baseline.Kind) baseline.FeatureSet {
	if k == baseline.KindIForestFlat {
		return baseline.Flat
	}
	return baseline.Rich
}

// fitForest fits on the train rows in file order, streaming: the forest
// depends only on which rows its trees draw, uniformly, not on their order.
func fitForest(ctx context.Context, o options, set *labels.Set, paths []string, res *result) error {
	fs := featureSet(o.kind)
	tr, err := baseline.NewForestTrainer(fs, baseline.ForestSeed(o.seed))
	if err != nil {
		return err
	}
	cols := append([]string{colEventTime}, fs.Columns()...)
	nf := len(fs.Columns())
	var x []float32
	err = eachBatch(ctx, paths, cols, func(_ string, rec arrow.RecordBatch) error {
		times, valid, err := eventTimes(rec)
		if err != nil {
			return err
		}
		if x, err = baseline.FeatureMatrix(x, rec, fs.Columns()); err != nil {
			return err
		}
		for i, t := range times {
			if !valid[i] {
				res.noTime[0]++
				continue
			}
			res.trainRows++
			if attack, _ := isAttackAt(set, t); attack {
				res.excluded++
				continue
			}
			if err := tr.AddRow(x[i*nf : (i+1)*nf]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return err
	}
	f, err := tr.Fit()
	res.model = f
	return err
}

// score scores the test split in the reference loader's order and labels
// it.
func score(ctx context.Context, set *labels.Set, paths []string, res *result) error {
	cols := append([]string{colEventTime}, res.model.Columns()...)
	if res.model.Kind() != baseline.KindNgram {
		cols = append(cols, baseline.ColProcExecID)
	}
	sp, err := loadSplit(ctx, paths, cols)
	if err != nil {
		return err
	}
	defer sp.release()
	res.noTime[1] = sp.noTime
	n := len(sp.order)
	res.times = make([]int64, n)
	res.pids = make([]string, n)
	res.hasPID = make([]bool, n)
	res.isAttack = make([]bool, n)
	res.technique = make([]string, n)
	res.scores = make([]float32, n)
	pidCols := make([]func(int) (string, bool), len(sp.recs))
	for b, rec := range sp.recs {
		if pidCols[b], err = stringValues(rec, baseline.ColProcExecID); err != nil {
			return err
		}
	}
	for i, r := range sp.order {
		res.times[i] = r.time
		res.pids[i], res.hasPID[i] = pidCols[r.batch](int(r.row))
		res.isAttack[i], res.technique[i] = isAttackAt(set, r.time)
	}
	switch m := res.model.(type) {
	case *baseline.Ngram:
		cols, err := ngramColumns(sp.recs)
		if err != nil {
			return err
		}
		s := m.NewScorer(baseline.MaxProcesses(0)) // a finite split: no eviction
		for i, r := range sp.order {
			c := cols[r.batch]
			pid, _ := c.pid(int(r.row))
			res.scores[i] = s.Score(pid, c.token(int(r.row)))
		}
	case *baseline.IForest:
		// Score each batch whole (an event's score does not depend on the
		// others), then take the scores in evaluated order.
		byBatch := make([][]float32, len(sp.recs))
		for b, rec := range sp.recs {
			if byBatch[b], err = m.ScoreRecord(nil, rec); err != nil {
				return err
			}
		}
		for i, r := range sp.order {
			res.scores[i] = byBatch[r.batch][r.row]
		}
	}
	return nil
}
