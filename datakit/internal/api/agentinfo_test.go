package api

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestViewAgent(t *testing.T) {
	s, _ := newTestServer(t, Config{Hostname: "h", Inputs: []Input{{Name: "ebpf", Source: "conf.d/ebpf.conf:1"}}})
	for i := 0; i < 2; i++ {
		if w := serve(s, "POST", "/v1/write/network?input=ebpf-net/netflow", strings.NewReader("netflow f=1i 1\nnetflow f=2i 2\n")); w.Code != 200 {
			t.Fatal(w.Code, w.Body)
		}
	}
	w := serve(s, "GET", "/v1/view/agent", nil)
	var info AgentInfo
	if err := json.Unmarshal(w.Body.Bytes(), &info); err != nil || w.Code != 200 {
		t.Fatalf("%d %s %v", w.Code, w.Body, err)
	}
	if info.Host != "h" || len(info.Inputs) != 1 || info.Inputs[0].Name != "ebpf" || info.Sources["ebpf-net/netflow"] != 4 || info.Categories["network"] < 4 {
		t.Fatalf("%+v", info)
	}
}
