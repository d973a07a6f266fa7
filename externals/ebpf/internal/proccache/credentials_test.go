package proccache

import (
	"context"
	"net"
	"os/exec"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// The real clients, run briefly against a loopback port that accepts and
// closes, with credentials on their command lines: the cache reads their
// argv (the exec event, or /proc) with the secret in it, and process_args
// shows none of it (issue 15).
func TestClientCredentialsRedacted(t *testing.T) {
	testenv.RequireRoot(t)
	clients := []string{"curl", "wget", "redis-cli", "psql", "mysql", "mariadb-admin"}
	testenv.RequireBinaries(t, clients...)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			conn.Close()
		}
	}()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	addr := "127.0.0.1:" + port
	c := startCache(t)
	for _, tc := range []struct {
		argv []string
		want string // process_args, or what it starts with
	}{
		{[]string{"curl", "-s", "-m", "2", "-H", "Cookie: c=SECRET", "-H", "Authorization: Bearer SECRET", "-u", "user:SECRET", "http://" + addr + "/a;jsessionid=SECRET"},
			"-s -m 2 -H Cookie: *** -H Authorization: Bearer *** -u user:*** http://" + addr + "/a;jsessionid=***"},
		{[]string{"wget", "-q", "-O", "/dev/null", "-T", "2", "--tries=1", "--user=u", "--password=SECRET", "--header=Cookie: a=SECRET", "http://" + addr + "/"},
			"-q -O /dev/null -T 2 --tries=1 --user=u --password=*** --header=Cookie: *** http://" + addr + "/"},
		{[]string{"redis-cli", "-h", "127.0.0.1", "-p", port, "-a", "SECRET", "--no-auth-warning", "ping"},
			"-h 127.0.0.1 -p " + port + " -a *** --no-auth-warning ping"},
		{[]string{"psql", "postgresql://u:SECRET@" + addr + "/db?connect_timeout=2", "-c", "select 1"},
			"postgresql://u:***@" + addr + "/db?connect_timeout=2 -c select 1"},
		{[]string{"psql", "host=127.0.0.1 port=" + port + " user=u password='SE CRET' dbname=db connect_timeout=2", "-c", "select 1"},
			"host=127.0.0.1 port=" + port + " user=u password=*** dbname=db connect_timeout=2 -c select 1"},
		{[]string{"mysql", "-h127.0.0.1", "-P" + port, "-uroot", "-pSECRET", "--connect-timeout=2", "-e", "select 1"},
			"-h127.0.0.1 -P" + port + " -uroot -p*** --connect-timeout=2 -e select 1"},
		{[]string{"mariadb-admin", "-h127.0.0.1", "-P" + port, "-uroot", "-pSECRET", "--connect-timeout=2", "ping"},
			"-h127.0.0.1 -P" + port + " -uroot -p*** --connect-timeout=2 ping"},
	} {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		cmd := exec.CommandContext(ctx, tc.argv[0], tc.argv[1:]...)
		_ = cmd.Run() // each fails: the port closes every connection
		cancel()
		info := exited(t, c, uint32(cmd.Process.Pid))
		raw := strings.Join(info.Args, " ")
		if !strings.Contains(raw, "SECRET") && !strings.Contains(raw, "SE CRET") {
			t.Errorf("%s: the cache read no secret (%q): the test proves nothing", tc.argv[0], raw)
		}
		if got := FormatArgs(info.Args, info.ArgsCut); got != tc.want || strings.Contains(got, "SECRET") || strings.Contains(got, "CRET") {
			t.Errorf("%s: process_args\n got %q\nwant %q", tc.argv[0], got, tc.want)
		}
	}
}
