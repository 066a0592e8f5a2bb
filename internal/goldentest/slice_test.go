package goldentest

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"sort"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/parity from ../shared")

// TestParitySlice checks that the committed parity slice is what the
// selection makes of the full shared goldens (so it cannot drift from
// them), and with -update rewrites it:
//
//	go test ./internal/goldentest -run TestParitySlice -update
//
// Without ../shared it checks what it can: every file is there, and every
// golden row's line is a line of the sliced input.
func TestParitySlice(t *testing.T) {
	slice := SliceDir()
	if Dir() == "" {
		if *update {
			t.Fatal("-update needs ../shared beside the module")
		}
		checkSliceAlone(t, slice)
		return
	}
	want, err := sliceFiles(filepath.Dir(Dir()))
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(want))
	for n := range want {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		path := filepath.Join(slice, filepath.FromSlash(n))
		if *update {
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(path, want[n], 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		got, err := os.ReadFile(path)
		if err != nil {
			t.Errorf("%s: %v (go test ./internal/goldentest -run TestParitySlice -update writes it)", n, err)
			continue
		}
		if !bytes.Equal(got, want[n]) {
			t.Errorf("%s differs from the slice of ../shared; rerun with -update if the goldens changed", n)
		}
	}
	train, _ := readGoldenLines(filepath.Join(slice, "golden", "sample-train.golden.jsonl.gz"))
	small, _ := readGoldenLines(filepath.Join(slice, "golden", "sample-small.golden.jsonl.gz"))
	t.Logf("parity slice: %d train rows, %d test rows", len(train), len(small))
}

func checkSliceAlone(t *testing.T, slice string) {
	for _, s := range []struct{ golden, input string }{
		{"sample-train", "sample-train.jsonl"},
		{"sample-small", "sample-small.jsonl"},
	} {
		rows, err := readGoldenLines(filepath.Join(slice, "golden", s.golden+".golden.jsonl.gz"))
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) < 100 {
			t.Errorf("%s: %d rows in the slice, want a few hundred", s.golden, len(rows))
		}
		data, err := os.ReadFile(filepath.Join(slice, "tetragon", s.input))
		if err != nil {
			t.Fatal(err)
		}
		lines := bytes.Split(data, []byte("\n"))
		for _, r := range rows {
			if r.line < 1 || r.line > len(lines) || len(bytes.TrimSpace(lines[r.line-1])) == 0 {
				t.Errorf("%s: golden row of line %d has no input line", s.golden, r.line)
			}
		}
	}
}
