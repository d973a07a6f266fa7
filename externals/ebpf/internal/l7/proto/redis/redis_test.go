package redis_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/collect"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	. "netobs.local/agent/externals/ebpf/internal/l7/proto/redis"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// rig feeds one client socket's events to the engine and keeps what it
// emits.
type rig struct {
	c    *collect.Collector
	got  []dbflow.Exchange
	now  uint64
	cap  int
	port uint16
}

func newRig(t testing.TB) *rig {
	r := &rig{cap: 512, port: 6379}
	r.c = collect.New(collect.Config{Protocols: []stream.Protocol{Protocol}, Enabled: []string{Name}})
	r.c.Subscribe(Name, func(x l7.Record) { r.got = append(r.got, *x.(*dbflow.Exchange)) })
	return r
}

func (r *rig) ev(dir l7.Dir, b string) {
	r.now += 1000
	p := []byte(b)
	if len(p) > r.cap {
		p = p[:r.cap]
	}
	e := l7.Event{Dir: dir, Proto: l7.TCP, Pid: 7, Tid: 7, TimestampNs: r.now, SockID: 1,
		Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), r.port),
		TotalLen: uint32(len(b)), Payload: p}
	r.c.Handle(&e)
}

func (r *rig) summary() string {
	var s []string
	for _, x := range r.got {
		s = append(s, fmt.Sprintf("%s/%s/%d/%d", x.Op, x.Error, x.BytesWritten, x.BytesRead))
	}
	return strings.Join(s, " ")
}

// Recorded with strace -xx of redis-cli 7.0 against redis-server 7.0.
const (
	setCmd  = "*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5\r\nhello\r\n"
	getCmd  = "*2\r\n$3\r\nGET\r\n$1\r\nk\r\n"
	lpush   = "*3\r\n$5\r\nLPUSH\r\n$1\r\nk\r\n$1\r\nv\r\n"
	wrongT  = "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n"
	authCmd = "*2\r\n$4\r\nAUTH\r\n$14\r\nSECRETPASSWORD\r\n"
	hello3  = "*2\r\n$5\r\nHELLO\r\n$1\r\n3\r\n"
)

func TestRedisExchanges(t *testing.T) {
	big := strings.Repeat("x", 5000)
	for _, tc := range []struct {
		name   string
		events []string // ">" sent, "<" received
		want   string
	}{
		{"set get", []string{">" + setCmd, "<+OK\r\n", ">" + getCmd, "<$5\r\nhello\r\n"}, "SET//31/5 GET//20/11"},
		{"wrong type", []string{">" + lpush, "<" + wrongT}, "LPUSH/WRONGTYPE/29/68"},
		{"pipelined", []string{">" + setCmd + getCmd + getCmd, "<+OK\r\n$5\r\nhello\r\n$-1\r\n"}, "SET//31/5 GET//20/11 GET//20/5"},
		{"reply split across events", []string{">" + getCmd, "<$5\r\nhel", "<lo\r\n"}, "GET//20/11"},
		{"header split across events", []string{">" + getCmd, "<$", "<5\r\nhello\r\n"}, "GET//20/11"},
		{"command split across events", []string{">*2\r\n$3\r\nGET\r\n", ">$1\r\nk\r\n", "<$-1\r\n"}, "GET//20/5"},
		{"big value beyond the capture", []string{">*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$5000\r\n" + big + "\r\n", "<+OK\r\n",
			">" + getCmd, "<$5000\r\n" + big + "\r\n"}, "SET//5029/5 GET//20/5009"},
		{"resp3 map and push", []string{">" + hello3, "<%1\r\n$6\r\nserver\r\n$5\r\nredis\r\n>2\r\n$7\r\nmessage\r\n+x\r\n", ">" + getCmd, "<_\r\n"},
			"HELLO//22/27 GET//20/3"},
		{"auth", []string{">" + authCmd, "<-WRONGPASS invalid username-password pair\r\n"}, "AUTH/WRONGPASS/35/43"},
		{"nested arrays", []string{">*1\r\n$4\r\nSCAN\r\n", "<*2\r\n$1\r\n0\r\n*2\r\n$1\r\na\r\n$1\r\nb\r\n", ">*1\r\n$4\r\nPING\r\n", "<+PONG\r\n"},
			"SCAN//14/29 PING//14/7"},
		{"blob error", []string{">" + getCmd, "<!9\r\nSYNTAX xx\r\n"}, "GET/SYNTAX/20/15"},
		{"inline on the port", []string{">PING\r\n", "<+PONG\r\n"}, "PING//6/7"},
		{"mid-stream reply first", []string{"<+OK\r\n", ">" + getCmd, "<$-1\r\n"}, "GET//20/5"},
		{"server side", []string{"<" + getCmd, ">$-1\r\n"}, "GET//5/20"},
		{"cut header resyncs", []string{">" + getCmd, "<*3\r\n$2000\r\n" + big[:2000] + "\r\n$3\r\nabc\r\n$1\r\nx\r\n", ">" + getCmd, "<$-1\r\n"}, "GET//20/5"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			for _, e := range tc.events {
				dir := l7.DirSend
				if e[0] == '<' {
					dir = l7.DirRecv
				}
				r.ev(dir, e[1:])
			}
			if got := r.summary(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
