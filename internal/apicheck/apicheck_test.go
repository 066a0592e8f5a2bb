package apicheck

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the api/*.txt snapshots")

// TestAPISnapshot fails when a package's exported API differs from its
// committed snapshot. After an intended change run
//
//	go test ./internal/apicheck -update
//
// and commit the api/ files with the change, so reviewers see the API diff.
func TestAPISnapshot(t *testing.T) {
	root := filepath.Join("..", "..")
	pkgs, err := Packages(root)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkgs) == 0 {
		t.Fatal("no packages found")
	}
	want := map[string]bool{}
	for _, pkg := range pkgs {
		name := strings.ReplaceAll(pkg, "/", "_")
		if pkg == "." {
			name = "tetrahids"
		}
		file := filepath.Join(root, "api", name+".txt")
		want[filepath.Base(file)] = true
		got, err := Render(filepath.Join(root, pkg))
		if err != nil {
			t.Fatal(err)
		}
		if *update {
			if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		old, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("package %s has no API snapshot %s: run go test ./internal/apicheck -update", pkg, file)
			continue
		}
		if string(old) != got {
			t.Errorf("exported API of %s changed; review and run go test ./internal/apicheck -update\n%s", pkg, lineDiff(string(old), got))
		}
	}
	snaps, _ := filepath.Glob(filepath.Join(root, "api", "*.txt"))
	for _, s := range snaps {
		if !want[filepath.Base(s)] {
			if *update {
				os.Remove(s)
				continue
			}
			t.Errorf("stale API snapshot %s for a package that no longer exists", s)
		}
	}
}

func lineDiff(a, b string) string {
	in := func(s string) map[string]bool {
		m := map[string]bool{}
		for _, l := range strings.Split(s, "\n") {
			m[l] = true
		}
		return m
	}
	am, bm := in(a), in(b)
	var out []string
	for _, l := range strings.Split(a, "\n") {
		if !bm[l] {
			out = append(out, "- "+l)
		}
	}
	for _, l := range strings.Split(b, "\n") {
		if !am[l] {
			out = append(out, "+ "+l)
		}
	}
	return strings.Join(out, "\n")
}

func TestRenderSkipsUnexported(t *testing.T) {
	dir := t.TempDir()
	src := `package p
type T struct { A int; b int }
type u struct{}
func (T) M() {}
func (u) N() {}
func F(x int) (string, error) { return "", nil }
const C = 1
var v = 2
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Render(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := "pkg p, const C\npkg p, func F(x int) (string, error)\npkg p, method (T) M()\npkg p, type T struct\npkg p, type T struct, A int\n"
	if got != want {
		t.Fatalf("got\n%s\nwant\n%s", got, want)
	}
}
