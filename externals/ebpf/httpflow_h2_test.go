package main

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// TestHTTPFlowH2C: HTTP/2 over cleartext (prior knowledge) to nginx's
// `listen P http2`, from curl (one connection each: curl 7.88.1 fails
// reusing an h2c connection, exit 16) and from Go's net/http client
// (several streams on one connection, so HPACK's dynamic table is in use):
// httpflow reports each with http_version "2", its method, its path
// without the query and its status, on both sides, and no secret.
func TestHTTPFlowH2C(t *testing.T) {
	testenv.RequireBinaries(t, "curl")
	out, stop := collector(t)
	h2 := testenv.FreePort(t)
	n := testenv.StartNginx(t, fmt.Sprintf(`
    listen 127.0.0.1:%d http2;
    location = /ok { return 200 "ok\n"; }
    location = /moved { return 301 /ok; }
    location = /fail { return 500; }
    location = /echo { return 200 "echo\n"; }`, h2))
	testenv.WaitPort(t, fmt.Sprintf("127.0.0.1:%d", h2), 10*time.Second)
	n.WriteFile(t, "big", 1<<20)
	base := fmt.Sprintf("http://127.0.0.1:%d", h2)
	h := newTruth()
	h.version = "2"
	prior := []string{"--http2-prior-knowledge"}
	for _, p := range []string{"/ok?token=SECRET", "/moved", "/missing", "/fail", "/big"} {
		h.curl(t, prior, base+p)
	}
	h.curl(t, append(prior, "-H", "Authorization: Bearer SECRET", "-X", "POST"), base+"/echo")
	// No large body here: its WINDOW_UPDATEs push the next HEADERS past
	// the capture's cut in nginx's read (l7/README.md, HTTP/2).
	h.goH2C(t, base, "/ok", "/ok?x=SECRET", "/moved", "/missing", "/fail", "/ok", "/ok")
	pts := checkHTTPFlow(t, out, stop, h2, strconv.Itoa(n.WorkerPid(t)), h)
	for _, p := range pts {
		if strings.Contains(fmt.Sprint(p), "SECRET") {
			t.Errorf("point carries the secret: %v", p)
		}
	}
}

// goH2C makes GET requests one after the other on one prior-knowledge
// HTTP/2 connection from this process, with a Cookie on each.
func (h *httpTruth) goH2C(t *testing.T, base string, paths ...string) {
	t.Helper()
	var p http.Protocols
	p.SetUnencryptedHTTP2(true)
	tr := &http.Transport{Protocols: &p}
	defer tr.CloseIdleConnections()
	c := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, path := range paths {
		req, _ := http.NewRequest("GET", base+path, nil)
		req.Header.Set("Cookie", "session=SECRET")
		start := time.Now()
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.ProtoMajor != 2 {
			t.Fatalf("%s: %s, want HTTP/2", path, resp.Proto)
		}
		h.add("GET", req.URL.Path, resp.StatusCode, time.Since(start))
	}
	h.pids[strconv.Itoa(os.Getpid())] = true
}
