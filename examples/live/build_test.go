package main

import (
	"fmt"
	"sync"
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
