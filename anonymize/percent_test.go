package anonymize

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// percentPolicy is spellingPolicy with a sweep of jürgen: a name the
// release hides rather than refuses.
func percentPolicy() Policy {
	p := spellingPolicy()
	p.Sweep = append(p.Sweep, Replacement{From: "jürgen", To: "_user_"})
	return p
}

// TestPercentEncodedSpellingsAreCaught: a listed name or an address
// written percent-encoded (either hex case, twice encoded, partly
// encoded, as UTF-8 bytes) fails the release as its plain spelling
// does.
func TestPercentEncodedSpellingsAreCaught(t *testing.T) {
	for _, tc := range []struct {
		cwd   string
		check Check
		name  string
	}{
		{"/srv/%72ypow/", CheckForbidden, "rypow"},                           // one letter
		{"/srv/%72%79%70%6F%77/", CheckForbidden, "rypow"},                   // every letter
		{"/srv/%72%79%70%6f%77/", CheckForbidden, "rypow"},                   // lower-case hex
		{"/srv/R%59P%6fW/", CheckForbidden, "rypow"},                         // mixed case, both
		{"/srv/%2572ypow/", CheckForbidden, "rypow"},                         // encoded twice
		{"/srv/%252572ypow/", CheckForbidden, "rypow"},                       // three times
		{"/srv/acme%2Dprod/", CheckForbidden, "acme-prod"},                   // punctuation
		{"/srv/acme%E2%80%90prod/", CheckForbidden, "acme-prod"},             // U+2010, encoded
		{"/srv/%EF%BD%92ypow/", CheckForbidden, "rypow"},                     // fullwidth ｒ, encoded
		{"/srv/dendroasp%C4%B1s/", CheckForbidden, "dendroaspis"},            // dotless ı, encoded
		{"/srv/dendroa%73pis/", CheckForbidden, "dendroaspis"},               // in a longer name
		{"/srv/ju%CC%88rgen/", CheckForbidden, "jürgen"},                     // decomposed ü, encoded
		{"/srv/j%C3%BCrgen%ZZ/", CheckForbidden, "jürgen"},                   // with an invalid escape
		{"/srv/%dendroaspis/", CheckForbidden, "dendroaspis"},                // decoding would hide it
		{"/srv/%ZZrypow%4/", CheckForbidden, "rypow"},                        // invalid escapes only
		{"/srv/d%65%3Aad%3Abe%3Aef%3A00%3A01/", CheckPattern, "mac_address"}, // MAC
		{"/srv/de%2dad%2dbe%2def%2d00%2d01/", CheckPattern, "mac_address"},   // MAC, hyphens
		{"/srv/10%2E66%2E77%2E88/", CheckPattern, "ipv4_address"},            // IPv4
		{"/srv/%31%30.66.77.88/", CheckPattern, "ipv4_address"},              // IPv4, digits encoded
		{"/srv/fd12%3A3456%3A789a%3A%3A42/", CheckPattern, "ipv6_address"},   // IPv6
		{"/srv/fd12%253A3456%253A789a%253A%253A42/", CheckPattern, "ipv6_address"},
	} {
		_, err := cwdThrough(t, spellingPolicy(), tc.cwd)
		var leak *LeakError
		require.ErrorAs(t, err, &leak, "%+q", tc.cwd)
		require.Equal(t, tc.check, leak.Check, "%+q", tc.cwd)
		require.Equal(t, tc.name, leak.Pattern, "%+q", tc.cwd)
		require.NotContains(t, leak.Error(), tc.cwd)
	}
}

// TestSweepMatchesPercentEncodedSpellings: the sweep and the cwd rules
// replace the encoded bytes of a name, escapes included, where they
// replace its plain spelling; the rest of the value stays as written.
func TestSweepMatchesPercentEncodedSpellings(t *testing.T) {
	got, err := cwdThrough(t, percentPolicy(),
		"/srv/j%C3%BCrgen/x%20y/",
		"/srv/J%c3%9cRGEN/",
		"/srv/%2570rox1/",
		"/opt/PRO%581-backup/",
		"/srv/j%C3%BCrgen%2Fprox1/",
		"/home/j%C3%BCrgen/.cache/",
		"%2Fhome%2Fjdoe%2F.cache",
		"/home/%6Adoe/.cache/",
		"%2Fhome%2F_user_%2F.cache", // a rule respells what it matched
	)
	require.NoError(t, err)
	require.Equal(t, []string{
		"/srv/_user_/x%20y/",
		"/srv/_user_/",
		"/srv/host/",
		"/opt/host-backup/",
		"/srv/_user_%2Fhost/",
		"/home/_user_/.cache/",
		"/home/_user_%2F.cache",
		"/home/_user_/.cache/",
		"/home/_user_%2F.cache",
	}, got)
}

// TestPercentSignsWithoutNamesPassUnchanged: text with escapes that
// decode to nothing listed (and '+', which is not a space here) is
// released as written.
func TestPercentSignsWithoutNamesPassUnchanged(t *testing.T) {
	in := []string{
		"/srv/100%25/",
		"/srv/a%20b/",
		"/srv/%ZZ%4/",
		"/srv/50%/",
		"/srv/%(refname)%00%(upstream:short)/",
		"/srv/c++/%2B%2B/",
		"/srv/%25%25%25/",
		"/home/_user_/workspace/_project_/%2Fhome%2F_user_/",
	}
	got, err := cwdThrough(t, percentPolicy(), in...)
	require.NoError(t, err)
	require.Equal(t, in, got)
}

// TestAliasMapOriginalPercentEncoded: a custom binary whose name is a
// listed name or an address percent-encoded cannot be published in the
// alias map.
func TestAliasMapOriginalPercentEncoded(t *testing.T) {
	for _, name := range []string{"j%C3%BCrgen", "%72ypow-agent", "de%3Aad%3Abe%3Aef%3A00%3A01", "ping-10%2E66%2E77%2E88", "%2570rox1"} {
		rec := encodedInput(t, 1000)[0]
		head := rec.NewSlice(0, 1)
		vals := stringsOf(t, head, "proc_binary_basename")
		vals[0] = name
		in := replaceColumns(t, head, map[string][]string{"proc_binary_basename": vals})
		head.Release()
		p, err := New(percentPolicy(), WithKey(testKey))
		require.NoError(t, err)
		require.NoError(t, p.Observe(in))
		out, err := p.Apply(in)
		in.Release()
		require.NoError(t, err, name)
		out.Release()
		pub, err := p.ReleaseAliasMap(aliasMapName)
		require.Nil(t, pub, name)
		var leak *LeakError
		require.ErrorAs(t, err, &leak, name)
		require.Equal(t, aliasMapName, leak.File)
		require.NotContains(t, err.Error(), name)
	}
}

// TestVerifyFilePercentEncoded: the labels' free text and any other
// released file are scanned in their decoded view too.
func TestVerifyFilePercentEncoded(t *testing.T) {
	v, err := NewVerifier(spellingPolicy(), nil, nil)
	require.NoError(t, err)
	for _, tc := range []struct {
		name, text string
		line       int
		col        string
		check      Check
		pattern    string
	}{
		{"labels.csv", "start_ts,end_ts,technique_id,trial,notes\nx,y,T1,1,ok\nx,y,T2,1,ask J%C3%9CRGEN\n", 3, "notes", CheckForbidden, "jürgen"},
		{"labels.csv", "start_ts,end_ts,technique_id,trial,notes\nx,y,T1,1,from 10%2E66%2E77%2E88\n", 2, "notes", CheckPattern, "ipv4_address"},
		{"datacard.md", "# Card\n\nBuilt on https://example.org/%72ypow/ by the team.\n", 3, "", CheckForbidden, "rypow"},
		{"notes.txt", "50%25 done, %ZZ, a+b\n", 0, "", "", ""},
	} {
		err := v.VerifyFile(tc.name, strings.NewReader(tc.text))
		if tc.check == "" {
			require.NoError(t, err, tc.text)
			continue
		}
		var leak *LeakError
		require.ErrorAs(t, err, &leak, tc.text)
		require.Equal(t, LeakError{File: tc.name, Line: tc.line, Column: tc.col, Row: -1, Check: tc.check, Pattern: tc.pattern}, *leak)
	}
}

// TestDecodePercent: valid escapes decode in either hex case, up to
// maxPercentRounds times; anything else is kept; each decoded byte knows
// the bytes it came from.
func TestDecodePercent(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", false},
		{"plain", "plain", false},
		{"a+b", "a+b", false},
		{"100%", "100%", false},
		{"%4", "%4", false},
		{"%ZZ%G1%1G", "%ZZ%G1%1G", false},
		{"%73igrun", "sigrun", true},
		{"sigr%C3%BCn", "sigrün", true},
		{"sigr%c3%bcn", "sigrün", true},
		{"de%3Aad%3abe", "de:ad:be", true},
		{"%2B", "+", true},
		{"%2573", "s", true},
		{"%252573", "s", true},
		{"%25252573", "%73", true}, // beyond maxPercentRounds
		{"%25ZZ", "%ZZ", true},
		{"%%73", "%s", true},
		{"%FF%00", "\xff\x00", true},
		{"%e2%80%8b", "\u200b", true},
	} {
		f := newFolder()
		got, ok := f.decodePercent(tc.in)
		require.Equal(t, tc.want, got, tc.in)
		require.Equal(t, tc.ok, ok, tc.in)
	}

	f := newFolder()
	s := "/x%2573y/%C3%BC"
	d, ok := f.decodePercent(s)
	require.True(t, ok)
	require.Equal(t, "/xsy/ü", d)
	ps, pe := f.pct.start[f.pct.w], f.pct.end[f.pct.w]
	var from []string
	for k := range len(d) {
		from = append(from, s[ps[k]:pe[k]])
	}
	require.Equal(t, []string{"/", "x", "%2573", "y", "/", "%C3", "%BC"}, from)

	// The decoded view's key maps back to the escapes.
	key, _, ok := f.resetDecoded(s)
	require.True(t, ok)
	require.Equal(t, "/xsy/ü", string(key))
	a, e := f.span(strings.Index(string(key), "ü"), len(key))
	require.Equal(t, "%C3%BC", s[a:e])
	a, e = f.span(2, 3)
	require.Equal(t, "%2573", s[a:e])

	// Text without '%' has no decoded view, and costs no allocation.
	require.Zero(t, testing.AllocsPerRun(100, func() {
		if _, _, ok := f.resetDecoded("/home/_user_/workspace/"); ok {
			t.Fatal("decoded view of text without escapes")
		}
	}))
}

func FuzzDecodePercent(f *testing.F) {
	for _, s := range []string{"", "%", "%%", "%4", "%41", "%zz", "%2573", "%25252573", "sigr%C3%BCn", "%C3", "\xff%41", "ju%CC%88rgen", "%EF%BD%92", "a+b%20c", "%2Fhome%2Fjdoe"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fo := newFolder()
		d, ok := fo.decodePercent(s)
		if !strings.Contains(s, "%") {
			if ok || d != s {
				t.Fatalf("decodePercent(%q) = %q, %v: changed text without '%%'", s, d, ok)
			}
			return
		}
		if !ok {
			if d != s || hasEscape(s) {
				t.Fatalf("decodePercent(%q) = %q, false", s, d)
			}
			return
		}
		if len(d) >= len(s) {
			t.Fatalf("decodePercent(%q) = %q: not shorter", s, d)
		}
		// Every decoded byte comes from a span of s, in order, and a
		// byte that is not an escape stands for itself.
		ps, pe := fo.pct.start[fo.pct.w], fo.pct.end[fo.pct.w]
		prev := 0
		for k := range len(d) {
			a, e := int(ps[k]), int(pe[k])
			if a < prev || a >= e || e > len(s) {
				t.Fatalf("byte %d of %q from [%d,%d) of %q, after %d", k, d, a, e, s, prev)
			}
			if e-a == 1 && s[a] != d[k] {
				t.Fatalf("byte %d of %q from %q", k, d, s[a:e])
			}
			prev = e
		}
		if prev != len(s) {
			t.Fatalf("decoding of %q covers %d bytes", s, prev)
		}
		// Fully decoded text decodes to itself.
		d = strings.Clone(d)
		if !hasEscape(d) {
			if d2, ok2 := newFolder().decodePercent(d); ok2 || d2 != d {
				t.Fatalf("decoding %q again gives %q", d, d2)
			}
		}
		// The decoded view's key maps back into s, in order.
		key, _, _ := fo.resetDecoded(s)
		prev = 0
		for i := range key {
			a, e := fo.span(i, i+1)
			if a < prev || a > e || e > len(s) {
				t.Fatalf("span of decoded key byte %d = [%d,%d) of %d, after %d", i, a, e, len(s), prev)
			}
			prev = a
		}
		// The pipeline's string operations cannot fail on it.
		pp := percentPolicy()
		pol, err := pp.compile()
		if err != nil {
			t.Fatal(err)
		}
		out, _ := pol.sweepString(fo, s)
		_ = pol.rewriteCwd(fo, out, func(string) {})
	})
}
