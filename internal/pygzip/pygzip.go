// Package pygzip reads gzip files as Python 3.11's gzip module does, which
// accepts more than compress/gzip: zero padding after a member, an empty
// file, an unchecked header CRC, names and comments of any length. The
// reference pipeline opens ".gz" inputs with gzip.open, and Tetragon's
// rotated export backups are gzip files; the corpus builder (package
// tetraparse) and the live service's follower read them through this one
// reader, so both accept the same files.
//
//	z := pygzip.NewReader(f)
//	defer z.Close()
//	data, err := io.ReadAll(z) // errors name the member and its offset
package pygzip

import (
	"bufio"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
)

// Reader reads a gzip file as Python 3.11's gzip module does, which
// accepts more than compress/gzip:
//
//   - zero bytes after a member are padding and skipped (gzip -t accepts
//     them too); any other byte after a member must start another member;
//   - an empty file is an empty stream;
//   - the header's CRC-16 is skipped unchecked, and file name and comment
//     may be of any length.
//
// As in Python, a member must start with the magic bytes and method 8,
// its CRC-32 and length (mod 2^32) must match, and a stream that ends
// inside a member is an error. Memory is bounded: the flate window and a
// read buffer.
type Reader struct {
	src     byteCounter
	br      *bufio.Reader
	fr      io.ReadCloser // the current member's data; nil between members
	inside  bool          // reading a member's data
	members int
	start   int64 // offset of the current member
	crc     uint32
	size    uint32
	err     error
}

// byteCounter counts the bytes read from the file, for error offsets.
type byteCounter struct {
	r io.Reader
	n int64
}

func (c *byteCounter) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// NewReader returns a Reader of the gzip file r. Nothing is read until
// the first Read: an empty r is an empty stream. Errors wrap
// compress/gzip's ErrHeader and ErrChecksum, or io.ErrUnexpectedEOF for a
// file that ends inside a member, and name the member and its offset;
// they are sticky.
func NewReader(r io.Reader) *Reader {
	z := &Reader{src: byteCounter{r: r}}
	z.br = bufio.NewReaderSize(&z.src, 64<<10)
	return z
}

// offset returns the offset in the file of the next unread byte.
func (z *Reader) offset() int64 { return z.src.n - int64(z.br.Buffered()) }

// fail records a sticky error naming the member and its offset.
func (z *Reader) fail(err error) error {
	z.err = fmt.Errorf("gzip member %d (at byte %d): %w", z.members, z.start, err)
	return z.err
}

func (z *Reader) Read(p []byte) (int, error) {
	for {
		if z.err != nil {
			return 0, z.err
		}
		if !z.inside {
			more, err := z.header()
			if err != nil {
				return 0, z.fail(err)
			}
			if !more {
				z.err = io.EOF
				return 0, io.EOF
			}
		}
		if len(p) == 0 {
			return 0, nil
		}
		n, err := z.fr.Read(p)
		z.crc = crc32.Update(z.crc, crc32.IEEETable, p[:n])
		z.size += uint32(n)
		switch {
		case err == io.EOF:
			if err := z.trailer(); err != nil {
				return n, z.fail(err)
			}
			z.inside = false
		case errors.Is(err, io.ErrUnexpectedEOF):
			return n, z.fail(truncated(err))
		case err != nil:
			return n, z.fail(err)
		}
		if n > 0 {
			return n, nil
		}
	}
}

// gzip header flags (RFC 1952).
const (
	gzFlagHCRC    = 1 << 1
	gzFlagExtra   = 1 << 2
	gzFlagName    = 1 << 3
	gzFlagComment = 1 << 4
)

// header reads a member header as Python's _read_gzip_header does; more
// is false at the end of the file.
func (z *Reader) header() (more bool, err error) {
	z.members++
	z.start = z.offset()
	var magic [2]byte
	n, err := io.ReadFull(z.br, magic[:])
	switch {
	case n == 0 && err == io.EOF:
		z.members--
		return false, nil
	case err != nil && err != io.EOF && err != io.ErrUnexpectedEOF:
		return false, err // reading the file failed
	}
	if magic != [2]byte{0x1f, 0x8b} {
		return false, fmt.Errorf("%w: not a gzip member (starts with %q)", gzip.ErrHeader, magic[:n])
	}
	var h [8]byte
	if _, err := io.ReadFull(z.br, h[:]); err != nil {
		return false, truncated(err)
	}
	if h[0] != 8 {
		return false, fmt.Errorf("%w: unknown compression method %d", gzip.ErrHeader, h[0])
	}
	flags := h[1]
	if flags&gzFlagExtra != 0 {
		var l [2]byte
		if _, err := io.ReadFull(z.br, l[:]); err != nil {
			return false, truncated(err)
		}
		if _, err := z.br.Discard(int(binary.LittleEndian.Uint16(l[:]))); err != nil {
			return false, truncated(err)
		}
	}
	for _, f := range []byte{gzFlagName, gzFlagComment} {
		if flags&f == 0 {
			continue
		}
		// A zero-terminated string; Python also stops at the end of the
		// file (the missing data then fails below).
		for {
			c, err := z.br.ReadByte()
			if err != nil || c == 0 {
				break
			}
		}
	}
	if flags&gzFlagHCRC != 0 {
		if _, err := z.br.Discard(2); err != nil {
			return false, truncated(err)
		}
	}
	if z.fr == nil {
		z.fr = flate.NewReader(z.br)
	} else if err := z.fr.(flate.Resetter).Reset(z.br, nil); err != nil {
		return false, err
	}
	z.inside, z.crc, z.size = true, 0, 0
	return true, nil
}

// trailer checks a member's CRC-32 and length, then skips zero padding.
func (z *Reader) trailer() error {
	var t [8]byte
	if _, err := io.ReadFull(z.br, t[:]); err != nil {
		return truncated(err)
	}
	if crc := binary.LittleEndian.Uint32(t[:4]); crc != z.crc {
		return fmt.Errorf("%w: CRC-32 %08x, data has %08x", gzip.ErrChecksum, crc, z.crc)
	}
	if size := binary.LittleEndian.Uint32(t[4:]); size != z.size {
		return fmt.Errorf("%w: length %d (mod 2^32), data has %d", gzip.ErrChecksum, size, z.size)
	}
	for {
		c, err := z.br.ReadByte()
		if err != nil {
			if err == io.EOF {
				return nil
			}
			return err
		}
		if c != 0 {
			return z.br.UnreadByte()
		}
	}
}

// truncated names a stream that ends inside a member.
func truncated(err error) error {
	if errors.Is(err, io.EOF) {
		err = io.ErrUnexpectedEOF
	}
	return fmt.Errorf("the file ends inside a member: %w", err)
}

// Close releases the flate reader. Errors were reported by Read.
func (z *Reader) Close() error {
	if z.fr != nil {
		z.fr.Close()
	}
	return nil
}
