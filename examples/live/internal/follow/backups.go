package follow

import (
	"cmp"
	"crypto/sha256"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"time"

	"github.com/tetrahids/tetrahids/internal/pygzip"
)

// backupTimeLayout is the time in the name of a rotated export file, as
// Tetragon's exporter (lumberjack) writes it, in UTC:
// tetragon.log becomes tetragon-2026-01-02T03-04-05.678.log, and with
// --export-file-compress later tetragon-2026-01-02T03-04-05.678.log.gz.
const backupTimeLayout = "2006-01-02T15-04-05.000"

// backup is one rotated file, plain or compressed or (briefly, while the
// compressor replaces one with the other) both.
type backup struct {
	t               time.Time
	plain, gz       string // paths of the two forms
	hasPlain, hasGz bool   // which forms the listing saw
	dev, ino        uint64 // of the plain form
}

// names splits the followed file's name as lumberjack does.
type names struct {
	path, dir, base, prefix, ext string
}

func splitName(path string) names {
	n := names{path: path, dir: filepath.Dir(path), base: filepath.Base(path)}
	n.ext = filepath.Ext(n.base)
	n.prefix = n.base[:len(n.base)-len(n.ext)] + "-"
	return n
}

// backupTime parses a directory entry as a backup name.
func (n names) backupTime(name string) (t time.Time, gz, ok bool) {
	rest, found := strings.CutPrefix(name, n.prefix)
	if !found {
		return time.Time{}, false, false
	}
	if r, found := strings.CutSuffix(rest, ".gz"); found {
		rest, gz = r, true
	}
	rest, found = strings.CutSuffix(rest, n.ext)
	if !found || len(rest) != len(backupTimeLayout) {
		return time.Time{}, false, false
	}
	t, err := time.Parse(backupTimeLayout, rest)
	return t, gz, err == nil
}

// concerns tells whether a directory entry belongs to the followed file
// (itself or a backup); the watcher uses it to ignore other files.
func (n names) concerns(name string) bool {
	if name == n.base {
		return true
	}
	_, _, ok := n.backupTime(name)
	return ok
}

// listBackups returns the backups in rotation order, oldest first. Unfinished
// compressions (.gz.tmp) and other files are ignored.
func (n names) listBackups() ([]backup, error) {
	entries, err := os.ReadDir(n.dir)
	if err != nil {
		return nil, err
	}
	var out []backup
	for _, e := range entries {
		t, gz, ok := n.backupTime(e.Name())
		if !ok || !e.Type().IsRegular() {
			continue
		}
		i := slices.IndexFunc(out, func(b backup) bool { return b.t.Equal(t) })
		if i < 0 {
			plain := filepath.Join(n.dir, strings.TrimSuffix(e.Name(), ".gz"))
			out = append(out, backup{t: t, plain: plain, gz: plain + ".gz"})
			i = len(out) - 1
		}
		if gz {
			out[i].hasGz = true
			continue
		}
		out[i].hasPlain = true
		if fi, err := e.Info(); err == nil {
			out[i].dev, out[i].ino = devIno(fi)
		}
	}
	slices.SortFunc(out, func(a, b backup) int { return a.t.Compare(b.t) })
	return out, nil
}

// after returns the backups whose name time is not before t (to the
// millisecond the name carries).
func after(bs []backup, t time.Time) []backup {
	t = t.Truncate(time.Millisecond)
	i, _ := slices.BinarySearchFunc(bs, t, func(b backup, t time.Time) int {
		return cmp.Compare(b.t.UnixNano(), t.UnixNano())
	})
	return bs[i:]
}

func devIno(fi os.FileInfo) (dev, ino uint64) {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Dev), uint64(st.Ino)
	}
	return 0, 0
}

// headMatches reads id.HeadLen bytes from r and compares their hash.
func headMatches(r io.Reader, id FileID) bool {
	buf := make([]byte, id.HeadLen)
	if _, err := io.ReadFull(r, buf); err != nil {
		return false
	}
	return sha256.Sum256(buf) == id.HeadSum
}

// plainMatches tells whether the plain file at path is the file id names:
// same device and inode, and same first bytes.
func plainMatches(path string, id FileID) bool {
	if id.Dev == 0 && id.Ino == 0 {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return false
	}
	if d, i := devIno(fi); d != id.Dev || i != id.Ino {
		return false
	}
	return headMatches(f, id)
}

// gzMatches tells whether the compressed file at path decompresses to the
// first bytes id names. Without a fingerprint (an empty file) nothing
// matches, since every empty file would.
func gzMatches(path string, id FileID) bool {
	if id.HeadLen == 0 {
		return false
	}
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	return headMatches(pygzip.NewReader(f), id)
}

// locate returns the index of the backup that is the file id names, or -1.
func locate(bs []backup, id FileID) int {
	for i, b := range bs {
		if b.hasPlain && b.dev == id.Dev && b.ino == id.Ino && plainMatches(b.plain, id) {
			return i
		}
	}
	for i, b := range bs {
		if b.hasGz && gzMatches(b.gz, id) {
			return i
		}
	}
	return -1
}
