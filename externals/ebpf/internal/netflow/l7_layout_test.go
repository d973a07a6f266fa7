package netflow

import (
	"net/netip"
	"reflect"
	"testing"
	"unsafe"

	"netobs.local/agent/externals/ebpf/internal/l7"
)

// The capture records are struct l7_event (bpf/netflow/l7capture.h) and
// l7.DecodeRecord reads them at fixed offsets: fill the generated mirror
// (checked against the object's BTF by TestGoMirrorsMatchObjectBTF), cut
// the record as the kernel does (header plus cap_len bytes) and decode it.
func TestL7EventLayoutMatchesDecoder(t *testing.T) {
	if got := int(unsafe.Offsetof(netflowL7Event{}.Payload)); got != l7.RecordHeaderLen {
		t.Fatalf("payload at offset %d, l7.RecordHeaderLen %d", got, l7.RecordHeaderLen)
	}
	var e netflowL7Event
	e.TsNs, e.SockCookie, e.Pid, e.Tid, e.TotalLen = 123456789, 0xdeadbeef01, 4242, 4243, 900
	e.Dir, e.Proto, e.Family, e.Lport, e.Rport = 2, 6, 10, 8080, 40000
	e.Source, e.Flags, e.Seq = uint8(netflowL7SourceL7SRC_TLS), uint8(netflowL7FlagsL7F_SEQ), 0xfffffff0
	copy(e.Laddr[:], netip.MustParseAddr("2001:db8::1").AsSlice())
	copy(e.Raddr[:], netip.MustParseAddr("::ffff:192.0.2.7").AsSlice())
	for i, c := range "nginx" {
		e.Comm[i] = int8(c)
	}
	payload := "HTTP/1.1 200 OK\r\n"
	copy(e.Payload[:], payload)
	e.CapLen = uint16(len(payload))
	rec := unsafe.Slice((*byte)(unsafe.Pointer(&e)), unsafe.Sizeof(e))[:l7.RecordHeaderLen+len(payload)]

	var ev l7.Event
	if err := l7.DecodeRecord(rec, &ev); err != nil {
		t.Fatal(err)
	}
	want := l7.Event{Dir: l7.DirRecv, Proto: l7.TCP, Pid: 4242, Tid: 4243, TimestampNs: 123456789, SockID: 0xdeadbeef01,
		Source: l7.SourceTLS, Seq: 0xfffffff0, SeqKnown: true,
		Local: netip.MustParseAddrPort("[2001:db8::1]:8080"), Remote: netip.MustParseAddrPort("192.0.2.7:40000"), TotalLen: 900}
	copy(want.Comm[:], "nginx")
	got := ev
	got.Payload = nil
	if !reflect.DeepEqual(got, want) || string(ev.Payload) != payload {
		t.Errorf("decoded %+v payload %q\nwant    %+v payload %q", got, ev.Payload, want, payload)
	}
}

// The C enums of the contract are Go's constants: the generated mirrors
// of l7_source, l7_verdict and l7_flags against l7's.
func TestL7ContractConstants(t *testing.T) {
	for _, c := range []struct {
		name   string
		c, go_ uint32
	}{
		{"L7_SRC_SOCKET", uint32(netflowL7SourceL7SRC_SOCKET), uint32(l7.SourceSocket)},
		{"L7_SRC_PACKET", uint32(netflowL7SourceL7SRC_PACKET), uint32(l7.SourcePacket)},
		{"L7_SRC_TLS", uint32(netflowL7SourceL7SRC_TLS), uint32(l7.SourceTLS)},
		{"L7_V_CLASSIFYING", uint32(netflowL7VerdictL7V_CLASSIFYING), uint32(l7.VerdictClassifying)},
		{"L7_V_IGNORE", uint32(netflowL7VerdictL7V_IGNORE), uint32(l7.VerdictIgnore)},
		{"L7_V_PARSE", uint32(netflowL7VerdictL7V_PARSE), uint32(l7.VerdictParse)},
		{"L7_F_SEQ", uint32(netflowL7FlagsL7F_SEQ), l7.FlagSeq},
	} {
		if c.c != c.go_ {
			t.Errorf("%s is %d in C, %d in Go", c.name, c.c, c.go_)
		}
	}
}
