package ebpf

import (
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"netobs.local/agent/inputs"
)

// seedEnv is the seed's list of ENV_INPUT_EBPF_* variables, in its order.
var seedEnv = []string{
	"ENV_INPUT_EBPF_ENABLED_PLUGINS", "ENV_INPUT_EBPF_L7NET_ENABLED", "ENV_INPUT_EBPF_INTERVAL",
	"ENV_INPUT_EBPF_IPV6_DISABLED", "ENV_INPUT_EBPF_EPHEMERAL_PORT", "ENV_INPUT_EBPF_PPROF_HOST",
	"ENV_INPUT_EBPF_PPROF_PORT", "ENV_INPUT_EBPF_TRACE_SERVER", "ENV_INPUT_EBPF_TRACE_NAME_BLACKLIST",
	"ENV_INPUT_EBPF_TRACE_ENV_BLACKLIST", "ENV_INPUT_EBPF_TRACE_ENV_LIST", "ENV_INPUT_EBPF_TRACE_NAME_LIST",
	"ENV_INPUT_EBPF_CONV_TO_DDTRACE", "ENV_INPUT_EBPF_NETLOG_BLACKLIST", "ENV_INPUT_EBPF_NETLOG_METRIC",
	"ENV_INPUT_EBPF_NETLOG_LOG", "ENV_INPUT_EBPF_CPU_LIMIT", "ENV_INPUT_EBPF_MEM_LIMIT",
	"ENV_INPUT_EBPF_NET_LIMIT", "ENV_INPUT_EBPF_SAMPLING_RATE", "ENV_INPUT_EBPF_SAMPLING_RATE_PTSPERMIN",
	"ENV_INPUT_EBPF_WORKLOAD_LABELS", "ENV_INPUT_EBPF_WORKLOAD_LABEL_PREFIX",
}

func lookup(m map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

func TestEnvVarsCoverTheSeed(t *testing.T) {
	var names []string
	for _, v := range New().EnvVars() {
		names = append(names, v.Name)
		if v.Option == "" || v.Example == "" || v.Doc == "" {
			t.Errorf("%s is not fully documented: %+v", v.Name, v)
		}
	}
	want := append(append([]string{}, seedEnv...), "ENV_INPUT_EBPF_EXCLUDE_LOOPBACK", "ENV_INPUT_EBPF_UDP_RECV_PEERS",
		"ENV_INPUT_EBPF_DNSFLOW", "ENV_INPUT_EBPF_NETFLOW_UDP", "ENV_INPUT_EBPF_PROCESS_ARGS",
		"ENV_INPUT_EBPF_INCLUDE_CMD_REGEX", "ENV_INPUT_EBPF_EXCLUDE_CMD_REGEX", "ENV_INPUT_EBPF_INCLUDE_PIDS",
		"ENV_INPUT_EBPF_EXCLUDE_PIDS", "ENV_INPUT_EBPF_INCLUDE_CONTAINER_REGEX", "ENV_INPUT_EBPF_EXCLUDE_CONTAINER_REGEX")
	if !reflect.DeepEqual(names, want) {
		t.Errorf("variables:\n got %v\nwant %v", names, want)
	}
}

func TestEnvExamplesApply(t *testing.T) {
	// Every documented example is accepted as is, or, for an option whose
	// feature this build lacks, refused as not implemented.
	for _, v := range New().EnvVars() {
		in := New()
		// what the examples of pprof_host and the netlog options need
		in.PprofPort, in.EnabledPlugins = "6061", []string{"ebpf-net", "bpf-netlog"}
		err := in.ApplyEnv(lookup(map[string]string{v.Name: v.Example}))
		if slices.ContainsFunc(pending, func(p pendingOption) bool { return p.option == v.Option }) {
			if err == nil || !strings.Contains(err.Error(), v.Name+" (option "+v.Option+"): not implemented in this build") {
				t.Errorf("example of %s: %v, want it refused as not implemented", v.Name, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("example of %s: %v", v.Name, err)
		}
	}
}

func TestApplyEnvOverrides(t *testing.T) {
	in := New()
	err := in.ApplyEnv(lookup(map[string]string{
		"ENV_INPUT_EBPF_ENABLED_PLUGINS":  " ebpf-net , bpf-netlog ,",
		"ENV_INPUT_EBPF_L7NET_ENABLED":    "",
		"ENV_INPUT_EBPF_INTERVAL":         "1m30s",
		"ENV_INPUT_EBPF_IPV6_DISABLED":    "true",
		"ENV_INPUT_EBPF_EPHEMERAL_PORT":   "32768",
		"ENV_INPUT_EBPF_PPROF_HOST":       "127.0.0.2",
		"ENV_INPUT_EBPF_PPROF_PORT":       "6062",
		"ENV_INPUT_EBPF_NETLOG_BLACKLIST": "ip_saddr=='127.0.0.1' || ip_daddr=='127.0.0.1'",
		"ENV_INPUT_EBPF_NETLOG_METRIC":    "false",
		"ENV_INPUT_EBPF_NETLOG_LOG":       "true",
		"ENV_INPUT_EBPF_EXCLUDE_LOOPBACK": "1",
		"ENV_INPUT_EBPF_DNSFLOW":          "false",
		"ENV_INPUT_EBPF_NETFLOW_UDP":      "0",
		"UNRELATED":                       "x",
	}))
	if err != nil {
		t.Fatalf("ApplyEnv: %v", err)
	}
	want := New()
	want.EnabledPlugins = []string{"ebpf-net", "bpf-netlog"}
	want.L7NetEnabled = []string{}
	want.Interval = "1m30s"
	want.IPv6Disabled = true
	want.EphemeralPort = 32768
	want.PprofHost, want.PprofPort = "127.0.0.2", "6062"
	want.NetlogBlacklist = "ip_saddr=='127.0.0.1' || ip_daddr=='127.0.0.1'"
	want.NetlogMetric, want.NetlogLog = false, true
	want.ExcludeLoopback = true
	want.DNSFlow, want.NetflowUDP = false, false
	if !reflect.DeepEqual(in, want) {
		t.Errorf("after ApplyEnv:\n got %+v\nwant %+v", in, want)
	}
	if err := in.Validate(); err != nil {
		t.Errorf("overridden config does not validate: %v", err)
	}
}

func TestApplyEnvNothingSetChangesNothing(t *testing.T) {
	in := New()
	if err := in.ApplyEnv(lookup(nil)); err != nil || !reflect.DeepEqual(in, New()) {
		t.Errorf("ApplyEnv with no variables: err %v, config %+v", err, in)
	}
}

func TestApplyEnvErrors(t *testing.T) {
	cases := map[string]string{ // variable=value -> the error must contain this
		"ENV_INPUT_EBPF_IPV6_DISABLED=yes":            `ENV_INPUT_EBPF_IPV6_DISABLED (option ipv6_disabled): "yes" is not a boolean`,
		"ENV_INPUT_EBPF_EXCLUDE_LOOPBACK=on":          `ENV_INPUT_EBPF_EXCLUDE_LOOPBACK (option exclude_loopback): "on" is not a boolean`,
		"ENV_INPUT_EBPF_DNSFLOW=off":                  `ENV_INPUT_EBPF_DNSFLOW (option dnsflow): "off" is not a boolean`,
		"ENV_INPUT_EBPF_NETFLOW_UDP=no":               `ENV_INPUT_EBPF_NETFLOW_UDP (option netflow_udp): "no" is not a boolean`,
		"ENV_INPUT_EBPF_CONV_TO_DDTRACE=2":            `ENV_INPUT_EBPF_CONV_TO_DDTRACE (option conv_to_ddtrace): "2"`,
		"ENV_INPUT_EBPF_EPHEMERAL_PORT=high":          `ENV_INPUT_EBPF_EPHEMERAL_PORT (option ephemeral_port): "high" is not a whole number`,
		"ENV_INPUT_EBPF_EPHEMERAL_PORT=99999":         `ENV_INPUT_EBPF_EPHEMERAL_PORT (option ephemeral_port): 99999 is not 0`,
		"ENV_INPUT_EBPF_INTERVAL=500ms":               `ENV_INPUT_EBPF_INTERVAL (option interval): "500ms" is below the minimum of 1s`,
		"ENV_INPUT_EBPF_INTERVAL=1 minute":            `ENV_INPUT_EBPF_INTERVAL (option interval): "1 minute" is not a duration`,
		"ENV_INPUT_EBPF_ENABLED_PLUGINS=ebpf-net,dns": `ENV_INPUT_EBPF_ENABLED_PLUGINS (option enabled_plugins): unknown plugin "dns"`,
		"ENV_INPUT_EBPF_ENABLED_PLUGINS= , ":          `ENV_INPUT_EBPF_ENABLED_PLUGINS (option enabled_plugins): is empty`,
		"ENV_INPUT_EBPF_L7NET_ENABLED=http2":          `ENV_INPUT_EBPF_L7NET_ENABLED (option l7net_enabled): unknown feature "http2"`,
		"ENV_INPUT_EBPF_PPROF_PORT=70000":             `ENV_INPUT_EBPF_PPROF_PORT (option pprof_port): port "70000"`,
		"ENV_INPUT_EBPF_SAMPLING_RATE=0.5":            `ENV_INPUT_EBPF_SAMPLING_RATE (option sampling_rate): not implemented in this build: sampling`,
		"ENV_INPUT_EBPF_MEM_LIMIT=4GiB":               `ENV_INPUT_EBPF_MEM_LIMIT (option mem_limit): not implemented in this build: resource limits`,
		"ENV_INPUT_EBPF_TRACE_SERVER=10.0.0.1:9529":   `ENV_INPUT_EBPF_TRACE_SERVER (option trace_server): not implemented in this build: ebpf-trace`,
		"ENV_INPUT_EBPF_ENABLED_PLUGINS=ebpf-trace":   `ENV_INPUT_EBPF_ENABLED_PLUGINS (option enabled_plugins): "ebpf-trace": not implemented in this build`,
		"ENV_INPUT_EBPF_NETLOG_LOG=true":              `ENV_INPUT_EBPF_NETLOG_LOG (option netlog_log): has no effect: enabled_plugins lacks "bpf-netlog"`,
		"ENV_INPUT_EBPF_PPROF_HOST=::1":               `ENV_INPUT_EBPF_PPROF_HOST (option pprof_host): has no effect without pprof_port`,
	}
	for kv, want := range cases {
		k, v, _ := strings.Cut(kv, "=")
		err := New().ApplyEnv(lookup(map[string]string{k: v}))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: error %v\n want one containing %q", kv, err, want)
		}
	}
}

func TestApplyEnvReportsEveryBadVariable(t *testing.T) {
	err := New().ApplyEnv(lookup(map[string]string{
		"ENV_INPUT_EBPF_IPV6_DISABLED": "maybe", "ENV_INPUT_EBPF_INTERVAL": "0s",
	}))
	if err == nil || !strings.Contains(err.Error(), "ENV_INPUT_EBPF_IPV6_DISABLED") || !strings.Contains(err.Error(), "ENV_INPUT_EBPF_INTERVAL") {
		t.Errorf("error %v must name both variables", err)
	}
}

// TestDaemonSetEnvIsValid checks the ENV_INPUT_EBPF_* settings shipped in
// packaging/k8s/datakit.yaml against this input.
func TestDaemonSetEnvIsValid(t *testing.T) {
	b, err := os.ReadFile("../../packaging/k8s/datakit.yaml")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?m)^\s*- name: (ENV_INPUT_EBPF_\w+)\n\s*value: "?([^"\n]*)"?$`)
	set := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		set[m[1]] = m[2]
	}
	if strings.Count(string(b), "ENV_INPUT_EBPF_") != len(set) || len(set) == 0 {
		t.Fatalf("found %d ENV_INPUT_EBPF_ settings with a value, but the name occurs %d times", len(set), strings.Count(string(b), "ENV_INPUT_EBPF_"))
	}
	in := New()
	if err := in.ApplyEnv(lookup(set)); err != nil {
		t.Fatalf("the DaemonSet's variables: %v", err)
	}
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "- name: ENV_ENABLE_INPUTS\n              value: ebpf\n") {
		t.Error("the DaemonSet does not enable the ebpf input")
	}
}

// FuzzApplyEnv feeds arbitrary values to every variable: no panic, errors
// name the variable, and an accepted value leaves its option valid and
// translatable.
func FuzzApplyEnv(f *testing.F) {
	for _, s := range []string{"", "ebpf-net", "1m", "true", "65536", "0.5", "a=b", " , ,", "\x00", "9999999999999999999"} {
		f.Add(uint8(0), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, value string) {
		v := envVars[int(which)%len(envVars)]
		in := New()
		err := in.ApplyEnv(lookup(map[string]string{v.Name: value}))
		if err != nil {
			if !strings.Contains(err.Error(), v.Name) {
				t.Fatalf("error %q does not name %s", err, v.Name)
			}
			return
		}
		if err := checkOption(in, v.Option); err != nil {
			t.Fatalf("%s=%q accepted but %s is invalid: %v", v.Name, value, v.Option, err)
		}
		in.collectorArgs(inputs.Env{}, false)
	})
}
