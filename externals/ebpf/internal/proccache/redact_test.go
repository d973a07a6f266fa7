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
		{[]string{"app", "--token", "--password=SECRET", "--secret", "SECRET"}, "--token --password=*** --secret ***"},
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

// Credentials as each client takes them on its command line (issue 15).
// No output may contain SECRET; what is kept (users, hosts, schemes,
// other arguments) is pinned too.
func TestFormatArgsCredentials(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want string
	}{
		// curl
		{[]string{"curl", "-H", "Cookie: c=SECRET; d=SECRET", "http://127.0.0.1/"}, "-H Cookie: *** http://127.0.0.1/"},
		{[]string{"curl", "-H", "Authorization: Digest username=\"u\", response=\"SECRET\"", "http://h/"}, "-H Authorization: Digest *** http://h/"},
		{[]string{"curl", "-H", "authorization:SECRET", "-H", "Accept: text/html"}, "-H authorization:*** -H Accept: text/html"},
		{[]string{"curl", "--header", "Proxy-Authorization: Basic U0VDUkVU", "-x", "http://p:3128"}, "--header Proxy-Authorization: Basic *** -x http://p:3128"},
		{[]string{"curl", "-HX-Api-Key: SECRET", "-H", "X-Auth-Token:SECRET", "-H", "Private-Token: SECRET"}, "-HX-Api-Key: *** -H X-Auth-Token:*** -H Private-Token: ***"},
		{[]string{"curl", "-u", "user:SECRET", "http://h/"}, "-u user:*** http://h/"},
		{[]string{"curl", "-uuser:SECRET", "--user", "admin:SE:CRET", "-U", "proxy:SECRET", "-u", "promptme"}, "-uuser:*** --user admin:*** -U proxy:*** -u promptme"},
		{[]string{"curl", "-b", "session=SECRET", "-b", "cookies.txt", "--cookie", "a=SECRET"}, "-b *** -b cookies.txt --cookie ***"},
		{[]string{"curl", "--cert", "client.pem:SECRET", "--oauth2-bearer", "SECRET"}, "--cert client.pem:*** --oauth2-bearer ***"},
		{[]string{"curl", "https://user:SECRET@h/p;jsessionid=SECRET?access_token=SECRET"}, "https://user:***@h/p;jsessionid=***"},
		{[]string{"sh", "-c", "curl -s -H 'Cookie: sid=SECRET' -H \"Authorization: Bearer SECRET\" http://h/"},
			"-c curl -s -H 'Cookie: ***' -H \"Authorization: Bearer ***\" http://h/"},
		// wget
		{[]string{"wget", "--user=u", "--password=SECRET", "--http-password=SECRET", "http://h/"}, "--user=u --password=*** --http-password=*** http://h/"},
		{[]string{"wget", "--http-password", "SECRET", "--header=Cookie: a=SECRET", "ftp://u:SECRET@h/f"}, "--http-password *** --header=Cookie: *** ftp://u:***@h/f"},
		// httpie
		{[]string{"http", "-a", "user:SECRET", "GET", "h/", "Authorization:Bearer SECRET", "Cookie:a=SECRET"}, "-a user:*** GET h/ Authorization:Bearer *** Cookie:***"},
		// mysql and mariadb
		{[]string{"mysql", "-uroot", "-pSECRET", "-h127.0.0.1", "db"}, "-uroot -p*** -h127.0.0.1 db"},
		{[]string{"/usr/bin/mariadb", "--user=root", "--password=SECRET", "-p", "db"}, "--user=root --password=*** -p db"},
		{[]string{"mysql", "mysql://root:SECRET@127.0.0.1/db"}, "mysql://root:***@127.0.0.1/db"},
		{[]string{"mariadb-admin", "-uroot", "-pSECRET", "status"}, "-uroot -p*** status"},
		{[]string{"mysql", "-p=SECRET", "db"}, "-p*** db"},
		// psql
		{[]string{"psql", "postgresql://u:SECRET@127.0.0.1:5432/db?sslmode=disable"}, "postgresql://u:***@127.0.0.1:5432/db?sslmode=disable"},
		{[]string{"psql", "host=127.0.0.1 user=u password=SECRET dbname=db"}, "host=127.0.0.1 user=u password=*** dbname=db"},
		{[]string{"psql", "host=h password='SE CRET' sslpassword=SECRET"}, "host=h password=*** sslpassword=***"},
		{[]string{"psql", "postgres://h/db?user=u&password=SECRET"}, "postgres://h/db?user=u&password=***"},
		// redis-cli
		{[]string{"redis-cli", "-h", "127.0.0.1", "-a", "SECRET", "--no-auth-warning", "ping"}, "-h 127.0.0.1 -a *** --no-auth-warning ping"},
		{[]string{"redis-cli", "--user", "u", "--pass", "SECRET", "-u", "redis://u:SECRET@127.0.0.1:6379"}, "--user u --pass *** -u redis://u:***@127.0.0.1:6379"},
		// others
		{[]string{"sshpass", "-pSECRET", "ssh", "h"}, "-p*** ssh h"},
		{[]string{"mongosh", "-u", "u", "-p", "SECRET", "mongodb://h"}, "-u u -p *** mongodb://h"},
		{[]string{"app", "-d", `{"user":"u","password":"SECRET"}`}, `-d {"user":"u","password":"***"}`},
		// not credentials: left alone
		{[]string{"docker", "run", "-u", "1000:1000", "img"}, "run -u 1000:1000 img"},
		{[]string{"ssh", "-p", "2222", "h"}, "-p 2222 h"},
	} {
		got := FormatArgs(c.argv, false)
		if got != c.want || strings.Contains(got, "SECRET") || strings.Contains(got, "U0VDUkVU") {
			t.Errorf("FormatArgs(%q)\n got %q\nwant %q", c.argv, got, c.want)
		}
	}
}

func FuzzFormatArgs(f *testing.F) {
	f.Add("curl\x00-H\x00Authorization: Bearer x\x00--password\x00p")
	f.Add("curl\x00-uuser:x\x00-b\x00a=b\x00-HCookie: c=d")
	f.Add("redis-cli\x00-a\x00x\x00--pass=y")
	f.Add("psql\x00postgresql://u:x@h/db\x00host=h password='a b'")
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
			// curl's -u user:password and -H "Cookie: ..." keep no password
			// or cookie, wherever they are.
			if i > 1 && argv[0] == "curl" && argv[i-1] == "-u" && argv[i-2] != "-u" {
				if _, pw, ok := strings.Cut(a, ":"); ok && len(pw) > 3 && !strings.ContainsAny(pw, "* ") && strings.Contains(out, pw) {
					t.Fatalf("password %q kept in %q", pw, out)
				}
			}
			if name, v, ok := strings.Cut(a, ":"); ok && strings.EqualFold(name, "cookie") && len(strings.TrimSpace(v)) > 3 &&
				!strings.ContainsAny(v, "*'\"\r\n") && strings.Contains(out, v) {
				t.Fatalf("cookie %q kept in %q", v, out)
			}
		}
	})
}
