package synth

import (
	"bufio"
	"compress/gzip"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Tetragon's file export (its lumberjack writer, --export-filename
// tetragon.log) appends to the active file and, when that is full, renames
// it to a backup named after the rotation time in UTC, in lumberjack's
// backup time format, and gzips the backup with --export-file-compress
// (name + ".gz", the uncompressed backup removed once done).
const (
	// ActiveName is the name of an export set's active file.
	ActiveName = "tetragon.log"
	// BackupTimeFormat is lumberjack's layout of a backup's rotation time.
	BackupTimeFormat = "2006-01-02T15-04-05.000"
)

// BackupName returns the name lumberjack gives the backup of ActiveName
// rotated at t (with ".gz" when compressed).
func BackupName(t time.Time, compressed bool) string {
	name := "tetragon-" + t.UTC().Format(BackupTimeFormat) + ".log"
	if compressed {
		name += ".gz"
	}
	return name
}

// Time returns the time of the event Next returned last.
func (g *Generator) Time() time.Time { return g.now }

// WriteExport writes the generator's remaining events into dir as a
// rotated export set: backups of perFile events each, named by BackupName
// (gzip'd when compress is set), then ActiveName holding the rest. A
// backup's rotation time is that of the event whose write rotated it, the
// first of the next file, so backup names sort in event-time order. Two
// rotations within one millisecond (a tiny perFile at a high rate) would
// give lumberjack one name for two backups, the second replacing the
// first; here the later one moves on by a millisecond instead, so that no
// event is lost and the order stays. observe, when not nil, sees every
// line written. Each file is written under a hidden temporary name and
// renamed into place when complete, with mode 0600, Tetragon's default
// --export-file-perm; a missing dir is made with mode 0755, as lumberjack
// makes it.
func (g *Generator) WriteExport(dir string, perFile int, compress bool, observe func(line []byte)) error {
	if perFile <= 0 {
		return fmt.Errorf("synth: %d events per file: must be positive", perFile)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var (
		pending    []byte // the line that rotated the previous file
		lastBackup time.Time
	)
	for g.n < g.cfg.Events || pending != nil {
		f, err := os.CreateTemp(dir, ".tetragon.tmp*")
		if err != nil {
			return err
		}
		tmp := f.Name()
		remaining := g.cfg.Events - g.n
		if pending != nil {
			remaining++
		}
		backup := remaining > perFile
		gz := compress && backup
		err = writeExportFile(f, gz, func(w io.Writer) error {
			n := 0
			if pending != nil {
				if observe != nil {
					observe(pending)
				}
				if _, err := w.Write(pending); err != nil {
					return err
				}
				pending, n = nil, 1
			}
			for ; n < perFile && g.n < g.cfg.Events; n++ {
				line := g.Next()
				if observe != nil {
					observe(line)
				}
				if _, err := w.Write(line); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			os.Remove(tmp)
			return err
		}
		name := ActiveName
		if backup {
			pending = append([]byte(nil), g.Next()...)
			at := g.now.Truncate(time.Millisecond)
			if !at.After(lastBackup) {
				at = lastBackup.Add(time.Millisecond)
			}
			lastBackup = at
			name = BackupName(at, gz)
		}
		if err := os.Rename(tmp, filepath.Join(dir, name)); err != nil {
			os.Remove(tmp)
			return err
		}
	}
	return nil
}

// writeExportFile fills f through a buffer (and gzip when gz) and closes it.
func writeExportFile(f *os.File, gz bool, fill func(io.Writer) error) error {
	err := f.Chmod(0o600) // CreateTemp's mode already; said again because it is the point
	if err == nil {
		var w io.Writer = f
		var zw *gzip.Writer
		if gz {
			zw = gzip.NewWriter(f)
			w = zw
		}
		bw := bufio.NewWriterSize(w, 1<<20)
		err = fill(bw)
		if err == nil {
			err = bw.Flush()
		}
		if err == nil && zw != nil {
			err = zw.Close()
		}
	}
	if e := f.Close(); err == nil {
		err = e
	}
	if err != nil {
		return fmt.Errorf("synth: %s: %w", f.Name(), err)
	}
	return nil
}
