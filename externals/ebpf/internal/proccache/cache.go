// Package proccache keeps pid → process information (command, executable
// path, arguments, uid, start time, container id, parent) for every plugin,
// short-lived processes included: the kernel reports each exec, fork and
// exit (bpf/process/process.c) and a /proc scan seeds the cache at start.
// Exited processes stay for a retention period, so records that are built
// after a process ended (a 10 ms curl's connection, reported at the next
// flush) still find it.
package proccache

import (
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"netobs.local/agent/externals/ebpf/internal/containers"
)

// Info is what the cache knows about one process.
type Info struct {
	Pid, PPid   uint32
	Comm        string
	Path        string   // the executable as exec'ed (the process's mount namespace)
	Args        []string // argv, at most ~1 KiB of it
	ArgsCut     bool     // argv was longer than what was kept
	UID         uint32
	Start       time.Duration // since boot
	ContainerID string        // from the cgroup path; empty on the host
	// ContainerName is the runtime's name for ContainerID (Kubernetes
	// container name in a pod), filled by Lookup; empty when no runtime's
	// state names it.
	ContainerName string
	Exited        bool
	ExitCode      int32
}

// Cmdline is argv joined by spaces, the string process selection matches.
func (i *Info) Cmdline() string {
	n := 0
	for _, a := range i.Args {
		n += len(a) + 1
	}
	b := make([]byte, 0, n)
	for j, a := range i.Args {
		if j > 0 {
			b = append(b, ' ')
		}
		b = append(b, a...)
	}
	return string(b)
}

type entry struct {
	Info
	partial bool // known from a fork only: path and args may be missing
	// inherited: known from a fork, with the parent's image, which an exec
	// whose record is not read yet may have replaced.
	inherited bool
	gone      time.Time // exit time
}

// Table is the pure userspace state, fed by the plugin (or by tests).
type Table struct {
	procRoot   string
	retain     time.Duration
	max        int
	containers *containers.Resolver // nil: containers are not named
	// drain, when set, returns once the records already in the kernel's
	// ring are applied (false when it cannot tell): see lookup.
	drain func() bool

	mu    sync.Mutex
	procs map[uint32]*entry
	subs  []func(Event)

	Full atomic.Uint64 // processes not cached because the table was full
}

// NewTable caches at most max processes and keeps exited ones for retain.
func NewTable(procRoot string, max int, retain time.Duration) *Table {
	return &Table{procRoot: procRoot, max: max, retain: retain, procs: map[uint32]*entry{}}
}

// SetContainers makes Lookup name containers with r.
func (t *Table) SetContainers(r *containers.Resolver) { t.containers = r }

// Container returns what the container runtime records about a container
// id (name, Kubernetes pod and namespace).
func (t *Table) Container(id string) (containers.Meta, bool) {
	if t.containers == nil || id == "" {
		return containers.Meta{}, false
	}
	return t.containers.Lookup(id)
}

// Lookup returns the process with that pid, its container named. A miss,
// or a process known only from its fork, is read from /proc when it still
// runs there (an exec record may still be on its way from the kernel).
// Names are resolved here, not stored, so a container whose runtime files
// appear after its first process still gets named (the resolver caches).
func (t *Table) Lookup(pid uint32) (Info, bool) {
	info, ok := t.lookup(pid)
	if ok && info.ContainerID != "" {
		m, _ := t.Container(info.ContainerID)
		info.ContainerName = m.Name
	}
	return info, ok
}

func (t *Table) lookup(pid uint32) (Info, bool) {
	if pid == 0 {
		return Info{}, false
	}
	// A process's fork and exec records are written before it runs, so
	// before any record of what it did; but they may still wait in the
	// ring for the reader (which an idle cache wakes only every 250 ms).
	// A lookup that would otherwise answer from a fork (the parent's
	// image: an exec may follow) or from nothing drains the ring first.
	drained := false
	drain := func() {
		if !drained && t.drain != nil {
			drained = t.drain()
		}
	}
	t.mu.Lock()
	e := t.procs[pid]
	if e != nil && e.inherited && t.drain != nil {
		t.mu.Unlock()
		drain()
		t.mu.Lock()
		if e = t.procs[pid]; e != nil && drained {
			e.inherited = false // no exec came before now: the fork's image is the process's
		}
	}
	if e != nil && !e.partial {
		info := e.Info
		t.mu.Unlock()
		return info, true
	}
	t.mu.Unlock()
	fresh, err := readProc(t.procRoot, pid)
	if err != nil { // gone from /proc: only its records can tell
		drain()
		t.mu.Lock()
		if cur := t.procs[pid]; drained && cur != nil {
			e = cur
		}
		t.mu.Unlock()
		if e != nil {
			return e.Info, true
		}
		return Info{}, false
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if cur := t.procs[pid]; cur == nil || cur.partial || cur.inherited {
		t.put(&entry{Info: fresh})
	}
	return fresh, true
}

// Scan seeds the table from every process in /proc.
func (t *Table) Scan() error {
	dirs, err := os.ReadDir(t.procRoot)
	if err != nil {
		return err
	}
	for _, d := range dirs {
		pid, err := strconv.ParseUint(d.Name(), 10, 32)
		if err != nil {
			continue
		}
		info, err := readProc(t.procRoot, uint32(pid))
		if err != nil {
			continue // exited meanwhile
		}
		t.mu.Lock()
		if t.procs[uint32(pid)] == nil { // an event is newer than the scan
			t.put(&entry{Info: info})
		}
		t.mu.Unlock()
	}
	return nil
}

// EventKind is what happened to a process.
type EventKind uint8

const (
	Exec EventKind = iota + 1 // the process exec'ed Info.Path
	Exit                      // the process exited (Info.Exited, ExitCode)
	Fork                      // a new process runs its parent's image (Info: what is known of it)
)

// Event is one exec or exit the kernel reported, with what the table
// knows of the process then.
type Event struct {
	Kind EventKind
	Info Info
}

// Subscribe calls fn with every exec, fork and exit the kernel reports,
// in order, on the cache's reader goroutine: fn must not block, nor look
// processes up (a lookup may wait for this reader); it hands the event to
// a channel. Subscribers are bash's binary discovery, the kernel side of
// selection (procselect.KernelSet) and, later, the TLS library discovery:
// they see short-lived processes that a /proc scan would miss.
func (t *Table) Subscribe(fn func(Event)) {
	t.mu.Lock()
	t.subs = append(t.subs, fn)
	t.mu.Unlock()
}

// apply updates the table with one kernel record and tells the
// subscribers of execs and exits.
func (t *Table) apply(ev *event, now time.Time) {
	pub, subs := t.applyLocked(ev, now)
	if pub.Kind != 0 {
		for _, fn := range subs {
			fn(pub)
		}
	}
}

func (t *Table) applyLocked(ev *event, now time.Time) (pub Event, subs []func(Event)) {
	k := &ev.task
	t.mu.Lock()
	defer t.mu.Unlock()
	subs = t.subs
	switch {
	case ev.exec != nil:
		x := ev.exec
		e := &entry{Info: Info{Pid: k.Pid, PPid: k.Ppid, Comm: x.comm, Path: x.path, Args: x.args,
			ArgsCut: x.argsCut, UID: x.uid, Start: time.Duration(k.StartNs), ContainerID: ContainerID(x.cgroup)}}
		t.put(e)
		pub = Event{Kind: Exec, Info: e.Info}
	case processProcEventType(k.Type) == processProcEventTypeEVENT_PROC_FORK:
		child := &entry{Info: Info{Pid: k.Pid, PPid: k.Ppid, Start: time.Duration(k.StartNs)}, partial: true}
		if p := t.procs[k.Ppid]; p != nil { // a fork runs the parent's image
			child.Comm, child.Path, child.Args, child.ArgsCut = p.Comm, p.Path, p.Args, p.ArgsCut
			child.UID, child.ContainerID, child.partial, child.inherited = p.UID, p.ContainerID, p.partial, !p.partial
		}
		t.put(child)
		pub = Event{Kind: Fork, Info: child.Info}
	case processProcEventType(k.Type) == processProcEventTypeEVENT_PROC_EXIT:
		pub = Event{Kind: Exit, Info: Info{Pid: k.Pid, PPid: k.Ppid, Exited: true, ExitCode: k.ExitCode}}
		if e := t.procs[k.Pid]; e != nil {
			e.Exited, e.ExitCode, e.gone = true, k.ExitCode, now
			pub.Info = e.Info
		}
	}
	return pub, subs
}

// Pids lists the processes the table holds that have not exited.
func (t *Table) Pids() []uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	pids := make([]uint32, 0, len(t.procs))
	for pid, e := range t.procs {
		if !e.Exited {
			pids = append(pids, pid)
		}
	}
	return pids
}

// put stores e, making room by dropping exited processes first.
func (t *Table) put(e *entry) {
	if _, ok := t.procs[e.Pid]; !ok && len(t.procs) >= t.max {
		t.sweepLocked(time.Time{}, true)
		if len(t.procs) >= t.max {
			t.Full.Add(1)
			return
		}
	}
	t.procs[e.Pid] = e
}

// Sweep forgets processes that exited more than the retention ago.
func (t *Table) Sweep(now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweepLocked(now, false)
}

func (t *Table) sweepLocked(now time.Time, allExited bool) {
	for pid, e := range t.procs {
		if e.Exited && (allExited || now.Sub(e.gone) > t.retain) {
			delete(t.procs, pid)
		}
	}
}

// Len is the number of cached processes.
func (t *Table) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.procs)
}
