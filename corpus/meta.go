package corpus

// stats.json, datacard.md, README.md and the reproduction files: what a build says
// about itself.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"time"
	"unicode"

	"github.com/tetrahids/tetrahids/internal/numfmt"
	"github.com/tetrahids/tetrahids/labels"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// writeMeta writes the reproduction files, labels.csv, stats.json,
// datacard.md and README.md, after checking that every input line is
// accounted for.
func (b *builder) writeMeta(anonReport any) error {
	repro := filepath.Join(b.tmp, "reproduction")
	files := map[string][]byte{
		filepath.Join(repro, "feature_definitions.json"): b.defs.Document(),
		filepath.Join(repro, "PARSER_VERSION"):           []byte(b.defs.ParserVersion() + "\n"),
	}
	if b.anon == nil {
		files[filepath.Join(repro, "NOT_ANONYMIZED")] = []byte("This corpus was built with -no-anonymize: it holds original basenames, working\n" +
			"directories and exec ids. It is for local research only; do not publish it.\n")
	}
	if b.lblCSV != nil {
		files[filepath.Join(b.tmp, "labels.csv")] = b.lblCSV
	}
	doc, err := b.statsDoc(anonReport)
	if err != nil {
		return err
	}
	js, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return err
	}
	files[filepath.Join(b.tmp, "stats.json")] = append(js, '\n')
	total := b.parsedStats()
	info := CardInfo{Built: b.start, Inputs: b.inputsText(), SplitRule: b.rule, Selection: b.cardSelection(&total), Filters: b.cardFilters()}
	for name, write := range map[string]func(io.Writer, CardInfo) error{"datacard.md": b.card.WriteMarkdown, "README.md": b.card.WriteDatasetCard} {
		var card bytes.Buffer
		if err := write(&card, info); err != nil {
			return err
		}
		files[filepath.Join(b.tmp, name)] = card.Bytes()
	}
	for path, data := range files {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			return err
		}
	}
	return nil
}

func (b *builder) inputsText() string {
	if b.cfg.Sample {
		p, _, _ := loadSampleParams()
		return fmt.Sprintf("the built-in sample (internal/synth, seed %d, %d events)", p.Seed, p.Events)
	}
	var parts []string
	for _, s := range b.sets {
		if b.anon != nil { // paths may name users and hosts
			parts = append(parts, fmt.Sprintf("%s: %s (%.1f MB)", s.name, numfmt.Count(int64(len(s.files)), "file", "files"), float64(s.bytes)/1e6))
		} else {
			parts = append(parts, fmt.Sprintf("%s: `%s`", s.name, inputLabel(s)))
		}
	}
	if st := b.parsedStats(); st.FilesFailed > 0 {
		parts = append(parts, numfmt.Count(st.FilesFailed, "file", "files")+" could not be read to the end (skipped; stats.json lists them under failed_files)")
	}
	return strings.Join(parts, "; ")
}

func (b *builder) result() *Result {
	r := &Result{Out: b.out, Elapsed: time.Since(b.start), Anonymized: b.anon != nil}
	for _, st := range b.parserStats {
		r.Lines += st.LinesRead
	}
	for _, s := range b.sets {
		r.InputBytes += s.bytes
	}
	for _, s := range b.splits {
		r.Splits = append(r.Splits, SplitResult{Name: s.name, Rows: s.written, Shards: s.paths})
	}
	filepath.WalkDir(b.tmp, func(_ string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				r.OutBytes += fi.Size()
			}
		}
		return nil
	})
	return r
}

// statsDoc assembles stats.json, verifying the row accounting on the way:
// every input line is blank, kept, dropped (by reason) or an error, and
// every kept row is in exactly one split or dropped for lack of a time.
func (b *builder) statsDoc(anonReport any) (any, error) {
	type accounting struct {
		LinesRead     int64            `json:"lines_read"`
		Blank         int64            `json:"lines_blank"`
		Dropped       int64            `json:"lines_dropped"`
		Errors        int64            `json:"lines_errors"`
		Kept          int64            `json:"rows_kept"`
		NoTimeDropped int64            `json:"rows_without_time_dropped_by_cut"`
		Written       map[string]int64 `json:"rows_written"`
	}
	acc := accounting{Written: map[string]int64{}, NoTimeDropped: b.noTime}
	parser := map[string]map[string]int64{}
	var total tetraparse.Stats
	for _, set := range b.sets {
		st := b.parserStats[set.name]
		parser[set.name] = st.Map()
		total.Add(&st)
	}
	acc.LinesRead, acc.Blank, acc.Kept = total.LinesRead, total.Blank, total.Kept()
	acc.Dropped, acc.Errors = total.Dropped(), total.Errors() // over-long lines included
	var written int64
	for _, s := range b.splits {
		acc.Written[s.name] = s.written
		written += s.written
		if s.written != s.raw.rows {
			return nil, fmt.Errorf("internal error: %s: %d rows spilled, %d written", s.name, s.raw.rows, s.written)
		}
	}
	if written+b.noTime != acc.Kept {
		return nil, fmt.Errorf("internal error: %d rows kept by the parser, %d written + %d without a time", acc.Kept, written, b.noTime)
	}
	if err := total.Check(); err != nil {
		return nil, err
	}
	// Input paths may name users and hosts: an anonymized build records
	// only their number and size.
	inputs := map[string]any{}
	for _, set := range b.sets {
		if b.anon != nil {
			inputs[set.name] = map[string]int64{"files": int64(len(set.files)), "bytes": set.bytes, "skipped_entries": int64(len(set.skipped))}
			continue
		}
		var files []string
		for _, f := range set.files {
			if b.cfg.Sample {
				f = filepath.Base(f)
			}
			files = append(files, f)
		}
		inputs[set.name] = files
		if len(set.skipped) > 0 {
			inputs[set.name+"_skipped"] = set.skipped
		}
	}
	ls := b.graph.Stats()
	lineageDoc := map[string]any{
		"unique_processes":   ls.Processes,
		"seed_processes":     b.seeded,
		"duplicate_exec_ids": ls.ConflictingDuplicates,
		"repeats":            ls.Repeats,
		"dangling_parents":   ls.DanglingParents,
		"skipped_rows":       ls.SkippedRows,
		"evicted":            ls.Evicted,
		"rejected":           ls.Rejected,
		"train_seeds_test":   len(b.splits) == 2,
	}
	encoders := map[string]map[string]int64{}
	for _, s := range b.splits {
		encoders[s.name] = map[string]int64{
			"rows":                         s.encStats.Rows,
			"lineage_parent_fallback_used": s.encStats.LineageFallbackUsed,
			"lineage_missing_parent":       s.encStats.LineageMissingParent,
			"lineage_cycle_detected":       s.encStats.LineageCycles,
			"negative_delta_t_prev":        s.encStats.NegativeDeltas,
		}
	}
	var cut any
	if b.cut != math.MaxInt64 && len(b.sets) == 1 {
		cut = labels.FormatTime(b.cut)
	}
	var labelsDoc any
	if b.set != nil {
		attacks := map[string]int64{}
		for _, s := range b.card.splits {
			attacks[s.name] = s.attacks()
		}
		labelsDoc = map[string]any{"windows": b.set.Len(), "attack_events": attacks, "label_columns": !b.cfg.NoLabelColumns}
	}
	outputs := map[string]any{}
	for _, s := range b.splits {
		var names []string
		for _, p := range s.paths {
			names = append(names, filepath.Join("data", filepath.Base(p)))
		}
		outputs[s.name] = map[string]any{"rows": s.written, "shards": names, "bytes": b.card.split(s.name).bytes}
	}
	var inputBytes, lines int64
	for _, s := range b.sets {
		inputBytes += s.bytes
	}
	lines = total.LinesRead
	elapsed := time.Since(b.start).Seconds()
	var rawSpill, rawSpillMem int64
	for _, s := range b.splits {
		rawSpill += s.raw.bytes
		rawSpillMem += s.raw.memory
	}
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	lineErrs := map[string]any{"count": b.lineErrCount, "examples": append([]string{}, b.lineErrs...)}
	return struct {
		Tool          string                      `json:"tool"`
		Built         string                      `json:"built"`
		SchemaVersion string                      `json:"schema_version"`
		Release       string                      `json:"release"`
		ParserVersion string                      `json:"parser_version"`
		Anonymized    bool                        `json:"anonymized"`
		Config        any                         `json:"config"`
		Inputs        map[string]any              `json:"inputs"`
		InputBytes    int64                       `json:"input_bytes"`
		SplitRule     string                      `json:"split_rule"`
		Cut           any                         `json:"cut"`
		Accounting    accounting                  `json:"accounting"`
		Parser        map[string]map[string]int64 `json:"parser"`
		LineErrors    any                         `json:"line_errors"`
		Selection     any                         `json:"selection"`
		FailedFiles   []any                       `json:"failed_files"`
		Lineage       any                         `json:"lineage"`
		Encoder       any                         `json:"encoder"`
		Labels        any                         `json:"labels"`
		Anonymize     any                         `json:"anonymize"`
		Output        any                         `json:"output"`
		Timings       []timing                    `json:"timings"`
		Throughput    any                         `json:"throughput"`
	}{
		Tool:          b.cfg.Tool,
		Built:         b.start.UTC().Format(time.RFC3339),
		SchemaVersion: b.defs.SchemaVersion(),
		Release:       b.defs.CorpusRelease(),
		ParserVersion: b.defs.ParserVersion(),
		Anonymized:    b.anon != nil,
		Config:        b.configDoc(),
		Inputs:        inputs,
		InputBytes:    inputBytes,
		SplitRule:     b.rule,
		Cut:           cut,
		Accounting:    acc,
		Parser:        parser,
		LineErrors:    lineErrs,
		Selection:     b.selectionDoc(&total),
		FailedFiles:   b.failedFilesDoc(&total),
		Lineage:       lineageDoc,
		Encoder:       encoders,
		Labels:        labelsDoc,
		Anonymize:     anonReport,
		Output:        outputs,
		Timings:       b.timings,
		Throughput: map[string]any{
			"elapsed_seconds":     elapsed,
			"events_per_second":   float64(lines) / elapsed,
			"input_mb_per_second": float64(inputBytes) / 1e6 / elapsed,
			"raw_spill_bytes":     rawSpill,
			"raw_spill_in_memory": rawSpillMem,
			"go_heap_sys_bytes":   ms.HeapSys,
			"peak_rss_bytes":      peakRSS(),
			"cpu_seconds":         cpuTime().Seconds(),
			"go_total_alloc":      ms.TotalAlloc,
			"gomaxprocs":          runtime.GOMAXPROCS(0),
		},
	}, nil
}

// configDoc records the settings that shape the output (never the key or
// the policy's forbidden values).
func (b *builder) configDoc() any {
	o := &b.cfg
	// An anonymized build leaves out what may name people or hosts: the
	// sentinel windows' labels and the node name.
	sents := make([]any, len(b.sents))
	for i, w := range b.sents {
		label := w.Label
		if b.anon != nil {
			label = ""
		}
		sents[i] = []string{labels.FormatTime(w.Start), labels.FormatTime(w.End), label}
	}
	nodeName := o.NodeName
	if b.anon != nil && nodeName != "" {
		nodeName = "(set, not recorded)"
	}
	order := "file"
	if o.Order == tetraparse.TimeOrder {
		order = "time"
	}
	// The policy by its keyed digest, never its file's name (a path may
	// name its owner).
	policy := "default"
	switch {
	case o.NoAnonymize:
		policy = ""
	case o.PolicyFile != "":
		policy = "file"
	case o.Sample:
		policy = "built-in sample policy"
	}
	var digest any // null when there is none
	if b.digest != "" {
		digest = b.digest
	}
	return map[string]any{
		"target_pid_ns_inums":    append([]uint64{}, o.TargetInums...),
		"any_inum":               len(o.TargetInums) == 0 && len(o.Select) == 0,
		"keep_without_namespace": o.KeepWithoutNamespace,
		"max_line_bytes":         maxLineBytes(o.MaxLineBytes),
		"skip_bad_files":         o.SkipBadFiles,
		"allow_empty":            o.AllowEmpty,
		"sentinel_intervals":     sents,
		"node_name":              nodeName,
		"schema":                 o.Schema,
		"order":                  order,
		"batch_rows":             o.BatchRows,
		"spill_compression":      o.SpillCompression,
		"spill_memory_mib":       o.SpillMemory >> 20,
		"memory_limit_mib":       memoryLimitMiB(),
		"shard_rows":             o.ShardRows,
		"row_group_rows":         o.RowGroupRows,
		"label_columns":          b.set != nil && !o.NoLabelColumns,
		"no_anonymize":           o.NoAnonymize,
		"policy":                 policy,
		"policy_digest":          digest,
		"sample":                 o.Sample,
	}
}

// maxLineBytes is the line limit in force for Config.MaxLineBytes, nil
// for none.
func maxLineBytes(n int) any {
	switch {
	case n < 0:
		return nil
	case n == 0:
		return tetraparse.DefaultMaxLineBytes
	}
	return n
}

// snakeKeys renders v as JSON with its object keys in snake_case
// (ExecIDs → exec_ids), the style of the rest of stats.json, for structs
// that carry no JSON tags.
func snakeKeys(v any) (any, error) {
	data, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var x any
	if err := json.Unmarshal(data, &x); err != nil {
		return nil, err
	}
	var conv func(any) any
	conv = func(x any) any {
		switch t := x.(type) {
		case map[string]any:
			m := make(map[string]any, len(t))
			for k, v := range t {
				m[snake(k)] = conv(v)
			}
			return m
		case []any:
			for i := range t {
				t[i] = conv(t[i])
			}
		}
		return x
	}
	return conv(x), nil
}

// snake converts a Go identifier to snake_case.
func snake(s string) string {
	s = strings.ReplaceAll(s, "IDs", "Ids")
	r := []rune(s)
	var b strings.Builder
	for i, c := range r {
		upper := unicode.IsUpper(c)
		if upper && i > 0 && (!unicode.IsUpper(r[i-1]) || (i+1 < len(r) && unicode.IsLower(r[i+1]))) {
			b.WriteByte('_')
		}
		b.WriteRune(unicode.ToLower(c))
	}
	return b.String()
}

// memoryLimitMiB is the Go runtime's soft memory limit in MiB (0: none),
// which the program sets (debug.SetMemoryLimit, GOMEMLIMIT).
func memoryLimitMiB() int64 {
	if l := debug.SetMemoryLimit(-1); l != math.MaxInt64 {
		return l >> 20
	}
	return 0
}
