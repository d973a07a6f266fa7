package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"netobs.local/agent/datakit/internal/config"
	"netobs.local/agent/inputs"
	"netobs.local/agent/inputs/ebpf"
)

// optionChange sets one option of [[inputs.ebpf]] away from its default:
// value is its TOML form, env the form of its ENV_INPUT_EBPF_* variable
// ("" when the case has none), and ctx other lines the case needs (the
// plugin the option belongs to, say).
type optionChange struct {
	key, value, env, ctx string
}

const withNetlog = `enabled_plugins = ["ebpf-net", "bpf-netlog"]`

// changes holds at least one change of every option the ebpf input
// accepts; TestEveryEbpfOptionIsHonouredOrRefused fails for a key without one.
var changes = []optionChange{
	{"daemon", `false`, "", ""},
	{"name", `"net"`, "", ""},
	{"cmd", `"/usr/bin/env"`, "", ""},
	{"args", `["--interval", "5s"]`, "", ""},
	{"envs", `["GODEBUG=madvdontneed=1"]`, "", ""},
	{"cpu_limit", `"2.0"`, "2.0", ""},
	{"mem_limit", `"4GiB"`, "4GiB", ""},
	{"net_limit", `"100MiB/s"`, "100MiB/s", ""},
	{"kubernetes_url", `"https://kubernetes.default:443"`, "", ""},
	{"bearer_token", `"/run/secrets/kubernetes.io/serviceaccount/token"`, "", ""},
	{"bearer_token_string", `"secret"`, "", ""},
	{"workload_labels", `["app"]`, "app", ""},
	{"workload_label_prefix", `"k8s_"`, "k8s_", ""},
	{"enabled_plugins", `["ebpf-bash"]`, "ebpf-bash", ""},
	{"enabled_plugins", `["ebpf-net", "ebpf-conntrack"]`, "ebpf-net,ebpf-conntrack", ""},
	{"enabled_plugins", `["bpf-netlog"]`, "bpf-netlog", ""},
	{"enabled_plugins", `["ebpf-net", "ebpf-trace"]`, "ebpf-net,ebpf-trace", ""},
	{"l7net_enabled", `[]`, "", ""},
	{"l7net_enabled", `["httpflow", "httpflow-tls"]`, "httpflow,httpflow-tls", ""},
	{"pprof_host", `"0.0.0.0"`, "0.0.0.0", ""},
	{"pprof_host", `"0.0.0.0"`, "0.0.0.0", `pprof_port = "6061"`},
	{"pprof_port", `"6061"`, "6061", ""},
	{"netlog_blacklist", `"udp"`, "udp", ""},
	{"netlog_blacklist", `"udp"`, "udp", withNetlog},
	{"netlog_metric", `false`, "false", withNetlog},
	{"netlog_metric", `false`, "false", withNetlog + "\n  netlog_log = true"},
	{"netlog_metric", `false`, "false", ""},
	{"netlog_log", `true`, "true", ""},
	{"netlog_log", `true`, "true", withNetlog},
	{"trace_server", `"10.0.0.1:9529"`, "10.0.0.1:9529", ""},
	{"trace_env_list", `["DD_SERVICE"]`, "DD_SERVICE", ""},
	{"trace_env_blacklist", `["DKE_DISABLE_ETRACE"]`, "DKE_DISABLE_ETRACE", ""},
	{"trace_name_list", `["nginx"]`, "nginx", ""},
	{"trace_name_blacklist", `["sshd"]`, "sshd", ""},
	{"conv_to_ddtrace", `true`, "true", ""},
	{"ipv6_disabled", `true`, "true", ""},
	{"ephemeral_port", `10001`, "10001", ""},
	{"interval", `"10s"`, "10s", ""},
	{"sampling_rate", `"0.50"`, "0.50", ""},
	{"sampling_rate_pts_per_min", `"1500"`, "1500", ""},
	{"exclude_loopback", `true`, "true", ""},
	{"udp_recv_peers", `"always"`, "always", ""},
	{"udp_recv_peers", `"off"`, "off", ""},
	{"dnsflow", `false`, "false", ""},
	{"netflow_udp", `false`, "false", ""},
	{"process_args", `true`, "true", ""},
	{"include_cmd_regex", `"^nginx"`, "^nginx", ""},
	{"exclude_cmd_regex", `"^sshd"`, "^sshd", ""},
	{"include_pids", `[1234]`, "1234", ""},
	{"exclude_pids", `[1]`, "1", ""},
	{"include_container_regex", `"^app-"`, "^app-", ""},
	{"exclude_container_regex", `"^kube-"`, "^kube-", ""},
	{"tags", `{ zone = "a" }`, "", ""},
}

// TestEveryEbpfOptionIsHonouredOrRefused walks every option of
// [[inputs.ebpf]], in TOML and as its ENV_INPUT_EBPF_* variable: setting
// it away from its default either changes how the collector is run (its
// path, flags or environment: ChildSpec) or makes check-config refuse it,
// in the file at the key's own line (file:line:key: reason) or naming the
// variable. An option that does neither is accepted and ignored, and
// fails the test.
func TestEveryEbpfOptionIsHonouredOrRefused(t *testing.T) {
	covered, envCovered := map[string]bool{}, map[string]bool{}
	for _, c := range changes {
		covered[c.key] = true
		if c.env != "" {
			envCovered[c.key] = true
		}
	}
	keys := config.InputKeys("ebpf")
	if len(keys) < 40 {
		t.Fatalf("the ebpf input has only keys %v", keys)
	}
	for _, key := range keys {
		if !covered[key] {
			t.Errorf("option %s has no change in the walk: add one to changes", key)
		}
	}
	vars := map[string]string{} // option -> variable
	for _, v := range ebpf.New().EnvVars() {
		vars[v.Option] = v.Name
		if !envCovered[v.Option] {
			t.Errorf("%s (option %s) has no change in the walk: give a case its env form", v.Name, v.Option)
		}
	}
	for _, c := range changes {
		t.Run(c.key+"="+c.value+ctxName(c.ctx), func(t *testing.T) {
			// A collector path, so that the effect of the others is seen
			// wherever the test runs (without cmd, one is looked for).
			base := "[[inputs.ebpf]]\n  cmd = \"/bin/true\"\n  " + c.ctx + "\n"
			if c.key == "cmd" {
				base = "[[inputs.ebpf]]\n  " + c.ctx + "\n"
			}
			line := strings.Count(base, "\n") + 1
			set := base + "  " + c.key + " = " + c.value + "\n"
			if c.key == "tags" { // a sub-table
				set = base + "[inputs.ebpf.tags]\n  zone = \"a\"\n"
			}
			if code, out := check(t, set, nil); code != 0 {
				want := regexp.MustCompile(fmt.Sprintf(`(?m)^config error: \S+/ebpf\.conf:%d: inputs\.ebpf\.%s: \S.*$`, line, regexp.QuoteMeta(c.key)))
				if !want.MatchString(out) {
					t.Errorf("check-config refuses it, but not at ebpf.conf:%d: inputs.ebpf.%s with a reason:\n%s", line, c.key, out)
				}
			} else if before, after := effect(t, base, nil), effect(t, set, nil); after == before {
				t.Errorf("accepted and ignored: the collector runs as without it (%s)", before)
			}
			if c.env == "" {
				return
			}
			name := vars[c.key]
			env := map[string]string{name: c.env}
			if code, out := check(t, base, env); code != 0 {
				if !strings.Contains(out, "config error: environment: inputs.ebpf: "+name+" (option "+c.key+"): ") {
					t.Errorf("check-config refuses %s=%s, but does not name the variable with a reason:\n%s", name, c.env, out)
				}
			} else if effect(t, base, env) == effect(t, base, nil) {
				t.Errorf("%s=%s accepted and ignored: the collector runs as without it", name, c.env)
			}
		})
	}
}

func ctxName(ctx string) string {
	if ctx == "" {
		return ""
	}
	return " with " + strings.ReplaceAll(ctx, "\n  ", ", ")
}

// The samples and the repository's conf.d, all options at their defaults,
// pass check-config.
func TestShippedConfigsPass(t *testing.T) {
	for _, dir := range []string{"../conf.d", "../conf.d/samples"} {
		src := dir
		if strings.HasSuffix(dir, "samples") { // *.conf.sample → *.conf
			src = t.TempDir()
			samples, _ := filepath.Glob(filepath.Join(dir, "*.sample"))
			for _, s := range samples {
				b, err := os.ReadFile(s)
				if err != nil {
					t.Fatal(err)
				}
				os.WriteFile(filepath.Join(src, strings.TrimSuffix(filepath.Base(s), ".sample")), b, 0o644)
			}
		}
		var out, errs bytes.Buffer
		if code := checkConfig([]string{"--conf-dir", src}, &out, &errs); code != 0 {
			t.Errorf("check-config %s: exit %d\n%s", dir, code, errs.String())
		}
	}
}

// writeDir lays out a configuration folder with ebpf.conf.
func writeDir(t *testing.T, ebpfConf string) string {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "datakit.conf"), []byte("hostname = \"h\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "ebpf.conf"), []byte(ebpfConf), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func lookup(env map[string]string) func(string) (string, bool) {
	return func(k string) (string, bool) { v, ok := env[k]; return v, ok }
}

// check runs what check-config runs, with env as the environment.
func check(t *testing.T, ebpfConf string, env map[string]string) (code int, out string) {
	t.Helper()
	dir := writeDir(t, ebpfConf)
	if _, err := config.Load(dir, lookup(env)); err != nil {
		var b bytes.Buffer
		printConfigErrors(&b, err)
		return 1, b.String()
	}
	if env == nil { // and through the command itself
		var o, e bytes.Buffer
		if code := checkConfig([]string{"--conf-dir", dir}, &o, &e); code != 0 {
			return code, e.String()
		}
	}
	return 0, ""
}

// effect is how the collector would be run: everything an option can
// change (path, flags, environment, name), or why it would not run.
func effect(t *testing.T, ebpfConf string, env map[string]string) string {
	t.Helper()
	cfg, err := config.Load(writeDir(t, ebpfConf), lookup(env))
	if err != nil {
		t.Fatalf("the configuration does not load: %v", err)
	}
	i := slices.IndexFunc(cfg.Inputs, func(in config.InputInstance) bool { return in.Name == "ebpf" })
	spec, err := cfg.Inputs[i].Input.(*ebpf.Input).ChildSpec(inputs.Env{Hostname: "h", APIAddr: "127.0.0.1:9529"}, false)
	if err != nil {
		return "error: " + err.Error()
	}
	return fmt.Sprintf("name=%s path=%s args=%q env=%q", spec.Name, spec.Path, spec.Args, spec.Env)
}
