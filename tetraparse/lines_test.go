package tetraparse

import (
	"bytes"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/stretchr/testify/require"
)

func readAllLines(t *testing.T, r io.Reader) []string {
	t.Helper()
	lr := newLineReader(r, 0)
	var out []string
	for {
		l, ok := lr.next()
		if !ok {
			break
		}
		out = append(out, string(l))
	}
	require.NoError(t, lr.err)
	require.Equal(t, int64(len(out)), lr.line())
	return out
}

// The expectations are what Python's `for line in open(path)` yields
// (universal newlines), terminators removed.
func TestLineReaderUniversalNewlines(t *testing.T) {
	cases := map[string][]string{
		"":                  nil,
		"a":                 {"a"},
		"a\n":               {"a"},
		"a\nb":              {"a", "b"},
		"a\r\nb\r\n":        {"a", "b"},
		"a\rb\r":            {"a", "b"},
		"a\r\r\nb":          {"a", "", "b"},
		"\n\n":              {"", ""},
		"a\n\rb":            {"a", "", "b"},
		"x\r\n\r\ny\n\rz\r": {"x", "", "y", "", "z"},
	}
	for in, want := range cases {
		require.Equal(t, want, readAllLines(t, strings.NewReader(in)), "%q", in)
		// One byte at a time exercises every buffer boundary, including a
		// '\r' at the end of one read and its '\n' at the start of the next.
		require.Equal(t, want, readAllLines(t, iotest.OneByteReader(strings.NewReader(in))), "%q byte by byte", in)
	}
}

func TestLineReaderHugeLine(t *testing.T) {
	big := bytes.Repeat([]byte("x"), 32<<20)
	in := append(append([]byte("first\n"), big...), "\nlast"...)
	lines := readAllLines(t, bytes.NewReader(in))
	require.Len(t, lines, 3)
	require.Equal(t, "first", lines[0])
	require.Len(t, lines[1], 32<<20)
	require.Equal(t, "last", lines[2])
}

func TestLineReaderMaxLine(t *testing.T) {
	lr := newLineReader(strings.NewReader(strings.Repeat("y", 1<<20)+"\nok\n"), 1000)
	_, ok := lr.next()
	require.False(t, ok)
	require.ErrorIs(t, lr.err, errLineTooLong)
}
