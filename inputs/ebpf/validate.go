package ebpf

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"netobs.local/agent/filter"
	"netobs.local/agent/inputs"
)

// MinInterval is the shortest aggregation interval the collector accepts.
const MinInterval = time.Second

// check validates one option; its errors start with the option's name.
type check struct {
	option string
	fn     func(*Input) error
}

// checks run in the order of the sample config. Options that are accepted
// before their feature exists are still checked, so a config that loads
// today keeps loading when the feature lands.
var checks = []check{
	// A blacklist that does not compile is refused with the loaded
	// configuration: the netlog plugin must never run unfiltered by surprise.
	{"netlog_blacklist", func(in *Input) error {
		if strings.TrimSpace(in.NetlogBlacklist) == "" {
			return nil
		}
		_, err := filter.Compile(in.NetlogBlacklist, filter.Netlog)
		return err
	}},
	{"netlog_log", func(in *Input) error {
		if slices.Contains(in.EnabledPlugins, "bpf-netlog") && !in.NetlogLog && !in.NetlogMetric {
			return errors.New("and netlog_metric are both false: bpf-netlog would produce nothing (the collector refuses to start)")
		}
		return nil
	}},
	{"daemon", func(in *Input) error {
		if !in.Daemon {
			return errors.New("must be true: datakit-ebpf is a long-running collector, not a periodic command")
		}
		return nil
	}},
	{"name", func(in *Input) error {
		if !nameRE.MatchString(in.Name) {
			return fmt.Errorf("%q must be letters, digits, '.', '_' or '-'", in.Name)
		}
		return nil
	}},
	{"envs", func(in *Input) error {
		for i, kv := range in.Envs {
			if k, _, ok := strings.Cut(kv, "="); !ok || k == "" {
				return fmt.Errorf("entry %d %q is not KEY=VALUE", i+1, kv)
			}
		}
		return nil
	}},
	{"cpu_limit", func(in *Input) error {
		if in.CPULimit == "" {
			return nil
		}
		if f, err := strconv.ParseFloat(in.CPULimit, 64); err != nil || f <= 0 {
			return fmt.Errorf("%q is not a positive number of CPU cores (example: \"2.0\")", in.CPULimit)
		}
		return nil
	}},
	{"mem_limit", func(in *Input) error { return checkSize(in.MemLimit, "", "\"4GiB\"") }},
	{"net_limit", func(in *Input) error { return checkSize(in.NetLimit, "/s", "\"100MiB/s\"") }},
	{"kubernetes_url", func(in *Input) error {
		if in.KubernetesURL == "" {
			return nil
		}
		u, err := url.Parse(in.KubernetesURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" {
			return fmt.Errorf("%q is not an http(s)://host:port URL", in.KubernetesURL)
		}
		return nil
	}},
	{"bearer_token", func(in *Input) error {
		if in.BearerToken != "" && in.BearerTokenString != "" {
			return errors.New("set bearer_token (a file) or bearer_token_string, not both")
		}
		return nil
	}},
	{"workload_labels", func(in *Input) error { return checkList(in.WorkloadLabels) }},
	{"enabled_plugins", func(in *Input) error {
		if len(in.EnabledPlugins) == 0 {
			return errors.New("is empty: enable at least one plugin, e.g. [\"ebpf-net\"]")
		}
		for _, p := range in.EnabledPlugins {
			if _, ok := plugins[p]; !ok {
				return fmt.Errorf("unknown plugin %q (known: %s)", p, knownNames(plugins))
			}
		}
		return nil
	}},
	{"l7net_enabled", func(in *Input) error {
		for _, f := range in.L7NetEnabled {
			if _, ok := l7Features[f]; !ok {
				return fmt.Errorf("unknown feature %q (known: %s)", f, knownNames(l7Features))
			}
		}
		return nil
	}},
	{"pprof_host", func(in *Input) error {
		if in.PprofHost != "" && net.ParseIP(in.PprofHost) == nil && !hostRE.MatchString(in.PprofHost) {
			return fmt.Errorf("%q is not an IP address or host name", in.PprofHost)
		}
		return nil
	}},
	{"pprof_port", func(in *Input) error {
		if in.PprofPort == "" {
			if in.PprofHost != "" {
				return errors.New("must be set when pprof_host is: the pprof server starts only with a port")
			}
			return nil
		}
		return checkPort(in.PprofPort)
	}},
	{"trace_server", func(in *Input) error {
		if in.TraceServer == "" {
			if slices.Contains(in.EnabledPlugins, "ebpf-trace") {
				return errors.New("must be set when enabled_plugins has \"ebpf-trace\"")
			}
			return nil
		}
		host, port, err := net.SplitHostPort(in.TraceServer)
		if err != nil || host == "" {
			return fmt.Errorf("%q is not host:port", in.TraceServer)
		}
		return checkPort(port)
	}},
	{"trace_env_list", func(in *Input) error { return checkList(in.TraceEnvList) }},
	{"trace_env_blacklist", func(in *Input) error { return checkList(in.TraceEnvBlacklist) }},
	{"trace_name_list", func(in *Input) error { return checkList(in.TraceNameList) }},
	{"trace_name_blacklist", func(in *Input) error { return checkList(in.TraceNameBlacklist) }},
	{"ephemeral_port", func(in *Input) error {
		if in.EphemeralPort < 0 || in.EphemeralPort > 65535 {
			return fmt.Errorf("%d is not 0 (the kernel's ip_local_port_range) or a port 1..65535", in.EphemeralPort)
		}
		return nil
	}},
	{"interval", func(in *Input) error {
		d, err := time.ParseDuration(in.Interval)
		if err != nil {
			return fmt.Errorf("%q is not a duration (example: \"60s\", \"1m30s\")", in.Interval)
		}
		if d < MinInterval {
			return fmt.Errorf("%q is below the minimum of %v", in.Interval, MinInterval)
		}
		return nil
	}},
	{"sampling_rate", func(in *Input) error {
		if in.SamplingRate == "" {
			return nil
		}
		if in.SamplingRatePtsPerMin != "" {
			return errors.New("set sampling_rate or sampling_rate_pts_per_min, not both")
		}
		f, err := strconv.ParseFloat(in.SamplingRate, 64)
		if err != nil || f < 0.01 || f > 1 {
			return fmt.Errorf("%q is not a rate in 0.01..1.00", in.SamplingRate)
		}
		return nil
	}},
	{"sampling_rate_pts_per_min", func(in *Input) error {
		if in.SamplingRatePtsPerMin == "" {
			return nil
		}
		if n, err := strconv.Atoi(in.SamplingRatePtsPerMin); err != nil || n <= 0 {
			return fmt.Errorf("%q is not a positive whole number of points per minute", in.SamplingRatePtsPerMin)
		}
		return nil
	}},
	{"udp_recv_peers", func(in *Input) error {
		switch in.UDPRecvPeers {
		case "on-demand", "always", "off":
			return nil
		}
		return fmt.Errorf("%q: want on-demand, always or off", in.UDPRecvPeers)
	}},
	{"tags", func(in *Input) error {
		// The collector takes them as --tags k=v,k2=v2.
		for k, v := range in.Tags {
			if k == "" || v == "" || strings.ContainsAny(k, ",= ") || strings.Contains(v, ",") {
				return fmt.Errorf("%q = %q: keys and values must be non-empty, keys without ',', '=' or spaces, values without ','", k, v)
			}
		}
		return nil
	}},
}

var (
	nameRE = regexp.MustCompile(`^[A-Za-z0-9._-]+$`)
	hostRE = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$`)
	sizeRE = regexp.MustCompile(`^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]i?B|B)?$`)
)

// Validate checks every option and reports all problems, each naming its option.
func (in *Input) Validate() error {
	var errs []error
	for _, c := range checks {
		if err := c.fn(in); err != nil {
			errs = append(errs, &inputs.OptionError{Option: c.option, Err: err})
		}
	}
	return errors.Join(errs...)
}

func checkOption(in *Input, option string) error {
	for _, c := range checks {
		if c.option == option {
			return c.fn(in)
		}
	}
	return nil
}

func checkPort(s string) error {
	if n, err := strconv.Atoi(s); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q is not 1..65535", s)
	}
	return nil
}

func checkList(items []string) error {
	for i, s := range items {
		if strings.TrimSpace(s) == "" {
			return fmt.Errorf("entry %d is empty", i+1)
		}
	}
	return nil
}

// checkSize accepts sizes like "512MiB", "4GiB" or "1.5GB", followed by
// suffix ("/s" for rates); an empty value means no limit.
func checkSize(s, suffix, example string) error {
	if s == "" {
		return nil
	}
	body, ok := strings.CutSuffix(s, suffix)
	m := sizeRE.FindStringSubmatch(body)
	if !ok || m == nil {
		return fmt.Errorf("%q is not a size like %s (units B, KB, KiB, MB, MiB, GB, GiB, TB, TiB)", s, example)
	}
	if f, _ := strconv.ParseFloat(m[1], 64); f <= 0 {
		return fmt.Errorf("%q must be positive", s)
	}
	return nil
}
