package encode

import (
	"encoding/binary"
	"hash"
	"strings"
	"unsafe"

	"golang.org/x/crypto/blake2b"
)

// hasher computes the reference's blake2b-64-be digest (BLAKE2b with an
// 8-byte digest of the UTF-8 input, read big-endian) and remembers the
// digests of recent inputs, which repeat heavily (basenames, cwd prefixes,
// parent→child pairs).
type hasher struct {
	h     hash.Hash
	buf   [8]byte
	cache map[string]uint64
	limit int
}

func newHasher(limit int) hasher {
	h, err := blake2b.New(8, nil)
	if err != nil {
		panic(err) // 8 is a valid size; New only fails on bad sizes or keys
	}
	return hasher{h: h, cache: map[string]uint64{}, limit: limit}
}

// digest returns the 64-bit digest of s; the bucket is digest % capacity.
func (x *hasher) digest(s string) uint64 {
	if d, ok := x.cache[s]; ok {
		return d
	}
	x.h.Reset()
	x.h.Write(unsafeBytes(s))
	d := binary.BigEndian.Uint64(x.h.Sum(x.buf[:0]))
	if x.limit > 0 {
		if len(x.cache) >= x.limit {
			clear(x.cache)
		}
		// The key must not alias an Arrow buffer.
		x.cache[strings.Clone(s)] = d
	}
	return d
}

// unsafeBytes views s as bytes for read-only use.
func unsafeBytes(s string) []byte {
	if s == "" {
		return nil
	}
	return unsafe.Slice(unsafe.StringData(s), len(s))
}
