package anonymize

import (
	"encoding/base64"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"github.com/stretchr/testify/require"
	"golang.org/x/text/unicode/norm"
)

func TestLookalikeTable(t *testing.T) {
	for r, to := range lookalikes {
		// Reachable: NFKC runs first and must leave the character alone.
		require.Equal(t, string(r), norm.NFKC.String(string(r)), "%U is changed by NFKC before the table sees it", r)
		require.False(t, unicode.Is(invisible, r), "%U", r)
		require.Len(t, to, 1, "%U", r)
		require.Less(t, to[0], byte(utf8.RuneSelf), "%U maps to ASCII", r)
		require.Equal(t, strings.ToLower(to), matchKey(string(r)), "%U", r)
	}
	unicode.Is(invisible, 0) // the table is well formed (RangeTable panics are lazy)
	for _, r := range []rune{0x00ad, 0x200b, 0x200d, 0x2060, 0xfeff, 0xfe0f, 0xe0041} {
		require.True(t, unicode.Is(invisible, r), "%U", r)
		require.Equal(t, "ab", matchKey("a"+string(r)+"b"), "%U", r)
	}
}

func TestMatchKey(t *testing.T) {
	for in, want := range map[string]string{
		"":                               "",
		"/home/RyPow/":                   "/home/rypow/",
		"ju\u0308rgen":                   "jürgen",
		"J\u00dcRGEN":                    "jürgen",
		"\uff52\uff59\uff50\uff4f\uff57": "rypow",
		"\ufb01le":                       "file", // ligature
		"stra\u00dfe":                    "strasse",
		"STRA\u1e9eE":                    "strasse",
		"\u0130stanbul":                  "istanbul",
		"\u0131stanbul":                  "istanbul",
		"\u017fecret":                    "secret",
		"\u0440\u0443\u0440\u043ew":      "pypow", // Cyrillic р у р о
		"\u03a1R\u039f\u03a71":           "prox1", // Greek Ρ Ο Χ
		"a\u2010b\u2011c\u2013d\u2212e":  "a-b-c-d-e",
		"a\uff0fb\u2215c":                "a/b/c",
		"02\u223642":                     "02:42",
		"\uff10\uff12":                   "02",
		"\u03a3\u03c3\u03c2":             "σσσ",
	} {
		require.Equal(t, want, matchKey(in), "%+q", in)
	}
}

// TestFolderSpans: every key byte maps back to the bytes of the text that
// produced it, and an ASCII text without upper case is its own key.
func TestFolderSpans(t *testing.T) {
	f := newFolder()
	s := "/srv/ju\u0308rgen/\ufb01x"
	key := string(f.reset(s))
	require.Equal(t, "/srv/jürgen/fix", key)
	i := strings.Index(key, "ü")
	a, e := f.span(i, i+len("ü"))
	require.Equal(t, "u\u0308", s[a:e])
	i = strings.Index(key, "jürgen")
	a, e = f.span(i, i+len("jürgen"))
	require.Equal(t, "ju\u0308rgen", s[a:e])
	i = strings.Index(key, "i")
	a, e = f.span(i, i+1) // half of a ligature: the whole ligature
	require.Equal(t, "\ufb01", s[a:e])
	a, e = f.span(len(key), len(key))
	require.Equal(t, len(s), a)
	require.Equal(t, len(s), e)

	plain := "/home/_user_/workspace/"
	require.Zero(t, testing.AllocsPerRun(100, func() { f.reset(plain) }))
	require.Zero(t, testing.AllocsPerRun(100, func() { f.reset("/HOME/X/") }), "after the first, the buffer is reused")
}

func FuzzFolder(f *testing.F) {
	for _, s := range []string{"", "abc", "ju\u0308rgen", "\ufb01\ufb01", "\xff\xfe", "A\u0301\u0302", "\u1e9e\u0130"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fo := newFolder()
		key := fo.reset(s)
		if isASCII(s) {
			if string(key) != strings.ToLower(s) {
				t.Fatalf("ASCII key %q of %q", key, s)
			}
		}
		prev := 0
		for i := range key {
			a, e := fo.span(i, i+1)
			if a < prev || a > e || e > len(s) {
				t.Fatalf("span of key byte %d = [%d,%d) of %d, after %d", i, a, e, len(s), prev)
			}
			prev = a
		}
		// The pipeline's string operations cannot fail on it.
		sp := spellingPolicy()
		pol, err := sp.compile()
		if err != nil {
			t.Fatal(err)
		}
		out, _ := pol.sweepString(fo, s)
		_ = pol.rewriteCwd(fo, out, func(string) {})
		if utf8.ValidString(s) && !norm.NFC.IsNormalString(toNFC(s)) {
			t.Fatalf("toNFC(%q) is not NFC", s)
		}
	})
}

// TestBase64Spellings: the spellings of a value are found in its base64
// encoding at every alignment, in either alphabet and in any letter
// case, and in nothing that does not encode it.
func TestBase64Spellings(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for _, v := range []string{"rypow", "prox1", "dendroaspis", "Jürgen", "bob"} {
		m := newMatcher(matchSubstring)
		for _, sp := range base64Spellings(v) {
			m.add(sp, v, true)
		}
		for pad := range 3 {
			for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.URLEncoding} {
				for _, variant := range []string{v, strings.ToLower(v), strings.ToUpper(v)} {
					text := enc.EncodeToString([]byte(strings.Repeat("~", pad) + variant + "!?"))
					mixed := []byte(text)
					for i := range mixed {
						if rng.IntN(2) == 0 {
							mixed[i] = byte(unicode.ToUpper(rune(mixed[i])))
						} else {
							mixed[i] = byte(unicode.ToLower(rune(mixed[i])))
						}
					}
					n := len(variant) + pad
					if (8*n-6)/6+1-(8*pad+5)/6 < minB64Run {
						continue // too short to spell at this alignment
					}
					_, enc2, ok := m.find(newFolder().reset(string(mixed)))
					require.True(t, ok, "%q pad %d in %q", v, pad, mixed)
					require.True(t, enc2)
				}
			}
		}
		for _, other := range []string{"bypow", "proxy", "dendrite", "nothing at all"} {
			if strings.EqualFold(other, v) {
				continue
			}
			_, _, ok := m.find(newFolder().reset(base64.StdEncoding.EncodeToString([]byte(other))))
			require.False(t, ok, "%q in the encoding of %q", v, other)
		}
	}
}

func TestMatcherPathPrefix(t *testing.T) {
	m := matcherOf([]string{"/home/_user_/work"}, matchPath)
	for s, want := range map[string]bool{
		"/home/_user_/work/":               true,
		"/home/_user_/work":                true,
		"x=/HOME/_user_/WORK:":             true,
		"/home/_user_/workspace/_project_": false,
		"/home/_user_/work.bak/":           false,
		"/home/_user_/work-2/":             false,
	} {
		_, ok := find(m, s)
		require.Equal(t, want, ok, s)
	}
}

// TestASCIIWordAtATime: the eight-bytes-at-a-time ASCII checks agree with
// a byte loop for every byte value at every position.
func TestASCIIWordAtATime(t *testing.T) {
	base := []byte("abcdefghijklmnopqrstu")
	for n := range len(base) {
		for pos := range n {
			for c := range 256 {
				b := append([]byte{}, base[:n]...)
				b[pos] = byte(c)
				s := string(b)
				ascii, upper := asciiUpper(s)
				wantASCII := c < 0x80
				require.Equal(t, wantASCII, ascii, "%q", s)
				if ascii {
					require.Equal(t, c >= 'A' && c <= 'Z', upper, "%q", s)
					require.Equal(t, strings.ToLower(s), string(lowerASCII(make([]byte, n), s)), "%q", s)
				}
			}
		}
	}
}
