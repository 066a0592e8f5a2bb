package tetraparse

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// zeros yields n zero bytes: /dev/zero cut to a length, so that the test
// ends.
type zeros struct{ n int64 }

func (z *zeros) Read(p []byte) (int, error) {
	if z.n == 0 {
		return 0, io.EOF
	}
	k := min(int64(len(p)), z.n)
	clear(p[:k])
	z.n -= k
	return int(k), nil
}

// allocatedBy returns the bytes the Go heap allocated while f ran
// (MemStats.TotalAlloc grows with every allocation and never shrinks, so
// it bounds how far the heap can have grown, whatever the GC did), and
// the heap in use afterwards.
func allocatedBy(f func()) (total, inuse uint64) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc, after.HeapInuse
}

// endless parses size zero bytes without a line end, then a line end and
// an event, through Records, and checks the accounting.
func endless(t *testing.T, p *Parser, size int64) {
	t.Helper()
	in := io.MultiReader(&zeros{n: size}, strings.NewReader("\n"+nsEvent+"\n"))
	rows := 0
	for rec, err := range p.Records(in, "zero") {
		require.NoError(t, err)
		rows += int(rec.NumRows())
	}
	require.Equal(t, 1, rows, "the event after the endless line is read")
}

// TestEndlessLineBoundedMemory: a stream of zero bytes without a line end
// (what -in /dev/zero gives) costs a bounded amount of memory: it is one
// over-long line, read on without being kept. This small run always runs;
// TestEndlessLineBoundedMemoryGiB is the full-size one.
func TestEndlessLineBoundedMemory(t *testing.T) {
	const limit = 64 << 10
	p, err := New(Config{MaxLineBytes: limit})
	require.NoError(t, err)
	endless(t, p, 1<<10) // a stream in the pool: what follows measures the line path
	total, _ := allocatedBy(func() { endless(t, p, 64<<20) })
	t.Logf("64 MiB without a line end, limit 64 KiB: %.1f MiB allocated", float64(total)/(1<<20))
	// The parser's own stream may have to be built again (the pool is
	// emptied by a GC): about 4 MiB of column builders.
	require.Less(t, total, uint64(8<<20), "allocations must not grow with the line")
	st := p.Stats()
	require.NoError(t, st.Check())
	require.EqualValues(t, 1, st.LinesTooLong)
	require.EqualValues(t, 1, st.JSONErrors, "the first kilobyte of zeros is a short line, and no JSON")
	require.EqualValues(t, 4, st.LinesRead)
}

// TestEndlessLineBoundedMemoryGiB runs 1 GiB of zero bytes without a line
// end through the default limit (16 MiB). Skipped with -short.
func TestEndlessLineBoundedMemoryGiB(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB of input: skipped with -short")
	}
	p, err := New(Config{})
	require.NoError(t, err)
	total, inuse := allocatedBy(func() { endless(t, p, 1<<30) })
	t.Logf("1 GiB without a line end, default limit: %.1f MiB allocated, heap in use after %.1f MiB", float64(total)/(1<<20), float64(inuse)/(1<<20))
	// The line buffer grows by doubling to the limit (256 KiB ... 16 MiB,
	// then 16 MiB + 1: about 48 MiB in all) plus a stream.
	require.Less(t, total, uint64(64<<20))
	st := p.Stats()
	require.EqualValues(t, 1, st.LinesTooLong)
}

// TestGzipBombBoundedMemory parses a gzip file of 1 GiB of zeros (1.2 MiB
// compressed) through Files: one over-long line, bounded memory.
// Skipped with -short.
func TestGzipBombBoundedMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("1 GiB of decompression: skipped with -short")
	}
	const size = 1 << 30
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.BestSpeed)
	chunk := make([]byte, 1<<20)
	for range size / len(chunk) {
		zw.Write(chunk)
	}
	zw.Write([]byte("\n" + nsEvent + "\n"))
	require.NoError(t, zw.Close())
	path := filepath.Join(t.TempDir(), "bomb.json.gz")
	require.NoError(t, os.WriteFile(path, gz.Bytes(), 0o644))
	gz = bytes.Buffer{}
	p, err := New(Config{})
	require.NoError(t, err)
	var rows int
	total, inuse := allocatedBy(func() {
		for rec, err := range p.Files([]string{path}) {
			require.NoError(t, err)
			rows += int(rec.NumRows())
		}
	})
	fi, err := os.Stat(path)
	require.NoError(t, err)
	t.Logf("gzip bomb of %.1f MiB (1 GiB of zeros), default limit: %.1f MiB allocated, heap in use after %.1f MiB",
		float64(fi.Size())/(1<<20), float64(total)/(1<<20), float64(inuse)/(1<<20))
	require.Less(t, total, uint64(64<<20))
	require.Equal(t, 1, rows)
	st := p.Stats()
	require.NoError(t, st.Check())
	require.EqualValues(t, 1, st.LinesTooLong)
}
