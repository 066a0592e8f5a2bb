package service

import (
	"io"
	"net/http"
	"sync"
	"testing"

	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
)

type followStats = follow.Stats

func followOptions(maxLine int) follow.Options { return follow.Options{MaxLineBytes: maxLine} }

// syncBuffer is a strings.Builder safe for the service's goroutine and the
// test's.
type syncBuffer struct {
	mu sync.Mutex
	b  []byte
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.b = append(s.b, p...)
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return string(s.b)
}

func get(t *testing.T, url string) string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return string(b)
}
