package lineage

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"math"
)

// The encoded graph: see the package documentation, "Persistence", for
// the layout of format version 1.
const (
	formatMagic   = "TETRALIN"
	formatVersion = 1
	headerSize    = 20
	trailerSize   = 4
	numCounters   = 5
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// WriteTo writes the graph in the versioned binary format described in
// the package documentation ("Persistence"), implementing io.WriterTo. It
// only reads the graph, so it may run concurrently with lookups.
func (g *Graph) WriteTo(w io.Writer) (int64, error) {
	cw := &checksumWriter{w: w, h: crc32New()}
	bw := bufio.NewWriterSize(cw, 64<<10)

	var hdr [headerSize]byte
	copy(hdr[:], formatMagic)
	binary.LittleEndian.PutUint16(hdr[8:], formatVersion)
	binary.LittleEndian.PutUint16(hdr[10:], 0)
	binary.LittleEndian.PutUint64(hdr[12:], uint64(g.payloadSize()))
	bw.Write(hdr[:]) // errors are sticky in bufio.Writer and surface at Flush

	putUvarint := func(v uint64) { bw.Write(binary.AppendUvarint(bw.AvailableBuffer(), v)) }
	putString := func(s string) {
		putUvarint(uint64(len(s)))
		bw.WriteString(s)
	}
	putUvarint(uint64(len(g.bases)))
	for _, b := range g.bases {
		putString(b)
	}
	putUvarint(uint64(len(g.nodes)))
	for i, n := range g.nodes {
		putString(g.name(int32(i)))
		if n.base == noBase {
			putUvarint(0)
			continue
		}
		putUvarint(uint64(n.base) + 1)
		putUvarint(uint64(n.parent + 2)) // parentEmpty -> 0, parentNull -> 1, index k -> k+2
	}
	putUvarint(numCounters)
	for _, c := range g.stats.list() {
		putUvarint(uint64(c))
	}
	if err := bw.Flush(); err != nil {
		return cw.n, fmt.Errorf("lineage: writing graph: %w", err)
	}
	var tr [trailerSize]byte
	binary.LittleEndian.PutUint32(tr[:], cw.h.Sum32())
	n, err := w.Write(tr[:])
	cw.n += int64(n)
	if err != nil {
		return cw.n, fmt.Errorf("lineage: writing graph: %w", err)
	}
	return cw.n, nil
}

func crc32New() hash.Hash32 { return crc32.New(castagnoli) }

// list returns the persisted counters in format order.
func (c *counters) list() [numCounters]int {
	return [numCounters]int{c.conflicts, c.repeats, c.skipped, c.evicted, c.rejected}
}

// payloadSize returns the length of the payload WriteTo will write, which
// the header announces so that readers can bound what they read.
func (g *Graph) payloadSize() int {
	size := uvarintLen(uint64(len(g.bases)))
	for _, b := range g.bases {
		size += uvarintLen(uint64(len(b))) + len(b)
	}
	size += uvarintLen(uint64(len(g.nodes)))
	for _, n := range g.nodes {
		size += uvarintLen(uint64(n.nlen)) + int(n.nlen)
		if n.base == noBase {
			size++
			continue
		}
		size += uvarintLen(uint64(n.base)+1) + uvarintLen(uint64(n.parent+2))
	}
	size += uvarintLen(numCounters)
	for _, c := range g.stats.list() {
		size += uvarintLen(uint64(c))
	}
	return size
}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// checksumWriter counts and checksums what passes through it.
type checksumWriter struct {
	w io.Writer
	h hash.Hash32
	n int64
}

func (c *checksumWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// ReadFrom replaces the graph's contents with a graph encoded by WriteTo,
// implementing io.ReaderFrom. It reads exactly the bytes of one encoding,
// never beyond, so an encoded graph can be followed by other data in the
// same stream.
//
// Truncated, corrupt or malformed input yields an error wrapping
// ErrCorrupt (ErrUnsupportedVersion for a version this package does not
// know) and leaves the graph unchanged; no input makes it panic, and a
// corrupt length cannot make it allocate more than 4 MiB plus twice the
// bytes the reader actually delivers. Other errors of r are returned
// wrapped, without ErrCorrupt.
//
// Options given to New are kept. With WithMaxProcesses, all loaded
// processes count as used in file order, and an oversized graph is
// evicted at once.
func (g *Graph) ReadFrom(r io.Reader) (int64, error) {
	var hdr [headerSize]byte
	n, err := io.ReadFull(r, hdr[:])
	read := int64(n)
	if err != nil {
		return read, readError("header", err)
	}
	if string(hdr[:8]) != formatMagic {
		return read, fmt.Errorf("%w: bad magic %q", ErrCorrupt, hdr[:8])
	}
	if v := binary.LittleEndian.Uint16(hdr[8:]); v != formatVersion {
		return read, fmt.Errorf("%w: version %d (want %d)", ErrUnsupportedVersion, v, formatVersion)
	}
	if f := binary.LittleEndian.Uint16(hdr[10:]); f != 0 {
		return read, fmt.Errorf("%w: unknown flags %#x", ErrCorrupt, f)
	}
	plen := binary.LittleEndian.Uint64(hdr[12:])
	if plen > math.MaxInt-trailerSize {
		return read, fmt.Errorf("%w: payload length %d", ErrCorrupt, plen)
	}
	payload, err := readPayload(r, int(plen))
	read += int64(len(payload))
	if err != nil {
		return read, readError(fmt.Sprintf("payload (%d of %d bytes)", len(payload), plen), err)
	}
	var tr [trailerSize]byte
	n, err = io.ReadFull(r, tr[:])
	read += int64(n)
	if err != nil {
		return read, readError("checksum", err)
	}
	sum := crc32.Update(crc32.Checksum(hdr[:], castagnoli), castagnoli, payload)
	if want := binary.LittleEndian.Uint32(tr[:]); want != sum {
		return read, fmt.Errorf("%w: checksum %#08x, computed %#08x", ErrCorrupt, want, sum)
	}

	t, c, err := decodePayload(payload, g.cfg.maxProcs > 0)
	if err != nil {
		return read, err
	}
	g.table, g.stats = t, c
	if g.lru {
		g.clock = 0
		for i := range g.seen {
			g.clock++
			g.seen[i] = g.clock
		}
		if g.procs > g.cfg.maxProcs {
			g.evict()
		}
	}
	return read, nil
}

// readError classifies an error of the underlying reader: running out of
// input inside an encoding is a truncation, hence corruption; anything
// else is the reader's own failure.
func readError(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated %s: %w", ErrCorrupt, what, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("lineage: reading graph %s: %w", what, err)
}

// readPayload reads n bytes. Its buffer starts at no more than 4 MiB and
// at most doubles, to at most n, each time it fills, so memory follows the
// bytes actually received rather than a length that may be corrupt, and a
// well-formed payload ends up in a buffer of exactly its size.
func readPayload(r io.Reader, n int) ([]byte, error) {
	buf := make([]byte, 0, min(n, 4<<20))
	for len(buf) < n {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(n, 2*cap(buf)))
			copy(grown, buf)
			buf = grown
		}
		k, err := io.ReadFull(r, buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+k]
		if err != nil {
			return buf, err
		}
	}
	return buf, nil
}

// decoder reads a payload and reports malformations with their offset.
type decoder struct {
	b   []byte
	off int
}

func (d *decoder) fail(format string, args ...any) error {
	return fmt.Errorf("%w: %s at payload offset %d", ErrCorrupt, fmt.Sprintf(format, args...), d.off)
}

func (d *decoder) uvarint() (uint64, error) {
	v, n := binary.Uvarint(d.b[d.off:])
	switch {
	case n == 0:
		return 0, d.fail("truncated varint")
	case n < 0:
		return 0, d.fail("varint overflows 64 bits")
	}
	d.off += n
	return v, nil
}

// count reads an element count and checks it against the bytes left,
// each element taking at least minSize, so that a corrupt count cannot
// cause a huge allocation.
func (d *decoder) count(what string, minSize int) (int, error) {
	v, err := d.uvarint()
	if err != nil {
		return 0, err
	}
	if v > uint64((len(d.b)-d.off)/minSize) {
		return 0, d.fail("%s count %d exceeds the data", what, v)
	}
	return int(v), nil
}

// bytes reads a length-prefixed byte string; the result aliases the
// payload.
func (d *decoder) bytes() ([]byte, error) {
	n, err := d.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(d.b)-d.off) {
		return nil, d.fail("string of %d bytes overruns the payload", n)
	}
	b := d.b[d.off : d.off+int(n)]
	d.off += int(n)
	return b, nil
}

// decodePayload parses and validates a version 1 payload. The strings are
// copied into the new table's arena, so the payload buffer is released
// once loading is done.
func decodePayload(payload []byte, lru bool) (table, counters, error) {
	d := &decoder{b: payload}
	nBases, err := d.count("basename", 1)
	if err != nil {
		return table{}, counters{}, err
	}
	bases := make([]string, 0, nBases)
	baseIDs := make(map[string]int32, nBases)
	for range nBases {
		b, err := d.bytes()
		if err != nil {
			return table{}, counters{}, err
		}
		if _, dup := baseIDs[string(b)]; dup {
			return table{}, counters{}, d.fail("duplicate basename %q", b)
		}
		baseIDs[string(b)] = int32(len(bases))
		bases = append(bases, string(b))
	}

	nIDs, err := d.count("exec_id", 3) // length, one byte, base
	if err != nil {
		return table{}, counters{}, err
	}
	if nIDs > maxIDs {
		return table{}, counters{}, d.fail("%d exec_ids exceed the limit %d", nIDs, maxIDs)
	}
	t := newTable(nIDs, lru)
	for _, b := range bases {
		t.internBase(b)
	}
	for range nIDs {
		b, err := d.bytes()
		if err != nil {
			return table{}, counters{}, err
		}
		if len(b) == 0 {
			return table{}, counters{}, d.fail("empty exec_id")
		}
		if uint64(len(b)) > maxNameLen {
			return table{}, counters{}, d.fail("exec_id of %d bytes", len(b))
		}
		block, off := t.arena.putBytes(b)
		id := t.arena.get(block, off, uint32(len(b)))
		tag := t.hash(id)
		if _, dup := t.findHashed(id, tag); dup {
			return table{}, counters{}, d.fail("duplicate exec_id %q", id)
		}
		i := t.addAt(tag, block, off, uint32(len(b)))
		base, err := d.uvarint()
		if err != nil {
			return table{}, counters{}, err
		}
		if base > uint64(nBases) {
			return table{}, counters{}, d.fail("basename reference %d out of range", base)
		}
		if base == 0 {
			continue // a placeholder, as addAt left it
		}
		parent, err := d.uvarint()
		if err != nil {
			return table{}, counters{}, err
		}
		if parent > uint64(nIDs)+1 {
			return table{}, counters{}, d.fail("parent reference %d out of range", parent)
		}
		t.nodes[i].parent = int32(int64(parent) - 2)
		t.nodes[i].base = int32(base - 1)
		t.procs++
	}

	nCounters, err := d.count("counter", 1)
	if err != nil {
		return table{}, counters{}, err
	}
	var vals [numCounters]int
	for k := range nCounters {
		v, err := d.uvarint()
		if err != nil {
			return table{}, counters{}, err
		}
		if v > math.MaxInt64 {
			return table{}, counters{}, d.fail("counter %d overflows", k)
		}
		if k < numCounters {
			vals[k] = int(v)
		}
	}
	if d.off != len(d.b) {
		return table{}, counters{}, d.fail("%d unexpected trailing bytes", len(d.b)-d.off)
	}
	c := counters{conflicts: vals[0], repeats: vals[1], skipped: vals[2], evicted: vals[3], rejected: vals[4]}
	return t, c, nil
}
