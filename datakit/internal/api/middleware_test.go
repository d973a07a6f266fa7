package api

import (
	"net/http/httptest"
	"strings"
	"testing"
)

func TestAccess(t *testing.T) {
	s, _ := newTestServer(t, Config{PublicAPIs: []string{"/v1/write/metric", "/v1/ping"}})
	for _, tc := range []struct {
		peer, method, target string
		status               int
	}{
		{"127.0.0.1:1", "GET", "/v1/lasterror", 200},
		{"[::1]:1", "GET", "/v1/lasterror", 200},
		{"[::ffff:127.0.0.1]:1", "GET", "/v1/lasterror", 200},
		{"10.0.0.1:1", "GET", "/v1/lasterror", 403},
		{"10.0.0.1:1", "GET", "/metrics", 403},
		{"10.0.0.1:1", "POST", "/v1/write/logging", 403},
		{"10.0.0.1:1", "POST", "/v1/write/metric", 200},
		{"[2001:db8::1]:1", "GET", "/v1/ping", 200},
		{"garbage", "GET", "/v1/lasterror", 403},
		{"10.0.0.1:1", "GET", "/nowhere", 403},
		{"127.0.0.1:1", "GET", "/nowhere", 404},
	} {
		req := httptest.NewRequest(tc.method, tc.target, strings.NewReader("m f=1"))
		req.RemoteAddr = tc.peer
		// Spoofed proxy headers must not matter.
		req.Header.Set("X-Forwarded-For", "127.0.0.1")
		req.Header.Set("X-Real-IP", "127.0.0.1")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		if w.Code != tc.status {
			t.Errorf("%s %s from %s: got %d %s, want %d", tc.method, tc.target, tc.peer, w.Code, w.Body, tc.status)
		}
		if tc.status == 403 {
			wantError(t, w, 403, codePublicAccess, "public_apis")
		}
	}
	// A route given as a pattern opens every category.
	s2, _ := newTestServer(t, Config{PublicAPIs: []string{"/v1/write/:category"}})
	req := httptest.NewRequest("POST", "/v1/write/logging", strings.NewReader("m f=1"))
	req.RemoteAddr = "10.0.0.1:1"
	w := httptest.NewRecorder()
	s2.Handler().ServeHTTP(w, req)
	if w.Code != 200 {
		t.Errorf("pattern route: %d %s", w.Code, w.Body)
	}
}

func TestPanicKeepsServing(t *testing.T) {
	s, f := newTestServer(t, Config{})
	f.err = nil
	s.sub = panicker{}
	wantError(t, serve(s, "POST", "/v1/write/metric", strings.NewReader("m f=1")), 500, codeInternal, "internal error")
	if w := serve(s, "GET", "/v1/ping", nil); w.Code != 200 {
		t.Fatal(w.Code)
	}
}
