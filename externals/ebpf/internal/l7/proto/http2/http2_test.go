package http2_test

import (
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/protocols"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

type sink struct{ got []l7.HTTPExchange }

func (s *sink) Record(x l7.Record) {
	if h, ok := x.(*l7.HTTPExchange); ok {
		s.got = append(s.got, *h)
	}
}

// replay feeds one end's calls to a Tracker with the registered protocols,
// cutting each payload at capBytes, and closes the socket.
func replay(calls []recorded, capBytes int, outgoing bool) (*sink, stream.Stats) {
	s := &sink{}
	tr := stream.New(stream.Config{Protocols: protocols.Default()}, s)
	local, remote := netip.MustParseAddrPort("127.0.0.1:40000"), netip.MustParseAddrPort("127.0.0.1:8080")
	if !outgoing {
		local, remote = remote, local
	}
	now := uint64(1e9)
	ev := func(d l7.Dir, b []byte) {
		now += 1000
		e := l7.Event{Dir: d, Proto: l7.TCP, Pid: 7, Tid: 7, TimestampNs: now, SockID: 1,
			Local: local, Remote: remote, TotalLen: uint32(len(b)), Payload: b[:min(len(b), capBytes)]}
		tr.Handle(&e)
	}
	for _, c := range calls {
		ev(c.dir, c.b)
	}
	ev(l7.DirClose, nil)
	return s, tr.Stats()
}

type want struct {
	method, path string
	status       int
	grpc         string
}

func check(t *testing.T, side string, got []l7.HTTPExchange, outgoing bool, w []want) {
	t.Helper()
	if len(got) != len(w) {
		t.Fatalf("%s: got %d exchanges %+v, want %d", side, len(got), got, len(w))
	}
	timed := 0
	// Streams end in the order their responses end; the requests here are
	// sequential, so that is the order they were made.
	for i, x := range got {
		if x.Method != w[i].method || x.Path != w[i].path || x.Status != w[i].status || x.GRPCStatus != w[i].grpc ||
			x.Version != "2" || x.Protocol != "http2" || x.Conn.Outgoing != outgoing {
			t.Errorf("%s %d: %s %s %d grpc=%q v=%s proto=%s out=%v, want %+v", side, i, x.Method, x.Path, x.Status,
				x.GRPCStatus, x.Version, x.Protocol, x.Conn.Outgoing, w[i])
		}
		if x.BytesRead == 0 || x.BytesWritten == 0 {
			t.Errorf("%s %d: read %d wrote %d", side, i, x.BytesRead, x.BytesWritten)
		}
		if x.LatencyNs > 0 {
			timed++
		}
		if len(x.Headers) != 0 {
			t.Errorf("%s %d: headers kept: %v", side, i, x.Headers)
		}
	}
	// A client's response read before its request's write returned has
	// no latency (it is not known); that is a race, and rare.
	if len(got) >= 4 && timed < len(got)/2 {
		t.Errorf("%s: %d of %d exchanges timed", side, timed, len(got))
	}
}

func handler(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.URL.Path == "/grpc.Svc/Fail":
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set("Trailer", "Grpc-Status")
		w.WriteHeader(200)
		w.Write([]byte{0, 0, 0, 0, 0})
		w.Header().Set("Grpc-Status", "5")
	case r.URL.Path == "/grpc.Svc/Ok":
		w.Header().Set("Content-Type", "application/grpc")
		w.Header().Set(http.TrailerPrefix+"Grpc-Status", "0")
		w.WriteHeader(200)
		w.Write([]byte{0, 0, 0, 0, 0})
	case r.URL.Path == "/big":
		w.Write([]byte(strings.Repeat("x", 100<<10)))
	case r.Method == "POST":
		w.WriteHeader(201)
	case strings.HasPrefix(r.URL.Path, "/missing"):
		http.NotFound(w, r)
	default:
		fmt.Fprintf(w, "hello %s", r.URL.Path)
	}
}

// TestRecordedH2C: real h2c sessions, seen from both ends, with the
// socket capture's default cut and with whole payloads.
func TestRecordedH2C(t *testing.T) {
	var ws []want
	client, server := session(t, handler, func(c *http.Client, base string) {
		for i := 0; i < 3; i++ { // repeated headers: HPACK's dynamic table at work
			do(t, c, "GET", base+"/a/b?token=secret", "", "Authorization", "Bearer secret", "Cookie", "s=secret")
			ws = append(ws, want{"GET", "/a/b", 200, ""})
		}
		do(t, c, "POST", base+"/up;jsessionid=1", strings.Repeat("y", 2000))
		ws = append(ws, want{"POST", "/up", 201, ""})
		do(t, c, "GET", base+"/big", "")
		ws = append(ws, want{"GET", "/big", 200, ""})
		do(t, c, "DELETE", base+"/missing/1", "")
		ws = append(ws, want{"DELETE", "/missing/1", 404, ""})
		do(t, c, "POST", base+"/grpc.Svc/Ok", "\x00\x00\x00\x00\x00", "Content-Type", "application/grpc", "TE", "trailers")
		ws = append(ws, want{"POST", "/grpc.Svc/Ok", 200, "0"})
		do(t, c, "POST", base+"/grpc.Svc/Fail", "\x00\x00\x00\x00\x00", "Content-Type", "application/grpc", "TE", "trailers")
		ws = append(ws, want{"POST", "/grpc.Svc/Fail", 200, "5"})
		do(t, c, "GET", base+"/a/b", "")
		ws = append(ws, want{"GET", "/a/b", 200, ""})
	})
	for _, capBytes := range []int{l7.DefaultCaptureBytes, 1 << 20} {
		t.Run(fmt.Sprint("cap", capBytes), func(t *testing.T) {
			got, st := replay(client, capBytes, true)
			check(t, "client", got.got, true, ws)
			if st.HTTP2Undecodable != 0 {
				t.Errorf("client: %d undecodable blocks", st.HTTP2Undecodable)
			}
			got, st = replay(server, capBytes, false)
			check(t, "server", got.got, false, ws)
			if st.HTTP2Undecodable != 0 {
				t.Errorf("server: %d undecodable blocks", st.HTTP2Undecodable)
			}
		})
	}
}

// TestCutHeaderBlockCounts: a header block the capture cut desyncs that
// direction's HPACK table: what was decoded before the cut stands (the
// table was still in step), the blocks after it are counted as
// undecodable and nothing is guessed from them.
func TestCutHeaderBlockCounts(t *testing.T) {
	long := strings.Repeat("v", 600) // a header value longer than the cut
	client, _ := session(t, handler, func(c *http.Client, base string) {
		do(t, c, "GET", base+"/first", "")
		do(t, c, "GET", base+"/second", "", "X-Long", long)
		do(t, c, "GET", base+"/third", "")
		do(t, c, "GET", base+"/fourth", "")
	})
	got, st := replay(client, l7.DefaultCaptureBytes, true)
	if st.HTTP2Undecodable != 3 { // the cut one, /third's, /fourth's
		t.Errorf("undecodable blocks: %d, want 3", st.HTTP2Undecodable)
	}
	check(t, "client", got.got, true, []want{{"GET", "/first", 200, ""}, {"GET", "/second", 200, ""}})
}

// TestDetect: the preface, a prefix of it, and HTTP/1's PRI not taken.
func TestDetect(t *testing.T) {
	s := &sink{}
	tr := stream.New(stream.Config{Protocols: protocols.Default()}, s)
	e := l7.Event{Dir: l7.DirSend, Proto: l7.TCP, SockID: 9, TotalLen: 5, Payload: []byte("PRI *")}
	tr.Handle(&e)
	if st := tr.Stats(); st.Ignored != 0 {
		t.Fatalf("a preface prefix was ignored")
	}
	e.Payload = []byte(" HTTP/2.0\r\n\r\nSM\r\n\r\n")
	e.TotalLen = uint32(len(e.Payload))
	tr.Handle(&e)
	if len(s.got) != 0 || tr.Stats().Ignored != 0 {
		t.Fatalf("preface: %+v %+v", s.got, tr.Stats())
	}
}
