package ebpf

import (
	"strings"
	"testing"
)

func TestDefaultsValidate(t *testing.T) {
	if err := New().Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
}

func TestValidateErrors(t *testing.T) {
	cases := []struct {
		tweak func(*Input)
		want  string // the error must name the option and say this
	}{
		{func(in *Input) { in.Daemon = false }, "daemon: must be true"},
		{func(in *Input) { in.Name = "" }, `name: "" must be`},
		{func(in *Input) { in.Name = "a b" }, `name: "a b" must be`},
		{func(in *Input) { in.Envs = []string{"A=1", "oops"} }, `envs: entry 2 "oops" is not KEY=VALUE`},
		{func(in *Input) { in.Envs = []string{"=1"} }, `envs: entry 1 "=1"`},
		{func(in *Input) { in.EnabledPlugins = nil }, "enabled_plugins: is empty"},
		{func(in *Input) { in.EnabledPlugins = []string{"ebpf-net", "ebpf-http"} }, `enabled_plugins: unknown plugin "ebpf-http" (known: bpf-netlog, ebpf-bash, ebpf-conntrack, ebpf-net, ebpf-trace)`},
		{func(in *Input) { in.L7NetEnabled = []string{"grpc"} }, `l7net_enabled: unknown feature "grpc" (known: httpflow, httpflow-tls, memcached, mysql, pgsql, redis)`},
		{func(in *Input) { in.PprofHost = "not a host" }, `pprof_host: "not a host"`},
		{func(in *Input) { in.PprofPort = "65536" }, `pprof_port: port "65536" is not 1..65535`},
		{func(in *Input) { in.PprofPort = "http" }, `pprof_port: port "http"`},
		{func(in *Input) { in.ExcludeCmdRegex = "(curl" }, "process selection: exclude_cmd_regex: error parsing regexp"},
		{func(in *Input) { in.ExcludePids = []int{0} }, "include_pids/exclude_pids: 0 is not a pid"},
		{func(in *Input) { in.PprofHost = "127.0.0.1" }, "pprof_host: has no effect without pprof_port"},
		{func(in *Input) { in.EnabledPlugins, in.NetlogMetric = []string{"bpf-netlog"}, false },
			"netlog_metric: and netlog_log are both false: bpf-netlog would produce nothing"},
		{func(in *Input) { in.NetlogLog = true }, `netlog_log: has no effect: enabled_plugins lacks "bpf-netlog"`},
		{func(in *Input) { in.NetlogMetric = false }, `netlog_metric: has no effect: enabled_plugins lacks "bpf-netlog"`},
		{func(in *Input) { in.NetlogBlacklist = "udp" }, `netlog_blacklist: has no effect: enabled_plugins lacks "bpf-netlog"`},
		// Options of features this build lacks, set: refused, whatever their value.
		{func(in *Input) { in.CPULimit = "two" }, "cpu_limit: not implemented in this build: resource limits"},
		{func(in *Input) { in.MemLimit = "4GiB" }, "mem_limit: not implemented in this build: resource limits"},
		{func(in *Input) { in.NetLimit = "100MiB/s" }, "net_limit: not implemented in this build: resource limits"},
		{func(in *Input) { in.KubernetesURL = "https://k:443" }, "kubernetes_url: not implemented in this build: Kubernetes metadata"},
		{func(in *Input) { in.BearerTokenString = "s" }, "bearer_token_string: not implemented in this build: Kubernetes metadata"},
		{func(in *Input) { in.WorkloadLabelPrefix = "k_" }, "workload_label_prefix: not implemented in this build: Kubernetes metadata"},
		{func(in *Input) { in.EnabledPlugins = []string{"ebpf-net", "ebpf-trace"} }, `enabled_plugins: "ebpf-trace": not implemented in this build (implemented: bpf-netlog, ebpf-bash, ebpf-conntrack, ebpf-net)`},
		{func(in *Input) { in.L7NetEnabled = []string{"httpflow", "httpflow-tls"} }, `l7net_enabled: "httpflow-tls": not implemented in this build (implemented: httpflow, memcached, mysql, pgsql, redis)`},
		{func(in *Input) { in.TraceServer = "10.0.0.1:9529" }, "trace_server: not implemented in this build: ebpf-trace"},
		{func(in *Input) { in.TraceNameList = []string{""} }, "trace_name_list: not implemented in this build: ebpf-trace"},
		{func(in *Input) { in.ConvToDDTrace = true }, "conv_to_ddtrace: not implemented in this build: ebpf-trace"},
		{func(in *Input) { in.SamplingRate = "0.5" }, "sampling_rate: not implemented in this build: sampling"},
		{func(in *Input) { in.SamplingRatePtsPerMin = "1500" }, "sampling_rate_pts_per_min: not implemented in this build: sampling"},
		{func(in *Input) { in.NetlogBlacklist = "tcp &&\n  dst_prot == 80" }, "netlog_blacklist: 2:3: unknown field dst_prot (did you mean dst_port?)"},
		{func(in *Input) { in.NetlogBlacklist = `ipnet_contains("10.0.0.0/33", ip_saddr)` }, "netlog_blacklist: 1:16"},
		{func(in *Input) { in.EphemeralPort = 70000 }, "ephemeral_port: 70000 is not 0"},
		{func(in *Input) { in.EphemeralPort = -5 }, "ephemeral_port: -5"},
		{func(in *Input) { in.Interval = "500ms" }, `interval: "500ms" is below the minimum of 1s`},
		{func(in *Input) { in.Interval = "sixty" }, `interval: "sixty" is not a duration`},
		{func(in *Input) { in.Interval = "" }, `interval: "" is not a duration`},
		{func(in *Input) { in.Tags = map[string]string{"a,b": "c"} }, `tags: "a,b" = "c"`},
		{func(in *Input) { in.Tags = map[string]string{"a": "b,c"} }, `tags: "a" = "b,c"`},
		{func(in *Input) { in.Tags = map[string]string{"a": ""} }, `tags: "a" = ""`},
	}
	for _, c := range cases {
		in := New()
		c.tweak(in)
		err := in.Validate()
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("error %v\n want one containing %q", err, c.want)
		}
	}
}

func TestValidateReportsEveryProblem(t *testing.T) {
	in := New()
	in.Interval, in.PprofPort, in.EnabledPlugins = "1ms", "0", []string{"x"}
	err := in.Validate()
	for _, opt := range []string{"interval:", "pprof_port:", "enabled_plugins:"} {
		if err == nil || !strings.Contains(err.Error(), opt) {
			t.Errorf("error %v does not mention %s", err, opt)
		}
	}
}

func TestValidAlternatives(t *testing.T) {
	for _, tweak := range []func(*Input){
		func(in *Input) { in.PprofHost, in.PprofPort = "localhost", "6061" },
		func(in *Input) { in.PprofHost, in.PprofPort = "::1", "6061" },
		func(in *Input) { in.EphemeralPort, in.Interval = 32768, "1m30s" },
		func(in *Input) { in.Envs = []string{"A=", "B=x=y"} },
		func(in *Input) { in.EnabledPlugins = []string{"bpf-netlog"} },
		func(in *Input) {
			in.EnabledPlugins, in.NetlogBlacklist, in.NetlogMetric, in.NetlogLog = []string{"ebpf-net", "bpf-netlog"}, "udp", false, true
		},
		// at their defaults, the options of features not built are fine
		func(in *Input) {
			in.TraceEnvList, in.WorkloadLabels, in.L7NetEnabled = []string{}, []string{}, []string{}
		},
	} {
		in := New()
		tweak(in)
		if err := in.Validate(); err != nil {
			t.Errorf("%+v: %v", in, err)
		}
	}
}
