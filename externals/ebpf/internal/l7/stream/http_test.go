package stream_test

import (
	"bytes"
	"strings"
	"testing"

	"net/netip"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/recorded"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

func u64(n int) uint64 { return uint64(n) }

func netip443() netip.AddrPort { return netip.MustParseAddrPort("127.0.0.1:443") }

var pairs = []struct {
	req, resp, method, path string
	status                  int
}{
	{recorded.IndexQueryRequest, recorded.IndexQueryResponse, "GET", "/index.html", 200},
	{recorded.MovedRequest, recorded.MovedResponse, "GET", "/moved", 301},
	{recorded.MissingRequest, recorded.MissingResponse, "GET", "/missing", 404},
	{recorded.FailRequest, recorded.FailResponse, "GET", "/fail", 500},
	{recorded.PostRequest, recorded.PostResponse, "POST", "/echo", 200},
	{recorded.IndexQueryRequest, recorded.PythonResponse, "GET", "/index.html", 200}, // an HTTP/1.0 server
}

// One request per connection, seen from both ends: the client's socket
// sends the request, the server's accepted socket receives it.
func TestOnePerConnectionBothSides(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	var expect []want
	for i, p := range pairs {
		c := newSock(t, tr, uint64(2*i+1), clientAddr, serverAddr)
		s := newSock(t, tr, uint64(2*i+2), serverAddr, clientAddr)
		c.send(p.req)
		s.recv(p.req)
		s.send(p.resp)
		c.recv(p.resp)
		c.close()
		s.close()
		n, m := u64(len(p.req)), u64(len(p.resp))
		expect = append(expect, want{p.method, p.path, p.status, n, m, false}, want{p.method, p.path, p.status, m, n, true})
	}
	check(t, rec.http, expect...)
	for _, x := range rec.http {
		if x.Version != "1.1" || x.Conn.Comm != "curl" || x.Conn.Proto != l7.TCP {
			t.Errorf("%+v", x)
		}
		// Each socket's events are 1 µs apart.
		if x.LatencyNs != 1000 {
			t.Errorf("latency %d, want 1000", x.LatencyNs)
		}
	}
	if st := tr.Stats(); st.Sockets != 0 || st.Unanswered != 0 {
		t.Errorf("stats %+v", st)
	}
}

func TestKeepAlive(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	for _, p := range pairs[:3] {
		c.send(p.req)
		c.recv(p.resp)
	}
	check(t, rec.http,
		want{"GET", "/index.html", 200, u64(len(recorded.IndexQueryResponse)), u64(len(recorded.IndexQueryRequest)), true},
		want{"GET", "/moved", 301, 0, 0, true},
		want{"GET", "/missing", 404, 0, 0, true})
}

// Pipelined requests in one send; responses in one recv, then split at
// awkward places.
func TestPipelined(t *testing.T) {
	reqs := pairs[0].req + pairs[1].req + pairs[2].req
	resps := pairs[0].resp + pairs[1].resp + pairs[2].resp
	for _, cut := range []int{len(resps), 10, len(pairs[0].resp), len(pairs[0].resp) + 3, len(resps) - 1} {
		var rec recorder
		tr := newTracker(stream.Config{}, &rec)
		c := newSock(t, tr, 1, clientAddr, serverAddr)
		c.capBytes = 4096
		c.send(reqs)
		c.recv(resps[:cut])
		if cut < len(resps) {
			c.recv(resps[cut:])
		}
		check(t, rec.http,
			want{"GET", "/index.html", 200, u64(len(pairs[0].resp)), u64(len(pairs[0].req)), true},
			want{"GET", "/moved", 301, u64(len(pairs[1].resp)), u64(len(pairs[1].req)), true},
			want{"GET", "/missing", 404, u64(len(pairs[2].resp)), u64(len(pairs[2].req)), true})
	}
}

// A POST whose body is written separately, and contains a request line:
// the body is skipped by Content-Length, and latency runs from the body's
// send.
func TestPostBodyLooksLikeRequest(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	body := "GET /evil HTTP/1.1\r\n\r\n"
	head := "POST /upload?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 22\r\n\r\n"
	c.send(head)
	c.send(body)
	c.recv(recorded.PostResponse)
	check(t, rec.http, want{"POST", "/upload", 200, u64(len(recorded.PostResponse)), u64(len(head) + len(body)), true})
	if rec.http[0].LatencyNs != 1000 {
		t.Errorf("latency %d, want 1000 (from the body's send)", rec.http[0].LatencyNs)
	}
}

// A 1 MiB response in many recvs, each captured to 512 bytes, then another
// exchange on the same connection: Content-Length accounting must land on
// the next head exactly.
func TestLargeResponse(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	resp := append([]byte(recorded.BigResponseHead), bytes.Repeat([]byte("HTTP/1.1 200 OK\r\n\r\n"), recorded.BigBodyLen/19+1)[:recorded.BigBodyLen]...)
	c.send(recorded.BigRequest)
	for off := 0; off < len(resp); off += 16384 + 7 {
		c.recvB(resp[off:min(len(resp), off+16384+7)])
	}
	c.send(pairs[2].req)
	c.recv(pairs[2].resp)
	check(t, rec.http,
		want{"GET", "/big.bin", 200, u64(len(resp)), u64(len(recorded.BigRequest)), true},
		want{"GET", "/missing", 404, 0, 0, true})
}

// A connection observed mid-stream: body bytes first, then the next request.
func TestMidStream(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.recv(strings.Repeat("\x00binary body\xff", 100))
	c.recv(strings.Repeat("more body ", 100))
	c.send(pairs[1].req)
	c.recv(pairs[1].resp)
	check(t, rec.http, want{"GET", "/moved", 301, 0, 0, true})

	// Mid-stream from the middle of a response head onwards.
	c2 := newSock(t, tr, 2, clientAddr, serverAddr)
	c2.recv(pairs[0].resp)
	c2.send(pairs[2].req)
	c2.recv(pairs[2].resp)
	check(t, rec.http[1:], want{"GET", "/missing", 404, 0, 0, true})
	if tr.Stats().Unmatched != 1 {
		t.Errorf("unmatched %d", tr.Stats().Unmatched)
	}
}

// Heads split across events at every position.
func TestSplitHeads(t *testing.T) {
	req, resp := pairs[4].req, pairs[4].resp
	for cut := 1; cut < len(req); cut++ {
		var rec recorder
		tr := newTracker(stream.Config{}, &rec)
		s := newSock(t, tr, 1, serverAddr, clientAddr)
		s.recv(req[:cut])
		s.recv(req[cut:])
		s.send(resp[:cut%len(resp)])
		s.send(resp[cut%len(resp):])
		check(t, rec.http, want{"POST", "/echo", 200, u64(len(req)), u64(len(resp)), false})
	}
}

func TestTruncatedPath(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.capBytes = 24
	long := "GET /a/very/long/path/that/goes/on?q=1 HTTP/1.1\r\nHost: a\r\n\r\n"
	c.send(long)
	// The response head is cut by the capture too: its end is unknown, so
	// the response is open until the connection closes.
	c.recv(pairs[0].resp)
	c.close()
	check(t, rec.http, want{"GET", "/a/very/long/path/th", 200, u64(len(pairs[0].resp)), u64(len(long)), true})
	if !rec.http[0].PathTruncated || rec.http[0].Version != "" {
		t.Errorf("%+v", rec.http[0])
	}
}

// Responses without a body by rule, interim responses and chunked bodies.
func TestResponseFraming(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.send("HEAD /h HTTP/1.1\r\n\r\n")
	c.recv("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
	c.send("PUT /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
	c.recv("HTTP/1.1 100 Continue\r\n\r\n")
	c.send("abc")
	c.recv("HTTP/1.1 204 No Content\r\n\r\n")
	c.send("GET /c HTTP/1.1\r\n\r\n")
	c.recv("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n")
	c.recv("0\r\n\r\n")
	c.send("GET /close HTTP/1.0\r\n\r\n")
	c.recv("HTTP/1.0 200 OK\r\n\r\nuntil the end")
	c.recv("of the connection")
	c.close()
	check(t, rec.http,
		want{"HEAD", "/h", 200, 0, 0, true},
		want{"PUT", "/p", 204, 0, 0, true},
		want{"GET", "/c", 200, 0, 0, true},
		want{"GET", "/close", 200, u64(len("HTTP/1.0 200 OK\r\n\r\nuntil the endof the connection")), 23, true})
}

// Sockets that are not HTTP or DNS are handed to Ignore exactly once.
func TestIgnore(t *testing.T) {
	var ignored []uint64
	var rec recorder
	tr := newTracker(stream.Config{UndecidedEvents: 3, Verdict: func(id uint64, _ l7.Source, v l7.Verdict) {
		if v == l7.VerdictIgnore {
			ignored = append(ignored, id)
		}
	}}, &rec)
	tlsSock := newSock(t, tr, 1, clientAddr, netip443())
	tlsSock.send("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03")
	tlsSock.recv("\x16\x03\x03\x00\x7a")
	bin := newSock(t, tr, 2, clientAddr, serverAddr)
	for i := 0; i < 5; i++ {
		bin.send("\x00\x01redis or whatever")
	}
	ws := newSock(t, tr, 3, clientAddr, serverAddr)
	ws.send("GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n")
	ws.recv("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n")
	ws.recv("\x81\x05hello")
	if len(ignored) != 3 || ignored[0] != 1 || ignored[1] != 2 || ignored[2] != 3 {
		t.Fatalf("ignored %v", ignored)
	}
	check(t, rec.http, want{"GET", "/ws", 101, 0, 0, true})
}

// On loopback a client thread can read the answer before the sending
// thread's own send event fires: the response is held for the request and
// matched to it (latency unknown: 0), on a connection already in sync. A
// response held longer than the window answers nothing later.
func TestResponseBeforeItsRequestEvent(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.send(pairs[0].req)
	c.recv(pairs[0].resp)
	c.recv(pairs[2].resp) // early: its request's event comes next
	c.send(pairs[2].req)
	c.send(pairs[1].req)
	c.recv(pairs[1].resp)
	if len(rec.http) != 3 || rec.http[1].Path != "/missing" || rec.http[1].Status != 404 || rec.http[1].LatencyNs != 0 ||
		rec.http[2].Path != "/moved" || rec.http[2].Status != 301 || rec.http[2].LatencyNs == 0 {
		t.Fatalf("%+v", rec.http)
	}
	if st := tr.Stats(); st.Unmatched != 0 || st.Unanswered != 0 {
		t.Errorf("unmatched %d, unanswered %d", st.Unmatched, st.Unanswered)
	}

	c.recv(pairs[2].resp) // no request follows in time
	c.now += 100_000_000  // twice the held window
	c.send(pairs[1].req)
	c.recv(pairs[1].resp)
	if len(rec.http) != 4 || rec.http[3].Path != "/moved" || rec.http[3].Status != 301 || tr.Stats().Unmatched != 1 {
		t.Fatalf("stale held response: %+v, unmatched %d", rec.http[3:], tr.Stats().Unmatched)
	}
}

// A capture cut after an interim response reports no final status (0),
// never the interim one; an interim head cut short does not end the
// exchange its final response then answers.
func TestInterimThenCut(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.send("PUT /p HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n")
	c.recv("HTTP/1.1 100 Continue\r\n\r\n")
	c.send("abc")
	c.close()

	s := newSock(t, tr, 2, clientAddr, serverAddr)
	s.capBytes = len("HTTP/1.1 103 Early Hints\r\n\r\n")
	s.send("GET /cut HTTP/1.1\r\n\r\n")
	s.recv("HTTP/1.1 103 Early Hints\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	s.close()

	h := newSock(t, tr, 3, clientAddr, serverAddr)
	h.capBytes = len("HTTP/1.1 103 Early Hints\r\n")
	h.send("GET /hints HTTP/1.1\r\n\r\n")
	h.recv("HTTP/1.1 103 Early Hints\r\nLink: </s.css>; rel=preload\r\n\r\n")
	h.recv("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	h.send("GET /next HTTP/1.1\r\n\r\n")
	h.recv("HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
	h.close()
	check(t, rec.http,
		want{"PUT", "/p", 0, 0, 0, true},
		want{"GET", "/cut", 0, 0, 0, true},
		want{"GET", "/hints", 200, 0, 0, true},
		want{"GET", "/next", 404, 0, 0, true})
}

// Empty lines between messages (an old client's CRLF after a POST body, a
// server's after a response body) do not lose the message after them.
func TestEmptyLinesBetweenMessages(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.send("POST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nab\r\nGET /b HTTP/1.1\r\n\r\n")
	c.recv("HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n")
	c.send("\r\n")
	c.send("DELETE /c HTTP/1.1\r\n\r\n")
	c.recv("\r\n")
	c.recv("HTTP/1.1 204 No Content\r\n\r\n")
	c.close()
	check(t, rec.http,
		want{"POST", "/a", 200, 0, 0, true},
		want{"GET", "/b", 201, 0, 0, true},
		want{"DELETE", "/c", 204, 0, 0, true})
}

// Methods outside the known set are reported as OTHER; matrix parameters
// are stripped like queries.
func TestOtherMethodsAndPathParameters(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.send("PROPFIND /dav;jsessionid=SECRET HTTP/1.1\r\nDepth: 1\r\n\r\n")
	c.recv("HTTP/1.1 207 Multi-Status\r\nContent-Length: 0\r\n\r\n")
	c.send("BREW /pot;sid=SECRET?x=1 HTTP/1.1\r\n\r\n")
	c.recv("HTTP/1.1 418 I'm a teapot\r\nContent-Length: 0\r\n\r\n")
	c.close()
	check(t, rec.http,
		want{"PROPFIND", "/dav", 207, 0, 0, true},
		want{"OTHER", "/pot", 418, 0, 0, true})
}

// Text at the start of an open request body that reads as an unknown
// method and a path cut short is body, not a request.
func TestOpenBodyIsNotAnOtherMethod(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.send("POST /up HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n")
	c.capBytes = 16 // the capture ends inside the second word
	c.send("upload data-that-goes-on")
	c.capBytes = l7.DefaultCaptureBytes
	c.send("\r\n0\r\n\r\n")
	c.recv("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
	c.send("GET /next HTTP/1.1\r\n\r\n")
	c.recv("HTTP/1.1 404 Not Found\r\n\r\n")
	c.close()
	check(t, rec.http, want{"POST", "/up", 200, 0, 0, true}, want{"GET", "/next", 404, 0, 0, true})
}

// The request headers a later stage asks for are in the exchange, never a
// credential even when asked; a request the connection ended before its
// response is emitted as Unanswered.
func TestAskedHeadersAndUnanswered(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{Headers: []string{"traceparent", "authorization"}}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.send("GET /a HTTP/1.1\r\nAuthorization: Basic c2VjcmV0\r\nTraceParent:  00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01 \r\n\r\n")
	c.recv("HTTP/1.1 204 No Content\r\n\r\n")
	c.send("GET /b HTTP/1.1\r\n\r\n")
	c.close()
	if len(rec.http) != 2 || rec.http[0].Unanswered || !rec.http[1].Unanswered || rec.http[1].Path != "/b" || rec.http[1].Status != 0 {
		t.Fatalf("%+v", rec.http)
	}
	h := rec.http[0].Headers
	if len(h) != 1 || h[0].Name != "traceparent" || h[0].Value != "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" {
		t.Errorf("headers %+v", h)
	}
	if st := tr.Stats(); st.Unanswered != 1 {
		t.Errorf("unanswered %d", st.Unanswered)
	}
}
