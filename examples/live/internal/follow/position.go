package follow

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"time"
)

// FingerprintBytes is how many bytes of a file's start its fingerprint
// covers at most. One Tetragon event is longer than this, and its first
// line carries a nanosecond timestamp and exec ids, so two export files never
// share these bytes in practice.
const FingerprintBytes = 1024

// FileID identifies a file across rename and compression: the device and
// inode it had when it was read, and a SHA-256 of its first HeadLen bytes.
//
// A renamed file keeps its device and inode; a gzip-compressed backup does
// not, but decompresses to the same first bytes. HeadLen is
// min(FingerprintBytes, Offset) of the position that holds the FileID, so the
// fingerprint only covers bytes the follower has already read. Dev and Ino
// are zero for a file that was only ever read compressed.
type FileID struct {
	Dev, Ino uint64
	HeadLen  int
	HeadSum  [sha256.Size]byte
}

// Position is a point in the followed stream: just after a line, in a file.
//
// Offset counts bytes of the file's content (decompressed, for a gzip
// backup). NotBefore is a lower bound on the time the file was rotated away:
// the last time the follower saw it at the followed path, or the time in its
// backup name. It orders the file among backups when the file itself is
// gone. The zero Position means "no position" (start afresh).
type Position struct {
	File      FileID
	Offset    int64
	NotBefore time.Time
}

// IsZero reports whether p is the zero Position.
func (p Position) IsZero() bool { return p == Position{} }

// String gives the position in a form for logs.
func (p Position) String() string {
	return fmt.Sprintf("dev %d inode %d fingerprint %x/%d offset %d", p.File.Dev, p.File.Ino, p.File.HeadSum[:6], p.File.HeadLen, p.Offset)
}

// ErrBadPosition is wrapped by the errors of UnmarshalBinary.
var ErrBadPosition = errors.New("follow: malformed position")

const positionVersion = 1

// MarshalBinary encodes p: a version byte, then varints and the fingerprint.
func (p Position) MarshalBinary() ([]byte, error) {
	b := make([]byte, 0, 64)
	b = append(b, positionVersion)
	b = binary.AppendUvarint(b, p.File.Dev)
	b = binary.AppendUvarint(b, p.File.Ino)
	b = binary.AppendUvarint(b, uint64(p.File.HeadLen))
	b = append(b, p.File.HeadSum[:]...)
	b = binary.AppendUvarint(b, uint64(p.Offset))
	var nb int64
	if !p.NotBefore.IsZero() {
		nb = p.NotBefore.UnixNano()
	}
	b = binary.AppendVarint(b, nb)
	return b, nil
}

// UnmarshalBinary decodes what MarshalBinary wrote. It rejects trailing
// bytes, an unknown version, a negative offset and a fingerprint length other
// than min(FingerprintBytes, Offset).
func (p *Position) UnmarshalBinary(b []byte) error {
	bad := func(what string) error { return fmt.Errorf("%w: %s", ErrBadPosition, what) }
	if len(b) == 0 {
		return bad("empty")
	}
	if b[0] != positionVersion {
		return bad(fmt.Sprintf("version %d, want %d", b[0], positionVersion))
	}
	b = b[1:]
	uv := func(what string) (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, bad(what)
		}
		b = b[n:]
		return v, nil
	}
	var q Position
	var err error
	if q.File.Dev, err = uv("device"); err != nil {
		return err
	}
	if q.File.Ino, err = uv("inode"); err != nil {
		return err
	}
	hl, err := uv("fingerprint length")
	if err != nil {
		return err
	}
	if hl > FingerprintBytes {
		return bad("fingerprint length out of range")
	}
	q.File.HeadLen = int(hl)
	if len(b) < sha256.Size {
		return bad("fingerprint")
	}
	copy(q.File.HeadSum[:], b)
	b = b[sha256.Size:]
	off, err := uv("offset")
	if err != nil {
		return err
	}
	if off > math.MaxInt64 {
		return bad("offset out of range")
	}
	q.Offset = int64(off)
	if int64(q.File.HeadLen) != min(FingerprintBytes, q.Offset) {
		return bad("fingerprint length does not match offset")
	}
	nb, n := binary.Varint(b)
	if n <= 0 {
		return bad("time")
	}
	b = b[n:]
	if nb != 0 {
		q.NotBefore = time.Unix(0, nb).UTC()
	}
	if len(b) != 0 {
		return bad("trailing bytes")
	}
	*p = q
	return nil
}
