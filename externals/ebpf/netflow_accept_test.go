package main

import (
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// TestNetflowAcceptedSilent: a server that accepts and closes at once
// never sends or receives, so only its close() (the state change out of
// ESTABLISHED runs in the closing process) can tell whose connections
// they are. Its accepting thread has its own name: process_name must
// still be the process's.
func TestNetflowAcceptedSilent(t *testing.T) {
	t.Parallel() // its own processes, ports and collector
	testenv.RequireBinaries(t, "python3")
	port := testenv.FreePort(t)
	server := testenv.Start(t, "python3", "-c", pyThreadName+fmt.Sprintf(`
l = socket.socket()
l.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
l.bind(("127.0.0.1", %d))
l.listen(16)
print("ready", flush=True)
def serve():
    while True:
        c, _ = l.accept()
        c.close()
named("acceptor", serve)
`, port))
	testenv.Eventually(t, 5*time.Second, "tcp server", func() bool { return strings.Contains(server.Output(), "ready") })
	out, stop := collector(t)
	client := exec.Command("python3", "-c", fmt.Sprintf(`
import socket
for i in range(3):
    s = socket.create_connection(("127.0.0.1", %d), timeout=5)
    assert s.recv(10) == b""  # the server's FIN
    s.close()
`, port))
	if b, err := client.CombinedOutput(); err != nil {
		t.Fatalf("tcp client: %v\n%s", err, b)
	}
	time.Sleep(2500 * time.Millisecond) // two flushes
	stop()
	pts := readPoints(t, out)

	sp := strconv.Itoa(port)
	srv := map[string]string{"pid": strconv.Itoa(server.Pid()), "process_name": "python3", "transport": "tcp",
		"src_port": sp, "direction": "incoming"}
	est, n := sum(pts, "netflow", "tcp_established", srv)
	closed, _ := sum(pts, "netflow", "tcp_closed", srv)
	if n == 0 || est != 3 || closed != 3 {
		t.Errorf("server %v: %d points, established %d closed %d, want 3 and 3", srv, n, est, closed)
	}
	if _, n := sum(pts, "netflow", "tcp_closed", map[string]string{"pid": "0", "src_port": sp}); n != 0 {
		t.Errorf("%d points of the server's connections without a pid", n)
	}
	cli := map[string]string{"pid": strconv.Itoa(client.Process.Pid), "dst_port": sp, "direction": "outgoing"}
	if est, _ := sum(pts, "netflow", "tcp_established", cli); est != 3 {
		t.Errorf("client: established %d, want 3", est)
	}
}
