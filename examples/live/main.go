package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"runtime/pprof"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tetrahids/tetrahids/baseline"
	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
	"github.com/tetrahids/tetrahids/examples/live/internal/metrics"
	"github.com/tetrahids/tetrahids/examples/live/internal/score"
	"github.com/tetrahids/tetrahids/examples/live/internal/service"
	"github.com/tetrahids/tetrahids/schema"
	"github.com/tetrahids/tetrahids/tetraparse"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

// listFlag is a repeatable string flag.
type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, " ") }
func (l *listFlag) Set(v string) error { *l = append(*l, v); return nil }

// usageError is a bad combination of flags: exit code 2.
type usageError struct{ msg string }

func (e *usageError) Error() string { return e.msg }

// run is the program without the process: it returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("live", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var (
		followPath  = fs.String("follow", "", "follow Tetragon's JSON export `file` through rotation (Tetragon's Helm chart writes "+follow.DefaultPath+"); without it, read standard input")
		outPath     = fs.String("out", "", "append the output to `file` (default standard output)")
		stateDir    = fs.String("state", "", "keep checkpoints in `dir` and resume from them")
		cpEvery     = fs.Duration("checkpoint-every", service.DefaultCheckpointEvery, "time between checkpoints")
		statusEvery = fs.Duration("status-every", 10*time.Second, "time between status lines on standard error (0: none)")
		metricsAddr = fs.String("metrics-addr", "", "serve Prometheus metrics on `host:port` at /metrics, e.g. 127.0.0.1:9464")
		maxLine     = fs.Int("max-line-bytes", follow.DefaultMaxLineBytes, "drop (and count) input lines longer than this (the library's limit, tetraparse.DefaultMaxLineBytes)")
		poll        = fs.Duration("poll", follow.DefaultPollInterval, "look at the followed file at least this often")
		noWatch     = fs.Bool("no-watch", false, "poll only, without file change notifications (file systems without inotify)")
		passthrough = fs.Bool("passthrough", false, "write each input line unchanged, without scoring (checks the input path: following, checkpoints, metrics)")
		quiet       = fs.Bool("q", false, "log warnings and errors only")
		cpuProfile  = fs.String("cpuprofile", "", "write a CPU profile (go tool pprof) of the run to `file`")

		modelPath   = fs.String("model", "", "score with the model in `file` (OUT/model.bin of examples/baseline: ngram, iforest or iforest-flat)")
		lineagePath = fs.String("lineage", "", "seed the lineage graph from `file` (the training split's graph: examples/corpus -lineage-out)")
		threshold   = fs.String("threshold", score.DefaultThreshold, "alert when the score is at least this: a number, or a quantile of the model's benign training scores such as q0.999")
		holdBack    = fs.Duration("hold-back", 0, "hold an event whose parent process has not been seen for up to this long, so that its lineage is the corpus's (latency for those events; 0: none)")
		maxProcs    = fs.Int("max-processes", score.DefaultMaxProcesses, "bound the processes kept by the lineage graph, the encoder and the n-gram scorer, each (least recently used evicted)")
		hashCache   = fs.Int("hash-cache", score.DefaultHashCacheSize, "digests the encoder remembers per hashed column")
		features    = fs.Bool("features", false, "add the whole encoded row (\"features\") to each output line")
		schemaFlag  = fs.String("schema", schema.DefaultVersion, "schema version (1.1, 1.0) or a feature_definitions.json path: the model's corpus's")
		inums       = fs.String("target-inums", "", "comma-separated PID-namespace inums to keep (default: every non-host PID namespace)")
		sentinels   = fs.String("sentinels", "", "CSV of sentinel windows to drop (start_ts,end_ts,label; bounds inclusive)")
		nodeName    = fs.String("node-name", "", "node name written when an event has none")
		keepNoNS    = fs.Bool("keep-without-ns", false, "keep events whose process carries no PID-namespace inum (Tetragon without process namespaces); use -select to pick a target")
		selects     listFlag
	)
	fs.Var(&selects, "select", "keep the events of a target, instead of -target-inums: `terms` such as pod-namespace=shop,pod-label=app=cart or container-id=ID (repeatable: any matches)")
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: live -model FILE [-lineage FILE] [flags]\n       live -passthrough [flags]\n\nFollows Tetragon's JSON export (or reads standard input), scores each kept\nevent with a baseline model and writes one JSON line per event; checkpoints\nto resume where it stopped, and reports to operators.\n\n")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "live: unexpected arguments %q\n", fs.Args())
		return 2
	}
	scoring := map[string]bool{"model": true, "lineage": true, "threshold": true, "hold-back": true, "max-processes": true, "hash-cache": true,
		"features": true, "schema": true, "target-inums": true, "sentinels": true, "node-name": true, "keep-without-ns": true, "select": true}
	var misplaced []string
	fs.Visit(func(f *flag.Flag) {
		if *passthrough && scoring[f.Name] {
			misplaced = append(misplaced, "-"+f.Name)
		}
	})
	switch {
	case len(misplaced) > 0:
		fmt.Fprintf(stderr, "live: -passthrough does not score; drop %s\n", strings.Join(misplaced, " "))
		return 2
	case !*passthrough && *modelPath == "":
		fmt.Fprintln(stderr, "live: -model is required (examples/baseline writes OUT/model.bin); -passthrough runs the input path alone")
		return 2
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	counters := new(metrics.Counters)

	var p service.Processor = &passThrough{c: counters}
	if !*passthrough {
		source := "stdin"
		if *followPath != "" {
			source = filepath.Base(*followPath)
		}
		sp, err := newScorer(scorerFlags{
			model: *modelPath, lineage: *lineagePath, threshold: *threshold, holdBack: *holdBack,
			maxProcs: *maxProcs, hashCache: *hashCache, features: *features, schema: *schemaFlag,
			inums: *inums, sentinels: *sentinels, nodeName: *nodeName, keepNoNS: *keepNoNS, selects: selects,
			maxLine: *maxLine, source: source,
		}, counters, log)
		if err != nil {
			fmt.Fprintln(stderr, "live:", err)
			var ue *usageError
			if errors.As(err, &ue) {
				return 2
			}
			return 1
		}
		defer sp.Close()
		p = sp
	}

	out := stdout
	if *outPath != "" && *outPath != "-" {
		// Appending: a restarted service goes on after what it wrote.
		f, err := os.OpenFile(*outPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
		if err != nil {
			fmt.Fprintln(stderr, "live:", err)
			return 1
		}
		defer f.Close()
		out = f
	}

	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			fmt.Fprintln(stderr, "live:", err)
			return 1
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			fmt.Fprintln(stderr, "live:", err)
			return 1
		}
		defer pprof.StopCPUProfile()
	}

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	cfg := service.Config{
		Follow:          *followPath,
		In:              stdin,
		Input:           follow.Options{MaxLineBytes: *maxLine, PollInterval: *poll, NoWatch: *noWatch},
		Out:             out,
		StateDir:        *stateDir,
		CheckpointEvery: *cpEvery,
		StatusEvery:     *statusEvery,
		Status:          stderr,
		MetricsAddr:     *metricsAddr,
		Counters:        counters,
		Log:             log,
	}
	if err := service.Run(ctx, cfg, p); err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	return 0
}

// scorerFlags are the flags of the scoring mode.
type scorerFlags struct {
	model, lineage, threshold          string
	holdBack                           time.Duration
	maxProcs, hashCache, maxLine       int
	features, keepNoNS                 bool
	schema, inums, sentinels, nodeName string
	selects                            []string
	source                             string
}

// newScorer loads the model, the seed graph and the filters.
func newScorer(fl scorerFlags, c *metrics.Counters, log *slog.Logger) (*score.Processor, error) {
	defs, err := loadSchema(fl.schema)
	if err != nil {
		return nil, err
	}
	pc := tetraparse.Config{NodeName: fl.nodeName, KeepWithoutNamespace: fl.keepNoNS, MaxLineBytes: fl.maxLine}
	if fl.inums != "" {
		for _, f := range strings.Split(fl.inums, ",") {
			v, err := strconv.ParseUint(strings.TrimSpace(f), 10, 64)
			if err != nil {
				return nil, &usageError{fmt.Sprintf("-target-inums: %q is not an inode number", f)}
			}
			pc.TargetInums = append(pc.TargetInums, v)
		}
	}
	for _, s := range fl.selects {
		sel, err := tetraparse.ParseSelector(s)
		if err != nil {
			return nil, &usageError{fmt.Sprintf("-select: %v", err)}
		}
		pc.Select = append(pc.Select, sel)
	}
	if fl.sentinels != "" {
		f, err := os.Open(fl.sentinels)
		if err != nil {
			return nil, fmt.Errorf("-sentinels: %w", err)
		}
		pc.Sentinels, err = tetraparse.ReadWindows(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("-sentinels %s: %w", fl.sentinels, err)
		}
	}
	mf, err := os.Open(fl.model)
	if err != nil {
		return nil, fmt.Errorf("-model: %w", err)
	}
	model, err := baseline.Load(mf)
	mf.Close()
	if err != nil {
		return nil, fmt.Errorf("-model %s: %w", fl.model, err)
	}
	th, err := score.ParseThreshold(fl.threshold, model)
	if err != nil {
		return nil, &usageError{"-" + err.Error()}
	}
	cfg := score.Config{
		Definitions: defs, Parser: pc, Model: model, Threshold: th, HoldBack: fl.holdBack,
		MaxProcesses: fl.maxProcs, HashCacheSize: fl.hashCache, Features: fl.features,
		Source: fl.source, Counters: c, Log: log,
	}
	if fl.lineage != "" {
		f, err := os.Open(fl.lineage)
		if err != nil {
			return nil, fmt.Errorf("-lineage: %w", err)
		}
		defer f.Close()
		cfg.Seed = f
	} else {
		log.Warn("no -lineage: processes that started before the service have no known ancestry until they exec again")
	}
	p, err := score.New(cfg)
	if err != nil {
		return nil, err
	}
	st := p.Stats()
	log.Info("scoring", "model", model.Kind().String(), "model_id", model.ID()[:12], "threshold", th, "threshold_from", fl.threshold,
		"seed_processes", st.GraphProcesses, "max_processes", fl.maxProcs, "hold_back", fl.holdBack)
	return p, nil
}

// loadSchema reads -schema: an embedded version or a definitions file.
func loadSchema(v string) (*schema.Definitions, error) {
	if strings.HasSuffix(v, ".json") || strings.ContainsRune(v, os.PathSeparator) {
		f, err := os.Open(v)
		if err != nil {
			return nil, fmt.Errorf("-schema: %w", err)
		}
		defer f.Close()
		d, err := schema.Load(f)
		if err != nil {
			return nil, fmt.Errorf("-schema %s: %w", v, err)
		}
		return d, nil
	}
	d, err := schema.Version(v)
	if err != nil {
		return nil, &usageError{fmt.Sprintf("-schema %q: %v (embedded versions: %s; or name a feature_definitions.json)", v, err, strings.Join(schema.EmbeddedVersions(), ", "))}
	}
	return d, nil
}

// passThrough writes every input line unchanged.
type passThrough struct{ c *metrics.Counters }

func (p *passThrough) Process(line []byte, out io.Writer) error {
	if _, err := out.Write(line); err != nil {
		return err
	}
	if _, err := out.Write([]byte{'\n'}); err != nil {
		return err
	}
	p.c.Kept()
	return nil
}

func (p *passThrough) Flush(io.Writer) error { return nil }
