package config

import (
	"strings"
	"testing"
	"time"
)

// TestRequestMemoryKeys: max_inflight_bytes and body_timeout are read from
// datakit.conf and the environment (which wins), and values that could not
// work are refused naming the key.
func TestRequestMemoryKeys(t *testing.T) {
	if d := Defaults().HTTPAPI; d.MaxInflightBytes != 256<<20 || d.BodyTimeout != 30*time.Second {
		t.Fatalf("defaults %d %v", d.MaxInflightBytes, d.BodyTimeout)
	}
	dir := writeConf(t, map[string]string{"datakit.conf": "[http_api]\nmax_inflight_bytes = 200000000\nbody_timeout = \"5s\"\n"})
	cfg, err := Load(dir, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAPI.MaxInflightBytes != 200_000_000 || cfg.HTTPAPI.BodyTimeout != 5*time.Second {
		t.Fatalf("from the file: %d %v", cfg.HTTPAPI.MaxInflightBytes, cfg.HTTPAPI.BodyTimeout)
	}
	cfg, err = Load(dir, envOf(map[string]string{"ENV_HTTP_MAX_INFLIGHT_BYTES": "536870912", "ENV_HTTP_BODY_TIMEOUT": "1m"}))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAPI.MaxInflightBytes != 512<<20 || cfg.HTTPAPI.BodyTimeout != time.Minute {
		t.Fatalf("from the environment: %d %v", cfg.HTTPAPI.MaxInflightBytes, cfg.HTTPAPI.BodyTimeout)
	}

	for _, tc := range []struct{ conf, env, want string }{
		{"max_inflight_bytes = 100000000", "", "http_api.max_inflight_bytes: must be at least 4 times max_body_bytes (134217728)"},
		{"max_body_bytes = 1048576\nmax_inflight_bytes = 4194303", "", "must be at least 4 times max_body_bytes (4194304), so that a body of the largest size can be decoded, got 4194303"},
		{"body_timeout = \"0s\"", "", "http_api.body_timeout: must be positive"},
		{"", "soon", "ENV_HTTP_BODY_TIMEOUT: time: invalid duration"},
	} {
		dir := writeConf(t, map[string]string{"datakit.conf": "[http_api]\n" + tc.conf + "\n"})
		env := noEnv
		if tc.env != "" {
			env = envOf(map[string]string{"ENV_HTTP_BODY_TIMEOUT": tc.env})
		}
		_, err := Load(dir, env)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: got %v, want %q", tc.conf+tc.env, err, tc.want)
		}
	}
}
