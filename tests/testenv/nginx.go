package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Nginx is Debian's nginx started by a test on 127.0.0.1:Port with one
// worker, serving Root.
type Nginx struct {
	Port   int
	Root   string
	Master *Proc
}

// StartNginx starts nginx; server is added inside its server block (after
// listen and root), for example `location = /boom { return 500; }`.
func StartNginx(t testing.TB, server string) *Nginx {
	t.Helper()
	RequireBinaries(t, "nginx")
	n := &Nginx{Root: t.TempDir(), Port: FreePort(t)}
	conf := filepath.Join(n.Root, "nginx.conf")
	body := fmt.Sprintf(`worker_processes 1;
pid %[1]s/nginx.pid;
error_log %[1]s/error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path %[1]s; proxy_temp_path %[1]s; fastcgi_temp_path %[1]s;
  uwsgi_temp_path %[1]s; scgi_temp_path %[1]s;
  server {
    listen 127.0.0.1:%[2]d;
    root %[1]s;
    %[3]s
  }
}
`, n.Root, n.Port, server)
	if err := os.WriteFile(conf, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	n.Master = Start(t, "nginx", "-c", conf, "-g", "daemon off; user root;")
	WaitPort(t, n.Addr(), 10*time.Second)
	return n
}

// Addr is 127.0.0.1:Port.
func (n *Nginx) Addr() string { return fmt.Sprintf("127.0.0.1:%d", n.Port) }

// URL is the address of path on this server.
func (n *Nginx) URL(path string) string { return "http://" + n.Addr() + path }

// WriteFile puts a file of size bytes at Root/name.
func (n *Nginx) WriteFile(t testing.TB, name string, size int) {
	t.Helper()
	if err := os.WriteFile(filepath.Join(n.Root, name), []byte(strings.Repeat("x", size)), 0o644); err != nil {
		t.Fatal(err)
	}
}

// WorkerPid is the pid of the single worker process. The master listens
// before it forks the worker, so the worker may not be there yet when the
// port answers: it is waited for.
func (n *Nginx) WorkerPid(t testing.TB) int {
	t.Helper()
	var kids []int
	Eventually(t, 5*time.Second, "nginx's one worker", func() bool {
		kids = Children(t, n.Master.Pid())
		return len(kids) == 1
	})
	return kids[0]
}

// Children lists the child processes of pid. Each thread has its own list
// (a Go program starts children from any of its threads), so all are read.
func Children(t testing.TB, pid int) []int {
	t.Helper()
	lists, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	if err != nil || len(lists) == 0 {
		t.Fatalf("children of %d: no such process", pid)
	}
	var out []int
	for _, l := range lists {
		b, _ := os.ReadFile(l) // a thread may end meanwhile
		for _, f := range strings.Fields(string(b)) {
			n, _ := strconv.Atoi(f)
			out = append(out, n)
		}
	}
	return out
}
