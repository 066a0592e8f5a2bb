package encode

import (
	"fmt"
	"strings"

	"github.com/tetrahids/tetrahids/internal/schemadoc"
	"github.com/tetrahids/tetrahids/schema"
)

// Tokens formats event tokens and parent→child pairs with the canonical
// format of a schema version (tables.token and tables.parent_child_pair).
// It is the one implementation: the encoder builds its token and
// parent_child_pair columns with it, and package anonymize regenerates them
// from aliased basenames with it. A Tokens is safe for concurrent use.
type Tokens struct {
	rules              []tokenRule
	unknown, none      string
	pair               []segment
	emptyWhenBothEmpty bool
}

type tokenRule struct {
	action, prefix string
	segs           []segment
}

// segment is a literal or a placeholder of a format.
type segment struct {
	lit string
	arg int // -1 for a literal
}

// Token placeholders in argument order.
var tokenArgs = []string{"action", "proc", "parent", "path_category", "dst_ip_category", "dst_port_category"}

func compileFormat(format string, args []string) ([]segment, error) {
	var segs []segment
	for format != "" {
		i := strings.IndexByte(format, '{')
		if i < 0 {
			segs = append(segs, segment{lit: format, arg: -1})
			break
		}
		if i > 0 {
			segs = append(segs, segment{lit: format[:i], arg: -1})
		}
		j := strings.IndexByte(format[i:], '}')
		if j < 0 {
			return nil, fmt.Errorf("unclosed placeholder in %q", format)
		}
		name := format[i+1 : i+j]
		k := -1
		for a, n := range args {
			if n == name {
				k = a
			}
		}
		if k < 0 {
			return nil, fmt.Errorf("unknown placeholder {%s}", name)
		}
		segs = append(segs, segment{arg: k})
		format = format[i+j+1:]
	}
	return segs, nil
}

// NewTokens compiles the token formats of defs.
func NewTokens(defs *schema.Definitions) (*Tokens, error) {
	if defs == nil {
		defs = schema.Default()
	}
	tables := &schemadoc.Of(defs).Tables
	t := &Tokens{unknown: tables.Token.Unknown, none: tables.Token.None, emptyWhenBothEmpty: tables.ParentChildPair.EmptyWhenBothEmpty}
	for _, r := range tables.Token.Formats {
		segs, err := compileFormat(r.Format, tokenArgs)
		if err != nil {
			return nil, fmt.Errorf("encode: tables.token: %w", err)
		}
		t.rules = append(t.rules, tokenRule{action: r.Action, prefix: r.ActionPrefix, segs: segs})
	}
	segs, err := compileFormat(tables.ParentChildPair.Format, []string{"parent", "child"})
	if err != nil {
		return nil, fmt.Errorf("encode: tables.parent_child_pair: %w", err)
	}
	t.pair = segs
	return t, nil
}

// Token formats an event token. Empty basenames are written as the
// format's "unknown" word, empty categories as its "none" word.
func (t *Tokens) Token(action, proc, parent, pathCat, ipCat, portCat string) string {
	return string(t.AppendToken(nil, action, proc, parent, pathCat, ipCat, portCat))
}

// AppendToken appends the token to dst.
func (t *Tokens) AppendToken(dst []byte, action, proc, parent, pathCat, ipCat, portCat string) []byte {
	or := func(s, d string) string {
		if s == "" {
			return d
		}
		return s
	}
	args := [6]string{action, or(proc, t.unknown), or(parent, t.unknown), or(pathCat, t.none), or(ipCat, t.none), or(portCat, t.none)}
	for _, r := range t.rules {
		if (r.action != "" && r.action != action) || (r.prefix != "" && !strings.HasPrefix(action, r.prefix)) {
			continue
		}
		for _, s := range r.segs {
			if s.arg < 0 {
				dst = append(dst, s.lit...)
			} else {
				dst = append(dst, args[s.arg]...)
			}
		}
		return dst
	}
	return dst
}

// Pair formats the parent→child pair; empty when both are empty.
func (t *Tokens) Pair(parent, child string) string {
	return string(t.AppendPair(nil, parent, child))
}

// AppendPair appends the parent→child pair to dst.
func (t *Tokens) AppendPair(dst []byte, parent, child string) []byte {
	if t.emptyWhenBothEmpty && parent == "" && child == "" {
		return dst
	}
	args := [2]string{parent, child}
	for _, s := range t.pair {
		if s.arg < 0 {
			dst = append(dst, s.lit...)
		} else {
			dst = append(dst, args[s.arg]...)
		}
	}
	return dst
}
