package local

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/datakit/internal/pipeline"
	"netobs.local/agent/datakit/internal/point"
	"netobs.local/agent/datakit/internal/view"
)

// busyHour is an hour of a busy host's collector output at a 10 s
// interval: per interval 500 netflow groups (50 processes, 10 servers
// each), 100 httpflow, 50 dnsflow and 3 datakit_ebpf points; 235,080 points.
func busyHour(now time.Time, feed func(category string, lp []byte, at time.Time)) (points int) {
	start := now.Add(-view.Retention + view.Step)
	for i := 0; i < view.Slots; i++ {
		at := start.Add(time.Duration(i) * view.Step)
		ts := at.UnixNano()
		var nw, m strings.Builder
		for j := 0; j < 500; j++ {
			fmt.Fprintf(&nw, "netflow,client_ip=10.0.0.1,direction=outgoing,dst_domain=N/A,dst_ip=10.1.%d.%d,dst_port=443,family=IPv4,host=busy,pid=%d,process_name=proc%d,server_domain=N/A,server_ip=10.1.%d.%d,server_port=443,src_ip=10.0.0.1,src_k8s_namespace=N/A,src_k8s_pod_name=N/A,src_port=*,transport=tcp bytes_read=%di,bytes_written=900i,retransmits=0i,rtt=250i,rtt_var=20i,tcp_closed=2i,tcp_established=2i %d\n",
				j/10, j%10, 1000+j/10, j/10, j/10, j%10, 5000+j, ts)
		}
		for j := 0; j < 100; j++ {
			fmt.Fprintf(&nw, "httpflow,direction=incoming,host=busy,pid=77,process_name=nginx,server_ip=10.0.0.1,server_port=80,src_k8s_namespace=N/A,src_k8s_pod_name=N/A,transport=tcp bytes_read=300i,bytes_written=5000i,count=%di,http_version=\"1.1\",latency=%di,method=\"GET\",path=\"/api/v%d\",status_code=%di,truncated=false %d\n",
				1+j%7, 200000+j*10000, j, 200+(j%5)*100, ts)
		}
		for j := 0; j < 50; j++ {
			fmt.Fprintf(&nw, "dnsflow,direction=outgoing,dst_domain=svc%d.example.com,host=busy,pid=9,process_name=resolver,server_ip=10.0.0.53,server_port=53,transport=udp count=3i,latency=800000i,latency_max=1500000i,rcode=%di %d\n",
				j, (j%4)*3/3, ts)
		}
		for _, p := range []string{"ebpf-net", "ebpf-bash", "sender"} {
			fmt.Fprintf(&m, "datakit_ebpf,host=busy,plugin=%s events=20000i,kernel_drops=0i,points=650i %d\n", p, ts)
		}
		feed("network", []byte(nw.String()), at)
		feed("metric", []byte(m.String()), at)
		points += 653
	}
	return points
}

// BenchmarkViewAnswers times the view's answers (computed and encoded as
// the /v1/view/ routes do) with an hour of a busy host in the aggregates,
// and, in the same run, /v1/query's scan of the same hour in the window
// (decode, filter, encode as line protocol) for netflow, the least it
// would take to draw the map from it. It logs each answer's ratio to it.
func BenchmarkViewAnswers(b *testing.B) {
	now := time.Now()
	w := newWindow(300_000, time.Hour+time.Minute)
	store := view.New()
	n := busyHour(now, func(c string, lp []byte, at time.Time) {
		w.add(c, lp, at)
		store.Feed(c, lp, at)
	})
	q := view.Query{Since: time.Hour, Now: now}
	answers := []struct {
		name string
		fn   func() any
	}{
		{"flows", func() any { return store.Flows(q) }},
		{"http", func() any { return store.HTTP(q) }},
		{"dns", func() any { return store.DNS(q) }},
		{"health", func() any { return store.Health(q) }},
		{"summary", func() any { return store.Summary(q) }},
		{"flows-process", func() any { qq := q; qq.Process = "proc7"; return store.Flows(qq) }},
	}
	nsPerOp := map[string]float64{}
	for _, a := range answers {
		b.Run(a.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; i < b.N; i++ {
				if _, err := json.Marshal(a.fn()); err != nil {
					b.Fatal(err)
				}
			}
			nsPerOp[a.name] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
	}
	var scanned int
	b.Run("query-netflow", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			pts := w.query(pipeline.Query{Category: "network", Measurement: "netflow", Since: time.Hour}, now)
			scanned = len(pts)
			_ = point.AppendLP(nil, pts...)
		}
		nsPerOp["query"] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
	})
	if nsPerOp["query"] > 0 {
		b.Logf("%d points in the hour; /v1/query scans %d netflow points in %.1f ms", n, scanned, nsPerOp["query"]/1e6)
		for _, a := range answers {
			b.Logf("%-14s %8.2f ms  %.4f of the /v1/query scan", a.name, nsPerOp[a.name]/1e6, nsPerOp[a.name]/nsPerOp["query"])
		}
	}
}
