package apicheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"sort"
	"strings"
)

// Undocumented lists the exported names of the package in dir that have
// no doc comment, as "file:line: what", sorted. It checks the package
// clause (some file must carry the package doc), every exported type,
// function, method (on an exported type), constant and variable, the
// exported fields of exported struct types and the methods of exported
// interfaces. A constant or variable is documented by its own comment or
// by the comment of its parenthesized group; a field by a comment above
// it or at the end of its line, or by the comment above the run of fields
// it belongs to (fields with no blank line between them) when that comment
// names it, as "Equal and NotEqual compare …" does, or by the type's doc
// comment when that names it ("Collapse maps every basename matching
// Pattern to Alias"). The doc comment
// of a function, method or type must begin with its name (after an
// optional "A", "An" or "The"), the form godoc and gopls expect.
func Undocumented(dir string) ([]string, error) {
	fset := token.NewFileSet()
	pkgs, err := parser.ParseDir(fset, dir, func(fi os.FileInfo) bool {
		return !strings.HasSuffix(fi.Name(), "_test.go")
	}, parser.ParseComments|parser.SkipObjectResolution)
	if err != nil {
		return nil, err
	}
	var out []string
	for name, pkg := range pkgs {
		c := docChecker{fset: fset}
		hasPkgDoc := false
		for _, f := range pkg.Files {
			if f.Doc != nil && strings.TrimSpace(f.Doc.Text()) != "" {
				hasPkgDoc = true
			}
			for _, d := range f.Decls {
				c.decl(d)
			}
		}
		if !hasPkgDoc {
			c.missing(token.NoPos, "package "+name+" has no package doc")
		}
		out = append(out, c.out...)
	}
	sort.Strings(out)
	return out, nil
}

type docChecker struct {
	fset *token.FileSet
	out  []string
}

func (c *docChecker) missing(pos token.Pos, what string) {
	if !pos.IsValid() {
		c.out = append(c.out, what)
		return
	}
	p := c.fset.Position(pos)
	c.out = append(c.out, fmt.Sprintf("%s:%d: %s", shortPath(p.Filename), p.Line, what))
}

func shortPath(p string) string {
	parts := strings.Split(p, string(os.PathSeparator))
	if len(parts) > 2 {
		parts = parts[len(parts)-2:]
	}
	return strings.Join(parts, "/")
}

func hasText(g *ast.CommentGroup) bool { return g != nil && strings.TrimSpace(g.Text()) != "" }

// startsWithName reports whether a doc comment begins with name, after
// an optional article.
func startsWithName(g *ast.CommentGroup, name string) bool {
	text := strings.TrimSpace(g.Text())
	for _, a := range []string{"A ", "An ", "The "} {
		text = strings.TrimPrefix(text, a)
	}
	rest, ok := strings.CutPrefix(text, name)
	if !ok {
		return false
	}
	// The name must end there: "Close" does not begin "Closed".
	return rest == "" || !isIdentRune(rune(rest[0]))
}

func isIdentRune(r rune) bool {
	return r == '_' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z'
}

func (c *docChecker) decl(d ast.Decl) {
	switch d := d.(type) {
	case *ast.FuncDecl:
		if !d.Name.IsExported() {
			return
		}
		what := "func " + d.Name.Name
		if d.Recv != nil && len(d.Recv.List) > 0 {
			recv := baseTypeName(d.Recv.List[0].Type)
			if !ast.IsExported(recv) {
				return
			}
			what = "method " + recv + "." + d.Name.Name
		}
		switch {
		case !hasText(d.Doc):
			c.missing(d.Pos(), what+" has no doc comment")
		case !startsWithName(d.Doc, d.Name.Name):
			c.missing(d.Pos(), what+"'s doc comment does not begin with "+d.Name.Name)
		}
	case *ast.GenDecl:
		for _, spec := range d.Specs {
			switch s := spec.(type) {
			case *ast.TypeSpec:
				if !s.Name.IsExported() {
					continue
				}
				doc := s.Doc
				if doc == nil && len(d.Specs) == 1 {
					doc = d.Doc
				}
				switch {
				case !hasText(doc):
					c.missing(s.Pos(), "type "+s.Name.Name+" has no doc comment")
				case !startsWithName(doc, s.Name.Name):
					c.missing(s.Pos(), "type "+s.Name.Name+"'s doc comment does not begin with "+s.Name.Name)
				}
				c.typeBody(s.Name.Name, doc, s.Type)
			case *ast.ValueSpec:
				for _, n := range s.Names {
					if !n.IsExported() {
						continue
					}
					if !hasText(s.Doc) && !hasText(s.Comment) && !hasText(d.Doc) {
						c.missing(n.Pos(), strings.ToLower(d.Tok.String())+" "+n.Name+" has no doc comment")
					}
				}
			}
		}
	}
}

// typeBody checks the exported fields of a struct and the methods of an
// interface.
func (c *docChecker) typeBody(typ string, typeDoc *ast.CommentGroup, e ast.Expr) {
	var list *ast.FieldList
	kind := "field"
	switch t := e.(type) {
	case *ast.StructType:
		list = t.Fields
	case *ast.InterfaceType:
		list, kind = t.Methods, "method"
	default:
		return
	}
	// runDoc is the comment above the first field of the run the current
	// field belongs to.
	var runDoc *ast.CommentGroup
	prevEnd := -1
	for _, f := range list.List {
		line := c.fset.Position(f.Pos()).Line
		if f.Doc != nil {
			line = c.fset.Position(f.Doc.Pos()).Line
		}
		if f.Doc != nil || line != prevEnd+1 {
			runDoc = f.Doc
		}
		prevEnd = c.fset.Position(f.End()).Line
		if f.Comment != nil {
			prevEnd = c.fset.Position(f.Comment.End()).Line
		}
		own := hasText(f.Doc) || hasText(f.Comment)
		names := f.Names
		if len(names) == 0 { // embedded
			continue
		}
		for _, n := range names {
			if n.IsExported() && !own && !mentions(runDoc, n.Name) && !mentions(typeDoc, n.Name) {
				c.missing(n.Pos(), kind+" "+typ+"."+n.Name+" has no doc comment")
			}
		}
	}
}

// mentions reports whether the comment holds name as a word.
func mentions(g *ast.CommentGroup, name string) bool {
	if !hasText(g) {
		return false
	}
	text := g.Text()
	for i := strings.Index(text, name); i >= 0; {
		end := i + len(name)
		if (i == 0 || !isIdentRune(rune(text[i-1]))) && (end == len(text) || !isIdentRune(rune(text[end]))) {
			return true
		}
		j := strings.Index(text[i+1:], name)
		if j < 0 {
			break
		}
		i += 1 + j
	}
	return false
}
