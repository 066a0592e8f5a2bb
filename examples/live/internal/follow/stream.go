package follow

import (
	"context"
	"io"
	"time"
)

// Stream yields the lines of a reader that cannot be reopened or positioned,
// such as standard input fed by `tetra getevents -o json`, with the same
// line rules as Follower (MaxLineBytes, NUL holes). Positions carry only
// the offset in the stream: a new stream cannot be resumed from them.
//
// A goroutine reads from r, so that Next can wait with a timeout; it ends
// when r returns an error or EOF (a read blocked on a terminal or a pipe
// cannot be interrupted, so Close does not wait for it). A Stream is not safe
// for concurrent use.
type Stream struct {
	lb    lineBuf
	in    chan chunk
	free  chan []byte
	cur   chunk
	pos   Position
	err   error // the reader's final error, once all its data is taken
	timer *time.Timer
	st    counters
}

// chunk is one read's bytes: buf is the whole buffer, rest what lineBuf
// has not taken yet.
type chunk struct {
	buf, rest []byte
	err       error
}

// NewStream returns a Stream of r. Only MaxLineBytes of opts applies.
func NewStream(r io.Reader, opts Options) *Stream {
	if opts.MaxLineBytes <= 0 {
		opts.MaxLineBytes = DefaultMaxLineBytes
	}
	s := &Stream{lb: newLineBuf(opts.MaxLineBytes), in: make(chan chunk, 1), free: make(chan []byte, 2)}
	s.st.caughtUp.Store(time.Now().UnixNano())
	for range 2 {
		s.free <- make([]byte, readChunk)
	}
	go func() {
		for b := range s.free {
			n, err := 0, error(nil)
			for try := 0; n == 0 && err == nil; try++ {
				if try == 100 {
					err = io.ErrNoProgress
					break
				}
				n, err = r.Read(b)
				if n < 0 || n > len(b) {
					n, err = 0, io.ErrShortBuffer
				}
			}
			s.in <- chunk{buf: b, rest: b[:n], err: err}
			if err != nil {
				return
			}
		}
	}()
	return s
}

// Position returns the position after the last line or notice returned.
func (s *Stream) Position() Position { return s.pos }

// Stats returns the counts so far; only the line counts and LagSeconds
// apply. It is safe to call from any goroutine.
func (s *Stream) Stats() Stats { return s.st.stats() }

// Close stops using the stream.
func (s *Stream) Close() error { return nil }

// Next returns the next complete line, as Follower.Next does. At the end of
// the reader it returns io.EOF (after an *DropError for an unterminated last
// line), or the reader's error.
func (s *Stream) Next(ctx context.Context, wait time.Duration) (Line, error) {
	s.st.waiting.Store(false)
	var deadline time.Time
	for {
		line, end, kind, n := s.lb.next()
		s.syncLineCounts()
		switch kind {
		case okLine:
			s.pos = Position{Offset: end}
			s.st.lines.Add(1)
			s.st.bytes.Add(uint64(len(line)) + 1)
			return Line{Text: line, Pos: s.pos}, nil
		case longLine:
			s.pos = Position{Offset: end}
			s.st.tooLong.Add(1)
			return Line{Pos: s.pos}, &DropError{Reason: ErrLineTooLong, File: "stdin", Bytes: n, Pos: s.pos}
		}
		if s.err != nil {
			if p := s.lb.pending(); p > 0 {
				s.pos = Position{Offset: s.lb.readOffset()}
				s.lb.reset(s.lb.readOffset())
				s.st.unterminated.Add(1)
				return Line{Pos: s.pos}, &DropError{Reason: ErrUnterminated, File: "stdin", Bytes: p, Pos: s.pos}
			}
			return Line{Pos: s.pos}, s.err
		}
		if len(s.cur.rest) > 0 {
			s.lb.fill(&s.cur)
			continue
		}
		if s.cur.buf != nil {
			if s.cur.err != nil {
				s.err = s.cur.err
				continue
			}
			s.free <- s.cur.buf
			s.cur = chunk{}
		}
		select {
		case s.cur = <-s.in:
			continue
		default:
		}
		if err := ctx.Err(); err != nil {
			return Line{Pos: s.pos}, err
		}
		now := time.Now()
		if deadline.IsZero() {
			deadline = now.Add(wait)
		}
		if !now.Before(deadline) {
			return Line{Pos: s.pos}, ErrIdle
		}
		s.st.caughtUp.Store(now.UnixNano())
		s.st.waiting.Store(true)
		if s.timer == nil {
			s.timer = time.NewTimer(deadline.Sub(now))
		} else {
			s.timer.Reset(deadline.Sub(now))
		}
		select {
		case <-ctx.Done():
			s.timer.Stop()
			return Line{Pos: s.pos}, ctx.Err()
		case s.cur = <-s.in:
			s.timer.Stop()
		case <-s.timer.C:
		}
	}
}

func (s *Stream) syncLineCounts() {
	if s.lb.nulBytes != 0 {
		s.st.nulBytes.Add(s.lb.nulBytes)
		s.lb.nulBytes = 0
	}
	if s.lb.tornFragments != 0 {
		s.st.torn.Add(s.lb.tornFragments)
		s.lb.tornFragments = 0
	}
}

// Read serves the chunk's bytes to lineBuf.fill.
func (c *chunk) Read(p []byte) (int, error) {
	n := copy(p, c.rest)
	c.rest = c.rest[n:]
	return n, nil
}
