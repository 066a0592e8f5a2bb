package pygzip

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

// gzMember builds one gzip member by hand, so that tests can set what
// compress/gzip's writer does not write (a header CRC, any name length).
type gzMember struct {
	data          []byte
	method        byte // 0: 8 (deflate)
	extra         []byte
	name, comment []byte // without the terminating zero
	hcrc          bool   // write a (deliberately wrong) header CRC-16
	badCRC        bool
	badSize       bool
}

func (m gzMember) bytes() []byte {
	var b bytes.Buffer
	method := m.method
	if method == 0 {
		method = 8
	}
	var flags byte
	if m.extra != nil {
		flags |= gzFlagExtra
	}
	if m.name != nil {
		flags |= gzFlagName
	}
	if m.comment != nil {
		flags |= gzFlagComment
	}
	if m.hcrc {
		flags |= gzFlagHCRC
	}
	b.Write([]byte{0x1f, 0x8b, method, flags, 0, 0, 0, 0, 0, 255})
	if m.extra != nil {
		b.Write(binary.LittleEndian.AppendUint16(nil, uint16(len(m.extra))))
		b.Write(m.extra)
	}
	for _, s := range [][]byte{m.name, m.comment} {
		if s != nil {
			b.Write(s)
			b.WriteByte(0)
		}
	}
	if m.hcrc {
		b.Write([]byte{0xde, 0xad})
	}
	fw, _ := flate.NewWriter(&b, flate.BestCompression)
	fw.Write(m.data)
	fw.Close()
	crc, size := crc32.ChecksumIEEE(m.data), uint32(len(m.data))
	if m.badCRC {
		crc++
	}
	if m.badSize {
		size++
	}
	b.Write(binary.LittleEndian.AppendUint32(nil, crc))
	b.Write(binary.LittleEndian.AppendUint32(nil, size))
	return b.Bytes()
}

func cat(parts ...[]byte) []byte { return bytes.Join(parts, nil) }

// gzipCase is a gzip file and what Python 3.11's gzip.open(path).read()
// gives for it: the data, or an error (with the compress/gzip sentinel
// this package wraps).
type gzipCase struct {
	name string
	in   []byte
	want string
	err  error
}

func gzipCases() []gzipCase {
	a := []byte(`{"process_exec":{}}` + "\n")
	b := []byte(strings.Repeat("second member\n", 100))
	ma, mb := gzMember{data: a}.bytes(), gzMember{data: b}.bytes()
	zeros := make([]byte, 4096)
	return []gzipCase{
		{"one member", ma, string(a), nil},
		{"two members", cat(ma, mb), string(a) + string(b), nil},
		{"zero padding", cat(ma, zeros), string(a), nil},
		{"one zero byte", cat(ma, []byte{0}), string(a), nil},
		{"zero padding between members", cat(ma, zeros, mb, zeros[:3]), string(a) + string(b), nil},
		{"empty file", nil, "", nil},
		{"empty member", gzMember{}.bytes(), "", nil},
		{"header CRC not checked", gzMember{data: a, hcrc: true}.bytes(), string(a), nil},
		{"long name", gzMember{data: a, name: bytes.Repeat([]byte("n"), 5000), comment: []byte("c"), extra: []byte("xx")}.bytes(), string(a), nil},
		{"garbage after padding", cat(ma, zeros, []byte("x")), "", gzip.ErrHeader},
		{"half a magic", cat(ma, []byte{0x1f}), "", gzip.ErrHeader},
		{"only zeros", zeros, "", gzip.ErrHeader},
		{"not gzip", []byte("README\n"), "", gzip.ErrHeader},
		{"unknown method", gzMember{data: a, method: 7}.bytes(), "", gzip.ErrHeader},
		{"truncated data", mb[:len(mb)/2], "", io.ErrUnexpectedEOF},
		{"truncated trailer", ma[:len(ma)-3], "", io.ErrUnexpectedEOF},
		{"truncated header", ma[:5], "", io.ErrUnexpectedEOF},
		{"name without end", cat(ma[:3], []byte{gzFlagName, 0, 0, 0, 0, 0, 255}, []byte("name")), "", io.ErrUnexpectedEOF},
		{"bad CRC", gzMember{data: a, badCRC: true}.bytes(), "", gzip.ErrChecksum},
		{"bad length", gzMember{data: a, badSize: true}.bytes(), "", gzip.ErrChecksum},
		{"bad second member", cat(ma, gzMember{data: b, badCRC: true}.bytes()), "", gzip.ErrChecksum},
	}
}

func TestReaderAsPython(t *testing.T) {
	for _, c := range gzipCases() {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = bytes.NewReader(c.in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			z := NewReader(r)
			got, err := io.ReadAll(z)
			require.NoError(t, z.Close())
			if c.err != nil {
				require.ErrorIs(t, err, c.err, c.name)
				require.ErrorContains(t, err, "gzip member ", c.name)
				continue
			}
			require.NoError(t, err, c.name)
			require.Equal(t, c.want, string(got), c.name)
		}
	}
}

// TestGzipCasesMatchPython runs Python 3.11's gzip module (the reference
// is Python 3.11) over the cases, when python3 is that version, so the
// expectations above are checked against it rather than against a reading
// of its source.
func TestGzipCasesMatchPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not found")
	}
	out, err := exec.Command(py, "-c", "import sys; print('%d.%d' % sys.version_info[:2])").Output()
	if err != nil || strings.TrimSpace(string(out)) != "3.11" {
		t.Skipf("python3 is not 3.11 (%s)", strings.TrimSpace(string(out)))
	}
	dir := t.TempDir()
	cases := gzipCases()
	var paths []string
	for i, c := range cases {
		p := filepath.Join(dir, fmt.Sprintf("%02d.gz", i))
		require.NoError(t, os.WriteFile(p, c.in, 0o644))
		paths = append(paths, p)
	}
	const script = `
import gzip, hashlib, sys
for p in sys.argv[1:]:
    try:
        with gzip.open(p, "rb") as f:
            print("ok", hashlib.sha256(f.read()).hexdigest())
    except (OSError, EOFError) as e:
        print("error", type(e).__name__)
`
	out, err = exec.Command(py, append([]string{"-c", script}, paths...)...).Output()
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	require.Len(t, lines, len(cases))
	for i, c := range cases {
		if c.err != nil {
			require.True(t, strings.HasPrefix(lines[i], "error "), "%s: Python gives %s", c.name, lines[i])
			continue
		}
		sum := sha256.Sum256([]byte(c.want))
		require.Equal(t, "ok "+hex.EncodeToString(sum[:]), lines[i], c.name)
	}
}

// FuzzReader: the reader never panics, and accepts everything compress/gzip
// accepts with the same data (it accepts more: padding, empty files,
// unchecked header CRCs, long names).
func FuzzReader(f *testing.F) {
	for _, c := range gzipCases() {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		const limit = 1 << 20
		got, err := io.ReadAll(io.LimitReader(NewReader(bytes.NewReader(in)), limit))
		zr, zerr := gzip.NewReader(bytes.NewReader(in))
		if zerr != nil {
			return
		}
		want, zerr := io.ReadAll(io.LimitReader(zr, limit))
		if zerr != nil {
			return
		}
		if err != nil {
			t.Fatalf("compress/gzip reads it, this reader fails: %v", err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("data differ: %d bytes, compress/gzip %d", len(got), len(want))
		}
	})
}
