package tetraparse

import (
	"fmt"
	"slices"
	"sort"
	"strings"
)

// DropReason says why a parsed line did not become a row.
type DropReason uint8

// The drop reasons, in the order the reference applies its rules.
const (
	// DropWrongEventType: the line is JSON but not an object holding one of
	// process_exec, process_exit, process_kprobe.
	DropWrongEventType DropReason = iota
	// DropNoProcess: the event has no (or an empty) process block.
	DropNoProcess
	// DropHostNamespace: process.ns.pid.is_host is set.
	DropHostNamespace
	// DropNoInum: process.ns.pid.inum is absent.
	DropNoInum
	// DropWrongInum: the PID-namespace inum is not a target inum.
	DropWrongInum
	// DropSentinel: the event time falls inside a sentinel window.
	DropSentinel
	// DropNotSelected: no selector of Config.Select matches the event
	// (tested after the namespace rules, before the sentinel windows; the
	// reference has no selectors).
	DropNotSelected
	numDropReasons
)

var dropNames = [numDropReasons]string{
	DropWrongEventType: "drop_wrong_event_type",
	DropNoProcess:      "drop_no_process",
	DropHostNamespace:  "drop_container_filter_is_host",
	DropNoInum:         "drop_container_filter_no_inum",
	DropWrongInum:      "drop_container_filter_wrong_inum",
	DropSentinel:       "drop_sentinel_interval",
	DropNotSelected:    "drop_not_selected",
}

// DropReasons returns every drop reason, in the order the rules apply.
func DropReasons() []DropReason {
	out := make([]DropReason, numDropReasons)
	for i := range out {
		out[i] = DropReason(i)
	}
	return out
}

// String returns the reference's counter name, such as "drop_no_process".
func (r DropReason) String() string {
	if r < numDropReasons {
		return dropNames[r]
	}
	return fmt.Sprintf("DropReason(%d)", r)
}

// Stats accounts for every input line. For any input,
//
//	LinesRead == Blank + Kept() + Dropped() + JSONErrors + StructureErrors + LinesTooLong
//
// where Kept and Dropped are the sums of KeptBy over the kinds and
// DroppedBy over the drop reasons. The other counters describe kept rows,
// selection outcomes or files, and do not take part in the sum. The
// counters by kind and by reason are read through methods, so that a new
// Kind or DropReason changes no field.
type Stats struct {
	// FilesRead counts the files opened, FilesFailed those that could
	// not be opened or read to the end (see FailedFiles): a file that
	// fails while being read counts in both.
	FilesRead   int64
	FilesFailed int64
	// LinesRead counts every input line, the left side of the sum above.
	LinesRead int64
	// Blank counts lines that are empty after removing white space.
	Blank int64
	// keptByKind counts rows by event kind (only exec, exit and kprobe).
	keptByKind [numKinds]int64
	// droppedByReason counts lines dropped by each rule.
	droppedByReason [numDropReasons]int64
	// wrongKinds counts the DropWrongEventType lines by the kind they had.
	wrongKinds [numKinds]int64
	// JSONErrors counts lines that are not valid JSON (as Python's
	// json.loads judges it) or not valid UTF-8.
	JSONErrors int64
	// StructureErrors counts JSON lines whose structure the reference cannot
	// read (e.g. an event body or process block that is not an object); the
	// reference counts them as errors_extraction and drops them.
	StructureErrors int64
	// ExtractionFailures counts kept kprobe rows whose arguments did not fit
	// the extraction table; their kp_* columns stay null (the reference
	// counts them as errors_extraction too, and keeps the row).
	ExtractionFailures int64
	// FieldErrors counts values of a kept row that did not fit their
	// column (e.g. a pid that is not a number); they are written as null.
	// On such input the reference's writer fails.
	FieldErrors int64
	// UnparseableTimes counts events that reached the sentinel check with a
	// time that does not parse; they are kept with a null event_time.
	UnparseableTimes int64
	// ProcfsWalkTagged counts kept process_exec rows tagged is_procfs_walk.
	ProcfsWalkTagged int64
	// LinesTooLong counts lines longer than Config.MaxLineBytes, skipped
	// unread (the reference has no limit).
	LinesTooLong int64
	// KeptWithoutNamespace counts kept rows whose process carries no
	// PID-namespace inum (Config.KeepWithoutNamespace): host or container
	// cannot be told apart for them.
	KeptWithoutNamespace int64
	// SelectedBy counts, for each selector of Config.Select, the events it
	// was the first to match (they may still fall in a sentinel window);
	// events no selector matches are DroppedBy(DropNotSelected).
	// Empty without selectors.
	SelectedBy []int64
	// FailedFiles names the files counted in FilesFailed and why they
	// failed; Parser.Stats sorts them by File.
	FailedFiles []FailedFile
	// Selection describes the rules that chose the target events
	// (reference filter or selectors, and which events without a
	// namespace, host namespace or process are kept), as Parser.Stats
	// reports it, for stats files and data cards.
	Selection string
}

// FailedFile is an input file that could not be opened or read to the end.
type FailedFile struct {
	// File is the path given to Parser.Files.
	File string `json:"file"`
	// Lines is the number of lines read (and counted) before the failure.
	Lines int64 `json:"lines_read"`
	// Reason is the cause: the FileError's Err (an open error names the
	// path again).
	Reason string `json:"reason"`
}

// KeptBy returns the number of rows of events of kind k; only kinds whose
// Kept method reports true have any.
func (s *Stats) KeptBy(k Kind) int64 {
	if k >= numKinds {
		return 0
	}
	return s.keptByKind[k]
}

// DroppedBy returns the number of lines the rule r dropped.
func (s *Stats) DroppedBy(r DropReason) int64 {
	if r >= numDropReasons {
		return 0
	}
	return s.droppedByReason[r]
}

// WrongKind returns the number of lines dropped as DropWrongEventType that
// held an event of kind k: KindUnknown counts JSON values that are no
// event (not an object, or an object without a known event key).
func (s *Stats) WrongKind(k Kind) int64 {
	if k >= numKinds {
		return 0
	}
	return s.wrongKinds[k]
}

// Errors returns the number of lines that could not be read as an event:
// JSON errors, structure errors and over-long lines.
func (s *Stats) Errors() int64 { return s.JSONErrors + s.StructureErrors + s.LinesTooLong }

// Unreadable returns the number of lines that hold no Tetragon event of
// any kind: the Errors, and JSON values that are not an event (a number,
// a string, an object without a known event key), as a README or a CSV
// file read as export gives.
func (s *Stats) Unreadable() int64 { return s.Errors() + s.wrongKinds[KindUnknown] }

// MostlyUnreadable reports whether more than half of the non-blank lines
// are Unreadable: the input is most likely not Tetragon export (a wrong
// file or directory, a corrupt capture). A corpus builder should refuse
// such a build, like one without rows, unless told otherwise.
func (s *Stats) MostlyUnreadable() bool {
	return 2*s.Unreadable() > s.LinesRead-s.Blank
}

// Kept returns the number of rows produced.
func (s *Stats) Kept() int64 {
	var n int64
	for _, v := range s.keptByKind {
		n += v
	}
	return n
}

// Dropped returns the number of lines dropped by a rule.
func (s *Stats) Dropped() int64 {
	var n int64
	for _, v := range s.droppedByReason {
		n += v
	}
	return n
}

// Check verifies the accounting invariant and returns an error naming the
// difference when it does not hold.
func (s *Stats) Check() error {
	sum := s.Blank + s.Kept() + s.Dropped() + s.JSONErrors + s.StructureErrors + s.LinesTooLong
	if sum != s.LinesRead {
		return fmt.Errorf("tetraparse: stats do not add up: lines_read %d != blank %d + kept %d + dropped %d + json errors %d + structure errors %d + too long %d (= %d)",
			s.LinesRead, s.Blank, s.Kept(), s.Dropped(), s.JSONErrors, s.StructureErrors, s.LinesTooLong, sum)
	}
	return nil
}

// Add accumulates o into s. FailedFiles are appended; a Selection
// differing from s's is joined to it with " | ".
func (s *Stats) Add(o *Stats) {
	s.FilesRead += o.FilesRead
	s.FilesFailed += o.FilesFailed
	s.LinesRead += o.LinesRead
	s.Blank += o.Blank
	for i := range s.keptByKind {
		s.keptByKind[i] += o.keptByKind[i]
		s.wrongKinds[i] += o.wrongKinds[i]
	}
	for i := range s.droppedByReason {
		s.droppedByReason[i] += o.droppedByReason[i]
	}
	s.JSONErrors += o.JSONErrors
	s.StructureErrors += o.StructureErrors
	s.ExtractionFailures += o.ExtractionFailures
	s.FieldErrors += o.FieldErrors
	s.UnparseableTimes += o.UnparseableTimes
	s.ProcfsWalkTagged += o.ProcfsWalkTagged
	s.LinesTooLong += o.LinesTooLong
	s.KeptWithoutNamespace += o.KeptWithoutNamespace
	if len(s.SelectedBy) < len(o.SelectedBy) {
		s.SelectedBy = append(s.SelectedBy, make([]int64, len(o.SelectedBy)-len(s.SelectedBy))...)
	}
	for i, n := range o.SelectedBy {
		s.SelectedBy[i] += n
	}
	s.FailedFiles = append(s.FailedFiles, o.FailedFiles...)
	switch {
	case o.Selection == "" || o.Selection == s.Selection:
	case s.Selection == "":
		s.Selection = o.Selection
	case !slices.Contains(strings.Split(s.Selection, " | "), o.Selection):
		s.Selection += " | " + o.Selection
	}
}

// clone returns a copy of s that shares no slice with it.
func (s *Stats) clone() Stats {
	c := *s
	c.SelectedBy = slices.Clone(s.SelectedBy)
	c.FailedFiles = slices.Clone(s.FailedFiles)
	return c
}

// Reference returns the counters under the reference parser's names, with
// zero counters left out as the reference's Counter does. The reference
// counts lines_kept, kept_<event type>, each drop_* reason, errors_json_parse,
// errors_extraction (structure errors plus extraction failures),
// unparseable_event_time, tagged_procfs_walk_execs, files_read and
// files_failed. It has no counter for blank lines, field errors, over-long
// lines or selection outcomes.
func (s *Stats) Reference() map[string]int64 {
	m := map[string]int64{
		"files_read":               s.FilesRead,
		"files_failed":             s.FilesFailed,
		"lines_read":               s.LinesRead,
		"lines_kept":               s.Kept(),
		"errors_json_parse":        s.JSONErrors,
		"errors_extraction":        s.StructureErrors + s.ExtractionFailures,
		"unparseable_event_time":   s.UnparseableTimes,
		"tagged_procfs_walk_execs": s.ProcfsWalkTagged,
	}
	for k := KindExec; k <= KindKprobe; k++ {
		m["kept_"+k.String()] = s.keptByKind[k]
	}
	for r := DropReason(0); r < numDropReasons; r++ {
		if r != DropNotSelected {
			m[r.String()] = s.droppedByReason[r]
		}
	}
	for k, v := range m {
		if v == 0 {
			delete(m, k)
		}
	}
	return m
}

// Map returns every counter, zero or not, under stable snake_case names,
// for stats.json files; SelectedBy[i] is "selected_by_selector_<i+1>".
// FailedFiles and Selection are not counters: write them beside it.
func (s *Stats) Map() map[string]int64 {
	m := s.Reference()
	for _, k := range []string{"files_read", "files_failed", "lines_read", "lines_kept", "errors_json_parse", "unparseable_event_time", "tagged_procfs_walk_execs"} {
		m[k] += 0
	}
	m["lines_blank"] = s.Blank
	m["errors_structure"] = s.StructureErrors
	m["extraction_failures"] = s.ExtractionFailures
	m["field_errors"] = s.FieldErrors
	m["errors_line_too_long"] = s.LinesTooLong
	m["kept_without_namespace"] = s.KeptWithoutNamespace
	for i, n := range s.SelectedBy {
		m[fmt.Sprintf("selected_by_selector_%d", i+1)] = n
	}
	for r := DropReason(0); r < numDropReasons; r++ {
		m[r.String()] = s.droppedByReason[r]
	}
	for k := KindExec; k <= KindKprobe; k++ {
		m["kept_"+k.String()] += 0
	}
	for k := Kind(0); k < numKinds; k++ {
		if s.wrongKinds[k] > 0 {
			m["wrong_event_type_"+k.String()] = s.wrongKinds[k]
		}
	}
	return m
}

// String lists the non-zero counters, sorted by name.
func (s *Stats) String() string {
	m := s.Map()
	keys := make([]string, 0, len(m))
	for k, v := range m {
		if v != 0 {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	out := ""
	for i, k := range keys {
		if i > 0 {
			out += " "
		}
		out += fmt.Sprintf("%s=%d", k, m[k])
	}
	return out
}
