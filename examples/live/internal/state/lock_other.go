//go:build !unix

package state

import (
	"fmt"
	"os"
)

// lockDir only creates the lock file where advisory locks are not
// available: two processes on one directory are not detected there.
func lockDir(path string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("state: %w", err)
	}
	return f, nil
}
