package pyjson

import (
	"encoding/json"
	"testing"
	"unicode/utf8"
)

func mustParse(t *testing.T, s string) *Doc {
	t.Helper()
	var d Doc
	if err := d.Parse([]byte(s)); err != nil {
		t.Fatalf("Parse(%q): %v", s, err)
	}
	return &d
}

func TestDocGetLastDuplicateWins(t *testing.T) {
	d := mustParse(t, `{"a": 1, "b": {"c": "x"}, "a": [true], "\u0061": null}`)
	if d.Nodes[0].Kind != Object {
		t.Fatal("root is not an object")
	}
	a := d.Get(0, "a")
	if a < 0 || d.Nodes[a].Kind != Null {
		t.Fatalf("Get(a) = %d (%v), want the null of the escaped duplicate key", a, d.Nodes[a].Kind)
	}
	b := d.Get(0, "b")
	if c := d.Get(b, "c"); d.String(c) != "x" {
		t.Fatalf("b.c = %q", d.String(c))
	}
	if d.Get(0, "missing") != -1 || d.Get(a, "x") != -1 || d.Get(-1, "a") != -1 {
		t.Fatal("Get of a missing key or a non-object must be -1")
	}
	if d.Len(0) != 4 || d.Len(b) != 1 {
		t.Fatalf("Len = %d, %d", d.Len(0), d.Len(b))
	}
}

func TestDocTruthy(t *testing.T) {
	cases := map[string]bool{
		`null`: false, `false`: false, `true`: true, `0`: false, `-0`: false, `7`: true,
		`0.0`: false, `-0.0`: false, `1e-999`: false, `0.5`: true, `NaN`: true, `-Infinity`: true,
		`""`: false, `"0"`: true, `[]`: false, `[0]`: true, `{}`: false, `{"a":0}`: true,
	}
	for in, want := range cases {
		d := mustParse(t, in)
		if got := d.Truthy(0); got != want {
			t.Errorf("Truthy(%s) = %v, want %v", in, got, want)
		}
	}
	var d Doc
	if d.Truthy(-1) {
		t.Error("an absent value is falsy")
	}
}

func TestDocStringsDecode(t *testing.T) {
	cases := map[string]string{
		`"plain"`:                "plain",
		`"a\"b\\c\/d\b\f\n\r\t"`: "a\"b\\c/d\b\f\n\r\t",
		`"\u00e9\u20AC"`:         "é€",
		`"\ud83d\ude00"`:         "😀",
		`"\ud83d x"`:             "\uFFFD x", // lone high surrogate
		`"\ude00"`:               "\uFFFD",   // lone low surrogate
		`"\ud83d\u0041"`:         "\uFFFDA",
		`"héllo"`:                "héllo",
	}
	for in, want := range cases {
		d := mustParse(t, in)
		if got := d.String(0); got != want {
			t.Errorf("String(%s) = %q, want %q", in, got, want)
		}
		if got := d.StringView(0); got != want {
			t.Errorf("StringView(%s) = %q, want %q", in, got, want)
		}
	}
}

func TestDocKindsAndRaw(t *testing.T) {
	d := mustParse(t, ` [1, -2.5, 3e2, "s", [], {"k": false}, NaN] `)
	want := []NodeKind{Array, Number, Float, Float, String, Array, Object, String, False, Float}
	if len(d.Nodes) != len(want) {
		t.Fatalf("%d nodes, want %d", len(d.Nodes), len(want))
	}
	for i, k := range want {
		if d.Nodes[i].Kind != k {
			t.Errorf("node %d kind %v, want %v", i, d.Nodes[i].Kind, k)
		}
	}
	if string(d.Raw(0)) != `[1, -2.5, 3e2, "s", [], {"k": false}, NaN]` || string(d.Raw(2)) != "-2.5" {
		t.Errorf("Raw = %q / %q", d.Raw(0), d.Raw(2))
	}
	if d.Len(0) != 7 {
		t.Errorf("Len = %d", d.Len(0))
	}
}

func TestDocRejectsWhatValidRejects(t *testing.T) {
	for _, in := range []string{`{"a":}`, `[1,]`, "\"\x01\"", `{"a" 1}`, `01`, `[1] x`, ""} {
		var d Doc
		err1 := d.Parse([]byte(in))
		err2 := Valid([]byte(in))
		if err1 == nil || err2 == nil || err1.Error() != err2.Error() {
			t.Errorf("%q: Parse %v, Valid %v", in, err1, err2)
		}
		if len(d.Nodes) != 0 {
			t.Errorf("%q: a failed Parse must leave no nodes", in)
		}
	}
}

// FuzzDoc checks the tree against encoding/json where the grammars agree:
// every string node decodes as encoding/json decodes it.
func FuzzDoc(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x\u00e9",{"b":null}]}`, `"\ud83d\ude00"`, `[{"k":"v","k":"w"}]`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var d Doc
		if err := d.Parse(data); err != nil {
			if Valid(data) == nil {
				t.Fatalf("Parse fails but Valid accepts %q", data)
			}
			return
		}
		for i := range d.Nodes {
			n := int32(i)
			if d.Nodes[n].Kind != String {
				continue
			}
			got := d.Bytes(n)
			if !utf8.Valid(got) {
				t.Fatalf("node %d decodes to invalid UTF-8", i)
			}
			raw := append(append([]byte{'"'}, d.Raw(n)...), '"')
			var want string
			if json.Unmarshal(raw, &want) == nil && string(got) != want {
				t.Fatalf("string %s: got %q, encoding/json %q", raw, got, want)
			}
		}
	})
}
