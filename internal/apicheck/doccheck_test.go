package apicheck

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEveryExportedNameIsDocumented fails for every exported identifier of
// a public package without a doc comment (see Undocumented for the rules).
func TestEveryExportedNameIsDocumented(t *testing.T) {
	root := filepath.Join("..", "..")
	pkgs, err := Packages(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range pkgs {
		missing, err := Undocumented(filepath.Join(root, pkg))
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range missing {
			t.Errorf("%s: %s", pkg, m)
		}
	}
}

// TestUndocumentedFindsWhatIsMissing runs the check on a package written
// for it, so that the test above cannot pass by finding nothing.
func TestUndocumentedFindsWhatIsMissing(t *testing.T) {
	dir := t.TempDir()
	src := `package p

// Documented is documented; its field X is documented here.
type Documented struct {
	X int
	// A is documented above.
	A int
	B int // B is documented on its line.
	C, D string
	E int

	// F and G are a documented run.
	F int
	G int
	h int
}

type Bare int

// Wrong does not begin with the name of the type below.
type Named int

// The Article is allowed.
type Article int

func Func() {}

// Closed is not Close.
func Close() {}

// M is documented.
func (Documented) M() {}

func (Documented) N() {}

func (Bare) O() {}

func (documented) P() {}

type documented int

const Loose = 1

// Grouped constants share the group's comment.
const (
	G1 = iota
	G2
)

const (
	H1 = iota // H1 has a line comment.
	H2
)

var V = 1

// I is an interface.
type I interface {
	// Doc is documented.
	Doc()
	Undoc()
}
`
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Undocumented(dir)
	if err != nil {
		t.Fatal(err)
	}
	var short []string
	for _, g := range got {
		if _, what, ok := strings.Cut(g, ": "); ok {
			g = what
		}
		short = append(short, g)
	}
	want := []string{
		"const H2 has no doc comment",
		"const Loose has no doc comment",
		"field Documented.C has no doc comment",
		"field Documented.D has no doc comment",
		"field Documented.E has no doc comment",
		"func Close's doc comment does not begin with Close",
		"func Func has no doc comment",
		"method Bare.O has no doc comment",
		"method Documented.N has no doc comment",
		"method I.Undoc has no doc comment",
		"package p has no package doc",
		"type Bare has no doc comment",
		"type Named's doc comment does not begin with Named",
		"var V has no doc comment",
	}
	have := map[string]bool{}
	for _, s := range short {
		have[s] = true
	}
	for _, w := range want {
		if !have[w] {
			t.Errorf("not reported: %s", w)
		}
	}
	if len(short) != len(want) {
		t.Errorf("reported %d problems, want %d:\n%s", len(short), len(want), strings.Join(short, "\n"))
	}
}

// TestPackageDocsOpenWithUse checks that every public package doc opens
// with its use in code and closes with the sections users look for, in
// one order (see PackageDocProblems).
func TestPackageDocsOpenWithUse(t *testing.T) {
	root := filepath.Join("..", "..")
	pkgs, err := Packages(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range pkgs {
		problems, err := PackageDocProblems(filepath.Join(root, pkg))
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range problems {
			t.Errorf("%s: %s", pkg, p)
		}
	}
}

func TestPackageDocProblems(t *testing.T) {
	for _, c := range []struct {
		doc  string
		want []string
	}{
		{"// Package p does things.\n//\n//\tp.Do()\n//\n// # Parity\n//\n// Same.\n//\n// # Concurrency and ownership\n//\n// Safe.\n", nil},
		{"// Package p does things.\n//\n// # Concurrency and ownership\n//\n// Safe.\n", []string{"package p: no code showing its use before the first heading"}},
		{"// Package p does things.\n//\n//\tp.Do()\n//\n// # Cost\n//\n// Cheap.\n//\n// # Concurrency and ownership\n//\n// Safe.\n", []string{`package p: section "Concurrency and ownership" out of order (want Parity, Concurrency and ownership, Cost, Format)`}},
		{"// Package p does things.\n//\n//\tp.Do()\n//\n// # Concurrency\n//\n// Safe.\n", []string{`package p: heading "Concurrency": name it "Concurrency and ownership"`, `package p: no "Concurrency and ownership" section`}},
	} {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "doc.go"), []byte(c.doc+"package p\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		got, err := PackageDocProblems(dir)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(got, "\n") != strings.Join(c.want, "\n") {
			t.Errorf("doc %q:\ngot  %q\nwant %q", c.doc, got, c.want)
		}
	}
}
