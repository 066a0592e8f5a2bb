package pyjson

import (
	"strconv"
	"unicode/utf8"
	"unsafe"
)

// NodeKind is the JSON type of a Node.
type NodeKind uint8

// The node kinds. Number covers integers; Float covers numbers with a
// fraction or an exponent and the NaN/Infinity literals, which Python reads
// as float.
const (
	Null NodeKind = iota
	False
	True
	Number
	Float
	String
	Array
	Object
	// Known is a value recognized by Doc.Known and not parsed into nodes.
	Known
)

// Node is one value of a parsed document. Object members are stored as
// alternating key and value nodes.
type Node struct {
	Kind NodeKind
	// Escaped is set for a string that holds a backslash escape.
	Escaped bool
	// Start and End delimit the value's text: a string's content without
	// its quotes, a number's or literal's characters, or an array or
	// object from its opening to after its closing bracket.
	Start, End int32
	// First is the index of the first child, or -1.
	First int32
	// Next is the index of the next sibling, or -1.
	Next int32
}

// Doc is a parsed JSON document: a flat list of nodes over the source
// bytes, reusable across parses so that steady-state parsing does not
// allocate. Node 0 is the root. The zero Doc is ready to use.
type Doc struct {
	Nodes []Node
	src   []byte
	depth int
	// validateOnly records no nodes: Valid is Parse without the tree.
	validateOnly bool
	// Known, when set, is asked about the value of every object member at
	// nesting depth KnownDepth (1 is a member of the root object) before
	// it is parsed. If it returns end > i, data[i:end] is a value it has
	// seen, parsed and validated before; the Doc then records one node of
	// kind Known spanning it. Used to skip repeated process blocks.
	Known      func(key, data []byte, i int) (end int)
	KnownDepth int
	// scratch holds unescaped strings between calls of Bytes.
	scratch []byte
}

// Parse parses data with the acceptance rules described in the package
// documentation (Valid is Parse without the tree) and records its nodes. The Doc refers to data until the next Parse: data must not be
// modified meanwhile.
func (d *Doc) Parse(data []byte) error {
	d.Nodes = d.Nodes[:0]
	d.src = data
	d.depth = 0
	if hasBOM(data) {
		return finish(data, newErr(0, msgBOM))
	}
	i := skipWS(data, 0)
	i, err := d.value(i)
	if err == nil {
		i = skipWS(data, i)
		if i != len(data) {
			err = newErr(i, msgExtraData)
		}
	}
	if err != nil {
		d.Nodes = d.Nodes[:0]
	}
	return finish(data, err)
}

// Source returns the bytes the Doc was parsed from.
func (d *Doc) Source() []byte { return d.src }

// Rebase makes the Doc refer to src instead of the data it parsed; src must
// hold the same bytes (a copy), so that every node stays valid. A Doc kept
// beyond the life of its input is rebased on a copy of it.
func (d *Doc) Rebase(src []byte) { d.src = src }

func (d *Doc) push(k NodeKind, start, end int) int32 {
	if d.validateOnly {
		return -1
	}
	n := len(d.Nodes)
	if n == cap(d.Nodes) {
		d.Nodes = append(d.Nodes, Node{})[:n]
	}
	d.Nodes = d.Nodes[:n+1]
	// Field by field: a composite literal is built on the stack and
	// copied with wide loads that stall on its own narrow stores, which
	// made this store a third of the parse.
	nd := &d.Nodes[n]
	nd.Kind, nd.Escaped = k, false
	nd.Start, nd.End = int32(start), int32(end)
	nd.First, nd.Next = -1, -1
	return int32(n)
}

func (d *Doc) value(i int) (int, *SyntaxError) {
	data := d.src
	if i >= len(data) {
		return i, newErr(i, msgExpectingValue)
	}
	switch data[i] {
	case '"':
		end, flags, err := scanString(data, i)
		if err == nil {
			d.pushString(i, end, flags)
		}
		return end, err
	case '{':
		return d.container(i, Object)
	case '[':
		return d.container(i, Array)
	}
	if end := matchLiteral(data, i); end > 0 {
		k := Null
		switch data[i] {
		case 't':
			k = True
		case 'f':
			k = False
		case 'N', 'I', '-':
			k = Float
		}
		d.push(k, i, end)
		return end, nil
	}
	end, isFloat, err := scanNumber(data, i)
	if err == nil {
		k := Number
		if isFloat {
			k = Float
		}
		d.push(k, i, end)
	}
	return end, err
}

func (d *Doc) container(i int, kind NodeKind) (int, *SyntaxError) {
	if d.depth >= MaxDepth {
		return i, newErr(i, msgDepth)
	}
	d.depth++
	data := d.src
	self := d.push(kind, i, i)
	closer := byte(']')
	if kind == Object {
		closer = '}'
	}
	prev := int32(-1)
	link := func(n int32) {
		if n < 0 {
			return // validateOnly
		}
		if prev < 0 {
			d.Nodes[self].First = n
		} else {
			d.Nodes[prev].Next = n
		}
		prev = n
	}
	i = skipWS(data, i+1)
	if i < len(data) && data[i] == closer {
		d.depth--
		d.close(self, i+1)
		return i + 1, nil
	}
	for {
		if kind == Object {
			if i >= len(data) || data[i] != '"' {
				return i, newErr(i, msgPropertyName)
			}
			end, flags, err := scanString(data, i)
			if err != nil {
				return end, err
			}
			link(d.pushString(i, end, flags))
			i = skipWS(data, end)
			if i >= len(data) || data[i] != ':' {
				return i, newErr(i, msgColon)
			}
			i = skipWS(data, i+1)
		}
		n := int32(len(d.Nodes))
		if d.validateOnly {
			n = -1
		}
		var err *SyntaxError
		if end := d.known(kind, n, i); end > i {
			d.push(Known, i, end)
			i = end
		} else if i, err = d.value(i); err != nil {
			return i, err
		}
		link(n)
		i = skipWS(data, i)
		if i < len(data) && data[i] == closer {
			d.depth--
			d.close(self, i+1)
			return i + 1, nil
		}
		if i >= len(data) || data[i] != ',' {
			return i, newErr(i, msgComma)
		}
		i = skipWS(data, i+1)
	}
}

// known asks the Known hook about the member value at i of an object at
// KnownDepth whose key node is n-1; it returns 0 when the value must be parsed.
func (d *Doc) known(kind NodeKind, n int32, i int) int {
	if kind != Object || d.Known == nil || d.depth != d.KnownDepth || n < 1 {
		return 0
	}
	key := d.Nodes[n-1]
	return d.Known(d.src[key.Start:key.End], d.src, i)
}

func (d *Doc) pushString(q, end int, flags uint8) int32 {
	n := d.push(String, q+1, end-1)
	if n >= 0 {
		d.Nodes[n].Escaped = flags&strEscape != 0
	}
	return n
}

func (d *Doc) close(self int32, end int) {
	if self >= 0 {
		d.Nodes[self].End = int32(end)
	}
}

// Get returns the value of key in the object node obj, or -1 when obj is not
// an object or has no such key. With duplicate keys the last one wins, as
// in a Python dict.
func (d *Doc) Get(obj int32, key string) int32 {
	if obj < 0 || d.Nodes[obj].Kind != Object {
		return -1
	}
	found := int32(-1)
	for k := d.Nodes[obj].First; k >= 0; {
		v := d.Nodes[k].Next
		if d.keyEquals(k, key) {
			found = v
		}
		k = d.Nodes[v].Next
	}
	return found
}

func (d *Doc) keyEquals(k int32, key string) bool {
	n := &d.Nodes[k]
	if !n.Escaped {
		return string(d.src[n.Start:n.End]) == key
	}
	return string(d.Bytes(k)) == key
}

// Len returns the number of elements of an array or members of an object.
func (d *Doc) Len(n int32) int {
	c := 0
	for k := d.Nodes[n].First; k >= 0; k = d.Nodes[k].Next {
		c++
	}
	if d.Nodes[n].Kind == Object {
		c /= 2
	}
	return c
}

// Raw returns the source text of a node (a string without its quotes).
func (d *Doc) Raw(n int32) []byte {
	nd := &d.Nodes[n]
	return d.src[nd.Start:nd.End]
}

// Bytes returns the decoded UTF-8 content of a string node. The result
// aliases the source or an internal buffer: it is valid until the next call
// of Bytes or Parse. Lone surrogates (which Python keeps) become U+FFFD.
func (d *Doc) Bytes(n int32) []byte {
	nd := &d.Nodes[n]
	raw := d.src[nd.Start:nd.End]
	if !nd.Escaped {
		return raw
	}
	d.scratch = unescape(d.scratch[:0], raw)
	return d.scratch
}

// String returns the decoded content of a string node as a new string.
func (d *Doc) String(n int32) string { return string(d.Bytes(n)) }

// StringView returns the decoded content of a string node without copying
// when it has no escapes: the string aliases the source and is valid only as
// long as the source bytes are not modified.
func (d *Doc) StringView(n int32) string {
	b := d.Bytes(n)
	if len(b) == 0 {
		return ""
	}
	if !d.Nodes[n].Escaped {
		return unsafe.String(&b[0], len(b))
	}
	return string(b)
}

// unescape appends the decoded JSON string content raw to dst.
func unescape(dst, raw []byte) []byte {
	for i := 0; i < len(raw); {
		c := raw[i]
		if c != '\\' {
			dst = append(dst, c)
			i++
			continue
		}
		i++
		switch raw[i] {
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, _ := hex4(raw[i+1:])
			i += 4 // i is now at the last hex digit
			// A high surrogate followed by an escaped low surrogate is one
			// code point, as CPython's scanner decodes it.
			if r >= 0xD800 && r < 0xDC00 && i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
				if r2, ok := hex4(raw[i+3:]); ok && r2 >= 0xDC00 && r2 < 0xE000 {
					r = 0x10000 + (r-0xD800)<<10 + (r2 - 0xDC00)
					i += 6
				}
			}
			if r >= 0xD800 && r < 0xE000 {
				r = utf8.RuneError // a lone surrogate has no UTF-8 form
			}
			dst = utf8.AppendRune(dst, r)
		default: // '"', '\\', '/'
			dst = append(dst, raw[i])
		}
		i++
	}
	return dst
}

// Truthy reports Python's bool() of the value: false for null, false, 0,
// 0.0, "", [] and {}; true otherwise (NaN included).
func (d *Doc) Truthy(n int32) bool {
	if n < 0 {
		return false
	}
	nd := &d.Nodes[n]
	switch nd.Kind {
	case Null, False:
		return false
	case True:
		return true
	case String:
		return nd.End > nd.Start
	case Array, Object:
		return nd.First >= 0
	case Number:
		for _, c := range d.src[nd.Start:nd.End] {
			if c >= '1' && c <= '9' {
				return true
			}
		}
		return false
	case Float:
		f, _ := strconv.ParseFloat(string(d.src[nd.Start:nd.End]), 64)
		return f != 0 || f != f
	}
	return true
}
