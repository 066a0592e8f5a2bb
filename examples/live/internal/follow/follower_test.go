package follow

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/testexport"
)

// collector reads a follower and keeps the line numbers and notices.
type collector struct {
	t *testing.T
	f interface {
		Next(context.Context, time.Duration) (Line, error)
	}
	nums    []int
	notices []error
	last    Position
}

// until reads until want lines were collected in all, failing after a
// generous timeout (a broken follower hangs rather than fails).
func (c *collector) until(want int, delivered *atomic.Int64) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for len(c.nums) < want {
		l, err := c.f.Next(ctx, 50*time.Millisecond)
		c.last = l.Pos
		switch {
		case err == nil:
			c.nums = append(c.nums, testexport.Num(c.t, l.Text))
			if delivered != nil {
				delivered.Store(int64(len(c.nums)))
			}
		case errors.Is(err, ErrIdle):
		case ctx.Err() != nil:
			c.t.Fatalf("timed out with %d of %d lines; last %v; first gap after %v; notices %v", len(c.nums), want, c.tail(), c.firstGap(), c.notices)
		default:
			c.notices = append(c.notices, err)
		}
	}
}

// drain reads until the follower has been idle for a while.
func (c *collector) drain() {
	c.t.Helper()
	for idle := 0; idle < 3; {
		l, err := c.f.Next(context.Background(), 30*time.Millisecond)
		c.last = l.Pos
		switch {
		case err == nil:
			idle = 0
			c.nums = append(c.nums, testexport.Num(c.t, l.Text))
		case errors.Is(err, ErrIdle):
			idle++
		default:
			c.notices = append(c.notices, err)
		}
	}
}

// firstGap returns the lines around the first one not one more than the
// line before it.
func (c *collector) firstGap() []int {
	for i := 1; i < len(c.nums); i++ {
		if c.nums[i] != c.nums[i-1]+1 {
			return c.nums[max(0, i-2):min(len(c.nums), i+2)]
		}
	}
	return nil
}

func (c *collector) tail() []int { return c.nums[max(0, len(c.nums)-5):] }

// wantRange checks that nums is exactly lo, lo+1, ..., hi-1.
func wantRange(t *testing.T, nums []int, lo, hi int) {
	t.Helper()
	if len(nums) != hi-lo {
		t.Errorf("got %d lines, want %d (lines %d..%d)", len(nums), hi-lo, lo, hi-1)
	}
	for i, n := range nums {
		if n != lo+i {
			t.Fatalf("line %d is %d, want %d (each line exactly once, in order); around it: %v", i, n, lo+i, nums[max(0, i-3):min(len(nums), i+3)])
		}
	}
}

func newFollower(t *testing.T, path string, opts Options) *Follower {
	t.Helper()
	f, err := New(path, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

// TestFollowRotation: a writer appends lines, rotates the file as Tetragon's
// exporter does several times (with and without gzip of the backups, the
// compression racing the follower) and truncates it once, while the
// follower follows. Every line is delivered exactly once, in order. The
// truncation happens after the follower has read every line before it,
// so no line is lost to it (TestFollowTruncationRace covers the other case).
func TestFollowRotation(t *testing.T) {
	for _, tc := range []struct {
		name     string
		compress bool
		appendW  bool
		opts     Options
	}{
		{name: "plain", opts: Options{}},
		{name: "gzip", compress: true},
		{name: "gzip/append-writer", compress: true, appendW: true},
		{name: "gzip/poll-only", compress: true, opts: Options{NoWatch: true, PollInterval: 5 * time.Millisecond}},
		{name: "plain/small-lines-limit", opts: Options{MaxLineBytes: 400}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, every, truncAt := 12000, 1000, 6500
			if testing.Short() {
				n, every, truncAt = 4000, 400, 2100
			}
			path := filepath.Join(t.TempDir(), "tetragon.log")
			f := newFollower(t, path, tc.opts)
			var delivered atomic.Int64
			done, stop := make(chan struct{}), make(chan struct{})
			e := testexport.New(t, path)
			e.Compress, e.Append = tc.compress, tc.appendW
			t.Cleanup(func() { close(stop); <-done })
			go func() {
				defer close(done)
				for i := range n {
					if i > 0 && i%every == 0 {
						e.Rotate()
					}
					if i == truncAt {
						for delivered.Load() < int64(i) {
							select {
							case <-stop:
								return
							case <-time.After(time.Millisecond):
							}
						}
						e.Truncate()
					}
					e.Write(testexport.Line(i))
				}
			}()
			c := &collector{t: t, f: f}
			c.until(n, &delivered)
			<-done
			c.drain()
			wantRange(t, c.nums, 0, n)
			st := f.Stats()
			if st.Truncations != 1 {
				t.Errorf("Truncations = %d, want 1; notices %v", st.Truncations, c.notices)
			}
			if st.Rotations == 0 || st.FilesOpened < uint64(n/every) {
				t.Errorf("Rotations = %d, FilesOpened = %d, want rotations seen and >= %d files", st.Rotations, st.FilesOpened, n/every)
			}
			var truncs int
			for _, err := range c.notices {
				if !errors.Is(err, ErrTruncated) {
					t.Errorf("unexpected notice %v", err)
				}
				truncs++
			}
			if truncs != 1 {
				t.Errorf("%d truncation notices, want 1", truncs)
			}
			t.Logf("%d lines; stats %+v", len(c.nums), st)
		})
	}
}

// TestFollowTruncationRace truncates the file while the follower may be
// behind. Lines written before the truncation that the follower had not
// read yet are lost with it (their bytes are gone); every line written after
// it is delivered, and none twice: the lines are 0..k-1 then T..n-1, where T
// is the first line written after the truncation.
func TestFollowTruncationRace(t *testing.T) {
	for _, appendW := range []bool{false, true} {
		t.Run(map[bool]string{false: "lumberjack-writer", true: "append-writer"}[appendW], func(t *testing.T) {
			const n, truncAt = 6000, 3000
			path := filepath.Join(t.TempDir(), "tetragon.log")
			f := newFollower(t, path, Options{})
			done := make(chan struct{})
			e := testexport.New(t, path)
			e.Append = appendW
			t.Cleanup(func() { <-done })
			go func() {
				defer close(done)
				for i := range n {
					if i == truncAt {
						e.Truncate()
					}
					e.Write(testexport.Line(i))
				}
			}()
			c := &collector{t: t, f: f}
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			for len(c.nums) == 0 || c.nums[len(c.nums)-1] != n-1 {
				l, err := f.Next(ctx, 50*time.Millisecond)
				switch {
				case err == nil:
					c.nums = append(c.nums, testexport.Num(t, l.Text))
				case errors.Is(err, ErrIdle):
				case ctx.Err() != nil:
					t.Fatalf("timed out; last lines %v", c.tail())
				default:
					c.notices = append(c.notices, err)
				}
			}
			k := 0
			for k < len(c.nums) && c.nums[k] == k && k < truncAt {
				k++
			}
			wantRange(t, c.nums[k:], truncAt, n)
			t.Logf("delivered 0..%d and %d..%d; lost %d lines to the truncation; notices %v", k-1, truncAt, n-1, truncAt-k, c.notices)
		})
	}
}

// TestFollowCompressedWhileReading: the follower has read part of the file
// when it is rotated, compressed, and the plain backup removed. The
// follower still holds the file open and drains it, then goes on with the
// new file: nothing lost, nothing twice.
func TestFollowCompressedWhileReading(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	e.Compress, e.SyncMill = true, true
	for i := range 100 {
		e.Write(testexport.BigLine(i))
	}
	f := newFollower(t, path, Options{})
	c := &collector{t: t, f: f}
	c.until(10, nil)
	e.Rotate() // renamed, compressed, plain removed: only the open descriptor is left
	for i := 100; i < 200; i++ {
		e.Write(testexport.BigLine(i))
	}
	c.until(200, nil)
	c.drain()
	wantRange(t, c.nums, 0, 200)
	if len(c.notices) != 0 {
		t.Errorf("notices %v", c.notices)
	}
}

// TestFollowEmptyRotations: rotations by interval with no events in between
// leave empty backups, compressed; the follower passes them without reading
// anything twice.
func TestFollowEmptyRotations(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	e.Compress, e.SyncMill = true, true
	for i := range 10 {
		e.Write(testexport.Line(i))
	}
	f := newFollower(t, path, Options{})
	c := &collector{t: t, f: f}
	c.until(10, nil)
	e.Rotate()
	e.Rotate()
	e.Rotate()
	for i := 10; i < 20; i++ {
		e.Write(testexport.Line(i))
	}
	c.until(20, nil)
	e.Rotate()
	e.Rotate()
	for i := 20; i < 30; i++ {
		e.Write(testexport.Line(i))
	}
	c.until(30, nil)
	c.drain()
	wantRange(t, c.nums, 0, 30)
}

// TestFollowBeforeFileExists: the follower starts before the directory and
// the file exist; the file is created, written and rotated twice before the
// follower looks again. Everything is delivered in order.
func TestFollowBeforeFileExists(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "run", "tetragon")
	path := filepath.Join(dir, "tetragon.log")
	f := newFollower(t, path, Options{})
	if _, err := f.Next(context.Background(), 0); !errors.Is(err, ErrIdle) {
		t.Fatalf("Next before the file exists: %v, want ErrIdle", err)
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	e := testexport.New(t, path)
	e.Compress, e.SyncMill = true, true
	for i := range 300 {
		if i == 100 || i == 200 {
			e.Rotate()
		}
		e.Write(testexport.Line(i))
	}
	c := &collector{t: t, f: f}
	c.until(300, nil)
	c.drain()
	wantRange(t, c.nums, 0, 300)
	if !f.Stats().Watching {
		t.Error("the directory created later is not watched")
	}
}

// TestFollowLongLines: lines over MaxLineBytes are dropped, counted and
// reported with their length, in bounded memory, and the lines around them
// are intact. One long line is split across many reads.
func TestFollowLongLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	e.Write(testexport.Line(0))
	e.Write(`{"long":"` + repeat('z', 300_000) + `"}`)
	e.Write(testexport.Line(1))
	e.Write(repeat('q', 1001))
	e.Write(testexport.Line(2))
	f := newFollower(t, path, Options{MaxLineBytes: 1000})
	c := &collector{t: t, f: f}
	c.until(3, nil)
	wantRange(t, c.nums, 0, 3)
	if len(c.notices) != 2 {
		t.Fatalf("notices %v, want two dropped lines", c.notices)
	}
	var d *DropError
	if !errors.As(c.notices[0], &d) || !errors.Is(d, ErrLineTooLong) || d.Bytes != 300_011 {
		t.Errorf("first notice %v, want a 300011-byte line too long", c.notices[0])
	}
	if !errors.As(c.notices[1], &d) || d.Bytes != 1001 {
		t.Errorf("second notice %v, want a 1001-byte line", c.notices[1])
	}
	if got := cap(f.lb.buf); got > 1000+readChunk {
		t.Errorf("buffer grew to %d bytes, want at most %d", got, 1000+readChunk)
	}
	if st := f.Stats(); st.TooLong != 2 || st.Lines != 3 {
		t.Errorf("stats %+v", st)
	}
}

func repeat(b byte, n int) string {
	p := make([]byte, n)
	for i := range p {
		p[i] = b
	}
	return string(p)
}

// TestFollowPartialLine: a line without its newline yet is held back until
// the newline arrives.
func TestFollowPartialLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	fh, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	fh.WriteString(testexport.Line(0) + "\n" + `{"n":1,`)
	f := newFollower(t, path, Options{})
	c := &collector{t: t, f: f}
	c.until(1, nil)
	if l, err := f.Next(context.Background(), 20*time.Millisecond); !errors.Is(err, ErrIdle) {
		t.Fatalf("got %q, %v before the newline; want ErrIdle", l.Text, err)
	}
	fh.WriteString(`"pad":""}` + "\n")
	c.until(2, nil)
	wantRange(t, c.nums, 0, 2)
	if want := int64(len(testexport.Line(0)) + 1 + len(`{"n":1,"pad":""}`) + 1); c.last.Offset != want {
		t.Errorf("offset after line 1 = %d, want %d", c.last.Offset, want)
	}
}

// TestFollowHoleLongerThanMaxLine: truncation under a writer that does not
// append leaves a run of zeros as long as the file was; it is skipped, not
// taken for an over-long line, and the next line is delivered.
func TestFollowHoleLongerThanMaxLine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	for i := range 50 {
		e.Write(testexport.Line(i))
	}
	f := newFollower(t, path, Options{MaxLineBytes: 400})
	c := &collector{t: t, f: f}
	c.until(50, nil)
	e.Truncate()
	// The follower sees the empty file and starts again from its start,
	// where the writer's next line leaves zeros.
	if _, err := f.Next(context.Background(), time.Second); !errors.Is(err, ErrTruncated) {
		t.Fatalf("after truncation: %v, want ErrTruncated", err)
	}
	for i := 50; i < 60; i++ {
		e.Write(testexport.Line(i))
	}
	c.until(60, nil)
	wantRange(t, c.nums, 0, 60)
	if st := f.Stats(); st.TooLong != 0 || st.NULBytes == 0 {
		t.Errorf("stats %+v, want zeros skipped and no line too long", st)
	}
}

// TestFollowPaddedAndEmptyGzip: backups the library's gzip reader accepts,
// as Python's gzip module does and compress/gzip does not (zero padding
// after the member, an empty .gz), are read without a notice: the follower
// reads what the corpus builder reads.
func TestFollowPaddedAndEmptyGzip(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tetragon.log")
	f := newFollower(t, path, Options{})
	if _, err := f.Next(context.Background(), 0); !errors.Is(err, ErrIdle) {
		t.Fatalf("Next before the file exists: %v, want ErrIdle", err)
	}
	at := time.Now().UTC().Add(time.Second)
	backup := func(k int) string {
		return filepath.Join(dir, "tetragon-"+at.Add(time.Duration(k)*time.Millisecond).Format("2006-01-02T15-04-05.000")+".log.gz")
	}
	var plain bytes.Buffer
	for i := range 100 {
		plain.WriteString(testexport.Line(i) + "\n")
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(plain.Bytes())
	zw.Close()
	gz.Write(make([]byte, 1000))
	if err := os.WriteFile(backup(0), gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(backup(1), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e := testexport.New(t, path)
	for i := 100; i < 200; i++ {
		e.Write(testexport.Line(i))
	}
	c := &collector{t: t, f: f}
	c.until(200, nil)
	c.drain()
	wantRange(t, c.nums, 0, 200)
	if len(c.notices) != 0 {
		t.Errorf("notices %v", c.notices)
	}
}

// TestFollowStartsAtNew: lines written to a file that did not exist when
// the follower was made, and rotated away before the first Next, are read
// from the backup, in order.
func TestFollowStartsAtNew(t *testing.T) {
	for _, compress := range []bool{false, true} {
		t.Run(map[bool]string{false: "plain", true: "gzip"}[compress], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tetragon.log")
			f := newFollower(t, path, Options{})
			e := testexport.New(t, path)
			e.Compress = compress
			for i := range 30 {
				if i == 10 || i == 20 {
					e.Rotate()
				}
				e.Write(testexport.Line(i))
			}
			c := &collector{t: t, f: f}
			c.until(30, nil)
			c.drain()
			wantRange(t, c.nums, 0, 30)
		})
	}
}

// TestFollowTruncatedThenRotated: the file is truncated and rotated away
// between two looks of the follower. The lines written after the
// truncation are read from the backup, and the truncation is counted.
func TestFollowTruncatedThenRotated(t *testing.T) {
	for _, appendW := range []bool{false, true} {
		t.Run(map[bool]string{false: "lumberjack-writer", true: "append-writer"}[appendW], func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tetragon.log")
			f := newFollower(t, path, Options{NoWatch: true, PollInterval: time.Hour})
			e := testexport.New(t, path)
			e.Append = appendW
			for i := range 10 {
				e.Write(testexport.Line(i))
			}
			c := &collector{t: t, f: f}
			c.until(10, nil)
			e.Truncate()
			for i := 10; i < 30; i++ {
				if i == 20 {
					e.Rotate()
				}
				e.Write(testexport.Line(i))
			}
			c.until(30, nil)
			c.drain()
			wantRange(t, c.nums, 0, 30)
			if st := f.Stats(); st.Truncations != 1 {
				t.Errorf("Truncations = %d, want 1; notices %v", st.Truncations, c.notices)
			}
		})
	}
}
