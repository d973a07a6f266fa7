package netflow

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strings"
	"testing"
)

func encodeClose(t testing.TB, ev netflowConnCloseEvent) []byte {
	var b bytes.Buffer
	if err := binary.Write(&b, binary.NativeEndian, ev); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func sampleClose() netflowConnCloseEvent {
	var ev netflowConnCloseEvent
	ev.Type = uint32(netflowEventTypeEVENT_CONN_CLOSE)
	ev.Sk = 0xffff888012345678
	ev.Conn.Tuple.Family = 2
	ev.Conn.Tuple.Proto = 6
	copy(ev.Conn.Tuple.Saddr[:], []byte{127, 0, 0, 1})
	copy(ev.Conn.Tuple.Daddr[:], []byte{127, 0, 0, 2})
	ev.Conn.Tuple.Sport, ev.Conn.Tuple.Dport = 40000, 80
	ev.Conn.Tuple.Netns = 4026531840
	ev.Conn.Stats.BytesRead, ev.Conn.Stats.BytesWritten = 1234, 77
	ev.Conn.Stats.TotalRetrans, ev.Conn.Stats.SrttUs, ev.Conn.Stats.RttvarUs = 3, 45, 6
	ev.Conn.StartNs, ev.Conn.Pid, ev.Conn.Role = 99, 4242, 1
	for i, c := range "curl" {
		ev.Conn.Comm[i] = int8(c)
	}
	return ev
}

func TestDecodeCloseRoundTrip(t *testing.T) {
	want := sampleClose()
	got, err := decodeRecord(encodeClose(t, want))
	if err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
	}
	if cString(got.Conn.Comm) != "curl" {
		t.Fatalf("comm %q", cString(got.Conn.Comm))
	}
}

func TestDecodeErrors(t *testing.T) {
	good := encodeClose(t, sampleClose())
	unknown := append([]byte(nil), good...)
	binary.NativeEndian.PutUint32(unknown, 99)
	for _, c := range []struct {
		name string
		b    []byte
		want string
	}{
		{"empty", nil, "no event type"},
		{"three bytes", []byte{1, 0, 0}, "no event type"},
		{"short close", good[:closeEventSize-1], fmt.Sprintf("want %d", closeEventSize)},
		{"unknown type", unknown, "unknown event type 99"},
	} {
		_, err := decodeRecord(c.b)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want it to contain %q", c.name, err, c.want)
		}
	}
}

func FuzzDecodeRecord(f *testing.F) {
	f.Add(encodeClose(f, sampleClose()))
	f.Add([]byte{1, 0, 0, 0})
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		ev, err := decodeRecord(b)
		if err != nil {
			return
		}
		if len(b) < closeEventSize || ev.Type != uint32(netflowEventTypeEVENT_CONN_CLOSE) {
			t.Fatalf("accepted %d bytes of type %d", len(b), ev.Type)
		}
		if !bytes.Equal(encodeClose(t, ev), b[:closeEventSize]) {
			t.Fatal("decoded value does not re-encode to the input")
		}
	})
}
