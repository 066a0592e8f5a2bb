package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

type buildError struct {
	err error
	out []byte
}

func (e *buildError) Error() string { return fmt.Sprintf("go build: %v\n%s", e.err, e.out) }

// TestMain removes the program built for the tests and the scoring
// fixture's files.
func TestMain(m *testing.M) {
	code := m.Run()
	if binPath != "" {
		os.RemoveAll(filepath.Dir(binPath))
	}
	if fixtureDir != "" {
		os.RemoveAll(fixtureDir)
	}
	os.Exit(code)
}
