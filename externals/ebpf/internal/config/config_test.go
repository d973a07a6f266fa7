package config

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseDefaultsAndFlags(t *testing.T) {
	c, err := Parse([]string{"--hostname", "h1", "--interval", "2s", "--ephemeral-port", "10001",
		"--enabled", "ebpf-net, ebpf-bash", "--l7net-enabled", "httpflow", "--tags", "a=b,c=d",
		"--exclude-loopback", "--ipv6-disabled", "--output", "-"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if c.Hostname != "h1" || c.Interval != 2*time.Second || c.EphemeralPort != 10001 ||
		strings.Join(c.Enabled, "|") != "ebpf-net|ebpf-bash" || c.L7Enabled[0] != "httpflow" ||
		len(c.Tags) != 2 || c.Tags[1].Key != "c" || !c.ExcludeLoopback || !c.IPv6Disabled ||
		c.Output != "-" || c.APIServer != "0.0.0.0:9529" || c.Service != "ebpf" || c.PprofPort != "" {
		t.Fatalf("parsed %+v", c)
	}
}

func TestParseErrors(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--interval", "500ms"}, "at least 1s"},
		{[]string{"--enabled", "ebpf-net,nope"}, `item 2 "nope" is unknown`},
		{[]string{"--l7net-enabled", "grpc"}, `"grpc" is unknown`},
		{[]string{"--l7-capture-bytes", "8192"}, "--l7-capture-bytes 8192: want 64 to 4096"},
		{[]string{"--tags", "a=b,c"}, `item 2 "c"`},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--ephemeral-port", "70000"}, "not a port"},
		{[]string{"extra"}, "unexpected argument"},
	} {
		_, err := Parse(c.args, io.Discard)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: error %v, want %q", c.args, err, c.want)
		}
	}
}

func TestEphemeralStart(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "range")
	os.WriteFile(p, []byte("32768\t60999\n"), 0o644)
	if n, err := EphemeralStart(p); err != nil || n != 32768 {
		t.Fatalf("got %d %v", n, err)
	}
	os.WriteFile(p, []byte("x 1\n"), 0o644)
	if _, err := EphemeralStart(p); err == nil {
		t.Fatal("bad file accepted")
	}
}

func TestParseProcessFlags(t *testing.T) {
	c, err := Parse([]string{"--process-args", "--include-cmd-regex", "^nginx", "--exclude-cmd-regex", "curl",
		"--include-pids", "1, 2", "--exclude-pids", "3", "--exclude-container-regex", "^kube-"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	r := c.Select
	if !c.ProcessArgs || !r.IncludeCmd.MatchString("nginx -g") || !r.ExcludeCmd.MatchString("/usr/bin/curl") ||
		!r.IncludePids[1] || !r.IncludePids[2] || !r.ExcludePids[3] || r.IncludeContainer != nil ||
		!r.ExcludeContainer.MatchString("kube-proxy") {
		t.Fatalf("parsed %+v %+v", c, r)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{"--exclude-cmd-regex", "a(b"}, `--exclude-cmd-regex "a(b": error parsing regexp`},
		{[]string{"--include-pids", "1,x"}, `--include-pids: item 2 "x" is not a pid`},
		{[]string{"--exclude-pids", "0"}, `item 1 "0" is not a pid`},
	} {
		if _, err := Parse(bad.args, io.Discard); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%v: error %v, want %q", bad.args, err, bad.want)
		}
	}
}

// httpflow is on by default (the seed's l7net_enabled = ["httpflow"]) and
// an empty list turns it off.
func TestL7Defaults(t *testing.T) {
	c, err := Parse([]string{"--ephemeral-port", "32768"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(c.L7Enabled, ",") != "httpflow" || c.L7CaptureBytes != 512 {
		t.Errorf("defaults: l7 %q, capture bytes %d", c.L7Enabled, c.L7CaptureBytes)
	}
	c, err = Parse([]string{"--ephemeral-port", "32768", "--l7net-enabled", "", "--l7-capture-bytes", "1024"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.L7Enabled) != 0 || c.L7CaptureBytes != 1024 {
		t.Errorf("l7 %q, capture bytes %d", c.L7Enabled, c.L7CaptureBytes)
	}
}

// dnsflow and UDP netflow are on by default; turning them off with an empty
// --l7net-enabled is the lean mode, whose help every one of them names.
func TestDNSFlowAndNetflowUDP(t *testing.T) {
	for _, c := range []struct {
		args         []string
		dns, udp, ok bool
	}{
		{nil, true, true, true},
		{[]string{"--dnsflow=false"}, false, true, true},
		{[]string{"--netflow-udp=false"}, true, false, true},
		{[]string{"--dnsflow=false", "--netflow-udp=false", "--l7net-enabled="}, false, false, true},
		{[]string{"--dnsflow=false", "--dnsflow"}, true, true, true}, // the last one wins, as the input relies on
		{[]string{"--dnsflow=maybe"}, false, false, false},
		{[]string{"--netflow-udp=2"}, false, false, false},
	} {
		got, err := Parse(append([]string{"--ephemeral-port", "32768"}, c.args...), io.Discard)
		if !c.ok {
			if err == nil {
				t.Errorf("%v accepted", c.args)
			}
			continue
		}
		if err != nil {
			t.Errorf("%v: %v", c.args, err)
			continue
		}
		if got.DNSFlow != c.dns || got.NetflowUDP != c.udp {
			t.Errorf("%v: dnsflow %v, netflow-udp %v; want %v, %v", c.args, got.DNSFlow, got.NetflowUDP, c.dns, c.udp)
		}
	}
	var help strings.Builder
	Parse([]string{"--help"}, &help)
	for _, flag := range []string{"-dnsflow", "-netflow-udp"} {
		i := strings.Index(help.String(), "  "+flag+"\n")
		if i < 0 {
			t.Fatalf("help lacks %s:\n%s", flag, help.String())
		}
		if usage, _, _ := strings.Cut(help.String()[i+len(flag)+3:], "\n  -"); !strings.Contains(usage, "attaches no program to sends and receives") {
			t.Errorf("help of %s does not say what the lean mode is: %q", flag, usage)
		}
	}
}
