// Command corpus builds a tetrahids corpus end to end: Tetragon JSON export
// in, the released layout out — Parquet shards of the encoded table per
// split, the feature definitions, the alias map, the labels, parser /
// lineage / encoder statistics and a datacard whose tables are computed
// from the written data.
//
// With no arguments it builds a corpus from a built-in sample (6,000
// synthetic events of a developer container, generated at run time by
// internal/synth from a fixed seed, with an embedded labels.csv of 8
// windows) into ./out:
//
//	go run ./examples/corpus
//
// On your own Tetragon export (files or directories of rotated
// .json/.json.gz files), cutting train/test at a time:
//
//	go run ./examples/corpus -in /var/log/tetragon/ -cut 2026-04-19T21:46:27Z \
//	  -labels labels.csv -target-inums 4026533329,4026533387 \
//	  -policy policy.json -hmac-key-file key.bin -out corpus/
//
// or with separate train and test inputs (-train-in, -test-in). Either
// way lineage is built from all train rows first and then all test rows,
// before anything is encoded ("train lineage seeds test"), as the
// reference pipeline does.
//
// # Splits and labels
//
// With -in, rows whose event_time is before -cut are train and the others
// test; rows without an event_time cannot be placed and are dropped (and
// counted in stats.json), as the reference's carve drops them. Without
// -cut the cut is the start of the first labels window; without labels
// either, every row is train. A cut after the start of a labels window is
// an error (train must be benign-only). With -train-in/-test-in every row
// stays in its split.
//
// With -labels (start_ts,end_ts,technique_id,trial[,tactic,…]; see
// package labels for the rule), both splits' shards end with is_attack
// (bool) and technique_id (string, null when benign), unless
// -no-label-columns; the datacard's tables are computed either way.
//
// # Output layout
//
//	out/data/train-00000-of-0000N.parquet   encoded rows (snappy), then is_attack, technique_id
//	out/data/test-00000-of-0000N.parquet    (an empty split still gets one shard, with the schema)
//	out/labels.csv                          the -labels file, verbatim
//	out/reproduction/feature_definitions.json   the schema used, byte for byte
//	out/reproduction/alias_map.json         basename aliases (anonymized builds only)
//	out/reproduction/NOT_ANONYMIZED         instead of alias_map.json with -no-anonymize
//	out/reproduction/PARSER_VERSION
//	out/stats.json                          every counter (each drop reason), timing and the accounting
//	out/datacard.md                         the card's tables, computed from data/
//
// Everything is written into a temporary directory beside -out and renamed
// into place only when the whole build succeeded, so a failed or
// interrupted build leaves the previous -out untouched (a killed one can
// leave a .<out>.tmp-* directory to delete). An existing -out is replaced
// only if it is empty or itself a corpus built by this command. The exit
// status is non-zero on any error. Progress goes to stderr (a redrawn line
// on a terminal, a line every 10 s otherwise; -q silences it and the
// summary).
//
// # Anonymization
//
// By default the shards are anonymized with package anonymize: basename
// aliases, cwd rewriting, HMAC exec-id pseudonyms (the key comes from
// -hmac-key-file and is never written anywhere), a sweep, and the
// post-write assertions, run again over the shards as read back from
// disk. -policy names the policy JSON (anonymize/testdata/policy.default.json
// is the template; fill in your operator, host and project names).
//
// -no-anonymize skips all of that for local research, and writes
// reproduction/NOT_ANONYMIZED and a datacard that says so. It refuses,
// unless -force is given, an -out that looks like a release: a path
// component with the word "release" or "releases" (corpus-release-v0.3,
// /srv/releases/…), a directory holding reproduction/alias_map.json (an
// anonymized corpus), or a directory inside a Git LFS repository (a
// .gitattributes with filter=lfs, as in a Hugging Face dataset clone).
//
// # Memory
//
// Lineage needs every raw row before the first row can be encoded. Rather
// than parsing the input twice (parsing is by far the most expensive
// stage), the builder parses once, building only the raw columns the
// encoder reads, and keeps the raw batches of each split for the second
// pass: in memory up to -spill-memory (512 MiB by default, shared by all
// splits), then in a temporary LZ4 Arrow IPC file per split (in the
// temporary directory, about 0.1 KB per row, deleted once the split is
// encoded). The second pass reads them back one batch at a time, the two
// splits concurrently; an anonymized build keeps its encoded batches the
// same way for the third. Besides those, what stays in memory is the
// lineage graph (about 50 bytes per process plus its strings), each
// encoder's per-process state and caches, a few batches in flight per
// pipeline stage (16,384 rows each), and one Parquet row group per open
// shard. The builder lets the Go heap grow to the soft -memory-limit
// (1 GiB) before collecting hard, unless GOGC or GOMEMLIMIT is set: about
// 1 GB peak RSS for a million events, bounded by the limit rather than
// the input size (a graph of many millions of processes can exceed it).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "corpus:", err)
		}
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

// Options are the builder's settings, one per flag.
type Options struct {
	In, TrainIn, TestIn []string
	// Cut is the first test time (ns since the epoch); HasCut says whether
	// -cut was given.
	Cut    int64
	HasCut bool
	Labels string
	// NoLabelColumns keeps is_attack/technique_id out of the shards even
	// with Labels (the tables are still computed).
	NoLabelColumns bool
	TargetInums    []uint64
	Sentinels      string
	NodeName       string
	Schema         string
	Out            string
	ShardRows      int64
	RowGroupRows   int64
	BatchRows      int
	// SpillCompression is none, lz4 or zstd (see spill).
	SpillCompression string
	// SpillMemoryMiB bounds the batches held in memory between the passes
	// before they go to temporary files.
	SpillMemoryMiB int64
	// MemoryLimitMiB is the Go heap's soft limit (0: the runtime's
	// defaults); GOGC or GOMEMLIMIT in the environment take precedence.
	MemoryLimitMiB int64
	NoAnonymize    bool
	Force          bool
	HMACKeyFile    string
	Policy         string
	Workers        int
	Order          tetraparse.Order
	Quiet          bool
	// CPUProfile and MemProfile name pprof output files (for benchmarks).
	CPUProfile, MemProfile string
	// Sample is set when no input was named: the built-in sample is used.
	Sample bool
}

// parseFlags reads the command line into Options, checking combinations.
func parseFlags(args []string, stderr io.Writer) (*Options, error) {
	o := &Options{}
	fs := flag.NewFlagSet("corpus", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var in, trainIn, testIn listFlag
	fs.Var(&in, "in", "Tetragon JSON export: a file (.json, .json.gz) or a directory of rotated files; repeatable")
	fs.Var(&trainIn, "train-in", "train inputs, as -in; with -test-in instead of -in and -cut")
	fs.Var(&testIn, "test-in", "test inputs, as -in")
	cut := fs.String("cut", "", "RFC 3339 time: events before it go to train, the others to test (default with -labels: the first window's start)")
	fs.StringVar(&o.Labels, "labels", "", "labels.csv of ATT&CK trial windows (start_ts,end_ts,technique_id,trial,…)")
	fs.BoolVar(&o.NoLabelColumns, "no-label-columns", false, "with -labels, do not append is_attack/technique_id to the shards")
	inums := fs.String("target-inums", "", "comma-separated PID-namespace inums to keep (default: every non-host PID namespace)")
	fs.StringVar(&o.Sentinels, "sentinels", "", "CSV of sentinel windows to drop (start_ts,end_ts,label; bounds inclusive)")
	fs.StringVar(&o.NodeName, "node-name", "", "node name written when an event has none")
	fs.StringVar(&o.Schema, "schema", schema.DefaultVersion, "schema version (1.1, 1.0) or a feature_definitions.json path")
	fs.StringVar(&o.Out, "out", "out", "output directory")
	fs.Int64Var(&o.ShardRows, "shard-rows", 1_000_000, "rows per Parquet shard")
	fs.Int64Var(&o.RowGroupRows, "row-group-rows", 65_536, "rows per Parquet row group (what a streaming reader holds at once)")
	fs.IntVar(&o.BatchRows, "batch-rows", 16_384, "rows per parser batch")
	fs.StringVar(&o.SpillCompression, "spill-compression", "lz4", "compression of the temporary spill files: lz4, zstd (least disk) or none")
	fs.Int64Var(&o.SpillMemoryMiB, "spill-memory", 512, "MiB of Arrow batches held in memory between the passes; the rest goes to temporary files (0: every batch does)")
	fs.Int64Var(&o.MemoryLimitMiB, "memory-limit", 1024, "soft limit of the Go heap in MiB, what the garbage collector lets it grow to (0: the Go runtime's defaults; GOGC or GOMEMLIMIT override)")
	fs.BoolVar(&o.NoAnonymize, "no-anonymize", false, "skip anonymization (local research only; refuses release-like -out without -force)")
	fs.BoolVar(&o.Force, "force", false, "with -no-anonymize, write even where the output looks like a release")
	fs.StringVar(&o.HMACKeyFile, "hmac-key-file", "", "file holding the secret HMAC key for exec-id pseudonyms (default for the built-in sample: a fixed demo key)")
	fs.StringVar(&o.Policy, "policy", "", "anonymization policy JSON (default: the card's release policy)")
	fs.IntVar(&o.Workers, "workers", 0, "files parsed in parallel, and columns encoded in parallel (default GOMAXPROCS)")
	order := fs.String("order", "file", "row order: file (input order, the reference's) or time (global event-time sort)")
	fs.BoolVar(&o.Quiet, "q", false, "no progress or summary output (warnings and errors still go to stderr)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile (go tool pprof) to this file")
	fs.StringVar(&o.MemProfile, "memprofile", "", "write a heap profile after the last batch is written (before the shards are closed) to this file")
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
	o.In, o.TrainIn, o.TestIn = in, trainIn, testIn
	switch {
	case len(o.In) > 0 && len(o.TrainIn)+len(o.TestIn) > 0:
		return nil, errors.New("use either -in (with -cut) or -train-in/-test-in, not both")
	case *cut != "" && len(o.TrainIn)+len(o.TestIn) > 0:
		return nil, errors.New("-cut splits -in; -train-in/-test-in are already split")
	case len(o.In)+len(o.TrainIn)+len(o.TestIn) == 0:
		o.Sample = true
		if *cut != "" || o.Labels != "" || o.Sentinels != "" || *inums != "" {
			return nil, errors.New("-cut, -labels, -sentinels and -target-inums need inputs (-in or -train-in/-test-in)")
		}
	}
	if *cut != "" {
		t, err := time.Parse(time.RFC3339Nano, *cut)
		if err != nil {
			return nil, fmt.Errorf("-cut %q: want an RFC 3339 time such as 2026-04-19T21:46:27Z: %w", *cut, err)
		}
		o.Cut, o.HasCut = t.UnixNano(), true
	}
	if *inums != "" {
		for _, f := range strings.Split(*inums, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil, fmt.Errorf("-target-inums: %q is not an inode number", f)
			}
			o.TargetInums = append(o.TargetInums, v)
		}
	}
	switch *order {
	case "file":
		o.Order = tetraparse.FileOrder
	case "time":
		o.Order = tetraparse.TimeOrder
	default:
		return nil, fmt.Errorf("-order %q: want file or time", *order)
	}
	switch {
	case o.ShardRows <= 0:
		return nil, fmt.Errorf("-shard-rows %d: must be positive", o.ShardRows)
	case o.RowGroupRows <= 0:
		return nil, fmt.Errorf("-row-group-rows %d: must be positive", o.RowGroupRows)
	case o.BatchRows <= 0:
		return nil, fmt.Errorf("-batch-rows %d: must be positive", o.BatchRows)
	case o.MemoryLimitMiB < 0:
		return nil, fmt.Errorf("-memory-limit %d: must not be negative", o.MemoryLimitMiB)
	case o.SpillMemoryMiB < 0:
		return nil, fmt.Errorf("-spill-memory %d: must not be negative", o.SpillMemoryMiB)
	case !knownSpillCodec(o.SpillCompression):
		return nil, fmt.Errorf("-spill-compression %q: want none, lz4 or zstd", o.SpillCompression)
	case o.Workers < 0:
		return nil, fmt.Errorf("-workers %d: must not be negative", o.Workers)
	case o.Out == "":
		return nil, errors.New("-out must name a directory")
	case o.NoAnonymize && (o.HMACKeyFile != "" || o.Policy != ""):
		return nil, errors.New("-hmac-key-file and -policy configure anonymization, which -no-anonymize skips")
	}
	return o, nil
}

// run parses the flags, builds the corpus and prints a summary.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	if o.CPUProfile != "" {
		f, err := os.Create(o.CPUProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	if os.Getenv("GOGC") == "" && os.Getenv("GOMEMLIMIT") == "" && o.MemoryLimitMiB > 0 {
		// The builder's live heap is small next to what it allocates (Arrow
		// batches that live for one stage): the default collector, which
		// runs whenever the heap doubles, cost about a sixth of the CPU
		// (GOGC=100 against 300, 1 M events: 11.3 against 9.4 CPU seconds).
		// Let the heap grow to the soft limit instead; the runtime keeps to
		// the limit by collecting more often near it.
		defer debug.SetGCPercent(debug.SetGCPercent(400))
		defer debug.SetMemoryLimit(debug.SetMemoryLimit(o.MemoryLimitMiB << 20))
	}
	res, err := Build(ctx, o, stderr)
	if err != nil {
		return err
	}
	if !o.Quiet {
		res.summary(stdout)
	}
	return nil
}
