// Package baseline provides the paper's two classical detectors, fitted
// on the benign events of an encoded training split and scoring events
// one at a time or in batches: a trigram language model of each process's
// event tokens ([Ngram]) and an IsolationForest on the per-event feature
// columns ([IForest]). They are the floor other detectors are compared
// against, and a live service can score with them as they are.
//
//	m, _ := baseline.LoadNgram(f)          // a fitted model file (examples/baseline writes one)
//	sc := m.NewScorer()                    // per-process context: s := sc.Score(procExecID, token)
//	limit, _ := m.ScoreQuantile(0.999)     // alert when s exceeds the benign training tail
//
// # The n-gram
//
// Fitting takes the encoded training split, its batches in event-time
// order:
//
//	tr, _ := baseline.NewNgramTrainer()
//	for _, rec := range trainBatches { tr.AddRecord(rec, isAttack) } // only benign rows are fitted on
//	m, _ := tr.Fit()
//
// [Ngram] is the reference's NgramScorer (ryypow/dendroaspis,
// src/core/v0_2_baselines/ngram_scorer.py): the sequence of a process
// (events with the same proc_exec_id, in event-time order) is modelled as
// a trigram language model over the encoded table's token column, with
// Laplace smoothing α = 1.0 over the training vocabulary and stupid
// backoff 0.4. An event's score is -log P(token | two previous tokens of
// its process): the trigram estimate if that pair was seen as a context in
// training, else 0.4 times the bigram estimate if the previous token was,
// else the unigram estimate (times 0.4² after a backoff, times 1 for a
// process's first event). A token not seen in training falls into one
// out-of-vocabulary bucket. Scores are float32, as the reference stores
// them. Only benign events are fitted on.
//
// An [NgramTrainer] keeps the training sequences; an [NgramScorer] keeps
// the two previous token codes of each live process, bounded (least
// recently scored process evicted first; see [NgramScorer]) and
// checkpointable, so that a service scores an event as it arrives and
// gets exactly what the reference's batch scoring gives for the same
// order. [Ngram.Code] turns a token into the code [NgramScorer.ScoreCode]
// takes.
//
// # The IsolationForest
//
// [IForest] is scikit-learn's IsolationForest as the reference uses it
// (isoforest_scorer.py, isoforest_flat_scorer.py): 200 trees, each grown
// on 256 rows (max_samples "auto") drawn without replacement from the
// benign training rows, with random feature and threshold per split, up to
// depth 8; the score of an event is 2^(-mean path length / c(256)), the
// negated score_samples, so higher is more anomalous. Its input is one of
// two [FeatureSet]s: Rich, the 42 f_* columns of the reference's encoder,
// or Flat, the 35 left after removing the seven high-cardinality hashes,
// cast to float32 as the reference does. A [ForestTrainer] draws the rows
// by reservoir sampling while batches stream past, so its memory does not
// grow with the training split.
//
// # Alert thresholds
//
// A fitted model stores quantiles of its scores of the benign training
// events (by default the levels of [DefaultQuantileLevels], from the
// median to the 0.99999 quantile), computed as numpy's default quantile
// of the float32 scores: a score above the 0.999 quantile is rarer than
// one benign training event in a thousand. The n-gram scores every
// training event in its sequence; the IsolationForest scores a uniform
// sample of at most 100,000 benign training rows (all of them when there
// are fewer).
//
// # Parity
//
// The n-gram reproduces the reference exactly: testdata/golden (derived
// from ../shared/golden/baselines) holds the reference's scores of the
// 2,764 events of the shared sample after fitting on its 2,769 training
// events, and every score is equal (relative error 0), as is every number
// of the reference's eval payload computed from them with package
// labels/eval and of its fit diagnostics (largest relative difference
// 1.8e-16). The stored quantiles and [NgramScorer] are this package's.
// A score is float32(-log P) with P computed in float64 as the reference
// does; Go's math.Log and the C library's log the reference calls differ
// in the last bit of the float64 for a few percent of arguments (35,000 of
// a million random probabilities of this form), which moved none of those
// million across a float32 rounding boundary: a difference in a score is
// possible in principle, about once per 2^29 distinct n-gram
// probabilities, and none occurs on the shared sample.
//
// scikit-learn's random number stream cannot be reproduced, so the
// IsolationForest is held to the reference statistically. On the shared
// samples the mean per-event AUROC over seeds 0-4 is 0.7252 (rich) and
// 0.7238 (flat) against scikit-learn 1.2.1's 0.7288 and 0.7312 over its
// seeds 0-4 (the test requires 0.02; the spread across seeds is about
// ±0.01). Over 40 seeds each the means are 0.7285 and 0.7269 here against
// 0.7284 and 0.7280.
//
// # Concurrency and ownership
//
// Fitted models are immutable and safe for concurrent use; trainers and
// n-gram scorers are not (use one per goroutine). A slice of scores a
// scorer appends to is the caller's.
//
// # Cost
//
// Scoring an n-gram event costs a lookup of its process (skipped when it
// continues the previous event's process) and of its token; the model is
// an automaton over contexts, so a trigram or bigram seen in training
// costs a short search among its context's successors and no further
// lookup. An IsolationForest event costs 200 tree walks of depth 8, four
// at a time. BENCHMARKS.md has the measured rates.
//
// # Format
//
// [Ngram.WriteTo] and [IForest.WriteTo] save a model in a versioned,
// checksummed binary format (see [FormatVersion]); [Load] reads either
// kind, [LoadNgram] and [LoadIForest] one. [NgramScorer.WriteTo] saves a
// scorer's process contexts in the same framing, bound to the model's
// [Ngram.ID]. Loading never trusts the input: a file that is not one, of
// another version, truncated, damaged or inconsistent gives a
// [*FormatError] naming the byte offset and wrapping a sentinel error.
package baseline
