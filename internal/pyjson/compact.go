package pyjson

import "math"

// AppendCompact appends to dst the bytes of
//
//	json.dumps(json.loads(value), separators=(",", ":"))
//
// as CPython 3.11 produces them, and returns the extended buffer. value is
// one JSON value, possibly surrounded by JSON whitespace. If value is not
// accepted by Valid, AppendCompact returns dst unchanged (its length; bytes
// past it may have been written) and the same error Valid returns.
//
// The output has no whitespace; object members keep their input order,
// and for a key that occurs more than once the value of the last
// occurrence is written at the position of the first (Python dict
// semantics); strings are re-escaped with ensure_ascii=True (\" \\ \b \f \n
// \r \t, other control characters, DEL and every non-ASCII code point as
// lowercase \uXXXX, astral characters as surrogate pairs, lone surrogates
// kept, "/" not escaped); integers keep their digits ("-0" becomes "0");
// numbers with a fraction or exponent are written as repr(float(...))
// (overflow gives Infinity/-Infinity, "-0.0" stays "-0.0"); NaN, Infinity,
// -Infinity, true, false and null are copied.
//
// Values without duplicate keys are converted in a single pass that
// copies everything but whitespace and non-canonical tokens in bulk and
// allocates nothing but the growth of dst (objects with more than
// smallKeys keys open at once use pooled memory). A duplicate key restarts
// the conversion on a slower path that allocates.
func AppendCompact(dst, value []byte) ([]byte, error) {
	n0 := len(dst)
	if hasBOM(value) {
		return dst[:n0], finish(value, newErr(0, msgBOM))
	}
	if len(value) > math.MaxInt32 {
		if err := Valid(value); err != nil {
			return dst[:n0], err
		}
		return appendSlow(dst, value), nil
	}
	i := skipWS(value, 0)
	c := compactor{data: value, dst: dst, mark: i}
	i, err := c.value(i)
	c.keys.release()
	if err == nil {
		c.dst = append(c.dst, value[c.mark:i]...)
		i = skipWS(value, i)
		if i != len(value) {
			err = newErr(i, msgExtraData)
		}
	}
	if err == nil {
		return c.dst, nil
	}
	if err != errDuplicateKey {
		return dst[:n0], finish(value, err)
	}
	// Duplicate keys: the value must be validated in full before the slow
	// path, which assumes well-formed input.
	if verr := Valid(value); verr != nil {
		return dst[:n0], verr
	}
	return appendSlow(c.dst[:n0], value), nil
}

// errDuplicateKey aborts the fast path of AppendCompact.
var errDuplicateKey = &SyntaxError{Offset: -1, Msg: "duplicate key"}

// compactor is the single-pass converter. It validates like Doc.Parse and
// copies the input to dst lazily: data[mark:i] is the part already known
// to be output verbatim but not yet copied. Whitespace between tokens and
// tokens that json.dumps writes differently flush that part first.
type compactor struct {
	data  []byte
	dst   []byte
	mark  int
	depth int
	keys  keyStack
}

var isWS = [256]bool{' ': true, '\t': true, '\n': true, '\r': true}

// ws skips whitespace at i, flushing the verbatim part before it.
func (c *compactor) ws(i int) int {
	if i < len(c.data) && isWS[c.data[i]] {
		return c.wsSlow(i)
	}
	return i
}

func (c *compactor) wsSlow(i int) int {
	c.dst = append(c.dst, c.data[c.mark:i]...)
	i = skipWS(c.data, i)
	c.mark = i
	return i
}

// flushTo copies the verbatim part up to start; the caller then appends
// the replacement of the token at start and moves mark past it.
func (c *compactor) flushTo(start int) {
	c.dst = append(c.dst, c.data[c.mark:start]...)
}

func (c *compactor) value(i int) (int, *SyntaxError) {
	data := c.data
	if i >= len(data) {
		return i, newErr(i, msgExpectingValue)
	}
	switch data[i] {
	case '"':
		end, flags, err := scanString(data, i)
		if err != nil {
			return end, err
		}
		if flags != 0 {
			c.rewriteString(i, end)
		}
		return end, nil
	case '{':
		return c.object(i)
	case '[':
		return c.array(i)
	}
	if end := matchLiteral(data, i); end > 0 {
		return end, nil
	}
	end, isFloat, err := scanNumber(data, i)
	if err != nil {
		return end, err
	}
	if isFloat || (end-i == 2 && data[i] == '-' && data[i+1] == '0') {
		c.flushTo(i)
		c.dst = appendNumber(c.dst, data[i:end], isFloat)
		c.mark = end
	}
	return end, nil
}

// rewriteString replaces the string data[q:end] (quotes included) by its
// json.dumps form.
func (c *compactor) rewriteString(q, end int) {
	c.flushTo(q)
	c.dst = appendPyString(c.dst, c.data[q+1:end-1])
	c.mark = end
}

func (c *compactor) object(i int) (int, *SyntaxError) {
	if c.depth >= MaxDepth {
		return i, newErr(i, msgDepth)
	}
	c.depth++
	data := c.data
	i = c.ws(i + 1)
	if i < len(data) && data[i] == '}' {
		c.depth--
		return i + 1, nil
	}
	base := c.keys.n
	for {
		if i >= len(data) || data[i] != '"' {
			return i, newErr(i, msgPropertyName)
		}
		end, flags, err := scanString(data, i)
		if err != nil {
			return end, err
		}
		if flags != 0 {
			c.rewriteString(i, end)
		}
		c.keys.push(i+1, end-1, flags&strEscape != 0)
		i = c.ws(end)
		if i >= len(data) || data[i] != ':' {
			return i, newErr(i, msgColon)
		}
		i = c.ws(i + 1)
		i, err = c.value(i)
		if err != nil {
			return i, err
		}
		i = c.ws(i)
		if i < len(data) && data[i] == '}' {
			break
		}
		if i >= len(data) || data[i] != ',' {
			return i, newErr(i, msgComma)
		}
		i = c.ws(i + 1)
	}
	if c.keys.hasDuplicate(data, base) {
		return i, errDuplicateKey
	}
	c.keys.n = base
	c.depth--
	return i + 1, nil
}

func (c *compactor) array(i int) (int, *SyntaxError) {
	if c.depth >= MaxDepth {
		return i, newErr(i, msgDepth)
	}
	c.depth++
	data := c.data
	i = c.ws(i + 1)
	if i < len(data) && data[i] == ']' {
		c.depth--
		return i + 1, nil
	}
	for {
		var err *SyntaxError
		i, err = c.value(i)
		if err != nil {
			return i, err
		}
		i = c.ws(i)
		if i < len(data) && data[i] == ']' {
			c.depth--
			return i + 1, nil
		}
		if i >= len(data) || data[i] != ',' {
			return i, newErr(i, msgComma)
		}
		i = c.ws(i + 1)
	}
}
