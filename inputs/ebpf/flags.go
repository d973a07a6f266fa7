package ebpf

import (
	"net"
	"slices"
	"strconv"
	"strings"

	"netobs.local/agent/inputs"
)

// collectorArgs translates the options into datakit-ebpf's flags, followed
// by the user's own args (which therefore win: the collector keeps the last
// value of a repeated flag). Only what the collector has is passed; see
// support.go for the rest.
func (in *Input) collectorArgs(env inputs.Env, debug bool) []string {
	var a []string
	add := func(flag string, value ...string) { a = append(a, append([]string{flag}, value...)...) }

	add("run")
	if env.Hostname != "" {
		add("--hostname", env.Hostname)
	}
	if env.APIAddr != "" {
		add("--datakit-apiserver", dialAddr(env.APIAddr))
	}
	add("--log", "-") // stderr, which the child supervisor forwards to our log
	level := "info"
	if debug {
		level = "debug"
	}
	add("--log-level", level)
	add("--service", in.Name)
	// Both lists are passed even when empty, so the collector's own
	// defaults never turn on something the config left out.
	add("--enabled", strings.Join(in.runnablePlugins(), ","))
	add("--l7net-enabled", strings.Join(in.runnableL7(), ","))
	add("--interval", in.Interval)
	if in.IPv6Disabled {
		add("--ipv6-disabled")
	}
	if in.EphemeralPort > 0 {
		add("--ephemeral-port", strconv.Itoa(in.EphemeralPort))
	}
	if in.ExcludeLoopback {
		add("--exclude-loopback")
	}
	if in.UDPRecvPeers != "" && in.UDPRecvPeers != "on-demand" {
		add("--udp-recv-peers", in.UDPRecvPeers)
	}
	if !in.DNSFlow {
		add("--dnsflow=false")
	}
	if !in.NetflowUDP {
		add("--netflow-udp=false")
	}
	if len(in.Tags) > 0 {
		add("--tags", joinTags(in.Tags))
	}
	a = append(a, in.Process.args()...)
	if slices.Contains(in.runnablePlugins(), "bpf-netlog") {
		if in.NetlogBlacklist != "" {
			add("--netlog-blacklist", in.NetlogBlacklist)
		}
		add("--netlog-metric=" + strconv.FormatBool(in.NetlogMetric))
		add("--netlog-log=" + strconv.FormatBool(in.NetlogLog))
	}
	if in.PprofPort != "" {
		host := in.PprofHost
		if host == "" {
			host = "127.0.0.1"
		}
		add("--pprof-host", host, "--pprof-port", in.PprofPort)
	}
	return append(a, in.Args...)
}

// dialAddr turns a listen address into one to connect to: a wildcard or
// empty host means this host, reached over loopback.
func dialAddr(listen string) string {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return listen
	}
	switch host {
	case "", "0.0.0.0":
		host = "127.0.0.1"
	case "::", "[::]":
		host = "::1"
	}
	return net.JoinHostPort(host, port)
}

func joinTags(tags map[string]string) string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	pairs := make([]string, len(keys))
	for i, k := range keys {
		pairs[i] = k + "=" + tags[k]
	}
	return strings.Join(pairs, ",")
}

// overridden lists the generated flags that user args set again.
func overridden(generated, user []string) []string {
	var out []string
	for _, u := range user {
		if !strings.HasPrefix(u, "-") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(u, "-"), "=")
		flag := "--" + name
		if slices.Contains(generated, flag) && !slices.Contains(out, flag) {
			out = append(out, flag)
		}
	}
	return out
}
