package memcached_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	. "netobs.local/agent/externals/ebpf/internal/l7/proto/memcached"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

func run(t testing.TB, capN int, events []string) string {
	var got []string
	tr := stream.New(stream.Config{Protocols: []stream.Protocol{Protocol}, MaxPending: 8}, stream.SinkFunc(func(x l7.Record) {
		e := x.(*dbflow.Exchange)
		got = append(got, fmt.Sprintf("%s/%s", e.Op, e.Error))
	}))
	for i, e := range events {
		dir := l7.DirSend
		if e[0] == '<' {
			dir = l7.DirRecv
		}
		b := []byte(e[1:])
		ev := l7.Event{Dir: dir, Proto: l7.TCP, TimestampNs: uint64(i+1) * 1000, SockID: 1, TotalLen: uint32(len(b)), Payload: b[:min(len(b), capN)],
			Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:11211")}
		tr.Handle(&ev)
		if err := tr.CheckBounds(); err != nil {
			t.Fatal(err)
		}
	}
	return strings.Join(got, " ")
}

func TestMemcachedExchanges(t *testing.T) {
	big := strings.Repeat("v", 3000)
	for _, tc := range []struct {
		name   string
		events []string
		want   string
	}{
		{"set get miss", []string{">set k 0 0 5\r\nhello\r\n", "<STORED\r\n", ">get k\r\n", "<VALUE k 0 5\r\nhello\r\nEND\r\n", ">get x\r\n", "<END\r\n"}, "set/ get/ get/"},
		{"noreply and errors", []string{">set k 0 0 1 noreply\r\nx\r\nincr k 1\r\n", "<CLIENT_ERROR cannot increment\r\n", ">bogus\r\n", "<ERROR\r\n"}, "incr/CLIENT_ERROR OTHER/ERROR"},
		{"pipelined", []string{">get a\r\nget b\r\ndelete a\r\n", "<VALUE a 0 1\r\nx\r\nEND\r\nEND\r\nDELETED\r\n"}, "get/ get/ delete/"},
		{"big value", []string{">set k 0 0 3000\r\n" + big + "\r\n", "<STORED\r\n", ">get k\r\n", "<VALUE k 0 3000\r\n" + big + "\r\nEND\r\n"}, "set/ get/"},
		{"server side", []string{"<get k\r\n", ">END\r\n"}, "get/"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(t, 512, tc.events); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzMemcached(f *testing.F) {
	f.Add([]byte("set k 0 0 5\r\nhello\r\nget k\r\n"), []byte("STORED\r\nVALUE k 0 5\r\nhello\r\nEND\r\n"), uint8(5), uint8(20))
	f.Fuzz(func(t *testing.T, fe, be []byte, cuts, capture uint8) {
		step := 1 + int(cuts)%64
		var evs []string
		for len(fe) > 0 || len(be) > 0 {
			if n := min(step, len(fe)); n > 0 {
				evs, fe = append(evs, ">"+string(fe[:n])), fe[n:]
			}
			if n := min(step+1, len(be)); n > 0 {
				evs, be = append(evs, "<"+string(be[:n])), be[n:]
			}
		}
		run(t, 8+int(capture), evs)
	})
}
