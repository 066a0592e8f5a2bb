package tstime

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// The expected values were produced by the reference's parse_tetragon_ts
// under Python 3.11. One deliberate deviation: year 1 overflows int64
// nanoseconds; the reference returns a Python int that its Arrow writer then
// refuses, this package reports it as unparseable.
var cases = []struct {
	in string
	ok bool
	ns int64
}{
	{"2026-04-19T18:10:00Z", true, 1776622200000000000},
	{"2026-04-19T18:10:00.123Z", true, 1776622200123000000},
	{"2026-04-19T18:10:00.1234567891234Z", true, 1776622200123456789},
	{"2026-04-19T18:10:00.000000001Z", true, 1776622200000000001},
	{"2026-04-19T18:10:00", false, 0},
	{"2026-04-19Z", true, 1776556800000000000},
	{"2026-04-19 18:10:00Z", true, 1776622200000000000},
	{"20260419T181000Z", true, 1776622200000000000},
	{"2026-04-19X18:10:00Z", true, 1776622200000000000},
	{"2026-04-19T18Z", true, 1776621600000000000},
	{"2026-04-19T1810Z", true, 1776622200000000000},
	{"2026-04-19T18:10:00+05:00Z", true, 1776622200000000000},
	{"2026-04-19T18:10:00,5Z", true, 1776622200000000000},
	{"2026-04-19T24:00:00Z", false, 0},
	{"2026-4-19Z", false, 0},
	{"Z", false, 0},
	{"", false, 0},
	{"1970-01-01T00:00:00Z", true, 0},
	{"1969-12-31T23:59:59.5Z", true, -500000000},
	{"2026-04-19T18:10:00.12a4Z", false, 0},
	{"2026-04-19T18:10:00.-1Z", true, 1776622199990000000},
	{"2026-04-19T18:10:00.1_2Z", true, 1776622200012000000},
	{"2026-04-19T18:10:00. 12Z", true, 1776622200012000000},
	{"not a time", false, 0},
	{"2026-02-29T00:00:00Z", false, 0},
	{"2024-02-29T00:00:00Z", true, 1709164800000000000},
	{"2026-04-19T18:10:00.Z", true, 1776622200000000000},
	{"2026-04-19T18:10:00.123456789Z", true, 1776622200123456789},
	{"2026-04-19T18:10:00.999999999999Z", true, 1776622200999999999},
	{"2026-13-01T00:00:00Z", false, 0},
	{"0001-01-01T00:00:00Z", false, 0},
	{"2026-04-19T18:10:00-0130Z", true, 1776622200000000000},
	{"2026-04-19T18:1Z", false, 0},
}

func TestParse(t *testing.T) {
	for _, c := range cases {
		ns, ok := Parse(c.in)
		if ok != c.ok || ns != c.ns {
			t.Errorf("Parse(%q) = %d, %v; want %d, %v", c.in, ns, ok, c.ns, c.ok)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, c := range cases {
		f.Add(c.in)
	}
	f.Add("2024-02-29T23:59:59.999999999Z")
	f.Fuzz(func(t *testing.T, s string) {
		ns, ok := Parse(s)
		if !ok && ns != 0 {
			t.Fatalf("Parse(%q) returned %d with ok=false", s, ns)
		}
		// The canonical reader accepts only what the general one reads
		// the same way.
		if b := []byte(s); len(b) > 0 {
			if cs, cf, cok := canonical(b); cok {
				gs, gf, gok := general(b[:len(b)-1])
				if !gok || cs != gs || cf != gf {
					t.Fatalf("%q: canonical %d %d, general %d %d %v", s, cs, cf, gs, gf, gok)
				}
			}
		}
	})
}

func BenchmarkParse(b *testing.B) {
	in := []byte("2026-04-19T21:48:02.652123456Z")
	for b.Loop() {
		ParseBytes(in)
	}
}

// TestCanonicalMatchesGeneral checks the fast reader of Tetragon's own form
// against the general one on random instances of that form, valid or not
// (months 00-19, days 00-39, hours 00-29, minutes and seconds 00-69), over
// the whole four-digit year range and around leap days.
func TestCanonicalMatchesGeneral(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	check := func(s string) {
		t.Helper()
		b := []byte(s)
		cs, cf, cok := canonical(b)
		gs, gf, gok := general(b[:len(b)-1])
		if cok && (!gok || cs != gs || cf != gf) {
			t.Fatalf("%s: canonical %d %d %v, general %d %d %v", s, cs, cf, cok, gs, gf, gok)
		}
		if !cok && gok && len(s) == 30 {
			t.Fatalf("%s: canonical refused what general reads (%d %d)", s, gs, gf)
		}
	}
	for range 200000 {
		check(fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%09dZ", rng.IntN(10000), rng.IntN(20), rng.IntN(40),
			rng.IntN(30), rng.IntN(70), rng.IntN(70), rng.IntN(1_000_000_000)))
	}
	for _, y := range []int{1, 4, 100, 400, 1600, 1899, 1900, 1970, 1999, 2000, 2024, 2025, 2100, 2262, 2400, 9999} {
		for _, md := range []string{"01-01", "02-28", "02-29", "03-01", "12-31"} {
			check(fmt.Sprintf("%04d-%sT23:59:59.999999999Z", y, md))
			check(fmt.Sprintf("%04d-%sT00:00:00.000000000Z", y, md))
		}
	}
	for _, s := range []string{"2026-04-19T18:10:00.12345678xZ", "2026-04-19 18:10:00.123456789Z", "2026-04-19T18:10:00,123456789Z"} {
		if _, _, ok := canonical([]byte(s)); ok {
			t.Fatalf("canonical accepted %s", s)
		}
	}
}
