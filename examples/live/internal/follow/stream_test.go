package follow

import (
	"context"
	"errors"
	"github.com/tetrahids/tetrahids/examples/live/internal/testexport"
	"io"
	"strings"
	"testing"
	"time"
)

// TestStream: lines of a pipe arrive as they are written, a partial line
// waits for its newline, an over-long line is dropped, and the end brings an
// unterminated-line notice then io.EOF.
func TestStream(t *testing.T) {
	pr, pw := io.Pipe()
	s := NewStream(pr, Options{MaxLineBytes: 100})
	ctx := context.Background()
	go pw.Write([]byte(testexport.Line(0) + "\n" + `{"n":1,`))
	l, err := s.Next(ctx, 5*time.Second)
	if err != nil || testexport.Num(t, l.Text) != 0 {
		t.Fatalf("first line: %q, %v", l.Text, err)
	}
	if _, err := s.Next(ctx, 20*time.Millisecond); !errors.Is(err, ErrIdle) {
		t.Fatalf("partial line: %v, want ErrIdle", err)
	}
	go func() {
		pw.Write([]byte(`"pad":""}` + "\n" + strings.Repeat("z", 500) + "\n" + testexport.Line(2) + "\n" + "tail"))
		pw.Close()
	}()
	l, err = s.Next(ctx, 5*time.Second)
	if err != nil || testexport.Num(t, l.Text) != 1 {
		t.Fatalf("second line: %q, %v", l.Text, err)
	}
	if _, err = s.Next(ctx, 5*time.Second); !errors.Is(err, ErrLineTooLong) {
		t.Fatalf("long line: %v", err)
	}
	l, err = s.Next(ctx, 5*time.Second)
	if err != nil || testexport.Num(t, l.Text) != 2 {
		t.Fatalf("third line: %q, %v", l.Text, err)
	}
	var d *DropError
	if _, err = s.Next(ctx, 5*time.Second); !errors.As(err, &d) || !errors.Is(err, ErrUnterminated) || d.Bytes != 4 {
		t.Fatalf("tail: %v", err)
	}
	if _, err = s.Next(ctx, 5*time.Second); err != io.EOF {
		t.Fatalf("end: %v, want io.EOF", err)
	}
	if st := s.Stats(); st.Lines != 3 || st.TooLong != 1 || st.Unterminated != 1 {
		t.Errorf("stats %+v", st)
	}
}

// TestStreamCancel: Next returns when its context is done, even while the
// reader blocks.
func TestStreamCancel(t *testing.T) {
	pr, _ := io.Pipe()
	s := NewStream(pr, Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { time.Sleep(10 * time.Millisecond); cancel() }()
	if _, err := s.Next(ctx, time.Hour); !errors.Is(err, context.Canceled) {
		t.Fatalf("%v, want context.Canceled", err)
	}
}
