package main

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"unicode"
)

// The output directory is built as a temporary sibling of -out and renamed
// into place only when everything succeeded, so -out is never left half
// written, and a failed run leaves the previous corpus untouched.

// prepareOut checks -out and creates the temporary build directory beside
// it. It returns the absolute -out path and the temporary directory.
func prepareOut(o *Options) (abs, tmp string, err error) {
	abs, err = filepath.Abs(o.Out)
	if err != nil {
		return "", "", err
	}
	if err := checkReplaceable(abs); err != nil {
		return "", "", err
	}
	if o.NoAnonymize && !o.Force {
		if why := releaseLike(abs); why != "" {
			return "", "", fmt.Errorf("-no-anonymize: refusing to write %s: %s; a release must be anonymized (pass -force if this really is a local research copy)", abs, why)
		}
	}
	parent := filepath.Dir(abs)
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return "", "", err
	}
	tmp, err = os.MkdirTemp(parent, "."+filepath.Base(abs)+".tmp-")
	if err != nil {
		return "", "", err
	}
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", "", err
	}
	return abs, tmp, nil
}

// checkReplaceable accepts an -out that does not exist, is an empty
// directory, or is a corpus this command built before (it has stats.json,
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
		return fmt.Errorf("-out %s exists and is not a directory", abs)
	}
	entries, err := os.ReadDir(abs)
	if err != nil {
		return err
	}
	if len(entries) == 0 {
		return nil
	}
	for _, p := range []string{"stats.json", "data", filepath.Join("reproduction", "feature_definitions.json")} {
		if _, err := os.Stat(filepath.Join(abs, p)); err != nil {
			return fmt.Errorf("-out %s is not empty and not a corpus built by this command (no %s); refusing to replace it", abs, p)
		}
	}
	return nil
}

// releaseLike says why a -no-anonymize output at abs might be, or might
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

// commitOut moves the finished temporary directory to abs, replacing a
// previous corpus there (checked again, since time has passed).
func commitOut(tmp, abs string) error {
	if err := checkReplaceable(abs); err != nil {
		return err
	}
	if _, err := os.Stat(abs); errors.Is(err, os.ErrNotExist) {
		return os.Rename(tmp, abs)
	}
	old, err := os.MkdirTemp(filepath.Dir(abs), "."+filepath.Base(abs)+".old-")
	if err != nil {
		return err
	}
	if err := os.Remove(old); err != nil { // only the unique name is wanted
		return err
	}
	if err := os.Rename(abs, old); err != nil {
		return err
	}
	if err := os.Rename(tmp, abs); err != nil {
		if e := os.Rename(old, abs); e != nil {
			return fmt.Errorf("%w (and restoring the previous corpus from %s failed: %v)", err, old, e)
		}
		return err
	}
	return os.RemoveAll(old)
}
