package metrics

import (
	"bufio"
	"fmt"
	"io"
	"maps"
	"math"
	"slices"
	"strconv"
	"strings"
)

// Prefix starts every metric name.
const Prefix = "tetrahids_live_"

// WritePrometheus writes the snapshot in Prometheus' text exposition format
// (version 0.0.4): per metric a HELP and a TYPE line, then its samples.
// Counters end in _total. The counts of Counters persist across restarts;
// those of the input (input_*) and the gauges are the process's own.
func (s Snapshot) WritePrometheus(w io.Writer) error {
	bw := bufio.NewWriter(w)
	p := promWriter{w: bw}
	p.counter("lines_read_total", "Complete input lines read.", float64(s.Lines))
	p.counter("input_bytes_total", "Bytes of the input lines read, newlines included.", float64(s.Bytes))
	p.counter("events_kept_total", "Events kept: scored and written to the output.", float64(s.Kept))
	p.labelled("events_dropped_total", "Input lines that gave no output event, by reason.", "counter", s.Dropped)
	p.counter("alerts_total", "Events whose score reached the alert threshold.", float64(s.Alerts))
	p.labelled("input_lines_dropped_total", "Input lines dropped before processing (line_too_long, unterminated).", "counter", s.InputDropped)
	p.labelled("input_gaps_total", "Times input was lost or skipped (truncated, position_gone, backup_gone, unreadable).", "counter", s.Gaps)
	in := s.Input
	p.counter("input_rotations_total", "Rotations of the followed file seen.", float64(in.Rotations))
	p.counter("input_files_opened_total", "Input files opened (the followed file and its backups).", float64(in.FilesOpened))
	p.counter("input_nul_bytes_skipped_total", "NUL bytes skipped (the hole a truncation leaves).", float64(in.NULBytes))
	p.counter("input_torn_fragments_total", "Partial lines destroyed by a truncation.", float64(in.TornFragments))
	p.counter("input_io_errors_total", "Failed input file operations (retried).", float64(in.IOErrors))
	p.counter("input_watch_events_total", "File change notifications about the input.", float64(in.WatchEvents))
	p.counter("input_watch_overflows_total", "Change notification queue overflows (polling covers the missed changes).", float64(in.WatchOverflows))
	p.counter("input_polls_total", "Waits for input ended by the poll interval.", float64(in.Polls))
	p.gauge("input_watching", "1 if change notifications are set up for the input's directory.", b2f(in.Watching))
	p.gauge("lag_bytes", "Bytes of the input file known written and not yet read.", float64(in.LagBytes))
	p.gauge("lag_seconds", "Seconds since the input was last read to its end (0 while waiting for data).", in.LagSeconds)
	p.gauge("heap_bytes", "Bytes of heap objects, live and not yet collected.", float64(s.HeapBytes))
	p.gauge("heap_live_bytes", "Bytes of heap objects the last garbage collection found live.", float64(s.HeapLiveBytes))
	p.counter("checkpoints_total", "Checkpoints written.", float64(s.Checkpoints))
	p.counter("checkpoint_errors_total", "Checkpoints that failed.", float64(s.CheckpointErrors))
	last := 0.0
	if !s.LastCheckpoint.IsZero() {
		last = float64(s.LastCheckpoint.UnixNano()) / 1e9
	}
	p.gauge("last_checkpoint_timestamp_seconds", "Unix time of the last checkpoint written, 0 if none.", last)
	p.gauge("start_time_seconds", "Unix time the process started.", float64(s.Start.UnixNano())/1e9)
	return bw.Flush()
}

func b2f(b bool) float64 {
	if b {
		return 1
	}
	return 0
}

type promWriter struct{ w *bufio.Writer }

func (p promWriter) head(name, help, typ string) {
	fmt.Fprintf(p.w, "# HELP %s%s %s\n# TYPE %s%s %s\n", Prefix, name, escapeHelp(help), Prefix, name, typ)
}

func (p promWriter) counter(name, help string, v float64) {
	p.head(name, help, "counter")
	fmt.Fprintf(p.w, "%s%s %s\n", Prefix, name, formatValue(v))
}

func (p promWriter) gauge(name, help string, v float64) {
	p.head(name, help, "gauge")
	fmt.Fprintf(p.w, "%s%s %s\n", Prefix, name, formatValue(v))
}

// labelled writes one sample per reason, in reason order.
func (p promWriter) labelled(name, help, typ string, m map[string]uint64) {
	p.head(name, help, typ)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(p.w, "%s%s{reason=\"%s\"} %s\n", Prefix, name, escapeLabel(k), formatValue(float64(m[k])))
	}
}

func formatValue(v float64) string {
	switch {
	case math.IsInf(v, 1):
		return "+Inf"
	case math.IsInf(v, -1):
		return "-Inf"
	case math.IsNaN(v):
		return "NaN"
	}
	return strconv.FormatFloat(v, 'g', -1, 64)
}

var (
	helpEscaper  = strings.NewReplacer(`\`, `\\`, "\n", `\n`)
	labelEscaper = strings.NewReplacer(`\`, `\\`, "\n", `\n`, `"`, `\"`)
)

func escapeHelp(s string) string  { return helpEscaper.Replace(s) }
func escapeLabel(s string) string { return labelEscaper.Replace(s) }
