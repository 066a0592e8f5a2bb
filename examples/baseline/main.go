// Command baseline fits one of the paper's classical detectors on a
// corpus's train split, scores its test split, and evaluates the scores
// as the reference's baseline evaluator does:
//
//	go run ./examples/baseline -corpus DIR -model ngram -out OUT
//	go run ./examples/baseline -corpus DIR -labels labels.csv -model iforest -out OUT
//
// DIR is a corpus as examples/corpus writes it: the shards
// DIR/data/train-*.parquet and DIR/data/test-*.parquet (the encoded
// table; only the columns the model reads are loaded) and, by default,
// the labels DIR/labels.csv. -model is ngram (the trigram language model
// of process token sequences), iforest (IsolationForest on the 42 rich
// feature columns) or iforest-flat (on the 35 flat ones); see package
// baseline.
//
// As the reference's loaders, each split is ordered by event_time (a
// stable sort: ties keep file order); rows without an event_time cannot
// be placed and are left out, and counted in eval.json. Events are
// labelled by time from the labels file (package labels), and attack
// events of the train split are left out of the fit. The n-gram is fitted
// on the train rows in that order; the IsolationForest on the train rows
// in file order, read batch by batch (the rows its trees draw are a
// uniform sample whatever the order), so only the n-gram holds its train
// split in memory.
//
// # Output
//
//	OUT/eval.json           the reference's eval payload: auroc, ap, ci95_lo, ci95_hi,
//	                        tpr_at_1pct_fpr, per_window_auroc, n_test_events, n_attack_events,
//	                        n_windows, n_attack_windows, per_technique; plus the fit
//	                        diagnostics (fit), n_train_events,
//	                        n_train_attack_events_excluded_from_fit,
//	                        rows_without_event_time_left_out, the per-window AUROC under
//	                        each aggregator of the paper's Table IV, the model's ID and
//	                        stored quantiles, and timings
//	OUT/scores.parquet      event_time, proc_exec_id, score (float32), is_attack, technique_id,
//	                        one row per evaluated event, in evaluated order
//	OUT/per_technique.csv   the reference's per-technique score distribution
//	OUT/model.bin           the fitted model (baseline.Load reads it)
//	OUT/roc.svg             the ROC curve
//	OUT/per_technique.svg   per-technique AUROC
//
// On the corpus built from the shared samples (see the README of
// ../shared/golden, with -labels), eval.json's numbers equal the
// reference's (../shared/golden/baselines/ngram.sample-small.eval.json);
// the bootstrap interval is this library's (numpy's random draws cannot
// be reproduced).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/labels/eval"
)

func main() {
	o, err := parseFlags(os.Args[1:])
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(2)
	}
	res, err := run(context.Background(), o, os.Stderr)
	if err == nil {
		err = writeOutputs(o.out, o, res)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "baseline:", err)
		os.Exit(1)
	}
	r := res.report
	fmt.Fprintf(os.Stderr, "baseline: %v AUROC %.4f [%.4f, %.4f], AP %.4f, TPR@1%%FPR %.4f, per-window AUROC %.4f (%d windows); wrote %s\n",
		o.kind, r.AUROC, r.CILo, r.CIHi, r.AP, r.TPRAt1PctFPR, r.PerWindowAUROC, r.Windows, o.out)
}

func parseFlags(args []string) (options, error) {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	corpus := fs.String("corpus", "", "corpus directory (with data/train-*.parquet, data/test-*.parquet)")
	labelsPath := fs.String("labels", "", "labels CSV (default: CORPUS/labels.csv)")
	model := fs.String("model", "ngram", "ngram, iforest or iforest-flat")
	out := fs.String("out", "", "output directory")
	seed := fs.Uint64("seed", 0, "IsolationForest random seed")
	resamples := fs.Int("bootstrap", eval.DefaultResamples, "bootstrap resamples of the AUROC confidence interval")
	bootSeed := fs.Uint64("bootstrap-seed", 0, "bootstrap seed")
	window := fs.Int("window", eval.DefaultWindowSize, "per-window AUROC: events per window")
	stride := fs.Int("stride", eval.DefaultWindowStride, "per-window AUROC: stride")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected arguments %q", fs.Args())
	}
	if *corpus == "" || *out == "" {
		return options{}, errors.New("-corpus and -out are required")
	}
	kind, err := baseline.ParseKind(*model)
	if err != nil {
		return options{}, err
	}
	if *resamples < 1 || *window < 1 || *stride < 1 {
		return options{}, errors.New("-bootstrap, -window and -stride must be positive")
	}
	o := options{corpus: *corpus, labels: *labelsPath, out: *out, kind: kind, seed: *seed}
	if o.labels == "" {
		o.labels = filepath.Join(o.corpus, "labels.csv")
	}
	o.bootstrap = eval.Bootstrap{Resamples: *resamples, Seed: *bootSeed}
	o.windows = eval.ReferenceWindows()
	o.windows.Size, o.windows.Stride = *window, *stride
	return o, nil
}
