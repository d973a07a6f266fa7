// Package child supervises one external process per input, after the model
// of Telegraf's internal/process: start it with arguments and environment,
// forward its output line by line to the log, restart it with a bounded
// exponential backoff when it exits, and stop it with SIGTERM, then SIGKILL.
//
// Guarantees: every child is reaped (no zombies); a child dies with the
// supervisor (Pdeathsig on Linux); at most one child per input name runs in
// the process at a time.
package child

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// restartsTotal is served by the supervisor's /metrics (default registry).
var restartsTotal = promauto.NewCounterVec(prometheus.CounterOpts{
	Name: "datakit_child_restarts_total",
	Help: "Times a supervised child process was restarted after it exited, per input.",
}, []string{"input"})

// Spec describes the process to supervise. Zero durations take the defaults.
type Spec struct {
	// Name is the input's name: the log prefix and the key that keeps a
	// second copy of the same input from starting.
	Name string
	Path string
	Args []string
	// Env holds KEY=VALUE pairs added to (and overriding) the supervisor's
	// own environment, so PATH, HOST_ROOT and the like reach the child.
	Env []string
	Log *slog.Logger

	// StopTimeout is how long Stop waits after SIGTERM before SIGKILL (10s).
	StopTimeout time.Duration
	// MinBackoff is the first restart delay (1s); each quick exit doubles it
	// up to MaxBackoff (1m).
	MinBackoff, MaxBackoff time.Duration
	// StableAfter is how long a run must last for the backoff to reset (1m).
	StableAfter time.Duration
	// OnRestart, when set, is called each time the child is started again.
	OnRestart func()
}

func (s *Spec) fillDefaults() {
	if s.Log == nil {
		s.Log = slog.Default()
	}
	if s.StopTimeout <= 0 {
		s.StopTimeout = 10 * time.Second
	}
	if s.MinBackoff <= 0 {
		s.MinBackoff = time.Second
	}
	if s.MaxBackoff < s.MinBackoff {
		s.MaxBackoff = max(time.Minute, s.MinBackoff)
	}
	if s.StableAfter <= 0 {
		s.StableAfter = time.Minute
	}
}

// nextBackoff is the delay before the next start: it doubles after each
// quick exit, up to MaxBackoff, and falls back to MinBackoff once a run has
// lasted StableAfter (a crash after a day of service is not a crash loop).
func (s *Spec) nextBackoff(prev, ranFor time.Duration) time.Duration {
	if prev == 0 || ranFor >= s.StableAfter {
		return s.MinBackoff
	}
	return min(2*prev, s.MaxBackoff)
}

// Process is a running supervisor of one child process.
type Process struct {
	spec Spec
	log  *slog.Logger

	stopOnce sync.Once
	stopping chan struct{} // closed when Stop is asked
	done     chan struct{} // closed when the loop has ended and the name is free

	mu       sync.Mutex
	cmd      *exec.Cmd // the running child, nil between runs
	restarts int
}

// ErrAlreadyRunning is returned by Start when the input's name is taken.
var ErrAlreadyRunning = errors.New("a child process for this input is already running")

var (
	namesMu sync.Mutex
	running = map[string]bool{}
)

// Start runs the first copy of the child and supervises it until ctx is done
// or Stop is called. It fails when the name is already supervised or when the
// first start fails (a missing binary is a configuration error, reported at
// once); later start failures are logged and retried with backoff.
func Start(ctx context.Context, spec Spec) (*Process, error) {
	if spec.Name == "" || spec.Path == "" {
		return nil, errors.New("child: Name and Path are required")
	}
	spec.fillDefaults()
	namesMu.Lock()
	if running[spec.Name] {
		namesMu.Unlock()
		return nil, fmt.Errorf("input %q: %w", spec.Name, ErrAlreadyRunning)
	}
	running[spec.Name] = true
	namesMu.Unlock()

	p := &Process{
		spec: spec,
		// Messages carry the name as a prefix; the caller's logger usually
		// has an input attribute already.
		log:      spec.Log,
		stopping: make(chan struct{}),
		done:     make(chan struct{}),
	}
	r, err := p.launch()
	if err != nil {
		p.release()
		return nil, fmt.Errorf("input %q: %w", spec.Name, err)
	}
	go p.loop(r)
	go func() {
		select {
		case <-ctx.Done():
			p.Stop()
		case <-p.done:
		}
	}()
	return p, nil
}

// Stop terminates the child (SIGTERM, then SIGKILL after StopTimeout), waits
// until it is reaped and frees the input's name. It is safe to call twice.
func (p *Process) Stop() {
	p.stopOnce.Do(func() { close(p.stopping) })
	<-p.done
}

// Done is closed once the supervisor has stopped.
func (p *Process) Done() <-chan struct{} { return p.done }

// Restarts returns how many times the child was started again.
func (p *Process) Restarts() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.restarts
}

// Pid returns the running child's pid, or 0 between runs.
func (p *Process) Pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *Process) release() {
	namesMu.Lock()
	delete(running, p.spec.Name)
	namesMu.Unlock()
}

// loop waits for each run to end and starts the next one after the backoff,
// until Stop.
func (p *Process) loop(r *run) {
	defer close(p.done)
	defer p.release()
	backoff := time.Duration(0)
	for {
		p.wait(r)
		if p.isStopping() {
			return
		}
		backoff = p.spec.nextBackoff(backoff, r.ranFor)
		p.log.Warn(p.spec.Name+": child exited; restarting", "err", r.exitErr,
			"ran_for", r.ranFor.Round(time.Millisecond), "backoff", backoff)
		for {
			select {
			case <-p.stopping:
				return
			case <-time.After(backoff):
			}
			p.countRestart()
			var err error
			if r, err = p.launch(); err == nil {
				break
			}
			backoff = p.spec.nextBackoff(backoff, 0)
			p.log.Error(p.spec.Name+": restart failed", "err", err, "backoff", backoff)
		}
	}
}

// wait blocks until the run ends; when Stop comes first it terminates the
// child and then waits.
func (p *Process) wait(r *run) {
	select {
	case <-r.exited:
		return
	case <-p.stopping:
	}
	r.signal(syscall.SIGTERM)
	select {
	case <-r.exited:
		return
	case <-time.After(p.spec.StopTimeout):
	}
	p.log.Warn(p.spec.Name+": child ignored SIGTERM; sending SIGKILL", "pid", r.cmd.Process.Pid, "after", p.spec.StopTimeout)
	r.signal(syscall.SIGKILL)
	<-r.exited
}

func (p *Process) isStopping() bool {
	select {
	case <-p.stopping:
		return true
	default:
		return false
	}
}

func (p *Process) countRestart() {
	p.mu.Lock()
	p.restarts++
	p.mu.Unlock()
	restartsTotal.WithLabelValues(p.spec.Name).Inc()
	if p.spec.OnRestart != nil {
		p.spec.OnRestart()
	}
}

// launch starts one run of the child and records it as the current one.
func (p *Process) launch() (*run, error) {
	r, err := startRun(p.spec, p.log)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	p.cmd = r.cmd
	p.mu.Unlock()
	go func() {
		<-r.exited
		p.mu.Lock()
		if p.cmd == r.cmd {
			p.cmd = nil
		}
		p.mu.Unlock()
	}()
	p.log.Info(p.spec.Name+": child started", "pid", r.cmd.Process.Pid, "path", p.spec.Path)
	return r, nil
}

// environ is the supervisor's environment with extra appended; exec keeps
// the last value of a duplicated key, so extra wins.
func environ(extra []string) []string {
	return append(os.Environ(), extra...)
}
