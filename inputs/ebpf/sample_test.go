package ebpf

import (
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"netobs.local/agent/inputs"
)

// decode decodes an `[[inputs.ebpf]]` file the way the config loader does:
// into the factory's value, rejecting unknown keys.
func decode(t *testing.T, src string) *Input {
	t.Helper()
	var f struct {
		Inputs map[string][]toml.Primitive `toml:"inputs"`
	}
	md, err := toml.Decode(src, &f)
	if err != nil {
		t.Fatalf("decode: %v", err)
	}
	if len(f.Inputs["ebpf"]) != 1 {
		t.Fatalf("want one [[inputs.ebpf]] table, got %d", len(f.Inputs["ebpf"]))
	}
	reg, ok := inputs.Get("ebpf")
	if !ok {
		t.Fatal("ebpf is not registered")
	}
	in := reg.New().(*Input)
	if err := md.PrimitiveDecode(f.Inputs["ebpf"][0], in); err != nil {
		t.Fatalf("decode table: %v", err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		t.Fatalf("unknown keys: %v", und)
	}
	return in
}

func TestSampleDecodesToTheDefaults(t *testing.T) {
	reg, _ := inputs.Get("ebpf")
	in := decode(t, reg.Sample)
	if err := in.Validate(); err != nil {
		t.Fatalf("sample does not validate: %v", err)
	}
	want := New()
	want.Args, want.Envs = []string{}, []string{}
	want.TraceEnvList, want.TraceEnvBlacklist, want.TraceNameList, want.TraceNameBlacklist = []string{}, []string{}, []string{}, []string{}
	want.Tags = map[string]string{}
	if !reflect.DeepEqual(in, want) {
		t.Errorf("the sample is not the defaults:\n got %+v\nwant %+v", in, want)
	}
}

func TestSampleMentionsEveryOption(t *testing.T) {
	typ := reflect.TypeOf(Input{})
	for i := range typ.NumField() {
		key := typ.Field(i).Tag.Get("toml")
		if key == "" {
			continue
		}
		if key == "tags" {
			key = "[inputs.ebpf.tags]"
		}
		if !strings.Contains(sample, key) {
			t.Errorf("sample.conf does not document %s", key)
		}
	}
}

// seedSample is DataKit's ebpf.conf sample as the seed ships it (its
// comments shortened), optional lines commented out with "# ".
const seedSample = `
[[inputs.ebpf]]
daemon = true
name = 'ebpf'
cmd = "/usr/local/datakit/externals/datakit-ebpf"
args = ["--datakit-apiserver", "0.0.0.0:9529"]
envs = []
# cpu_limit = "2.0"
# mem_limit = "4GiB"
# net_limit = "100MiB/s"
# kubernetes_url = "https://kubernetes.default:443"
# bearer_token = "/run/secrets/kubernetes.io/serviceaccount/token"
# workload_labels = ["app"]
# workload_label_prefix = ""
enabled_plugins = ["ebpf-net"]
l7net_enabled = [
  "httpflow",
  # "httpflow-tls"
]
pprof_host = "127.0.0.1"
pprof_port = "6061"
# netlog_blacklist = "ip_saddr=='127.0.0.1' || ip_daddr=='127.0.0.1'"
netlog_metric = true
netlog_log = false
trace_server = ""
trace_env_list = [
  # "DK_BPFTRACE_SERVICE",
  # "DD_SERVICE",
  # "OTEL_SERVICE_NAME",
]
trace_env_blacklist = []
trace_name_list = []
trace_name_blacklist = [
  # "datakit",
  # "datakit-ebpf",
]
conv_to_ddtrace = false
ipv6_disabled = false
# ephemeral_port = 10001
# interval = "60s"
# sampling_rate = "0.50"
[inputs.ebpf.tags]
# some_tag = "some_value"
`

// DataKit's sample as it ships loads: what it sets is honoured, and what
// this build lacks is left at its default.
func TestSeedSampleAsShippedValidates(t *testing.T) {
	if err := decode(t, seedSample).Validate(); err != nil {
		t.Fatalf("the seed's sample does not validate: %v", err)
	}
}

// With its commented lines on, it asks for what this build does not
// have: each such option is refused, naming it and why; the rest are
// honoured.
func TestSeedSampleOptionsOn(t *testing.T) {
	in := decode(t, regexp.MustCompile(`(?m)^(\s*)# `).ReplaceAllString(seedSample, "$1"))
	if in.EphemeralPort != 10001 || in.Tags["some_tag"] != "some_value" || len(in.TraceEnvList) != 3 || in.L7NetEnabled[1] != "httpflow-tls" {
		t.Errorf("decoded %+v", in)
	}
	var got []string
	for _, e := range in.Validate().(interface{ Unwrap() []error }).Unwrap() {
		got = append(got, e.Error())
	}
	for _, want := range []string{"cpu_limit: not implemented in this build: resource limits", "mem_limit:", "net_limit:",
		"kubernetes_url: not implemented in this build: Kubernetes metadata", "bearer_token:", "workload_labels:",
		"trace_env_list: not implemented in this build: ebpf-trace", "trace_name_blacklist:",
		"sampling_rate: not implemented in this build: sampling", `netlog_blacklist: has no effect: enabled_plugins lacks "bpf-netlog"`,
		`l7net_enabled: "httpflow-tls": not implemented in this build`} {
		if !slices.ContainsFunc(got, func(e string) bool { return strings.HasPrefix(e, want) }) {
			t.Errorf("errors %q lack %q", got, want)
		}
	}
	if len(got) != 11 {
		t.Errorf("%d errors, want 11 (options at their defaults or honoured are not refused): %q", len(got), got)
	}
}

func TestWrongTypeIsRejected(t *testing.T) {
	var f struct {
		Inputs map[string][]toml.Primitive `toml:"inputs"`
	}
	md, err := toml.Decode("[[inputs.ebpf]]\nephemeral_port = \"high\"\n", &f)
	if err != nil {
		t.Fatal(err)
	}
	err = md.PrimitiveDecode(f.Inputs["ebpf"][0], New())
	if err == nil || !strings.Contains(err.Error(), "ephemeral_port") {
		t.Errorf("decode error %v, want one naming ephemeral_port", err)
	}
}

// dnsflow and netflow_udp go from TOML to the collector's flags, and the
// environment overrides the file both ways.
func TestDNSFlowAndNetflowUDPOptions(t *testing.T) {
	in := decode(t, "[[inputs.ebpf]]\n  l7net_enabled = []\n  dnsflow = false\n  netflow_udp = false\n")
	if err := in.Validate(); err != nil {
		t.Fatal(err)
	}
	args := strings.Join(in.collectorArgs(inputs.Env{}, false), " ")
	if !strings.Contains(args, " --dnsflow=false --netflow-udp=false") {
		t.Errorf("lean config gives args %q", args)
	}
	if err := in.ApplyEnv(lookup(map[string]string{"ENV_INPUT_EBPF_DNSFLOW": "true", "ENV_INPUT_EBPF_NETFLOW_UDP": "TRUE"})); err != nil {
		t.Fatal(err)
	}
	if args := strings.Join(in.collectorArgs(inputs.Env{}, false), " "); strings.Contains(args, "--dnsflow") || strings.Contains(args, "--netflow-udp") {
		t.Errorf("after the environment turned both back on, args %q still turn them off", args)
	}
	for _, key := range []string{"dnsflow", "netflow_udp"} {
		var f struct {
			Inputs map[string][]toml.Primitive `toml:"inputs"`
		}
		md, err := toml.Decode("[[inputs.ebpf]]\n"+key+" = \"no\"\n", &f)
		if err != nil {
			t.Fatal(err)
		}
		if err := md.PrimitiveDecode(f.Inputs["ebpf"][0], New()); err == nil || !strings.Contains(err.Error(), key) {
			t.Errorf("%s = \"no\": decode error %v, want one naming %s", key, err, key)
		}
	}
}

// TestSampleSaysWhatIsSupported: the sample's list of plugins and L7
// features says "not yet supported" exactly of those support.go lacks.
func TestSampleSaysWhatIsSupported(t *testing.T) {
	for _, table := range []map[string]bool{plugins, l7Features} {
		for name, ok := range table {
			line := ""
			for _, l := range strings.Split(sample, "\n") {
				if strings.Contains(l, `"`+name+`"`) && strings.Contains(l, "##") {
					line = l
					break
				}
			}
			if line == "" {
				t.Errorf("the sample does not describe %q", name)
				continue
			}
			if says := strings.Contains(line, "not yet supported"); says == ok {
				t.Errorf("%q: supported=%v, but the sample says %q", name, ok, strings.TrimSpace(line))
			}
		}
	}
}
