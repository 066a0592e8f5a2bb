package jsonstr

import (
	"encoding/json"
	"testing"
)

// FuzzAppend: the JSON strings Append writes decode, with
// encoding/json, to what encoding/json's own encoding of the string
// decodes to (invalid UTF-8 byte by byte as U+FFFD).
func FuzzAppend(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\ncr\r\x00\x1f\x7f", "é∑😀", "\xff\xfe", "a\xc3", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var got, want string
		if err := json.Unmarshal(Append(nil, s), &got); err != nil {
			t.Fatalf("%q: %v", Append(nil, s), err)
		}
		ref, _ := json.Marshal(s)
		if err := json.Unmarshal(ref, &want); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("%q: got %q, encoding/json gives %q", s, got, want)
		}
	})
}
