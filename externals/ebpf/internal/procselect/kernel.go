package procselect

import (
	"sync"
	"sync/atomic"

	"netobs.local/agent/externals/ebpf/internal/proccache"
)

// TgidMap is the kernel map a KernelSet keeps (netflow's l7_skip_tgid);
// *ebpf.Map is one.
type TgidMap interface {
	Put(key, value any) error
	Delete(key any) error
}

// Execs lists the running processes and tells of those that exec, fork
// and exit (proccache.Table).
type Execs interface {
	Pids() []uint32
	Subscribe(fn func(proccache.Event))
}

// KernelSet pushes selection into the kernel: it keeps a map of the
// processes the selector excludes, so that their payload is never copied
// to userspace, where selection would drop it anyway. The map follows
// the process cache's execs, forks and exits. It is an optimisation only:
// a process excluded while the map is full, or in the moment between its
// exec and its entry, is still dropped by the userspace selection.
type KernelSet struct {
	sel    *Selector
	execs  Execs
	queue  chan proccache.Event
	static map[uint32]bool // never and ExcludePids: kept whatever runs

	mu  sync.Mutex
	m   TgidMap
	max int
	in  map[uint32]bool
	end chan struct{}
	wg  sync.WaitGroup

	// Full counts processes left to userspace selection for want of
	// room in the map; Dropped, events the subscriber could not queue.
	Full, Dropped atomic.Uint64
}

// kernelQueue bounds the events waiting for the map: a fork storm
// overflows it rather than stalling the process cache's reader.
const kernelQueue = 4096

// NewKernelSet returns a set for sel, fed by execs. Rules on pids and
// the never set go into the map at Bind; rules on command lines and
// containers follow the processes.
func NewKernelSet(sel *Selector, execs Execs) *KernelSet {
	k := &KernelSet{sel: sel, execs: execs, static: map[uint32]bool{}}
	for pid := range sel.never {
		k.static[pid] = true
	}
	for pid := range sel.rules.ExcludePids {
		k.static[pid] = true
	}
	if sel.followsProcesses() && execs != nil {
		k.queue = make(chan proccache.Event, kernelQueue)
		execs.Subscribe(func(ev proccache.Event) {
			select {
			case k.queue <- ev:
			default:
				k.Dropped.Add(1)
			}
		})
	}
	return k
}

// followsProcesses: some rule decides by what a process runs, or an
// include rule excludes every pid it does not name.
func (s *Selector) followsProcesses() bool {
	r := &s.rules
	return r.IncludeCmd != nil || r.ExcludeCmd != nil || r.IncludeContainer != nil ||
		r.ExcludeContainer != nil || len(r.IncludePids) > 0
}

// Bind fills m (of max entries) with the excluded processes running now
// and keeps it so until Unbind.
func (k *KernelSet) Bind(m TgidMap, max int) error {
	k.mu.Lock()
	k.m, k.max, k.in = m, max, map[uint32]bool{}
	for pid := range k.static {
		if err := k.putLocked(pid); err != nil {
			k.mu.Unlock()
			return err
		}
	}
	k.mu.Unlock()
	if k.queue == nil {
		return nil
	}
	for _, pid := range k.execs.Pids() {
		k.decide(pid)
	}
	k.end = make(chan struct{})
	k.wg.Add(1)
	go func() {
		defer k.wg.Done()
		for {
			select {
			case <-k.end:
				return
			case ev := <-k.queue:
				if ev.Kind == proccache.Exit {
					k.forget(ev.Info.Pid)
				} else {
					k.decide(ev.Info.Pid)
				}
			}
		}
	}()
	return nil
}

// Unbind stops following processes; the map is the caller's to free.
func (k *KernelSet) Unbind() {
	if k.end != nil {
		close(k.end)
		k.wg.Wait()
		k.end = nil
	}
	k.mu.Lock()
	k.m = nil
	k.mu.Unlock()
}

// decide puts pid in the map or takes it out, as selection says. It runs
// off the cache's reader, since a lookup may wait for that reader.
func (k *KernelSet) decide(pid uint32) {
	observe := k.sel.Observe(pid)
	k.mu.Lock()
	defer k.mu.Unlock()
	switch {
	case k.m == nil || k.static[pid]:
	case !observe && !k.in[pid]:
		_ = k.putLocked(pid)
	case observe && k.in[pid]:
		k.deleteLocked(pid) // an exec into a program selection observes
	}
}

func (k *KernelSet) forget(pid uint32) {
	k.mu.Lock()
	defer k.mu.Unlock()
	if k.m != nil && k.in[pid] && !k.static[pid] {
		k.deleteLocked(pid)
	}
}

func (k *KernelSet) putLocked(pid uint32) error {
	if len(k.in) >= k.max {
		k.Full.Add(1)
		return nil
	}
	if err := k.m.Put(pid, uint8(1)); err != nil {
		return err
	}
	k.in[pid] = true
	return nil
}

func (k *KernelSet) deleteLocked(pid uint32) {
	_ = k.m.Delete(pid)
	delete(k.in, pid)
}

// Has reports whether pid is in the map.
func (k *KernelSet) Has(pid uint32) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	return k.in[pid]
}

// Len is how many processes the map holds.
func (k *KernelSet) Len() int {
	k.mu.Lock()
	defer k.mu.Unlock()
	return len(k.in)
}
