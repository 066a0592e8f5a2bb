package pyjson

import "bytes"

// appendSlow is AppendCompact for a value that Valid accepts and that may
// contain duplicate object keys. It parses the value into a tree whose
// objects have Python dict semantics (a repeated key keeps the position of
// its first occurrence and takes the value of its last), then writes the
// tree. It runs in linear time and allocates.
func appendSlow(dst, data []byte) []byte {
	p := slowParser{data: data}
	root, _ := p.parse(skipWS(data, 0))
	return p.emit(dst, root)
}

type slowNode struct {
	kind       byte // '{', '[' or 0 for a scalar
	start, end int  // scalar token
	items      []slowItem
}

type slowItem struct {
	keyStart, keyEnd int // raw key content (objects only)
	keyEsc           bool
	child            int
}

type slowParser struct {
	data  []byte
	nodes []slowNode
}

// parse builds the node of the value at i (input known to be valid) and
// returns its index and the index after the value.
func (p *slowParser) parse(i int) (int, int) {
	data := p.data
	id := len(p.nodes)
	p.nodes = append(p.nodes, slowNode{})
	if i >= len(data) {
		return id, i
	}
	switch c := data[i]; c {
	case '[':
		var items []slowItem
		i = skipWS(data, i+1)
		for i < len(data) && data[i] != ']' {
			var child int
			child, i = p.parse(i)
			items = append(items, slowItem{child: child})
			i = skipWS(data, i)
			if i < len(data) && data[i] == ',' {
				i = skipWS(data, i+1)
			} else {
				break
			}
		}
		p.nodes[id] = slowNode{kind: c, items: items}
		return id, i + 1
	case '{':
		var items []slowItem
		var index map[string]int // canonical key -> position, for big objects
		i = skipWS(data, i+1)
		for i < len(data) && data[i] == '"' {
			end, flags, err := scanString(data, i)
			if err != nil {
				break
			}
			it := slowItem{keyStart: i + 1, keyEnd: end - 1, keyEsc: flags&strEscape != 0}
			i = skipWS(data, end)
			i = skipWS(data, i+1) // past ':'
			it.child, i = p.parse(i)
			if at := p.find(items, &index, it); at >= 0 {
				items[at].child = it.child
			} else {
				items = append(items, it)
			}
			i = skipWS(data, i)
			if i < len(data) && data[i] == ',' {
				i = skipWS(data, i+1)
			} else {
				break
			}
		}
		p.nodes[id] = slowNode{kind: c, items: items}
		return id, i + 1
	}
	end := len(data)
	switch {
	case data[i] == '"':
		end, _, _ = scanString(data, i)
	case matchLiteral(data, i) > 0:
		end = matchLiteral(data, i)
	default:
		end, _, _ = scanNumber(data, i)
	}
	p.nodes[id] = slowNode{start: i, end: end}
	return id, end
}

// find returns the position in items of the key of it, or -1 (in which
// case the caller appends it, and big objects get it indexed).
func (p *slowParser) find(items []slowItem, index *map[string]int, it slowItem) int {
	data := p.data
	key := data[it.keyStart:it.keyEnd]
	if len(items) < 16 {
		for at, o := range items {
			if compareKeys(key, data[o.keyStart:o.keyEnd], it.keyEsc, o.keyEsc) == 0 {
				return at
			}
		}
		return -1
	}
	if *index == nil {
		*index = make(map[string]int, 2*len(items))
		for at, o := range items {
			(*index)[string(appendCanonical(nil, data[o.keyStart:o.keyEnd]))] = at
		}
	}
	canon := string(appendCanonical(nil, key))
	if at, ok := (*index)[canon]; ok {
		return at
	}
	(*index)[canon] = len(items)
	return -1
}

func (p *slowParser) emit(dst []byte, id int) []byte {
	data := p.data
	n := &p.nodes[id]
	switch n.kind {
	case '[':
		dst = append(dst, '[')
		for k, it := range n.items {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = p.emit(dst, it.child)
		}
		return append(dst, ']')
	case '{':
		dst = append(dst, '{')
		for k, it := range n.items {
			if k > 0 {
				dst = append(dst, ',')
			}
			dst = appendPyString(dst, data[it.keyStart:it.keyEnd])
			dst = append(dst, ':')
			dst = p.emit(dst, it.child)
		}
		return append(dst, '}')
	}
	tok := data[n.start:n.end]
	switch {
	case len(tok) == 0:
		return dst
	case tok[0] == '"' && len(tok) >= 2:
		return appendPyString(dst, tok[1:len(tok)-1])
	case matchLiteral(tok, 0) > 0:
		return append(dst, tok...)
	}
	return appendNumber(dst, tok, bytes.ContainsAny(tok, ".eE"))
}
