package baseline

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
)

// A file written by this package (a model, or a scorer checkpoint) is
//
//	magic    8 bytes  "THBASE\r\n" (model) or "THCTXS\r\n" (checkpoint)
//	version  uint32   little endian, FormatVersion
//	kind     uint32   the Kind of model, or of the checkpoint's model
//	length   uint64   payload bytes
//	payload  length bytes
//	sha256   32 bytes over everything before it
//
// The payload is a sequence of unsigned varints, little-endian IEEE 754
// floats and length-prefixed strings, described with each model type. The
// \r\n in the magic catches a file mangled by line-ending conversion.

// FormatVersion is the version of the file format this build writes and
// reads.
const FormatVersion = 1

const (
	modelMagic      = "THBASE\r\n"
	checkpointMagic = "THCTXS\r\n"
	headerSize      = 8 + 4 + 4 + 8
	sumSize         = sha256.Size
	// maxPayload bounds what a loader reads (and so allocates): 4 GiB.
	maxPayload = 1 << 32
)

// writeFile writes a file with the given magic, kind and payload.
func writeFile(w io.Writer, magic string, kind Kind, payload []byte) (int64, error) {
	var hdr [headerSize]byte
	copy(hdr[:8], magic)
	binary.LittleEndian.PutUint32(hdr[8:], FormatVersion)
	binary.LittleEndian.PutUint32(hdr[12:], uint32(kind))
	binary.LittleEndian.PutUint64(hdr[16:], uint64(len(payload)))
	h := sha256.New()
	h.Write(hdr[:])
	h.Write(payload)
	var n int64
	for _, b := range [][]byte{hdr[:], payload, h.Sum(nil)} {
		m, err := w.Write(b)
		n += int64(m)
		if err != nil {
			return n, fmt.Errorf("baseline: writing: %w", err)
		}
	}
	return n, nil
}

// readFile reads and verifies a file with the given magic and returns its
// kind and payload. It reads exactly the file's bytes from r, allocating
// only as much as the input really holds.
func readFile(r io.Reader, magic string) (Kind, []byte, error) {
	var hdr [headerSize]byte
	if n, err := io.ReadFull(r, hdr[:]); err != nil {
		if n < 8 || string(hdr[:8]) != magic {
			return 0, nil, &FormatError{Offset: 0, Err: fmt.Errorf("%w: %d header bytes", ErrNotModel, n)}
		}
		return 0, nil, &FormatError{Offset: int64(n), Err: truncated(err)}
	}
	if string(hdr[:8]) != magic {
		return 0, nil, &FormatError{Offset: 0, Err: fmt.Errorf("%w: magic %q", ErrNotModel, hdr[:8])}
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != FormatVersion {
		return 0, nil, &FormatError{Offset: 8, Err: fmt.Errorf("%w: version %d, this build reads %d", ErrVersion, v, FormatVersion)}
	}
	kind := Kind(binary.LittleEndian.Uint32(hdr[12:]))
	if !kind.valid() {
		return 0, nil, &FormatError{Offset: 12, Err: fmt.Errorf("%w: unknown model kind %d", ErrCorrupt, uint32(kind))}
	}
	length := binary.LittleEndian.Uint64(hdr[16:])
	if length > maxPayload {
		return 0, nil, &FormatError{Offset: 16, Err: fmt.Errorf("%w: payload of %d bytes", ErrTooLarge, length)}
	}
	var buf bytes.Buffer
	n, err := io.CopyN(&buf, r, int64(length)+sumSize)
	if err != nil {
		return 0, nil, &FormatError{Offset: headerSize + n, Err: truncated(err)}
	}
	data := buf.Bytes()
	payload, sum := data[:length], data[length:]
	h := sha256.New()
	h.Write(hdr[:])
	h.Write(payload)
	if !bytes.Equal(h.Sum(nil), sum) {
		return 0, nil, &FormatError{Offset: headerSize + int64(length), Err: ErrChecksum}
	}
	return kind, payload, nil
}

func truncated(err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return ErrTruncated
	}
	return fmt.Errorf("baseline: reading: %w", err)
}

// enc appends payload fields.
type enc struct{ b []byte }

func (e *enc) uvarint(x uint64) { e.b = binary.AppendUvarint(e.b, x) }
func (e *enc) float(x float64)  { e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(x)) }
func (e *enc) float32(x float32) {
	e.b = binary.LittleEndian.AppendUint32(e.b, math.Float32bits(x))
}
func (e *enc) uint16(x uint16) { e.b = binary.LittleEndian.AppendUint16(e.b, x) }
func (e *enc) str(s string) {
	e.uvarint(uint64(len(s)))
	e.b = append(e.b, s...)
}

// dec reads payload fields; the first error sticks, and every count is
// checked against the bytes left before anything is allocated for it.
type dec struct {
	b   []byte
	off int
	// base is the payload's offset in the file, for error positions.
	base int64
	err  error
}

func (d *dec) fail(format string, args ...any) {
	if d.err == nil {
		d.err = &FormatError{Offset: d.base + int64(d.off), Err: fmt.Errorf("%w: "+format, append([]any{ErrCorrupt}, args...)...)}
	}
}

func (d *dec) uvarint() uint64 {
	if d.err != nil {
		return 0
	}
	x, n := binary.Uvarint(d.b[d.off:])
	if n <= 0 {
		d.fail("bad varint")
		return 0
	}
	d.off += n
	return x
}

// count reads a number of elements, each taking at least minBytes.
func (d *dec) count(what string, minBytes int) int {
	x := d.uvarint()
	if d.err == nil && x > uint64(len(d.b)-d.off)/uint64(minBytes) {
		d.fail("%s count %d exceeds the payload", what, x)
		return 0
	}
	return int(x)
}

func (d *dec) float() float64 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 8 {
		d.fail("payload ends in a number")
		return 0
	}
	x := math.Float64frombits(binary.LittleEndian.Uint64(d.b[d.off:]))
	d.off += 8
	return x
}

func (d *dec) float32() float32 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 4 {
		d.fail("payload ends in a number")
		return 0
	}
	x := math.Float32frombits(binary.LittleEndian.Uint32(d.b[d.off:]))
	d.off += 4
	return x
}

func (d *dec) uint16() uint16 {
	if d.err != nil {
		return 0
	}
	if len(d.b)-d.off < 2 {
		d.fail("payload ends in a number")
		return 0
	}
	x := binary.LittleEndian.Uint16(d.b[d.off:])
	d.off += 2
	return x
}

func (d *dec) str() string {
	n := d.count("string byte", 1)
	if d.err != nil {
		return ""
	}
	s := string(d.b[d.off : d.off+n])
	d.off += n
	return s
}

// finish reports an error, or trailing bytes.
func (d *dec) finish() error {
	if d.err == nil && d.off != len(d.b) {
		d.fail("%d trailing bytes", len(d.b)-d.off)
	}
	return d.err
}
