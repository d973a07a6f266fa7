package child

import (
	"os/exec"
	"runtime"
)

// Pdeathsig fires when the OS thread that forked the child exits, not when
// the process does, and Go ends a thread whose goroutine exits while locked
// to it (as code that setns()es into another namespace does). So children
// are forked by one goroutine that keeps its thread for the life of the
// process, and their Pdeathsig fires only when the process dies.
var spawner = func() chan func() {
	c := make(chan func())
	go func() {
		runtime.LockOSThread()
		for f := range c {
			f()
		}
	}()
	return c
}()

// StartCmd starts cmd from that thread. Use it for any command with a
// Pdeathsig.
func StartCmd(cmd *exec.Cmd) error {
	done := make(chan error)
	spawner <- func() { done <- cmd.Start() }
	return <-done
}
