package tetraparse

import (
	"bytes"
	"errors"
	"io"
	"slices"
	"strconv"
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

// TestLineReaderMaxLine: a line longer than the maximum is reported as
// one over-long line, its bytes skipped to its terminator, and reading
// goes on with the next line; the buffer never grows past the maximum
// plus the terminator.
func TestLineReaderMaxLine(t *testing.T) {
	const limit = 1000
	long := strings.Repeat("y", 1<<20)
	cases := []struct {
		in   string
		want []string // "!N" marks an over-long line of N bytes
	}{
		{long + "\nok\n", []string{"!1048576", "ok"}},
		{long + "\r\nok", []string{"!1048576", "ok"}},
		{long + "\rok", []string{"!1048576", "ok"}},
		{long, []string{"!1048576"}},
		{"a\n" + long + "\n\nb", []string{"a", "!1048576", "", "b"}},
		{strings.Repeat("z", limit) + "\n" + strings.Repeat("z", limit+1) + "\n", []string{strings.Repeat("z", limit), "!1001"}},
		{strings.Repeat("z", limit+1), []string{"!1001"}},
	}
	for _, c := range cases {
		for _, oneByte := range []bool{false, true} {
			var r io.Reader = strings.NewReader(c.in)
			if oneByte {
				r = iotest.OneByteReader(r)
			}
			lr := newLineReader(r, limit)
			var got []string
			for {
				l, ok := lr.next()
				if !ok {
					break
				}
				if lr.long {
					require.Nil(t, l)
					got = append(got, "!"+strconv.FormatInt(lr.longLen, 10))
				} else {
					got = append(got, string(l))
				}
				require.LessOrEqual(t, len(lr.buf), max(initialLineBuffer, limit+1))
			}
			require.NoError(t, lr.err)
			require.Equal(t, c.want, got, "%.20q one byte at a time: %v", c.in, oneByte)
			require.Equal(t, int64(len(c.want)), lr.line())
		}
	}
}

// TestLineReaderBufferCap: with a maximum above the initial buffer, the
// buffer grows to the maximum plus one byte and no further, and a line of
// exactly the maximum is returned whole.
func TestLineReaderBufferCap(t *testing.T) {
	limit := 3*initialLineBuffer + 7
	exact := strings.Repeat("e", limit)
	in := exact + "\n" + strings.Repeat("x", 10*limit) + "\nend"
	lr := newLineReader(iotest.HalfReader(strings.NewReader(in)), limit)
	l, ok := lr.next()
	require.True(t, ok)
	require.False(t, lr.long)
	require.Equal(t, exact, string(l))
	_, ok = lr.next()
	require.True(t, ok)
	require.True(t, lr.long)
	require.EqualValues(t, 10*limit, lr.longLen)
	l, ok = lr.next()
	require.True(t, ok)
	require.Equal(t, "end", string(l))
	require.Equal(t, limit+1, len(lr.buf))
}

// TestLineReaderReadError: the bytes read before a read error are no
// line (Python's text mode loses them), over-long or not.
func TestLineReaderReadError(t *testing.T) {
	boom := errors.New("boom")
	for _, tail := range []string{"partial", strings.Repeat("p", 5000)} {
		lr := newLineReader(io.MultiReader(strings.NewReader("a\n"+tail), iotest.ErrReader(boom)), 1000)
		l, ok := lr.next()
		require.True(t, ok)
		require.Equal(t, "a", string(l))
		_, ok = lr.next()
		require.False(t, ok)
		require.ErrorIs(t, lr.err, boom)
		require.EqualValues(t, 1, lr.line())
	}
}

// splitPython splits like Python's universal newlines and marks lines
// longer than limit as "!<length>": the model FuzzLineReader checks the
// streaming reader against.
func splitPython(in []byte, limit int) []string {
	var out []string
	emit := func(l []byte) {
		if limit > 0 && len(l) > limit {
			out = append(out, "!"+strconv.Itoa(len(l)))
		} else {
			out = append(out, string(l))
		}
	}
	start := 0
	for i := 0; i < len(in); i++ {
		switch in[i] {
		case '\n':
			emit(in[start:i])
			start = i + 1
		case '\r':
			emit(in[start:i])
			if i+1 < len(in) && in[i+1] == '\n' {
				i++
			}
			start = i + 1
		}
	}
	if start < len(in) {
		emit(in[start:])
	}
	return out
}

// FuzzLineReader checks the line reader, over-long lines included, against
// splitPython, with reads cut at the sizes the input's first bytes give.
func FuzzLineReader(f *testing.F) {
	f.Add([]byte("a\nb\r\nc\rd"), uint16(3), uint8(1))
	f.Add([]byte("xxxxxxxx\r\n\r\nyy\n"), uint16(4), uint8(3))
	f.Add(bytes.Repeat([]byte("z"), 300), uint16(100), uint8(7))
	f.Fuzz(func(t *testing.T, in []byte, limit uint16, chunk uint8) {
		lim := int(limit % 512) // 0: unlimited
		lr := newLineReader(&chunkReader{data: in, chunk: int(chunk)%17 + 1}, lim)
		var got []string
		for {
			l, ok := lr.next()
			if !ok {
				break
			}
			if lr.long {
				got = append(got, "!"+strconv.FormatInt(lr.longLen, 10))
			} else {
				got = append(got, string(l))
			}
			if lim > 0 && len(lr.buf) > max(initialLineBuffer, lim+1) {
				t.Fatalf("buffer of %d bytes for a limit of %d", len(lr.buf), lim)
			}
		}
		if lr.err != nil {
			t.Fatal(lr.err)
		}
		want := splitPython(in, lim)
		if !slices.Equal(got, want) {
			t.Fatalf("got %q, want %q", got, want)
		}
	})
}

// chunkReader returns at most chunk bytes per Read.
type chunkReader struct {
	data  []byte
	chunk int
}

func (c *chunkReader) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), c.chunk)], c.data)
	c.data = c.data[n:]
	return n, nil
}
