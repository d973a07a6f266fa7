// Package pointtest builds realistic line-protocol batches for tests and
// benchmarks of the ingest path.
package pointtest

import (
	"fmt"
	"math/rand/v2"
	"strconv"
)

// NetflowBatch returns n lines shaped like the eBPF collector's netflow
// measurement: a dozen tags (addresses, ports, process, k8s names), a
// handful of integer and float fields and a nanosecond timestamp. The
// content is deterministic for a given n.
func NetflowBatch(n int) []byte {
	rng := rand.New(rand.NewPCG(uint64(n), 42))
	ts := int64(1_760_000_000_000_000_000)
	var b []byte
	for i := 0; i < n; i++ {
		proto := []string{"tcp", "udp"}[rng.IntN(2)]
		b = append(b, "netflow,direction="...)
		b = append(b, []string{"incoming", "outgoing"}[rng.IntN(2)]...)
		b = append(b, ",dst_ip="...)
		b = fmt.Appendf(b, "10.%d.%d.%d", rng.IntN(4), rng.IntN(256), rng.IntN(256))
		b = append(b, ",dst_port="...)
		b = strconv.AppendInt(b, int64([]int{80, 443, 53, 5432, 6379}[rng.IntN(5)]), 10)
		b = append(b, ",family=IPv4,host=node-7,pid="...)
		b = strconv.AppendInt(b, int64(1000+rng.IntN(30000)), 10)
		b = append(b, ",pod_name=web-"...)
		b = strconv.AppendInt(b, int64(rng.IntN(50)), 10)
		b = append(b, ",process_name="...)
		b = append(b, []string{"nginx", "curl", "postgres", "redis-server", "java"}[rng.IntN(5)]...)
		b = append(b, ",src_ip="...)
		b = fmt.Appendf(b, "192.168.%d.%d", rng.IntN(256), rng.IntN(256))
		b = append(b, ",src_ip_type=private,src_k8s_namespace=default,src_port="...)
		b = strconv.AppendInt(b, int64(32768+rng.IntN(28000)), 10)
		b = append(b, ",transport="...)
		b = append(b, proto...)
		b = append(b, " bytes_read="...)
		b = strconv.AppendInt(b, int64(rng.IntN(1<<20)), 10)
		b = append(b, "i,bytes_written="...)
		b = strconv.AppendInt(b, int64(rng.IntN(1<<20)), 10)
		b = append(b, "i,retransmits="...)
		b = strconv.AppendInt(b, int64(rng.IntN(5)), 10)
		b = append(b, "i,rtt="...)
		b = strconv.AppendInt(b, int64(rng.IntN(200000)), 10)
		b = append(b, "i,rtt_var="...)
		b = strconv.AppendFloat(b, rng.Float64()*1000, 'f', 3, 64)
		b = append(b, ",tcp_closed="...)
		b = strconv.AppendInt(b, int64(rng.IntN(3)), 10)
		b = append(b, "i "...)
		b = strconv.AppendInt(b, ts+int64(i)*1000, 10)
		b = append(b, '\n')
	}
	return b
}
