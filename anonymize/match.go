package anonymize

import (
	"encoding/base64"
	"slices"
	"strings"
)

// matcher finds any of a set of values in a text, case-insensitively.
//
// The post-write scan runs it over every distinct released string and
// every base64 decoding of its substrings, against up to a few hundred
// values (policy identifiers, sweep sources, path prefixes, originals of
// renamed basenames). A regexp alternation or a loop of strings.Contains
// costs O(values × length) per string; instead every value is indexed by
// its first two bytes, a 64 Ki-bit filter rejects most text positions with
// one load, and only the values sharing the position's two bytes are
// compared. Values are at least two bytes long (see MinForbiddenLength and
// the alias scan length).
type matcher struct {
	// word makes a match count only when it is delimited by non-word
	// bytes (or the ends of the text); see isWord.
	word   bool
	pats   []string // lower-cased, distinct
	orig   []string // as given, for reports
	filter [1024]uint64
	byKey  map[uint16][]int32
}

func newMatcher(values []string, word bool) *matcher {
	m := &matcher{word: word, byKey: map[uint16][]int32{}}
	seen := map[string]bool{}
	for _, v := range values {
		l := strings.ToLower(v)
		if len(l) < 2 || seen[l] {
			continue
		}
		seen[l] = true
		k := uint16(l[0])<<8 | uint16(l[1])
		m.filter[k>>6] |= 1 << (k & 63)
		m.byKey[k] = append(m.byKey[k], int32(len(m.pats)))
		m.pats = append(m.pats, l)
		m.orig = append(m.orig, v)
	}
	return m
}

// isWord reports whether b can be part of a word: ASCII letters and
// digits, '_' (so that custom_tool_001 does not contain the word "tool")
// and every non-ASCII byte (parts of letters).
func isWord(b byte) bool {
	return b >= 0x80 || b == '_' || (b >= '0' && b <= '9') || (b|0x20 >= 'a' && b|0x20 <= 'z')
}

// find returns the first value found in lower (already lower-cased).
func (m *matcher) find(lower []byte) (string, bool) {
	if len(m.pats) == 0 {
		return "", false
	}
	for i := 0; i+1 < len(lower); i++ {
		k := uint16(lower[i])<<8 | uint16(lower[i+1])
		if m.filter[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for _, pi := range m.byKey[k] {
			p := m.pats[pi]
			if len(lower)-i < len(p) || string(lower[i:i+len(p)]) != p {
				continue
			}
			if m.word {
				if i > 0 && isWord(lower[i-1]) {
					continue
				}
				if e := i + len(p); e < len(lower) && isWord(lower[e]) {
					continue
				}
			}
			return m.orig[pi], true
		}
	}
	return "", false
}

// lowerInto appends the lower-cased s to dst[:0]. ASCII is folded in
// place; text with other bytes goes through strings.ToLower so that
// Unicode identifiers fold as the policy's values do.
func lowerInto(dst []byte, s []byte) []byte {
	dst = dst[:0]
	for _, c := range s {
		if c >= 0x80 {
			return append(dst[:0], strings.ToLower(string(s))...)
		}
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}

// isB64 reports whether c belongs to the standard or the URL-safe base64
// alphabet (padding excluded).
func isB64(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' || c == '_'
}

// minB64Run is the shortest run of base64 characters worth decoding: four
// characters decode to three bytes, the shortest forbidden value.
const minB64Run = 4

// maxB64Depth bounds nested decoding (base64 inside base64).
const maxB64Depth = 2

// b64Scanner decodes the base64-decodable substrings of a text.
type b64Scanner struct {
	norm [maxB64Depth][]byte
	dec  [maxB64Depth][]byte
}

// each calls fn with the decoding of every maximal run of base64
// characters at least minB64Run long, at each of the four alignments (the
// run may start with characters that precede the encoded data), and
// recursively with the decodings of the runs inside each decoding, up to
// maxB64Depth levels. Both alphabets are accepted, padding or not. It
// stops when fn returns true and reports whether it did.
func (b *b64Scanner) each(text []byte, fn func(decoded []byte) bool) bool {
	return b.walk(text, 0, fn)
}

func (b *b64Scanner) walk(text []byte, depth int, fn func([]byte) bool) bool {
	if depth >= maxB64Depth {
		return false
	}
	for i := 0; i < len(text); {
		if !isB64(text[i]) {
			i++
			continue
		}
		j := i
		for j < len(text) && isB64(text[j]) {
			j++
		}
		run := text[i:j]
		i = j
		if len(run) < minB64Run {
			continue
		}
		for off := 0; off < 4 && len(run)-off >= minB64Run; off++ {
			seg := run[off:]
			if len(seg)%4 == 1 { // one dangling character decodes to nothing
				seg = seg[:len(seg)-1]
			}
			n := b.norm[depth][:0]
			for _, c := range seg {
				switch c {
				case '-':
					c = '+'
				case '_':
					c = '/'
				}
				n = append(n, c)
			}
			b.norm[depth] = n
			d := slices.Grow(b.dec[depth][:0], base64.RawStdEncoding.DecodedLen(len(n)))[:base64.RawStdEncoding.DecodedLen(len(n))]
			k, err := base64.RawStdEncoding.Decode(d, n)
			if err != nil {
				// Non-canonical trailing bits are the only error left
				// for alphabet-clean input; keep what decoded.
				if k == 0 {
					continue
				}
			}
			d = d[:k]
			b.dec[depth] = d
			if fn(d) {
				return true
			}
			if b.walk(d, depth+1, fn) {
				return true
			}
			// walk at depth+1 reuses only deeper buffers, so d is intact.
		}
	}
	return false
}
