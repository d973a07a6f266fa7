package proccache

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestFormatArgs(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{
		{[]string{"curl"}, ""},
		{[]string{"curl", "-s", "http://127.0.0.1:80/x"}, "-s http://127.0.0.1:80/x"},
		{[]string{"app", "--password=hunter2", "--db-password", "hunter2", "-v"}, "app"[0:0] + "--password=*** --db-password *** -v"},
		{[]string{"app", "--token", "--next"}, "--token --next"},
		{[]string{"curl", "-H", "Authorization: Bearer abc.def", "https://u:pw@h/p?api_key=k1&x=1"},
			"-H Authorization: Bearer *** https://u:***@h/p?api_key=***&x=1"},
		{[]string{"/usr/bin/mysql", "-uroot", "-pSECRET", "-p"}, "-uroot -p*** -p"},
		{[]string{"env", "AWS_SECRET_ACCESS_KEY=abc", "PATH=/bin"}, "AWS_SECRET_ACCESS_KEY=*** PATH=/bin"},
	} {
		if got := FormatArgs(c.argv, false); got != c.want {
			t.Errorf("FormatArgs(%q)\n got %q\nwant %q", c.argv, got, c.want)
		}
	}
	long := FormatArgs([]string{"x", strings.Repeat("é", 300)}, false)
	if len(long) > ArgsLimit || !strings.HasSuffix(long, "...") || !utf8.ValidString(long) {
		t.Errorf("long args: %d bytes, valid %v", len(long), utf8.ValidString(long))
	}
	if got := FormatArgs([]string{"x", "a"}, true); got != "a..." {
		t.Errorf("kernel-cut args: %q", got)
	}
}

func FuzzFormatArgs(f *testing.F) {
	f.Add("curl\x00-H\x00Authorization: Bearer x\x00--password\x00p")
	f.Fuzz(func(t *testing.T, s string) {
		argv := strings.Split(s, "\x00")
		out := FormatArgs(argv, false)
		if len(out) > ArgsLimit {
			t.Fatalf("%d bytes", len(out))
		}
		for i, a := range argv {
			if i > 0 && strings.HasPrefix(a, "--password=") && len(a) > len("--password=") && !strings.HasPrefix(a[11:], "*") && strings.Contains(out, a) {
				t.Fatalf("secret %q kept in %q", a, out)
			}
		}
	})
}
