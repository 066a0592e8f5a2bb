package tetraparse

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Inputs expands its arguments into the list of files to parse: a file
// named is always kept, a directory contributes its Tetragon export files
// (see ExpandInputs) in rotation order. It is ExpandInputs without the
// list of skipped directory entries.
func Inputs(args ...string) ([]string, error) {
	files, _, err := ExpandInputs(args...)
	return files, err
}

// SkippedInput is a directory entry ExpandInputs did not take, and why.
type SkippedInput struct {
	// Path is the entry's path, under the directory given.
	Path string
	// Reason is a short phrase, such as "directory (not descended into)".
	Reason string
}

// The reasons of SkippedInput.
const (
	skipHidden     = "hidden (name starts with '.')"
	skipDirectory  = "directory (not descended into)"
	skipNotRegular = "not a regular file"
	skipNotExport  = "not a Tetragon export file name (*.log, *.json, *.jsonl, optionally .gz)"
	skipCompressed = "compressed copy of a file also present (being compressed, or left over): the uncompressed file is read"
)

// ExpandInputs expands its arguments into the files to parse, and lists
// the directory entries it skipped. A file named as an argument is always
// kept, whatever its name. A directory contributes its regular files (or
// symbolic links to regular files; a broken link is an error) whose names
// are those of Tetragon's JSON export: ending in ".log", ".json" or
// ".jsonl", optionally followed by ".gz". That covers the rotated backups
// Tetragon writes (name-<time>.log, compressed name-<time>.log.gz) and
// numbered ones (name-00001.json.gz). Other entries are skipped and
// listed: hidden names, subdirectories, other file names (a README, a CSV,
// logrotate's name.log.1; name such files to read them), and a backup's
// .gz when its uncompressed file is present too (Tetragon compresses a
// backup beside it and removes it when done: the .gz may be incomplete).
//
// Files of a directory come in rotation order. Rotated backups carry a
// timestamp or a sequence number in their names and sort lexically,
// before the active file of the set (the one whose name holds no digit),
// which was written last. A file reached twice (a link to a file already
// listed, a file named twice) is listed once, at its first place: its
// events would otherwise be read twice.
func ExpandInputs(args ...string) (files []string, skipped []SkippedInput, err error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, nil, fmt.Errorf("tetraparse: input %s: %w", a, err)
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, nil, fmt.Errorf("tetraparse: input %s: %w", a, err)
		}
		var names []string
		present := map[string]bool{}
		skip := func(name, reason string) {
			skipped = append(skipped, SkippedInput{Path: filepath.Join(a, name), Reason: reason})
		}
		for _, e := range entries {
			name := e.Name()
			if strings.HasPrefix(name, ".") {
				skip(name, skipHidden)
				continue
			}
			typ := e.Type()
			if typ&fs.ModeSymlink != 0 {
				fi, err := os.Stat(filepath.Join(a, name))
				if err != nil {
					return nil, nil, fmt.Errorf("tetraparse: input %s: %w", filepath.Join(a, name), err)
				}
				typ = fi.Mode().Type()
			}
			switch {
			case typ.IsDir():
				skip(name, skipDirectory)
			case !typ.IsRegular():
				skip(name, skipNotRegular)
			case !isExportName(name):
				skip(name, skipNotExport)
			default:
				names = append(names, name)
				present[name] = true
			}
		}
		names = slices.DeleteFunc(names, func(n string) bool {
			if plain, ok := strings.CutSuffix(n, ".gz"); ok && present[plain] {
				skip(n, skipCompressed)
				return true
			}
			return false
		})
		slices.SortFunc(names, func(x, y string) int {
			ax, ay := !strings.ContainsAny(x, "0123456789"), !strings.ContainsAny(y, "0123456789")
			if ax != ay {
				if ax {
					return 1
				}
				return -1
			}
			return strings.Compare(x, y)
		})
		for _, n := range names {
			out = append(out, filepath.Join(a, n))
		}
	}
	files, err = distinctFiles(out)
	if err != nil {
		return nil, nil, err
	}
	return files, skipped, nil
}

// isExportName reports whether a file name is one of Tetragon's JSON
// export: *.log, *.json or *.jsonl, optionally gzip'd (*.gz).
func isExportName(name string) bool {
	base := strings.TrimSuffix(name, ".gz")
	for _, ext := range []string{".log", ".json", ".jsonl"} {
		if len(base) > len(ext) && strings.HasSuffix(base, ext) {
			return true
		}
	}
	return false
}

// distinctFiles drops the paths that name a file an earlier path names.
func distinctFiles(paths []string) ([]string, error) {
	var seen []os.FileInfo
	out := paths[:0]
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, fmt.Errorf("tetraparse: input %s: %w", p, err)
		}
		if slices.ContainsFunc(seen, func(s os.FileInfo) bool { return os.SameFile(s, fi) }) {
			continue
		}
		seen = append(seen, fi)
		out = append(out, p)
	}
	return out, nil
}
