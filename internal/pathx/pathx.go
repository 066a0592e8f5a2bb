// Package pathx holds the path helpers whose exact behaviour the reference
// pipeline fixes, shared by the lineage graph and the encoder so that both
// derive identical basenames.
package pathx

import "strings"

// Base returns the last '/'-separated element of p, exactly as Python's
// os.path.basename does for POSIX paths: everything after the last '/',
// the whole string when p has no '/', and "" when p is empty or ends in
// '/'.
//
// It deliberately differs from path.Base and filepath.Base, which strip
// trailing slashes and return "." for an empty path; the reference does
// neither, and its basenames feed hashed model features.
func Base(p string) string {
	return p[strings.LastIndexByte(p, '/')+1:]
}
