package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progressCounter is what the pipeline stages bump; the meter reads it.
type progressCounter struct {
	bytes atomic.Int64 // input bytes read from disk (compressed for .gz)
	rows  atomic.Int64 // rows produced by the current phase (events kept while parsing)
}

// progress prints one status line per interval on stderr for long runs:
// the phase, events kept or rows done, the rate, the elapsed time and,
// when the phase's total is known (input bytes while parsing, spilled rows
// while encoding), the ETA. On a terminal the line is redrawn in place;
// otherwise (a log file, CI) a line is printed every 10 seconds. It prints
// nothing when quiet, and nothing for phases shorter than one interval.
type progress struct {
	w        io.Writer
	quiet    bool
	tty      bool
	interval time.Duration

	mu         sync.Mutex
	phase      string
	phaseStart time.Time
	totalBytes int64 // 0: unknown
	totalRows  int64 // 0: unknown
	printed    bool  // something was printed in this phase
	stop, done chan struct{}
	c          progressCounter
}

func newProgress(w io.Writer, quiet bool) *progress {
	p := &progress{w: w, quiet: quiet, interval: 10 * time.Second}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty, p.interval = true, time.Second
		}
	}
	return p
}

// begin starts a phase; totals are 0 when unknown. It resets the counters.
func (p *progress) begin(phase string, totalBytes, totalRows int64) *progressCounter {
	p.end()
	p.mu.Lock()
	p.phase, p.phaseStart = phase, time.Now()
	p.totalBytes, p.totalRows, p.printed = totalBytes, totalRows, false
	p.c.bytes.Store(0)
	p.c.rows.Store(0)
	p.mu.Unlock()
	if !p.quiet {
		p.stop, p.done = make(chan struct{}), make(chan struct{})
		go p.loop(p.stop, p.done)
	}
	return &p.c
}

// end finishes the current phase, printing its final line if the phase
// printed anything.
func (p *progress) end() {
	if p.stop == nil {
		return
	}
	close(p.stop)
	<-p.done
	p.stop, p.done = nil, nil
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.printed {
		p.print(true)
	}
}

func (p *progress) loop(stop, done chan struct{}) {
	defer close(done)
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.print(false)
			p.printed = true
			p.mu.Unlock()
		}
	}
}

// print writes the status line; final ends it with a newline on a terminal.
func (p *progress) print(final bool) {
	el := time.Since(p.phaseStart)
	sec := el.Seconds()
	var b strings.Builder
	fmt.Fprintf(&b, "corpus: %-12s", p.phase)
	rows, by := p.c.rows.Load(), p.c.bytes.Load()
	frac := -1.0
	if p.totalBytes > 0 {
		fmt.Fprintf(&b, " %s events  %s events/s  %.1f MB/s", group(rows), group(int64(float64(rows)/sec)), float64(by)/sec/1e6)
		frac = float64(by) / float64(p.totalBytes)
	} else if p.totalRows > 0 {
		fmt.Fprintf(&b, " %s/%s rows  %s rows/s", group(rows), group(p.totalRows), group(int64(float64(rows)/sec)))
		frac = float64(rows) / float64(p.totalRows)
	} else {
		fmt.Fprintf(&b, " %s rows  %s rows/s", group(rows), group(int64(float64(rows)/sec)))
	}
	fmt.Fprintf(&b, "  %s elapsed", clock(el))
	if frac > 0 && frac < 1 && !final {
		fmt.Fprintf(&b, "  ETA %s", clock(time.Duration(float64(el)*(1-frac)/frac)))
	}
	switch {
	case p.tty && final:
		fmt.Fprintf(p.w, "\r%s\033[K\n", b.String())
	case p.tty:
		fmt.Fprintf(p.w, "\r%s\033[K", b.String())
	default:
		fmt.Fprintln(p.w, b.String())
	}
}

// clock renders a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int64(d.Round(time.Second) / time.Second)
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// group renders n with thousands separators, as the dataset card does.
func group(n int64) string {
	s := fmt.Sprint(n)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}
