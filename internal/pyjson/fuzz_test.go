package pyjson

import (
	"bytes"
	"encoding/json"
	"errors"
	"reflect"
	"testing"
	"unicode/utf8"
)

func addSeeds(f *testing.F) {
	f.Add([]byte(tetragonArgs))
	f.Add([]byte(tetragonLine))
	for _, tc := range goldenCases {
		if len(tc.in) < 512 {
			f.Add([]byte(tc.in))
		}
	}
}

// longDigitRun reports whether b has a run of more than MaxIntDigits-1
// digits (where the integer digit limit may apply).
func longDigitRun(b []byte) bool {
	run := 0
	for _, c := range b {
		if isDigit(c) {
			run++
			if run >= MaxIntDigits {
				return true
			}
		} else {
			run = 0
		}
	}
	return false
}

// FuzzValid checks that Valid never panics, agrees with AppendCompact, and
// agrees with encoding/json.Valid where the two grammars coincide (CPython
// additionally accepts NaN/Infinity, rejects invalid UTF-8 and long
// integers).
func FuzzValid(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		verr := Valid(data)
		_, cerr := AppendCompact(nil, data)
		if (verr == nil) != (cerr == nil) || (verr != nil && verr.Error() != cerr.Error()) {
			t.Fatalf("Valid error %v, AppendCompact error %v", verr, cerr)
		}
		if verr != nil {
			var se *SyntaxError
			if !errors.As(verr, &se) || se.Offset < 0 || se.Offset > len(data) {
				t.Fatalf("bad error %#v", verr)
			}
		}
		if longDigitRun(data) || bytes.Count(data, []byte("["))+bytes.Count(data, []byte("{")) > 9000 {
			return
		}
		stdValid := json.Valid(data)
		if stdValid && utf8.Valid(data) && verr != nil {
			t.Fatalf("encoding/json accepts, Valid: %v", verr)
		}
		if verr == nil && !stdValid && !bytes.ContainsAny(data, "NI") {
			t.Fatalf("Valid accepts, encoding/json rejects")
		}
	})
}

// FuzzAppendCompact checks that the output of AppendCompact is valid,
// compact ASCII, a fixed point of AppendCompact, and denotes the same value
// as the input for encoding/json.
func FuzzAppendCompact(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		out, err := AppendCompact([]byte("#"), data)
		if err != nil {
			if string(out) != "#" {
				t.Fatalf("output %q with error %v", out, err)
			}
			return
		}
		out = out[1:]
		if err := Valid(out); err != nil {
			t.Fatalf("output %q is not valid: %v", out, err)
		}
		for _, c := range out {
			if c < 0x20 || c > 0x7e {
				t.Fatalf("output %q has byte %#x", out, c)
			}
		}
		again, err := AppendCompact(nil, out)
		if err != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %q -> %q (%v)", out, again, err)
		}
		var vin, vout any
		if json.Unmarshal(data, &vin) == nil {
			if err := json.Unmarshal(out, &vout); err != nil {
				t.Fatalf("encoding/json rejects output %q: %v", out, err)
			}
			if !reflect.DeepEqual(vin, vout) {
				t.Fatalf("value changed: %q -> %q", data, out)
			}
		}
	})
}
