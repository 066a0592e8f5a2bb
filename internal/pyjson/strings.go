package pyjson

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// String flags returned by scanString.
const (
	strEscape   = 1 << iota // contains a backslash escape
	strNonPlain             // contains DEL or non-ASCII characters
)

// plain[c] is true for the bytes that json.dumps(ensure_ascii=True) writes
// unchanged inside a string: printable ASCII except '"' and '\\'.
var plain = func() (t [256]bool) {
	for c := 0x20; c < 0x7f; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// hexVal maps a byte to its hexadecimal value, or -1.
var hexVal = func() (t [256]int8) {
	for i := range t {
		t[i] = -1
	}
	for c := '0'; c <= '9'; c++ {
		t[c] = int8(c - '0')
	}
	for c := 'a'; c <= 'f'; c++ {
		t[c] = int8(c - 'a' + 10)
		t[c-'a'+'A'] = int8(c - 'a' + 10)
	}
	return t
}()

// hex4 decodes four hexadecimal digits at b[0:4]; ok is false if b is
// shorter or a digit is invalid.
func hex4(b []byte) (r rune, ok bool) {
	if len(b) < 4 {
		return 0, false
	}
	a, c, d, e := hexVal[b[0]], hexVal[b[1]], hexVal[b[2]], hexVal[b[3]]
	if a|c|d|e < 0 {
		return 0, false
	}
	return rune(a)<<12 | rune(c)<<8 | rune(d)<<4 | rune(e), true
}

const (
	lsb = 0x0101010101010101
	msb = 0x8080808080808080
)

// specialBytes returns a mask whose lowest set bit is the high bit of the
// first byte of x (little-endian) that is not plain: below 0x20, '"',
// '\\', or 0x7f and above. Bits above it may be spurious; it is 0 iff all
// eight bytes are plain.
func specialBytes(x uint64) uint64 {
	ctl := (x - lsb*0x20) &^ x
	q := x ^ (lsb * '"')
	q = (q - lsb) &^ q
	bs := x ^ (lsb * '\\')
	bs = (bs - lsb) &^ bs
	hi := (x + lsb) | x
	return (ctl | q | bs | hi) & msb
}

// scanString recognises the string whose opening quote is at data[q] with
// the rules of CPython's scanstring_unicode (strict=True). It returns the
// index after the closing quote and strEscape/strNonPlain flags.
func scanString(data []byte, q int) (int, uint8, *SyntaxError) {
	var flags uint8
	i := q + 1
	n := len(data)
	for {
		// Skip plain bytes, 8 at a time while possible.
		for i+8 <= n {
			if m := specialBytes(binary.LittleEndian.Uint64(data[i:])); m != 0 {
				i += bits.TrailingZeros64(m) >> 3
				goto special
			}
			i += 8
		}
		for i < n && plain[data[i]] {
			i++
		}
	special:
		if i >= n {
			return i, flags, newErr(q, msgUnterminated)
		}
		c := data[i]
		switch {
		case c == '"':
			return i + 1, flags, nil
		case c == '\\':
			flags |= strEscape
			i++
			if i >= n {
				return i, flags, newErr(q, msgUnterminated)
			}
			switch data[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				// CPython: the four digits must be followed by at least
				// one more character, else "Invalid \uXXXX escape".
				if i+5 >= n {
					return i, flags, newErr(i, msgUEscape)
				}
				if _, ok := hex4(data[i+1:]); !ok {
					return i, flags, newErr(i, msgUEscape)
				}
				i += 5
			default:
				return i, flags, newErr(i-1, msgEscape)
			}
		case c < 0x20:
			return i, flags, newErr(i, msgControl)
		case c == 0x7f:
			flags |= strNonPlain
			i++
		default: // c >= 0x80
			r, size := utf8.DecodeRune(data[i:])
			if r == utf8.RuneError && size == 1 {
				return i, flags, newErr(i, msgUTF8)
			}
			flags |= strNonPlain
			i += size
		}
	}
}

// invalidUTF8 returns the offset of the first byte of b that starts an
// invalid UTF-8 sequence, or -1.
func invalidUTF8(b []byte) int {
	if utf8.Valid(b) {
		return -1
	}
	for i := 0; i < len(b); {
		if b[i] < utf8.RuneSelf {
			i++
			continue
		}
		r, size := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && size == 1 {
			return i
		}
		i += size
	}
	return -1
}

const lowerHex = "0123456789abcdef"

// appendU4 appends \uXXXX with lowercase hex digits.
func appendU4(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', lowerHex[r>>12&0xf], lowerHex[r>>8&0xf],
		lowerHex[r>>4&0xf], lowerHex[r&0xf])
}

// appendPyRune appends code point r the way json.dumps(ensure_ascii=True)
// writes it inside a string (CPython's ascii_escape_unichar). Surrogate
// code points (from \u escapes) come out as \udXXX.
func appendPyRune(dst []byte, r rune) []byte {
	switch r {
	case '"':
		return append(dst, '\\', '"')
	case '\\':
		return append(dst, '\\', '\\')
	case '\b':
		return append(dst, '\\', 'b')
	case '\f':
		return append(dst, '\\', 'f')
	case '\n':
		return append(dst, '\\', 'n')
	case '\r':
		return append(dst, '\\', 'r')
	case '\t':
		return append(dst, '\\', 't')
	}
	if r >= 0x20 && r < 0x7f {
		return append(dst, byte(r))
	}
	if r >= 0x10000 {
		r -= 0x10000
		dst = appendU4(dst, 0xd800+(r>>10&0x3ff))
		return appendU4(dst, 0xdc00+(r&0x3ff))
	}
	return appendU4(dst, r)
}

// appendPyString appends the JSON string whose raw content (between the
// quotes, already checked by scanString) is s, re-escaped like
// json.dumps(ensure_ascii=True).
//
// A \uXXXX escape decoding to a surrogate can be written back on its own:
// CPython joins a high surrogate escape with an immediately following low
// surrogate escape into one astral code point, which the encoder splits
// into the very same two escapes again, and leaves any other surrogate
// alone, which the encoder writes as the same escape.
func appendPyString(dst, s []byte) []byte {
	dst = append(dst, '"')
	for i := 0; i < len(s); {
		j := i
		for j < len(s) && plain[s[j]] {
			j++
		}
		dst = append(dst, s[i:j]...)
		if j >= len(s) {
			break
		}
		c := s[j]
		switch {
		case c == '\\' && j+1 < len(s):
			e := s[j+1]
			i = j + 2
			switch e {
			case 'u':
				r, _ := hex4(s[j+2:])
				dst = appendPyRune(dst, r)
				i = j + 6
			case 'b':
				dst = append(dst, '\\', 'b')
			case 'f':
				dst = append(dst, '\\', 'f')
			case 'n':
				dst = append(dst, '\\', 'n')
			case 'r':
				dst = append(dst, '\\', 'r')
			case 't':
				dst = append(dst, '\\', 't')
			default: // '"', '\\', '/'
				dst = appendPyRune(dst, rune(e))
			}
		case c < utf8.RuneSelf:
			dst = appendPyRune(dst, rune(c))
			i = j + 1
		default:
			r, size := utf8.DecodeRune(s[j:])
			dst = appendPyRune(dst, r)
			i = j + size
		}
	}
	return append(dst, '"')
}

// nextChar decodes the Python code point at s[i] of a string's raw content
// (already checked by scanString), joining a high-surrogate escape with a
// directly following low-surrogate escape the way CPython does.
func nextChar(s []byte, i int) (rune, int) {
	c := s[i]
	if c >= utf8.RuneSelf {
		r, size := utf8.DecodeRune(s[i:])
		return r, i + size
	}
	if c != '\\' || i+1 >= len(s) {
		return rune(c), i + 1
	}
	switch e := s[i+1]; e {
	case 'u':
		r, _ := hex4(s[i+2:])
		if r >= 0xd800 && r < 0xdc00 && i+12 <= len(s) && s[i+6] == '\\' && s[i+7] == 'u' {
			if r2, ok := hex4(s[i+8:]); ok && r2 >= 0xdc00 && r2 < 0xe000 {
				return 0x10000 + (r-0xd800)<<10 + (r2 - 0xdc00), i + 12
			}
		}
		return r, i + 6
	case 'b':
		return '\b', i + 2
	case 'f':
		return '\f', i + 2
	case 'n':
		return '\n', i + 2
	case 'r':
		return '\r', i + 2
	case 't':
		return '\t', i + 2
	default:
		return rune(e), i + 2
	}
}

// compareKeys orders two raw string contents by the Python strings they
// denote (code point by code point); 0 means the keys are equal. escA and
// escB tell whether the raw contents contain escapes; if neither does, the
// byte order of UTF-8 is the code point order.
func compareKeys(a, b []byte, escA, escB bool) int {
	if !escA && !escB {
		return bytes.Compare(a, b)
	}
	i, j := 0, 0
	for i < len(a) && j < len(b) {
		var ra, rb rune
		ra, i = nextChar(a, i)
		rb, j = nextChar(b, j)
		if ra != rb {
			if ra < rb {
				return -1
			}
			return 1
		}
	}
	switch {
	case i < len(a):
		return 1
	case j < len(b):
		return -1
	}
	return 0
}
