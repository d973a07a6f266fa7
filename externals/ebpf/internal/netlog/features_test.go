package netlog

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"netobs.local/agent/tests/testenv"
)

// Every namespace is entered and captured in as a capture would; one that
// cannot be is named with its error, and the rest still count.
func TestFeaturesNetns(t *testing.T) {
	ns := testenv.NewNetns(t)
	bogus := filepath.Join(t.TempDir(), "not-a-netns")
	if err := os.WriteFile(bogus, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	good, err := statNetns(filepath.Join("/run/netns", ns.Name))
	if err != nil {
		t.Fatal(err)
	}
	st := netnsStatus([]netns{good, {path: bogus}})
	if !st.On || !strings.Contains(st.Reason, "1 of 2 captured") || !strings.Contains(st.Reason, bogus+": setns") {
		t.Errorf("one good namespace and a plain file: %v", st)
	}
	if st := netnsStatus([]netns{{path: bogus}}); st.On || !strings.Contains(st.Reason, "0 of 1") {
		t.Errorf("no namespace to enter: %v", st)
	}
}

func TestFeaturesRows(t *testing.T) {
	testenv.RequireRoot(t)
	rows := map[string]string{}
	for _, c := range Features("/proc", "/run/netns", "udp; tcp && dst_port == 22") {
		rows[strings.SplitN(c.What, " ", 2)[0]] = c.Status.String()
	}
	for first, want := range map[string]string{
		"AF_PACKET": "on", "8": "on", "kernel": "on", "network": "on: ", "netlog_blacklist": "on: 2 rules compile", "listening": "on",
	} {
		if got := rows[first]; !strings.HasPrefix(got, want) {
			t.Errorf("row %s...: %q, want %q", first, got, want)
		}
	}
}

func TestFeaturesBlacklist(t *testing.T) {
	for src, want := range map[string]string{
		"":                                "on: none given",
		"udp":                             "on: 1 rule compiles",
		"udp; tcp && dst_port == 22":      "on: 2 rules compile",
		"tcp && dst_prot == 1; udp && xx": "off: does not compile: 1:8: unknown field dst_prot (did you mean dst_port?); 1:30: unknown field xx",
		`ipnet_contains("10.0.0.0/33", ip_saddr)`: "off: does not compile: 1:16",
	} {
		if got := blacklistStatus(src).String(); !strings.HasPrefix(got, want) {
			t.Errorf("%q: %q, want %q", src, got, want)
		}
	}
}
