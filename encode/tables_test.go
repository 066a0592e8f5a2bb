package encode

import (
	"testing"

	"github.com/tetrahids/tetrahids/internal/schemadoc"
	"github.com/tetrahids/tetrahids/schema"
)

// Expectations from the reference derive_dst_ip_category under CPython 3.11.7.
var ipCases = []struct{ in, want string }{
	{"127.0.0.1", "LOOPBACK"},
	{"127.255.0.9", "LOOPBACK"},
	{"::1", "LOOPBACK"},
	{"::ffff:127.0.0.1", "PRIVATE"},
	{"::ffff:8.8.8.8", "PUBLIC"},
	{"::ffff:10.0.0.1", "PRIVATE"},
	{"169.254.169.254", "LINK_LOCAL"},
	{"fe80::1", "LINK_LOCAL"},
	{"fe80::1%eth0", "LINK_LOCAL"},
	{"10.20.0.1", "PRIVATE"},
	{"172.16.5.4", "PRIVATE"},
	{"172.32.0.1", "PUBLIC"},
	{"192.168.1.1", "PRIVATE"},
	{"100.64.0.1", "PUBLIC"},
	{"0.0.0.0", "PRIVATE"},
	{"255.255.255.255", "PRIVATE"},
	{"224.0.0.251", "MULTICAST"},
	{"239.1.1.1", "MULTICAST"},
	{"ff02::1", "MULTICAST"},
	{"8.8.8.8", "PUBLIC"},
	{"140.82.112.3", "PUBLIC"},
	{"2606:4700::6810:123", "PUBLIC"},
	{"fc00::1", "PRIVATE"},
	{"2001:db8::1", "PRIVATE"},
	{" 8.8.8.8 ", "PUBLIC"},
	{"01.2.3.4", "NONE"},
	{"1.2.3", "NONE"},
	{"256.1.1.1", "NONE"},
	{"not-an-ip", "NONE"},
	{"", "NONE"},
	{"::", "PRIVATE"},
	{"1.2.3.4%eth0", "NONE"},
	{"192.0.0.9", "PUBLIC"},
	{"2001::1", "PRIVATE"},
	{"240.0.0.1", "PRIVATE"},
	{"203.0.113.5", "PRIVATE"},
	{"\u00a08.8.8.8", "PUBLIC"},
	{"::ffff:169.254.1.1", "PRIVATE"},
	{"::ffff:224.0.0.1", "PUBLIC"},
}

func TestIPCategoryMatchesPython(t *testing.T) {
	tbl, err := newIPTable(&schemadoc.Of(schema.Default()).Tables.DstIPCategory)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range ipCases {
		if got := tbl.label(c.in, false); got != c.want {
			t.Errorf("%q: got %s, want %s", c.in, got, c.want)
		}
	}
	if got := tbl.label("", true); got != "NONE" {
		t.Errorf("null: got %s", got)
	}
}

func TestPathHelpers(t *testing.T) {
	// Expectations of the reference's _dirname and _first_n_path_components.
	for in, want := range map[string]string{"/usr/sbin/cron": "/usr/sbin/", "/foo": "/", "foo": "foo", "a/b": "a/", "/": "/"} {
		if got := dirname(in); got != want {
			t.Errorf("dirname(%q) = %q, want %q", in, got, want)
		}
	}
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"/home/ryan/foo/bar/baz", 4, "/home/ryan/foo/bar"},
		{"/home/ryan/foo/bar/baz", 2, "/home/ryan"},
		{"/home/ryan", 4, "/home/ryan"},
		{"/", 4, "/"},
		{"/home/", 4, "/home/"},
		{"rel/a/b/c/d", 2, "rel/a"},
		{"//x", 2, "//x"},
	} {
		if got := firstComponents(c.in, c.n); got != c.want {
			t.Errorf("firstComponents(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestProcPidDir(t *testing.T) {
	for in, want := range map[string]bool{"/proc/123/maps": true, "/proc/self/maps": false, "/proc/123": false, "/proc//x": false, "/x/proc/1/": false} {
		if got := procPidDir(in); got != want {
			t.Errorf("procPidDir(%q) = %v", in, got)
		}
	}
}
