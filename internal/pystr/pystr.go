// Package pystr reproduces the Python 3.11 string semantics the reference
// pipeline relies on: white space as str.isspace defines it (for strip and
// split) and str.lower's full Unicode lower-casing.
package pystr

import (
	"iter"
	"strings"
	"unicode"
	"unicode/utf8"
)

// IsSpace reports whether r is white space for Python's str.isspace, which
// str.strip() and str.split() use: Unicode White_Space plus the separators
// U+001C..U+001F.
func IsSpace(r rune) bool {
	switch r {
	case '\t', '\n', '\v', '\f', '\r', 0x1c, 0x1d, 0x1e, 0x1f, ' ', 0x85, 0xa0, 0x1680,
		0x2028, 0x2029, 0x202f, 0x205f, 0x3000:
		return true
	}
	return r >= 0x2000 && r <= 0x200a
}

func asciiSpace(c byte) bool {
	return c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f)
}

// StripBytes removes leading and trailing white space as str.strip() does.
// Invalid UTF-8 is never white space.
func StripBytes(b []byte) []byte {
	for len(b) > 0 {
		if c := b[0]; c < utf8.RuneSelf {
			if !asciiSpace(c) {
				break
			}
			b = b[1:]
			continue
		}
		r, size := utf8.DecodeRune(b)
		if size == 1 || !IsSpace(r) {
			break
		}
		b = b[size:]
	}
	for len(b) > 0 {
		if c := b[len(b)-1]; c < utf8.RuneSelf {
			if !asciiSpace(c) {
				break
			}
			b = b[:len(b)-1]
			continue
		}
		r, size := utf8.DecodeLastRune(b)
		if size == 1 || !IsSpace(r) {
			break
		}
		b = b[:len(b)-size]
	}
	return b
}

// Strip is str.strip() for a string.
func Strip(s string) string { return strings.TrimFunc(s, IsSpace) }

// Fields yields the fields of s as str.split() with no arguments does.
func Fields(s string) iter.Seq[string] {
	return func(yield func(string) bool) {
		start := -1
		for i, r := range s {
			if IsSpace(r) {
				if start >= 0 {
					if !yield(s[start:i]) {
						return
					}
					start = -1
				}
			} else if start < 0 {
				start = i
			}
		}
		if start >= 0 {
			yield(s[start:])
		}
	}
}

// Lower is str.lower(): full Unicode lower-casing, including the one
// unconditional special mapping (U+0130 İ → "i̇", two code points) and the
// context-dependent final sigma (Σ → ς at the end of a word).
func Lower(s string) string {
	ascii := true
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			ascii = false
			break
		}
	}
	if ascii {
		return strings.ToLower(s)
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	for i, r := range s {
		switch r {
		case 0x0130:
			b.WriteString("i\u0307")
		case 0x03A3:
			if finalSigma(s, i) {
				b.WriteRune(0x03C2)
			} else {
				b.WriteRune(0x03C3)
			}
		default:
			b.WriteRune(unicode.ToLower(r))
		}
	}
	return b.String()
}

// finalSigma implements Python's Final_Sigma test for the Σ at byte offset
// i: a cased letter before it (skipping case-ignorable characters) and
// none after it.
func finalSigma(s string, i int) bool {
	j := i
	before := false
	for j > 0 {
		r, size := utf8.DecodeLastRuneInString(s[:j])
		j -= size
		if caseIgnorable(r) {
			continue
		}
		before = cased(r)
		break
	}
	if !before {
		return false
	}
	j = i + utf8.RuneLen(0x03A3)
	for j < len(s) {
		r, size := utf8.DecodeRuneInString(s[j:])
		j += size
		if caseIgnorable(r) {
			continue
		}
		return !cased(r)
	}
	return true
}

func cased(r rune) bool {
	return unicode.IsUpper(r) || unicode.IsLower(r) || unicode.IsTitle(r)
}

func caseIgnorable(r rune) bool {
	return unicode.In(r, unicode.Mn, unicode.Me, unicode.Cf, unicode.Lm, unicode.Sk) ||
		r == '\'' || r == '.' || r == ':' || r == '^' || r == '`' || r == 0x00AD || r == 0x2019
}
