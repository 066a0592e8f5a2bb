package tetraparse

import (
	"bytes"
	"errors"
	"io"
)

// lineReader splits a stream into lines the way Python's text mode does
// (universal newlines: "\n", "\r" and "\r\n" all end a line), so that line
// numbers agree with the reference. Lines may be of any length: the buffer
// grows to hold the longest line and no further.
type lineReader struct {
	r       io.Reader
	buf     []byte
	start   int // first unconsumed byte
	end     int // end of valid data
	eof     bool
	err     error // read error other than io.EOF
	skipLF  bool  // the previous line ended in '\r': a leading '\n' belongs to it
	lineNo  int64
	maxLine int // 0 = unlimited
}

const initialLineBuffer = 256 << 10

// errLineTooLong is returned when a line exceeds the configured maximum.
var errLineTooLong = errors.New("line exceeds the maximum line length")

func newLineReader(r io.Reader, maxLine int) *lineReader {
	return &lineReader{r: r, buf: make([]byte, initialLineBuffer), maxLine: maxLine}
}

// next returns the next line without its terminator. The slice is valid
// until the following call. ok is false at the end of input or on error
// (see err()).
func (lr *lineReader) next() (line []byte, ok bool) {
	scanned := 0 // bytes after start known to hold no line terminator
	for {
		if lr.skipLF {
			if lr.start < lr.end {
				lr.skipLF = false
				if lr.buf[lr.start] == '\n' {
					lr.start++
				}
			} else if !lr.eof && lr.err == nil {
				lr.fill()
				continue
			} else {
				lr.skipLF = false
			}
		}
		data := lr.buf[lr.start:lr.end]
		if i := indexNewline(data[scanned:]); i >= 0 {
			i += scanned
			cr := data[i] == '\r'
			line = lr.take(i, 1)
			lr.skipLF = cr
			return line, true
		}
		scanned = len(data)
		if lr.eof || lr.err != nil {
			if len(data) > 0 {
				// Last line without a terminator.
				return lr.take(len(data), 0), true
			}
			return nil, false
		}
		if lr.maxLine > 0 && len(data) > lr.maxLine {
			lr.err = errLineTooLong
			return nil, false
		}
		lr.fill()
	}
}

// indexNewline returns the index of the first '\n' or '\r' in b, or -1.
func indexNewline(b []byte) int {
	i := bytes.IndexByte(b, '\n')
	seg := b
	if i >= 0 {
		seg = b[:i]
	}
	if j := bytes.IndexByte(seg, '\r'); j >= 0 {
		return j
	}
	return i
}

// take consumes n bytes of line plus a terminator of width term.
func (lr *lineReader) take(n, term int) []byte {
	line := lr.buf[lr.start : lr.start+n]
	lr.start += n + term
	lr.lineNo++
	return line
}

// fill reads more data, moving the partial line to the front or growing
// the buffer first.
func (lr *lineReader) fill() {
	if lr.start > 0 {
		n := copy(lr.buf, lr.buf[lr.start:lr.end])
		lr.start, lr.end = 0, n
	}
	if lr.end == len(lr.buf) {
		nb := make([]byte, 2*len(lr.buf))
		copy(nb, lr.buf[:lr.end])
		lr.buf = nb
	}
	for tries := 0; tries < 100; tries++ {
		n, err := lr.r.Read(lr.buf[lr.end:])
		lr.end += n
		if err == io.EOF {
			lr.eof = true
			return
		}
		if err != nil {
			lr.err = err
			return
		}
		if n > 0 {
			return
		}
	}
	lr.err = io.ErrNoProgress
}

// line returns the number of lines returned so far.
func (lr *lineReader) line() int64 { return lr.lineNo }
