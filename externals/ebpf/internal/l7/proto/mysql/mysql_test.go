package mysql_test

import (
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	. "netobs.local/agent/externals/ebpf/internal/l7/proto/mysql"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// pkt builds one packet.
func pkt(seq byte, body string) string {
	n := len(body)
	return string([]byte{byte(n), byte(n >> 8), byte(n >> 16), seq}) + body
}

var (
	// A MariaDB 10.11 handshake: protocol 10, version, id, salt, filler,
	// capabilities (low: 0xf7fe, high: 0x81bf, without DEPRECATE_EOF).
	handshake = pkt(0, "\x0a10.11.6-MariaDB\x00\x05\x00\x00\x00saltsalt\x00\xfe\xf7\x2d\x02\x00\xbf\x81\x15"+strings.Repeat("\x00", 10)+"moresaltmore\x00mysql_native_password\x00")
	response  = pkt(1, "\x0d\xa2\x0a\x00\x00\x00\x00\x01\x2d"+strings.Repeat("\x00", 23)+"test\x00\x14SECRETSCRAMBLEDPASSW\x00")
	authOK    = pkt(2, "\x00\x00\x00\x02\x00\x00\x00")
	okPkt     = pkt(1, "\x00\x01\x00\x02\x00\x00\x00")
	dupErr    = pkt(1, "\xff\x26\x04#23000Duplicate entry '1' for key 'PRIMARY'")
	// A one-column, one-row text result set with EOFs.
	resultSet = pkt(1, "\x01") + pkt(2, "\x03def\x01d\x01u\x01u\x01v\x01v\x0c\x21\x00\x00\x00\x00\x00\xfc\x00\x00\x00\x00\x00") +
		pkt(3, "\xfe\x00\x00\x22\x00") + pkt(4, "\x01x") + pkt(5, "\xfe\x00\x00\x22\x00")
	prepOK = pkt(1, "\x00\x07\x00\x00\x00\x01\x00\x01\x00\x00\x00\x00") + pkt(2, "\x03def\x00\x00\x00\x01?\x00\x0c\x3f\x00\x00\x00\x00\x00\xfd\x80\x00\x00\x00\x00") +
		pkt(3, "\xfe\x00\x00\x02\x00") + pkt(4, "\x03def\x01d\x01u\x01u\x01v\x01v\x0c\x21\x00\x00\x00\x00\x00\xfc\x00\x00\x00\x00\x00") + pkt(5, "\xfe\x00\x00\x02\x00")
)

func run(t testing.TB, events []string) string {
	var got []string
	tr := stream.New(stream.Config{Protocols: []stream.Protocol{Protocol}}, stream.SinkFunc(func(x l7.Record) {
		e := x.(*dbflow.Exchange)
		got = append(got, fmt.Sprintf("%s/%s", e.Op, e.Error))
	}))
	for i, e := range events {
		dir := l7.DirSend
		if e[0] == '<' {
			dir = l7.DirRecv
		}
		b := []byte(e[1:])
		ev := l7.Event{Dir: dir, Proto: l7.TCP, TimestampNs: uint64(i+1) * 1000, SockID: 1, TotalLen: uint32(len(b)), Payload: b[:min(len(b), 512)],
			Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:33060")}
		tr.Handle(&ev)
		if err := tr.CheckBounds(); err != nil {
			t.Fatal(err)
		}
	}
	return strings.Join(got, " ")
}

func TestMySQLExchanges(t *testing.T) {
	q := func(s string) string { return pkt(0, "\x03"+s) }
	login := []string{"<" + handshake, ">" + response, "<" + authOK}
	for _, tc := range []struct {
		name   string
		events []string
		want   string
	}{
		{"query, result set, duplicate", append(login, ">"+q("SELECT v FROM u"), "<"+resultSet, ">"+q("INSERT INTO u VALUES (1,'SECRET')"), "<"+dupErr),
			"SELECT/ INSERT/1062:23000"},
		{"prepare and execute", append(login, ">"+pkt(0, "\x16SELECT v FROM u WHERE id=?"), "<"+prepOK,
			">"+pkt(0, "\x17\x07\x00\x00\x00\x00\x01\x00\x00\x00\x00\x01\x03\x00\x01\x00\x00\x00"), "<"+resultSet,
			">"+pkt(0, "\x19\x07\x00\x00\x00"), ">"+pkt(0, "\x0e"), "<"+okPkt), "SELECT/ SELECT/ OTHER/"},
		{"server side", []string{">" + handshake, "<" + response, ">" + authOK, "<" + q("UPDATE u SET v=1"), ">" + okPkt}, "UPDATE/"},
		{"ssl", []string{"<" + handshake, ">" + pkt(1, "\x0d\xaa\x0a\x00"+strings.Repeat("\x00", 28)), ">\x16\x03\x01garbage"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := run(t, tc.events); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func FuzzMySQL(f *testing.F) {
	f.Add([]byte(response+pkt(0, "\x03SELECT 1")), []byte(handshake+authOK+resultSet), uint8(9))
	f.Add([]byte(response+pkt(0, "\x16SELECT ?")), []byte(handshake+authOK+prepOK+dupErr), uint8(30))
	f.Fuzz(func(t *testing.T, fe, be []byte, cuts uint8) {
		step := 1 + int(cuts)%64
		var evs []string
		for len(fe) > 0 || len(be) > 0 {
			if n := min(step+2, len(be)); n > 0 {
				evs, be = append(evs, "<"+string(be[:n])), be[n:]
			}
			if n := min(step, len(fe)); n > 0 {
				evs, fe = append(evs, ">"+string(fe[:n])), fe[n:]
			}
		}
		run(t, evs)
	})
}
