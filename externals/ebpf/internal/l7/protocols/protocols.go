// Package protocols is the L7 protocol registry: the one list a new
// protocol's folder is added to.
package protocols

import (
	"netobs.local/agent/externals/ebpf/internal/l7/proto/dns"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/http1"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/http2"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/memcached"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/mysql"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/pgsql"
	"netobs.local/agent/externals/ebpf/internal/l7/proto/redis"
	"netobs.local/agent/externals/ebpf/internal/l7/stream"
)

// Default returns the registered protocols in detection order: DNS first,
// since its port decides before any payload shape does; Redis before HTTP,
// so that an inline command on a Redis port ("GET k") is not a request.
func Default() []stream.Protocol {
	return []stream.Protocol{
		dns.Protocol,
		redis.Protocol,
		pgsql.Protocol,
		mysql.Protocol,
		memcached.Protocol,
		http2.Protocol, // before http1, which would take "PRI * HTTP/2.0" for a request line
		http1.Protocol,
	}
}
