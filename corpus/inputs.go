package corpus

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/tetrahids/tetrahids/internal/numfmt"
	"github.com/tetrahids/tetrahids/tetraparse"
)

// inputSet is one list of input files: "train", "test", or "all" (split
// by the cut).
type inputSet struct {
	name    string
	args    []string // as given
	files   []string
	skipped []tetraparse.SkippedInput // directory entries that are not export files
	bytes   int64                     // total size on disk, for progress and throughput
}

// maxSkippedListed bounds the skipped entries a message lists.
const maxSkippedListed = 5

// expandInputs turns Config.In-style arguments into files with
// tetraparse.ExpandInputs (directories become their Tetragon export
// files, oldest first; other entries are skipped) and sums their sizes.
// Arguments that leave no file are an error naming what was skipped.
func expandInputs(name string, args []string) (inputSet, error) {
	set := inputSet{name: name, args: args}
	if len(args) == 0 {
		return set, nil
	}
	files, skipped, err := tetraparse.ExpandInputs(args...)
	if pe := (*fs.PathError)(nil); errors.As(err, &pe) {
		return set, fmt.Errorf("%s: %w", pe.Path, pe.Err) // not Go's "stat …"
	} else if err != nil {
		return set, err
	}
	set.skipped = skipped
	if len(files) == 0 {
		what := "it is empty"
		if len(skipped) > 0 {
			what = "skipped " + listSkipped(skipped)
		}
		return set, fmt.Errorf("%s: %w (%s)", strings.Join(args, ", "), ErrNoInputFiles, what)
	}
	for _, f := range files {
		fi, err := os.Stat(f)
		if err != nil {
			return set, err
		}
		set.bytes += fi.Size()
	}
	set.files = files
	return set, nil
}

// listSkipped names the first few skipped entries and why, and how many
// more there are.
func listSkipped(skipped []tetraparse.SkippedInput) string {
	var parts []string
	for i, s := range skipped {
		if i == maxSkippedListed {
			parts = append(parts, fmt.Sprintf("and %d more", len(skipped)-i))
			break
		}
		parts = append(parts, fmt.Sprintf("%s: %s", s.Path, s.Reason))
	}
	return strings.Join(parts, "; ")
}

// warnSkipped warns, once per input set, about the directory entries
// that were not read.
func (c *Config) warnSkipped(set inputSet) {
	if len(set.skipped) > 0 {
		c.warn("%s inputs: skipped %s (not Tetragon export; name such a file as an input to read it): %s",
			set.name, numfmt.Count(int64(len(set.skipped)), "directory entry", "directory entries"), listSkipped(set.skipped))
	}
}

// inputLabel names an input set's files for messages: the directory or
// file when there is one, else the count.
func inputLabel(set inputSet) string {
	if len(set.files) == 1 {
		return set.files[0]
	}
	dir := filepath.Dir(set.files[0])
	for _, f := range set.files[1:] {
		if filepath.Dir(f) != dir {
			return numfmt.Count(int64(len(set.files)), "file", "files")
		}
	}
	return fmt.Sprintf("%s (%d files)", dir, len(set.files))
}
