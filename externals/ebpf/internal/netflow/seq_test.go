package netflow

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net"
	"os"
	"sync"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/domains"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/tests/testenv"
)

// recordingEngine keeps the events of one process.
type recordingEngine struct {
	pid uint32
	mu  sync.Mutex
	evs []l7.Event
}

func (r *recordingEngine) Handle(ev *l7.Event) {
	if ev.Pid != r.pid || ev.Dir == l7.DirClose {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	e := *ev
	e.Payload = bytes.Clone(ev.Payload)
	r.evs = append(r.evs, e)
}
func (r *recordingEngine) Source(l7.Source, func(uint64, l7.Verdict)) {}
func (r *recordingEngine) Domains() *domains.Cache                    { return domains.New(16) }
func (r *recordingEngine) TableDrops() uint64                         { return 0 }
func (r *recordingEngine) Points() uint64                             { return 0 }

type discard struct{}

func (discard) Write(string, string, []lp.Point) {}

// The kernel's event contract gives TCP events the sequence number of
// their first byte: the client's sends and the server's receives of one
// stream agree on it byte for byte (the initial sequence numbers are
// random, so only a right reading of both ends agrees), and a second
// send follows the first by its length.
func TestL7EventSeqAcrossEnds(t *testing.T) {
	testenv.RequireRoot(t)
	rec := &recordingEngine{pid: uint32(os.Getpid())}
	p := New(Config{Interval: time.Hour, EphemeralStart: 32768, ProcRoot: "/proc", HostRoot: "/",
		L7: L7Config{HTTP: true, Engine: rec}}, discard{}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err := p.Load(); err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	if err := p.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	first, second := "GET /seq HTTP/1.1\r\nHost: x\r\n", "\r\n"
	done := make(chan []byte)
	go func() {
		c, err := l.Accept()
		if err != nil {
			done <- nil
			return
		}
		defer c.Close()
		b := make([]byte, 0, 64)
		for len(b) < len(first)+len(second) {
			buf := make([]byte, 64)
			n, err := c.Read(buf)
			if err != nil {
				break
			}
			b = append(b, buf[:n]...)
		}
		done <- b
	}()
	c, err := net.Dial("tcp", l.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Write([]byte(first))
	time.Sleep(50 * time.Millisecond) // two sends, not one
	c.Write([]byte(second))
	<-done
	c.Close()
	port := uint16(l.Addr().(*net.TCPAddr).Port)
	var sends, recvs []l7.Event
	testenv.Eventually(t, 5*time.Second, "the capture's events", func() bool {
		rec.mu.Lock()
		defer rec.mu.Unlock()
		sends, recvs = nil, nil
		for _, e := range rec.evs {
			switch {
			case e.Dir == l7.DirSend && e.Remote.Port() == port:
				sends = append(sends, e)
			case e.Dir == l7.DirRecv && e.Local.Port() == port:
				recvs = append(recvs, e)
			}
		}
		return len(sends) == 2 && len(recvs) >= 1
	})
	p.Stop()
	if !sends[0].SeqKnown || !recvs[0].SeqKnown {
		t.Fatalf("no sequence numbers: %+v %+v", sends[0], recvs[0])
	}
	if sends[1].Seq != sends[0].Seq+uint32(len(first)) {
		t.Errorf("second send at seq %d, want %d + %d", sends[1].Seq, sends[0].Seq, len(first))
	}
	if recvs[0].Seq != sends[0].Seq {
		t.Errorf("the server read its first byte at seq %d, the client sent it at %d", recvs[0].Seq, sends[0].Seq)
	}
	if sends[0].Source != l7.SourceSocket || string(sends[0].Payload) != first {
		t.Errorf("source %v payload %q", sends[0].Source, sends[0].Payload)
	}
}
