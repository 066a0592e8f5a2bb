package tetraparse

import (
	"bytes"
	"io"
	"os"
	"strings"
)

// canBlock reports whether reading r may wait for input that does not
// exist yet: a pipe, a socket, a terminal, or a reader of unknown kind.
// Regular files and in-memory readers deliver until their end, so
// Records keeps whole batches on them.
func canBlock(r io.Reader) bool {
	switch x := r.(type) {
	case *bytes.Reader, *strings.Reader, *bytes.Buffer:
		return false
	case *os.File:
		fi, err := x.Stat()
		return err != nil || !fi.Mode().IsRegular()
	}
	return true
}

// promptChunk is the size of one read of a promptReader, and
// promptBuffers the number of chunks it has at most: one being read into,
// one ready, one being parsed.
const (
	promptChunk   = 64 << 10
	promptBuffers = 3
)

// promptReader reads r on a goroutine of its own, so that the parser can
// tell when the next read would wait for input: Read then calls onBlock
// first (which emits the partial batch) and only then waits. Its chunks
// go round between the two goroutines, so it holds at most promptBuffers
// of them and allocates none after the first.
type promptReader struct {
	chunks  chan chunk  // read by the goroutine, in order
	free    chan []byte // chunks given back for reuse
	done    chan struct{}
	cur     []byte // the unread part of the current chunk
	buf     []byte // the current chunk, to give back
	err     error  // the error that ended the input
	onBlock func() error
}

type chunk struct {
	b   []byte
	err error
}

func newPromptReader(r io.Reader, onBlock func() error) *promptReader {
	p := &promptReader{
		chunks:  make(chan chunk, 1),
		free:    make(chan []byte, promptBuffers),
		done:    make(chan struct{}),
		onBlock: onBlock,
	}
	go p.run(r)
	return p
}

// run reads r until it fails or ends, or until stop.
func (p *promptReader) run(r io.Reader) {
	defer close(p.chunks)
	made := 0
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		default:
			if made < promptBuffers {
				buf = make([]byte, promptChunk)
				made++
				break
			}
			select {
			case buf = <-p.free:
			case <-p.done:
				return
			}
		}
		n, err := r.Read(buf[:cap(buf)])
		select {
		case p.chunks <- chunk{buf[:n], err}:
		case <-p.done:
			return
		}
		if err != nil {
			return
		}
	}
}

// Read returns bytes already read; when there are none, it calls onBlock
// (whose error it returns) before waiting for the next chunk.
func (p *promptReader) Read(dst []byte) (int, error) {
	for len(p.cur) == 0 {
		if p.err != nil {
			return 0, p.err
		}
		var c chunk
		var ok bool
		select {
		case c, ok = <-p.chunks:
		default:
			if err := p.onBlock(); err != nil {
				return 0, err
			}
			c, ok = <-p.chunks
		}
		if !ok {
			p.err = io.ErrUnexpectedEOF // unreachable: the goroutine sends its final error first
			continue
		}
		p.buf, p.cur, p.err = c.b, c.b, c.err
		if len(c.b) == 0 {
			p.release()
			if c.err == nil {
				return 0, nil
			}
		}
	}
	n := copy(dst, p.cur)
	p.cur = p.cur[n:]
	if len(p.cur) == 0 {
		p.release()
	}
	return n, nil
}

// release gives the current chunk back to the goroutine.
func (p *promptReader) release() {
	if p.buf != nil {
		p.free <- p.buf // never blocks: free holds every chunk there is
		p.buf = nil
	}
}

// stop ends the goroutine once its read in progress returns (a read
// blocked on a pipe nobody writes to returns only when the pipe closes).
func (p *promptReader) stop() { close(p.done) }
