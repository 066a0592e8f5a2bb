package baseline

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func savedTiny(t testing.TB) []byte {
	tr, _ := NewNgramTrainer()
	for _, e := range [][2]string{{"p", "a"}, {"p", "b"}, {"p", "c"}, {"q", "a"}, {"q", "c"}} {
		tr.Add(e[0], e[1])
	}
	m, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	m.WriteTo(&b)
	return b.Bytes()
}

func savedForest(t testing.TB) []byte {
	tr, _ := NewForestTrainer(Flat, ForestTrees(3), ForestMaxSamples(8), ForestQuantiles(0.5))
	x := synthRows(1, 20, false)
	nf := len(Flat.Columns())
	for i := 0; i < len(x); i += nf {
		tr.AddRow(x[i : i+nf])
	}
	f, err := tr.Fit()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	f.WriteTo(&b)
	return b.Bytes()
}

func TestLoadDamaged(t *testing.T) {
	for name, file := range map[string][]byte{"ngram": savedTiny(t), "forest": savedForest(t)} {
		if _, err := Load(bytes.NewReader(file)); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		// Every truncation is an error naming a position.
		for n := range len(file) {
			_, err := Load(bytes.NewReader(file[:n]))
			var fe *FormatError
			if !errors.As(err, &fe) || !(errors.Is(err, ErrTruncated) || errors.Is(err, ErrNotModel)) {
				t.Fatalf("%s truncated to %d bytes: %v", name, n, err)
			}
		}
		// Every flipped bit is caught.
		for i := range len(file) {
			bad := bytes.Clone(file)
			bad[i] ^= 0x10
			if _, err := Load(bytes.NewReader(bad)); err == nil {
				t.Fatalf("%s: flipped byte %d accepted", name, i)
			}
		}
		// Wrong version.
		bad := bytes.Clone(file)
		binary.LittleEndian.PutUint32(bad[8:], 2)
		if _, err := Load(bytes.NewReader(bad)); !errors.Is(err, ErrVersion) {
			t.Errorf("%s version 2: %v", name, err)
		}
		// A damaged payload.
		bad = bytes.Clone(file)
		bad[headerSize+3] ^= 1
		_, err := Load(bytes.NewReader(bad))
		var fe *FormatError
		if !errors.Is(err, ErrChecksum) || !errors.As(err, &fe) || fe.Offset != int64(len(file)-sumSize) {
			t.Errorf("%s damaged payload: %v", name, err)
		}
		// Bytes after the file are not read.
		r := bytes.NewReader(append(bytes.Clone(file), "tail"...))
		if _, err := Load(r); err != nil || r.Len() != 4 {
			t.Errorf("%s: %v, %d bytes left", name, err, r.Len())
		}
	}
	for _, in := range []string{"", "THBASE", "hello world, this is not a model at all", checkpointMagic + "0000"} {
		if _, err := Load(bytes.NewReader([]byte(in))); !errors.Is(err, ErrNotModel) {
			t.Errorf("%q: %v", in, err)
		}
	}
	// A huge declared length fails without allocating it.
	bad := savedTiny(t)[:headerSize]
	binary.LittleEndian.PutUint64(bad[16:], 1<<40)
	if _, err := Load(bytes.NewReader(bad)); !errors.Is(err, ErrTooLarge) {
		t.Errorf("huge length: %v", err)
	}
	binary.LittleEndian.PutUint64(bad[16:], 1<<31)
	if _, err := Load(bytes.NewReader(bad)); !errors.Is(err, ErrTruncated) {
		t.Errorf("long length: %v", err)
	}
}

// rewrap frames a payload as a valid file, so that the decoder behind the
// checksum can be fuzzed.
func rewrap(magic string, kind Kind, payload []byte) []byte {
	var b bytes.Buffer
	writeFile(&b, magic, kind, payload)
	return b.Bytes()
}

func payloadOf(file []byte) []byte { return file[headerSize : len(file)-sumSize] }

func TestDecodeCorruptPayloads(t *testing.T) {
	// Consistent framing around inconsistent content.
	ng := payloadOf(savedTiny(t))
	for _, p := range [][]byte{nil, ng[:len(ng)-1], append(bytes.Clone(ng), 0), bytes.Repeat([]byte{0xff}, 40)} {
		_, err := Load(bytes.NewReader(rewrap(modelMagic, KindNgram, p)))
		if !errors.Is(err, ErrCorrupt) {
			t.Errorf("payload %x…: %v", p[:min(len(p), 8)], err)
		}
	}
	fp := payloadOf(savedForest(t))
	if _, err := Load(bytes.NewReader(rewrap(modelMagic, KindIForest, fp))); !errors.Is(err, ErrCorrupt) {
		t.Errorf("flat forest framed as rich: %v", err)
	}
	if _, err := Load(bytes.NewReader(rewrap(modelMagic, Kind(9), fp))); !errors.Is(err, ErrCorrupt) {
		t.Errorf("unknown kind: %v", err)
	}
}

// FuzzLoad: any input either loads, and then saves back to the same bytes
// and scores without panicking, or gives a *FormatError.
func FuzzLoad(f *testing.F) {
	f.Add(savedTiny(f))
	f.Add(savedForest(f))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := Load(bytes.NewReader(data))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("not a FormatError: %v", err)
			}
			return
		}
		checkLoaded(t, m, data)
	})
}

// FuzzDecodePayload fuzzes the payload decoders behind a valid frame.
func FuzzDecodePayload(f *testing.F) {
	f.Add(uint8(KindNgram), payloadOf(savedTiny(f)))
	f.Add(uint8(KindIForestFlat), payloadOf(savedForest(f)))
	f.Fuzz(func(t *testing.T, kind uint8, payload []byte) {
		file := rewrap(modelMagic, Kind(kind%4), payload)
		m, err := Load(bytes.NewReader(file))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("not a FormatError: %v", err)
			}
			return
		}
		checkLoaded(t, m, file)
	})
}

func checkLoaded(t *testing.T, m Model, file []byte) {
	var b bytes.Buffer
	if _, err := m.WriteTo(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(b.Bytes(), file[:b.Len()]) {
		t.Fatal("a loaded model does not save back to its bytes")
	}
	switch x := m.(type) {
	case *Ngram:
		s := x.NewScorer(MaxProcesses(2))
		for i, tok := range append(x.Vocabulary(), "unknown") {
			s.Score(fmt.Sprint(i%3), tok)
			s.ScoreCode("p", i)
		}
	case *IForest:
		row := make([]float32, len(x.Columns()))
		for i := range row {
			row[i] = float32(i)
		}
		if _, err := x.ScoreRow(row); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzRestoreScorer: any checkpoint payload either restores into a usable
// scorer or gives a *FormatError.
func FuzzRestoreScorer(f *testing.F) {
	m, err := LoadNgram(bytes.NewReader(savedTiny(f)))
	if err != nil {
		f.Fatal(err)
	}
	s := m.NewScorer()
	s.Score("p", "a")
	s.Score("p", "b")
	s.Score("q", "zzz")
	var b bytes.Buffer
	s.WriteTo(&b)
	f.Add(payloadOf(b.Bytes()))
	f.Fuzz(func(t *testing.T, payload []byte) {
		r, err := m.RestoreScorer(bytes.NewReader(rewrap(checkpointMagic, KindNgram, payload)), MaxProcesses(3))
		if err != nil {
			var fe *FormatError
			if !errors.As(err, &fe) {
				t.Fatalf("not a FormatError: %v", err)
			}
			return
		}
		for _, p := range []string{"p", "q", "r", "s"} {
			r.Score(p, "a")
		}
		if r.Len() > 3 {
			t.Fatalf("%d contexts above the bound", r.Len())
		}
	})
}

// TestWriteFuzzSeeds keeps testdata/fuzz's seed corpora in step with the
// format (-update rewrites them).
func TestWriteFuzzSeeds(t *testing.T) {
	if !*update {
		t.Skip("run with -update to rewrite testdata/fuzz")
	}
	write := func(target, name string, vals ...any) {
		dir := filepath.Join("testdata", "fuzz", target)
		os.MkdirAll(dir, 0o755)
		var b bytes.Buffer
		b.WriteString("go test fuzz v1\n")
		for _, v := range vals {
			switch x := v.(type) {
			case []byte:
				fmt.Fprintf(&b, "[]byte(%q)\n", x)
			case uint8:
				fmt.Fprintf(&b, "byte(%q)\n", x)
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ng, fo := savedTiny(t), savedForest(t)
	write("FuzzLoad", "ngram", ng)
	write("FuzzLoad", "forest", fo)
	write("FuzzLoad", "truncated", ng[:len(ng)/2])
	bad := bytes.Clone(ng)
	binary.LittleEndian.PutUint32(bad[8:], 7)
	write("FuzzLoad", "version7", bad)
	write("FuzzDecodePayload", "ngram", uint8(KindNgram), payloadOf(ng))
	write("FuzzDecodePayload", "forest", uint8(KindIForestFlat), payloadOf(fo))
	write("FuzzDecodePayload", "forest-as-rich", uint8(KindIForest), payloadOf(fo))
	m, _ := LoadNgram(bytes.NewReader(ng))
	s := m.NewScorer()
	s.Score("p", "a")
	s.Score("p", "b")
	s.Score("q", "zzz")
	var b bytes.Buffer
	s.WriteTo(&b)
	write("FuzzRestoreScorer", "three", payloadOf(b.Bytes()))
}
