package anonymize

import (
	"encoding/binary"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
	"unsafe"

	"golang.org/x/text/cases"
	"golang.org/x/text/transform"
	"golang.org/x/text/unicode/norm"
)

// The matching form.
//
// Every comparison the package makes between a released string and a
// listed value (the sweep, the cwd rules, the forbidden values, the alias
// originals, and the policy patterns for non-ASCII text) is made on the
// strings' matching form, their "key":
//
//  1. NFKC: decomposed accents compose (ju\u0308rgen is jürgen),
//     compatibility characters become their plain form (fullwidth
//     letters and digits, ligatures, long ſ, superscripts, the
//     non-breaking hyphen U+2011).
//  2. The lookalike table below: Latin letters without their dot,
//     Cyrillic and Greek letters drawn like Latin ones, hyphens, dashes,
//     slashes and colons that look like their ASCII forms, and invisible
//     characters (removed).
//  3. Full case folding (Unicode CaseFolding, golang.org/x/text/cases):
//     ß and ẞ fold to ss, Σ σ ς to σ.
//
// ASCII text skips steps 1 and 2 (they leave ASCII alone) and folds by
// lower-casing, without allocating when it holds no upper case letter.

// lookalikes maps characters that are drawn like an ASCII letter or
// punctuation mark to that character, and invisible characters to "".
// It is applied after NFKC, so it lists only characters NFKC leaves alone
// (a test checks that), and before case folding, so it lists capital and
// small forms: the capital Greek Ρ imitates P while its small ρ imitates
// p, and the small Greek ν imitates v while its capital Ν imitates N.
//
// It is kept small on purpose. Unicode's full confusables data (UTS #39)
// also maps rn to m, 0 to O, 1 to l and thousands of rare characters,
// which would make innocent text match listed names; this table holds the
// substitutions a person actually types or pastes to dodge a filter: the
// Turkish dotless ı, Cyrillic and Greek letters whose glyphs equal Latin
// ones in common fonts, the Unicode hyphens and dashes, and zero-width
// characters. Letters only similar (Cyrillic к, м, т; Greek κ, τ) are not
// in it.
var lookalikes = map[rune]string{
	// Latin letters without (or with an extra) dot. İ is mapped before case
	// folding turns it into i and a combining dot.
	'\u0131': "i", // ı LATIN SMALL LETTER DOTLESS I
	'\u0130': "I", // İ LATIN CAPITAL LETTER I WITH DOT ABOVE
	'\u0237': "j", // ȷ LATIN SMALL LETTER DOTLESS J
	'\u0251': "a", // ɑ LATIN SMALL LETTER ALPHA
	'\u0261': "g", // ɡ LATIN SMALL LETTER SCRIPT G

	// Cyrillic.
	'\u0410': "A", '\u0430': "a",
	'\u0412': "B",
	'\u0415': "E", '\u0435': "e",
	'\u041a': "K",
	'\u041c': "M",
	'\u041d': "H",
	'\u041e': "O", '\u043e': "o",
	'\u0420': "P", '\u0440': "p",
	'\u0421': "C", '\u0441': "c",
	'\u0422': "T",
	'\u0423': "Y", '\u0443': "y",
	'\u0425': "X", '\u0445': "x",
	'\u0405': "S", '\u0455': "s",
	'\u0406': "I", '\u0456': "i",
	'\u0408': "J", '\u0458': "j",
	'\u04ae': "Y", '\u04af': "y",
	'\u04c0': "I", '\u04cf': "l",
	'\u04bb': "h",
	'\u0501': "d",
	'\u051b': "q",
	'\u051d': "w",

	// Greek capitals drawn like Latin capitals, and small letters drawn
	// like Latin small letters.
	'\u0391': "A", '\u0392': "B", '\u0395': "E", '\u0396': "Z", '\u0397': "H",
	'\u0399': "I", '\u039a': "K", '\u039c': "M", '\u039d': "N", '\u039f': "O",
	'\u03a1': "P", '\u03a4': "T", '\u03a5': "Y", '\u03a7': "X",
	'\u03b1': "a", '\u03b9': "i", '\u03bd': "v", '\u03bf': "o", '\u03c1': "p",
	'\u03c5': "u",

	// Hyphens, dashes and the minus sign (U+2011, U+FE58, U+FE63 and
	// U+FF0D reach U+2010, U+2014 or "-" through NFKC).
	'\u2010': "-", '\u2012': "-", '\u2013': "-", '\u2014': "-", '\u2015': "-",
	'\u2043': "-", '\u2212': "-",
	// Slashes (path separators) and colons (address separators).
	'\u2044': "/", '\u2215': "/", '\u29f8': "/",
	'\u2236': ":", '\ua789': ":", '\u02d0': ":",
}

// invisible lists the characters that render as nothing (Unicode's
// default-ignorable code points: soft hyphen, zero-width spaces and
// joiners, direction marks and overrides, variation selectors, fillers,
// tags). They are removed: ry\u200bpow is shown as rypow.
var invisible = &unicode.RangeTable{
	R16: []unicode.Range16{
		{Lo: 0x00ad, Hi: 0x00ad, Stride: 1},
		{Lo: 0x034f, Hi: 0x034f, Stride: 1},
		{Lo: 0x061c, Hi: 0x061c, Stride: 1},
		{Lo: 0x115f, Hi: 0x1160, Stride: 1},
		{Lo: 0x17b4, Hi: 0x17b5, Stride: 1},
		{Lo: 0x180b, Hi: 0x180f, Stride: 1},
		{Lo: 0x200b, Hi: 0x200f, Stride: 1},
		{Lo: 0x202a, Hi: 0x202e, Stride: 1},
		{Lo: 0x2060, Hi: 0x206f, Stride: 1},
		{Lo: 0x3164, Hi: 0x3164, Stride: 1},
		{Lo: 0xfe00, Hi: 0xfe0f, Stride: 1},
		{Lo: 0xfeff, Hi: 0xfeff, Stride: 1},
		{Lo: 0xffa0, Hi: 0xffa0, Stride: 1},
		{Lo: 0xfff0, Hi: 0xfff8, Stride: 1},
	},
	R32: []unicode.Range32{
		{Lo: 0x1bca0, Hi: 0x1bca3, Stride: 1},
		{Lo: 0x1d173, Hi: 0x1d17a, Stride: 1},
		{Lo: 0xe0000, Hi: 0xe0fff, Stride: 1},
	},
}

// folder computes matching forms. It keeps its buffers between calls and
// is not safe for concurrent use; Pipeline and Verifier own one each.
type folder struct {
	// key is the matching form of the last text passed to reset.
	key []byte
	// ascii is true when that text was ASCII: key[i] then stands for
	// text[i]. Otherwise start[i] and end[i] delimit the bytes of the
	// text whose normalization produced key[i] (a whole normalization
	// segment: a character with its combining marks, or a ligature).
	ascii      bool
	start, end []int32
	n          int    // length of the text
	own        []byte // the key's buffer when it does not alias the text
	seg        []byte
	fold       cases.Caser
	iter       norm.Iter
	pct        *percentView // made by the first text with an escape
}

// percentView holds the percent-decoded view of a text (decodePercent):
// two buffers the rounds use in turn, w the last one written, and for
// each decoded byte the bytes of the text that produced it.
type percentView struct {
	dec        [2][]byte
	start, end [2][]int32
	w          int
}

// foldCaser is shared: a folding Caser is stateless and safe for
// concurrent use, and making one costs more than a short key.
var foldCaser = cases.Fold()

func newFolder() *folder { return &folder{fold: foldCaser} }

// isASCII reports whether s holds only ASCII bytes.
func isASCII(s string) bool {
	ascii, _ := asciiUpper(s)
	return ascii
}

const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// asciiUpper reports whether s is ASCII and, if it is, whether it holds
// an upper-case letter, eight bytes at a time: every released string
// passes here.
func asciiUpper(s string) (ascii, upper bool) {
	var hi, up uint64
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		hi |= w
		// For bytes below 0x80, adding 0x80-'A' sets the high bit of
		// those >= 'A', adding 0x80-('Z'+1) of those > 'Z'; no carry
		// crosses a byte.
		up |= (w + (0x80-'A')*ones) &^ (w + (0x80-'Z'-1)*ones)
	}
	if hi&highs != 0 {
		return false, false
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c >= utf8.RuneSelf {
			return false, false
		}
		if c >= 'A' && c <= 'Z' {
			up |= highs
		}
	}
	return true, up&highs != 0
}

// reset computes the matching form of s and returns it. The result is
// valid until the next call; it may share s's memory (read only).
func (f *folder) reset(s string) []byte {
	f.n = len(s)
	if ascii, upper := asciiUpper(s); ascii {
		f.ascii = true
		if !upper {
			f.key = nil
			if len(s) > 0 {
				f.key = unsafe.Slice(unsafe.StringData(s), len(s))
			}
			return f.key
		}
		f.key = lowerASCII(slices.Grow(f.keyBuf(), len(s))[:len(s)], s)
		f.own = f.key
		return f.key
	}
	f.ascii = false
	f.key = f.keyBuf()
	f.start, f.end = f.start[:0], f.end[:0]
	it := &f.iter
	it.InitString(norm.NFKC, s)
	pending := 0 // key bytes whose end is not known yet
	for !it.Done() {
		a := it.Pos()
		seg := it.Next()
		f.seg = f.seg[:0]
		for _, r := range string(seg) {
			if rep, ok := lookalikes[r]; ok {
				f.seg = append(f.seg, rep...)
			} else if !unicode.Is(invisible, r) {
				f.seg = utf8.AppendRune(f.seg, r)
			}
		}
		k := len(f.key)
		f.appendFold(f.seg)
		for range len(f.key) - k {
			f.start = append(f.start, int32(a))
			f.end = append(f.end, 0)
		}
		// A segment may come in several parts that do not advance the
		// position (the expansion of a ligature); they end together.
		if b := it.Pos(); b > a {
			for ; pending < len(f.end); pending++ {
				f.end[pending] = int32(b)
			}
		}
	}
	for ; pending < len(f.end); pending++ {
		f.end[pending] = int32(len(s))
	}
	return f.key
}

// lowerASCII writes the lower-cased ASCII text s into dst (as long as s),
// eight bytes at a time.
func lowerASCII(dst []byte, s string) []byte {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		w := uint64(s[i]) | uint64(s[i+1])<<8 | uint64(s[i+2])<<16 | uint64(s[i+3])<<24 |
			uint64(s[i+4])<<32 | uint64(s[i+5])<<40 | uint64(s[i+6])<<48 | uint64(s[i+7])<<56
		w |= ((w + (0x80-'A')*ones) &^ (w + (0x80-'Z'-1)*ones) & highs) >> 2 // 0x80 >> 2 is 'a'-'A'
		binary.LittleEndian.PutUint64(dst[i:], w)
	}
	for ; i < len(s); i++ {
		c := s[i]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst[i] = c
	}
	return dst
}

// keyBuf returns the owned key buffer, emptied: the key of an ASCII
// text without upper case aliases the text and is never written to.
func (f *folder) keyBuf() []byte { return f.own[:0] }

// appendFold appends the case folding of src to the key.
func (f *folder) appendFold(src []byte) {
	// Most segments are one ASCII byte (text with a few non-ASCII
	// characters).
	if len(src) == 1 && src[0] < utf8.RuneSelf {
		c := src[0]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		f.key = append(f.key, c)
		f.own = f.key
		return
	}
	f.fold.Reset()
	for len(src) > 0 {
		f.key = slices.Grow(f.key, 2*len(src)+8)
		nDst, nSrc, err := f.fold.Transform(f.key[len(f.key):cap(f.key)], src, true)
		f.key = f.key[:len(f.key)+nDst]
		src = src[nSrc:]
		if err != transform.ErrShortDst {
			break // nil, or invalid input the caser passed through
		}
	}
	f.own = f.key
}

// span returns the bytes of the text that produced key[i:j].
func (f *folder) span(i, j int) (int, int) {
	if f.ascii {
		return i, j
	}
	if i >= len(f.start) {
		return f.n, f.n
	}
	if j <= i {
		return int(f.start[i]), int(f.start[i])
	}
	return int(f.start[i]), int(f.end[j-1])
}

// keyBytes returns the matching form of b. Bytes that are not UTF-8 (the
// decodings of base64 runs mostly are) only have their ASCII letters
// lower-cased: normalization would turn each invalid byte into U+FFFD.
func (f *folder) keyBytes(b []byte) []byte {
	s := unsafe.String(unsafe.SliceData(b), len(b))
	if isASCII(s) || utf8.Valid(b) {
		return f.reset(s)
	}
	f.ascii, f.n = true, len(b)
	f.key = slices.Grow(f.keyBuf(), len(b))[:len(b)]
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		f.key[i] = c
	}
	f.own = f.key
	return f.key
}

// matchKey returns the matching form of s as a string.
func matchKey(s string) string {
	return string(newFolder().reset(s))
}

// toNFC returns s in Unicode normalization form C: released strings are
// composed, whatever the input was.
func toNFC(s string) string {
	if isASCII(s) || norm.NFC.IsNormalString(s) {
		return s
	}
	return norm.NFC.String(s)
}

// Percent-encoding.
//
// A name also hides percent-encoded: sigr%C3%BCn, %73igrun, a MAC as
// de%3Aad%3Abe%3Aef%3A00%3A01, in URLs, in file and directory names a
// browser or a download tool wrote, twice encoded (%2573) where an
// encoded URL was encoded again. The matching therefore looks at a text
// holding a valid escape (% and two hex digits, either case) twice: as it
// is, and percent-decoded (the decoded view, resetDecoded). Both views
// are needed: decoding can hide a plain name as well as reveal an encoded
// one (50%deadbeef decodes to 50, the byte 0xDE and adbeef). A '%' that
// starts no valid escape (%ZZ, a trailing %4) is kept as it is, and a
// text without '%' has no decoded view, at the cost of one IndexByte.
//
// '+' is not decoded to a space (form encoding). In a path, an argument
// or a basename '+' is mostly literal (g++, c++filt, a base64 run, whose
// spellings of listed values the matchers look for with their '+'), and
// reading it as a space would break those matches in every text with an
// escape, to reveal only names that hold a space, which host, user and
// project names do not.

// maxPercentRounds bounds repeated decoding: three rounds undo an escape
// encoded three times (%252573 is s), and a text cannot make the scan
// loop.
const maxPercentRounds = 3

// unhex returns the value of the hex digit c.
func unhex(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	}
	return 0, false
}

// escapeAt returns the byte the escape at s[i:] stands for, if s[i:]
// starts with one (% and two hex digits).
func escapeAt(s string, i int) (byte, bool) {
	if i+2 >= len(s) || s[i] != '%' {
		return 0, false
	}
	hi, ok1 := unhex(s[i+1])
	lo, ok2 := unhex(s[i+2])
	return hi<<4 | lo, ok1 && ok2
}

// hasEscape reports whether s holds a valid escape.
func hasEscape(s string) bool {
	for i := strings.IndexByte(s, '%'); i >= 0; {
		if _, ok := escapeAt(s, i); ok {
			return true
		}
		j := strings.IndexByte(s[i+1:], '%')
		if j < 0 {
			return false
		}
		i += 1 + j
	}
	return false
}

// decodePercent returns the percent-decoded form of s (up to
// maxPercentRounds rounds, each decoding every valid escape of the
// previous one) and whether it differs from s. With w = f.pct.w,
// f.pct.start[w][k] and f.pct.end[w][k] then delimit the bytes of s that
// produced byte k of the result. The result is valid until the next call.
func (f *folder) decodePercent(s string) (string, bool) {
	if !hasEscape(s) {
		return s, false
	}
	if f.pct == nil {
		f.pct = &percentView{}
	}
	pv := f.pct
	src := s
	for round := range maxPercentRounds {
		if round > 0 && !hasEscape(src) {
			break
		}
		w := round & 1
		dst, ps, pe := pv.dec[w][:0], pv.start[w][:0], pv.end[w][:0]
		prevS, prevE := pv.start[w^1], pv.end[w^1]
		for i := 0; i < len(src); {
			c, e := src[i], i+1
			if b, ok := escapeAt(src, i); ok {
				c, e = b, i+3
			}
			dst = append(dst, c)
			if round == 0 {
				ps, pe = append(ps, int32(i)), append(pe, int32(e))
			} else {
				ps, pe = append(ps, prevS[i]), append(pe, prevE[e-1])
			}
			i = e
		}
		pv.dec[w], pv.start[w], pv.end[w] = dst, ps, pe
		pv.w = w
		src = unsafe.String(unsafe.SliceData(dst), len(dst))
	}
	return src, true
}

// resetDecoded computes the matching form of the percent-decoded view of
// s, as reset does for s itself, and returns it with the decoded text; ok
// is false, and nothing is computed, when s holds no valid escape. span
// then maps the key to bytes of s. The results are valid until the next
// call.
func (f *folder) resetDecoded(s string) (key []byte, decoded string, ok bool) {
	d, ok := f.decodePercent(s)
	if !ok {
		return nil, "", false
	}
	ps, pe := f.pct.start[f.pct.w], f.pct.end[f.pct.w]
	key = f.reset(d)
	if f.ascii {
		f.start = append(f.start[:0], ps...)
		f.end = append(f.end[:0], pe...)
	} else {
		for i, a := range f.start {
			if int(a) < len(ps) {
				f.start[i] = ps[a]
			} else {
				f.start[i] = int32(len(s))
			}
			if e := f.end[i]; e > 0 {
				f.end[i] = pe[e-1]
			}
		}
	}
	f.ascii, f.n = false, len(s)
	return key, d, true
}

// view returns the matching form of s (decoded false) or of its decoded
// view (decoded true; ok is false when s has none).
func (f *folder) view(s string, decoded bool) (key []byte, ok bool) {
	if !decoded {
		return f.reset(s), true
	}
	key, _, ok = f.resetDecoded(s)
	return key, ok
}

// appendKeys appends to dst the matching forms of a value a matcher
// looks for: its own and, when it holds a valid escape, its decoded
// view's (a path prefix or a basename that was written percent-encoded is
// found however a released text spells it).
func (f *folder) appendKeys(dst []string, s string) []string {
	dst = append(dst, string(f.reset(s)))
	if strings.IndexByte(s, '%') >= 0 {
		if k, _, ok := f.resetDecoded(s); ok && string(k) != dst[len(dst)-1] {
			dst = append(dst, string(k))
		}
	}
	return dst
}
