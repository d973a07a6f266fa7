package http2_test

import (
	"context"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
)

// The tests record real HTTP/2 traffic: Go's net/http client and server
// speaking prior-knowledge h2c on loopback, every Read and Write of both
// ends kept as the socket capture would see them (one event per call,
// payload cut at the capture size, TotalLen whole).

// recorded is one call on a connection.
type recorded struct {
	dir l7.Dir
	b   []byte
}

// recConn keeps the calls of one connection, in the order they returned.
type recConn struct {
	net.Conn
	mu    *sync.Mutex
	calls *[]recorded
}

func (c recConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.keep(l7.DirRecv, b[:n])
	return n, err
}

func (c recConn) Write(b []byte) (int, error) {
	n, err := c.Conn.Write(b)
	c.keep(l7.DirSend, b[:n])
	return n, err
}

func (c recConn) keep(d l7.Dir, b []byte) {
	if len(b) == 0 {
		return
	}
	c.mu.Lock()
	*c.calls = append(*c.calls, recorded{d, append([]byte(nil), b...)})
	c.mu.Unlock()
}

type recListener struct {
	net.Listener
	mu    *sync.Mutex
	calls *[]recorded
}

func (l recListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return recConn{c, l.mu, l.calls}, nil
}

// session runs reqs over one h2c connection against handler and returns
// the client's and the server's calls.
func session(t *testing.T, handler http.HandlerFunc, reqs func(c *http.Client, base string)) (client, server []recorded) {
	t.Helper()
	var mu sync.Mutex
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	srv := &http.Server{Handler: handler, Protocols: &p}
	go srv.Serve(recListener{ln, &mu, &server})
	tr := &http.Transport{Protocols: &p, DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return recConn{c, &mu, &client}, nil
	}}
	reqs(&http.Client{Transport: tr}, "http://"+ln.Addr().String())
	tr.CloseIdleConnections()
	srv.Close()
	mu.Lock()
	defer mu.Unlock()
	return append([]recorded(nil), client...), append([]recorded(nil), server...)
}

// do sends one request and reads its whole response.
func do(t *testing.T, c *http.Client, method, url, body string, hdr ...string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if resp.ProtoMajor != 2 {
		t.Fatalf("%s %s: proto %s, want HTTP/2", method, url, resp.Proto)
	}
}
