package state_test

import (
	"fmt"
	"os"

	"github.com/tetrahids/tetrahids/examples/live/internal/state"
)

func Example() {
	dir, _ := os.MkdirTemp("", "state")
	defer os.RemoveAll(dir)

	s, err := state.Open(dir)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer s.Close()
	s.Save(state.BytesSection("input", []byte("offset 1200")), state.BytesSection("counters", []byte("kept 17")))

	cp, err := s.Load()
	if err != nil {
		fmt.Println(err)
		return
	}
	defer cp.Close()
	pos, _ := cp.Bytes("input")
	fmt.Println(cp.Seq, cp.Names(), string(pos))
	// Output: 1 [input counters] offset 1200
}
