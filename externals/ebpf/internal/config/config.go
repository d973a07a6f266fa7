// Package config parses `datakit-ebpf run` flags. The supervisor's ebpf
// input translates its TOML options to exactly these flags.
package config

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"netobs.local/agent/externals/ebpf/internal/lp"
	"netobs.local/agent/externals/ebpf/internal/procselect"
)

// Plugins are every plugin name of the seed, implemented or not.
var Plugins = []string{"ebpf-net", "ebpf-bash", "ebpf-conntrack", "ebpf-trace", "bpf-netlog"}

// L7 are the accepted --l7net-enabled values.
var L7 = []string{"httpflow", "httpflow-tls", "redis", "pgsql", "mysql", "memcached"}

// leanNote ends the help of the options that need ebpf-net's per-syscall
// hooks, so that whoever turns one off learns what turns them all off.
const leanNote = " (with --dnsflow=false, --netflow-udp=false and --l7net-enabled= empty, ebpf-net attaches no program " +
	"to sends and receives: TCP is counted at state changes and at each flush)"

// Config is the parsed command line of `run`.
type Config struct {
	Hostname        string
	APIServer       string
	Log             string
	LogLevel        string
	Service         string
	Enabled         []string
	L7Enabled       []string
	L7CaptureBytes  int // payload bytes captured per syscall for httpflow/dnsflow
	Interval        time.Duration
	IPv6Disabled    bool
	EphemeralPort   uint16
	ExcludeLoopback bool
	Tags            []lp.Tag
	Output          string
	PprofHost       string
	PprofPort       string
	ProcessArgs     bool             // process_path and process_args tags
	Select          procselect.Rules // which processes are observed
	Netlog          Netlog           // bpf-netlog options
	BPFStats        bool             // kernel run-time stats of our programs (costs every BPF run)
	UDPRecvPeers    string           // on-demand, always or off: see netflow.RecvPeers
	DNSFlow         bool             // dnsflow and the domain cache behind dst_domain
	NetflowUDP      bool             // UDP flows in netflow
}

// Parse parses the arguments of `run` and checks them; usage goes to stderr.
func Parse(args []string, stderr io.Writer) (*Config, error) {
	c := &Config{}
	fs := flag.NewFlagSet("datakit-ebpf run", flag.ContinueOnError)
	fs.SetOutput(stderr)
	var enabled, l7, tags string
	var ephemeral int
	var proc processFlags
	proc.register(fs, c)
	c.Netlog.register(fs)
	fs.StringVar(&c.Hostname, "hostname", "", "value of the host tag (default: the system hostname)")
	fs.StringVar(&c.APIServer, "datakit-apiserver", "0.0.0.0:9529", "the supervisor's API address (0.0.0.0 means 127.0.0.1)")
	fs.StringVar(&c.Log, "log", "-", "log file; - or empty for stderr")
	fs.StringVar(&c.LogLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&c.Service, "service", "ebpf", "service name of the collector's own logs")
	fs.StringVar(&enabled, "enabled", "ebpf-net", "comma list of plugins: "+strings.Join(Plugins, ", "))
	fs.StringVar(&l7, "l7net-enabled", "httpflow", "comma list of L7 collections of ebpf-net: "+strings.Join(L7, ", ")+" (empty: none)")
	fs.IntVar(&c.L7CaptureBytes, "l7-capture-bytes", 512, "payload bytes captured per send/recv for httpflow and dnsflow (64 to 4096)")
	fs.DurationVar(&c.Interval, "interval", 60*time.Second, "aggregation and reporting interval (>= 1s)")
	fs.BoolVar(&c.IPv6Disabled, "ipv6-disabled", false, "ignore IPv6 traffic (IPv4-mapped addresses are kept)")
	fs.IntVar(&ephemeral, "ephemeral-port", -1, "first ephemeral port; client ports from here on are reported as * (default: ip_local_port_range's lower bound)")
	fs.BoolVar(&c.ExcludeLoopback, "exclude-loopback", false, "ignore traffic to or from loopback addresses")
	fs.StringVar(&tags, "tags", "", "extra tags k=v,k2=v2 added to every point")
	fs.StringVar(&c.Output, "output", "", "write line protocol to FILE (- for stdout) instead of posting it")
	fs.StringVar(&c.PprofHost, "pprof-host", "127.0.0.1", "pprof listen host")
	fs.StringVar(&c.PprofPort, "pprof-port", "", "pprof listen port (empty: no pprof server)")
	fs.BoolVar(&c.BPFStats, "bpf-stats", false, "report the run count and time of our BPF programs (turns on kernel.bpf_stats_enabled, which adds two clock reads to every BPF program run on the host)")
	fs.StringVar(&c.UDPRecvPeers, "udp-recv-peers", "on-demand", "when to attach the syscall exits that give the senders of datagrams read from unconnected UDP sockets "+
		"(they slow every syscall on the host): on-demand (while such sockets receive), always or off")
	fs.BoolVar(&c.DNSFlow, "dnsflow", true, "dnsflow: DNS queries and answers captured at sockets, and the domain cache behind dst_domain"+leanNote)
	fs.BoolVar(&c.NetflowUDP, "netflow-udp", true, "UDP flows in netflow"+leanNote)
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	}
	var err error
	if c.Enabled, err = list("--enabled", enabled, Plugins); err != nil {
		return nil, err
	}
	if c.L7Enabled, err = list("--l7net-enabled", l7, L7); err != nil {
		return nil, err
	}
	if c.L7CaptureBytes < 64 || c.L7CaptureBytes > 4096 {
		return nil, fmt.Errorf("--l7-capture-bytes %d: want 64 to 4096", c.L7CaptureBytes)
	}
	switch c.UDPRecvPeers {
	case "on-demand", "always", "off":
	default:
		return nil, fmt.Errorf("--udp-recv-peers %q: want on-demand, always or off", c.UDPRecvPeers)
	}
	if c.Interval < time.Second {
		return nil, fmt.Errorf("--interval %v: must be at least 1s", c.Interval)
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", c.LogLevel)
	}
	if ephemeral < 0 {
		if ephemeral, err = EphemeralStart("/proc/sys/net/ipv4/ip_local_port_range"); err != nil {
			return nil, err
		}
	}
	if ephemeral > 65535 {
		return nil, fmt.Errorf("--ephemeral-port %d: not a port", ephemeral)
	}
	c.EphemeralPort = uint16(ephemeral)
	if err := proc.finish(c); err != nil {
		return nil, err
	}
	if c.Tags, err = ParseTags(tags); err != nil {
		return nil, err
	}
	if c.Hostname == "" {
		if c.Hostname, err = os.Hostname(); err != nil {
			return nil, fmt.Errorf("hostname: %w", err)
		}
	}
	return c, nil
}

func list(flagName, s string, allowed []string) ([]string, error) {
	var out []string
	for i, v := range strings.Split(s, ",") {
		v = strings.TrimSpace(v)
		if v == "" {
			continue
		}
		ok := false
		for _, a := range allowed {
			ok = ok || a == v
		}
		if !ok {
			return nil, fmt.Errorf("%s: item %d %q is unknown (known: %s)", flagName, i+1, v, strings.Join(allowed, ", "))
		}
		out = append(out, v)
	}
	return out, nil
}

// ParseTags parses "k=v,k2=v2".
func ParseTags(s string) ([]lp.Tag, error) {
	var tags []lp.Tag
	for i, kv := range strings.Split(s, ",") {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" || v == "" {
			return nil, fmt.Errorf("--tags: item %d %q: want key=value", i+1, kv)
		}
		tags = append(tags, lp.Tag{Key: k, Value: v})
	}
	return tags, nil
}

// EphemeralStart reads the lower bound of an ip_local_port_range file.
func EphemeralStart(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, fmt.Errorf("--ephemeral-port default: %w", err)
	}
	f := strings.Fields(string(b))
	if len(f) != 2 {
		return 0, fmt.Errorf("%s: %q: want two ports", path, b)
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n < 1 || n > 65535 {
		return 0, errors.Join(fmt.Errorf("%s: bad lower bound %q", path, f[0]), err)
	}
	return n, nil
}
