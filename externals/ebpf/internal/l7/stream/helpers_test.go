package stream_test

import (
	"net/netip"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/protocols"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// recorder is a Sink that keeps copies of what it is given.
type recorder struct {
	http []l7.HTTPExchange
	dns  []l7.DNSExchange
}

func (r *recorder) Record(x l7.Record) {
	switch x := x.(type) {
	case *l7.HTTPExchange:
		r.http = append(r.http, *x)
	case *l7.DNSExchange:
		r.dns = append(r.dns, *x)
	}
}

// newTracker is stream.New with the registered protocols.
func newTracker(cfg stream.Config, sink stream.Sink) *stream.Tracker {
	if cfg.Protocols == nil {
		cfg.Protocols = protocols.Default()
	}
	return stream.New(cfg, sink)
}

func pick[T any](c bool, a, b T) T {
	if c {
		return a
	}
	return b
}

var (
	clientAddr = netip.MustParseAddrPort("127.0.0.1:40000")
	serverAddr = netip.MustParseAddrPort("127.0.0.1:80")
)

// sock builds events for one socket, with a capture cap and a clock that
// advances by 1 µs per event.
type sock struct {
	t             *testing.T
	tr            *stream.Tracker
	id            uint64
	proto         l7.Proto
	local, remote netip.AddrPort
	pid           uint32
	comm          string
	capBytes      int
	now           uint64
}

func newSock(t *testing.T, tr *stream.Tracker, id uint64, local, remote netip.AddrPort) *sock {
	return &sock{t: t, tr: tr, id: id, proto: l7.TCP, local: local, remote: remote, pid: 1000 + uint32(id), comm: "curl", capBytes: l7.DefaultCaptureBytes, now: id * 1e9}
}

func (s *sock) event(dir l7.Dir, b []byte) {
	s.now += 1000
	ev := l7.Event{Dir: dir, Proto: s.proto, Pid: s.pid, Tid: s.pid, TimestampNs: s.now, SockID: s.id,
		Local: s.local, Remote: s.remote, TotalLen: uint32(len(b)), Payload: b[:min(len(b), s.capBytes)]}
	copy(ev.Comm[:], s.comm)
	s.tr.Handle(&ev)
}

func (s *sock) send(b string)  { s.event(l7.DirSend, []byte(b)) }
func (s *sock) recv(b string)  { s.event(l7.DirRecv, []byte(b)) }
func (s *sock) close()         { s.event(l7.DirClose, nil) }
func (s *sock) sendB(b []byte) { s.event(l7.DirSend, b) }
func (s *sock) recvB(b []byte) { s.event(l7.DirRecv, b) }

// want is the part of an exchange a test pins down.
type want struct {
	method, path string
	status       int
	read, wrote  uint64
	outgoing     bool
}

func check(t *testing.T, got []l7.HTTPExchange, w ...want) {
	t.Helper()
	if len(got) != len(w) {
		t.Fatalf("got %d exchanges %+v, want %d", len(got), got, len(w))
	}
	for i, x := range got {
		if x.Method != w[i].method || x.Path != w[i].path || x.Status != w[i].status || x.Conn.Outgoing != w[i].outgoing {
			t.Errorf("exchange %d: %s %s %d outgoing=%v, want %+v", i, x.Method, x.Path, x.Status, x.Conn.Outgoing, w[i])
		}
		if (w[i].read != 0 || w[i].wrote != 0) && (x.BytesRead != w[i].read || x.BytesWritten != w[i].wrote) {
			t.Errorf("exchange %d: read %d wrote %d, want %d %d", i, x.BytesRead, x.BytesWritten, w[i].read, w[i].wrote)
		}
		if x.Status != 0 && x.LatencyNs == 0 {
			t.Errorf("exchange %d: zero latency", i)
		}
	}
}
