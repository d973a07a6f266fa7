package ebpf

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"netobs.local/agent/inputs"
)

// envVar is one ENV_INPUT_EBPF_* variable: the seed's list, plus
// ENV_INPUT_EBPF_EXCLUDE_LOOPBACK for our own option.
type envVar struct {
	inputs.EnvVar
	set func(in *Input, v string) error
}

func str(f func(*Input) *string) func(*Input, string) error {
	return func(in *Input, v string) error { *f(in) = v; return nil }
}

func list(f func(*Input) *[]string) func(*Input, string) error {
	return func(in *Input, v string) error { *f(in) = splitList(v); return nil }
}

func boolean(f func(*Input) *bool) func(*Input, string) error {
	return func(in *Input, v string) error {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return fmt.Errorf("%q is not a boolean (true or false)", v)
		}
		*f(in) = b
		return nil
	}
}

var envVars = []envVar{
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_ENABLED_PLUGINS", Option: "enabled_plugins", Example: "ebpf-net,ebpf-bash", Doc: "Plugins to run, comma separated."},
		list(func(in *Input) *[]string { return &in.EnabledPlugins })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_L7NET_ENABLED", Option: "l7net_enabled", Example: "httpflow", Doc: "L7 protocols of ebpf-net, comma separated."},
		list(func(in *Input) *[]string { return &in.L7NetEnabled })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_INTERVAL", Option: "interval", Example: "1m30s", Doc: "Aggregation and report interval, at least 1s."},
		str(func(in *Input) *string { return &in.Interval })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_IPV6_DISABLED", Option: "ipv6_disabled", Example: "false", Doc: "Set to true when the host has no IPv6."},
		boolean(func(in *Input) *bool { return &in.IPv6Disabled })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_EPHEMERAL_PORT", Option: "ephemeral_port", Example: "32768", Doc: "First ephemeral port; higher ports are reported as `*`."},
		func(in *Input, v string) error {
			n, err := strconv.Atoi(v)
			if err != nil {
				return fmt.Errorf("%q is not a whole number", v)
			}
			in.EphemeralPort = n
			return nil
		}},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_PPROF_HOST", Option: "pprof_host", Example: "127.0.0.1", Doc: "Address of the collector's pprof server."},
		str(func(in *Input) *string { return &in.PprofHost })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_PPROF_PORT", Option: "pprof_port", Example: "6061", Doc: "Port of the collector's pprof server (off when empty)."},
		str(func(in *Input) *string { return &in.PprofPort })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_TRACE_SERVER", Option: "trace_server", Example: "<ip>:<port>", Doc: "DataKit ELinker or DataKit that receives eBPF spans (ebpf-trace)."},
		str(func(in *Input) *string { return &in.TraceServer })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_TRACE_NAME_BLACKLIST", Option: "trace_name_blacklist", Example: "sshd,cron", Doc: "Process names never traced, comma separated."},
		list(func(in *Input) *[]string { return &in.TraceNameBlacklist })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_TRACE_ENV_BLACKLIST", Option: "trace_env_blacklist", Example: "DKE_DISABLE_ETRACE", Doc: "Processes with any of these environment variables are never traced."},
		list(func(in *Input) *[]string { return &in.TraceEnvBlacklist })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_TRACE_ENV_LIST", Option: "trace_env_list", Example: "DK_BPFTRACE_SERVICE,DD_SERVICE,OTEL_SERVICE_NAME", Doc: "Processes with any of these environment variables are traced."},
		list(func(in *Input) *[]string { return &in.TraceEnvList })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_TRACE_NAME_LIST", Option: "trace_name_list", Example: "chrome,firefox", Doc: "Processes with these names are traced."},
		list(func(in *Input) *[]string { return &in.TraceNameList })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_CONV_TO_DDTRACE", Option: "conv_to_ddtrace", Example: "true", Doc: "Convert trace ids to Datadog's decimal 64-bit form."},
		boolean(func(in *Input) *bool { return &in.ConvToDDTrace })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_NETLOG_BLACKLIST", Option: "netlog_blacklist", Example: "ip_saddr=='127.0.0.1' || ip_daddr=='127.0.0.1'", Doc: "Filter rules for packets bpf-netlog drops."},
		str(func(in *Input) *string { return &in.NetlogBlacklist })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_NETLOG_METRIC", Option: "netlog_metric", Example: "true", Doc: "bpf-netlog computes netflow and httpflow from packets."},
		boolean(func(in *Input) *bool { return &in.NetlogMetric })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_NETLOG_LOG", Option: "netlog_log", Example: "false", Doc: "bpf-netlog writes network logs."},
		boolean(func(in *Input) *bool { return &in.NetlogLog })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_CPU_LIMIT", Option: "cpu_limit", Example: "2.0", Doc: "CPU cores the collector may use before it exits."},
		str(func(in *Input) *string { return &in.CPULimit })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_MEM_LIMIT", Option: "mem_limit", Example: "4GiB", Doc: "Memory the collector may use before it exits."},
		str(func(in *Input) *string { return &in.MemLimit })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_NET_LIMIT", Option: "net_limit", Example: "100MiB/s", Doc: "Bandwidth (any interface) above which the collector exits."},
		str(func(in *Input) *string { return &in.NetLimit })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_SAMPLING_RATE", Option: "sampling_rate", Example: "0.50", Doc: "Fixed sampling rate of reported points, 0.01..1.00."},
		str(func(in *Input) *string { return &in.SamplingRate })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_SAMPLING_RATE_PTSPERMIN", Option: "sampling_rate_pts_per_min", Example: "1500", Doc: "Points per minute above which the sampling rate adapts."},
		str(func(in *Input) *string { return &in.SamplingRatePtsPerMin })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_WORKLOAD_LABELS", Option: "workload_labels", Example: "app,project_id", Doc: "Kubernetes workload labels added as tags, comma separated."},
		list(func(in *Input) *[]string { return &in.WorkloadLabels })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_WORKLOAD_LABEL_PREFIX", Option: "workload_label_prefix", Example: "k8s_workload_label_", Doc: "Prefix of those tags."},
		str(func(in *Input) *string { return &in.WorkloadLabelPrefix })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_EXCLUDE_LOOPBACK", Option: "exclude_loopback", Example: "true", Doc: "Leave loopback traffic out of every plugin: ebpf-net and bpf-netlog (ours; DataKit has no such option)."},
		boolean(func(in *Input) *bool { return &in.ExcludeLoopback })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_UDP_RECV_PEERS", Option: "udp_recv_peers", Example: "always", Doc: "When to attach the syscall exits that name the senders of datagrams read from unconnected UDP sockets: on-demand, always or off (ours)."},
		str(func(in *Input) *string { return &in.UDPRecvPeers })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_DNSFLOW", Option: "dnsflow", Example: "false", Doc: "dnsflow: DNS queries and answers captured at sockets, and the domain cache behind dst_domain (ours)."},
		boolean(func(in *Input) *bool { return &in.DNSFlow })},
	{inputs.EnvVar{Name: "ENV_INPUT_EBPF_NETFLOW_UDP", Option: "netflow_udp", Example: "false", Doc: "UDP flows in netflow (ours)."},
		boolean(func(in *Input) *bool { return &in.NetflowUDP })},
}

// EnvVars lists the variables ApplyEnv reads, for the generated docs.
func (in *Input) EnvVars() []inputs.EnvVar {
	out := make([]inputs.EnvVar, len(envVars))
	for i, v := range envVars {
		out[i] = v.EnvVar
		if slices.ContainsFunc(pending, func(p pendingOption) bool { return p.option == v.Option }) {
			out[i].Doc += " Not implemented in this build: refused when set."
		}
	}
	return out
}

// ApplyEnv overrides options from the variables that are set; each error
// names the variable, its value's problem and the option it sets.
func (in *Input) ApplyEnv(lookup func(string) (string, bool)) error {
	var errs []error
	var set []envVar
	for _, v := range envVars {
		raw, ok := lookup(v.Name)
		if !ok {
			continue
		}
		if err := v.set(in, strings.TrimSpace(raw)); err != nil {
			errs = append(errs, fmt.Errorf("%s (option %s): %w", v.Name, v.Option, err))
			continue
		}
		set = append(set, v)
	}
	// Checked once all are set: one may depend on another (pprof_host on
	// pprof_port, the netlog options on enabled_plugins).
	for _, v := range set {
		if err := checkOption(in, v.Option); err != nil {
			errs = append(errs, fmt.Errorf("%s (option %s): %w", v.Name, v.Option, err))
		}
	}
	return errors.Join(errs...)
}

// splitList splits a comma-separated value, trimming spaces and dropping
// empty items.
func splitList(s string) []string {
	out := []string{}
	for _, item := range strings.Split(s, ",") {
		if item = strings.TrimSpace(item); item != "" {
			out = append(out, item)
		}
	}
	return out
}
