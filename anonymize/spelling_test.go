package anonymize

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// cwdThrough runs cwds through a pipeline under pol as the
// proc_cwd_normalized values of the first rows of an encoded batch, and
// returns the released values (or Apply's error).
func cwdThrough(t *testing.T, pol Policy, cwds ...string) ([]string, error) {
	t.Helper()
	rec := encodedInput(t, 1000)[0]
	require.GreaterOrEqual(t, int(rec.NumRows()), len(cwds))
	head := rec.NewSlice(0, int64(len(cwds)))
	defer head.Release()
	vals := stringsOf(t, head, "proc_cwd_normalized")
	copy(vals, cwds)
	in := replaceColumns(t, head, map[string][]string{"proc_cwd_normalized": vals})
	defer in.Release()
	p, err := New(pol, WithKey(testKey))
	require.NoError(t, err)
	out, err := p.Apply(in)
	if err != nil {
		return nil, err
	}
	defer out.Release()
	return stringsOf(t, out, "proc_cwd_normalized")[:len(cwds)], nil
}

// spellingPolicy lists names the way an operator writes them.
func spellingPolicy() Policy {
	p := DefaultPolicy()
	p.Forbidden = []string{"jürgen", "rypow", "dendroaspis", "acme-prod", "bob"}
	p.Sweep = []Replacement{{From: "prox1", To: "host"}}
	return p
}

// TestLookalikeSpellingsAreCaught: a listed name spelled with decomposed
// accents, compatibility characters, lookalike letters, other hyphens or
// invisible characters is still that name.
func TestLookalikeSpellingsAreCaught(t *testing.T) {
	for _, tc := range []struct{ cwd, name string }{
		{"/srv/ju\u0308rgen/", "jürgen"},                  // decomposed ü
		{"/srv/JU\u0308RGEN/", "jürgen"},                  // decomposed, upper case
		{"/srv/\uff52\uff59\uff50\uff4f\uff57/", "rypow"}, // fullwidth
		{"/srv/dendroasp\u0131s/", "dendroaspis"},         // dotless ı
		{"/srv/dendroa\u017fpis/", "dendroaspis"},         // long ſ
		{"/srv/dendr\u043easpis/", "dendroaspis"},         // Cyrillic о
		{"/srv/D\u0395NDROASPIS/", "dendroaspis"},         // Greek Ε
		{"/srv/acme\u2010prod/", "acme-prod"},             // U+2010 hyphen
		{"/srv/acme\u2011prod/", "acme-prod"},             // non-breaking hyphen
		{"/srv/acme\u2212prod/", "acme-prod"},             // minus sign
		{"/srv/ry\u00adpow/", "rypow"},                    // soft hyphen
		{"/srv/ry\u200bpow/", "rypow"},                    // zero-width space
	} {
		_, err := cwdThrough(t, spellingPolicy(), tc.cwd)
		var leak *LeakError
		require.ErrorAs(t, err, &leak, "%+q", tc.cwd)
		require.Equal(t, CheckForbidden, leak.Check, "%+q", tc.cwd)
		require.Equal(t, tc.name, leak.Pattern, "%+q", tc.cwd)
		require.NotContains(t, leak.Error(), tc.cwd)
	}
}

// TestSweepMatchesLookalikeSpellings: the sweep replaces every spelling
// of its source, and leaves the rest of the value as it was.
func TestSweepMatchesLookalikeSpellings(t *testing.T) {
	pol := spellingPolicy()
	pol.Sweep = append(pol.Sweep, Replacement{From: "jürgen", To: "_user_"})
	got, err := cwdThrough(t, pol,
		"/srv/\u03a1R\u039f\u03a71/data/", // Greek Ρ, Ο, Χ
		"/srv/\uff50\uff52\uff4f\uff58\uff11/",
		"/srv/ju\u0308rgen/x/",
		"/srv/prox1/",
		"/opt/PROX1-backup/",
	)
	require.NoError(t, err)
	require.Equal(t, []string{"/srv/host/data/", "/srv/host/", "/srv/_user_/x/", "/srv/host/", "/opt/host-backup/"}, got)
}

// TestReleasedStringsAreNFC: a decomposed value is released composed.
func TestReleasedStringsAreNFC(t *testing.T) {
	got, err := cwdThrough(t, DefaultPolicy(), "/srv/cafe\u0301/", "/home/jo\u0308rg/")
	require.NoError(t, err)
	require.Equal(t, []string{"/srv/caf\u00e9/", "/home/_user_/"}, got)
}

// TestBase64OfListedValueInAnyCase: the cwd is lower-cased before the
// pipeline sees it, so a base64 spelling of a listed value reaches it in
// lower case, where decoding yields nothing; any case mix is caught.
func TestBase64OfListedValueInAnyCase(t *testing.T) {
	enc := base64.StdEncoding.EncodeToString
	for _, cwd := range []string{
		"/srv/" + strings.ToLower(enc([]byte("prox1"))) + "/",
		"/srv/" + strings.ToUpper(enc([]byte("prox1"))) + "/",
		"/srv/" + strings.ToLower(enc([]byte("dendroaspis"))) + "/",
		"/srv/x" + strings.ToLower(enc([]byte("at dendroaspis"))) + "/",
		"/srv/" + strings.ToLower(base64.RawURLEncoding.EncodeToString([]byte("~~dendroaspis"))) + "/",
		"/srv/" + strings.ToLower(enc([]byte("DENDROASPIS"))) + "/",
		"/srv/" + enc([]byte("RyPow@PROX1")) + "/",          // original case: decoded
		"/srv/" + strings.ToLower(enc([]byte("bob"))) + "/", // a short name, encoded alone
	} {
		_, err := cwdThrough(t, spellingPolicy(), cwd)
		var leak *LeakError
		require.ErrorAs(t, err, &leak, cwd)
		require.True(t, leak.Base64, cwd)
		require.NotContains(t, leak.Error(), cwd)
	}
}

// TestShortBase64SpellingsNeedWords: the four-character spelling of a
// three-byte name is found alone, not inside a random name.
func TestShortBase64SpellingsNeedWords(t *testing.T) {
	short := strings.ToLower(base64.StdEncoding.EncodeToString([]byte("bob")))
	got, err := cwdThrough(t, spellingPolicy(), "/tmp/tmp.kq3"+short+"d0a/")
	require.NoError(t, err)
	require.Equal(t, []string{"/tmp/tmp.kq3" + short + "d0a/"}, got)
}

// TestDefaultPolicyHomeLayouts: without any listed name, the default
// policy hides the user and the project in the common home layouts.
func TestDefaultPolicyHomeLayouts(t *testing.T) {
	cases := [][2]string{
		{"/var/home/jdoe/", "/var/home/_user_/"},
		{"/export/home/jdoe/", "/export/home/_user_/"},
		{"/mnt/c/users/jdoe/", "/mnt/c/Users/_user_/"},
		{"/home//jdoe/", "/home/_user_/"},
		{"//home/jdoe/", "/home/_user_/"},
		{"/\uff48\uff4f\uff4d\uff45/jdoe/", "/home/_user_/"}, // fullwidth
		{"/\u04bbome/jdoe/.x/", "/home/_user_/.x/"},          // Cyrillic һ
		{"/home\u2215jdoe/.x/", "/home/_user_/.x/"},          // division slash
		{"/home/jdoe/secretproj/src/", "/home/_user_/workspace/_project_/src/"},
		{"/var/home/jdoe/secretproj/", "/var/home/_user_/workspace/_project_/"},
		{"/users/jdoe/secretproj/", "/Users/_user_/workspace/_project_/"},
		{"/mnt/d/users/jdoe/secretproj/", "/mnt/d/Users/_user_/workspace/_project_/"},
		{"/root/secretproj/", "/root/workspace/_project_/"},
		// Unchanged where nothing names anyone.
		{"/home/jdoe/.cache/pip/", "/home/_user_/.cache/pip/"},
		{"/home/jdoe/projects/webapp/", "/home/_user_/workspace/_project_/"},
		{"/home/_user_/workspace/_project_/", "/home/_user_/workspace/_project_/"},
		{"/root/", "/root/"},
		{"/root/.npm/", "/root/.npm/"},
		{"/tmp/", "/tmp/"},
		{"/", "/"},
	}
	var in, want []string
	for _, c := range cases {
		in = append(in, c[0])
		want = append(want, c[1])
	}
	got, err := cwdThrough(t, DefaultPolicy(), in...)
	require.NoError(t, err)
	require.Equal(t, want, got)
}

// TestDefaultPolicyAddressPatterns: IPv6 addresses and MAC addresses
// without separators fail the release under the default policy.
func TestDefaultPolicyAddressPatterns(t *testing.T) {
	for cwd, pattern := range map[string]string{
		"/var/lib/net/fe80::1ff:fe23:4567:890a/":                  "ipv6_address",
		"/var/lib/net/2001:0db8:85a3:0000:0000:8a2e:0370:7334/":   "ipv6_address",
		"/srv/peer-2001:db8::1/":                                  "ipv6_address",
		"/srv/::1/":                                               "ipv6_address",
		"/var/lib/net/0242ac110002/":                              "mac_address",
		"/var/lib/net/if-0242AC110002.conf/":                      "mac_address",
		"/var/lib/net/\uff10\uff12\uff14\uff12ac110002/":          "mac_address", // fullwidth digits
		"/var/lib/net/02\u201042\u2010ac\u201011\u201000\u201002": "mac_address", // U+2010 separators
	} {
		_, err := cwdThrough(t, DefaultPolicy(), cwd)
		var leak *LeakError
		require.ErrorAs(t, err, &leak, "%+q", cwd)
		require.Equal(t, CheckPattern, leak.Check, "%+q", cwd)
		require.Equal(t, pattern, leak.Pattern, "%+q", cwd)
	}
	// Look-alikes that are not addresses pass.
	ok := []string{
		"/srv/build-202604141234/",                                     // twelve digits: a time, not a MAC
		"/var/lib/docker/overlay2/" + strings.Repeat("ab12", 16) + "/", // a longer hex run
		"/usr/include/c++/12/bits/",
		"/srv/std::map/",
		"/srv/12:30:45/",
	}
	got, err := cwdThrough(t, DefaultPolicy(), ok...)
	require.NoError(t, err)
	require.Equal(t, ok, got)
}
