package apicheck

import (
	"fmt"
	"go/ast"
	"go/doc/comment"
	"go/parser"
	"go/token"
	"os"
	"strings"
)

// docSections are the sections a package doc closes with, in this order,
// each where it applies; "Concurrency and ownership" applies everywhere.
var docSections = []string{"Parity", "Concurrency and ownership", "Cost", "Format"}

// PackageDocProblems checks the shape of the package doc of the package in
// dir: it opens with what the package is for and a use in code (a code
// block before the first heading), and its closing sections, named
// exactly as in docSections, come in that order, with "Concurrency and
// ownership" present. It returns the problems found, none when the doc has
// that shape.
func PackageDocProblems(dir string) ([]string, error) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments|parser.PackageClauseOnly)
	if err != nil {
		return nil, err
	}
	var out []string
	for name, pkg := range pkgs {
		var docs []*ast.CommentGroup
		for _, f := range pkg.Files {
			if hasText(f.Doc) {
				docs = append(docs, f.Doc)
			}
		}
		if len(docs) != 1 {
			out = append(out, fmt.Sprintf("package %s: %d files carry a package doc, want 1", name, len(docs)))
			continue
		}
		var p comment.Parser
		d := p.Parse(docs[0].Text())
		codeFirst, seenHeading := false, false
		var order []string
		for _, b := range d.Content {
			switch b := b.(type) {
			case *comment.Code:
				if !seenHeading {
					codeFirst = true
				}
			case *comment.Heading:
				seenHeading = true
				var t strings.Builder
				for _, x := range b.Text {
					if p, ok := x.(comment.Plain); ok {
						t.WriteString(string(p))
					}
				}
				h := t.String()
				for _, s := range docSections {
					if h == s {
						order = append(order, h)
					} else if strings.HasPrefix(h, strings.Fields(s)[0]) {
						out = append(out, fmt.Sprintf("package %s: heading %q: name it %q", name, h, s))
					}
				}
			}
		}
		if !codeFirst {
			out = append(out, fmt.Sprintf("package %s: no code showing its use before the first heading", name))
		}
		want := 0
		concurrency := false
		for _, h := range order {
			i := indexOf(docSections, h)
			if i < want {
				out = append(out, fmt.Sprintf("package %s: section %q out of order (want %s)", name, h, strings.Join(docSections, ", ")))
			}
			want = i
			concurrency = concurrency || h == "Concurrency and ownership"
		}
		if !concurrency {
			out = append(out, fmt.Sprintf("package %s: no \"Concurrency and ownership\" section", name))
		}
	}
	return out, nil
}

func indexOf(xs []string, x string) int {
	for i, y := range xs {
		if x == y {
			return i
		}
	}
	return -1
}
