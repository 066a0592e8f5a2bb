package follow

import (
	"errors"
	"github.com/tetrahids/tetrahids/examples/live/internal/testexport"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// readN reads n lines and returns the position after them.
func readN(t *testing.T, path string, from *Position, n int) ([]int, Position) {
	t.Helper()
	f := newFollower(t, path, Options{From: from})
	c := &collector{t: t, f: f}
	c.until(n, nil)
	if len(c.notices) != 0 {
		t.Fatalf("notices %v", c.notices)
	}
	return c.nums, c.last
}

// resumeAll follows from pos until idle and returns the lines and notices.
func resumeAll(t *testing.T, path string, pos Position) ([]int, []error) {
	t.Helper()
	f := newFollower(t, path, Options{From: &pos})
	c := &collector{t: t, f: f}
	c.drain()
	return c.nums, c.notices
}

// TestResume: a follower stops after 40 lines; while it is away the file is
// rotated (plain or gzip, once or several times) or left alone. A follower
// resumed from the saved position delivers exactly the lines after it.
func TestResume(t *testing.T) {
	for _, tc := range []struct {
		name      string
		compress  bool
		rotations int
	}{
		{"same-file", false, 0},
		{"rotated", false, 1},
		{"rotated-gzip", true, 1},
		{"rotated-thrice", false, 3},
		{"rotated-thrice-gzip", true, 3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "tetragon.log")
			e := testexport.New(t, path)
			e.Compress, e.SyncMill = tc.compress, true
			for i := range 100 {
				e.Write(testexport.BigLine(i)) // 100 lines exceed one read: the rest is not in memory
			}
			nums, pos := readN(t, path, nil, 40)
			wantRange(t, nums, 0, 40)
			next := 100
			for range tc.rotations {
				e.Rotate()
				for range 50 {
					e.Write(testexport.BigLine(next))
					next++
				}
			}
			got, notices := resumeAll(t, path, pos)
			if len(notices) != 0 {
				t.Errorf("notices %v", notices)
			}
			wantRange(t, got, 40, next)
		})
	}
}

// TestResumeTwice: positions taken while reading a backup (plain, then
// compressed while away) resume too.
func TestResumeTwice(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	e.SyncMill = true
	for i := range 100 {
		e.Write(testexport.BigLine(i))
	}
	_, pos := readN(t, path, nil, 10)
	e.Rotate()
	for i := 100; i < 200; i++ {
		e.Write(testexport.BigLine(i))
	}
	nums, pos := readN(t, path, &pos, 30) // stops inside the backup
	wantRange(t, nums, 10, 40)
	e.Compress = true
	e.Rotate() // compresses the backup being read, and the next
	got, notices := resumeAll(t, path, pos)
	if len(notices) != 0 {
		t.Errorf("notices %v", notices)
	}
	wantRange(t, got, 40, 200)
}

// TestResumeGone: the position's file was removed while the follower was
// away (Tetragon keeps --export-file-max-backups backups). The resumed
// follower says so, once, and starts with the oldest backup rotated after
// it; no later line is missed.
func TestResumeGone(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	e.SyncMill, e.MaxBackups = true, 1
	for i := range 100 {
		e.Write(testexport.Line(i))
	}
	_, pos := readN(t, path, nil, 40)
	next := 100
	for range 3 {
		e.Rotate()
		for range 50 {
			e.Write(testexport.Line(next))
			next++
		}
	}
	// Left: the backup with 150..199 and the live file with 200..249.
	got, notices := resumeAll(t, path, pos)
	if len(notices) != 1 || !errors.Is(notices[0], ErrPositionGone) {
		t.Fatalf("notices %v, want one ErrPositionGone", notices)
	}
	wantRange(t, got, 150, next)
}

// TestResumeTruncatedWhileAway: the file was truncated and rewritten while
// the follower was away; it reports it and reads the new content from its
// start.
func TestResumeTruncatedWhileAway(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	e.Append = true
	for i := range 100 {
		e.Write(testexport.Line(i))
	}
	_, pos := readN(t, path, nil, 60)
	e.Truncate()
	for i := 100; i < 110; i++ {
		e.Write(testexport.Line(i))
	}
	got, notices := resumeAll(t, path, pos)
	// Same inode, other first bytes: the file the position names is
	// gone, and the new content is read from its start.
	if len(notices) != 1 || !errors.Is(notices[0], ErrPositionGone) {
		t.Fatalf("notices %v, want one ErrPositionGone", notices)
	}
	wantRange(t, got, 100, 110)
}

// TestResumeInodeReused: a new file at the path with the position's inode
// (the old one removed) is told apart by its first bytes.
func TestResumeInodeReused(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	for i := range 100 {
		e.Write(testexport.Line(i))
	}
	_, pos := readN(t, path, nil, 60)
	// Rewrite the file in place: same inode, other content.
	if err := os.WriteFile(path, []byte(testexport.Line(1000)+"\n"+testexport.Line(1001)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got, notices := resumeAll(t, path, pos)
	if len(notices) != 1 || !errors.Is(notices[0], ErrPositionGone) {
		t.Fatalf("notices %v, want ErrPositionGone", notices)
	}
	wantRange(t, got, 1000, 1002)
}

// TestPositionRoundTrip: MarshalBinary and UnmarshalBinary agree, and bad
// encodings are refused.
func TestPositionRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "tetragon.log")
	e := testexport.New(t, path)
	for i := range 10 {
		e.Write(testexport.Line(i))
	}
	_, pos := readN(t, path, nil, 10)
	b, err := pos.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var back Position
	if err := back.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if back != pos {
		t.Errorf("round trip: %+v, want %+v", back, pos)
	}
	for i := range b {
		if err := back.UnmarshalBinary(b[:i]); !errors.Is(err, ErrBadPosition) {
			t.Errorf("prefix of %d bytes: %v, want ErrBadPosition", i, err)
		}
	}
	if err := back.UnmarshalBinary(append(b, 0)); !errors.Is(err, ErrBadPosition) {
		t.Errorf("trailing byte: %v", err)
	}
}

// FuzzPositionUnmarshal: no input panics, and what decodes re-encodes to
// the same bytes.
func FuzzPositionUnmarshal(f *testing.F) {
	p := Position{File: FileID{Dev: 2049, Ino: 1234, HeadLen: 17}, Offset: 17, NotBefore: time.Unix(1700000000, 5).UTC()}
	b, _ := p.MarshalBinary()
	f.Add(b)
	b, _ = Position{File: FileID{Dev: 1, Ino: 2, HeadLen: FingerprintBytes}, Offset: 1 << 40}.MarshalBinary()
	f.Add(b)
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		var p Position
		if err := p.UnmarshalBinary(b); err != nil {
			return
		}
		again, _ := p.MarshalBinary()
		var q Position
		if err := q.UnmarshalBinary(again); err != nil || q != p {
			t.Fatalf("re-decode of %x: %+v, %v; want %+v", again, q, err, p)
		}
	})
}
