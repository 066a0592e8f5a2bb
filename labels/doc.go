// Package labels says which events of a corpus are attacks: it joins the
// ATT&CK trial windows of a labels file (labels.csv) to events by time,
// checks chronological train/test splits and tallies the tables the
// dataset card prints. Its subpackage eval computes the metrics the paper
// reports (per-event, per-technique and per-window AUROC).
//
//	set, _ := labels.LoadFile("labels.csv")        // validated trial windows
//	w := set.Find(eventTimeNs)                     // the event's window index, or labels.Benign
//	out, _ := set.AppendLabels(rec, nil)           // a batch with is_attack and technique_id columns
//
// # The labeling rule
//
// Labels follow the reference evaluator (label_event_times in
// src/core/v0_2_baselines/shared.py of ryypow/dendroaspis) exactly: the
// windows are sorted as (start, end, technique_id) tuples, and an event at
// time t belongs to the window with the largest start <= t (numpy's
// searchsorted(side="right") - 1, i.e. bisect_right - 1). The event is an
// attack iff t < that window's end; its technique is that window's
// technique_id. Windows are therefore half open, [start, end): t == start is
// an attack, t == end is not. Consequences worth knowing:
//
//   - Of several windows with the same start, the last in sorted order wins:
//     the one with the largest end, then the largest technique_id (byte
//     order, which is Python's code-point order for UTF-8). File order does
//     not matter; only windows identical in all three keys fall back to file
//     order (the later line wins), and those label events identically.
//   - In an overlap, events from the later window's start on belong to the
//     later window. If that window ends first, the events between its end
//     and the earlier window's end are benign, although the earlier window
//     covers them: only the latest-starting window is consulted.
//   - An event without a time (a null event_time) is benign.
//
// [Set.Find] labels one time, [Set.Label] and [Set.LabelInto] a slice, and
// [Set.LabelColumn] and [Set.AppendLabels] an Arrow event_time column or
// record batch. A result is the index of the window in [Set.Windows], or
// [Benign].
//
// # Splits and tables
//
// The corpus is cut chronologically: events with time < cut are train,
// the rest test, and train is benign-only by construction. [Set.Split]
// checks that every window starts at or after the cut and returns a
// [*SplitError] (wrapping [ErrWindowInTrain]) listing the windows that do
// not. A [Tally] accumulates labeled events, from label results or from
// labeled Arrow records, and returns or renders the card's tables: events
// per technique and per tactic, trial counts and the attack rate per split.
// # Parity
//
// The labels are the reference evaluator's for every event, by the rule
// above; the tests compare them with its labels of the shared sample and
// with a brute-force transcription of the rule on random windows and
// times.
//
// # Concurrency and ownership
//
// A [Set] is immutable and safe for concurrent use; the slices its
// methods return are the caller's, and a batch AppendLabels returns is the
// caller's to Release (the input batch is not released). A [Tally] is not
// safe for concurrent use.
//
// # Cost
//
// Internally the windows are flattened once into the sorted
// boundaries of constant-label segments, indexed by fixed-width time
// buckets: a lookup is a bucket read plus, in the rare bucket that holds a
// boundary, a binary search (O(log n) at worst), and for sorted or nearly
// sorted input usually just a comparison against the segment of the
// previous event.
//
// # Format
//
// labels.csv has a header and one row per trial window. The columns
// start_ts, end_ts, technique_id and trial are required; any others
// (tactic, technique_name, ...) are kept verbatim in [Window.Attrs]. Times
// are read with the same rules as event times (package internal/tstime, the
// reference's parse_tetragon_ts), so a window bound and an event time that
// print alike compare alike. [Load] rejects a file with an unparseable time,
// a window whose end is not after its start, a repeated (technique_id,
// trial) pair, a missing or repeated column, a row with the wrong number of
// fields, an empty technique_id or trial, or a technique_id not of the form
// [TechniqueIDPattern] (an ATT&CK technique or sub-technique such as T1083
// or T1059.004, or a chain id of the card's form, CHAIN.CAP01: the id
// reaches the shards' technique_id column and the data card, so free text
// has no place in it; [WithTechniquePattern] sets another form). Every
// problem is reported as a
// [*LineError] naming its line, all of them at once (joined with
// errors.Join), each wrapping one of the sentinel errors so that callers can
// use errors.Is and errors.As.
//
// Windows may overlap; Load does not merge them but reports each
// overlapping pair through [Set.Overlaps], because the labeling rule below
// gives an overlap a meaning that is easy to overlook.
//
// A release publishes the documented columns only ([ReleaseColumns]:
// start_ts, end_ts, technique_id, trial, tactic, technique_name):
// [Set.WriteRelease] writes them, in file order, and leaves out any other
// column (an operator's notes). Tactic, technique_name and trial remain
// free text; a release checks the written file for leaks like every
// other (package anonymize, Verifier.VerifyFile).
package labels
