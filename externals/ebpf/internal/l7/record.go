package l7

import "net/netip"

// HTTPExchange is one request and its response, seen from one side.
type HTTPExchange struct {
	Conn ConnInfo
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
}

// MaxAnswers bounds the addresses a DNSExchange carries.
const MaxAnswers = 8

// DNSExchange is one DNS query and its outcome, seen from one side.
type DNSExchange struct {
	Conn ConnInfo
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
