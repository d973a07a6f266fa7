package view

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

var t0 = time.Unix(1_700_000_000, 0)

// netflowLine is a netflow point as the collector posts it (the tags the
// view reads plus some it does not), after the pipeline added host.
func netflowLine(dir, proc, client, server string, written, read, conns int) string {
	ip, port, _ := strings.Cut(server, ":")
	return fmt.Sprintf("netflow,client_ip=%s,direction=%s,dst_domain=N/A,host=h,pid=1,process_name=%s,server_domain=N/A,server_ip=%s,server_port=%s,src_k8s_namespace=N/A,src_k8s_pod_name=N/A,transport=tcp bytes_read=%di,bytes_written=%di,retransmits=0i,rtt=40i,tcp_closed=%di,tcp_established=%di %d\n",
		client, dir, proc, ip, port, read, written, conns, conns, t0.UnixNano())
}

func httpLine(dir, proc, server, method, path string, status, count int, latency time.Duration) string {
	ip, port, _ := strings.Cut(server, ":")
	return fmt.Sprintf("httpflow,direction=%s,host=h,process_name=%s,server_ip=%s,server_port=%s,src_k8s_namespace=N/A,src_k8s_pod_name=N/A bytes_read=10i,bytes_written=20i,count=%di,latency=%di,method=%q,path=%q,status_code=%di %d\n",
		dir, proc, ip, port, count, latency.Nanoseconds(), method, path, status, t0.UnixNano())
}

func TestFlowsJoinClientAndServer(t *testing.T) {
	s := New()
	s.Feed("network", []byte(
		netflowLine("outgoing", "curl", "127.0.0.1", "127.0.0.1:8080", 300, 9000, 3)+
			netflowLine("incoming", "nginx", "127.0.0.1", "127.0.0.1:8080", 9000, 300, 3)+
			netflowLine("outgoing", "curl", "10.0.0.1", "93.184.216.34:443", 50, 70, 1)+
			"cpu,host=h usage=1 1\n"), t0)
	f := s.Flows(Query{Now: t0.Add(time.Second)})
	if len(f.Edges) != 2 {
		t.Fatalf("edges %+v, want curl->nginx and curl->remote", f.Edges)
	}
	e := f.Edges[0]
	if e.From != "process:curl" || e.To != "process:nginx" || e.Connections != 3 || e.BytesSent != 300 || e.BytesRecv != 9000 || e.RTTMicros != 40 {
		t.Fatalf("first edge %+v", e)
	}
	if f.Edges[1].To != "endpoint:93.184.216.34:443" {
		t.Fatalf("second edge %+v", f.Edges[1])
	}
	if f.Processes[0].Name != "curl" && f.Processes[0].Name != "nginx" || len(f.Processes) != 2 || len(f.Nodes) != 3 {
		t.Fatalf("talkers %+v nodes %+v", f.Processes, f.Nodes)
	}
	// Only nginx: its incoming flow is drawn from the client address.
	f = s.Flows(Query{Now: t0, Filter: Filter{Process: "nginx"}})
	if len(f.Edges) != 1 || f.Edges[0].From != "endpoint:127.0.0.1" || f.Edges[0].BytesSent != 300 {
		t.Fatalf("nginx only: %+v", f.Edges)
	}
	sum := s.Summary(Query{Now: t0})
	if sum.Points["network"] != 4 || sum.Lines != 4 || strings.Join(sum.Processes, ",") != "curl,nginx" {
		t.Fatalf("summary %+v", sum)
	}
}

func TestHTTPPercentilesAndErrors(t *testing.T) {
	s := New()
	var lp strings.Builder
	for i := 1; i <= 100; i++ {
		status := 200
		if i > 90 {
			status = 503
		}
		lp.WriteString(httpLine("incoming", "nginx", "127.0.0.1:80", "GET", "/a", status, 1, time.Duration(i)*time.Millisecond))
	}
	s.Feed("network", []byte(lp.String()), t0)
	s.Feed("network", []byte(httpLine("incoming", "nginx", "127.0.0.1:80", "GET", "/a", 404, 5, time.Millisecond)), t0.Add(Step))
	h := s.HTTP(Query{Now: t0.Add(Step), Since: time.Minute})
	if len(h.Endpoints) != 1 {
		t.Fatalf("endpoints %+v", h.Endpoints)
	}
	e := h.Endpoints[0]
	if e.Count != 105 || e.Errors5xx != 10 || e.Errors4xx != 5 {
		t.Fatalf("endpoint %+v", e)
	}
	// The true p50 is 48 ms (105 samples), p99 100 ms; buckets are √2 wide.
	if e.P50 < 45 || e.P50 > 48*1.42 || e.P99 < 100 || e.P99 > 142 {
		t.Fatalf("percentiles p50 %v p99 %v", e.P50, e.P99)
	}
	n := len(h.Series.Time)
	if h.Series.Count[n-2] != 100 || h.Series.Count[n-1] != 5 || h.Series.Errors[n-1] != 5 {
		t.Fatalf("series %+v", h.Series)
	}
}

func TestBoundedCardinality(t *testing.T) {
	s := New()
	var lp strings.Builder
	for i := 0; i < 1000; i++ {
		lp.WriteString(httpLine("incoming", "nginx", "127.0.0.1:80", "GET", fmt.Sprintf("/p%d", i), 200, 1, time.Millisecond))
	}
	s.Feed("network", []byte(lp.String()), t0)
	h := s.HTTP(Query{Now: t0, Limit: MaxLimit})
	var total, other int64
	for _, e := range h.Endpoints {
		total += e.Count
		if e.Path == Other {
			other = e.Count
		}
	}
	if len(h.Endpoints) != maxHTTP+1 || total != 1000 || other != 1000-maxHTTP {
		t.Fatalf("%d endpoints, %d requests, %d in other", len(h.Endpoints), total, other)
	}
}

func TestRetention(t *testing.T) {
	s := New()
	s.Feed("network", []byte(httpLine("incoming", "nginx", "127.0.0.1:80", "GET", "/old", 200, 1, time.Millisecond)), t0)
	later := t0.Add(Retention)
	s.Feed("network", []byte(httpLine("incoming", "nginx", "127.0.0.1:80", "GET", "/new", 200, 1, time.Millisecond)), later)
	h := s.HTTP(Query{Now: later})
	if len(h.Endpoints) != 1 || h.Endpoints[0].Path != "/new" || len(h.Series.Time) != Slots {
		t.Fatalf("after an hour: %+v, %d slots", h.Endpoints, len(h.Series.Time))
	}
	if got := s.HTTP(Query{Now: later, Since: time.Minute}); len(got.Series.Time) != 7 {
		t.Fatalf("a minute spans %d slots", len(got.Series.Time))
	}
}

func TestDNSBashNetlogHealth(t *testing.T) {
	s := New()
	ts := t0.UnixNano()
	s.Feed("network", []byte(fmt.Sprintf(
		"dnsflow,direction=outgoing,dst_domain=known.test,host=h,process_name=dig,server_ip=127.0.0.1 count=3i,latency=2000000i,latency_max=3000000i,rcode=0i %d\n"+
			"dnsflow,direction=outgoing,dst_domain=missing.test,host=h,process_name=dig,server_ip=127.0.0.1 count=2i,latency=1000000i,latency_max=1000000i,rcode=3i %d\n"+
			"dnsflow,direction=outgoing,dst_domain=black.test,host=h,process_name=dig,server_ip=127.0.0.1 count=1i,latency=1000000000i,latency_max=1000000000i,rcode=-1i %d\n", ts, ts, ts)), t0)
	s.Feed("logging", []byte(fmt.Sprintf(
		"bash,host=h cmd=\"ls -l\",message=\"m\",pid=\"42\",user=\"root\" %d\n"+
			"bpf_net_l7_log,client_ip=127.0.0.1,host=h,k8s_namespace=N/A,k8s_pod_name=N/A,nic_name=lo,server_ip=127.0.0.1,server_port=80 http_method=\"GET\",http_path=\"/x\",http_status_code=200i,message=\"a -> b\" %d\n", ts, ts)), t0)
	s.Feed("metric", []byte(fmt.Sprintf("datakit_ebpf,host=h,plugin=ebpf-net events=10i,kernel_drops=2i,points=5i %d\n", ts)), t0)
	q := Query{Now: t0}
	d := s.DNS(q)
	if len(d.Domains) != 3 || d.Domains[0].Domain != "known.test" || d.Domains[0].MeanMs != 2 || d.Domains[1].NXDomain != 2 || d.Domains[2].Timeouts != 1 {
		t.Fatalf("dns %+v", d.Domains)
	}
	if b := s.Bash(q); len(b) != 1 || b[0].Cmd != "ls -l" || b[0].User != "root" || b[0].Pid != "42" {
		t.Fatalf("bash %+v", b)
	}
	if n := s.Netlog(q); len(n) != 1 || n[0].Kind != "l7" || n[0].Path != "/x" || n[0].Status != 200 || n[0].Server != "127.0.0.1:80" {
		t.Fatalf("netlog %+v", n)
	}
	h := s.Health(q)
	if len(h.Plugins) != 1 || h.Plugins[0].Counters["kernel_drops"] != 2 || h.Series.Drops[len(h.Series.Drops)-1] != 2 {
		t.Fatalf("health %+v", h)
	}
}
