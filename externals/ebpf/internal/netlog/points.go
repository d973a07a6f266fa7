package netlog

import (
	"strconv"
	"strings"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// connTags are the tags both logs give a connection.
func (t *tracker) connTags(c *conn) []lp.Tag {
	client, server := c.client()
	remote := c.remote()
	direction := "incoming"
	if c.local == client {
		direction = "outgoing"
	}
	l7 := "N/A"
	if c.sawHTTP {
		l7 = "HTTP"
	}
	tags := make([]lp.Tag, 0, 24+len(t.tags))
	tags = append(tags, t.tags...)
	return append(tags,
		lp.Tag{Key: "client_ip", Value: client.Addr().String()},
		lp.Tag{Key: "client_port", Value: strconv.Itoa(int(client.Port()))},
		lp.Tag{Key: "conn_side", Value: c.side.String()},
		lp.Tag{Key: "direction", Value: direction},
		lp.Tag{Key: "dst_ip", Value: remote.Addr().String()},
		lp.Tag{Key: "dst_port", Value: strconv.Itoa(int(remote.Port()))},
		lp.Tag{Key: "host_network", Value: strconv.FormatBool(t.ns.host)},
		lp.Tag{Key: "inner_traceid", Value: c.innerID},
		lp.Tag{Key: "l4_proto", Value: "TCP"},
		lp.Tag{Key: "l7_proto", Value: l7},
		lp.Tag{Key: "netns", Value: t.nsTag},
		lp.Tag{Key: "nic_mac", Value: c.link.mac},
		lp.Tag{Key: "nic_name", Value: c.link.name},
		lp.Tag{Key: "server_ip", Value: server.Addr().String()},
		lp.Tag{Key: "server_port", Value: strconv.Itoa(int(server.Port()))},
		lp.Tag{Key: "src_ip", Value: c.local.Addr().String()},
		lp.Tag{Key: "src_port", Value: strconv.Itoa(int(c.local.Port()))},
		lp.Tag{Key: "virtual_nic", Value: strconv.FormatBool(c.link.virtual)},
		lp.Tag{Key: "vni_id", Value: strconv.FormatUint(uint64(c.key.vni), 10)},
		lp.Tag{Key: "vxlan_packet", Value: strconv.FormatBool(c.key.vxlan)},
	)
}

func l4Point(tags []lp.Tag, c *conn) lp.Point {
	tx, rx := &c.dir[tx], &c.dir[rx]
	return lp.Point{
		Name: measure.NetL4Log.Name,
		Tags: tags,
		Fields: []lp.Field{
			lp.Int("chunk_id", int64(c.chunkID)),
			str("message", c.summary()),
			lp.Int("rx_bytes", int64(rx.bytes)),
			lp.Int("rx_packets", int64(rx.packets)),
			lp.Int("rx_retrans", int64(rx.retrans)),
			lp.Int("rx_seq_max", int64(rx.seqMax)),
			lp.Int("rx_seq_min", int64(rx.seqMin)),
			lp.Int("tcp_syn_retrans", int64(c.synRetrans)),
			lp.Int("tx_bytes", int64(tx.bytes)),
			lp.Int("tx_packets", int64(tx.packets)),
			lp.Int("tx_retrans", int64(tx.retrans)),
			lp.Int("tx_seq_max", int64(tx.seqMax)),
			lp.Int("tx_seq_min", int64(tx.seqMin)),
		},
		Time: c.chunkStart,
	}
}

// l7Point is the L7 log of one exchange the parser found on c; ack is
// that of the request's first segment.
func l7Point(tags []lp.Tag, c *conn, ex *l7.HTTPExchange, ack uint32) lp.Point {
	traceID, parentID := traceIDs(ex.Headers)
	tags = append(tags,
		lp.Tag{Key: "l7_traceid", Value: l7TraceID(ex.ReqSeq, ack)},
		lp.Tag{Key: "parent_id", Value: orNA(parentID)},
		lp.Tag{Key: "trace_id", Value: orNA(traceID)})
	txSeq, rxSeq := ex.ReqSeq, ex.RespSeq // the local end sent the request
	if !ex.Conn.Outgoing {
		txSeq, rxSeq = rxSeq, txSeq
	}
	client, server := c.client()
	msg := client.String() + " -> " + server.String() + " tcp " + ex.Method + " " + ex.Path + " " + strconv.Itoa(ex.Status)
	return lp.Point{
		Name: measure.NetL7Log.Name,
		Tags: tags,
		Fields: []lp.Field{
			str("http_method", ex.Method),
			str("http_path", ex.Path),
			lp.Int("http_status_code", int64(ex.Status)),
			str("message", msg),
			lp.Int("rx_seq", int64(rxSeq)),
			lp.Int("tx_seq", int64(txSeq)),
		},
		Time: time.Unix(0, int64(ex.StartNs)),
	}
}

func orNA(s string) string {
	if s == "" {
		return "N/A"
	}
	return s
}

// str is a string field; bytes from the wire that are not UTF-8 (which
// line protocol refuses) are replaced.
func str(key, s string) lp.Field {
	v, ok := lineprotocol.StringValue(s)
	if !ok {
		v, _ = lineprotocol.StringValue(strings.ToValidUTF8(s, "\uFFFD"))
	}
	return lp.Field{Key: key, Value: v}
}
