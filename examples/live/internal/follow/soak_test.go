package follow

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/testexport"
)

// TestSoak follows a long generated stream written at full speed, rotated
// every 10 MB (Tetragon's default) with compression, and checks that every
// line arrives exactly once, and reports throughput and the peak heap. It
// runs only with TETRAHIDS_LIVE_SOAK set to the number of lines, e.g.
//
//	TETRAHIDS_LIVE_SOAK=5000000 go -C examples/live test -run TestSoak -v ./internal/follow
func TestSoak(t *testing.T) {
	n, _ := strconv.Atoi(os.Getenv("TETRAHIDS_LIVE_SOAK"))
	if n <= 0 {
		t.Skip("set TETRAHIDS_LIVE_SOAK to a number of lines to run")
	}
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	e.Compress, e.MaxBackups = true, 5
	var read atomic.Int64
	done := make(chan struct{})
	go func() {
		defer close(done)
		var size int
		for i := range n {
			line := testexport.Line(i)
			if size+len(line)+1 > 10<<20 {
				// Stay within Tetragon's 5 backups of the reader.
				for int64(i)-read.Load() > 100_000 {
					time.Sleep(time.Millisecond)
				}
				e.Rotate()
				size = 0
			}
			e.Write(line)
			size += len(line) + 1
		}
	}()
	var peak uint64
	stopPeak := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stopPeak:
				return
			case <-time.After(100 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			peak = max(peak, ms.HeapInuse)
		}
	}()
	f := newFollower(t, path, Options{})
	start := time.Now()
	var bytes int64
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Minute)
	defer cancel()
	for want := 0; want < n; {
		l, err := f.Next(ctx, time.Second)
		switch {
		case err == nil:
			if got := testexport.Num(t, l.Text); got != want {
				t.Fatalf("line %d arrived as line %d", got, want)
			}
			want++
			bytes += int64(len(l.Text)) + 1
			read.Store(int64(want))
		case errors.Is(err, ErrIdle):
		default:
			t.Fatalf("after %d lines: %v", want, err)
		}
	}
	el := time.Since(start)
	close(stopPeak)
	<-done
	st := f.Stats()
	t.Logf("%d lines, %.1f MB in %v: %.0f lines/s, %.1f MB/s (writer and reader sharing the machine); %d rotations seen, %d files; peak heap in use %.1f MiB",
		n, float64(bytes)/1e6, el.Round(time.Millisecond), float64(n)/el.Seconds(), float64(bytes)/1e6/el.Seconds(), st.Rotations, st.FilesOpened, float64(peak)/(1<<20))
}

// BenchmarkFollowerRead reads a 100,000-line file of about 1 KB lines (the
// size of Tetragon events) from its start: the follower's cost per line
// without waiting.
func BenchmarkFollowerRead(b *testing.B) {
	path := filepath.Join(b.TempDir(), "tetragon.log")
	fh, _ := os.Create(path)
	const lines = 100_000
	var size int64
	for i := range lines {
		l := testexport.Line(i) + `,"args":"` + string(bytesOf('a', 700)) + `"}` + "\n"
		fh.WriteString(l)
		size += int64(len(l))
	}
	fh.Close()
	b.SetBytes(size)
	b.ResetTimer()
	for range b.N {
		f, err := New(path, Options{NoWatch: true})
		if err != nil {
			b.Fatal(err)
		}
		for got := 0; got < lines; {
			if _, err := f.Next(context.Background(), 0); err != nil {
				b.Fatal(err)
			}
			got++
		}
		f.Close()
	}
	b.ReportMetric(float64(lines*b.N)/b.Elapsed().Seconds(), "lines/s")
}

func bytesOf(c byte, n int) []byte {
	p := make([]byte, n)
	for i := range p {
		p[i] = c
	}
	return p
}
