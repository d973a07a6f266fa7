package api

import (
	"encoding/json"
	"testing"
)

func TestPing(t *testing.T) {
	s, _ := newTestServer(t, Config{Hostname: "node-1", Version: "1.2.3", Commit: "abc"})
	w := serve(s, "GET", "/v1/ping", nil)
	var got struct{ Content pingContent }
	if err := json.Unmarshal(w.Body.Bytes(), &got); err != nil || w.Code != 200 {
		t.Fatalf("%d %q: %v", w.Code, w.Body, err)
	}
	c := got.Content
	if c.Version != "1.2.3" || c.Host != "node-1" || c.Commit != "abc" || c.Uptime == "" {
		t.Fatalf("%+v", c)
	}
}
