package service

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
	"github.com/tetrahids/tetrahids/examples/live/internal/metrics"
	"github.com/tetrahids/tetrahids/examples/live/internal/state"
)

// Processor turns input lines into output: in the scoring service, decode,
// filter, encode, score and write one JSON line per kept event.
type Processor interface {
	// Process handles one input line, newline excluded; line is valid
	// only during the call. It writes its output, if any, to out and
	// counts what it did (kept, dropped by reason, alerts) in the
	// Counters it was built with. An error is fatal: the service stops
	// without a further checkpoint, so the line is processed again after
	// a restart. Problems of the line itself (it does not decode, a
	// filter drops it) are counted, not returned.
	Process(line []byte, out io.Writer) error
	// Flush writes to out everything held back for the lines given to
	// Process so far, except what a Drainer keeps in its Sections. The
	// service calls it whenever the input has no line ready, and before
	// every checkpoint: after Flush, every line given to Process is fully
	// reflected in out and in the Sections.
	Flush(out io.Writer) error
}

// Drainer is implemented by a Processor that holds output back beyond
// Flush, keeping it in its Sections (the scorer's events that wait for
// their parent process): a checkpoint saves it, and the processor takes
// it up again after a restart. Drain writes all of it to out; the service
// calls it when the input ends, and before stopping without a state
// directory to keep it in.
type Drainer interface {
	Drain(out io.Writer) error
}

// Stateful is implemented by a Processor with state to keep across
// restarts (the lineage graph, the scorer's per-process contexts).
type Stateful interface {
	// Sections returns the state to checkpoint, as of the last Flush.
	// The names "input" and "counters" are the service's own.
	Sections() []state.Section
	// Restore loads the state from a checkpoint, once, before the first
	// Process. A missing section means state saved by a processor
	// without it; an unreadable one is an error (the service does not
	// start).
	Restore(cp *state.Checkpoint) error
}

// Section names the service itself writes into a checkpoint.
const (
	InputSection    = "input"
	CountersSection = "counters"
)

// Defaults of Config.
const (
	DefaultCheckpointEvery = 10 * time.Second
)

// Config configures Run. The zero value reads In and writes Out without
// checkpoints, status lines or metrics.
type Config struct {
	// Follow is the file to follow (see package follow); "" reads In.
	Follow string
	// In is the input stream when Follow is "" (standard input).
	In io.Reader
	// Input configures the follower and the line length; From is set
	// from the checkpoint.
	Input follow.Options
	// Out receives the output. If it is an *os.File of a regular file,
	// it is synced before each checkpoint.
	Out io.Writer
	// StateDir holds the checkpoints; "" runs without.
	StateDir string
	// CheckpointEvery is the time between checkpoints (default
	// DefaultCheckpointEvery). One is also taken at the end.
	CheckpointEvery time.Duration
	// StatusEvery is the time between status lines to Status; 0 prints
	// none.
	StatusEvery time.Duration
	// Status receives the status lines (standard error).
	Status io.Writer
	// MetricsAddr, if not "", is the host:port to serve Prometheus text
	// on, at /metrics.
	MetricsAddr string
	// Counters, if not nil, are the counts to use (the Processor's);
	// Run restores them from the checkpoint.
	Counters *metrics.Counters
	// Log receives events worth an operator's attention (nil: none).
	Log *slog.Logger
	// OnMetrics, if not nil, is called with the metrics address once the
	// server listens (tests use port 0).
	OnMetrics func(addr string)
}

// ErrState is wrapped by the errors about a state directory whose
// checkpoints cannot be used. The service does not start then: starting
// afresh would read everything again or skip input, and the operator
// decides (move the directory away).
var ErrState = errors.New("service: unusable state")

// source is what Run reads lines from: a follow.Follower or follow.Stream.
type source interface {
	Next(ctx context.Context, wait time.Duration) (follow.Line, error)
	Stats() follow.Stats
	Close() error
}

// Run reads the input, gives each line to p, and checkpoints every
// CheckpointEvery and when ctx is done (SIGTERM), until ctx is done or the
// input stream ends. It returns nil then, after the final checkpoint.
//
// A checkpoint is taken only where every line before its input position has
// been given to p, flushed by p, and written to Out (flushed, and synced
// for a file). So across stops at ctx's end each line is processed exactly
// once, and after a crash the lines since the last checkpoint are processed
// again, never skipped.
func Run(ctx context.Context, cfg Config, p Processor) error {
	if cfg.CheckpointEvery <= 0 {
		cfg.CheckpointEvery = DefaultCheckpointEvery
	}
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Status == nil {
		cfg.Status = io.Discard
	}
	log := cfg.Log
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	counters := cfg.Counters
	if counters == nil {
		counters = new(metrics.Counters)
	}
	r := &runner{cfg: cfg, p: p, log: log, counters: counters}
	if err := r.start(); err != nil {
		return err
	}
	defer r.close()
	if cfg.MetricsAddr != "" {
		mctx, cancel := context.WithCancel(context.Background())
		addr, done, err := metrics.Serve(mctx, cfg.MetricsAddr, r.snapshot)
		if err != nil {
			cancel()
			return fmt.Errorf("service: metrics: %w", err)
		}
		defer func() { cancel(); <-done }()
		log.Info("serving metrics", "addr", addr.String())
		if cfg.OnMetrics != nil {
			cfg.OnMetrics(addr.String())
		}
	}
	return r.loop(ctx)
}

type runner struct {
	cfg      Config
	p        Processor
	log      *slog.Logger
	counters *metrics.Counters
	store    *state.Store
	src      source
	out      *bufio.Writer
	sync     *os.File // Out, if a regular file
	pos      follow.Position
	dirty    bool // output written since the last flush
	moved    bool // position moved since the last checkpoint
	logged   map[error]bool
}

// start restores the checkpoint and opens the input.
func (r *runner) start() error {
	r.out = bufio.NewWriterSize(r.cfg.Out, 64<<10)
	r.logged = map[error]bool{}
	if f, ok := r.cfg.Out.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() {
			r.sync = f
		}
	}
	var from *follow.Position
	if r.cfg.StateDir != "" {
		store, err := state.Open(r.cfg.StateDir)
		if err != nil {
			return fmt.Errorf("service: %w", err)
		}
		r.store = store
		if from, err = r.restore(); err != nil {
			store.Close()
			return err
		}
	}
	if r.cfg.Follow == "" {
		in := r.cfg.In
		if in == nil {
			in = os.Stdin
		}
		r.src = follow.NewStream(in, r.cfg.Input)
		return nil
	}
	opts := r.cfg.Input
	opts.From = from
	f, err := follow.New(r.cfg.Follow, opts)
	if err != nil {
		if r.store != nil {
			r.store.Close()
		}
		return err
	}
	r.src = f
	return nil
}

// restore loads the newest checkpoint into the counters and the processor
// and returns the input position it holds (nil for none).
func (r *runner) restore() (*follow.Position, error) {
	cp, err := r.store.Load()
	if errors.Is(err, state.ErrNoCheckpoint) {
		r.log.Info("no checkpoint: starting afresh", "state", r.cfg.StateDir)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%w: %w (move the state directory away to start afresh)", ErrState, err)
	}
	defer cp.Close()
	if cp.Skipped != nil {
		r.log.Warn("newest checkpoint unusable; resuming from the one before (some input is read again)", "err", cp.Skipped)
	}
	var from *follow.Position
	if b, err := cp.Bytes(InputSection); err == nil && r.cfg.Follow != "" {
		var pos follow.Position
		if err := pos.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrState, err)
		}
		r.pos, from = pos, &pos
	} else if err != nil && !errors.Is(err, state.ErrNoSection) {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	if b, err := cp.Bytes(CountersSection); err == nil {
		if err := r.counters.UnmarshalBinary(b); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrState, err)
		}
	} else if !errors.Is(err, state.ErrNoSection) {
		return nil, fmt.Errorf("%w: %w", ErrState, err)
	}
	if sp, ok := r.p.(Stateful); ok {
		if err := sp.Restore(cp); err != nil {
			return nil, fmt.Errorf("%w: %w", ErrState, err)
		}
	}
	r.log.Info("resuming", "checkpoint", cp.Seq, "written", cp.Time, "position", r.pos.String())
	return from, nil
}

func (r *runner) close() {
	r.src.Close()
	if r.store != nil {
		r.store.Close()
	}
}

func (r *runner) snapshot() metrics.Snapshot { return r.counters.Snapshot(r.src.Stats()) }

func (r *runner) loop(ctx context.Context) error {
	now := time.Now()
	nextCP := now.Add(r.cfg.CheckpointEvery)
	nextStatus := now.Add(r.cfg.StatusEvery)
	prevStatus := r.snapshot()
	done := ctx.Done()
	for {
		// Stop promptly even with a backlog to read.
		select {
		case <-done:
			r.log.Info("stopping", "reason", ctx.Err())
			return r.stop()
		default:
		}
		line, err := r.src.Next(ctx, 0)
		if errors.Is(err, follow.ErrIdle) {
			// Nothing ready: emit what is held before waiting.
			if r.dirty {
				if err := r.flush(); err != nil {
					return err
				}
			}
			until := nextCP
			if r.cfg.StatusEvery > 0 && nextStatus.Before(until) {
				until = nextStatus
			}
			line, err = r.src.Next(ctx, max(time.Until(until), 0))
		}
		switch {
		case err == nil:
			r.counters.Line(len(line.Text) + 1)
			if err := r.p.Process(line.Text, r.out); err != nil {
				return fmt.Errorf("service: processing the line ending at %d: %w", line.Pos.Offset, err)
			}
			r.pos, r.dirty, r.moved = line.Pos, true, true
		case errors.Is(err, follow.ErrIdle):
		case errors.Is(err, io.EOF):
			r.log.Info("stopping", "reason", err)
			if err := r.drain(); err != nil {
				return err
			}
			return r.checkpoint(true)
		case ctx.Err() != nil && errors.Is(err, ctx.Err()):
			r.log.Info("stopping", "reason", err)
			return r.stop()
		default:
			r.notice(err)
			r.pos, r.moved = line.Pos, true
		}
		now := time.Now()
		if !now.Before(nextCP) && r.moved {
			if err := r.checkpoint(false); err != nil {
				r.log.Error("checkpoint failed", "err", err)
			}
			nextCP = now.Add(r.cfg.CheckpointEvery)
		}
		if r.cfg.StatusEvery > 0 && !now.Before(nextStatus) {
			cur := r.snapshot()
			fmt.Fprintln(r.cfg.Status, metrics.StatusLine(prevStatus, cur))
			prevStatus, nextStatus = cur, now.Add(r.cfg.StatusEvery)
		}
	}
}

// notice counts and logs a follower notice: input dropped or lost.
func (r *runner) notice(err error) {
	reason := "io_error"
	for _, k := range []struct {
		err    error
		reason string
		drop   bool
	}{
		{follow.ErrLineTooLong, "line_too_long", true},
		{follow.ErrUnterminated, "unterminated", true},
		{follow.ErrTruncated, "truncated", false},
		{follow.ErrPositionGone, "position_gone", false},
		{follow.ErrBackupGone, "backup_gone", false},
		{follow.ErrUnreadable, "unreadable", false},
	} {
		if errors.Is(err, k.err) {
			reason = k.reason
			if k.drop {
				r.counters.InputDropped(reason)
				// Dropped lines can come in floods: log the
				// first of each kind, count them all.
				if r.logged[k.err] {
					return
				}
				r.logged[k.err] = true
				r.log.Warn("input line dropped (further ones are only counted)", "reason", reason, "err", err)
				return
			}
			r.counters.Gap(reason)
			r.log.Warn("input lost or skipped", "reason", reason, "err", err)
			return
		}
	}
	r.log.Warn("input", "reason", reason, "err", err)
}

// stop ends a run before the input's end: what the processor holds is
// saved in the final checkpoint, or written out without a state directory.
func (r *runner) stop() error {
	if r.store == nil {
		if err := r.drain(); err != nil {
			return err
		}
	}
	return r.checkpoint(true)
}

// drain makes a Drainer write everything it holds.
func (r *runner) drain() error {
	d, ok := r.p.(Drainer)
	if !ok {
		return nil
	}
	if err := d.Drain(r.out); err != nil {
		return fmt.Errorf("service: drain: %w", err)
	}
	r.dirty = true
	return nil
}

// flush makes everything given to the processor reach Out.
func (r *runner) flush() error {
	if err := r.p.Flush(r.out); err != nil {
		return fmt.Errorf("service: flush: %w", err)
	}
	if err := r.out.Flush(); err != nil {
		return fmt.Errorf("service: writing the output: %w", err)
	}
	r.dirty = false
	return nil
}

// checkpoint flushes the output and saves the position with everyone's
// state. A failure to write the output is returned (the service must stop:
// its output is incomplete); a failure to save is returned too, and the
// previous checkpoint stays.
func (r *runner) checkpoint(final bool) error {
	if err := r.flush(); err != nil {
		return err
	}
	if r.sync != nil {
		if err := r.sync.Sync(); err != nil {
			return fmt.Errorf("service: syncing the output: %w", err)
		}
	}
	if r.store == nil {
		return nil
	}
	var secs []state.Section
	if _, stream := r.src.(*follow.Stream); !stream && !r.pos.IsZero() {
		pos, _ := r.pos.MarshalBinary()
		secs = append(secs, state.BytesSection(InputSection, pos))
	}
	counts, _ := r.counters.MarshalBinary()
	secs = append(secs, state.BytesSection(CountersSection, counts))
	if sp, ok := r.p.(Stateful); ok {
		secs = append(secs, sp.Sections()...)
	}
	err := r.store.Save(secs...)
	r.counters.Checkpointed(time.Now(), err)
	if err != nil {
		return err
	}
	r.moved = false
	if final {
		r.log.Info("final checkpoint written", "position", r.pos.String())
	}
	return nil
}
