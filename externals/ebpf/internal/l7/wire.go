package l7

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// The fixed layout of struct l7_event (bpf/netflow/l7capture.h: the
// common header of every payload source, then the payload), little-endian
// as the BPF target. The payload follows the header; a record may be shorter than
// header+L7_CAP when the ring buffer reservation is sized to cap_len.
const (
	offTs       = 0
	offCookie   = 8
	offPid      = 16
	offTid      = 20
	offTotalLen = 24
	offCapLen   = 28
	offDir      = 30
	offProto    = 31
	offFamily   = 32
	offSource   = 33
	offFlags    = 34
	offLport    = 36
	offRport    = 38
	offLaddr    = 40
	offRaddr    = 56
	offComm     = 72
	offSeq      = 88
	// RecordHeaderLen is the size of struct l7_event without its payload.
	RecordHeaderLen = 96
)

// FlagSeq: the record's seq is the TCP sequence number of its first
// payload byte (L7_F_SEQ).
const FlagSeq = 1

const (
	afInet  = 2
	afInet6 = 10
)

// DecodeRecord fills ev from one ring buffer record. ev.Payload aliases b.
func DecodeRecord(b []byte, ev *Event) error {
	if len(b) < RecordHeaderLen {
		return fmt.Errorf("l7 record: %d bytes, want at least the %d-byte header", len(b), RecordHeaderLen)
	}
	le := binary.LittleEndian
	capLen := int(le.Uint16(b[offCapLen:]))
	if RecordHeaderLen+capLen > len(b) {
		return fmt.Errorf("l7 record: cap_len %d exceeds the record's %d payload bytes", capLen, len(b)-RecordHeaderLen)
	}
	ev.TimestampNs = le.Uint64(b[offTs:])
	ev.SockID = le.Uint64(b[offCookie:])
	ev.Pid, ev.Tid = le.Uint32(b[offPid:]), le.Uint32(b[offTid:])
	ev.TotalLen = le.Uint32(b[offTotalLen:])
	ev.Dir, ev.Proto = Dir(b[offDir]), Proto(b[offProto])
	if ev.Dir < DirSend || ev.Dir > DirClose {
		return fmt.Errorf("l7 record: field dir: invalid value %d", b[offDir])
	}
	if ev.Proto != TCP && ev.Proto != UDP {
		return fmt.Errorf("l7 record: field proto: invalid value %d", b[offProto])
	}
	var laddr, raddr netip.Addr
	switch b[offFamily] {
	case afInet:
		laddr, raddr = netip.AddrFrom4([4]byte(b[offLaddr:offLaddr+4])), netip.AddrFrom4([4]byte(b[offRaddr:offRaddr+4]))
	case afInet6:
		laddr = netip.AddrFrom16([16]byte(b[offLaddr : offLaddr+16])).Unmap()
		raddr = netip.AddrFrom16([16]byte(b[offRaddr : offRaddr+16])).Unmap()
	default:
		return fmt.Errorf("l7 record: field family: invalid value %d", b[offFamily])
	}
	ev.Local = netip.AddrPortFrom(laddr, le.Uint16(b[offLport:]))
	ev.Remote = netip.AddrPortFrom(raddr, le.Uint16(b[offRport:]))
	copy(ev.Comm[:], b[offComm:offComm+16])
	ev.Source = Source(b[offSource])
	if ev.Source > SourceTLS {
		return fmt.Errorf("l7 record: field source: invalid value %d", b[offSource])
	}
	ev.Seq, ev.SeqKnown = le.Uint32(b[offSeq:]), b[offFlags]&FlagSeq != 0
	ev.Payload = b[RecordHeaderLen : RecordHeaderLen+capLen]
	if uint32(capLen) > ev.TotalLen && ev.Dir != DirClose {
		return fmt.Errorf("l7 record: cap_len %d exceeds total_len %d", capLen, ev.TotalLen)
	}
	return nil
}

// AppendRecord appends ev in the record layout: the inverse of DecodeRecord,
// for tests and replay tools.
func AppendRecord(dst []byte, ev *Event) []byte {
	var h [RecordHeaderLen]byte
	le := binary.LittleEndian
	le.PutUint64(h[offTs:], ev.TimestampNs)
	le.PutUint64(h[offCookie:], ev.SockID)
	le.PutUint32(h[offPid:], ev.Pid)
	le.PutUint32(h[offTid:], ev.Tid)
	le.PutUint32(h[offTotalLen:], ev.TotalLen)
	le.PutUint16(h[offCapLen:], uint16(len(ev.Payload)))
	h[offDir], h[offProto], h[offFamily] = byte(ev.Dir), byte(ev.Proto), afInet6
	if ev.Local.Addr().Is4() {
		h[offFamily] = afInet
		l4, r4 := ev.Local.Addr().As4(), ev.Remote.Addr().As4()
		copy(h[offLaddr:], l4[:])
		copy(h[offRaddr:], r4[:])
	} else {
		l16, r16 := ev.Local.Addr().As16(), ev.Remote.Addr().As16()
		copy(h[offLaddr:], l16[:])
		copy(h[offRaddr:], r16[:])
	}
	le.PutUint16(h[offLport:], ev.Local.Port())
	le.PutUint16(h[offRport:], ev.Remote.Port())
	copy(h[offComm:], ev.Comm[:])
	h[offSource] = byte(ev.Source)
	if ev.SeqKnown {
		h[offFlags] = FlagSeq
		le.PutUint32(h[offSeq:], ev.Seq)
	}
	return append(append(dst, h[:]...), ev.Payload...)
}
