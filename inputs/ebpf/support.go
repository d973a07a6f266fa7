package ebpf

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// This file is the one place that says what datakit-ebpf can do yet. When a
// plugin or feature lands in externals/ebpf, flip it here (and give it its
// flag in flags.go); everything else follows.

// plugins are the names enabled_plugins accepts, and whether the collector
// has each one yet.
var plugins = map[string]bool{
	"ebpf-net":       true,
	"ebpf-bash":      true,
	"ebpf-conntrack": true,
	"ebpf-trace":     false,
	"bpf-netlog":     true,
}

// l7Features are the names l7net_enabled accepts, and whether the collector
// has each one yet.
var l7Features = map[string]bool{
	"httpflow":     true,
	"httpflow-tls": false,
	"redis":        true,
	"pgsql":        true,
	"mysql":        true,
	"memcached":    true,
}

// pending are the options whose feature this build does not have; set
// says whether a config asks for it (differs from the default). check-config
// refuses them when set: accepted, they would do nothing.
var pending = []pendingOption{
	{"cpu_limit", "resource limits", func(in *Input) bool { return in.CPULimit != "" }},
	{"mem_limit", "resource limits", func(in *Input) bool { return in.MemLimit != "" }},
	{"net_limit", "resource limits", func(in *Input) bool { return in.NetLimit != "" }},
	{"kubernetes_url", "Kubernetes metadata", func(in *Input) bool { return in.KubernetesURL != "" }},
	{"bearer_token", "Kubernetes metadata", func(in *Input) bool { return in.BearerToken != "" }},
	{"bearer_token_string", "Kubernetes metadata", func(in *Input) bool { return in.BearerTokenString != "" }},
	{"workload_labels", "Kubernetes metadata", func(in *Input) bool { return len(in.WorkloadLabels) > 0 }},
	{"workload_label_prefix", "Kubernetes metadata", func(in *Input) bool { return in.WorkloadLabelPrefix != "" }},
	{"trace_server", "ebpf-trace", func(in *Input) bool { return in.TraceServer != "" }},
	{"trace_env_list", "ebpf-trace", func(in *Input) bool { return len(in.TraceEnvList) > 0 }},
	{"trace_env_blacklist", "ebpf-trace", func(in *Input) bool { return len(in.TraceEnvBlacklist) > 0 }},
	{"trace_name_list", "ebpf-trace", func(in *Input) bool { return len(in.TraceNameList) > 0 }},
	{"trace_name_blacklist", "ebpf-trace", func(in *Input) bool { return len(in.TraceNameBlacklist) > 0 }},
	{"conv_to_ddtrace", "ebpf-trace", func(in *Input) bool { return in.ConvToDDTrace }},
	{"sampling_rate", "sampling", func(in *Input) bool { return in.SamplingRate != "" }},
	{"sampling_rate_pts_per_min", "sampling", func(in *Input) bool { return in.SamplingRatePtsPerMin != "" }},
}

type pendingOption struct {
	option, feature string
	set             func(*Input) bool
}

// netlogOptions take effect only with bpf-netlog; set says whether a config
// moves one from its default.
var netlogOptions = []struct {
	option string
	set    func(*Input) bool
}{
	{"netlog_blacklist", func(in *Input) bool { return strings.TrimSpace(in.NetlogBlacklist) != "" }},
	{"netlog_metric", func(in *Input) bool { return !in.NetlogMetric }},
	{"netlog_log", func(in *Input) bool { return in.NetlogLog }},
}

// notImplemented refuses option when it is set and its feature is not built.
func (in *Input) notImplemented(option string) error {
	for _, p := range pending {
		if p.option == option && p.set(in) {
			return fmt.Errorf("not implemented in this build: %s; remove it (or leave it empty) until datakit-ebpf has them", p.feature)
		}
	}
	return nil
}

// noEffect refuses a netlog option set without bpf-netlog.
func (in *Input) noEffect(option string) error {
	for _, n := range netlogOptions {
		if n.option == option && n.set(in) && !slices.Contains(in.EnabledPlugins, "bpf-netlog") {
			return errors.New(`has no effect: enabled_plugins lacks "bpf-netlog"`)
		}
	}
	return nil
}

// notBuilt names the entries of a list option whose plugin or feature this
// build lacks, for the refusal of enabled_plugins and l7net_enabled.
func notBuilt(names []string, table map[string]bool) error {
	var missing []string
	for _, n := range names {
		if built, known := table[n]; known && !built {
			missing = append(missing, fmt.Sprintf("%q", n))
		}
	}
	if len(missing) == 0 {
		return nil
	}
	var have []string
	for n, ok := range table {
		if ok {
			have = append(have, n)
		}
	}
	slices.Sort(have)
	return fmt.Errorf("%s: not implemented in this build (implemented: %s)", strings.Join(missing, ", "), strings.Join(have, ", "))
}

// runnablePlugins are the enabled plugins the collector has, in config order.
func (in *Input) runnablePlugins() []string { return onlySupported(in.EnabledPlugins, plugins) }

// runnableL7 are the enabled L7 features the collector has.
func (in *Input) runnableL7() []string { return onlySupported(in.L7NetEnabled, l7Features) }

func onlySupported(names []string, table map[string]bool) []string {
	var out []string
	for _, n := range names {
		if table[n] && !slices.Contains(out, n) {
			out = append(out, n)
		}
	}
	return out
}

func supportedPlugins() []string {
	var out []string
	for p, ok := range plugins {
		if ok {
			out = append(out, p)
		}
	}
	slices.Sort(out)
	return out
}

func knownNames(table map[string]bool) string {
	var out []string
	for n := range table {
		out = append(out, n)
	}
	slices.Sort(out)
	return strings.Join(out, ", ")
}
