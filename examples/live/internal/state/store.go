package state

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names in the state directory.
const (
	currentName = "checkpoint"
	prevName    = "checkpoint.prev"
	tempPrefix  = ".checkpoint-"
	lockName    = "lock"
)

// Store keeps checkpoints in a directory: the newest as "checkpoint", the
// one before it as "checkpoint.prev". A Store is not safe for concurrent
// use.
type Store struct {
	dir  string
	lock *os.File
	seq  uint64
}

// Open opens (creating it, mode 0700) the state directory dir and locks it
// against a second process (ErrLocked). It removes temporary files that an
// interrupted Save left behind.
func Open(dir string) (*Store, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	lock, err := lockDir(filepath.Join(dir, lockName))
	if err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("state: %w", err)
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), tempPrefix) {
			os.Remove(filepath.Join(dir, e.Name()))
		}
	}
	return &Store{dir: dir, lock: lock}, nil
}

// Close releases the directory's lock.
func (s *Store) Close() error {
	if s.lock == nil {
		return nil
	}
	err := s.lock.Close()
	s.lock = nil
	return err
}

// Dir returns the state directory.
func (s *Store) Dir() string { return s.dir }

// Save writes a checkpoint of the sections atomically: to a temporary file,
// synced, renamed over "checkpoint" (the previous one kept as
// "checkpoint.prev"), and the directory synced. A crash at any point leaves
// a complete checkpoint, the new one or an earlier one.
func (s *Store) Save(sections ...Section) error {
	tmp, err := os.CreateTemp(s.dir, tempPrefix+"*")
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := Encode(tmp, s.seq+1, time.Now(), sections); err != nil {
		return err
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	cur := filepath.Join(s.dir, currentName)
	if err := os.Rename(cur, filepath.Join(s.dir, prevName)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("state: %w", err)
	}
	if err := os.Rename(tmp.Name(), cur); err != nil {
		return fmt.Errorf("state: %w", err)
	}
	ok = true
	s.seq++
	return syncDir(s.dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("state: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("state: sync %s: %w", dir, err)
	}
	return nil
}

// Load opens the newest usable checkpoint. If "checkpoint" is missing or
// damaged and "checkpoint.prev" is sound, it returns that one, with
// Checkpoint.Skipped saying why the newer one was not used: resuming from
// an older checkpoint reads some input again, it never skips any. With no
// checkpoint at all it returns ErrNoCheckpoint; if every checkpoint is
// damaged, their errors (ErrCorrupt, ErrVersion). The caller closes the
// Checkpoint.
func (s *Store) Load() (*Checkpoint, error) {
	cp, errCur := s.load(currentName)
	if errCur == nil {
		s.seq = max(s.seq, cp.Seq)
		return cp, nil
	}
	cp, errPrev := s.load(prevName)
	switch {
	case errPrev == nil:
		if !errors.Is(errCur, fs.ErrNotExist) {
			cp.Skipped = errCur
		}
		s.seq = max(s.seq, cp.Seq)
		return cp, nil
	case errors.Is(errCur, fs.ErrNotExist) && errors.Is(errPrev, fs.ErrNotExist):
		return nil, ErrNoCheckpoint
	case errors.Is(errPrev, fs.ErrNotExist):
		return nil, errCur
	case errors.Is(errCur, fs.ErrNotExist):
		return nil, errPrev
	}
	return nil, errors.Join(errCur, errPrev)
}

func (s *Store) load(name string) (*Checkpoint, error) {
	p := filepath.Join(s.dir, name)
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("state: %w", err)
	}
	cp, err := Decode(f, fi.Size(), p)
	if err != nil {
		f.Close()
		return nil, err
	}
	cp.closer = f
	return cp, nil
}

// Checkpoint is a loaded checkpoint. Its sections are read from the file on
// demand, until Close.
type Checkpoint struct {
	Seq  uint64    // sequence number: one more than the checkpoint before
	Time time.Time // when it was written
	// Skipped is why a newer checkpoint was passed over for this one, or
	// nil.
	Skipped error

	entries []entry
	r       io.ReaderAt
	closer  io.Closer
}

// Names returns the section names, in the order they were saved.
func (c *Checkpoint) Names() []string {
	out := make([]string, len(c.entries))
	for i, e := range c.entries {
		out[i] = e.name
	}
	return out
}

// Section returns a reader of the named section (ErrNoSection if there is
// none).
func (c *Checkpoint) Section(name string) (*io.SectionReader, error) {
	for _, e := range c.entries {
		if e.name == name {
			return io.NewSectionReader(c.r, e.off, e.length), nil
		}
	}
	return nil, fmt.Errorf("%w: %q", ErrNoSection, name)
}

// Bytes returns the named section's bytes, for small sections.
func (c *Checkpoint) Bytes(name string) ([]byte, error) {
	sr, err := c.Section(name)
	if err != nil {
		return nil, err
	}
	b := make([]byte, sr.Size())
	if _, err := io.ReadFull(sr, b); err != nil {
		return nil, fmt.Errorf("state: section %s: %w", name, err)
	}
	return b, nil
}

// Close closes the checkpoint's file.
func (c *Checkpoint) Close() error {
	if c.closer == nil {
		return nil
	}
	err := c.closer.Close()
	c.closer = nil
	return err
}

// BytesSection makes a Section of bytes already at hand.
func BytesSection(name string, b []byte) Section {
	return Section{Name: name, Data: bytesWriterTo(b)}
}

type bytesWriterTo []byte

func (b bytesWriterTo) WriteTo(w io.Writer) (int64, error) {
	n, err := w.Write(b)
	return int64(n), err
}
