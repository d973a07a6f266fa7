package e2e

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"netobs.local/agent/tests/testenv"
)

// The budget the test sets (http_api.max_inflight_bytes; the default is
// 256 MiB), and the base over it that peak RSS stays under (agent.MemoryBase),
// as documented in the API README.
const (
	budgetBytes = 200 << 20
	baseBytes   = 128 << 20
)

// TestSupervisorMemoryBounded is the hostile-ingest benchmark of issue 15,
// against the real binary: 32 concurrent gzip bodies that each inflate to
// 28 MiB of valid line protocol, then 300 connections that each declare
// 32 MiB and trickle their bodies, while well-behaved writers keep
// posting. The supervisor's peak RSS (VmHWM) must stay under the budget
// plus the base; the writers get only 200 or 429, and every point answered
// 200, theirs and the bulk bodies', reaches the local files. It prints the
// figures the API README records; nothing in it is timed.
func TestSupervisorMemoryBounded(t *testing.T) {
	t.Setenv("ENV_HTTP_BODY_TIMEOUT", "4s") // the trickles are cut within the test
	// Not the default, so that the bound below holds only if the budget,
	// and the memory limit derived from it, are the ones configured.
	t.Setenv("ENV_HTTP_MAX_INFLIGHT_BYTES", strconv.Itoa(budgetBytes))
	s := StartSupervisor(t, "", nil)
	pid := s.Proc.Pid()
	idle := procStatus(t, pid, "VmRSS")
	t.Logf("idle RSS %s", mib(idle))

	// Well-behaved writers: small batches of unique points throughout.
	stop := make(chan struct{})
	var writers sync.WaitGroup
	var acked sync.Map // seq -> true
	var sent, ok, busy atomic.Int64
	client := &http.Client{Timeout: 30 * time.Second}
	for w := range 4 {
		writers.Add(1)
		go func() {
			defer writers.Done()
			for b := 0; ; b++ {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
				}
				var body strings.Builder
				first := (w*1_000_000 + b) * 50
				for i := first; i < first+50; i++ {
					fmt.Fprintf(&body, "writer,w=%d seq=%di %d\n", w, i, 1_700_000_000_000_000_000+int64(i))
				}
				sent.Add(1)
				resp, err := client.Post("http://"+s.Addr+"/v1/write/metric", "text/plain", strings.NewReader(body.String()))
				if err != nil {
					t.Errorf("writer %d: %v", w, err)
					return
				}
				resp.Body.Close()
				switch resp.StatusCode {
				case 200:
					ok.Add(1)
					for i := first; i < first+50; i++ {
						acked.Store(int64(i), true)
					}
				case 429:
					busy.Add(1)
				default:
					t.Errorf("writer %d: status %d", w, resp.StatusCode)
					return
				}
			}
		}()
	}

	// Phase 1: 32 gzip bodies at once, each 28 MiB of line protocol inflated.
	line := "bulk,host=h,src=10.0.0.1,dst=10.0.0.2 bytes=1234i,pkts=5i,msg=\"a message of some length\" 1700000000000000000\n"
	lines := (28 << 20) / len(line)
	var zb bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&zb, gzip.BestCompression)
	zw.Write(bytes.Repeat([]byte(line), lines))
	zw.Close()
	t.Logf("phase 1: 32 gzip bodies of %d bytes, each %d lines, %s inflated", zb.Len(), lines, mib(int64(lines*len(line))))
	statuses := make([]int, 32)
	var budgetBusy atomic.Int64 // 429s that name the configured budget
	var bulk sync.WaitGroup
	start := time.Now()
	for i := range statuses {
		bulk.Add(1)
		go func() {
			defer bulk.Done()
			req, _ := http.NewRequest("POST", "http://"+s.Addr+"/v1/write/logging", bytes.NewReader(zb.Bytes()))
			req.Header.Set("Content-Encoding", "gzip")
			resp, err := client.Do(req)
			if err != nil {
				t.Errorf("gzip body %d: %v", i, err)
				return
			}
			answer, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			statuses[i] = resp.StatusCode
			if resp.StatusCode == 429 && strings.Contains(string(answer), fmt.Sprintf("max_inflight_bytes (%d)", budgetBytes)) {
				budgetBusy.Add(1)
			}
		}()
	}
	peak1 := sampleRSS(t, pid, func() { bulk.Wait() })
	bulkOK := 0
	for _, st := range statuses {
		if st == 200 {
			bulkOK++
		} else if st != 429 {
			t.Errorf("gzip body: status %d", st)
		}
	}
	t.Logf("phase 1: %d of 32 answered 200, the rest 429 (%d for want of room in the budget), in %v; sampled peak RSS %s",
		bulkOK, budgetBusy.Load(), time.Since(start).Round(time.Millisecond), mib(peak1))
	if budgetBusy.Load() == 0 {
		t.Errorf("no 429 named the budget of %d bytes", budgetBytes)
	}
	time.Sleep(2 * time.Second)
	after1 := procStatus(t, pid, "VmRSS")
	t.Logf("phase 1: RSS 2 s after the burst %s", mib(after1))

	// Phase 2: 300 connections declare 32 MiB and send a byte every 100 ms.
	start = time.Now()
	var trickles sync.WaitGroup
	var cut atomic.Int64
	for range 300 {
		trickles.Add(1)
		go func() {
			defer trickles.Done()
			// The answer names the body_timeout in force: the variable is honoured.
			if st, answer := trickle(t, s.Addr, 32<<20); st == 408 && strings.Contains(answer, "within body_timeout (4s)") {
				cut.Add(1)
			}
		}()
	}
	peak2 := sampleRSS(t, pid, func() { trickles.Wait() })
	t.Logf("phase 2: %d of 300 trickled bodies cut with 408 after %v; sampled peak RSS %s",
		cut.Load(), time.Since(start).Round(time.Millisecond), mib(peak2))
	if cut.Load() != 300 {
		t.Errorf("%d of 300 trickled bodies got 408 naming body_timeout (4s)", cut.Load())
	}
	close(stop)
	writers.Wait()

	hwm := procStatus(t, pid, "VmHWM")
	t.Logf("writers: %d batches, %d answered 200, %d 429", sent.Load(), ok.Load(), busy.Load())
	t.Logf("peak RSS (VmHWM) %s; budget %s + base %s = %s", mib(hwm), mib(budgetBytes), mib(baseBytes), mib(budgetBytes+baseBytes))
	if hwm > budgetBytes+baseBytes {
		t.Errorf("peak RSS %s is over the budget plus the base (%s)", mib(hwm), mib(budgetBytes+baseBytes))
	}
	if ok.Load() == 0 {
		t.Errorf("no writer batch was accepted")
	}

	// Nothing answered 200 is lost.
	want := 0
	acked.Range(func(any, any) bool { want++; return true })
	testenv.Eventually(t, 60*time.Second, "every acknowledged point in the local files", func() bool {
		got := map[int64]bool{}
		for _, smp := range testenv.LPFileSamples(t, filepath.Join(s.DataDir, "local", "metric"), "writer", "seq") {
			got[int64(smp.Value)] = true
		}
		missing := 0
		acked.Range(func(k, _ any) bool {
			if !got[k.(int64)] {
				missing++
			}
			return true
		})
		return missing == 0 && countLines(t, filepath.Join(s.DataDir, "local", "logging")) >= bulkOK*lines
	})
	t.Logf("local files: all %d acknowledged writer points and the %d lines of the %d bulk bodies answered 200", want, bulkOK*lines, bulkOK)
}

// trickle declares length bytes, sends one every 100 ms and returns the
// server's answer.
func trickle(t *testing.T, addr string, length int) (int, string) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Errorf("trickle: %v", err)
		return 0, ""
	}
	defer c.Close()
	fmt.Fprintf(c, "POST /v1/write/metric HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n", length)
	type answer struct {
		status int
		body   string
	}
	answered := make(chan answer, 1)
	go func() {
		c.SetReadDeadline(time.Now().Add(30 * time.Second))
		resp, err := http.ReadResponse(bufio.NewReader(c), nil)
		if err != nil {
			answered <- answer{}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		answered <- answer{resp.StatusCode, string(b)}
	}()
	for tick := time.NewTicker(100 * time.Millisecond); ; {
		select {
		case a := <-answered:
			tick.Stop()
			return a.status, a.body
		case <-tick.C:
			c.Write([]byte("m"))
		}
	}
}

// sampleRSS runs wait while reading the process's RSS every 50 ms, and
// returns the largest sample.
func sampleRSS(t *testing.T, pid int, wait func()) int64 {
	done := make(chan struct{})
	var peak int64
	go func() {
		defer close(done)
		for {
			select {
			case <-done:
				return
			default:
			}
			peak = max(peak, procStatus(t, pid, "VmRSS"))
			time.Sleep(50 * time.Millisecond)
		}
	}()
	wait()
	done <- struct{}{}
	<-done
	return peak
}

// procStatus reads a "kB" line of /proc/PID/status, in bytes.
func procStatus(t *testing.T, pid int, key string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Errorf("reading /proc/%d/status: %v", pid, err)
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, key+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			return kb << 10
		}
	}
	t.Errorf("no %s in /proc/%d/status", key, pid)
	return 0
}

func countLines(t *testing.T, dir string) int {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.lp"))
	n := 0
	for _, p := range paths {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		n += bytes.Count(b, []byte{'\n'})
	}
	return n
}

func mib(n int64) string { return fmt.Sprintf("%.0f MiB", float64(n)/(1<<20)) }
