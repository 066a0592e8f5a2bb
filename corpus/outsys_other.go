//go:build !unix

package corpus

// exchange is not available here: the commit uses two renames.
func exchange(a, b string) error { return errNoExchange }

// syncDir: directories cannot be synced here; the files are.
func syncDir(string) error { return nil }

// isMountPoint cannot tell here.
func isMountPoint(string) (bool, error) { return false, nil }
