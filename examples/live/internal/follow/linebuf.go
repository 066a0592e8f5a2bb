package follow

import (
	"bytes"
	"io"
)

// readChunk is the least free space the buffer offers each read.
const readChunk = 64 << 10

// lineBuf splits a byte stream into lines in bounded memory: at most
// max+readChunk bytes, whatever the input. A line longer than max is dropped
// as it streams past (tooLong reports it when its newline arrives).
type lineBuf struct {
	buf        []byte
	start      int   // first byte of the line being assembled
	scan       int   // bytes before scan hold no newline (from start)
	end        int   // bytes in buf
	base       int64 // stream offset of buf[0]
	max        int
	discarding bool  // inside a line already longer than max
	discarded  int64 // bytes of that line dropped so far

	// Counted as they happen; the owner reads them into its statistics.
	nulBytes, tornFragments uint64
}

func newLineBuf(max int) lineBuf {
	return lineBuf{buf: make([]byte, min(readChunk*2, max+readChunk)), max: max}
}

// consumed is the stream offset just after the last line taken out.
func (lb *lineBuf) consumed() int64 { return lb.base + int64(lb.start) }

// readOffset is the stream offset of the next byte to read.
func (lb *lineBuf) readOffset() int64 { return lb.base + int64(lb.end) }

// pending is how many bytes of an unfinished line are held or were dropped.
func (lb *lineBuf) pending() int64 { return int64(lb.end-lb.start) + lb.discarded }

// reset empties the buffer and sets the stream offset of the next byte read.
func (lb *lineBuf) reset(off int64) {
	lb.start, lb.scan, lb.end = 0, 0, 0
	lb.base = off
	lb.discarding, lb.discarded = false, 0
}

// lineKind says what next found.
type lineKind int

const (
	noLine   lineKind = iota
	okLine            // a complete line within max
	longLine          // a line longer than max, dropped
)

// next takes the next complete line out of the buffer. The line excludes its
// newline and is valid until the next fill or reset. end is the stream
// offset just after the newline. For a longLine, n is the dropped length.
//
// NUL bytes never occur in Tetragon's JSON; they come from a hole left when
// the file was truncated under a writer that does not append. The part of a
// line up to its last NUL is the torn rest of a line lost with the
// truncation: it is counted and cut off, and the remainder is the line.
func (lb *lineBuf) next() (line []byte, end int64, kind lineKind, n int64) {
	i := bytes.IndexByte(lb.buf[lb.scan:lb.end], '\n')
	if i < 0 {
		lb.scan = lb.end
		return nil, 0, noLine, 0
	}
	nl := lb.scan + i
	line = lb.buf[lb.start:nl]
	lb.start = nl + 1
	lb.scan = lb.start
	end = lb.base + int64(lb.start)
	if lb.discarding {
		n = lb.discarded + int64(len(line))
		lb.discarding, lb.discarded = false, 0
		return nil, end, longLine, n
	}
	// IndexByte first: it is vectorised, LastIndexByte is not, and
	// almost no line has a NUL.
	if bytes.IndexByte(line, 0) >= 0 {
		z := bytes.LastIndexByte(line, 0)
		lb.cutTorn(line[:z+1])
		line = line[z+1:]
	}
	if len(line) > lb.max {
		return nil, end, longLine, int64(len(line))
	}
	return line, end, okLine, 0
}

// cutTorn counts the NUL bytes of p and, if it holds anything else, one torn
// fragment.
func (lb *lineBuf) cutTorn(p []byte) {
	nul := bytes.Count(p, []byte{0})
	lb.nulBytes += uint64(nul)
	if nul < len(p) {
		lb.tornFragments++
	}
}

// fill reads once from r into the buffer, making room first: it moves the
// unfinished line to the front, grows the buffer up to max+readChunk, and
// drops a line that has outgrown max. It returns the bytes read.
func (lb *lineBuf) fill(r io.Reader) (int, error) {
	if lb.end-lb.start > lb.max && !lb.discarding {
		// A truncated file's hole can be longer than any line: its
		// zeros belong to no line.
		if z := bytes.LastIndexByte(lb.buf[lb.start:lb.end], 0); z >= 0 {
			lb.cutTorn(lb.buf[lb.start : lb.start+z+1])
			lb.start += z + 1
			lb.scan = max(lb.scan, lb.start)
		}
	}
	if lb.end-lb.start > lb.max {
		// The line cannot fit any more: forget what is held, and skip
		// to its newline.
		lb.discarded += int64(lb.end - lb.start)
		lb.discarding = true
		lb.base += int64(lb.end)
		lb.start, lb.scan, lb.end = 0, 0, 0
	}
	if lb.start > 0 && len(lb.buf)-lb.end < readChunk {
		copy(lb.buf, lb.buf[lb.start:lb.end])
		lb.base += int64(lb.start)
		lb.end -= lb.start
		lb.scan -= lb.start
		lb.start = 0
	}
	if len(lb.buf)-lb.end < readChunk {
		nb := make([]byte, min(max(2*len(lb.buf), lb.end+readChunk), lb.max+readChunk))
		copy(nb, lb.buf[:lb.end])
		lb.buf = nb
	}
	n, err := r.Read(lb.buf[lb.end:])
	if n < 0 || n > len(lb.buf)-lb.end {
		return 0, io.ErrShortBuffer // a broken reader; never trust its count
	}
	lb.end += n
	return n, err
}
