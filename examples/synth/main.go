// Command synth writes synthetic Tetragon 1.6 JSON export of a developer
// container (package internal/synth), and optionally a labels.csv of
// synthetic ATT&CK trial windows over the generated span, so that the
// corpus builder (examples/corpus) can be exercised end to end, at any
// size, without real telemetry.
//
//	go run ./examples/synth -events 100000 -out events.json
//	go run ./examples/synth -events 1000000 -rotate 100000 -out export/ -labels labels.csv
//	go run ./examples/synth -events 5000 -out - | head
//
// With -rotate N the output is a directory holding a rotated export set as
// Tetragon's file export (lumberjack) leaves it: backups of N events each
// named after their rotation time in UTC, tetragon-2026-04-14T01-45-21.337.log
// (tetragon-….log.gz with -compress, as --export-file-compress makes them),
// and the active file tetragon.log holding the rest, mode 0600 as Tetragon
// writes them by default. Rotation times are
// those of the generated events, so the names sort in event order, and
// tetraparse.Inputs reads such a directory oldest backup first, active
// file last. Otherwise -out is one file ("-" is stdout; a name ending in
// ".gz" is gzip'd).
//
// The labels file has the header start_ts,end_ts,technique_id,trial,tactic,
// technique_name. Its windows lie after a suggested train/test cut placed
// at (1 - test-fraction) of the span; the cut is printed on stderr and goes
// to the builder's -cut flag. The generator injects no attack behaviour:
// windows label whatever background activity falls inside them (the
// released corpus's labels are interval-level too), which is what the
// builder's labelling, splits and tables need, but not a detection
// benchmark.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"time"

	"github.com/tetrahids/tetrahids/internal/synth"
)

func main() {
	if err := run(os.Args[1:], os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "synth:", err)
		}
		os.Exit(2)
	}
}

// options are the command-line flags.
type options struct {
	seed         uint64
	events       int
	out          string
	rotate       int
	compress     bool
	labels       string
	windows      int
	testFraction float64
	start        string
	rate         float64
	nodeName     string
	quiet        bool
}

func parseFlags(args []string, stderr io.Writer) (*options, error) {
	o := &options{}
	fs := flag.NewFlagSet("synth", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Uint64Var(&o.seed, "seed", 1, "random seed; the output is a pure function of the flags")
	fs.IntVar(&o.events, "events", 10000, "number of events (JSON lines) to write")
	fs.StringVar(&o.out, "out", "-", `output file ("-": stdout; ".gz": gzip'd), or a directory with -rotate`)
	fs.IntVar(&o.rotate, "rotate", 0, "write a rotated export set of this many events per file into the -out directory")
	fs.BoolVar(&o.compress, "compress", false, "gzip the rotated backups (as Tetragon's --export-file-compress does)")
	fs.StringVar(&o.labels, "labels", "", "also write a labels.csv of synthetic attack windows to this path")
	fs.IntVar(&o.windows, "windows", 12, "number of attack windows in the labels file")
	fs.Float64Var(&o.testFraction, "test-fraction", 0.25, "share of the span after the suggested cut, where the windows lie")
	fs.StringVar(&o.start, "start", "", "RFC 3339 time of the first event (default 2026-04-14T01:41:13Z)")
	fs.Float64Var(&o.rate, "rate", 0, "mean events per second (default 800)")
	fs.StringVar(&o.nodeName, "node-name", "", `node_name of every event (default "prox1")`)
	fs.BoolVar(&o.quiet, "q", false, "print nothing on stderr")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected arguments %q", fs.Args())
	case o.events < 0:
		return nil, fmt.Errorf("-events %d: must not be negative", o.events)
	case o.rotate < 0:
		return nil, fmt.Errorf("-rotate %d: must not be negative", o.rotate)
	case o.rotate > 0 && o.out == "-":
		return nil, errors.New("-rotate needs an -out directory")
	case o.compress && o.rotate == 0:
		return nil, errors.New("-compress applies to -rotate backups; name a single output file *.gz instead")
	case o.windows < 0:
		return nil, fmt.Errorf("-windows %d: must not be negative", o.windows)
	case !(o.testFraction > 0 && o.testFraction < 1):
		return nil, fmt.Errorf("-test-fraction %v: must be in (0, 1)", o.testFraction)
	}
	return o, nil
}

func (o *options) config() (synth.Config, error) {
	cfg := synth.Config{Seed: o.seed, Events: o.events, Rate: o.rate, NodeName: o.nodeName}
	if o.start != "" {
		t, err := time.Parse(time.RFC3339Nano, o.start)
		if err != nil {
			return cfg, fmt.Errorf("-start: %w", err)
		}
		cfg.Start = t
	}
	return cfg, nil
}

func run(args []string, stdout, stderr io.Writer) error {
	o, err := parseFlags(args, stderr)
	if err != nil {
		return err
	}
	cfg, err := o.config()
	if err != nil {
		return err
	}
	var span span
	if o.rotate > 0 {
		span, err = writeRotated(cfg, o.out, o.rotate, o.compress)
	} else {
		span, err = writeSingle(cfg, o.out, stdout)
	}
	if err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "synth: %d events, %d bytes, %s → %s\n", span.lines, span.bytes, fmtTime(span.first), fmtTime(span.last))
	}
	if o.labels == "" {
		return nil
	}
	if span.lines == 0 {
		return errors.New("-labels: no events, so no span to place windows in")
	}
	cut, ws := Windows(o.seed, span.first, span.last, o.testFraction, o.windows)
	if err := writeFileAtomic(o.labels, func(w io.Writer) error { return WriteLabels(w, ws) }); err != nil {
		return err
	}
	if !o.quiet {
		fmt.Fprintf(stderr, "synth: %d windows in %s; build with -cut %s\n", len(ws), o.labels, fmtTime(cut))
	}
	return nil
}

func fmtTime(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }

// span describes what was written: line and byte counts and the times of
// the first and last events.
type span struct {
	lines, bytes int64
	first, last  time.Time
}

// observe records one written line. Every line the generator writes ends in
// the envelope's "time" field, so the last occurrence of the key is the
// event time; the generator's clock only moves forward.
func (s *span) observe(line []byte) {
	s.lines++
	s.bytes += int64(len(line))
	const key = `"time":"`
	i := bytes.LastIndex(line, []byte(key))
	if i < 0 {
		return
	}
	rest := line[i+len(key):]
	j := bytes.IndexByte(rest, '"')
	if j < 0 {
		return
	}
	t, err := time.Parse(time.RFC3339Nano, string(rest[:j]))
	if err != nil {
		return
	}
	if s.first.IsZero() {
		s.first = t
	}
	s.last = t
}

// writeSingle writes every event to one file or to stdout.
func writeSingle(cfg synth.Config, out string, stdout io.Writer) (span, error) {
	var sp span
	write := func(w io.Writer) error {
		g := synth.New(cfg)
		bw := bufio.NewWriterSize(w, 1<<20)
		for range cfg.Events {
			line := g.Next()
			sp.observe(line)
			if _, err := bw.Write(line); err != nil {
				return err
			}
		}
		return bw.Flush()
	}
	if out == "-" {
		return sp, write(stdout)
	}
	return sp, writeFileAtomic(out, func(w io.Writer) error {
		if filepath.Ext(out) != ".gz" {
			return write(w)
		}
		zw := gzip.NewWriter(w)
		if err := write(zw); err != nil {
			return err
		}
		return zw.Close()
	})
}

// writeRotated writes a rotated export set into dir as Tetragon's file
// export leaves it (see synth.Generator.WriteExport).
func writeRotated(cfg synth.Config, dir string, per int, compress bool) (span, error) {
	var sp span
	err := synth.New(cfg).WriteExport(dir, per, compress, sp.observe)
	return sp, err
}

// writeFileAtomic writes path through a temporary file in the same
// directory, renamed into place only when fill succeeds, so that an
// interrupted run never leaves a truncated file under the final name.
func writeFileAtomic(path string, fill func(io.Writer) error) (err error) {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(f.Name())
		}
	}()
	if err = f.Chmod(0o644); err != nil {
		return err
	}
	if err = fill(f); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err = f.Close(); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return os.Rename(f.Name(), path)
}

// Window is one synthetic attack trial window, [Start, End).
type Window struct {
	Start, End time.Time
	Technique  technique
	Trial      int
}

type technique struct{ ID, Tactic, Name string }

// techniques are the ATT&CK techniques of the released corpus's campaign
// that a developer-container stream plausibly shows, plus its capstone
// chain.
var techniques = []technique{
	{"T1059.004", "Execution", "Command and Scripting Interpreter: Unix Shell"},
	{"T1083", "Discovery", "File and Directory Discovery"},
	{"T1552.001", "Credential Access", "Unsecured Credentials: Credentials In Files"},
	{"T1543.002", "Persistence", "Create or Modify System Process: Systemd Service"},
	{"T1548.003", "Privilege Escalation", "Abuse Elevation Control Mechanism: Sudo and Sudo Caching"},
	{"T1059.006", "Execution", "Command and Scripting Interpreter: Python"},
	{"T1562.001", "Defense Evasion", "Impair Defenses: Disable or Modify Tools"},
	{"T1195.002", "Initial Access", "Supply Chain Compromise: Compromise Software Supply Chain"},
	{"T1548.001", "Privilege Escalation", "Abuse Elevation Control Mechanism: Setuid and Setgid"},
	{"CHAIN.CAP01", "Multiple", "Capstone chain"},
}

// Windows places k windows after the suggested cut of the span
// [first, last]: the test part is divided into k equal slots and each
// window covers 20–60 % of its slot at a random offset, so windows never
// overlap and all start at or after the cut (labels.Set.Split accepts the
// cut). Techniques are dealt round-robin from a seeded shuffle, and trials
// are numbered per technique. The result depends only on its arguments.
func Windows(seed uint64, first, last time.Time, testFraction float64, k int) (cut time.Time, ws []Window) {
	total := last.Sub(first)
	cut = first.Add(time.Duration(float64(total) * (1 - testFraction))).Truncate(time.Millisecond)
	if k == 0 {
		return cut, nil
	}
	rng := rand.New(rand.NewPCG(seed, 0x6c6162656c73)) // "labels"
	order := rng.Perm(len(techniques))
	slot := last.Sub(cut) / time.Duration(k)
	trials := map[string]int{}
	for i := range k {
		t := techniques[order[i%len(order)]]
		length := time.Duration(float64(slot) * (0.2 + 0.4*rng.Float64()))
		offset := time.Duration(float64(slot-length) * rng.Float64())
		start := cut.Add(time.Duration(i)*slot + offset).Truncate(time.Millisecond)
		end := start.Add(length).Truncate(time.Millisecond)
		if !end.After(start) {
			end = start.Add(time.Millisecond) // labels.Load rejects empty windows
		}
		trials[t.ID]++
		ws = append(ws, Window{Start: start, End: end, Technique: t, Trial: trials[t.ID]})
	}
	return cut, ws
}

// WriteLabels writes windows as labels.csv (millisecond times, as the
// released labels file has).
func WriteLabels(w io.Writer, ws []Window) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, "start_ts,end_ts,technique_id,trial,tactic,technique_name")
	const layout = "2006-01-02T15:04:05.000Z"
	for _, x := range ws {
		fmt.Fprintf(bw, "%s,%s,%s,%d,%s,%s\n", x.Start.UTC().Format(layout), x.End.UTC().Format(layout),
			x.Technique.ID, x.Trial, csvField(x.Technique.Tactic), csvField(x.Technique.Name))
	}
	return bw.Flush()
}

// csvField quotes a field that holds a comma or a quote.
func csvField(s string) string {
	if !bytes.ContainsAny([]byte(s), ",\"\n") {
		return s
	}
	return `"` + string(bytes.ReplaceAll([]byte(s), []byte(`"`), []byte(`""`))) + `"`
}
