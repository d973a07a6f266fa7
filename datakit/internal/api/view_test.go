package api

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/datakit/internal/view"
)

func TestViewRoutes(t *testing.T) {
	store := view.New()
	now := time.Now()
	ts := now.UnixNano()
	store.Feed("network", []byte(fmt.Sprintf(
		"netflow,client_ip=127.0.0.1,direction=outgoing,process_name=curl,server_ip=127.0.0.1,server_port=80,transport=tcp bytes_read=900i,bytes_written=30i,tcp_established=3i %d\n"+
			"netflow,client_ip=127.0.0.1,direction=incoming,process_name=nginx,server_ip=127.0.0.1,server_port=80,transport=tcp bytes_read=30i,bytes_written=900i,tcp_established=3i %d\n"+
			"httpflow,direction=incoming,process_name=nginx,server_ip=127.0.0.1,server_port=80 count=3i,latency=1000000i,method=\"GET\",path=\"/small\",status_code=200i %d\n"+
			"dnsflow,direction=outgoing,dst_domain=known.test,process_name=dig,server_ip=127.0.0.1 count=2i,rcode=3i %d\n", ts, ts, ts, ts)), now)
	store.Feed("logging", []byte(fmt.Sprintf("bash,host=h cmd=\"uname -a\",pid=\"7\",user=\"root\" %d\n", ts)), now)
	s, _ := newTestServer(t, Config{View: store})

	get := func(path string, into any) {
		t.Helper()
		w := serve(s, "GET", path, nil)
		if w.Code != 200 || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/json") {
			t.Fatalf("%s: %d %s", path, w.Code, w.Body)
		}
		if err := json.Unmarshal(w.Body.Bytes(), into); err != nil {
			t.Fatalf("%s: %v", path, err)
		}
	}
	var flows view.Flows
	get("/v1/view/flows?since=5m", &flows)
	if len(flows.Edges) != 1 || flows.Edges[0].From != "process:curl" || flows.Edges[0].To != "process:nginx" || flows.Edges[0].Connections != 3 {
		t.Fatalf("flows %+v", flows)
	}
	get("/v1/view/flows?process=nginx", &flows)
	if len(flows.Edges) != 1 || flows.Edges[0].From != "endpoint:127.0.0.1" {
		t.Fatalf("process filter not applied: %+v", flows)
	}
	var h view.HTTP
	get("/v1/view/http?direction=incoming&limit=5", &h)
	if len(h.Endpoints) != 1 || h.Endpoints[0].Path != "/small" || h.Endpoints[0].Count != 3 {
		t.Fatalf("http %+v", h)
	}
	get("/v1/view/http?direction=outgoing", &h)
	if len(h.Endpoints) != 0 {
		t.Fatalf("direction filter not applied: %+v", h)
	}
	var d view.DNS
	get("/v1/view/dns", &d)
	if len(d.Domains) != 1 || d.Domains[0].NXDomain != 2 {
		t.Fatalf("dns %+v", d)
	}
	var b struct{ Commands []view.BashCommand }
	get("/v1/view/bash", &b)
	if len(b.Commands) != 1 || b.Commands[0].Cmd != "uname -a" {
		t.Fatalf("bash %+v", b)
	}
	var sum view.Summary
	get("/v1/view/summary", &sum)
	if sum.Points["network"] != 4 || sum.Points["logging"] != 1 {
		t.Fatalf("summary %+v", sum.Points)
	}
	var health struct {
		Plugins    []view.Plugin
		Restarts   []any
		LastErrors []LastError `json:"last_errors"`
	}
	serve(s, "POST", "/v1/lasterror", strings.NewReader(`{"input":"ebpf","source":"netflow","err_content":"boom"}`))
	get("/v1/view/health", &health)
	if len(health.LastErrors) != 1 || health.LastErrors[0].ErrContent != "boom" || health.Plugins == nil {
		t.Fatalf("health %+v", health)
	}

	wantError(t, serve(s, "GET", "/v1/view/flows?since=2h", nil), 400, codeInvalidParameter, "at most 1h")
	wantError(t, serve(s, "GET", "/v1/view/flows?limit=0", nil), 400, codeInvalidParameter, "limit")
	wantError(t, serve(s, "GET", "/v1/view/http?direction=up", nil), 400, codeInvalidParameter, "direction")
	noView, _ := newTestServer(t, Config{})
	wantError(t, serve(noView, "GET", "/v1/view/flows", nil), 501, codeNotImplemented, "disabled")
}

func TestViewNotPublic(t *testing.T) {
	s, _ := newTestServer(t, Config{View: view.New()})
	for _, path := range []string{"/", "/assets/app.js", "/v1/view/flows"} {
		req := serveFrom(s, "192.0.2.1:5000", path)
		if req.Code != 403 {
			t.Errorf("%s from a remote peer: %d, want 403", path, req.Code)
		}
	}
}
