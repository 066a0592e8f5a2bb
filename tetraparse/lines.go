package tetraparse

import (
	"bytes"
	"io"
)

// lineReader splits a stream into lines the way Python's text mode does
// (universal newlines: "\n", "\r" and "\r\n" all end a line), so that line
// numbers agree with the reference. The buffer grows to hold the longest
// line and no further; with a maximum, a longer line is reported as such
// and its bytes are read on to its end without being kept, so the buffer
// never exceeds the maximum (plus one byte for the terminator).
type lineReader struct {
	r       io.Reader
	buf     []byte
	start   int // first unconsumed byte
	end     int // end of valid data
	eof     bool
	err     error // read error other than io.EOF
	skipLF  bool  // the previous line ended in '\r': a leading '\n' belongs to it
	lineNo  int64
	maxLine int // <= 0: unlimited
	// long is set when the line next returned was longer than maxLine;
	// longLen is its length in bytes (the line itself is not returned).
	long    bool
	longLen int64
}

const initialLineBuffer = 256 << 10

func newLineReader(r io.Reader, maxLine int) *lineReader {
	return &lineReader{r: r, buf: make([]byte, initialLineBuffer), maxLine: maxLine}
}

// next returns the next line without its terminator. The slice is valid
// until the following call. ok is false at the end of input or on error
// (see err()). When lr.long is set, the line was longer than maxLine and
// line is nil.
func (lr *lineReader) next() (line []byte, ok bool) {
	lr.long = false
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
			return lr.checkLength(line), true
		}
		scanned = len(data)
		if lr.err != nil {
			// The bytes read before a read error are no line: Python's
			// text mode loses them too.
			return nil, false
		}
		if lr.eof {
			if len(data) > 0 {
				// Last line without a terminator.
				return lr.checkLength(lr.take(len(data), 0)), true
			}
			return nil, false
		}
		if lr.maxLine > 0 && len(data) > lr.maxLine {
			return nil, lr.skipLong()
		}
		lr.fill()
	}
}

// checkLength returns line, or nil with lr.long set when it is longer than
// the maximum (a buffer larger than the maximum can hold such a line whole).
func (lr *lineReader) checkLength(line []byte) []byte {
	if lr.maxLine > 0 && len(line) > lr.maxLine {
		lr.long, lr.longLen = true, int64(len(line))
		return nil
	}
	return line
}

// skipLong consumes the rest of an over-long line whose first bytes fill
// the buffer, reading on to its terminator (or the end of the input)
// without keeping what it reads. It reports false when a read error came
// first (the line is then lost, as a shorter one would be).
func (lr *lineReader) skipLong() bool {
	n := int64(lr.end - lr.start)
	lr.start, lr.end = 0, 0
	for !lr.eof {
		lr.fill()
		data := lr.buf[:lr.end]
		if i := indexNewline(data); i >= 0 {
			n += int64(i)
			lr.start = i + 1
			lr.skipLF = data[i] == '\r'
			break
		}
		if lr.err != nil {
			return false
		}
		n += int64(len(data))
		lr.end = 0
	}
	lr.lineNo++
	lr.long, lr.longLen = true, n
	return true
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
		size := 2 * len(lr.buf)
		if lr.maxLine > 0 {
			// A line of maxLine bytes and its terminator fit.
			size = min(size, max(lr.maxLine+1, len(lr.buf)))
		}
		nb := make([]byte, size)
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
