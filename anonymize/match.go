package anonymize

import (
	"encoding/base64"
	"slices"
	"strings"
)

// matchMode says where a value may occur for a matcher to report it.
type matchMode uint8

const (
	// matchSubstring: anywhere.
	matchSubstring matchMode = iota
	// matchWord: delimited by non-word bytes (or the ends of the text)
	// on both sides; see isWord.
	matchWord
	// matchPath: a path prefix, anywhere, but not continued by a byte of
	// a file name ("/home/_user_/work" is not in
	// "/home/_user_/workspace/", but is in "/home/_user_/work/x/").
	matchPath
)

// matcher finds any of a set of values in the matching form of a text
// (see folder).
//
// The post-write scan runs it over every distinct released string and
// every base64 decoding of its substrings, against up to a few hundred
// values (policy identifiers, sweep sources, path prefixes, originals of
// renamed basenames, base64 spellings). A regexp alternation or a loop of
// bytes.Contains costs O(values × length) per string; instead every value
// is indexed by its first two bytes, a 64 Ki-bit filter rejects most text
// positions with one load, and only the values sharing the position's two
// bytes are compared. Values are at least two bytes long (see
// MinForbiddenLength and the alias scan length); shorter ones are not
// added.
type matcher struct {
	mode   matchMode
	pats   []string // matching forms, distinct
	orig   []string // as given, for reports
	enc    []bool   // the value is the base64 spelling of orig
	filter [1024]uint64
	byKey  map[uint16][]int32
	seen   map[string]bool
}

func newMatcher(mode matchMode) *matcher {
	return &matcher{mode: mode, byKey: map[uint16][]int32{}, seen: map[string]bool{}}
}

// add indexes a value by its matching form key; orig is what a report
// names, enc marks a base64 spelling of orig.
func (m *matcher) add(key, orig string, enc bool) {
	if len(key) < 2 || m.seen[key] {
		return
	}
	m.seen[key] = true
	k := uint16(key[0])<<8 | uint16(key[1])
	m.filter[k>>6] |= 1 << (k & 63)
	m.byKey[k] = append(m.byKey[k], int32(len(m.pats)))
	m.pats = append(m.pats, key)
	m.orig = append(m.orig, orig)
	m.enc = append(m.enc, enc)
}

// isWord reports whether b can be part of a word: ASCII letters and
// digits, '_' (so that custom_tool_001 does not contain the word "tool")
// and every non-ASCII byte (parts of letters).
func isWord(b byte) bool {
	return b >= 0x80 || b == '_' || (b >= '0' && b <= '9') || (b|0x20 >= 'a' && b|0x20 <= 'z')
}

// continuesName reports whether b, following a path prefix, would make it
// a longer file name.
func continuesName(b byte) bool { return isWord(b) || b == '-' || b == '.' }

// find returns the first value found in key (a matching form): the value
// as given, and whether the match was its base64 spelling.
func (m *matcher) find(key []byte) (orig string, enc, ok bool) {
	if len(m.pats) == 0 {
		return "", false, false
	}
	for i := 0; i+1 < len(key); i++ {
		k := uint16(key[i])<<8 | uint16(key[i+1])
		if m.filter[k>>6]&(1<<(k&63)) == 0 {
			continue
		}
		for _, pi := range m.byKey[k] {
			p := m.pats[pi]
			if len(key)-i < len(p) || string(key[i:i+len(p)]) != p {
				continue
			}
			e := i + len(p)
			switch m.mode {
			case matchWord:
				if (i > 0 && isWord(key[i-1])) || (e < len(key) && isWord(key[e])) {
					continue
				}
			case matchPath:
				if e < len(key) && continuesName(key[e]) {
					continue
				}
			}
			return m.orig[pi], m.enc[pi], true
		}
	}
	return "", false, false
}

// base64Spellings returns the matching forms of the parts of the base64
// encodings of v that do not depend on the bytes around it: for each of
// the three alignments of v in the encoded data, the characters whose six
// bits all come from v. Both alphabets, and v as written, lower-cased and
// upper-cased. A text holding one holds v base64-encoded, in whatever
// case its letters were since (a cwd is lower-cased before release), so
// the scan finds it where decoding, which needs the original case, finds
// nothing. Spellings shorter than minB64Run are left out.
func base64Spellings(v string) []string {
	var out []string
	for _, variant := range []string{v, strings.ToLower(v), strings.ToUpper(v)} {
		for pad := range 3 {
			data := append(make([]byte, pad, pad+len(variant)), variant...)
			e := base64.RawStdEncoding.EncodeToString(data)
			// Character k holds bits [6k, 6k+6) of data; v's bits are
			// [8·pad, 8·len(data)).
			lead := (8*pad + 5) / 6
			last := (8*len(data) - 6) / 6
			if last+1-lead < minB64Run {
				continue
			}
			core := strings.ToLower(e[lead : last+1])
			url := strings.NewReplacer("+", "-", "/", "_").Replace(core)
			for _, c := range []string{core, url} {
				if !slices.Contains(out, c) {
					out = append(out, c)
				}
			}
		}
	}
	return out
}

// isB64 reports whether c belongs to the standard or the URL-safe base64
// alphabet (padding excluded).
func isB64(c byte) bool {
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '-' || c == '_'
}

// minB64Spelling is the length from which a base64 spelling of a listed
// value is looked for anywhere: six characters hold 36 bits (31 once
// lower-cased), which random text of a corpus does not reproduce by
// chance; shorter ones are looked for as words.
const minB64Spelling = 6

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
