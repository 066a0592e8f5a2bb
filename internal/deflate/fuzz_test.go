package deflate

import "testing"

// FuzzGzipLen checks invariants only (no panic, sane bounds, Sizer reuse is
// stateless); exactness against zlib is covered by TestGolden and
// TestAgainstPython.
func FuzzGzipLen(f *testing.F) {
	f.Add([]byte(""))
	f.Add([]byte("a"))
	f.Add([]byte("npm install --save-dev typescript && npx tsc -p ."))
	var reused Sizer
	f.Fuzz(func(t *testing.T, data []byte) {
		got := GzipLen(data)
		n := len(data)
		// Every block but the last holds 16383 symbols of >= 1 byte, so there
		// are at most n/16383+1 blocks. While a block may still be stored
		// (always, below 32 KiB of input) it costs at most its bytes plus
		// ~5 bytes of header, padding and LEN/NLEN; beyond that a block whose
		// start slid out of the window can only be Huffman-coded, at most
		// 9 bits per byte. Add the 18-byte gzip framing and final padding.
		blocks := n/symLimit + 1
		upper := n + 6*blocks + gzipOverhead + 1
		if n > maxDist {
			upper += n / 8
		}
		if got < 20 || got > upper {
			t.Fatalf("GzipLen = %d for %d bytes, want within [20, %d]", got, n, upper)
		}
		if r := RawLen(data); r+gzipOverhead != got {
			t.Fatalf("RawLen+18 = %d, GzipLen = %d", r+gzipOverhead, got)
		}
		if r := reused.GzipLen(data); r != got {
			t.Fatalf("reused Sizer = %d, fresh = %d", r, got)
		}
	})
}
