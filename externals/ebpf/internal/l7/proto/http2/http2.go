// Package http2 is HTTP/2 (and gRPC over it) on the L7 protocol registry:
// detection from the client connection preface, frames walked per
// direction across events, one HPACK decoder per direction per connection
// (golang.org/x/net/http2/hpack, whose dynamic table must see every header
// block in order), and streams matched into l7.HTTPExchange records with
// Version "2", aggregated into httpflow like HTTP/1's.
//
// Only the pseudo-headers (:method, :path, :status) and grpc-status are
// kept; every other header value, Authorization and Cookie among them, is
// decoded by HPACK (it has to be, to keep the table in step) and dropped
// at once.
package http2

import (
	"bytes"

	"netobs.local/agent/externals/ebpf/internal/l7"
	"netobs.local/agent/externals/ebpf/internal/l7/httpflow"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
	"netobs.local/agent/externals/ebpf/internal/measure"
)

// Name is the protocol's registry name.
const Name = "http2"

// Protocol is HTTP/2's registry entry. Its exchanges go to an httpflow
// aggregator of their own (Version "2" keeps their series apart).
var Protocol = stream.Protocol{
	Name:        Name,
	New:         func(stream.Config) stream.Parser { return parser{} },
	Measurement: measure.Httpflow,
	Aggregate: func(c stream.AggregateConfig) stream.Aggregator {
		return httpflow.New(httpflow.Config{Tags: c.Tags, Domains: c.Domains, MaxSeries: c.MaxSeries, Stage: c.Stage})
	},
}

// Preface is the client connection preface (RFC 9113 section 3.4), sent
// first by every client, prior knowledge (h2c) or after TLS ALPN "h2".
var Preface = []byte("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")

type parser struct{}

// Detect: the preface at the start of a TCP payload, or a whole payload
// that is a prefix of it. A connection whose preface was not seen (older
// than the collector) is not taken: its HPACK tables are unknown.
func (parser) Detect(ev *l7.Event, _ bool) stream.Verdict {
	switch {
	case ev.Proto != l7.TCP:
		return stream.No
	case bytes.HasPrefix(ev.Payload, Preface):
		return stream.Yes
	case len(ev.Payload) > 0 && !ev.Truncated() && bytes.HasPrefix(Preface, ev.Payload):
		return stream.More
	}
	return stream.No
}

// Open: whoever sends the preface is the client.
func (parser) Open(ev *l7.Event) stream.Conn { return newConn(ev.Dir == l7.DirSend) }
