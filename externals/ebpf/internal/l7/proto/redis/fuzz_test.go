package redis_test

import (
	"net/netip"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	. "netobs.local/agent/externals/ebpf/internal/l7/proto/redis"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// FuzzRedis feeds arbitrary byte streams, cut into events of both
// directions and capped by a small capture, through detection, framing
// and matching: it must never panic, and the connection's state must stay
// within its bounds.
func FuzzRedis(f *testing.F) {
	for _, s := range []string{setCmd, getCmd, lpush, wrongT, authCmd, hello3,
		"*1\r\n$4\r\nPING\r\n", "%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n", ">2\r\n$7\r\nmessage\r\n+x\r\n",
		"*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n", "!9\r\nSYNTAX xx\r\n", "|1\r\n+a\r\n+b\r\n+OK\r\n", "$-1\r\n", "*-1\r\n"} {
		f.Add([]byte(s), []byte("+OK\r\n"), uint8(3), uint8(64))
	}
	f.Fuzz(func(t *testing.T, cmds, replies []byte, cuts, capture uint8) {
		tr := stream.New(stream.Config{Protocols: []stream.Protocol{Protocol}, MaxPending: 4},
			stream.SinkFunc(func(x l7.Record) {
				if e := x.(*dbflow.Exchange); e.Op == "" {
					t.Fatalf("an exchange without a command: %+v", e)
				}
			}))
		capN, step := 16+int(capture), 1+int(cuts)%32
		var now uint64
		ev := func(dir l7.Dir, b []byte) {
			now += 1000
			e := l7.Event{Dir: dir, Proto: l7.TCP, TimestampNs: now, SockID: 1, TotalLen: uint32(len(b)), Payload: b[:min(len(b), capN)],
				Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:6379")}
			tr.Handle(&e)
			if err := tr.CheckBounds(); err != nil {
				t.Fatal(err)
			}
		}
		for len(cmds) > 0 || len(replies) > 0 {
			if n := min(step, len(cmds)); n > 0 {
				ev(l7.DirSend, cmds[:n])
				cmds = cmds[n:]
			}
			if n := min(step+1, len(replies)); n > 0 {
				ev(l7.DirRecv, replies[:n])
				replies = replies[n:]
			}
		}
	})
}
