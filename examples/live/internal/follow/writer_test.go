package follow

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

// exporter writes a file the way Tetragon's exporter (lumberjack, v1.6.1)
// does: one write per line; rotation closes the file, renames it to
// <name>-<UTC time>.<ext>, and creates a new one with O_TRUNC (not
// O_APPEND); a separate goroutine then gzips the backups (to .gz.tmp,
// renamed to .gz, then the plain file removed) and removes those beyond
// maxBackups, oldest first.
type exporter struct {
	t          testing.TB
	path       string
	f          *os.File
	compress   bool
	maxBackups int
	appendMode bool // open with O_APPEND, as lumberjack does for a file it finds at start
	syncMill   bool // run the compression before rotate returns
	last       time.Time
	mill       sync.WaitGroup
	millMu     sync.Mutex
}

func newExporter(t testing.TB, path string) *exporter {
	t.Helper()
	e := &exporter{t: t, path: path}
	t.Cleanup(func() {
		e.mill.Wait()
		if e.f != nil {
			e.f.Close()
		}
	})
	return e
}

func (e *exporter) open() {
	flags := os.O_CREATE | os.O_WRONLY | os.O_TRUNC
	if e.appendMode {
		flags = os.O_CREATE | os.O_WRONLY | os.O_APPEND
	}
	f, err := os.OpenFile(e.path, flags, 0o600)
	if err != nil {
		e.t.Error(err)
		return
	}
	e.f = f
}

// write writes one line, newline added, in one write.
func (e *exporter) write(line string) {
	if e.f == nil {
		e.open()
	}
	if _, err := e.f.WriteString(line + "\n"); err != nil {
		e.t.Error(err)
	}
}

// backupName is lumberjack's backupName, with times kept distinct.
func (e *exporter) backupName() string {
	now := time.Now().UTC().Truncate(time.Millisecond)
	if !now.After(e.last) {
		now = e.last.Add(time.Millisecond)
	}
	e.last = now
	dir, base := filepath.Split(e.path)
	ext := filepath.Ext(base)
	return filepath.Join(dir, fmt.Sprintf("%s-%s%s", strings.TrimSuffix(base, ext), now.Format(backupTimeLayout), ext))
}

// rotate moves the file aside and creates a new one, then mills.
func (e *exporter) rotate() {
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
	if !e.compress && e.maxBackups == 0 {
		return
	}
	if e.syncMill {
		e.millOnce()
		return
	}
	e.mill.Add(1)
	go func() {
		defer e.mill.Done()
		e.millOnce()
	}()
}

// truncate truncates the file at the path, as an operator's `: > file`
// would, while the writer keeps its descriptor.
func (e *exporter) truncate() {
	if err := os.Truncate(e.path, 0); err != nil {
		e.t.Error(err)
	}
}

func (e *exporter) millOnce() {
	e.millMu.Lock()
	defer e.millMu.Unlock()
	n := splitName(e.path)
	entries, err := os.ReadDir(n.dir)
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
		if t, _, ok := n.backupTime(en.Name()); ok {
			bs = append(bs, bk{t, en.Name()})
		}
	}
	sort.Slice(bs, func(i, j int) bool { return bs[i].t.After(bs[j].t) }) // newest first
	kept := map[time.Time]bool{}
	for _, b := range bs {
		p := filepath.Join(n.dir, b.name)
		kept[b.t] = true
		if e.maxBackups > 0 && len(kept) > e.maxBackups {
			os.Remove(p)
			continue
		}
		if e.compress && !strings.HasSuffix(b.name, ".gz") {
			if err := gzipFile(p); err != nil {
				e.t.Error(err)
			}
		}
	}
}

// gzipFile is lumberjack's compressLogFile.
func gzipFile(src string) error {
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
	zw := gzip.NewWriter(out)
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

// genLine is line i of a generated stream: a JSON object with a counter,
// padded to vary the lengths.
func genLine(i int) string {
	return fmt.Sprintf(`{"n":%d,"pad":"%s"}`, i, strings.Repeat("x", (i*37)%300))
}

// lineNum parses genLine's counter.
func lineNum(t testing.TB, b []byte) int {
	var n int
	if _, err := fmt.Sscanf(string(b), `{"n":%d,`, &n); err != nil {
		t.Fatalf("unexpected line %q: %v", b, err)
	}
	return n
}
