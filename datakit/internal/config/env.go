package config

import (
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"strings"
	"time"

	"netobs.local/agent/inputs"
)

// EnvVar is one variable that overrides the agent's configuration.
type EnvVar struct {
	Name    string
	Option  string // what it overrides
	Example string
	Doc     string
	apply   func(cfg *Config, v string) error
}

// AgentEnv lists the variables of the agent itself, in the order documented.
var AgentEnv = []EnvVar{
	{Name: "ENV_HOSTNAME", Option: "hostname", Example: "node-1", Doc: "Host name, and the value of the global `host` tag.",
		apply: func(c *Config, v string) error { c.Hostname = v; return nil }},
	{Name: "ENV_DATA_DIR", Option: "data_dir", Example: "/var/lib/datakit", Doc: "Where the local output and the spools keep their files.",
		apply: func(c *Config, v string) error { c.DataDir = v; return nil }},
	{Name: "ENV_LOG_LEVEL", Option: "log_level", Example: "debug", Doc: "debug, info, warn or error.",
		apply: func(c *Config, v string) error { c.LogLevel = v; return nil }},
	{Name: "ENV_HTTP_LISTEN", Option: "http_api.listen", Example: "0.0.0.0:9529", Doc: "Address of the HTTP API. Non-loopback peers still get 403 unless the route is public.",
		apply: func(c *Config, v string) error { c.HTTPAPI.Listen = v; return nil }},
	{Name: "ENV_HTTP_PUBLIC_APIS", Option: "http_api.public_apis", Example: "/v1/write/metric,/v1/ping", Doc: "Routes open to non-loopback peers, comma separated.",
		apply: func(c *Config, v string) error { c.HTTPAPI.PublicAPIs = splitList(v); return nil }},
	{Name: "ENV_HTTP_MAX_BODY_BYTES", Option: "http_api.max_body_bytes", Example: "33554432", Doc: "Largest request body accepted, before and after gzip.",
		apply: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			c.HTTPAPI.MaxBodyBytes = n
			return err
		}},
	{Name: "ENV_HTTP_MAX_INFLIGHT_BYTES", Option: "http_api.max_inflight_bytes", Example: "268435456", Doc: "Memory budget of all requests together (bodies, inflated bodies, decoded points); unless GOMEMLIMIT is set, the Go memory limit is this plus 96 MiB.",
		apply: func(c *Config, v string) error {
			n, err := strconv.ParseInt(v, 10, 64)
			c.HTTPAPI.MaxInflightBytes = n
			return err
		}},
	{Name: "ENV_HTTP_BODY_TIMEOUT", Option: "http_api.body_timeout", Example: "30s", Doc: "How long a request body may take to arrive; slower bodies get 408.",
		apply: func(c *Config, v string) error {
			d, err := time.ParseDuration(v)
			c.HTTPAPI.BodyTimeout = d
			return err
		}},
	{Name: "ENV_GLOBAL_TAGS", Option: "global_tags", Example: "cluster=prod,zone=a", Doc: "Tags added to every point, as k=v pairs separated by commas; they replace the file's global tags.",
		apply: func(c *Config, v string) error {
			tags, err := ParseTags(v)
			if err == nil {
				c.Tags = tags
			}
			return err
		}},
	{Name: "ENV_DISABLE_LOCAL_OUTPUT", Option: "disable_local_output", Example: "true", Doc: "Do not add the local output when no output is configured.",
		apply: func(c *Config, v string) error {
			b, err := strconv.ParseBool(v)
			c.DisableLocalOutput = b
			return err
		}},
	{Name: "ENV_ENABLE_INPUTS", Option: "inputs", Example: "ebpf", Doc: "Inputs to run with their default options when no file configures them, comma separated.",
		apply: enableInputs},
}

// applyEnv applies the agent's variables, then every input's own variables
// to each instance of that input.
func applyEnv(cfg *Config, env func(string) (string, bool)) []error {
	var errs []error
	for _, ev := range AgentEnv {
		v, ok := env(ev.Name)
		if !ok {
			continue
		}
		if err := ev.apply(cfg, strings.TrimSpace(v)); err != nil {
			errs = append(errs, &Error{File: "environment", Key: ev.Name, Msg: fmt.Sprintf("%v (example: %s)", err, ev.Example)})
		}
	}
	for i := range cfg.Inputs {
		in := &cfg.Inputs[i]
		ec, ok := in.Input.(inputs.EnvConfigurable)
		if !ok {
			continue
		}
		if err := ec.ApplyEnv(env); err != nil {
			all := []error{err}
			if j, ok := err.(interface{ Unwrap() []error }); ok {
				all = j.Unwrap()
			}
			for _, e := range all { // one a line, like the files' errors
				errs = append(errs, &Error{File: "environment", Key: "inputs." + in.Name, Msg: e.Error()})
			}
		}
		for _, v := range ec.EnvVars() {
			if _, set := env(v.Name); set {
				if in.fromEnv == nil {
					in.fromEnv = map[string]string{}
				}
				in.fromEnv[v.Option] = v.Name
			}
		}
	}
	return errs
}

func enableInputs(cfg *Config, v string) error {
	for _, name := range splitList(v) {
		reg, ok := inputs.Get(name)
		if !ok {
			return fmt.Errorf("unknown input %q (known: %s)", name, strings.Join(inputNames(), ", "))
		}
		configured := false
		for _, in := range cfg.Inputs {
			configured = configured || in.Name == name
		}
		if !configured {
			cfg.Inputs = append(cfg.Inputs, InputInstance{Name: name, Input: reg.New(), Source: "ENV_ENABLE_INPUTS"})
			cfg.EnabledByEnv = append(cfg.EnabledByEnv, name)
		}
	}
	return nil
}

// ParseTags parses `k=v,k2=v2`; an empty string gives no tags.
func ParseTags(s string) (map[string]string, error) {
	tags := map[string]string{}
	for _, kv := range splitList(s) {
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return nil, fmt.Errorf("%q is not k=v", kv)
		}
		tags[k] = v
	}
	return tags, nil
}

func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(s)); err != nil {
		return l, fmt.Errorf("unknown level %q (debug, info, warn, error)", s)
	}
	return l, nil
}

// Level returns the configured log level.
func (c *Config) Level() slog.Level {
	l, _ := parseLevel(c.LogLevel)
	return l
}

func checkListen(addr string) error {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port: %v", addr, err)
	}
	if host != "" && net.ParseIP(host) == nil && host != "localhost" {
		return fmt.Errorf("host %q is not an IP address", host)
	}
	if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
		return fmt.Errorf("port %q is not a number from 0 to 65535", port)
	}
	return nil
}
