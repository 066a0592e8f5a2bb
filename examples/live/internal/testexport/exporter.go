// Package testexport writes files the way Tetragon's exporter does, for
// the tests of the live service: generated lines, rotation, compression,
// backup removal and truncation.
package testexport

import (
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"
)

// backupTimeLayout is lumberjack's backup time format.
const backupTimeLayout = "2006-01-02T15-04-05.000"

// Exporter writes a file the way Tetragon's exporter (lumberjack, v1.6.1)
// does: one write per line; rotation closes the file, renames it to
// <name>-<UTC time>.<ext>, and creates a new one with O_TRUNC (not
// O_APPEND); a separate goroutine then gzips the backups (to .gz.tmp,
// renamed to .gz, then the plain file removed) and removes those beyond
// maxBackups, oldest first.
type Exporter struct {
	t    testing.TB
	path string
	f    *os.File
	// Compress gzips the backups after a rotation, at CompressLevel
	// (0: gzip's default, as lumberjack compresses).
	Compress      bool
	CompressLevel int
	// MaxBackups removes the oldest backups beyond this many (0: none).
	MaxBackups int
	// Append opens the file with O_APPEND, as lumberjack does for a file
	// it finds at start (a new file is opened without).
	Append bool
	// SyncMill compresses and removes before Rotate returns, instead of
	// concurrently.
	SyncMill bool
	last     time.Time
	mill     sync.WaitGroup
	millMu   sync.Mutex
}

// New returns an Exporter of the file at path; the file is created by the
// first Write.
func New(t testing.TB, path string) *Exporter {
	t.Helper()
	e := &Exporter{t: t, path: path}
	t.Cleanup(func() {
		e.mill.Wait()
		if e.f != nil {
			e.f.Close()
		}
	})
	return e
}

func (e *Exporter) open() {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if e.Append {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(e.path, flags, 0o600)
	if err != nil {
		e.t.Error(err)
		return
	}
	e.f = f
}

// Write writes one line, newline added, in one write.
func (e *Exporter) Write(line string) {
	if e.f == nil {
		e.open()
	}
	if _, err := e.f.WriteString(line + "\n"); err != nil {
		e.t.Error(err)
	}
}

// backupName is lumberjack's backupName, with times kept distinct.
func (e *Exporter) backupName() string {
	now := time.Now().UTC().Truncate(time.Millisecond)
	if !now.After(e.last) {
		now = e.last.Add(time.Millisecond)
	}
	e.last = now
	dir, base := filepath.Split(e.path)
	ext := filepath.Ext(base)
	return filepath.Join(dir, fmt.Sprintf("%s-%s%s", strings.TrimSuffix(base, ext), now.Format(backupTimeLayout), ext))
}

// Rotate moves the file aside and creates a new one, then mills.
func (e *Exporter) Rotate() {
	if e.f != nil {
		e.f.Close()
		e.f = nil
	}
	if _, err := os.Stat(e.path); err == nil {
		if err := os.Rename(e.path, e.backupName()); err != nil {
			e.t.Error(err)
		}
	}
	e.open()
	if !e.Compress && e.MaxBackups == 0 {
		return
	}
	if e.SyncMill {
		e.millOnce()
		return
	}
	e.mill.Add(1)
	go func() {
		defer e.mill.Done()
		e.millOnce()
	}()
}

// Remove removes the file at the path and goes on in a new file: a
// rotation whose backup is deleted at once (to free space).
func (e *Exporter) Remove() {
	if e.f != nil {
		e.f.Close()
		e.f = nil
	}
	if err := os.Remove(e.path); err != nil {
		e.t.Error(err)
	}
	e.open()
}

// Truncate truncates the file at the path, as an operator's `: > file`
// would, while the writer keeps its descriptor.
func (e *Exporter) Truncate() {
	if err := os.Truncate(e.path, 0); err != nil {
		e.t.Error(err)
	}
}

func (e *Exporter) millOnce() {
	e.millMu.Lock()
	defer e.millMu.Unlock()
	dir, base := filepath.Split(e.path)
	ext := filepath.Ext(base)
	prefix := strings.TrimSuffix(base, ext) + "-"
	entries, err := os.ReadDir(dir)
	if err != nil {
		e.t.Error(err)
		return
	}
	type bk struct {
		t    time.Time
		name string
	}
	var bs []bk
	for _, en := range entries {
		ts, ok := strings.CutPrefix(strings.TrimSuffix(en.Name(), ".gz"), prefix)
		ts, ok2 := strings.CutSuffix(ts, ext)
		if !ok || !ok2 {
			continue
		}
		if t, err := time.Parse(backupTimeLayout, ts); err == nil {
			bs = append(bs, bk{t, en.Name()})
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].t.After(bs[j].t) }) // newest first
	kept := map[time.Time]bool{}
	for _, b := range bs {
		p := filepath.Join(dir, b.name)
		kept[b.t] = true
		if e.MaxBackups > 0 && len(kept) > e.MaxBackups {
			os.Remove(p)
			continue
		}
		if e.Compress && !strings.HasSuffix(b.name, ".gz") {
			if err := gzipFile(p, e.CompressLevel); err != nil {
				e.t.Error(err)
			}
		}
	}
}

// gzipFile is lumberjack's compressLogFile, at a compression level (0:
// the default).
func gzipFile(src string, level int) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	tmp := src + ".gz.tmp"
	out, err := os.OpenFile(tmp, os.O_CREATE|os.O_TRUNC|os.O_WRONLY, 0o600)
	if err != nil {
		return err
	}
	if level == 0 {
		level = gzip.DefaultCompression
	}
	zw, err := gzip.NewWriterLevel(out, level)
	if err != nil {
		return err
	}
	if _, err := io.Copy(zw, in); err != nil {
		return err
	}
	if err := zw.Close(); err != nil {
		return err
	}
	if err := out.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, src+".gz"); err != nil {
		return err
	}
	return os.Remove(src)
}

// Line is line i of a generated stream: a JSON object with a counter,
// padded to vary the lengths.
func Line(i int) string {
	return fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", (i*37)%300))
}

// Num parses Line's counter.
func Num(t testing.TB, b []byte) int {
	var n int
	if _, err := fmt.Sscanf(string(b), `{"n":%d,`, &n); err != nil {
		t.Fatalf("unexpected line %q: %v", b, err)
	}
	return n
}

// BigLine is a line of about 2 KB, so that 100 of them exceed one read.
func BigLine(i int) string {
	b := []byte(Line(i))
	b = b[:len(b)-1]
	b = append(b, `,"big":"`...)
	for range 2000 {
		b = append(b, 'y')
	}
	return string(append(b, `"}`...))
}

// Stream writes generated lines into an Exporter from a goroutine, as the
// service's tests feed it: rotated to gzip'd backups every Every lines
// and paced so that the stream spans several runs of the service.
type Stream struct {
	N    int                // lines to write
	Line func(i int) string // line i (default: Line)
	// Every rotates the file before every Every-th line (0: never).
	Every int
	// Pace sleeps 2 ms after every Pace-th line (0: never).
	Pace int
	// Started reports whether the reader has output a line. The first
	// rotation waits for it (a minute at most): a first start without
	// state reads the file at the path, not the backups rotated before
	// it looked.
	Started func() bool
	// Before, if set, runs before line i is written (a truncation that
	// waits for the reader, say).
	Before func(e *Exporter, i int)
}

// Start writes s's lines to e in the background and returns a channel
// closed when it is done. A cleanup of t stops the writer and waits for it
// (before e's own cleanup, which runs later).
func (s Stream) Start(t testing.TB, e *Exporter) <-chan struct{} {
	line := s.Line
	if line == nil {
		line = Line
	}
	done, stop := make(chan struct{}), make(chan struct{})
	t.Cleanup(func() { close(stop); <-done })
	go func() {
		defer close(done)
		for i := range s.N {
			select {
			case <-stop:
				return
			default:
			}
			if i == s.Every && s.Started != nil {
				WaitFor(time.Minute, time.Millisecond, s.Started)
			}
			if s.Every > 0 && i > 0 && i%s.Every == 0 {
				e.Rotate()
			}
			if s.Before != nil {
				s.Before(e, i)
			}
			e.Write(line(i))
			if s.Pace > 0 && i%s.Pace == 0 {
				time.Sleep(2 * time.Millisecond)
			}
		}
	}()
	return done
}

// WaitFor polls cond every tick until it holds or d has passed.
func WaitFor(d, tick time.Duration, cond func() bool) {
	for deadline := time.Now().Add(d); !cond() && time.Now().Before(deadline); {
		time.Sleep(tick)
	}
}
