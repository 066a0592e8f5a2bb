// Package eval computes the detection metrics the paper reports, from
// per-event anomaly scores (float64, higher = more anomalous) and the
// ground truth that package labels produces:
//
//   - [AUROC]: per-event area under the ROC curve, and [PerEvent], which
//     adds a percentile-bootstrap confidence interval ([Bootstrap]).
//   - [PerTechnique]: one AUROC per ATT&CK technique, over all benign
//     events plus that technique's attack events.
//   - [PerWindow]: AUROC over sliding windows of events ([Windows]), a
//     window being an attack if any of its events is, scored by an
//     [Aggregator] of its event scores (max, mean or median).
//
// # Exactness
//
// AUROC is computed as the Mann–Whitney U statistic, U / (P·N), over the
// events sorted by score once: a (positive, negative) pair counts 1 if the
// positive scores higher and 1/2 if they tie, which is what average ranks
// give and what scikit-learn's roc_auc_score (the reference) computes. The
// count is kept in integers (2U), so the only rounding is the final
// division. It is undefined when either class is absent: the functions then
// return an error wrapping [ErrOneClass] instead of NaN, and reject NaN
// scores with [ErrNaN] (scikit-learn raises on both). Infinite scores are
// ordinary values.
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
//
// # Windows
//
// Windows follow the reference data loader: they start at event 0 and
// advance by Stride events, and only full windows are formed (start+Size
// <= n), so up to Stride-1 trailing events fall in no window and fewer than
// Size events give an error wrapping [ErrTooFewEvents]. Events are taken in
// the order given, which should be event-time order as in the reference.
package eval
