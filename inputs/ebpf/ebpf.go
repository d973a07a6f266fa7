// Package ebpf is the `ebpf` input: it runs the datakit-ebpf collector as a
// supervised child process, translating the `[[inputs.ebpf]]` options (those
// of DataKit's eBPF input) and their ENV_INPUT_EBPF_* variables into the
// collector's flags. The collector posts its points to the supervisor's API.
package ebpf

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"netobs.local/agent/datakit/child"
	"netobs.local/agent/inputs"
)

//go:embed sample.conf
var sample string

func init() {
	inputs.Add("ebpf", sample, func() inputs.Input { return New() })
}

// Input holds the options of one `[[inputs.ebpf]]` table, with the types of
// DataKit's sample config (so its configs load unchanged).
type Input struct {
	Daemon bool     `toml:"daemon"`
	Name   string   `toml:"name"`
	Cmd    string   `toml:"cmd"`
	Args   []string `toml:"args"`
	Envs   []string `toml:"envs"`

	CPULimit string `toml:"cpu_limit"`
	MemLimit string `toml:"mem_limit"`
	NetLimit string `toml:"net_limit"`

	KubernetesURL       string   `toml:"kubernetes_url"`
	BearerToken         string   `toml:"bearer_token"`
	BearerTokenString   string   `toml:"bearer_token_string"`
	WorkloadLabels      []string `toml:"workload_labels"`
	WorkloadLabelPrefix string   `toml:"workload_label_prefix"`

	EnabledPlugins []string `toml:"enabled_plugins"`
	L7NetEnabled   []string `toml:"l7net_enabled"`

	PprofHost string `toml:"pprof_host"`
	PprofPort string `toml:"pprof_port"`

	NetlogBlacklist string `toml:"netlog_blacklist"`
	NetlogMetric    bool   `toml:"netlog_metric"`
	NetlogLog       bool   `toml:"netlog_log"`

	TraceServer        string   `toml:"trace_server"`
	TraceEnvList       []string `toml:"trace_env_list"`
	TraceEnvBlacklist  []string `toml:"trace_env_blacklist"`
	TraceNameList      []string `toml:"trace_name_list"`
	TraceNameBlacklist []string `toml:"trace_name_blacklist"`
	ConvToDDTrace      bool     `toml:"conv_to_ddtrace"`

	IPv6Disabled          bool   `toml:"ipv6_disabled"`
	EphemeralPort         int    `toml:"ephemeral_port"`
	Interval              string `toml:"interval"`
	SamplingRate          string `toml:"sampling_rate"`
	SamplingRatePtsPerMin string `toml:"sampling_rate_pts_per_min"`
	// ExcludeLoopback is ours, not DataKit's: loopback flows are reported
	// unless it is set.
	ExcludeLoopback bool `toml:"exclude_loopback"`
	// UDPRecvPeers is ours: when the collector attaches the syscall exits
	// that name the senders of datagrams read from unconnected UDP sockets.
	UDPRecvPeers string `toml:"udp_recv_peers"`
	// DNSFlow and NetflowUDP are ours: they turn off dnsflow and UDP flows
	// in netflow, which with l7net_enabled = [] spares every socket send
	// and receive on the host a BPF program run.
	DNSFlow    bool `toml:"dnsflow"`
	NetflowUDP bool `toml:"netflow_udp"`
	Process

	Tags map[string]string `toml:"tags"`

	// tuning of the child supervision; tests shorten it.
	backoff, stopTimeout time.Duration
}

// New returns an input holding the defaults documented in sample.conf.
func New() *Input {
	return &Input{
		Daemon:         true,
		Name:           "ebpf",
		EnabledPlugins: []string{"ebpf-net"},
		L7NetEnabled:   []string{"httpflow"},
		NetlogMetric:   true,
		Interval:       "60s",
		UDPRecvPeers:   "on-demand",
		DNSFlow:        true,
		NetflowUDP:     true,
		backoff:        time.Second,
		stopTimeout:    10 * time.Second,
	}
}

// Run starts the collector under child supervision and stops it when ctx
// is done.
func (in *Input) Run(ctx context.Context, env inputs.Env) error {
	log := env.Log
	if log == nil {
		log = slog.Default()
	}
	spec, err := in.ChildSpec(env, log.Enabled(ctx, slog.LevelDebug))
	if err != nil {
		return err
	}
	if over := overridden(spec.Args[:len(spec.Args)-len(in.Args)], in.Args); len(over) > 0 {
		log.Info("ebpf: args override generated collector flags", "flags", over)
	}
	spec.Log = log
	p, err := child.Start(ctx, spec)
	if err != nil {
		return err
	}
	<-ctx.Done()
	p.Stop()
	return nil
}

// ChildSpec is how the collector is run with these options: its path,
// flags and environment (Log is left for the caller). It is everything an
// option can change, so a test can tell an honoured option from one that
// does nothing.
func (in *Input) ChildSpec(env inputs.Env, debug bool) (child.Spec, error) {
	if len(in.runnablePlugins()) == 0 {
		return child.Spec{}, fmt.Errorf("enabled_plugins %v: none of them is supported yet (supported: %s), so there is nothing to run",
			in.EnabledPlugins, strings.Join(supportedPlugins(), ", "))
	}
	path, err := in.command()
	if err != nil {
		return child.Spec{}, err
	}
	return child.Spec{
		Name: in.Name, Path: path, Args: in.collectorArgs(env, debug), Env: in.Envs,
		OnRestart: env.Restarted, MinBackoff: in.backoff, StopTimeout: in.stopTimeout,
	}, nil
}

// command is the collector's path: cmd when set, else datakit-ebpf next to
// the running binary (as `make build` lays them out in bin/), then under its
// externals/ folder and the standard install folder (the seed's layout).
func (in *Input) command() (string, error) {
	if in.Cmd != "" {
		return in.Cmd, nil
	}
	var tried []string
	for _, c := range defaultCommands() {
		if st, err := os.Stat(c); err == nil && st.Mode().IsRegular() && st.Mode()&0o111 != 0 {
			return c, nil
		}
		tried = append(tried, c)
	}
	return "", fmt.Errorf("cmd is not set and datakit-ebpf is not at %s: run `make build` or set cmd", strings.Join(tried, ", "))
}

func defaultCommands() []string {
	var out []string
	if exe, err := os.Executable(); err == nil {
		dir := filepath.Dir(exe)
		out = append(out, filepath.Join(dir, "datakit-ebpf"), filepath.Join(dir, "externals", "datakit-ebpf"))
	}
	return append(out, "/usr/local/datakit/externals/datakit-ebpf")
}
