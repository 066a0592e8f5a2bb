// Package apicheck renders the exported API of the module's packages as
// text, one declaration per line, in the spirit of the Go tree's api/*.txt.
// Its test compares the rendering with the committed snapshots in api/ so an
// API change cannot land without its snapshot changing in the same commit.
package apicheck

import (
	"bytes"
	"fmt"
	"go/ast"
	"go/parser"
	"go/printer"
	"go/token"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Packages returns the import-path-relative directories of every public
// package under root (internal/, testdata/ and example programs excluded).
func Packages(root string) ([]string, error) {
	var dirs []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(root, path)
		base := d.Name()
		if rel != "." && (strings.HasPrefix(base, ".") || strings.HasPrefix(base, "_") || base == "testdata" || base == "internal" || base == "examples" || base == "api") {
			return filepath.SkipDir
		}
		files, _ := filepath.Glob(filepath.Join(path, "*.go"))
		for _, f := range files {
			if !strings.HasSuffix(f, "_test.go") {
				dirs = append(dirs, filepath.ToSlash(rel))
				break
			}
		}
		return nil
	})
	sort.Strings(dirs)
	return dirs, err
}

// Render returns the sorted exported declarations of the package in dir.
func Render(dir string) (string, error) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.SkipObjectResolution)
	if err != nil {
		return "", err
	}
	var lines []string
	for name, pkg := range pkgs {
		for _, f := range pkg.Files {
			for _, decl := range f.Decls {
				lines = append(lines, declLines(fset, name, decl)...)
			}
		}
	}
	sort.Strings(lines)
	return strings.Join(lines, "\n") + "\n", nil
}

func declLines(fset *token.FileSet, pkg string, decl ast.Decl) []string {
	p := "pkg " + pkg + ", "
	switch d := decl.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return nil
		}
		recv := ""
		if d.Recv != nil && len(d.Recv.List) > 0 {
			t := d.Recv.List[0].Type
			if !ast.IsExported(baseTypeName(t)) {
				return nil
			}
			recv = "(" + node(fset, t) + ") "
		}
		kind := "func "
		if recv != "" {
			kind = "method "
		}
		return []string{p + kind + recv + d.Name.Name + strings.TrimPrefix(node(fset, d.Type), "func")}
	case *ast.GenDecl:
		var out []string
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				if !s.Name.IsExported() {
					continue
				}
				out = append(out, typeLines(fset, p, s)...)
			case *ast.ValueSpec:
				kind := "var "
				if d.Tok == token.CONST {
					kind = "const "
				}
				for _, n := range s.Names {
					if n.IsExported() {
						l := p + kind + n.Name
						if s.Type != nil {
							l += " " + node(fset, s.Type)
						}
						out = append(out, l)
					}
				}
			}
		}
		return out
	}
	return nil
}

func typeLines(fset *token.FileSet, p string, s *ast.TypeSpec) []string {
	name := s.Name.Name
	switch t := s.Type.(type) {
	case *ast.StructType:
		out := []string{p + "type " + name + " struct"}
		for _, f := range t.Fields.List {
			for _, n := range f.Names {
				if n.IsExported() {
					out = append(out, p+"type "+name+" struct, "+n.Name+" "+node(fset, f.Type))
				}
			}
			if len(f.Names) == 0 { // embedded
				out = append(out, p+"type "+name+" struct, embedded "+node(fset, f.Type))
			}
		}
		return out
	case *ast.InterfaceType:
		out := []string{p + "type " + name + " interface"}
		for _, m := range t.Methods.List {
			for _, n := range m.Names {
				out = append(out, p+"type "+name+" interface, "+n.Name+strings.TrimPrefix(node(fset, m.Type), "func"))
			}
			if len(m.Names) == 0 {
				out = append(out, p+"type "+name+" interface, embedded "+node(fset, m.Type))
			}
		}
		return out
	}
	assign := " "
	if s.Assign.IsValid() {
		assign = " = "
	}
	return []string{p + "type " + name + assign + node(fset, s.Type)}
}

func baseTypeName(e ast.Expr) string {
	switch t := e.(type) {
	case *ast.StarExpr:
		return baseTypeName(t.X)
	case *ast.IndexExpr:
		return baseTypeName(t.X)
	case *ast.IndexListExpr:
		return baseTypeName(t.X)
	case *ast.Ident:
		return t.Name
	}
	return ""
}

func node(fset *token.FileSet, n ast.Node) string {
	var b bytes.Buffer
	if err := printer.Fprint(&b, fset, n); err != nil {
		return fmt.Sprintf("<%v>", err)
	}
	return strings.Join(strings.Fields(b.String()), " ")
}
