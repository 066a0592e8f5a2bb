// Command corpus builds a tetrahids corpus end to end with package corpus:
// Tetragon JSON export in, the released layout out — Parquet shards of the
// encoded table per split, the feature definitions, the alias map, the
// labels, parser / lineage / encoder statistics and a dataset card whose
// tables are computed from the written data. Each flag sets one field of
// corpus.Config (`go doc ./corpus Config` documents them).
//
// With no arguments it builds a corpus from a built-in sample (6,000
// synthetic events of a developer container, generated at run time by
// internal/synth from a fixed seed, with an embedded labels.csv of 8
// windows) into ./out:
//
//	go run ./examples/corpus
//
// On your own Tetragon export (files, or directories whose *.log, *.json
// and *.jsonl files, rotated or .gz, are read), cutting train/test at a time:
//
//	go run ./examples/corpus -in /var/log/tetragon/ -cut 2026-04-19T21:46:27Z \
//	  -labels labels.csv -target-inums 4026533329,4026533387 \
//	  -policy policy.json -hmac-key-file key.bin -out corpus/
//
// or with separate train and test inputs (-train-in, -test-in). Either
// way lineage is built from all train rows first and then all test rows,
// before anything is encoded ("train lineage seeds test"), as the
// reference pipeline does. -lineage-out FILE also writes the train
// split's lineage graph, the graph a service scoring the test period
// starts from (lineage.ReadFrom), outside the output directory.
//
// With -in, rows whose event_time is before -cut are train and the others
// test; rows without an event_time are dropped (and counted in
// stats.json). Without -cut the cut is the start of the first labels
// window; without labels either, every row is train. With -labels, both
// splits' shards end with is_attack and technique_id, unless
// -no-label-columns.
//
// # Output layout
//
//	out/data/train-00000-of-0000N.parquet   encoded rows (snappy), then is_attack, technique_id
//	out/data/test-00000-of-0000N.parquet    (an empty split still gets one shard, with the schema)
//	out/labels.csv                          the -labels file's documented columns (all with -no-anonymize)
//	out/reproduction/feature_definitions.json   the schema used, byte for byte
//	out/reproduction/alias_map.json         basename aliases (anonymized builds only)
//	out/reproduction/NOT_ANONYMIZED         instead of alias_map.json with -no-anonymize
//	out/reproduction/PARSER_VERSION
//	out/stats.json                          every counter (each drop reason), timing and the accounting
//	out/datacard.md                         the card's tables, computed from data/
//	out/README.md                           the Hugging Face dataset card: metadata (-license), status, columns, tables
//
// A failed or interrupted build (SIGINT, SIGTERM, SIGHUP) leaves the
// previous -out untouched, and a finished one replaces it in one atomic
// step; an existing -out is replaced only if it is empty or itself a
// corpus. One build at a time writes an -out: another refuses, or waits
// with -wait. Inputs that yield no rows or are mostly not Tetragon events
// fail unless -allow-empty. On Kubernetes, pick the target with -select
// and -keep-without-ns. The exit status is non-zero on any error. Progress
// goes to stderr (a redrawn line on a terminal, a line every 10 s
// otherwise; -q silences it, the summary and the warnings but for a count).
//
// # Anonymization
//
// By default the shards are anonymized with package anonymize (basename
// aliases, cwd rewriting, HMAC exec-id pseudonyms keyed by
// -hmac-key-file, a sweep, and post-write checks of every released file,
// shards read back from disk) under the policy -policy names
// (anonymize/testdata/policy.default.json is the template; one that
// redacts alias-map originals needs -private-alias-map). -no-anonymize
// skips all of that for local research, and refuses, unless -force, an
// -out that looks like a release.
//
// # Memory
//
// The builder parses once and keeps the raw batches for the second pass,
// in memory up to -spill-memory, then in temporary LZ4 Arrow IPC files.
// It lets the Go heap grow to the soft -memory-limit (1 GiB) before
// collecting hard, unless GOGC or GOMEMLIMIT is set: about 1 GB peak RSS
// for a million events.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tetrahids/tetrahids/corpus"
	"github.com/tetrahids/tetrahids/internal/numfmt"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// tool names this command in stats.json, the datacard and the shards.
const tool = "github.com/tetrahids/tetrahids/examples/corpus"

func main() {
	// SIGHUP (a closed terminal) ends a build as SIGTERM does: cancelled,
	// its temporary directory removed, a previous -out untouched.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if ctx.Err() != nil && errors.Is(err, context.Canceled) {
		err = errors.New("interrupted by a signal; nothing was written")
	}
	if err != nil && !errors.Is(err, flag.ErrHelp) { // -h is not an error
		fmt.Fprintln(os.Stderr, "corpus:", err)
		os.Exit(1)
	}
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error {
	*l = append(*l, s)
	return nil
}

// options are the flags: the build's Config and what the process does
// around it.
type options struct {
	cfg                    corpus.Config
	quiet                  bool
	memoryLimitMiB         int64
	cpuProfile, memProfile string
}

// flagNames names the flag of each Config field, for error messages.
var flagNames = map[string]string{
	"Out": "-out", "In": "-in", "TrainIn": "-train-in", "TestIn": "-test-in", "Cut": "-cut",
	"LabelsFile": "-labels", "SentinelsFile": "-sentinels", "Schema": "-schema", "Order": "-order",
	"SpillCompression": "-spill-compression", "NoAnonymize": "-no-anonymize", "HMACKeyFile": "-hmac-key-file",
	"PolicyFile": "-policy", "LineageOut": "-lineage-out", "Workers": "-workers", "License": "-license", "Select": "-select",
	"KeepWithoutNamespace": "-keep-without-ns", "PrivateAliasMap": "-private-alias-map",
}

// parseFlags reads the command line, checking what the flags alone decide.
func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	c := &o.cfg
	fs := flag.NewFlagSet("corpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var in, trainIn, testIn listFlag
	fs.Var(&in, "in", "Tetragon JSON export: a file (any name; .gz is gunzipped) or a directory, whose *.log, *.json, *.jsonl (rotated, .gz) files are read; repeatable")
	fs.Var(&trainIn, "train-in", "train inputs, as -in; with -test-in instead of -in and -cut")
	fs.Var(&testIn, "test-in", "test inputs, as -in")
	cut := fs.String("cut", "", "RFC 3339 time: events before it go to train, the others to test (default with -labels: the first window's start)")
	fs.StringVar(&c.LabelsFile, "labels", "", "labels.csv of ATT&CK trial windows (start_ts,end_ts,technique_id,trial,…)")
	fs.BoolVar(&c.NoLabelColumns, "no-label-columns", false, "with -labels, do not append is_attack/technique_id to the shards")
	inums := fs.String("target-inums", "", "comma-separated PID-namespace inums to keep (default: every non-host PID namespace)")
	var sels listFlag
	fs.Var(&sels, "select", "keep the events of a target instead, e.g. pod-namespace=shop,pod-label=app=cart (terms pid-ns, pod-namespace, pod-name, pod-label, container-id); repeatable: any matches")
	fs.BoolVar(&c.KeepWithoutNamespace, "keep-without-ns", false, "keep events without a PID-namespace inum (Kubernetes without --enable-process-ns; host and container cannot be told apart: use -select)")
	fs.IntVar(&c.MaxLineBytes, "max-line-bytes", tetraparse.DefaultMaxLineBytes, "longest input line; longer ones are skipped and counted as errors (0: no limit)")
	fs.BoolVar(&c.SkipBadFiles, "skip-bad-files", false, "go on past an input file that cannot be read to the end (stats.json lists it); default: fail")
	fs.BoolVar(&c.AllowEmpty, "allow-empty", false, "build even when the inputs yield no rows or are mostly not Tetragon events")
	fs.BoolVar(&c.WaitForLock, "wait", false, "wait while another build writes -out (default: refuse at once)")
	fs.StringVar(&c.SentinelsFile, "sentinels", "", "CSV of sentinel windows to drop (start_ts,end_ts,label; bounds inclusive)")
	fs.StringVar(&c.NodeName, "node-name", "", "node name written when an event has none")
	fs.StringVar(&c.Schema, "schema", schema.DefaultVersion, "schema version (1.1, 1.0) or a feature_definitions.json path")
	fs.StringVar(&c.Out, "out", "out", "output directory")
	fs.StringVar(&c.LineageOut, "lineage-out", "", "also write the train split's lineage graph to this file (mode 0600; not inside -out: it holds raw exec ids)")
	fs.Int64Var(&c.ShardRows, "shard-rows", 1_000_000, "rows per Parquet shard")
	fs.Int64Var(&c.RowGroupRows, "row-group-rows", 65_536, "rows per Parquet row group (what a streaming reader holds at once)")
	fs.IntVar(&c.BatchRows, "batch-rows", 16_384, "rows per parser batch")
	fs.StringVar(&c.SpillCompression, "spill-compression", "lz4", "compression of the temporary spill files: lz4, zstd (least disk) or none")
	spillMiB := fs.Int64("spill-memory", 512, "MiB of Arrow batches held in memory between the passes; the rest goes to temporary files (0: every batch does)")
	fs.Int64Var(&o.memoryLimitMiB, "memory-limit", 1024, "soft limit of the Go heap in MiB, what the garbage collector lets it grow to (0: the Go runtime's defaults; GOGC or GOMEMLIMIT override)")
	fs.BoolVar(&c.NoAnonymize, "no-anonymize", false, "skip anonymization (local research only; refuses release-like -out without -force)")
	fs.BoolVar(&c.AllowReleaseLike, "force", false, "with -no-anonymize, write even where the output looks like a release")
	fs.StringVar(&c.HMACKeyFile, "hmac-key-file", "", "file holding the secret HMAC key for exec-id pseudonyms (default for the built-in sample: a fixed demo key)")
	fs.StringVar(&c.PolicyFile, "policy", "", "anonymization policy JSON (default: the card's release policy)")
	fs.StringVar(&c.License, "license", "cc-by-4.0", "licence of the data in README.md's metadata: a Hugging Face Hub identifier (cc-by-4.0, cc0-1.0, other, …)")
	fs.StringVar(&c.PrivateAliasMap, "private-alias-map", "", "also write the full alias map (original basenames) to this file (mode 0600; not inside -out)")
	fs.IntVar(&c.Workers, "workers", 0, "files parsed in parallel, and columns encoded in parallel (default GOMAXPROCS)")
	order := fs.String("order", "file", "row order: file (input order, the reference's) or time (global event-time sort)")
	fs.BoolVar(&o.quiet, "q", false, "no progress, summary or warnings (one line counts the warnings); errors still go to stderr")
	fs.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	fs.StringVar(&o.memProfile, "memprofile", "", "write a heap profile after the last batch is written (before the shards are closed) to this file")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: corpus [flags]   (no inputs: build the built-in sample)")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected arguments %q (name inputs with -in)", fs.Args())
	}
	c.In, c.TrainIn, c.TestIn = in, trainIn, testIn
	switch {
	case len(c.In) > 0 && len(c.TrainIn)+len(c.TestIn) > 0:
		return nil, errors.New("use either -in (with -cut) or -train-in/-test-in, not both")
	case *cut != "" && len(c.TrainIn)+len(c.TestIn) > 0:
		return nil, errors.New("-cut splits -in; -train-in/-test-in are already split")
	case len(c.In)+len(c.TrainIn)+len(c.TestIn) == 0:
		c.Sample = true
		if *cut != "" || c.LabelsFile != "" || c.SentinelsFile != "" || *inums != "" || len(sels) > 0 || c.KeepWithoutNamespace {
			return nil, errors.New("-cut, -labels, -sentinels, -target-inums, -select and -keep-without-ns need inputs (-in or -train-in/-test-in)")
		}
	}
	if *cut != "" {
		t, err := time.Parse(time.RFC3339Nano, *cut)
		if err != nil { // not Go's layout string
			return nil, fmt.Errorf("-cut %q: want an RFC 3339 time such as 2026-04-19T21:46:27Z", *cut)
		}
		c.Cut = t
	}
	if *inums != "" {
		for _, f := range strings.Split(*inums, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("-target-inums: %q is not an inode number", f)
			}
			c.TargetInums = append(c.TargetInums, v)
		}
	}
	for _, text := range sels {
		sel, err := tetraparse.ParseSelector(text)
		if err != nil {
			return nil, fmt.Errorf("-select: %s", strings.TrimPrefix(err.Error(), "tetraparse: "))
		}
		c.Select = append(c.Select, sel)
	}
	switch *order {
	case "file":
		c.Order = tetraparse.FileOrder
	case "time":
		c.Order = tetraparse.TimeOrder
	default:
		return nil, fmt.Errorf("-order %q: want file or time", *order)
	}
	for _, x := range []struct {
		name string
		v    int64
		min  int64
	}{{"-shard-rows", c.ShardRows, 1}, {"-row-group-rows", c.RowGroupRows, 1}, {"-batch-rows", int64(c.BatchRows), 1},
		{"-memory-limit", o.memoryLimitMiB, 0}, {"-spill-memory", *spillMiB, 0}, {"-workers", int64(c.Workers), 0}, {"-max-line-bytes", int64(c.MaxLineBytes), 0}} {
		if x.v < x.min {
			return nil, fmt.Errorf("%s %d: must be %s", x.name, x.v, map[int64]string{0: "zero or more", 1: "positive"}[x.min])
		}
	}
	c.SpillMemory = *spillMiB << 20
	if *spillMiB == 0 {
		c.SpillMemory = -1 // the Config's "none"; its zero is the default
	}
	if c.MaxLineBytes == 0 {
		c.MaxLineBytes = -1 // likewise
	}
	switch {
	case c.Out == "":
		return nil, errors.New("-out must name a directory")
	case c.NoAnonymize && (c.HMACKeyFile != "" || c.PolicyFile != "" || c.PrivateAliasMap != ""):
		return nil, errors.New("-hmac-key-file, -policy and -private-alias-map configure anonymization, which -no-anonymize skips")
	}
	return o, nil
}

// run parses the flags, builds the corpus and prints a summary.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" && o.memoryLimitMiB > 0 {
		// The builder's live heap is small next to what it allocates (Arrow
		// batches that live for one stage): the default collector, which
		// runs whenever the heap doubles, cost about a sixth of the CPU
		// (GOGC=100 against 300, 1 M events: 11.3 against 9.4 CPU seconds).
		// Let the heap grow to the soft limit instead; the runtime keeps to
		// the limit by collecting more often near it.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(o.memoryLimitMiB << 20))
	}
	c := o.cfg
	c.Tool = tool
	var warnings int64 // under -q, counted and summed up in one line
	c.OnWarning = func(msg string) {
		if warnings++; !o.quiet {
			fmt.Fprintln(stderr, "corpus: warning: "+msg)
		}
	}
	defer func() {
		if o.quiet && warnings > 0 {
			fmt.Fprintf(stderr, "corpus: %s not shown (-q)\n", numfmt.Count(warnings, "warning", "warnings"))
		}
	}()
	pl := newProgressLine(stderr)
	var profErr error
	c.OnProgress = func(p corpus.Progress) {
		if !o.quiet {
			pl.report(p)
		}
		// The stage that writes the shards ends after their last batch:
		// the point of the largest live heap.
		if p.Done && o.memProfile != "" && (p.Stage == corpus.StageAnonymize || c.NoAnonymize && p.Stage == corpus.StageEncode) {
			profErr = writeHeapProfile(o.memProfile)
		}
	}
	if o.quiet && o.memProfile == "" {
		c.OnProgress = nil
	}
	c.ProgressInterval = pl.interval
	res, err := corpus.Build(ctx, c)
	if ce := (*corpus.ConfigError)(nil); errors.As(err, &ce) && flagNames[ce.Field] != "" {
		return fmt.Errorf("%s: %w", flagNames[ce.Field], ce.Err)
	}
	if err != nil {
		return err
	}
	if profErr != nil {
		return profErr
	}
	if !o.quiet {
		summary(stdout, res)
	}
	return nil
}

// progressLine prints the build's progress (corpus.Progress.String). On a
// terminal the line is redrawn every second; otherwise (a log
// file, CI) a line is printed every 10 seconds. A stage shorter than that
// prints nothing.
type progressLine struct {
	w        io.Writer
	tty      bool
	interval time.Duration
	printed  bool // the current stage printed a line
}

func newProgressLine(w io.Writer) *progressLine {
	p := &progressLine{w: w, interval: 10 * time.Second}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.interval = true, time.Second
		}
	}
	return p
}

func (p *progressLine) report(r corpus.Progress) {
	if r.Done && !p.printed {
		return
	}
	p.printed = !r.Done
	line := "corpus: " + r.String()
	switch {
	case p.tty && r.Done:
		fmt.Fprintf(p.w, "\r%s\033[K\n", line)
	case p.tty:
		fmt.Fprintf(p.w, "\r%s\033[K", line)
	default:
		fmt.Fprintln(p.w, line)
	}
}

// summary prints what was written, and how fast.
func summary(w io.Writer, r *corpus.Result) {
	fmt.Fprintf(w, "corpus: %s\n", r)
	fmt.Fprintf(w, "corpus: see %s and %s\n", filepath.Join(r.Out, "README.md"), filepath.Join(r.Out, "stats.json"))
	if r.LineageOut != "" {
		fmt.Fprintf(w, "corpus: train lineage graph in %s\n", r.LineageOut)
	}
}

// writeHeapProfile writes the live heap, for -memprofile.
func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	runtime.GC()
	err = pprof.WriteHeapProfile(f)
	if e := f.Close(); err == nil {
		err = e
	}
	return err
}
