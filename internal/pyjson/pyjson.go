// Package pyjson validates and re-serialises JSON text exactly the way the
// reference pipeline's CPython 3.11 json module does.
//
// Valid(b) reports whether json.loads(b.decode("utf-8")) succeeds, and
// AppendCompact(dst, v) appends the bytes of
// json.dumps(json.loads(v), separators=(",", ":")) (ensure_ascii=True, the
// default). Both work on raw bytes, never panic, and do not allocate on the
// success path beyond growing dst (AppendCompact falls back to an allocating
// path for objects with duplicate keys, see AppendCompact).
//
// The grammar is the one of CPython 3.11's C scanner (Modules/_json.c):
//
//   - whitespace is exactly ' ', '\t', '\n' and '\r', before and after the
//     value and between tokens;
//   - NaN, Infinity and -Infinity are accepted as values;
//   - numbers match (-?(?:0|[1-9]\d*))(\.\d+)?([eE][-+]?\d+)? with the longest
//     match taken and a dangling "." or exponent left for the next token (so
//     "1." fails with "Extra data");
//   - strings reject raw U+0000..U+001F (strict=True), accept the escapes
//     \" \\ \/ \b \f \n \r \t and \uXXXX (any hex case, lone or unpaired
//     surrogates included) and reject any other escape;
//   - duplicate object keys are accepted (the last value wins, at the position
//     of the first key, as for a Python dict).
//
// Failures are reported as *SyntaxError whose Msg is CPython's message
// ("Expecting value", "Extra data", "Invalid \\uXXXX escape", ...) and whose
// Offset is the byte offset (0-based) of the character CPython reports,
// i.e. the byte offset of JSONDecodeError.pos.
//
// Where Python fails with something other than a JSONDecodeError, this
// package still reports a *SyntaxError (see SyntaxError.PythonException):
//
//   - invalid UTF-8: the reference decodes the file as UTF-8 and would fail
//     with UnicodeDecodeError before parsing anything; here the line is
//     rejected with Msg "invalid UTF-8" at the first offending byte, and this
//     error takes precedence over any syntax error of the same line;
//   - a leading UTF-8 byte order mark fails like json.loads does ("Unexpected
//     UTF-8 BOM (decode using utf-8-sig)", a JSONDecodeError);
//   - an integer literal of more than MaxIntDigits digits makes CPython 3.11
//     raise ValueError ("Exceeds the limit (4300 digits) for integer string
//     conversion ..."); it is rejected with that message (floats have no such
//     limit);
//   - nesting deeper than MaxDepth arrays/objects is rejected with Msg
//     "maximum nesting depth exceeded". CPython's C scanner raises
//     RecursionError much earlier: with the default recursion limit of 1000
//     it fails at about 995 levels minus the depth of the Python call stack
//     at the json.loads call. Lines nested between that point and MaxDepth
//     are accepted here although Python rejects them.
package pyjson

import "strconv"

// MaxDepth is the deepest nesting of arrays and objects that Valid and
// AppendCompact accept; a deeper value is an error.
const MaxDepth = 10000

// MaxIntDigits is CPython 3.11's default sys.get_int_max_str_digits(): an
// integer literal (no fraction, no exponent) with more digits than this makes
// json.loads raise ValueError.
const MaxIntDigits = 4300

// SyntaxError describes why a line is not accepted.
type SyntaxError struct {
	Offset int    // 0-based byte offset of the reported position
	Msg    string // CPython's message, without the position suffix
}

func (e *SyntaxError) Error() string {
	return "pyjson: " + e.Msg + " at byte offset " + strconv.Itoa(e.Offset)
}

// PythonException names the exception CPython 3.11 raises for this error:
// "JSONDecodeError" (a ValueError subclass), "ValueError" (integer digit
// limit), "RecursionError" (nesting; approximate, see the package doc) or
// "UnicodeDecodeError" (invalid UTF-8, raised while reading the file).
func (e *SyntaxError) PythonException() string {
	switch {
	case e.Msg == msgUTF8:
		return "UnicodeDecodeError"
	case e.Msg == msgDepth:
		return "RecursionError"
	case len(e.Msg) > len(msgIntPrefix) && e.Msg[:len(msgIntPrefix)] == msgIntPrefix:
		return "ValueError"
	}
	return "JSONDecodeError"
}

const (
	msgExpectingValue = "Expecting value"
	msgExtraData      = "Extra data"
	msgPropertyName   = "Expecting property name enclosed in double quotes"
	msgColon          = "Expecting ':' delimiter"
	msgComma          = "Expecting ',' delimiter"
	msgUnterminated   = "Unterminated string starting at"
	msgControl        = "Invalid control character at"
	msgEscape         = "Invalid \\escape"
	msgUEscape        = "Invalid \\uXXXX escape"
	msgBOM            = "Unexpected UTF-8 BOM (decode using utf-8-sig)"
	msgUTF8           = "invalid UTF-8"
	msgDepth          = "maximum nesting depth exceeded"
	msgIntPrefix      = "Exceeds the limit (4300 digits) for integer string conversion"
)

func newErr(off int, msg string) *SyntaxError {
	return &SyntaxError{Offset: off, Msg: msg}
}

func intDigitsErr(off, digits int) *SyntaxError {
	return newErr(off, msgIntPrefix+": value has "+strconv.Itoa(digits)+
		" digits; use sys.set_int_max_str_digits() to increase the limit")
}

// finish applies the precedence of UTF-8 decoding errors: everything before
// err.Offset has been checked to be valid UTF-8 by the scanner, so the first
// invalid sequence, if any, is at or after it.
func finish(data []byte, err *SyntaxError) error {
	if err == nil {
		return nil
	}
	if err.Msg != msgUTF8 && err.Offset >= 0 && err.Offset <= len(data) {
		if j := invalidUTF8(data[err.Offset:]); j >= 0 {
			return newErr(err.Offset+j, msgUTF8)
		}
	}
	return err
}

// hasBOM reports whether data starts with the UTF-8 encoding of U+FEFF.
func hasBOM(data []byte) bool {
	return len(data) >= 3 && data[0] == 0xEF && data[1] == 0xBB && data[2] == 0xBF
}

// Valid reports whether CPython 3.11's json.loads accepts data (decoded as
// UTF-8) and returns a *SyntaxError if not. The caller is expected to have
// stripped the line the way the reference does; Valid itself only skips
// JSON whitespace around the value. Valid does not allocate unless it
// returns an error.
func Valid(data []byte) error {
	d := Doc{validateOnly: true}
	return d.Parse(data)
}

// skipWS returns the index of the first non-whitespace byte at or after i.
func skipWS(data []byte, i int) int {
	for i < len(data) {
		switch data[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// matchLiteral returns the index after null/true/false/NaN/Infinity/
// -Infinity starting at i, or 0 if none starts there.
func matchLiteral(data []byte, i int) int {
	rest := data[i:]
	var lit string
	switch rest[0] {
	case 'n':
		lit = "null"
	case 't':
		lit = "true"
	case 'f':
		lit = "false"
	case 'N':
		lit = "NaN"
	case 'I':
		lit = "Infinity"
	case '-':
		lit = "-Infinity"
	default:
		return 0
	}
	if len(rest) >= len(lit) && string(rest[:len(lit)]) == lit {
		return i + len(lit)
	}
	return 0
}
