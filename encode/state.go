package encode

import (
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"maps"
	"math"
	"slices"
)

// ErrProcessState is wrapped by the errors of ReadProcessState about input
// that is not a process state WriteProcessState wrote: truncated, damaged,
// of another format version, or inconsistent.
var ErrProcessState = errors.New("encode: malformed process state")

// The process state's format, version 1 (little endian; "uvarint" and
// "varint" are encoding/binary's):
//
//	header, 20 bytes   "TETRAENC", uint16 version 1, uint16 flags 0,
//	                   uint64 payload length
//	payload            two generations, the older first, each a uvarint
//	                   count and per process, in byte order of the ids:
//	                   uvarint length and bytes of its proc_exec_id
//	                   (unique across both; "" is a process, as in
//	                   delta_t_prev_ns), varint previous event time (ns)
//	trailer            uint32 CRC-32C of header and payload
const (
	stateMagic   = "TETRAENC"
	stateVersion = 1
	stateHeader  = 20
)

var stateCRC = crc32.MakeTable(crc32.Castagnoli)

// WriteProcessState writes the state the Encoder carries from event to
// event, each process's previous event time (behind delta_t_prev_ns), so
// that a service can checkpoint it and, after a restart, go on with
// ReadProcessState as if it had not stopped. The format is versioned and
// checksummed; with WithMaxProcesses both generations are written, so that
// eviction goes on where it was. The method has io.WriterTo's signature;
// the Encoder is unchanged.
//
// The Encoder's other memories (digest and label caches) are caches of
// pure functions and not part of the state; the lineage graph has its own
// WriteTo.
func (e *Encoder) WriteProcessState(w io.Writer) (int64, error) {
	buf := make([]byte, stateHeader)
	copy(buf, stateMagic)
	binary.LittleEndian.PutUint16(buf[8:], stateVersion)
	for _, gen := range []map[string]*int64{e.prevOld, e.prev} {
		buf = binary.AppendUvarint(buf, uint64(len(gen)))
		// Sorted, so that equal states are equal bytes.
		for _, id := range slices.Sorted(maps.Keys(gen)) {
			buf = binary.AppendUvarint(buf, uint64(len(id)))
			buf = append(buf, id...)
			buf = binary.AppendVarint(buf, *gen[id])
		}
	}
	binary.LittleEndian.PutUint64(buf[12:], uint64(len(buf)-stateHeader))
	buf = binary.LittleEndian.AppendUint32(buf, crc32.Checksum(buf, stateCRC))
	n, err := w.Write(buf)
	if err != nil {
		return int64(n), fmt.Errorf("encode: writing process state: %w", err)
	}
	return int64(n), nil
}

// ReadProcessState replaces the Encoder's per-process state with one that
// WriteProcessState wrote (by an Encoder of any schema version: the state
// is times by proc_exec_id). It reads exactly one encoding from r, never
// beyond. Input that is not one gives an error wrapping ErrProcessState
// and leaves the Encoder unchanged; a corrupt length cannot make it
// allocate much more than the bytes r delivers. Other errors of r are
// returned wrapped, without ErrProcessState.
//
// With WithMaxProcesses, a newer generation holding half the bound or more
// (a state saved under a larger bound) becomes the older one at once, as
// the next event would have made it.
func (e *Encoder) ReadProcessState(r io.Reader) (int64, error) {
	var hdr [stateHeader]byte
	n, err := io.ReadFull(r, hdr[:])
	read := int64(n)
	if err != nil {
		return read, stateReadError("header", err)
	}
	if string(hdr[:8]) != stateMagic {
		return read, fmt.Errorf("%w: not a process state (starts with %q)", ErrProcessState, hdr[:8])
	}
	if v := binary.LittleEndian.Uint16(hdr[8:]); v != stateVersion {
		return read, fmt.Errorf("%w: format version %d, this package reads %d", ErrProcessState, v, stateVersion)
	}
	if f := binary.LittleEndian.Uint16(hdr[10:]); f != 0 {
		return read, fmt.Errorf("%w: unknown flags %#x", ErrProcessState, f)
	}
	plen := binary.LittleEndian.Uint64(hdr[12:])
	if plen > math.MaxInt32 {
		return read, fmt.Errorf("%w: payload length %d", ErrProcessState, plen)
	}
	// Read in steps, so that a corrupt length costs no more memory than
	// the input holds.
	var payload []byte
	for uint64(len(payload)) < plen {
		chunk := int(min(plen-uint64(len(payload)), 1<<20))
		payload = slices.Grow(payload, chunk)
		m, err := io.ReadFull(r, payload[len(payload):len(payload)+chunk])
		payload = payload[:len(payload)+m]
		read += int64(m)
		if err != nil {
			return read, stateReadError(fmt.Sprintf("payload (%d of %d bytes)", len(payload), plen), err)
		}
	}
	var tr [4]byte
	n, err = io.ReadFull(r, tr[:])
	read += int64(n)
	if err != nil {
		return read, stateReadError("checksum", err)
	}
	sum := crc32.Update(crc32.Checksum(hdr[:], stateCRC), stateCRC, payload)
	if want := binary.LittleEndian.Uint32(tr[:]); want != sum {
		return read, fmt.Errorf("%w: checksum %#08x, computed %#08x", ErrProcessState, want, sum)
	}
	gens, err := decodeProcessState(payload)
	if err != nil {
		return read, err
	}
	e.prevOld, e.prev = gens[0], gens[1]
	if len(e.prevOld) == 0 {
		e.prevOld = nil
	}
	if m := e.opts.maxProcs; m > 0 && len(e.prev) >= max(1, m/2) {
		e.prevOld, e.prev = e.prev, map[string]*int64{}
	}
	return read, nil
}

// decodeProcessState parses a payload into the older and the newer
// generation.
func decodeProcessState(p []byte) ([2]map[string]*int64, error) {
	var gens [2]map[string]*int64
	off := 0
	bad := func(format string, args ...any) error {
		return fmt.Errorf("%w: %s at payload offset %d", ErrProcessState, fmt.Sprintf(format, args...), off)
	}
	// Varints must be in their shortest form, so that a state reads back
	// as the bytes it was read from.
	uvarint := func() (uint64, error) {
		v, n := binary.Uvarint(p[off:])
		if n <= 0 || n != len(binary.AppendUvarint(nil, v)) {
			return 0, bad("bad uvarint")
		}
		off += n
		return v, nil
	}
	for g := range gens {
		count, err := uvarint()
		if err != nil {
			return gens, err
		}
		// A process takes at least 2 bytes: a bound before allocating.
		if count > uint64(len(p)-off)/2 {
			return gens, bad("%d processes exceed the data", count)
		}
		gens[g] = make(map[string]*int64, count)
		prev := ""
		for k := range count {
			l, err := uvarint()
			if err != nil {
				return gens, err
			}
			if l > uint64(len(p)-off) {
				return gens, bad("proc_exec_id of %d bytes overruns the data", l)
			}
			id := string(p[off : off+int(l)])
			off += int(l)
			t, n := binary.Varint(p[off:])
			if n <= 0 || n != len(binary.AppendVarint(nil, t)) {
				return gens, bad("bad varint")
			}
			off += n
			if k > 0 && id <= prev {
				return gens, bad("process %q out of order", id)
			}
			if _, dup := gens[0][id]; g == 1 && dup {
				return gens, bad("process %q in both generations", id)
			}
			prev = id
			gens[g][id] = &t
		}
	}
	if off != len(p) {
		return gens, bad("%d bytes after the state", len(p)-off)
	}
	return gens, nil
}

func stateReadError(what string, err error) error {
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("%w: truncated %s: %w", ErrProcessState, what, io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("encode: reading process state %s: %w", what, err)
}
