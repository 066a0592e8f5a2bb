package corpus

// What parsing yielded, judged before anything is encoded, and what
// stats.json and the datacard say about the inputs and the selection.

import (
	"fmt"
	"math"
	"path/filepath"
	"strings"

	"github.com/tetrahids/tetrahids/internal/numfmt"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// noNamespaceCaveat is what stats.json and the datacard say about rows
// kept without a PID-namespace inum.
const noNamespaceCaveat = "events without a PID-namespace inum were kept (keep_without_namespace): host and container events cannot be told apart for them"

// parsedStats is every input set's parser counters added up.
func (b *builder) parsedStats() tetraparse.Stats {
	var total tetraparse.Stats
	for _, set := range b.sets {
		st := b.parserStats[set.name]
		total.Add(&st)
	}
	return total
}

// checkParsed judges pass 1 before anything is encoded: it warns about
// input files skipped as unreadable (SkipBadFiles) and about empty splits,
// and refuses, unless AllowEmpty, input that is mostly not Tetragon events
// (ErrMostlyUnreadable) or yields no rows (ErrNoRows).
func (b *builder) checkParsed() error {
	total := b.parsedStats()
	for _, f := range total.FailedFiles {
		b.cfg.warn("skipped the input file %s, which could not be read to the end: %s (the %s read before the failure were kept)",
			f.File, f.Reason, numfmt.Count(f.Lines, "line", "lines"))
	}
	var rows int64
	for _, s := range b.splits {
		rows += s.raw.rows
	}
	allow := " (set AllowEmpty, -allow-empty, to build anyway)"
	if b.cfg.AllowEmpty {
		allow = ""
	}
	switch {
	case total.MostlyUnreadable():
		msg := fmt.Sprintf("%s of %s could not be read as events (not JSON, longer than the line limit, or JSON without an event); is the input Tetragon's JSON export?",
			numfmt.Group(total.Unreadable()), numfmt.Count(total.LinesRead-total.Blank, "non-blank line", "non-blank lines"))
		if !b.cfg.AllowEmpty {
			return fmt.Errorf("%w: %s%s", ErrMostlyUnreadable, msg, allow)
		}
		b.cfg.warn("%s", msg)
	case rows == 0:
		msg := whyNoRows(&total, b.noTime)
		if !b.cfg.AllowEmpty {
			return fmt.Errorf("%w: %s%s", ErrNoRows, msg, allow)
		}
		b.cfg.warn("no rows: %s", msg)
	}
	for _, s := range b.splits {
		if s.raw.rows > 0 {
			continue
		}
		why := "its inputs yield no rows"
		switch {
		case b.cut == math.MaxInt64: // no cut: every row is train
		case len(b.sets) == 1 && b.sets[0].name == splitAll && s.name == SplitTrain:
			why = "no row is before the cut " + labels.FormatTime(b.cut)
		case len(b.sets) == 1 && b.sets[0].name == splitAll:
			why = "no row is at or after the cut " + labels.FormatTime(b.cut)
		}
		b.cfg.warn("the %s split is empty: %s; it gets one shard with the schema only", s.name, why)
	}
	return nil
}

// dropPhrases say what each drop reason means, for ErrNoRows.
var dropPhrases = map[tetraparse.DropReason]string{
	tetraparse.DropWrongEventType: "are not process_exec, process_exit or process_kprobe events",
	tetraparse.DropNoProcess:      "have no process block",
	tetraparse.DropHostNamespace:  "are in the host's PID namespace",
	tetraparse.DropNoInum: "have no PID-namespace inum (Tetragon writes namespaces only with --enable-process-ns; " +
		"KeepWithoutNamespace, -keep-without-ns, keeps them, with a pod selector, Select, -select, to pick the target)",
	tetraparse.DropWrongInum:   "are in other PID namespaces than the targets",
	tetraparse.DropSentinel:    "are inside sentinel windows",
	tetraparse.DropNotSelected: "match no selector",
}

// whyNoRows says where the lines of a build without rows went.
func whyNoRows(st *tetraparse.Stats, untimed int64) string {
	parts := []string{numfmt.Count(st.LinesRead, "line", "lines") + " read"}
	if st.LinesRead == 0 {
		parts[0] = "the inputs are empty"
	}
	for _, r := range tetraparse.DropReasons() {
		if n := st.DroppedBy(r); n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", numfmt.Group(n), dropPhrases[r]))
		}
	}
	if n := st.Errors(); n > 0 {
		parts = append(parts, fmt.Sprintf("%s could not be read", numfmt.Group(n)))
	}
	if untimed > 0 {
		parts = append(parts, fmt.Sprintf("%s without an event time cannot be placed at either side of the cut", numfmt.Group(untimed)))
	}
	if n := st.FilesFailed; n > 0 {
		parts = append(parts, numfmt.Count(n, "file", "files")+" could not be read to the end")
	}
	return strings.Join(parts, "; ")
}

// selectionDoc is stats.json's "selection": the rules that chose the
// target events, what each selector took, and the rows kept without a
// namespace.
func (b *builder) selectionDoc(total *tetraparse.Stats) any {
	sels := []any{}
	for i, s := range b.cfg.Select {
		var n int64
		if i < len(total.SelectedBy) {
			n = total.SelectedBy[i]
		}
		sels = append(sels, map[string]any{"selector": b.selectorText(s), "events": n})
	}
	doc := map[string]any{
		"rules":                  b.selectionText(total.Selection),
		"selectors":              sels,
		"kept_without_namespace": total.KeptWithoutNamespace,
	}
	if b.cfg.KeepWithoutNamespace {
		doc["note"] = noNamespaceCaveat
	}
	return doc
}

// notRecorded stands for a selector's value in an anonymized build.
const notRecorded = "(not recorded)"

// selectorText writes a selector as ParseSelector reads it. An anonymized
// build records which terms it has, not their values (pod names,
// namespaces and labels may name people, projects or hosts; static pods
// carry their node's name), except PID-namespace inums, which are
// recorded in any build.
func (b *builder) selectorText(s tetraparse.Selector) string {
	if b.anon == nil {
		return s.String()
	}
	r := tetraparse.Selector{PIDNamespace: s.PIDNamespace}
	for _, v := range []struct{ from, to *string }{{&s.PodNamespace, &r.PodNamespace}, {&s.PodName, &r.PodName}, {&s.ContainerID, &r.ContainerID}} {
		if *v.from != "" {
			*v.to = notRecorded
		}
	}
	if len(s.PodLabels) > 0 {
		r.PodLabels = map[string]string{}
		for k := range s.PodLabels {
			r.PodLabels[k] = notRecorded
		}
	}
	return r.String()
}

// selectionText is tetraparse's description of the selection, with the
// selectors written by selectorText.
func (b *builder) selectionText(text string) string {
	for _, s := range b.cfg.Select {
		text = strings.ReplaceAll(text, "["+s.String()+"]", "["+b.selectorText(s)+"]")
	}
	return text
}

// cardSelection is the datacard's sentence on the selection.
func (b *builder) cardSelection(total *tetraparse.Stats) string {
	s := "Target events: " + b.selectionText(total.Selection) + "."
	if total.KeptWithoutNamespace > 0 {
		s += fmt.Sprintf(" %s kept without a PID-namespace inum: host and container events cannot be told apart for them.",
			numfmt.Count(total.KeptWithoutNamespace, "event was", "events were"))
	}
	return s
}

// failedFilesDoc is stats.json's "failed_files": the input files that
// could not be read to the end (skipped with SkipBadFiles). An anonymized
// build records a file's base name and the kind of failure, never its
// path or the error's text, which names the path again.
func (b *builder) failedFilesDoc(total *tetraparse.Stats) []any {
	out := []any{}
	for _, f := range total.FailedFiles {
		if b.anon != nil {
			out = append(out, map[string]any{"file": filepath.Base(f.File), "lines_read": f.Lines, "reason": failureClass(f.Reason)})
		} else {
			out = append(out, map[string]any{"file": f.File, "lines_read": f.Lines, "reason": f.Reason})
		}
	}
	return out
}

// failureClasses map what the error of a failed file says to the kind of
// failure an anonymized build records, first match first.
var failureClasses = []struct{ says, class string }{
	{"no such file or directory", "missing"},
	{"permission denied", "permission denied"},
	{"is a directory", "a directory"},
	{"ends inside a member", "truncated gzip stream"},
	{"unexpected EOF", "truncated"},
	{"gzip: invalid checksum", "corrupt gzip stream (checksum)"},
	{"gzip: invalid header", "not gzip"},
	{"flate:", "corrupt gzip stream"},
	{"gzip", "corrupt gzip stream"},
}

// failureClass names the kind of failure of an input file's error text.
func failureClass(reason string) string {
	for _, c := range failureClasses {
		if strings.Contains(reason, c.says) {
			return c.class
		}
	}
	return "read error"
}
