package follow_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/tetrahids/tetrahids/examples/live/internal/follow"
)

func ExampleFollower() {
	dir, _ := os.MkdirTemp("", "follow")
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "tetragon.log")
	os.WriteFile(path, []byte("{\"process_exec\":{}}\n{\"process_exit\":{}}\n{\"partial"), 0o600)

	f, err := follow.New(path, follow.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	defer f.Close()
	for {
		line, err := f.Next(context.Background(), 10*time.Millisecond)
		if err != nil {
			fmt.Println(err) // the partial line waits for its newline
			break
		}
		fmt.Printf("%s ends at %d\n", line.Text, line.Pos.Offset)
	}
	// Output:
	// {"process_exec":{}} ends at 20
	// {"process_exit":{}} ends at 40
	// follow: no line within the wait
}
