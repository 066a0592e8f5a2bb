package pyjson

import (
	"math"
	"strconv"
	"unsafe"
)

// scanNumber matches CPython's _match_number_unicode at data[i], i.e. the
// longest match of (-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)?. If nothing
// matches, the error is "Expecting value" at i. An integer (no fraction, no
// exponent) longer than MaxIntDigits digits is an error too.
func scanNumber(data []byte, i int) (end int, isFloat bool, err *SyntaxError) {
	start := i
	n := len(data)
	if i < n && data[i] == '-' {
		i++
	}
	if i >= n {
		return start, false, newErr(start, msgExpectingValue)
	}
	switch c := data[i]; {
	case c == '0':
		i++
	case c >= '1' && c <= '9':
		i++
		for i < n && isDigit(data[i]) {
			i++
		}
	default:
		return start, false, newErr(start, msgExpectingValue)
	}
	intEnd := i
	if i+1 < n && data[i] == '.' && isDigit(data[i+1]) {
		isFloat = true
		i += 2
		for i < n && isDigit(data[i]) {
			i++
		}
	}
	if i+1 < n && (data[i] == 'e' || data[i] == 'E') {
		j := i + 1
		if j+1 < n && (data[j] == '-' || data[j] == '+') {
			j++
		}
		k := j
		for k < n && isDigit(data[k]) {
			k++
		}
		if k > j {
			isFloat = true
			i = k
		}
	}
	if !isFloat {
		digits := intEnd - start
		if data[start] == '-' {
			digits--
		}
		if digits > MaxIntDigits {
			return i, false, intDigitsErr(start, digits)
		}
	}
	return i, isFloat, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// appendNumber appends the json.dumps form of the number literal num,
// which scanNumber matched: an int keeps its digits ("-0" becomes "0"), a
// float is written with float.__repr__.
func appendNumber(dst, num []byte, isFloat bool) []byte {
	if !isFloat {
		if len(num) == 2 && num[0] == '-' && num[1] == '0' {
			return append(dst, '0')
		}
		return append(dst, num...)
	}
	// The literal matched Python's number grammar, which is a subset of
	// strconv's, so the only possible error is ErrRange, with f = ±Inf
	// exactly as float() gives for an overflowing literal. Underflow gives
	// (signed) zero or a subnormal, correctly rounded, as in Python.
	// ParseFloat does not retain its argument (its errors clone it).
	f, _ := strconv.ParseFloat(unsafe.String(unsafe.SliceData(num), len(num)), 64)
	return appendPyFloat(dst, f)
}

// appendPyFloat appends the json.dumps form of f: NaN, Infinity,
// -Infinity, or repr(f), i.e. the shortest round-tripping digits, in
// scientific notation ("1e+16", "1.5e-05") when the decimal exponent is
// below -4 or at least 16, else positional with at least one digit after
// the point ("100.0", "0.0001").
func appendPyFloat(dst []byte, f float64) []byte {
	switch {
	case f != f:
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	var buf [32]byte
	// Shortest digits in the form [-]d[.ddd]e±XX[X].
	e := strconv.AppendFloat(buf[:0], f, 'e', -1, 64)
	neg := e[0] == '-'
	if neg {
		e = e[1:]
	}
	p := len(e) - 1
	for e[p] != 'e' {
		p--
	}
	exp := 0
	for _, c := range e[p+2:] {
		exp = exp*10 + int(c-'0')
	}
	if e[p+1] == '-' {
		exp = -exp
	}
	if neg {
		dst = append(dst, '-')
	}
	if exp < -4 || exp >= 16 {
		return append(dst, e...)
	}
	// Collect the significant digits (without the point).
	var digs [20]byte
	nd := 0
	for _, c := range e[:p] {
		if c != '.' {
			digs[nd] = c
			nd++
		}
	}
	d := digs[:nd]
	if exp < 0 {
		dst = append(dst, '0', '.')
		for k := -1; k > exp; k-- {
			dst = append(dst, '0')
		}
		return append(dst, d...)
	}
	// exp >= 0: the integer part has exp+1 digits.
	if len(d) <= exp+1 {
		dst = append(dst, d...)
		for k := len(d); k < exp+1; k++ {
			dst = append(dst, '0')
		}
		return append(dst, '.', '0')
	}
	dst = append(dst, d[:exp+1]...)
	dst = append(dst, '.')
	return append(dst, d[exp+1:]...)
}
