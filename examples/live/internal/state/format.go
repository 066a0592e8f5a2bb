package state

import (
	"bufio"
	"encoding/binary"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"time"
)

// The checkpoint file:
//
//	header   8 bytes magic "THLSTATE", uint32 version, uint32 zero
//	sections the sections' bytes, one after the other
//	table    uint32 count, then per section: uint16 name length, name,
//	         uint64 offset, uint64 length, uint32 CRC-32C of its bytes
//	trailer  uint64 table offset, uint32 table length, uint64 sequence,
//	         int64 time (Unix ns), uint32 CRC-32C of the table and the
//	         trailer's first 28 bytes, 8 bytes magic "THLSTEND"
//
// Integers are little-endian. The sections tile the bytes between the header
// and the table exactly. A file cut short loses its trailer, so a partial
// write is never taken for a checkpoint.
const (
	headerLen  = 16
	trailerLen = 40
	version    = 1
	magic      = "THLSTATE"
	endMagic   = "THLSTEND"

	// MaxSections and MaxNameLen bound the table a decoder accepts.
	MaxSections = 1024
	MaxNameLen  = 64
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Section is one component's part of a checkpoint: a name (letters,
// digits, '.', '_', '-'; at most MaxNameLen bytes) and the writer of its
// bytes.
type Section struct {
	Name string
	Data io.WriterTo
}

// validName reports whether name is a usable section name.
func validName(name string) bool {
	if name == "" || len(name) > MaxNameLen {
		return false
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '.' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

type entry struct {
	name        string
	off, length int64
	crc         uint32
}

// countingWriter counts and checksums what passes through it.
type countingWriter struct {
	w   io.Writer
	n   int64
	crc hash.Hash32
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	if c.crc != nil {
		c.crc.Write(p[:n])
	}
	return n, err
}

// Encode writes a checkpoint of the sections to w.
func Encode(w io.Writer, seq uint64, t time.Time, sections []Section) error {
	bw := bufio.NewWriterSize(w, 64<<10)
	cw := &countingWriter{w: bw}
	var hdr [headerLen]byte
	copy(hdr[:], magic)
	binary.LittleEndian.PutUint32(hdr[8:], version)
	if _, err := cw.Write(hdr[:]); err != nil {
		return err
	}
	entries := make([]entry, 0, len(sections))
	seen := map[string]bool{}
	for _, s := range sections {
		if !validName(s.Name) {
			return fmt.Errorf("state: section name %q: want 1 to %d letters, digits, '.', '_' or '-'", s.Name, MaxNameLen)
		}
		if seen[s.Name] {
			return fmt.Errorf("state: section %q given twice", s.Name)
		}
		seen[s.Name] = true
		e := entry{name: s.Name, off: cw.n}
		cw.crc = crc32.New(castagnoli)
		if _, err := s.Data.WriteTo(cw); err != nil {
			return fmt.Errorf("state: section %s: %w", s.Name, err)
		}
		e.length, e.crc = cw.n-e.off, cw.crc.Sum32()
		cw.crc = nil
		entries = append(entries, e)
	}
	if len(entries) > MaxSections {
		return fmt.Errorf("state: %d sections, at most %d", len(entries), MaxSections)
	}
	table := binary.LittleEndian.AppendUint32(nil, uint32(len(entries)))
	for _, e := range entries {
		table = binary.LittleEndian.AppendUint16(table, uint16(len(e.name)))
		table = append(table, e.name...)
		table = binary.LittleEndian.AppendUint64(table, uint64(e.off))
		table = binary.LittleEndian.AppendUint64(table, uint64(e.length))
		table = binary.LittleEndian.AppendUint32(table, e.crc)
	}
	tableOff := cw.n
	var tr [trailerLen]byte
	binary.LittleEndian.PutUint64(tr[0:], uint64(tableOff))
	binary.LittleEndian.PutUint32(tr[8:], uint32(len(table)))
	binary.LittleEndian.PutUint64(tr[12:], seq)
	binary.LittleEndian.PutUint64(tr[20:], uint64(t.UnixNano()))
	crc := crc32.Update(crc32.Checksum(table, castagnoli), castagnoli, tr[:28])
	binary.LittleEndian.PutUint32(tr[28:], crc)
	copy(tr[32:], endMagic)
	if _, err := cw.Write(table); err != nil {
		return err
	}
	if _, err := cw.Write(tr[:]); err != nil {
		return err
	}
	return bw.Flush()
}

// Decode reads a checkpoint of size bytes from r. It checks the structure
// and every checksum before it returns, reading each section once; the
// sections are then read from r on demand. Errors wrap ErrCorrupt
// (*CorruptError) or ErrVersion (*VersionError).
func Decode(r io.ReaderAt, size int64, name string) (*Checkpoint, error) {
	bad := func(off int64, format string, args ...any) error {
		return &CorruptError{File: name, Offset: off, Reason: fmt.Sprintf(format, args...)}
	}
	if size < headerLen+trailerLen+4 {
		return nil, bad(0, "%d bytes, shorter than an empty checkpoint", size)
	}
	var hdr [headerLen]byte
	if _, err := r.ReadAt(hdr[:], 0); err != nil {
		return nil, fmt.Errorf("state: %s: %w", name, err)
	}
	if string(hdr[:8]) != magic {
		return nil, bad(0, "not a checkpoint (magic %q)", hdr[:8])
	}
	if v := binary.LittleEndian.Uint32(hdr[8:]); v != version {
		return nil, &VersionError{File: name, Version: v}
	}
	if z := binary.LittleEndian.Uint32(hdr[12:]); z != 0 {
		return nil, bad(12, "reserved header bytes not zero")
	}
	var tr [trailerLen]byte
	trOff := size - trailerLen
	if _, err := r.ReadAt(tr[:], trOff); err != nil {
		return nil, fmt.Errorf("state: %s: %w", name, err)
	}
	if string(tr[32:]) != endMagic {
		return nil, bad(trOff+32, "no end marker: the file is incomplete")
	}
	tableOff := binary.LittleEndian.Uint64(tr[0:])
	tableLen := binary.LittleEndian.Uint32(tr[8:])
	if tableOff < headerLen || tableOff > uint64(trOff) || uint64(trOff)-tableOff != uint64(tableLen) {
		return nil, bad(trOff, "table at %d, %d bytes, does not end at the trailer (%d)", tableOff, tableLen, trOff)
	}
	if tableLen > MaxSections*(2+MaxNameLen+20)+4 {
		return nil, bad(trOff, "table of %d bytes is too long", tableLen)
	}
	table := make([]byte, tableLen)
	if _, err := r.ReadAt(table, int64(tableOff)); err != nil {
		return nil, fmt.Errorf("state: %s: %w", name, err)
	}
	crc := crc32.Update(crc32.Checksum(table, castagnoli), castagnoli, tr[:28])
	if got := binary.LittleEndian.Uint32(tr[28:]); got != crc {
		return nil, bad(trOff+28, "table checksum %08x, computed %08x", got, crc)
	}
	cp := &Checkpoint{
		Seq:  binary.LittleEndian.Uint64(tr[12:]),
		Time: time.Unix(0, int64(binary.LittleEndian.Uint64(tr[20:]))).UTC(),
		r:    r,
	}
	p := table
	at := func() int64 { return int64(tableOff) + int64(len(table)-len(p)) }
	if len(p) < 4 {
		return nil, bad(at(), "table too short")
	}
	count := binary.LittleEndian.Uint32(p)
	p = p[4:]
	if count > MaxSections {
		return nil, bad(at()-4, "%d sections, at most %d", count, MaxSections)
	}
	next := int64(headerLen)
	seen := map[string]bool{}
	for i := range count {
		if len(p) < 2 {
			return nil, bad(at(), "section %d: table cut short", i)
		}
		nl := int(binary.LittleEndian.Uint16(p))
		p = p[2:]
		if len(p) < nl+20 {
			return nil, bad(at(), "section %d: table cut short", i)
		}
		e := entry{name: string(p[:nl])}
		if !validName(e.name) {
			return nil, bad(at(), "section %d: bad name %q", i, e.name)
		}
		if seen[e.name] {
			return nil, bad(at(), "section %q appears twice", e.name)
		}
		seen[e.name] = true
		p = p[nl:]
		off, length := binary.LittleEndian.Uint64(p), binary.LittleEndian.Uint64(p[8:])
		e.crc = binary.LittleEndian.Uint32(p[16:])
		p = p[20:]
		if off != uint64(next) || length > tableOff-off {
			return nil, bad(at()-20, "section %q at %d, %d bytes, outside the data or out of order", e.name, off, length)
		}
		e.off, e.length = int64(off), int64(length)
		next = e.off + e.length
		h := crc32.New(castagnoli)
		if _, err := io.Copy(h, io.NewSectionReader(r, e.off, e.length)); err != nil {
			return nil, fmt.Errorf("state: %s: section %s: %w", name, e.name, err)
		}
		if h.Sum32() != e.crc {
			return nil, bad(e.off, "section %q checksum %08x, computed %08x", e.name, e.crc, h.Sum32())
		}
		cp.entries = append(cp.entries, e)
	}
	if len(p) != 0 {
		return nil, bad(at(), "%d bytes after the last section entry", len(p))
	}
	if next != int64(tableOff) {
		return nil, bad(next, "%d bytes between the last section and the table", int64(tableOff)-next)
	}
	return cp, nil
}
