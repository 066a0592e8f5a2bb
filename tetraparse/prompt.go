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

// promptChunk is the size of one read of a promptReader.
const promptChunk = 64 << 10

// promptReader reads r on a goroutine of its own, so that the parser can
// tell when the next read would wait for input: Read then calls onBlock
// first (which emits the partial batch) and only then waits. It holds at
// most three chunks.
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
		free:    make(chan []byte, 2),
		done:    make(chan struct{}),
		onBlock: onBlock,
	}
	go p.run(r)
	return p
}

// run reads r until it fails or ends, or until stop.
func (p *promptReader) run(r io.Reader) {
	defer close(p.chunks)
	for {
		var buf []byte
		select {
		case buf = <-p.free:
		default:
			buf = make([]byte, promptChunk)
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
		if p.buf != nil {
			select {
			case p.free <- p.buf:
			default:
			}
			p.buf = nil
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
		if len(c.b) == 0 && c.err == nil {
			return 0, nil
		}
	}
	n := copy(dst, p.cur)
	p.cur = p.cur[n:]
	return n, nil
}

// stop ends the goroutine once its read in progress returns (a read
// blocked on a pipe nobody writes to returns only when the pipe closes).
func (p *promptReader) stop() { close(p.done) }
