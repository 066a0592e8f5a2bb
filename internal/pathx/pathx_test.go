package pathx

import "testing"

func TestBase(t *testing.T) {
	// Expected values are Python 3.11's posixpath.basename of the input.
	cases := []struct{ in, want string }{
		{"", ""},
		{"/", ""},
		{"//", ""},
		{"bash", "bash"},
		{"/usr/bin/bash", "bash"},
		{"/usr/bin/", ""},
		{"usr/bin", "bin"},
		{"//x", "x"},
		{"a//b", "b"},
		{"/a/b/.", "."},
		{"/a/b/..", ".."},
		{" /a/b c ", "b c "},
		{"C:\\Windows\\cmd.exe", "C:\\Windows\\cmd.exe"},
		{"/opt/ünï/cödé", "cödé"},
	}
	for _, c := range cases {
		if got := Base(c.in); got != c.want {
			t.Errorf("Base(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestBaseDoesNotAllocate(t *testing.T) {
	p := "/usr/lib/systemd/systemd"
	if n := testing.AllocsPerRun(100, func() { _ = Base(p) }); n != 0 {
		t.Fatalf("Base allocates %v times per call", n)
	}
}
