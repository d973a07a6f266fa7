package netlog

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"time"

	"netobs.local/agent/dissect"
)

// side is which end of a TCP connection the local end is.
type side uint8

const (
	sideUnknown side = iota // the handshake was not seen
	sideClient
	sideServer
)

func (s side) String() string {
	switch s {
	case sideClient:
		return "client"
	case sideServer:
		return "server"
	}
	return "unknown"
}

// connKey names a connection on one interface; a and b are the two ends in
// canonical order, so both directions find the same entry.
type connKey struct {
	ifindex int32
	vxlan   bool
	vni     uint32
	a, b    netip.AddrPort
}

func keyOf(ifindex int, p *dissect.Packet) connKey {
	a, b := netip.AddrPortFrom(p.Src, p.SrcPort), netip.AddrPortFrom(p.Dst, p.DstPort)
	if b.Compare(a) < 0 {
		a, b = b, a
	}
	return connKey{ifindex: int32(ifindex), vxlan: p.VXLAN, vni: p.VNI, a: a, b: b}
}

// dirStats counts one direction of a chunk.
type dirStats struct {
	bytes, packets, retrans uint64
	seqMin, seqMax          uint32
}

func (d *dirStats) add(seq uint32, payload int, retrans bool) {
	if d.packets == 0 || seq < d.seqMin {
		d.seqMin = seq
	}
	if d.packets == 0 || seq > d.seqMax {
		d.seqMax = seq
	}
	d.packets++
	d.bytes += uint64(payload)
	if retrans {
		d.retrans++
	}
}

const (
	tx = 0 // sent by the local end
	rx = 1
)

// conn is one TCP connection on one interface.
type conn struct {
	key        connKey
	link       link
	local      netip.AddrPort // on lo, where both ends are local: the client when known
	side       side
	innerID    string
	chunkID    int
	dir        [2]dirStats // of the current chunk
	synRetrans uint64
	flags      uint8 // every TCP flag seen, for the summary
	chunkStart time.Time
	last       time.Time

	next    [2]uint32 // sequence number after the highest byte seen, per direction
	nextOK  [2]bool
	syns    [2]int
	fin     [2]bool
	rst     bool
	sawHTTP bool

	sock  uint64          // its socket id in the L7 parser, 0 before its first data
	acks  [maxAcks]segAck // the latest segments' seq and ack (l7.go)
	nAcks int
}

func newConn(k connKey, l link, local netip.AddrPort, now time.Time) *conn {
	return &conn{key: k, link: l, local: local, innerID: fmt.Sprintf("%016x", rand.Uint64()), chunkStart: now, last: now}
}

func (c *conn) remote() netip.AddrPort {
	if c.local == c.key.a {
		return c.key.b
	}
	return c.key.a
}

func (c *conn) closed() bool { return c.rst || c.fin[tx] && c.fin[rx] }

func (c *conn) packets() uint64 { return c.dir[tx].packets + c.dir[rx].packets }

// client and server, guessing the lower port as the server's when the
// handshake was not seen.
func (c *conn) client() (client, server netip.AddrPort) {
	r := c.remote()
	switch {
	case c.side == sideClient:
		return c.local, r
	case c.side == sideServer:
		return r, c.local
	case c.local.Port() < r.Port():
		return r, c.local
	}
	return c.local, r
}

// segment accounts one packet; d is tx or rx, payload the TCP payload
// length on the wire. It reports whether the segment carried new data.
func (c *conn) segment(d int, p *dissect.Packet, payload int, now time.Time) (fresh bool) {
	c.last = now
	c.flags |= p.Flags
	syn, fin := p.Flags&dissect.SYN != 0, p.Flags&dissect.FIN != 0
	if syn {
		c.syns[d]++
		synSender := d
		if p.Flags&dissect.ACK != 0 {
			synSender = 1 - d // a SYN-ACK is the server's
		}
		if synSender == tx {
			c.side = sideClient
		} else {
			c.side = sideServer
		}
	}
	if fin {
		c.fin[d] = true
	}
	if p.Flags&dissect.RST != 0 {
		c.rst = true
	}
	seqLen := uint32(payload)
	if syn {
		seqLen++
	}
	if fin {
		seqLen++
	}
	retrans := false
	if seqLen > 0 {
		end := p.Seq + seqLen
		if c.nextOK[d] && int32(end-c.next[d]) <= 0 {
			retrans = true
		} else {
			c.next[d], c.nextOK[d] = end, true
		}
	}
	if retrans && syn && d == tx {
		c.synRetrans++
	}
	c.dir[d].add(p.Seq, payload, retrans)
	return seqLen > 0 && !retrans
}

// resetChunk starts the next chunk.
func (c *conn) resetChunk(now time.Time) {
	c.dir = [2]dirStats{}
	c.synRetrans = 0
	c.chunkStart = now
}

// summary is the connection's one-line summary, client to server, with
// the TCP flags seen.
func (c *conn) summary() string {
	client, server := c.client()
	b := client.AppendTo(nil)
	b = append(b, " -> "...)
	b = server.AppendTo(b)
	b = append(b, " tcp"...)
	b = dissect.AppendFlags(b, c.flags)
	if c.key.vxlan {
		b = fmt.Appendf(b, " vxlan vni %d", c.key.vni)
	}
	return string(b)
}
