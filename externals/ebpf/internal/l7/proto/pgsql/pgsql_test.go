package pgsql_test

import (
	"encoding/binary"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/dbflow"
	. "netobs.local/agent/externals/ebpf/internal/l7/proto/pgsql"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// m builds one typed message (typ 0: an untyped startup message).
func m(typ byte, body ...string) string {
	b := strings.Join(body, "")
	var h []byte
	if typ != 0 {
		h = append(h, typ)
	}
	h = binary.BigEndian.AppendUint32(h, uint32(len(b)+4))
	return string(h) + b
}

func code(c uint32) string { return string(binary.BigEndian.AppendUint32(nil, c)) }

var (
	sslRequest = m(0, code(80877103))
	startup    = m(0, code(3<<16), "user\x00postgres\x00database\x00SECRETDB\x00\x00")
	authOK     = m('R', code(0)) + m('S', "TimeZone\x00UTC\x00") + m('K', code(1), code(2)) + m('Z', "I")
	password   = m('p', "SECRETPASSWORD\x00")
	rows       = m('T', "\x00\x01a\x00") + m('D', "\x00\x01", code(1), "1") + m('C', "SELECT 1\x00")
	uniqueErr  = m('E', "SERROR\x00VERROR\x00C23505\x00Mduplicate key value violates unique constraint\x00\x00")
	ready      = m('Z', "I")
)

type rig struct {
	tr  *stream.Tracker
	got []string
	now uint64
}

func newRig(t testing.TB) *rig {
	r := &rig{}
	r.tr = stream.New(stream.Config{Protocols: []stream.Protocol{Protocol}}, stream.SinkFunc(func(x l7.Record) {
		e := x.(*dbflow.Exchange)
		if e.LatencyNs == 0 {
			t.Errorf("%s: no latency", e.Op)
		}
		r.got = append(r.got, fmt.Sprintf("%s/%s/%d/%d", e.Op, e.Error, e.BytesWritten, e.BytesRead))
	}))
	return r
}

func (r *rig) ev(dir l7.Dir, b string, capN int) {
	r.now += 1000
	p := []byte(b)
	e := l7.Event{Dir: dir, Proto: l7.TCP, Pid: 7, Tid: 7, TimestampNs: r.now, SockID: 1, TotalLen: uint32(len(p)),
		Payload: p[:min(len(p), capN)], Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:5432")}
	r.tr.Handle(&e)
}

func TestPgsqlExchanges(t *testing.T) {
	q := func(s string) string { return m('Q', s+"\x00") }
	parse := func(name, s string) string { return m('P', name+"\x00"+s+"\x00\x00\x00") }
	bind := func(stmt string) string { return m('B', "\x00"+stmt+"\x00\x00\x00\x00\x00\x00\x00") }
	exec := m('E', "\x00", code(0))
	sync := m('S')
	ext := m('1') + m('2') + rows + ready
	for _, tc := range []struct {
		name   string
		events []string
		want   string
	}{
		{"psql simple", []string{">" + sslRequest, "<N", ">" + startup, "<" + m('R', code(3)), ">" + password, "<" + authOK,
			">" + q("SELECT 1"), "<" + rows + ready, ">" + q("insert into t values ('SECRET')"), "<" + uniqueErr + ready},
			fmt.Sprintf("SELECT//%d/%d INSERT/23505/%d/%d", len(q("SELECT 1")), len(rows+ready), len(q("insert into t values ('SECRET')")), len(uniqueErr+ready))},
		{"extended unnamed", []string{">" + startup, "<" + authOK, ">" + parse("", "UPDATE t SET a=$1") + bind("") + m('D', "P\x00") + exec + sync, "<" + ext},
			fmt.Sprintf("UPDATE//%d/%d", len(parse("", "UPDATE t SET a=$1")+bind("")+m('D', "P\x00")+exec+sync), len(ext))},
		{"named statement pipelined", []string{">" + startup, "<" + authOK, ">" + parse("s1", "SELECT $1") + sync, "<" + m('1') + ready,
			">" + bind("s1") + exec + sync + bind("s1") + exec + sync, "<" + m('2') + rows + ready + m('2') + rows + ready},
			fmt.Sprintf("SELECT//%d/%d SELECT//%d/%d SELECT//%d/%d", len(parse("s1", "SELECT $1")+sync), len(m('1')+ready),
				len(bind("s1")+exec+sync), len(m('2')+rows+ready), len(bind("s1")+exec+sync), len(m('2')+rows+ready))},
		{"extended error skips to sync", []string{">" + startup, "<" + authOK, ">" + parse("", "SELEC 1") + bind("") + exec + sync, "<" + m('E', "SERROR\x00C42601\x00\x00") + ready},
			fmt.Sprintf("OTHER/42601/%d/%d", len(parse("", "SELEC 1")+bind("")+exec+sync), len(m('E', "SERROR\x00C42601\x00\x00")+ready))},
		// The server flushes a full buffer, then the rest with ReadyForQuery:
		// a ReadyForQuery beyond the capture of one send is lost (below).
		{"big row beyond the capture", []string{">" + startup, "<" + authOK, ">" + q("SELECT big"),
			"<" + m('T', "x") + m('D', strings.Repeat("x", 5000)), "<" + m('C', "SELECT 1\x00") + ready},
			fmt.Sprintf("SELECT//%d/%d", len(q("SELECT big")), len(m('T', "x")+m('D', strings.Repeat("x", 5000))+m('C', "SELECT 1\x00")+ready))},
		{"server side, split header", []string{"<" + startup, ">" + authOK, "<" + q("BEGIN")[:3], "<" + q("BEGIN")[3:], ">" + ready},
			fmt.Sprintf("BEGIN//%d/%d", len(ready), len(q("BEGIN")))},
		{"mid-stream query on the port", []string{">" + q("COMMIT"), "<" + m('C', "COMMIT\x00") + ready},
			fmt.Sprintf("COMMIT//%d/%d", len(q("COMMIT")), len(m('C', "COMMIT\x00")+ready))},
		{"answer end beyond the capture", []string{">" + startup, "<" + authOK, ">" + q("SELECT big"),
			"<" + m('D', strings.Repeat("x", 5000)) + ready, ">" + q("SELECT 2"), "<" + rows + ready},
			fmt.Sprintf("SELECT//%d/%d", len(q("SELECT 2")), len(rows+ready))},
		{"tls", []string{">" + sslRequest, "<S", ">\x16\x03\x01\x00\x10garbage"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t)
			for _, e := range tc.events {
				dir := l7.DirSend
				if e[0] == '<' {
					dir = l7.DirRecv
				}
				r.ev(dir, e[1:], 512)
			}
			if got := strings.Join(r.got, " "); got != tc.want {
				t.Errorf("got  %q\nwant %q", got, tc.want)
			}
		})
	}
}

func FuzzPgsql(f *testing.F) {
	f.Add([]byte(sslRequest+startup+password+m('Q', "SELECT 1\x00")), []byte("N"+authOK+rows+ready+uniqueErr+ready), uint8(7), uint8(40))
	f.Fuzz(func(t *testing.T, fe, be []byte, cuts, capture uint8) {
		r := &rig{tr: stream.New(stream.Config{Protocols: []stream.Protocol{Protocol}, MaxPending: 4}, stream.SinkFunc(func(l7.Record) {}))}
		capN, step := 8+int(capture), 1+int(cuts)%40
		for len(fe) > 0 || len(be) > 0 {
			if n := min(step, len(fe)); n > 0 {
				r.ev(l7.DirSend, string(fe[:n]), capN)
				fe = fe[n:]
			}
			if n := min(step+3, len(be)); n > 0 {
				r.ev(l7.DirRecv, string(be[:n]), capN)
				be = be[n:]
			}
			if err := r.tr.CheckBounds(); err != nil {
				t.Fatal(err)
			}
		}
	})
}
