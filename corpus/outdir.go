package corpus

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// The output directory is built as a temporary sibling of Out and swapped
// into place only when everything succeeded (commit.go), so Out is never
// left half written, and a failed run leaves the previous corpus
// untouched.

// checkOut checks Config.Out and returns its absolute path.
func checkOut(c Config) (string, error) {
	abs, err := filepath.Abs(c.Out)
	if err != nil {
		return "", &ConfigError{Field: "Out", Err: err}
	}
	if mp, err := isMountPoint(abs); err != nil {
		return "", &ConfigError{Field: "Out", Err: err}
	} else if mp {
		return "", &ConfigError{Field: "Out", Err: fmt.Errorf("%s: %w", abs, ErrMountPoint)}
	}
	if err := checkReplaceable(abs); err != nil {
		return "", &ConfigError{Field: "Out", Err: err}
	}
	if c.NoAnonymize && !c.AllowReleaseLike {
		if why := releaseLike(abs); why != "" {
			return "", &ConfigError{Field: "Out", Err: fmt.Errorf("refusing to write %s without anonymization: %s; %w (pass -force, Config.AllowReleaseLike, if this really is a local research copy)", abs, why, ErrReleaseLike)}
		}
	}
	return abs, nil
}

// checkReplaceable accepts an Out that does not exist, is an empty
// directory, or is a corpus this package built before (it has stats.json,
// data/ and reproduction/feature_definitions.json); anything else would be
// destroyed by the final rename, so it is refused.
func checkReplaceable(abs string) error {
	fi, err := os.Stat(abs)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory", abs)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	for _, p := range corpusMarkers {
		if _, err := os.Stat(filepath.Join(abs, p)); err != nil {
			return fmt.Errorf("%s: %w (no %s); refusing to replace it", abs, ErrNotCorpus, p)
		}
	}
	return nil
}

// releaseLike says why a NoAnonymize output at abs might be, or might
// become, a release, or "" if nothing suggests it. An output looks like a
// release when
//
//   - a component of its path has the word "release" or "releases" (any
//     case, words split at anything but letters and digits), e.g.
//     ~/corpora/corpus-release-v0.3, /srv/releases/2026 or Release_2 (but
//     not prerelease or TestReleaseGuard);
//   - it already holds reproduction/alias_map.json, which only anonymized
//     builds (and downloaded releases) have, so a plain build would
//     replace an anonymized corpus;
//   - it is inside a Git repository that stores files with Git LFS (a
//     .gitattributes with filter=lfs in it or an ancestor), as clones of
//     Hugging Face dataset repositories are: one `git push` from
//     publication.
func releaseLike(abs string) string {
	for _, part := range strings.Split(filepath.ToSlash(abs), "/") {
		words := strings.FieldsFunc(strings.ToLower(part), func(r rune) bool {
			return !unicode.IsLetter(r) && !unicode.IsDigit(r)
		})
		for _, w := range words {
			if w == "release" || w == "releases" {
				return fmt.Sprintf("its path component %q says release", part)
			}
		}
	}
	if _, err := os.Stat(filepath.Join(abs, "reproduction", "alias_map.json")); err == nil {
		return "it holds reproduction/alias_map.json (an anonymized corpus)"
	}
	for dir := abs; ; {
		data, err := os.ReadFile(filepath.Join(dir, ".gitattributes"))
		if err == nil && bytes.Contains(data, []byte("filter=lfs")) {
			return fmt.Sprintf("it is inside a Git LFS repository (%s), like a Hugging Face dataset clone", filepath.Join(dir, ".gitattributes"))
		}
		up := filepath.Dir(dir)
		if up == dir {
			return ""
		}
		dir = up
	}
}

// checkLineageOut checks Config.LineageOut against the output directory
// out (absolute) and returns its absolute path. The file must not be
// inside out, however the path gets there: through .., through a
// symbolic link on the way, or because out itself is a link. Its
// directory must exist, and it must not be a directory.
func checkLineageOut(path, out string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", err
	}
	resolved, err := resolvePath(path)
	if err != nil {
		return "", err
	}
	// A Plan without Out has no output locations.
	if out != "" && insideOut([]string{abs, resolved}, outLocations(out)) {
		return "", fmt.Errorf("%s: %w", path, ErrInsideOut)
	}
	if fi, err := os.Stat(filepath.Dir(resolved)); err != nil {
		return "", err
	} else if !fi.IsDir() {
		return "", fmt.Errorf("%s is not a directory", filepath.Dir(abs))
	}
	if fi, err := os.Stat(resolved); err == nil && fi.IsDir() {
		return "", fmt.Errorf("%s is a directory", path)
	}
	return abs, nil
}

// outLocations are the paths where the files of out (absolute) are or
// will be: its lexical path, the path its parent resolves to (the commit
// puts a directory there), and, while out is a link, the link's target.
func outLocations(out string) []string {
	outs := []string{out}
	if parent, err := resolvePath(filepath.Dir(out)); err == nil {
		outs = append(outs, filepath.Join(parent, filepath.Base(out)))
	}
	if r, err := resolvePath(out); err == nil {
		outs = append(outs, r)
	}
	return outs
}

// insideOut reports whether any of paths is inside (or is) any of outs.
func insideOut(paths, outs []string) bool {
	for _, o := range outs {
		for _, p := range paths {
			if within(p, o) {
				return true
			}
		}
	}
	return false
}

// checkInputsOutside refuses an input inside out (absolute), as named or
// as its links resolve: a directory argument, or a file it expands to.
func checkInputsOutside(set inputSet, out string) error {
	outs := outLocations(out)
	for _, p := range append(append([]string(nil), set.args...), set.files...) {
		abs, err := filepath.Abs(p)
		if err != nil {
			return err
		}
		resolved, err := resolvePath(p)
		if err != nil {
			return err
		}
		if insideOut([]string{abs, resolved}, outs) {
			return fmt.Errorf("%s: %w (%s)", p, ErrInputInsideOut, out)
		}
	}
	return nil
}

// resolvePath returns p as an absolute path with every symbolic link
// resolved, as the kernel would walk it: component by component, a link
// replaced by its target (a dangling one too: it would be followed when
// the file is created) and each .. applied to what the walk has reached.
// Components that do not exist are taken as they are.
func resolvePath(p string) (string, error) {
	if !filepath.IsAbs(p) {
		wd, err := os.Getwd()
		if err != nil {
			return "", err
		}
		p = wd + string(filepath.Separator) + p // not Join: it would apply .. lexically
	}
	return walkPath(p, 0)
}

func walkPath(p string, links int) (string, error) {
	cur := string(filepath.Separator)
	for _, part := range strings.Split(p, string(filepath.Separator)) {
		switch part {
		case "", ".":
			continue
		case "..":
			cur = filepath.Dir(cur)
			continue
		}
		next := filepath.Join(cur, part)
		fi, err := os.Lstat(next)
		if err != nil || fi.Mode()&os.ModeSymlink == 0 {
			cur = next
			continue
		}
		if links++; links > 255 {
			return "", fmt.Errorf("%s: too many levels of symbolic links", p)
		}
		target, err := os.Readlink(next)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(target) {
			target = cur + string(filepath.Separator) + target
		}
		if cur, err = walkPath(target, links); err != nil {
			return "", err
		}
	}
	return cur, nil
}

// within says whether path is dir or inside it (both clean and absolute).
func within(path, dir string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}
