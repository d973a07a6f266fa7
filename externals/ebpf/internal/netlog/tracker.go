package netlog

import (
	"net/netip"
	"time"

	"netobs.local/agent/dissect"
	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

// limits of the tracker; tests shorten them.
type limits struct {
	interval      time.Duration // a chunk is cut at least this often
	chunkSegments uint64        // ... or after this many packets
	linger        time.Duration // a closed connection waits this long for its last ACKs
	idle          time.Duration // a silent connection is forgotten after this long
	maxConns      int
}

// tracker follows the TCP connections of one namespace. It is owned by
// that namespace's capture goroutine, so it needs no locks.
type tracker struct {
	ns     netns
	nsTag  string
	tags   []lp.Tag // host and global tags
	lim    limits
	log    bool
	conns  map[connKey]*conn
	l4, l7 []lp.Point // ready to send
	drops  uint64     // connections not tracked: the table was full

	stream   *stream.Tracker  // the L7 engine's parser (l7.go)
	bySock   map[uint64]*conn // connections by their parser socket id
	lastSock uint64
	ev       l7.Event
}

func newTracker(ns netns, tags []lp.Tag, lim limits, log bool) *tracker {
	t := &tracker{ns: ns, nsTag: ns.tag(), tags: tags, lim: lim, log: log, conns: map[connKey]*conn{},
		bySock: map[uint64]*conn{}}
	t.stream = newL7Parser(t)
	return t
}

// packet accounts one decoded TCP packet seen on interface l. sent is
// true for a packet the interface sent; payload is its TCP payload length
// on the wire.
func (t *tracker) packet(p *dissect.Packet, ifindex int, l link, sent bool, payload int, now time.Time) {
	if p.Proto != dissect.ProtoTCP {
		return
	}
	k := keyOf(ifindex, p)
	src := netip.AddrPortFrom(p.Src, p.SrcPort)
	c := t.conns[k]
	if c != nil && c.closed() && p.Flags&(dissect.SYN|dissect.ACK) == dissect.SYN {
		t.finish(c) // the port pair is reused by a new connection
		c = nil
	}
	if c == nil {
		if len(t.conns) >= t.lim.maxConns {
			t.drops++
			return
		}
		local := src
		if !sent || l.loopback && p.Flags&(dissect.SYN|dissect.ACK) == dissect.SYN|dissect.ACK {
			local = netip.AddrPortFrom(p.Dst, p.DstPort) // on lo, the client is the local end
		}
		c = newConn(k, l, local, now)
		t.conns[k] = c
	}
	d := rx
	if src == c.local {
		d = tx
	}
	if c.segment(d, p, payload, now) && len(p.Payload) > 0 {
		t.feed(c, d, p, payload, now)
	}
	if c.packets() >= t.lim.chunkSegments {
		t.chunk(c, now)
	}
}

// chunk emits the connection's current chunk, if it has packets.
func (t *tracker) chunk(c *conn, now time.Time) {
	if c.packets() == 0 {
		return
	}
	c.chunkID++
	if t.log {
		t.l4 = append(t.l4, l4Point(t.connTags(c), c))
	}
	c.resetChunk(now)
}

// finish emits what is left of a connection and forgets it; requests that
// never got a response are logged with status 0.
func (t *tracker) finish(c *conn) {
	t.chunk(c, c.last)
	t.closeL7(c)
	delete(t.conns, c.key)
}

// tick cuts chunks that are due and forgets closed and idle connections.
func (t *tracker) tick(now time.Time) {
	for _, c := range t.conns {
		switch quiet := now.Sub(c.last); {
		case c.closed() && quiet >= t.lim.linger, quiet >= t.lim.idle:
			t.finish(c)
		case now.Sub(c.chunkStart) >= t.lim.interval:
			t.chunk(c, now)
		}
	}
	t.stream.Advance(uint64(now.UnixNano()))
}

// finishAll emits everything, at stop.
func (t *tracker) finishAll() {
	for _, c := range t.conns {
		t.finish(c)
	}
}

// take returns the points ready to send and forgets them.
func (t *tracker) take() (l4, l7 []lp.Point) {
	l4, l7 = t.l4, t.l7
	t.l4, t.l7 = nil, nil
	return l4, l7
}
