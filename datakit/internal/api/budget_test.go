package api

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
)

// startServer runs s on a loopback port and returns the write URL's base.
func startServer(t *testing.T, s *Server) string {
	t.Helper()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Shutdown(t.Context()) })
	return "http://" + s.Addr()
}

// sendPartial sends a POST's headers declaring length and the first bytes of
// its body, and leaves the rest unsent.
func sendPartial(t *testing.T, addr, path string, length int, first string) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	fmt.Fprintf(c, "POST %s HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s", path, length, first)
	return c
}

// TestNoPreallocation: bodies that declare 32 MiB and send a few bytes
// hold a chunk each, in the budget and in the heap.
func TestNoPreallocation(t *testing.T) {
	s, _ := newTestServer(t, Config{Listen: "127.0.0.1:0"})
	startServer(t, s)
	const conns = 40
	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range conns {
		sendPartial(t, s.Addr(), "/v1/write/metric", 32<<20, "cpu,host=h usage=1")
	}
	want := int64(conns * chunkSize)
	waitFor(t, "every body to hold its chunk", func() bool { return s.budget.inUse() == want })
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	if grown := int64(after.HeapAlloc) - int64(before.HeapAlloc); grown > 3*want {
		t.Fatalf("%d bodies declaring 32 MiB grew the heap by %d bytes, want about %d", conns, grown, want)
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
	}
}

// TestBudgetBusy: a request that cannot get room within busy_wait gets
// 429 with Retry-After, while a body that can never fit gets 413; once
// the room is given back, writes succeed again.
func TestBudgetBusy(t *testing.T) {
	s, f := newTestServer(t, Config{Listen: "127.0.0.1:0", MaxInflightBytes: 1 << 20, BusyWait: 50 * time.Millisecond})
	base := startServer(t, s)
	// A slow body holds 14 of the 16 chunks.
	first := strings.Repeat("m f=1\n", 14*chunkSize/6)
	slow := sendPartial(t, s.Addr(), "/v1/write/metric", len(first)+10, first)
	waitFor(t, "the slow body's chunks", func() bool { return s.budget.inUse() >= 14*chunkSize })

	const line = "m f=2 1700000000000000000\n"
	body := strings.Repeat(line, 4*chunkSize/len(line))
	resp, answer := post(t, base+"/v1/write/metric", body)
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") == "" || !strings.Contains(answer, "max_inflight_bytes (1048576); retry later") {
		t.Fatalf("got %d %s (Retry-After %q), want 429", resp.StatusCode, answer, resp.Header.Get("Retry-After"))
	}
	slow.Write([]byte("m f=4\nm f=\n")) // ends the slow body (badly)
	io.Copy(io.Discard, slow)
	waitFor(t, "the slow body's room back", func() bool { return s.budget.inUse() == 0 })
	if resp, answer := post(t, base+"/v1/write/metric", body); resp.StatusCode != 200 {
		t.Fatalf("after the room came back: %d %s", resp.StatusCode, answer)
	}
	// Its chunks fit, but not them and the body in one piece.
	resp, answer = post(t, base+"/v1/write/metric", strings.Repeat(line, (1<<20)/len(line)))
	if resp.StatusCode != 413 || !strings.Contains(answer, "needs more than max_inflight_bytes") {
		t.Fatalf("a body larger than the budget: %d %s, want 413", resp.StatusCode, answer)
	}
	if n := f.points(); n != 4*chunkSize/len(line) {
		t.Fatalf("%d points accepted, want those of the one good write", n)
	}
}

// TestJSONBudget: decoded JSON points are claimed at their measured size:
// points of many small fields take over ten times their body.
func TestJSONBudget(t *testing.T) {
	s, _ := newTestServer(t, Config{MaxInflightBytes: 2 << 20, BusyWait: 10 * time.Millisecond})
	var b strings.Builder
	b.WriteString("[")
	for i := range 30 {
		fmt.Fprintf(&b, `{"measurement":"m","time":%d,"fields":{"f":1`, i)
		for j := range 999 {
			fmt.Fprintf(&b, `,"%03d":1`, j)
		}
		b.WriteString("}},")
	}
	body := strings.TrimSuffix(b.String(), ",") + "]"
	// The body is about 250 KB: it fits four times, its points do not.
	wantError(t, serve(s, "POST", "/v1/write/metric", strings.NewReader(body), "Content-Type", "application/json"),
		413, codeBodyTooLarge, "needs more than max_inflight_bytes")
	s, _ = newTestServer(t, Config{MaxInflightBytes: 4 << 20})
	if w := serve(s, "POST", "/v1/write/metric", strings.NewReader(body), "Content-Type", "application/json"); w.Code != 200 {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	if n := s.budget.inUse(); n != 0 {
		t.Fatalf("%d bytes still claimed after the answer", n)
	}
}

// TestBodyTimeout: a body slower than body_timeout is cut off with 408,
// the connection closed and one WARN line logged.
func TestBodyTimeout(t *testing.T) {
	var logged syncBuffer
	log := slog.New(slog.NewTextHandler(&logged, nil))
	s := New(Config{Listen: "127.0.0.1:0", BodyTimeout: 200 * time.Millisecond}, &fakePipeline{}, nil, log)
	startServer(t, s)
	for _, path := range []string{"/v1/write/metric", "/v1/lasterror"} {
		c := sendPartial(t, s.Addr(), path, 1000, "m f=1\n")
		start := time.Now()
		c.SetReadDeadline(time.Now().Add(5 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body) // ends: the connection is closed
		if resp.StatusCode != 408 || !strings.Contains(string(answer), `"datakit.bodyTimeout","message":"the body did not arrive within body_timeout (200ms)"`) {
			t.Fatalf("%s: got %d %s", path, resp.StatusCode, answer)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("%s: cut after %v", path, d)
		}
	}
	if n := strings.Count(logged.String(), "request body too slow: cut off"); n != 2 {
		t.Fatalf("%d WARN lines, want 2:\n%s", n, logged.String())
	}
	waitFor(t, "the room back", func() bool { return s.budget.inUse() == 0 })
}

// TestBodyTimeoutWireOnly: body_timeout bounds the arrival of the wire
// bytes, not this host's inflating and waiting for room: a gzip body that
// arrives at once and then waits for the budget longer than body_timeout
// is answered 200 once the room comes back, never 408.
func TestBodyTimeoutWireOnly(t *testing.T) {
	s, f := newTestServer(t, Config{Listen: "127.0.0.1:0", MaxInflightBytes: 1 << 20,
		BusyWait: 2 * time.Second, BodyTimeout: 100 * time.Millisecond})
	base := startServer(t, s)
	// Random values, so that most of a gzip body's wire is still unread
	// when the inflating waits for room.
	rnd := rand.New(rand.NewPCG(1, 2))
	var body strings.Builder
	lines := 0
	for ; body.Len() < 4*chunkSize-100; lines++ {
		fmt.Fprintf(&body, "m f=%di,g=%di 1700000000000000000\n", rnd.Int64(), rnd.Int64())
	}
	var zb bytes.Buffer
	zw := gzip.NewWriter(&zb)
	zw.Write([]byte(body.String()))
	zw.Close()
	for i, enc := range []string{"gzip", "identity"} {
		hold := s.budget.claim(t.Context())
		if err := hold.grow(14 * chunkSize); err != nil {
			t.Fatal(err)
		}
		time.AfterFunc(500*time.Millisecond, hold.release)
		wire := body.String()
		if enc == "gzip" {
			wire = zb.String()
		}
		req, _ := http.NewRequest("POST", base+"/v1/write/metric", strings.NewReader(wire))
		req.Header.Set("Content-Encoding", enc)
		start := time.Now()
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		answer, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 200 {
			t.Fatalf("%s: after waiting %v for room: %d %s, want 200", enc, time.Since(start), resp.StatusCode, answer)
		}
		if n := f.points(); n != (i+1)*lines {
			t.Fatalf("%s: %d points accepted, want %d", enc, n, (i+1)*lines)
		}
		waitFor(t, "the room back", func() bool { return s.budget.inUse() == 0 })
	}
}

// TestLastErrorLogBounded: the WARN line of a reported error is cut to
// maxLoggedErrBytes, and a flood of reports logs a burst, then says how
// many lines it dropped.
func TestLastErrorLogBounded(t *testing.T) {
	var logged syncBuffer
	s := New(Config{}, &fakePipeline{}, nil, slog.New(slog.NewTextHandler(&logged, nil)))
	big := fmt.Sprintf(`{"input":"ebpf","err_content":"%s"}`, strings.Repeat("é", 30000))
	for range 200 {
		if w := serve(s, "POST", "/v1/lasterror", strings.NewReader(big)); w.Code != 200 {
			t.Fatalf("%d %s", w.Code, w.Body)
		}
	}
	lines := strings.Split(strings.TrimSpace(logged.String()), "\n")
	if len(lines) > 30 {
		t.Fatalf("200 reports logged %d lines", len(lines))
	}
	for _, l := range lines {
		if len(l) > maxLoggedErrBytes+200 || !strings.Contains(l, "…(58976 more bytes)") {
			t.Fatalf("a line of %d bytes: %.300s", len(l), l)
		}
	}
	if got := s.LastErrors(); len(got[0].ErrContent) != 60000 {
		t.Fatalf("kept %d bytes of the report, want all 60000", len(got[0].ErrContent))
	}
	time.Sleep(150 * time.Millisecond)
	serve(s, "POST", "/v1/lasterror", strings.NewReader(big))
	if !strings.Contains(logged.String(), "dropped_before=") {
		t.Fatalf("no count of dropped lines:\n%.2000s", logged.String())
	}
}

func TestBufferClasses(t *testing.T) {
	for _, tc := range []struct{ n, cap int }{
		{0, chunkSize}, {1, chunkSize}, {chunkSize, chunkSize}, {chunkSize + 1, 2 * chunkSize},
		{maxPooledBytes, maxPooledBytes}, {maxPooledBytes + 1, maxPooledBytes + 1},
	} {
		if got := capFor(tc.n); got != tc.cap {
			t.Errorf("capFor(%d) = %d, want %d", tc.n, got, tc.cap)
		}
		if b := buffers.get(tc.n); cap(b) != tc.cap || len(b) != 0 {
			t.Errorf("get(%d): len %d cap %d", tc.n, len(b), cap(b))
		}
	}
}

func post(t *testing.T, url, body string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Post(url, "text/plain", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, string(b)
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}
