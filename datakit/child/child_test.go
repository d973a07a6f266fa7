package child

import (
	"context"
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestOutputForwardedWithPrefix(t *testing.T) {
	_, c := startSh(t, "outtest", `echo hello out; echo "level=WARN msg=careful" >&2; exec sleep 30`, nil)
	eventually(t, 5*time.Second, "both lines", func() bool {
		return len(c.matching("outtest: hello out")) == 1 && len(c.matching("outtest: careful")) == 1
	})
	out := c.matching("outtest: hello out")[0]
	if out.attrs["stream"] != "stdout" || out.level != slog.LevelInfo {
		t.Errorf("stdout record = %+v, want stream=stdout level INFO", out)
	}
	errRec := c.matching("outtest: careful")[0] // a slog line, relayed as its record
	if errRec.attrs["stream"] != "stderr" || errRec.level != slog.LevelWarn {
		t.Errorf("stderr record = %+v, want stream=stderr level WARN", errRec)
	}
}

func TestEnvironmentPassed(t *testing.T) {
	t.Setenv("CHILD_TEST_INHERITED", "from-parent")
	t.Setenv("CHILD_TEST_OVERRIDDEN", "old")
	_, c := startSh(t, "envtest", `echo "got=$CHILD_TEST_GIVEN,$CHILD_TEST_INHERITED,$CHILD_TEST_OVERRIDDEN path=$PATH"; exec sleep 30`,
		func(s *Spec) { s.Env = []string{"CHILD_TEST_GIVEN=given", "CHILD_TEST_OVERRIDDEN=new"} })
	eventually(t, 5*time.Second, "env line", func() bool { return len(c.matching("envtest: got=")) > 0 })
	line := c.matching("envtest: got=")[0].msg
	want := "envtest: got=given,from-parent,new path=" + os.Getenv("PATH")
	if line != want {
		t.Errorf("child saw %q, want %q", line, want)
	}
}

func TestRestartWithBoundedBackoff(t *testing.T) {
	var callbacks atomic.Int32
	before := counterValue(t, "restarttest")
	p, c := startSh(t, "restarttest", `echo started; exit 3`, func(s *Spec) {
		s.MinBackoff, s.MaxBackoff, s.StableAfter = 40*time.Millisecond, 160*time.Millisecond, time.Hour
		s.OnRestart = func() { callbacks.Add(1) }
	})
	const runs = 8
	eventually(t, 20*time.Second, "8 runs", func() bool { return len(c.matching("restarttest: started")) >= runs })
	p.Stop()

	starts := c.matching("restarttest: started")
	// Delays 40, 80, 160, then capped at 160 ms.
	want := []time.Duration{40, 80, 160, 160, 160, 160, 160}
	for i := 0; i+1 < runs; i++ {
		gap := starts[i+1].at.Sub(starts[i].at)
		if gap < want[i]*time.Millisecond {
			t.Errorf("gap before run %d = %v, want at least %v", i+2, gap, want[i]*time.Millisecond)
		}
		// Without the cap the last two gaps would be 1.28 s and 2.56 s.
		if i >= 5 && gap > time.Second {
			t.Errorf("gap before run %d = %v: backoff not bounded by MaxBackoff", i+2, gap)
		}
	}
	n := p.Restarts()
	if n < runs-1 || int(callbacks.Load()) != n {
		t.Errorf("Restarts() = %d, callbacks = %d, want equal and >= %d", n, callbacks.Load(), runs-1)
	}
	if got := counterValue(t, "restarttest") - before; got != float64(n) {
		t.Errorf("datakit_child_restarts_total{input=restarttest} grew by %v, want %d", got, n)
	}
	if exits := c.matching("restarttest: child exited"); len(exits) < runs-1 || !strings.Contains(exits[0].attrs["err"], "exit status 3") {
		t.Errorf("exit records = %+v, want the exit status logged", exits)
	}
	if z := zombieChildren(t); len(z) > 0 {
		t.Errorf("zombie children left: %v", z)
	}
}

func TestNextBackoff(t *testing.T) {
	s := Spec{MinBackoff: time.Second, MaxBackoff: 8 * time.Second, StableAfter: time.Minute}
	cases := []struct {
		prev, ranFor, want time.Duration
	}{
		{0, 0, time.Second},                             // first restart
		{time.Second, time.Second, 2 * time.Second},     // quick exit doubles
		{4 * time.Second, 0, 8 * time.Second},           // up to the cap
		{8 * time.Second, time.Second, 8 * time.Second}, // and stays there
		{8 * time.Second, time.Minute, time.Second},     // a stable run resets it
		{8 * time.Second, 2 * time.Hour, time.Second},   // also after a long one
		{2 * time.Second, 59 * time.Second, 4 * time.Second},
	}
	for _, c := range cases {
		if got := s.nextBackoff(c.prev, c.ranFor); got != c.want {
			t.Errorf("nextBackoff(%v, ran %v) = %v, want %v", c.prev, c.ranFor, got, c.want)
		}
	}
}

func TestStopEscalatesToSIGKILL(t *testing.T) {
	p, c := startSh(t, "trapper", `trap "echo got TERM" TERM; echo ready; while :; do sleep 0.05; done`,
		func(s *Spec) { s.StopTimeout = 300 * time.Millisecond })
	eventually(t, 5*time.Second, "ready", func() bool { return len(c.matching("trapper: ready")) > 0 })
	pid := p.Pid()
	begin := time.Now()
	p.Stop()
	took := time.Since(begin)
	if took < 300*time.Millisecond {
		t.Errorf("Stop took %v: SIGKILL came before the timeout", took)
	}
	if took > 5*time.Second {
		t.Errorf("Stop took %v", took)
	}
	if len(c.matching("trapper: got TERM")) == 0 {
		t.Error("the child never saw SIGTERM")
	}
	if len(c.matching("trapper: child ignored SIGTERM; sending SIGKILL")) != 1 {
		t.Error("no record of the SIGKILL escalation")
	}
	if alive(pid) {
		t.Errorf("pid %d still alive after Stop", pid)
	}
	if z := zombieChildren(t); len(z) > 0 {
		t.Errorf("zombie children left: %v", z)
	}
}

func TestStopWithSIGTERMIsQuick(t *testing.T) {
	p, _ := startSh(t, "polite", `exec sleep 30`, func(s *Spec) { s.StopTimeout = 10 * time.Second })
	begin := time.Now()
	p.Stop()
	if took := time.Since(begin); took > 3*time.Second {
		t.Errorf("Stop of a child that honours SIGTERM took %v", took)
	}
	if p.Restarts() != 0 {
		t.Errorf("a stopped child was restarted %d times", p.Restarts())
	}
}

func TestDescendantsStoppedWithTheChild(t *testing.T) {
	// The child backgrounds a grandchild and exits; the grandchild must not
	// outlive the run (it would hold the log pipes and duplicate work).
	_, c := startSh(t, "forker", `sleep 30 & echo "grandchild=$!"; exit 0`,
		func(s *Spec) { s.MinBackoff, s.MaxBackoff = time.Hour, time.Hour })
	eventually(t, 5*time.Second, "grandchild pid", func() bool { return len(c.matching("forker: grandchild=")) > 0 })
	pid, err := strconv.Atoi(strings.TrimPrefix(c.matching("forker: grandchild=")[0].msg, "forker: grandchild="))
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "grandchild killed", func() bool { return !alive(pid) })
	eventually(t, 5*time.Second, "exit logged", func() bool { return len(c.matching("forker: child exited")) > 0 })
}

func TestDuplicateNameRefused(t *testing.T) {
	p, _ := startSh(t, "dup", `exec sleep 30`, nil)
	_, err := Start(context.Background(), Spec{Name: "dup", Path: "/bin/sleep", Args: []string{"30"}})
	if !errors.Is(err, ErrAlreadyRunning) || !strings.Contains(err.Error(), `"dup"`) {
		t.Fatalf("second Start = %v, want an error naming input \"dup\"", err)
	}
	p.Stop()
	// Once stopped, the name is free again.
	q, err := Start(context.Background(), Spec{Name: "dup", Path: "/bin/sleep", Args: []string{"30"}})
	if err != nil {
		t.Fatalf("Start after Stop: %v", err)
	}
	q.Stop()
}

func TestFirstStartFailureIsReported(t *testing.T) {
	_, err := Start(context.Background(), Spec{Name: "missing", Path: "/nonexistent/datakit-ebpf"})
	if err == nil || !strings.Contains(err.Error(), `"missing"`) || !strings.Contains(err.Error(), "/nonexistent/datakit-ebpf") {
		t.Fatalf("Start = %v, want an error naming the input and the path", err)
	}
	p, err := Start(context.Background(), Spec{Name: "missing", Path: "/bin/sleep", Args: []string{"30"}})
	if err != nil {
		t.Fatalf("the name was not released after a failed start: %v", err)
	}
	p.Stop()
}

func TestContextCancelStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	p, err := Start(ctx, Spec{Name: "ctxstop", Path: "/bin/sleep", Args: []string{"30"}})
	if err != nil {
		t.Fatal(err)
	}
	pid := p.Pid()
	cancel()
	select {
	case <-p.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("supervisor still running 5s after its context was cancelled")
	}
	if alive(pid) {
		t.Errorf("child %d alive after cancel", pid)
	}
}

// TestChildDiesWithSupervisor runs this test binary as a supervisor
// (TestMain's helper mode), SIGKILLs it and expects its child to die too.
func TestChildDiesWithSupervisor(t *testing.T) {
	helper := exec.Command(os.Args[0], "-test.run=^$")
	helper.Env = append(os.Environ(), helperEnv+"=1")
	out, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	defer helper.Wait()
	defer helper.Process.Kill()
	buf := make([]byte, 64)
	n, err := out.Read(buf)
	if err != nil {
		t.Fatalf("helper said nothing: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(buf[:n])))
	if err != nil || !alive(pid) {
		t.Fatalf("helper reported child %q (%v), not a live pid", buf[:n], err)
	}
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "orphaned child killed by Pdeathsig", func() bool { return !alive(pid) })
}

const helperEnv = "CHILD_TEST_SUPERVISOR_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		p, err := Start(context.Background(), Spec{Name: "orphan", Path: "/bin/sleep", Args: []string{"60"}})
		if err != nil {
			os.Exit(3)
		}
		os.Stdout.WriteString(strconv.Itoa(p.Pid()) + "\n")
		time.Sleep(time.Minute)
		os.Exit(0)
	}
	os.Exit(m.Run())
}
