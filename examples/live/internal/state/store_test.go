package state

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// bigSection streams n bytes of a pattern, in small writes.
type bigSection int

func (n bigSection) WriteTo(w io.Writer) (int64, error) {
	var total int64
	buf := make([]byte, 1000)
	for total < int64(n) {
		for i := range buf {
			buf[i] = byte((total + int64(i)) % 251)
		}
		k, err := w.Write(buf[:min(int64(len(buf)), int64(n)-total)])
		total += int64(k)
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func open(t *testing.T, dir string) *Store {
	t.Helper()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestSaveLoad(t *testing.T) {
	s := open(t, t.TempDir())
	if _, err := s.Load(); !errors.Is(err, ErrNoCheckpoint) {
		t.Fatalf("empty directory: %v, want ErrNoCheckpoint", err)
	}
	if err := s.Save(BytesSection("input", []byte("pos-1")), Section{"lineage", bigSection(300_000)}, BytesSection("empty", nil)); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(BytesSection("input", []byte("pos-2")), Section{"lineage", bigSection(123_457)}); err != nil {
		t.Fatal(err)
	}
	cp, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if got := fmt.Sprint(cp.Names()); got != "[input lineage]" || cp.Seq != 2 || cp.Skipped != nil {
		t.Errorf("names %s, seq %d, skipped %v", got, cp.Seq, cp.Skipped)
	}
	if b, err := cp.Bytes("input"); err != nil || string(b) != "pos-2" {
		t.Errorf("input = %q, %v", b, err)
	}
	var want bytes.Buffer
	bigSection(123_457).WriteTo(&want)
	sr, err := cp.Section("lineage")
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(sr)
	if !bytes.Equal(got, want.Bytes()) {
		t.Errorf("lineage section: %d bytes, differs from the %d saved", len(got), want.Len())
	}
	if _, err := cp.Section("scorer"); !errors.Is(err, ErrNoSection) {
		t.Errorf("missing section: %v", err)
	}
	if time.Since(cp.Time) > time.Minute || time.Since(cp.Time) < 0 {
		t.Errorf("time %v", cp.Time)
	}
}

// TestEveryDamageDetected: every single changed byte and every cut of a
// checkpoint is reported as ErrCorrupt (or ErrVersion, for the version
// field), never taken for a checkpoint.
func TestEveryDamageDetected(t *testing.T) {
	var buf bytes.Buffer
	if err := Encode(&buf, 7, time.Unix(1700000000, 0), []Section{BytesSection("input", []byte("position")), BytesSection("counters", []byte{1, 2, 3})}); err != nil {
		t.Fatal(err)
	}
	good := buf.Bytes()
	if _, err := Decode(bytes.NewReader(good), int64(len(good)), "good"); err != nil {
		t.Fatal(err)
	}
	for i := range good {
		for _, x := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(good)
			b[i] ^= x
			_, err := Decode(bytes.NewReader(b), int64(len(b)), "damaged")
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("byte %d ^ %#x: %v, want ErrCorrupt", i, x, err)
			}
		}
	}
	for n := range len(good) {
		_, err := Decode(bytes.NewReader(good[:n]), int64(n), "cut")
		var ce *CorruptError
		if !errors.As(err, &ce) {
			t.Fatalf("cut at %d: %v, want *CorruptError", n, err)
		}
	}
}

// TestLoadFallsBack: a damaged newest checkpoint is passed over for the
// previous one, and Load says why.
func TestLoadFallsBack(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Save(BytesSection("input", []byte("old")))
	s.Save(BytesSection("input", []byte("new")))
	cur := filepath.Join(dir, "checkpoint")
	b, _ := os.ReadFile(cur)
	os.WriteFile(cur, b[:len(b)-5], 0o600)
	cp, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if got, _ := cp.Bytes("input"); string(got) != "old" || !errors.Is(cp.Skipped, ErrCorrupt) {
		t.Errorf("got %q, skipped %v; want the previous checkpoint and ErrCorrupt", got, cp.Skipped)
	}
	os.WriteFile(filepath.Join(dir, "checkpoint.prev"), []byte("garbage"), 0o600)
	if _, err := s.Load(); !errors.Is(err, ErrCorrupt) {
		t.Errorf("both damaged: %v, want ErrCorrupt", err)
	}
}

type failingSection struct{}

func (failingSection) WriteTo(w io.Writer) (int64, error) {
	w.Write(make([]byte, 100_000))
	return 100_000, errors.New("disk on fire")
}

// TestFailedSaveKeepsOld: a Save that fails leaves the last checkpoint in
// place and no temporary file.
func TestFailedSaveKeepsOld(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Save(BytesSection("input", []byte("kept")))
	if err := s.Save(BytesSection("input", []byte("lost")), Section{"graph", failingSection{}}); err == nil {
		t.Fatal("Save with a failing section succeeded")
	}
	cp, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if got, _ := cp.Bytes("input"); string(got) != "kept" {
		t.Errorf("input %q, want the last good checkpoint", got)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if e.Name() != "checkpoint" && e.Name() != "lock" {
			t.Errorf("left behind: %s", e.Name())
		}
	}
}

// TestCrashBetweenRenames: if only the previous checkpoint exists (a
// crash after moving the old one aside), it is loaded.
func TestCrashBetweenRenames(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	s.Save(BytesSection("input", []byte("one")))
	os.Rename(filepath.Join(dir, "checkpoint"), filepath.Join(dir, "checkpoint.prev"))
	os.WriteFile(filepath.Join(dir, ".checkpoint-123"), []byte("half"), 0o600)
	s.Close()
	s = open(t, dir)
	cp, err := s.Load()
	if err != nil {
		t.Fatal(err)
	}
	defer cp.Close()
	if got, _ := cp.Bytes("input"); string(got) != "one" || cp.Skipped != nil {
		t.Errorf("got %q, skipped %v", got, cp.Skipped)
	}
	if _, err := os.Stat(filepath.Join(dir, ".checkpoint-123")); !os.IsNotExist(err) {
		t.Errorf("temporary file not removed: %v", err)
	}
}

func TestLocked(t *testing.T) {
	dir := t.TempDir()
	open(t, dir)
	if _, err := Open(dir); !errors.Is(err, ErrLocked) {
		t.Fatalf("second Open: %v, want ErrLocked", err)
	}
}

func TestBadNames(t *testing.T) {
	for _, name := range []string{"", "a b", "x/y", string(make([]byte, MaxNameLen+1))} {
		if err := Encode(io.Discard, 1, time.Now(), []Section{BytesSection(name, nil)}); err == nil {
			t.Errorf("name %q accepted", name)
		}
	}
	if err := Encode(io.Discard, 1, time.Now(), []Section{BytesSection("a", nil), BytesSection("a", nil)}); err == nil {
		t.Error("duplicate name accepted")
	}
}

// FuzzDecode: no input panics or reads out of bounds; whatever decodes
// encodes back to the same bytes.
func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	Encode(&buf, 3, time.Unix(1700000000, 42), []Section{BytesSection("input", []byte("abc")), BytesSection("graph", bytes.Repeat([]byte{7}, 100))})
	f.Add(buf.Bytes())
	buf.Reset()
	Encode(&buf, 0, time.Unix(0, 0), nil)
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		cp, err := Decode(bytes.NewReader(b), int64(len(b)), "fuzz")
		if err != nil {
			if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("error not typed: %v", err)
			}
			return
		}
		var secs []Section
		for _, name := range cp.Names() {
			data, err := cp.Bytes(name)
			if err != nil {
				t.Fatal(err)
			}
			secs = append(secs, BytesSection(name, data))
		}
		var again bytes.Buffer
		if err := Encode(&again, cp.Seq, cp.Time, secs); err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(again.Bytes(), b) {
			t.Fatalf("re-encoding differs:\n%x\n%x", again.Bytes(), b)
		}
	})
}
