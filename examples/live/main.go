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
	"syscall"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
	"github.com/tetrahids/tetrahids/examples/live/internal/metrics"
	"github.com/tetrahids/tetrahids/examples/live/internal/service"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

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
	)
	fs.Usage = func() {
		fmt.Fprintf(fs.Output(), "usage: live [flags]\n\nFollows Tetragon's JSON export (or reads standard input), checkpoints to resume\nwhere it stopped, and reports to operators.\n\n")
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
	if !*passthrough {
		fmt.Fprintln(stderr, "live: scoring is not available in this version; -passthrough runs the input path alone")
		return 2
	}
	level := slog.LevelInfo
	if *quiet {
		level = slog.LevelWarn
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))

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

	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	defer stop()
	counters := new(metrics.Counters)
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
	if err := service.Run(ctx, cfg, &passThrough{c: counters}); err != nil {
		log.Error("stopped", "err", err)
		return 1
	}
	return 0
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
