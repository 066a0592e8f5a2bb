package corpus

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/tetrahids/tetrahids/tetraparse"
)

// inputSet is one list of input files: "train", "test", or "all" (split
// by the cut).
type inputSet struct {
	name  string
	files []string
	bytes int64 // total size on disk, for progress and throughput
}

// expandInputs turns Config.In-style arguments into files with
// tetraparse.Inputs (directories become their rotated files, oldest
// first) and sums their sizes.
func expandInputs(name string, args []string) (inputSet, error) {
	set := inputSet{name: name}
	if len(args) == 0 {
		return set, nil
	}
	files, err := tetraparse.Inputs(args...)
	if err != nil {
		return set, err
	}
	if len(files) == 0 {
		return set, fmt.Errorf("%s inputs %q: no files", name, args)
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

// inputLabel names an input set's files for messages: the directory or
// file when there is one, else the count.
func inputLabel(set inputSet) string {
	if len(set.files) == 1 {
		return set.files[0]
	}
	dir := filepath.Dir(set.files[0])
	for _, f := range set.files[1:] {
		if filepath.Dir(f) != dir {
			return fmt.Sprintf("%d files", len(set.files))
		}
	}
	return fmt.Sprintf("%s (%d files)", dir, len(set.files))
}
