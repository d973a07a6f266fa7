package stream_test

import (
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/internal/dnswire"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

func TestMaxSockets(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{MaxSockets: 2}, &rec)
	for id := uint64(1); id <= 3; id++ {
		newSock(t, tr, id, clientAddr, serverAddr).send(pairs[0].req)
	}
	if st := tr.Stats(); st.Sockets != 2 || st.SocketsOverflow != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestMaxPending(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{MaxPending: 2}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	for i := 0; i < 3; i++ {
		c.send(pairs[i].req)
	}
	c.recv(pairs[1].resp)
	c.recv(pairs[2].resp)
	// The oldest request was dropped to make room, so the two responses
	// pair with the two newest requests.
	check(t, rec.http, want{"GET", "/moved", 301, 0, 0, true}, want{"GET", "/missing", 404, 0, 0, true})
	d := dnsSock(t, tr, 2, l7.UDP, stub, resolver)
	for i := 0; i < 3; i++ {
		d.sendB(dnswire.Query(uint16(i), "x.example.", dnsmessage.TypeA))
	}
	if st := tr.Stats(); st.PendingOverflow != 2 || st.Unanswered != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestIdleEviction(t *testing.T) {
	var rec recorder
	tr := newTracker(stream.Config{IdleTimeout: time.Second}, &rec)
	c := newSock(t, tr, 1, clientAddr, serverAddr)
	c.send("GET /stream HTTP/1.1\r\n\r\n")
	c.recv("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")
	d := dnsSock(t, tr, 2, l7.UDP, stub, resolver)
	d.sendB(dnswire.Query(1, "x.example.", dnsmessage.TypeA))
	tr.Advance(c.now + uint64(time.Second) - 1)
	if tr.Stats().Sockets != 2 {
		t.Fatalf("evicted early")
	}
	tr.Advance(d.now + uint64(time.Second))
	if st := tr.Stats(); st.Sockets != 0 || st.Evicted != 2 || len(rec.http) != 1 || len(rec.dns) != 1 || rec.dns[0].RCode != -1 {
		t.Fatalf("stats %+v http %v dns %v", st, rec.http, rec.dns)
	}
}
