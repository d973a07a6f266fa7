package ebpf

import (
	"strings"
	"testing"

	"netobs.local/agent/inputs"
)

func TestCollectorArgs(t *testing.T) {
	env := inputs.Env{Hostname: "node-1", APIAddr: "127.0.0.1:9529"}
	base := "run --hostname node-1 --datakit-apiserver 127.0.0.1:9529 --log - --log-level info --service ebpf "
	cases := []struct {
		name  string
		tweak func(*Input)
		debug bool
		env   *inputs.Env
		want  string
	}{
		{"defaults", nil, false, nil,
			base + "--enabled ebpf-net --l7net-enabled httpflow --interval 60s"},
		{"debug logging follows the supervisor", nil, true, nil,
			strings.Replace(base, "info", "debug", 1) + "--enabled ebpf-net --l7net-enabled httpflow --interval 60s"},
		{"no hostname, wildcard listen dialled over loopback", nil, false, &inputs.Env{APIAddr: "0.0.0.0:9600"},
			"run --datakit-apiserver 127.0.0.1:9600 --log - --log-level info --service ebpf --enabled ebpf-net --l7net-enabled httpflow --interval 60s"},
		{"every supported option", func(in *Input) {
			in.Name = "net"
			in.Interval = "10s"
			in.IPv6Disabled = true
			in.EphemeralPort = 10001
			in.ExcludeLoopback = true
			in.UDPRecvPeers = "always"
			in.Tags = map[string]string{"zone": "a", "env": "prod"}
			in.PprofPort = "6061"
		}, false, nil,
			strings.Replace(base, "--service ebpf", "--service net", 1) +
				"--enabled ebpf-net --l7net-enabled httpflow --interval 10s --ipv6-disabled --ephemeral-port 10001 --exclude-loopback --udp-recv-peers always" +
				" --tags env=prod,zone=a --pprof-host 127.0.0.1 --pprof-port 6061"},
		{"dnsflow off", func(in *Input) { in.DNSFlow = false }, false, nil,
			base + "--enabled ebpf-net --l7net-enabled httpflow --interval 60s --dnsflow=false"},
		{"UDP netflow off", func(in *Input) { in.NetflowUDP = false }, false, nil,
			base + "--enabled ebpf-net --l7net-enabled httpflow --interval 60s --netflow-udp=false"},
		{"lean ebpf-net: no L7, no dnsflow, no UDP", func(in *Input) {
			in.L7NetEnabled, in.DNSFlow, in.NetflowUDP = []string{}, false, false
		}, false, nil,
			base + "--enabled ebpf-net --l7net-enabled  --interval 60s --dnsflow=false --netflow-udp=false"},
		{"pprof host given", func(in *Input) { in.PprofHost, in.PprofPort = "0.0.0.0", "7000" }, false, nil,
			base + "--enabled ebpf-net --l7net-enabled httpflow --interval 60s --pprof-host 0.0.0.0 --pprof-port 7000"},
		{"unsupported plugins and features are not passed", func(in *Input) {
			in.EnabledPlugins = []string{"ebpf-trace", "ebpf-net", "ebpf-net"}
			in.L7NetEnabled = []string{"httpflow-tls"}
		}, false, nil,
			base + "--enabled ebpf-net --l7net-enabled  --interval 60s"},
		{"process options", func(in *Input) {
			in.ProcessArgs, in.ExcludeCmdRegex, in.IncludePids = true, "^curl ", []int{7, 9}
		}, false, nil,
			base + "--enabled ebpf-net --l7net-enabled httpflow --interval 60s --process-args --exclude-cmd-regex ^curl  --include-pids 7,9"},
		{"netlog options go with bpf-netlog", func(in *Input) {
			in.EnabledPlugins = []string{"ebpf-net", "bpf-netlog"}
			in.NetlogBlacklist, in.NetlogLog = "udp; dst_port == 53", true
		}, false, nil,
			base + "--enabled ebpf-net,bpf-netlog --l7net-enabled httpflow --interval 60s --netlog-blacklist udp; dst_port == 53 --netlog-metric=true --netlog-log=true"},
		{"user args come last", func(in *Input) { in.Args = []string{"--datakit-apiserver", "10.0.0.1:9529", "--output", "-"} }, false, nil,
			base + "--enabled ebpf-net --l7net-enabled httpflow --interval 60s --datakit-apiserver 10.0.0.1:9529 --output -"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := New()
			if c.tweak != nil {
				c.tweak(in)
			}
			e := env
			if c.env != nil {
				e = *c.env
			}
			if got := strings.Join(in.collectorArgs(e, c.debug), " "); got != c.want {
				t.Errorf("args:\n got %s\nwant %s", got, c.want)
			}
		})
	}
}

func TestSupportedL7IsPassed(t *testing.T) {
	in := New() // l7net_enabled = ["httpflow"] by default, as in the seed
	args := strings.Join(in.collectorArgs(inputs.Env{}, false), " ")
	if !strings.Contains(args, "--l7net-enabled httpflow --interval") {
		t.Errorf("args %q lack --l7net-enabled httpflow", args)
	}
}

func TestDialAddr(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:9529": "127.0.0.1:9529",
		"0.0.0.0:9529":   "127.0.0.1:9529",
		":9529":          "127.0.0.1:9529",
		"[::]:9529":      "[::1]:9529",
		"[::1]:9529":     "[::1]:9529",
		"10.1.2.3:80":    "10.1.2.3:80",
		"localhost:9529": "localhost:9529",
	} {
		if got := dialAddr(in); got != want {
			t.Errorf("dialAddr(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestOverridden(t *testing.T) {
	gen := []string{"run", "--interval", "60s", "--datakit-apiserver", "x", "--log", "-"}
	got := overridden(gen, []string{"--interval=5s", "-datakit-apiserver", "y", "--output", "-", "--interval", "6s"})
	if strings.Join(got, " ") != "--interval --datakit-apiserver" {
		t.Errorf("overridden = %v", got)
	}
}
