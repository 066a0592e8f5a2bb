// Package eval computes the detection metrics the paper reports (its
// Tables II–IV), from per-event anomaly scores (float64, higher = more
// anomalous) and the ground truth that package labels produces, with the
// reference evaluator's definitions:
//
//	isAttack, technique := set.Expand(set.Label(times))
//	rep, err := eval.Evaluate(scores, isAttack, technique, eval.Options{})
//	out, _ := json.MarshalIndent(rep, "", "  ") // the reference's eval JSON fields
//
// The parts, each usable alone:
//
//   - [AUROC]: per-event area under the ROC curve, and [PerEvent], which
//     adds a percentile-bootstrap confidence interval ([Bootstrap]).
//   - [AveragePrecision]: scikit-learn's average_precision_score.
//   - [ROC] and [TPRAtFPR]: scikit-learn's roc_curve and the reference's
//     TPR at a target false positive rate (1 % in the paper).
//   - [PerTechnique]: one AUROC per ATT&CK technique, over all benign
//     events plus that technique's attack events, with the reference's
//     50-event minimum below which a technique is marked skipped.
//   - [PerWindow]: AUROC over sliding windows of events ([Windows]), a
//     window being an attack if any of its events is, scored by one of the
//     seven [Aggregator]s of the paper's aggregator ablation: max, mean,
//     median, p90, p95, top-5-mean, top-10-mean.
//   - [Evaluate] and [Report]: all of the above as the reference's eval
//     payload, which marshals to JSON under the reference's names.
//
// # Windows
//
// Windows follow the reference data loader: they start at event 0 and
// advance by Stride events, and only full windows are formed (start+Size
// <= n), so up to Stride-1 trailing events fall in no window and fewer than
// Size events give an error wrapping [ErrTooFewEvents]. Events are taken in
// the order given, which should be event-time order as in the reference.
// The reference's per-event scores are float32 and so are its window
// scores; [Windows.Float32] reproduces that: each aggregator is computed
// with numpy's float32 arithmetic (np.mean's pairwise float32 sum,
// np.percentile's float32 difference and float64 interpolation, top-k as
// the mean of the top of np.sort) and the window score is stored as a
// float32. [ReferenceWindows] is the reference's protocol.
//
// # Reproducibility
//
// The bootstrap resamples events with replacement, B times (1000 by
// default, as the reference), and takes the 2.5th and 97.5th percentiles of
// the resampled AUROCs with numpy's default (linear) interpolation.
// Resample r draws from a PCG generator seeded with (Seed, r), and the
// events are resampled in their (score, label) order, so a CI depends only
// on the seed, the number of resamples and the multiset of (score, label)
// pairs: not on the input order, nor on the number of worker goroutines.
// It cannot equal the reference's numbers digit for digit (numpy's
// generator differs), only statistically.
// # Parity
//
// AUROC is computed as the Mann–Whitney U statistic, U / (P·N), over the
// events sorted by score once: a (positive, negative) pair counts 1 if the
// positive scores higher and 1/2 if they tie, which is what average ranks
// give and what scikit-learn's roc_auc_score (the reference) computes by
// trapezoids. The count is kept in integers (2U), so the only rounding is
// the final division; scikit-learn's sum of trapezoids can differ in the
// last bits. It is undefined when either class is absent: the functions
// then return an error wrapping [ErrOneClass] instead of NaN, and reject
// NaN scores with [ErrNaN] (scikit-learn raises on both). Infinite scores
// are ordinary values.
//
// Average precision, the ROC curve and TPR at a target FPR reproduce
// scikit-learn 1.2 bit for bit: ties form one threshold, the curve drops
// collinear points as roc_curve does by default (which can lower a TPR
// read at a fixed FPR), and sums are taken in numpy's pairwise order.
// testdata/sklearn.json holds scikit-learn's own results for the tests.
//
// # Concurrency and ownership
//
// The functions are pure: they read the slices they are given, never
// change or keep them, and may run concurrently. What they return is the
// caller's. [Bootstrap] spreads its resamples over Workers goroutines.
//
// # Cost
//
// AUROC sorts the events once, O(n log n); the bootstrap repeats it per
// resample, in parallel; a per-window AUROC first aggregates each window
// (O(Size) per window, Stride apart); BenchmarkAUROC and
// BenchmarkResample measure the first two.
package eval
