package l7

import (
	"bytes"
	"net/netip"
	"strings"
	"testing"
)

func sample() Event {
	ev := Event{Dir: DirSend, Proto: TCP, Pid: 42, Tid: 43, TimestampNs: 123456789, SockID: 0xdeadbeef,
		Local: netip.MustParseAddrPort("127.0.0.1:40000"), Remote: netip.MustParseAddrPort("127.0.0.1:80"),
		TotalLen: 1000, Payload: []byte("GET / HTTP/1.1\r\n")}
	copy(ev.Comm[:], "curl")
	return ev
}

func TestRecordRoundTrip(t *testing.T) {
	for _, remote := range []string{"127.0.0.1:80", "[2001:db8::1]:443"} {
		ev := sample()
		ev.Remote = netip.MustParseAddrPort(remote)
		if ev.Remote.Addr().Is6() {
			ev.Local = netip.MustParseAddrPort("[2001:db8::2]:40000")
		}
		var got Event
		if err := DecodeRecord(AppendRecord(nil, &ev), &got); err != nil {
			t.Fatal(err)
		}
		if got.Local != ev.Local || got.Remote != ev.Remote || got.Pid != 42 || got.Tid != 43 || got.SockID != ev.SockID ||
			got.TimestampNs != ev.TimestampNs || got.TotalLen != 1000 || got.Dir != DirSend || got.Proto != TCP ||
			!bytes.Equal(got.Payload, ev.Payload) || got.CommString() != "curl" || !got.Truncated() {
			t.Errorf("round trip: %+v", got)
		}
	}
}

func TestRecordMappedUnmapped(t *testing.T) {
	ev := sample()
	rec := AppendRecord(nil, &ev)
	rec[offFamily] = afInet6
	mapped := netip.MustParseAddr("::ffff:10.1.2.3").As16()
	copy(rec[offRaddr:], mapped[:])
	var got Event
	if err := DecodeRecord(rec, &got); err != nil || got.Remote.Addr() != netip.MustParseAddr("10.1.2.3") {
		t.Fatalf("%v %v", err, got.Remote)
	}
}

func TestRecordErrors(t *testing.T) {
	ev := sample()
	good := AppendRecord(nil, &ev)
	for name, tc := range map[string]struct {
		mutate func([]byte) []byte
		want   string
	}{
		"short":     {func(b []byte) []byte { return b[:10] }, "header"},
		"cap_len":   {func(b []byte) []byte { return b[:RecordHeaderLen+3] }, "cap_len"},
		"dir":       {func(b []byte) []byte { b[offDir] = 9; return b }, "field dir"},
		"proto":     {func(b []byte) []byte { b[offProto] = 1; return b }, "field proto"},
		"family":    {func(b []byte) []byte { b[offFamily] = 1; return b }, "field family"},
		"total_len": {func(b []byte) []byte { b[offTotalLen], b[offTotalLen+1] = 1, 0; return b }, "total_len"},
	} {
		var got Event
		err := DecodeRecord(tc.mutate(bytes.Clone(good)), &got)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: err %v, want mention of %q", name, err, tc.want)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	ev := sample()
	f.Add(AppendRecord(nil, &ev))
	f.Fuzz(func(t *testing.T, b []byte) {
		var got Event
		if DecodeRecord(b, &got) != nil {
			return
		}
		var again Event
		if err := DecodeRecord(AppendRecord(nil, &got), &again); err != nil {
			t.Fatalf("re-encoding a decoded record fails: %v", err)
		}
		if again.Local != got.Local || again.Remote != got.Remote || !bytes.Equal(again.Payload, got.Payload) {
			t.Fatalf("round trip changed the event")
		}
	})
}
