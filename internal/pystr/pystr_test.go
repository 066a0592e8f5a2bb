package pystr

import (
	"slices"
	"testing"
)

// Expectations generated with CPython 3.11 (str.lower, str.strip, str.split).
var lowerCases = []struct{ in, want string }{
	{"/Home/RyPow/Projects", "/home/rypow/projects"},
	{"\u0130stanbul/D\u0130r", "i\u0307stanbul/di\u0307r"},
	{"\u039f\u0394\u039f\u03a3", "\u03bf\u03b4\u03bf\u03c2"},
	{"\u039f\u0394\u039f\u03a3 \u0391\u0392", "\u03bf\u03b4\u03bf\u03c2 \u03b1\u03b2"},
	{"\u03a3", "\u03c3"},
	{"a\u03a3", "a\u03c2"},
	{"a\u03a3b", "a\u03c3b"},
	{"a\u03a3.", "a\u03c2."},
	{"a.\u03a3", "a.\u03c2"},
	{"\u01c5ungla", "\u01c6ungla"},
	{"\u00c0\u00c9\u00ce", "\u00e0\u00e9\u00ee"},
	{"STRASSE \u00df", "strasse \u00df"},
	{"\uff21\uff22\uff23", "\uff41\uff42\uff43"},
	{"\u2160", "\u2170"},
	{"x\u0130\u0307", "xi\u0307\u0307"},
	{"\u0391\u03a3'", "\u03b1\u03c2'"},
}
var stripCases = []struct{ in, want string }{
	{" a ", "a"},
	{"\u00a0a\u3000", "a"},
	{"\u001ca\u001f", "a"},
	{"\u200bx", "\u200bx"},
	{"\ufeffx", "\ufeffx"},
	{"\t\n\u000b\f\r x \u0085", "x"},
	{"a b", "a b"},
}
var splitCases = []struct {
	in   string
	want []string
}{
	{"procFS  auid\u00a0rootcwd", []string{"procFS", "auid", "rootcwd"}},
	{" execve\tclone ", []string{"execve", "clone"}},
	{"", nil},
	{"a\u2003b\u001cc", []string{"a", "b", "c"}},
}

func TestLower(t *testing.T) {
	for _, c := range lowerCases {
		if got := Lower(c.in); got != c.want {
			t.Errorf("Lower(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestStrip(t *testing.T) {
	for _, c := range stripCases {
		if got := Strip(c.in); got != c.want {
			t.Errorf("Strip(%q) = %q, want %q", c.in, got, c.want)
		}
		if got := string(StripBytes([]byte(c.in))); got != c.want {
			t.Errorf("StripBytes(%q) = %q, want %q", c.in, got, c.want)
		}
	}
	if got := StripBytes([]byte("\xff \xff")); string(got) != "\xff \xff" {
		t.Errorf("invalid UTF-8 must not be stripped: %q", got)
	}
}

func TestFields(t *testing.T) {
	for _, c := range splitCases {
		got := slices.Collect(Fields(c.in))
		if !slices.Equal(got, c.want) {
			t.Errorf("Fields(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}
