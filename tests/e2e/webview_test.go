package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"netobs.local/agent/tests/testenv"
)

// TestWebView runs datakit with the ebpf input, drives HTTP (curl ->
// nginx) and DNS (dig -> dnsmasq) traffic, opens the page at / in
// headless Chromium and checks, in the rendered tables, the curl -> nginx
// flow, its endpoint and the DNS queries with their exact counts. It saves
// a screenshot of each view under tests/artifacts/webview/ (ignored by git).
// Then it runs `datakit monitor` under tmux against the same supervisor.
func TestWebView(t *testing.T) {
	testenv.RequireRoot(t)
	testenv.RequireBinaries(t, "curl", "nginx", "dig", "dnsmasq", "chromium")
	ng := testenv.StartNginx(t, "")
	ng.WriteFile(t, "small", 1000)
	dnsPort := startDnsmasq(t)
	s := httpflowSupervisor(t)
	_, held := waitCollector(t, s, 0)

	const requests = 5
	args := []string{"-s", "-H", "Connection: close"}
	for i := 0; i < requests; i++ {
		args = append(args, "-o", "/dev/null", ng.URL("/small"))
	}
	if out, err := exec.Command("curl", args...).CombinedOutput(); err != nil {
		t.Fatalf("curl: %v %s", err, out)
	}
	dig := func(name string, n int) {
		for i := 0; i < n; i++ {
			exec.Command("dig", "@127.0.0.1", "-p", strconv.Itoa(dnsPort), "+tries=1", "+timeout=1", name).Run()
		}
	}
	dig("known.test", 3)
	dig("missing.test", 2)

	// The view's JSON first, so a failure below is the page's.
	port := strconv.Itoa(ng.Port)
	testenv.Eventually(t, 20*time.Second, "the curl -> nginx flow and the DNS queries in /v1/view", func() bool {
		var f struct {
			Edges []struct {
				From, To    string
				Connections int
			}
		}
		var d struct {
			Domains []struct {
				Direction, Process, Domain string
				Count, NXDomain            int
			}
		}
		getJSON(t, s, "/v1/view/flows?since=5m", &f)
		getJSON(t, s, "/v1/view/dns?since=5m&process=dig", &d)
		conns, known, missing := 0, 0, 0
		for _, e := range f.Edges {
			if e.From == "process:curl" && e.To == "process:nginx" {
				conns = e.Connections
			}
		}
		for _, x := range d.Domains {
			if x.Domain == "known.test" {
				known += x.Count
			}
			if x.Domain == "missing.test" {
				missing += x.NXDomain
			}
		}
		return conns >= requests && known >= 3 && missing >= 2
	})

	dir := filepath.Join(testenv.RepoRoot(t), "tests", "artifacts", "webview")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx := browser(t)
	cells := func(view, key string) []string {
		t.Helper()
		sel := fmt.Sprintf(`tr[data-key=%q]`, key)
		c := step(t, ctx)
		err := chromedp.Do(c, chromedp.Navigate("http://"+s.Addr+"/#"+view), chromedp.WaitVisible(`body[data-loaded=`+view+`]`), chromedp.WaitVisible(sel))
		var out []string
		if err == nil {
			out, err = chromedp.Run(c, chromedp.Evaluate[[]string](fmt.Sprintf(`[...document.querySelector(%q).cells].map(c => c.textContent)`, sel)))
		}
		if err != nil {
			t.Fatalf("%s: row %s: %v", view, key, err)
		}
		return out
	}
	shot := func(view string) {
		t.Helper()
		c := step(t, ctx)
		err := chromedp.Do(c, chromedp.Navigate("http://"+s.Addr+"/#"+view), chromedp.WaitVisible(`body[data-loaded=`+view+`]`), chromedp.Sleep(300*time.Millisecond))
		var png []byte
		if err == nil {
			png, err = chromedp.Run(c, chromedp.FullScreenshot(100))
		}
		if err != nil {
			t.Fatalf("%s: %v", view, err)
		}
		if err := os.WriteFile(filepath.Join(dir, view+".png"), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}

	// Map: client, server, endpoint, transport, connections, closed, ...
	edge := cells("map", "curl>nginx|tcp")
	if edge[2] != "127.0.0.1:"+port || edge[4] != strconv.Itoa(requests) || edge[5] != strconv.Itoa(requests) {
		t.Errorf("map row curl -> nginx: %q, want endpoint 127.0.0.1:%s and %d connections opened and closed", edge, port, requests)
	}
	shot("map")
	// HTTP: both sides of GET /small, count in column 5.
	for _, side := range []string{"incoming|nginx", "outgoing|curl"} {
		row := cells("http", side+"|127.0.0.1:"+port+"|GET /small")
		if row[5] != strconv.Itoa(requests) || row[6] != "0" || row[7] != "0" {
			t.Errorf("http row %s: %q, want %d requests and no errors", side, row, requests)
		}
	}
	shot("http")
	// DNS: dig's side; queries in column 4, nxdomain in 5.
	if row := cells("dns", "outgoing|dig|known.test"); row[4] != "3" || row[5] != "0" {
		t.Errorf("dns known.test: %q, want 3 queries, no NXDOMAIN", row)
	}
	if row := cells("dns", "outgoing|dig|missing.test"); row[4] != "2" || row[5] != "2" {
		t.Errorf("dns missing.test: %q, want 2 queries, 2 NXDOMAIN", row)
	}
	shot("dns")
	if row := cells("health", "ebpf-net"); row[1] == "0" {
		t.Errorf("health: ebpf-net decoded no records: %q", row)
	}
	for _, v := range []string{"talkers", "health", "bash", "netlog"} {
		shot(v)
	}
	t.Logf("screenshots in %s", dir)

	// datakit monitor, in a terminal that tmux emulates, against the same
	// supervisor: the ebpf input, a sender of its collector with a
	// non-zero rate, and the local output's queue.
	session := fmt.Sprintf("dkmon-%d", os.Getpid())
	mon := exec.Command("tmux", "new-session", "-d", "-s", session, "-x", "150", "-y", "60",
		testenv.Binary(t, "datakit"), "monitor", "--to", s.Addr, "--interval", "3s")
	if out, err := mon.CombinedOutput(); err != nil {
		t.Fatalf("tmux: %v %s", err, out)
	}
	t.Cleanup(func() { exec.Command("tmux", "kill-session", "-t", session).Run() })
	var screen string
	testenv.Eventually(t, 20*time.Second, "datakit monitor to show a point rate of ebpf-net", func() bool {
		out, _ := exec.Command("tmux", "capture-pane", "-p", "-t", session).Output()
		screen = string(out)
		return monitorRate(screen, "ebpf-net/") > 0
	})
	if !regexp.MustCompile(`(?m)^\s*ebpf\s+\S*ebpf\.conf:\d+\s+0$`).MatchString(screen) ||
		!regexp.MustCompile(`(?m)^\s*local\s+\d+\s+\d+\s+[1-9]\d*\s+0$`).MatchString(screen) {
		t.Errorf("the monitor does not show the ebpf input and the local output's queue:\n%s", screen)
	}
	if err := os.WriteFile(filepath.Join(dir, "monitor.txt"), []byte(screen), 0o644); err != nil {
		t.Fatal(err)
	}

	s.Proc.Stop(20 * time.Second)
	testenv.AssertBPFReleased(t, held)
}

// monitorRate is the largest points/s of the senders whose name starts
// with prefix on the monitor's screen.
func monitorRate(screen, prefix string) float64 {
	best := 0.0
	for _, l := range strings.Split(screen, "\n") {
		f := strings.Fields(l)
		if len(f) == 3 && strings.HasPrefix(f[0], prefix) {
			if r, err := strconv.ParseFloat(f[2], 64); err == nil && r > best {
				best = r
			}
		}
	}
	return best
}

func getJSON(t *testing.T, s *Supervisor, path string, into any) {
	t.Helper()
	status, body := s.Get(path)
	if status != 200 {
		t.Fatalf("%s: %d %s", path, status, body)
	}
	if err := json.Unmarshal([]byte(body), into); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}

// browser starts Debian's chromium, headless, with a new profile and no
// background connections (this machine's network is closed).
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath("chromium"), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1400, 900),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-component-update", true))
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	if err := chromedp.Do(ctx); err != nil { // starts the browser; no timeout, it would stop it
		t.Fatalf("starting chromium: %v", err)
	}
	return ctx
}

// step bounds one browser action.
func step(t *testing.T, ctx context.Context) context.Context {
	ctx, cancel := context.WithTimeout(ctx, 15*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// startDnsmasq answers known.test and says NXDOMAIN for missing.test, on a
// free loopback port.
func startDnsmasq(t *testing.T) int {
	t.Helper()
	port := testenv.FreePort(t)
	testenv.Start(t, "dnsmasq", "--no-daemon", "--no-resolv", "--no-hosts", "--user=root",
		"--listen-address=127.0.0.1", "--bind-interfaces", fmt.Sprintf("--port=%d", port),
		"--address=/known.test/127.0.0.1", "--address=/missing.test/")
	testenv.WaitPort(t, net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), 10*time.Second)
	return port
}
