package child

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// readerGrace bounds how long a run waits for its output pipes to drain after
// the child is reaped: a descendant that left the child's process group could
// otherwise hold them open forever.
const readerGrace = 2 * time.Second

// run is one execution of the child, from start to reaping.
type run struct {
	cmd     *exec.Cmd
	started time.Time
	exited  chan struct{} // closed after the child is reaped and its output drained

	// Set before exited is closed.
	exitErr error
	ranFor  time.Duration
}

// startRun starts the child in its own process group, with its stdout and
// stderr on pipes that are relayed to log line by line (slogline.go).
func startRun(spec Spec, log *slog.Logger) (*run, error) {
	cmd := exec.Command(spec.Path, spec.Args...)
	cmd.Env = environ(spec.Env)
	cmd.SysProcAttr = &syscall.SysProcAttr{
		// Its own group, so that stopping it also stops what it spawned.
		Setpgid: true,
		// The kernel kills the child when the supervisor dies, even by
		// SIGKILL (StartCmd makes that hold whatever other goroutines do).
		Pdeathsig: syscall.SIGKILL,
	}

	var readEnds, writeEnds []*os.File
	closeAll := func(fs []*os.File) {
		for _, f := range fs {
			f.Close()
		}
	}
	for range 2 {
		r, w, err := os.Pipe()
		if err != nil {
			closeAll(readEnds)
			closeAll(writeEnds)
			return nil, err
		}
		readEnds, writeEnds = append(readEnds, r), append(writeEnds, w)
	}
	cmd.Stdout, cmd.Stderr = writeEnds[0], writeEnds[1]
	err := StartCmd(cmd)
	closeAll(writeEnds) // the child holds its own copies now
	if err != nil {
		closeAll(readEnds)
		return nil, err
	}

	r := &run{cmd: cmd, started: time.Now(), exited: make(chan struct{})}
	pid := cmd.Process.Pid
	var readers sync.WaitGroup
	for i, stream := range []string{"stdout", "stderr"} {
		readers.Go(func() {
			forwardLines(readEnds[i], func(line string) { relay(log, spec.Name, stream, pid, line) })
		})
	}

	go func() {
		r.exitErr = cmd.Wait() // reaps the child
		r.ranFor = time.Since(r.started)
		// Descendants left in its group would keep running and hold the
		// pipes; the group id stays reserved while any of them lives, so
		// this cannot hit an unrelated process.
		_ = syscall.Kill(-pid, syscall.SIGKILL)
		drained := make(chan struct{})
		go func() { readers.Wait(); close(drained) }()
		select {
		case <-drained:
		case <-time.After(readerGrace):
			closeAll(readEnds) // unblocks the readers
			<-drained
		}
		closeAll(readEnds)
		close(r.exited)
	}()
	return r, nil
}

// signal sends sig to the child and its process group. The leader is
// signalled through os.Process, which uses a pidfd on Linux and so never
// reaches a recycled pid; the group only when the leader was still there.
func (r *run) signal(sig syscall.Signal) {
	if err := r.cmd.Process.Signal(sig); errors.Is(err, os.ErrProcessDone) {
		return
	}
	_ = syscall.Kill(-r.cmd.Process.Pid, sig)
}
