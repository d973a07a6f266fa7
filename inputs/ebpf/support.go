package ebpf

import (
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
}

// pending are options accepted for compatibility whose feature does not exist
// yet; set says whether a config asks for it (differs from the default).
var pending = []struct {
	option, feature string
	set             func(*Input) bool
}{
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

// unsupported describes every requested plugin, feature and option the
// collector does not have yet, for one warning at start.
func (in *Input) unsupported() []string {
	var notes []string
	for _, p := range in.EnabledPlugins {
		if !plugins[p] {
			notes = append(notes, fmt.Sprintf("enabled_plugins %q", p))
		}
	}
	for _, f := range in.L7NetEnabled {
		if !l7Features[f] {
			notes = append(notes, fmt.Sprintf("l7net_enabled %q", f))
		}
	}
	for _, p := range pending {
		if p.set(in) {
			notes = append(notes, fmt.Sprintf("%s (%s)", p.option, p.feature))
		}
	}
	return notes
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
