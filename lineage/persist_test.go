package lineage

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
	"testing/iotest"
)

// sampleGraph has every kind of entry: roots, chains, dangling parents,
// null and "" parents, cycles, shared and empty basenames, and counters.
func sampleGraph() *Graph {
	g := New()
	g.Add("init", "", "", "/sbin/init")
	g.Add("sh", "init", "", "/bin/sh")
	g.Add("curl", "sh", "", "/usr/bin/curl")
	g.Add("orphan", "", "gone", "/usr/bin/orphan")
	g.Add("self", "self", "", "/bin/self")
	g.Add("a", "b", "", "/bin/a")
	g.Add("b", "a", "", "")
	g.AddNullable(Str("e"), Str(""), Str(""), NullString{})
	g.Add("curl", "init", "", "/usr/bin/curl") // conflict
	g.Add("sh", "init", "", "/bin/sh")         // repeat
	g.Add("", "x", "", "/bin/x")               // skipped
	return g
}

func encode(t testing.TB, g *Graph) []byte {
	t.Helper()
	var buf bytes.Buffer
	n, err := g.WriteTo(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(buf.Len()) {
		t.Fatalf("WriteTo returned %d, wrote %d", n, buf.Len())
	}
	return buf.Bytes()
}

func sameGraph(t *testing.T, got, want *Graph, ids []string) {
	t.Helper()
	if got.Stats() != want.Stats() {
		t.Errorf("stats %+v, want %+v", got.Stats(), want.Stats())
	}
	for _, id := range ids {
		for _, pp := range ids {
			if g, w := got.For(id, pp, ""), want.For(id, pp, ""); g != w {
				t.Errorf("For(%q, %q) = %+v, want %+v", id, pp, g, w)
			}
			if g, w := got.ParentBasename(pp, "", "/x/y"), want.ParentBasename(pp, "", "/x/y"); g != w {
				t.Errorf("ParentBasename(%q) = %q, want %q", pp, g, w)
			}
		}
	}
}

func TestRoundTrip(t *testing.T) {
	ids := []string{"init", "sh", "curl", "orphan", "gone", "self", "a", "b", "e", "x", "nope", ""}
	g := sampleGraph()
	g.Lookup("curl") // memos are not persisted and must not matter
	data := encode(t, g)

	got := New()
	got.Add("stale", "", "", "/bin/stale") // replaced by ReadFrom
	n, err := got.ReadFrom(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if n != int64(len(data)) {
		t.Errorf("ReadFrom returned %d of %d bytes", n, len(data))
	}
	if got.Contains("stale") {
		t.Error("ReadFrom did not replace the graph")
	}
	sameGraph(t, got, g, ids)

	// Same encoding again, and the loaded graph keeps growing correctly:
	// the dangling parent registers and resolves.
	if again := encode(t, got); !bytes.Equal(again, data) {
		t.Error("re-encoding differs")
	}
	g.Add("gone", "init", "", "/bin/gone")
	got.Add("gone", "init", "", "/bin/gone")
	sameGraph(t, got, g, ids)
	if l := got.Lookup("orphan"); l != (Lineage{2, "init", "init", false}) {
		t.Errorf("Lookup(orphan) after load + add = %+v", l)
	}

	// A one-byte-at-a-time reader exercises short reads.
	slow := New()
	if _, err := slow.ReadFrom(iotest.OneByteReader(bytes.NewReader(data))); err != nil {
		t.Fatal(err)
	}
	sameGraph(t, slow, sampleGraph(), ids)
}

func TestRoundTripEmpty(t *testing.T) {
	var g Graph
	data := encode(t, &g)
	got := New()
	if _, err := got.ReadFrom(bytes.NewReader(data)); err != nil {
		t.Fatal(err)
	}
	if got.Len() != 0 || got.Stats() != (Stats{}) {
		t.Errorf("%+v", got.Stats())
	}
	got.Add("x", "", "", "/bin/x")
	if !got.Contains("x") {
		t.Error("cannot add after loading an empty graph")
	}
}

func TestReadFromStopsAtEnd(t *testing.T) {
	data := encode(t, sampleGraph())
	r := bytes.NewReader(append(append([]byte{}, data...), "tail"...))
	if _, err := New().ReadFrom(r); err != nil {
		t.Fatal(err)
	}
	rest, _ := io.ReadAll(r)
	if string(rest) != "tail" {
		t.Errorf("ReadFrom consumed past the encoding; left %q", rest)
	}
}

// reseal fixes the checksum of a modified encoding, so that the decoder's
// own validation is what rejects it.
func reseal(b []byte) []byte {
	body := b[:len(b)-trailerSize]
	binary.LittleEndian.PutUint32(b[len(b)-trailerSize:], crc32.Checksum(body, castagnoli))
	return b
}

// craft builds an encoding with the given payload and a valid checksum.
func craft(payload []byte) []byte {
	b := make([]byte, headerSize, headerSize+len(payload)+trailerSize)
	copy(b, formatMagic)
	binary.LittleEndian.PutUint16(b[8:], formatVersion)
	binary.LittleEndian.PutUint64(b[12:], uint64(len(payload)))
	b = append(b, payload...)
	return reseal(append(b, 0, 0, 0, 0))
}

func uv(vs ...uint64) []byte {
	var b []byte
	for _, v := range vs {
		b = binary.AppendUvarint(b, v)
	}
	return b
}

func TestReadFromCorrupt(t *testing.T) {
	data := encode(t, sampleGraph())
	mod := func(f func(b []byte) []byte) []byte { return f(append([]byte{}, data...)) }
	cases := []struct {
		name string
		in   []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"short header", data[:10], ErrCorrupt},
		{"bad magic", mod(func(b []byte) []byte { b[0] = 'X'; return b }), ErrCorrupt},
		{"future version", mod(func(b []byte) []byte { b[8] = 2; return reseal(b) }), ErrUnsupportedVersion},
		{"flags", mod(func(b []byte) []byte { b[10] = 1; return reseal(b) }), ErrCorrupt},
		{"huge payload length", mod(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[12:], 1<<62); return b }), ErrCorrupt},
		{"max payload length", mod(func(b []byte) []byte { binary.LittleEndian.PutUint64(b[12:], 1<<64-1); return b }), ErrCorrupt},
		{"truncated payload", data[:len(data)-10], ErrCorrupt},
		{"truncated trailer", data[:len(data)-2], ErrCorrupt},
		{"checksum", mod(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrCorrupt},
		{"flipped payload byte", mod(func(b []byte) []byte { b[headerSize+3] ^= 0x40; return b }), ErrCorrupt},
		{"huge base count", craft(uv(1 << 40)), ErrCorrupt},
		{"huge id count", craft(uv(0, 1<<40)), ErrCorrupt},
		{"varint overflow", craft([]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f}), ErrCorrupt},
		{"truncated varint", craft([]byte{0x80}), ErrCorrupt},
		{"string overruns", craft(uv(1, 50)), ErrCorrupt},
		{"duplicate basename", craft(append(uv(2, 1, 'a', 1, 'a'), uv(0, 0)...)), ErrCorrupt},
		{"empty exec id", craft(append(uv(0, 1, 0, 0, 0, 0), 0)), ErrCorrupt},
		{"duplicate exec id", craft(uv(0, 2, 1, 'a', 0, 1, 'a', 0, 0)), ErrCorrupt},
		{"basename out of range", craft(uv(0, 1, 1, 'a', 1, 0, 0)), ErrCorrupt},
		{"parent out of range", craft(uv(1, 0, 1, 1, 'a', 1, 3, 0)), ErrCorrupt},
		{"missing counters", craft(uv(0, 1, 1, 'a', 0)), ErrCorrupt},
		{"trailing payload", craft(uv(0, 0, 0, 7)), ErrCorrupt},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := sampleGraph()
			before := encode(t, g)
			_, err := g.ReadFrom(bytes.NewReader(c.in))
			if !errors.Is(err, c.want) {
				t.Fatalf("ReadFrom: %v, want %v", err, c.want)
			}
			if after := encode(t, g); !bytes.Equal(before, after) {
				t.Error("a failed ReadFrom changed the graph")
			}
		})
	}
	// Valid crafted payloads are accepted, extra counters ignored.
	g := New()
	if _, err := g.ReadFrom(bytes.NewReader(craft(uv(1, 1, 'b', 2, 1, 'a', 1, 3, 1, 'p', 0, 7, 1, 2, 3, 4, 5, 6, 7)))); err != nil {
		t.Fatal(err)
	}
	if l := g.Lookup("a"); l != (Lineage{0, "a", "b", false}) || g.Stats().ConflictingDuplicates != 1 || g.Stats().DanglingParents != 1 {
		t.Errorf("crafted graph: %+v %+v", l, g.Stats())
	}
}

// TestReadFromEveryTruncationAndFlip: no prefix and no single-byte change
// of a valid encoding may be accepted or make ReadFrom panic.
func TestReadFromEveryTruncationAndFlip(t *testing.T) {
	data := encode(t, sampleGraph())
	for n := range len(data) {
		if _, err := New().ReadFrom(bytes.NewReader(data[:n])); !errors.Is(err, ErrCorrupt) {
			t.Fatalf("prefix of %d bytes: %v", n, err)
		}
	}
	for i := range data {
		b := append([]byte{}, data...)
		b[i] ^= 0x5a
		if _, err := New().ReadFrom(bytes.NewReader(b)); err == nil {
			t.Fatalf("flipped byte %d accepted", i)
		}
		// Resealed, the decoder must still not panic (it may accept, when
		// the flip lands in a string or a counter).
		_, _ = New().ReadFrom(bytes.NewReader(reseal(b)))
	}
}

// FuzzReadFrom: arbitrary input, resealed so that it reaches the decoder,
// never panics, and anything accepted re-encodes to a graph that loads.
func FuzzReadFrom(f *testing.F) {
	f.Add(encode(f, sampleGraph())[headerSize : len(encode(f, sampleGraph()))-trailerSize])
	f.Add(uv(0, 0, 0))
	f.Fuzz(func(t *testing.T, payload []byte) {
		g := New()
		if _, err := g.ReadFrom(bytes.NewReader(craft(payload))); err != nil {
			return
		}
		g.Lookup("a")
		if _, err := New().ReadFrom(bytes.NewReader(encode(t, g))); err != nil {
			t.Fatalf("re-encoded graph does not load: %v", err)
		}
	})
}

func TestRoundTripRandom(t *testing.T) {
	for seed := range uint64(30) {
		rng := rand.New(rand.NewPCG(seed, 9))
		evs := randomEvents(rng, 100, 40)
		g := New()
		for _, e := range evs {
			g.AddNullable(e.exec, e.ppid, e.pid, e.bin)
		}
		got := New()
		if _, err := got.ReadFrom(bytes.NewReader(encode(t, g))); err != nil {
			t.Fatal(err)
		}
		for _, e := range evs {
			if a, b := got.ForNullable(e.exec, e.ppid, e.pid), g.ForNullable(e.exec, e.ppid, e.pid); a != b {
				t.Fatalf("seed %d: %+v != %+v", seed, a, b)
			}
			// Duplicate counting continues across the round trip.
			got.AddNullable(e.exec, e.ppid, e.pid, e.bin)
			g.AddNullable(e.exec, e.ppid, e.pid, e.bin)
		}
		if got.Stats() != g.Stats() {
			t.Fatalf("seed %d: %+v != %+v", seed, got.Stats(), g.Stats())
		}
	}
}

func TestReadFromReaderError(t *testing.T) {
	data := encode(t, sampleGraph())
	boom := errors.New("boom")
	for _, at := range []int{0, 10, headerSize + 5, len(data) - 2} {
		r := io.MultiReader(bytes.NewReader(data[:at]), iotest.ErrReader(boom))
		n, err := New().ReadFrom(r)
		if !errors.Is(err, boom) || errors.Is(err, ErrCorrupt) {
			t.Errorf("error after %d bytes: %v", at, err)
		}
		if n != int64(at) {
			t.Errorf("error after %d bytes: ReadFrom reported %d", at, n)
		}
	}
}

type failWriter struct{ after int }

func (w *failWriter) Write(p []byte) (int, error) {
	if w.after <= 0 {
		return 0, errors.New("disk full")
	}
	n := min(len(p), w.after)
	w.after -= n
	if n < len(p) {
		return n, errors.New("disk full")
	}
	return n, nil
}

func TestWriteToError(t *testing.T) {
	g := sampleGraph()
	total := len(encode(t, g))
	for _, after := range []int{0, 5, total - 2} {
		n, err := g.WriteTo(&failWriter{after: after})
		if err == nil {
			t.Fatalf("after %d: no error", after)
		}
		if n != int64(after) {
			t.Errorf("after %d: WriteTo reported %d bytes", after, n)
		}
	}
}
