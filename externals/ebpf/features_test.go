package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"netobs.local/agent/tests/testenv"
)

// featureRows runs `datakit-ebpf features` (prefixed by wrap, a command
// such as setpriv) and returns the status of each row of plugin.
func featureRows(t *testing.T, plugin string, wrap []string, args ...string) map[string]string {
	t.Helper()
	argv := append(append(wrap, testenv.Binary(t, "datakit-ebpf"), "features"), args...)
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = os.TempDir() // readable by an unprivileged user
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s", strings.Join(argv, " "), err, out)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(out), "\n") {
		rest, ok := strings.CutPrefix(line, plugin+" ")
		if !ok {
			continue
		}
		// columns are padded with 2+ spaces
		cols := strings.Split(strings.TrimSpace(rest), "  ")
		what, status := cols[0], strings.TrimSpace(cols[len(cols)-1])
		rows[strings.SplitN(what, " ", 2)[0]] = status
	}
	return rows
}

// bpf-netlog's rows: as root on this host everything is on, and the
// blacklist given is compiled; as nobody, the packet socket and setns are
// refused with the capability that is missing.
func TestFeaturesNetlog(t *testing.T) {
	testenv.RequireRoot(t)
	rows := featureRows(t, "bpf-netlog", nil, "--netlog-blacklist", "tcp && dst_prot == 80")
	for first, want := range map[string]string{
		"AF_PACKET": "on", "8": "on", "kernel": "on", "network": "on: ",
		"netlog_blacklist": "off: does not compile: 1:8: unknown field dst_prot (did you mean dst_port?)", "listening": "on",
	} {
		if got := rows[first]; !strings.HasPrefix(got, want) {
			t.Errorf("root: row %s...: %q, want %q", first, got, want)
		}
	}

	testenv.RequireBinaries(t, "setpriv")
	nobody := []string{"setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--inh-caps=-all"}
	rows = featureRows(t, "bpf-netlog", nobody)
	for first, want := range map[string]string{
		"AF_PACKET": "off: not permitted", "8": "off: no packet socket", "network": "off: 0 of",
	} {
		if got := rows[first]; !strings.HasPrefix(got, want) {
			t.Errorf("nobody: row %s...: %q, want %q", first, got, want)
		}
	}
	if !strings.Contains(rows["AF_PACKET"], "CAP_NET_RAW") || !strings.Contains(rows["network"], "CAP_SYS_ADMIN") {
		t.Errorf("nobody: the reasons do not name the capabilities: %v", rows)
	}
}
