package tetraparse

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Inputs expands its arguments into the list of files to parse: a file is
// kept as is, a directory contributes its regular files (or symbolic links
// to regular files; a broken link is an error) whose names do not start
// with '.', in rotation order. Rotated backups carry a timestamp or a
// sequence number in their names and sort lexically, before the active file
// of the set (the one whose name holds no digit), which was written last.
// A file reached twice (a link to a file already listed, a file named
// twice) is listed once, at its first place: its events would otherwise
// be read twice.
func Inputs(args ...string) ([]string, error) {
	var out []string
	for _, a := range args {
		fi, err := os.Stat(a)
		if err != nil {
			return nil, fmt.Errorf("tetraparse: input %s: %w", a, err)
		}
		if !fi.IsDir() {
			out = append(out, a)
			continue
		}
		entries, err := os.ReadDir(a)
		if err != nil {
			return nil, fmt.Errorf("tetraparse: input %s: %w", a, err)
		}
		var names []string
		for _, e := range entries {
			if strings.HasPrefix(e.Name(), ".") {
				continue
			}
			typ := e.Type()
			if typ&fs.ModeSymlink != 0 {
				fi, err := os.Stat(filepath.Join(a, e.Name()))
				if err != nil {
					return nil, fmt.Errorf("tetraparse: input %s: %w", filepath.Join(a, e.Name()), err)
				}
				typ = fi.Mode().Type()
			}
			if typ.IsRegular() {
				names = append(names, e.Name())
			}
		}
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
	return distinctFiles(out)
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
