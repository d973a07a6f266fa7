package l7

import "net/netip"

// Exchange is what every protocol's finished exchange carries, whatever
// the protocol: the stages after the parsers (the aggregators, and later
// span building and sampling) read it without knowing the protocol.
type Exchange struct {
	Conn ConnInfo
	// Protocol is the registry name of the protocol that parsed it
	// ("http", "dns", ...): the sink routes by it.
	Protocol string
	// Source is the capture the exchange's events came from.
	Source Source
	// Tid is the thread that made the request's first syscall.
	Tid uint32
	// StartNs is the timestamp of the request's first event, EndNs that
	// of the event that finished the response (CLOCK_MONOTONIC).
	StartNs, EndNs uint64
	// ReqSeq and RespSeq are the TCP sequence numbers of the first request
	// and response bytes, when SeqKnown: the source knew them (packets,
	// and the socket capture once the kernel records them).
	ReqSeq, RespSeq uint32
	SeqKnown        bool
	// SockID is the socket's id in its source (l7.Event.SockID).
	SockID uint64
	// Headers are the request headers asked for (stream.Config.Headers:
	// trace headers, say), never credentials.
	Headers []Header
}

// Header is one request header a later stage asked for.
type Header struct {
	Name  string // as asked for, lower case
	Value string
}

// Base returns the common part; every protocol's exchange embeds Exchange
// and so is a Record.
func (x *Exchange) Base() *Exchange { return x }

// Record is one finished exchange of any protocol, handed to the sink.
// The pointer is valid only during the call.
type Record interface{ Base() *Exchange }

// HTTPExchange is one request and its response, seen from one side.
type HTTPExchange struct {
	Exchange
	// Method, Path and Version are interned strings ("GET", "/a/b", "1.1");
	// Path has its query string, fragment and path parameters stripped.
	Method, Path, Version string
	// PathTruncated is true when the capture ended inside the path.
	PathTruncated bool
	// Status is the response status code, 0 when no response was seen
	// (the connection closed or the exchange was evicted first).
	Status int
	// LatencyNs is the time to first byte: from the last send/recv that
	// carried the request to the first send/recv that carried its response.
	LatencyNs uint64
	// BytesRead and BytesWritten count the local process's reads and writes
	// of this exchange (request plus response), from syscall byte counts.
	BytesRead, BytesWritten uint64
	// Unanswered: the connection ended before a response began (Status 0).
	// Aggregators of answered requests (httpflow) leave these out.
	Unanswered bool
	// GRPCStatus is the grpc-status of an HTTP/2 response's trailers (or
	// trailers-only headers), "" when it had none.
	GRPCStatus string
}

// MaxAnswers bounds the addresses a DNSExchange carries.
const MaxAnswers = 8

// DNSExchange is one DNS query and its outcome, seen from one side.
type DNSExchange struct {
	Exchange
	// Name is the interned query name, lower case, without the final dot.
	Name  string
	QType uint16
	// RCode is the response code, or -1 when no response came in time.
	RCode     int
	LatencyNs uint64
	// Answers holds the first NAnswers A/AAAA addresses of the response.
	Answers  [MaxAnswers]netip.Addr
	NAnswers int
}
