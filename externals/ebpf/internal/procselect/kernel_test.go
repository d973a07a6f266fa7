package procselect

import (
	"regexp"
	"sync"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/proccache"
)

// fakeMap is a TgidMap.
type fakeMap struct {
	mu sync.Mutex
	m  map[uint32]bool
}

func (f *fakeMap) Put(k, _ any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.m[k.(uint32)] = true
	return nil
}

func (f *fakeMap) Delete(k any) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.m, k.(uint32))
	return nil
}

func (f *fakeMap) has(pid uint32) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.m[pid]
}

// table is a process table that publishes its changes.
type table struct {
	mu   sync.Mutex
	p    procs
	subs []func(proccache.Event)
}

func (t *table) Lookup(pid uint32) (proccache.Info, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.p.Lookup(pid)
}

func (t *table) Pids() []uint32 {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []uint32
	for pid := range t.p {
		out = append(out, pid)
	}
	return out
}

func (t *table) Subscribe(fn func(proccache.Event)) { t.subs = append(t.subs, fn) }

func (t *table) event(kind proccache.EventKind, info proccache.Info) {
	t.mu.Lock()
	if kind == proccache.Exit {
		delete(t.p, info.Pid)
	} else {
		t.p[info.Pid] = info
	}
	t.mu.Unlock()
	for _, fn := range t.subs {
		fn(proccache.Event{Kind: kind, Info: info})
	}
}

func TestKernelSetFollowsProcesses(t *testing.T) {
	tab := &table{p: procs{
		10: {Pid: 10, Args: []string{"curl", "http://x"}},
		11: {Pid: 11, Args: []string{"nginx"}},
	}}
	sel := New(Rules{ExcludeCmd: regexp.MustCompile(`^curl `), ExcludePids: map[uint32]bool{7: true}}, tab, nil, 5)
	k := NewKernelSet(sel, tab)
	m := &fakeMap{m: map[uint32]bool{}}
	if err := k.Bind(m, 5); err != nil {
		t.Fatal(err)
	}
	defer k.Unbind()
	// The collector (5), the excluded pid (7) and the running curl (10).
	for pid, want := range map[uint32]bool{5: true, 7: true, 10: true, 11: false} {
		if m.has(pid) != want {
			t.Errorf("at bind: pid %d in the map = %v, want %v", pid, !want, want)
		}
	}
	tab.event(proccache.Exec, proccache.Info{Pid: 20, Args: []string{"curl", "-s", "y"}})
	tab.event(proccache.Fork, proccache.Info{Pid: 21, Args: []string{"curl", "-s", "y"}}) // runs its parent's image
	tab.event(proccache.Exec, proccache.Info{Pid: 10, Args: []string{"nginx"}})           // curl exec'ed nginx
	tab.event(proccache.Exit, proccache.Info{Pid: 20})
	tab.event(proccache.Exit, proccache.Info{Pid: 5}) // never leaves: a pid rule outlives its process
	waitUntil(t, func() bool { return m.has(21) && !m.has(20) && !m.has(10) })
	if !m.has(5) || !m.has(7) || k.Len() != 3 {
		t.Fatalf("static pids left the map, or %d entries, want 3 (5, 7, 21)", k.Len())
	}
	// Past max, the rest are left to userspace, and counted.
	for pid := uint32(30); pid < 34; pid++ {
		tab.event(proccache.Exec, proccache.Info{Pid: pid, Args: []string{"curl", "z"}})
	}
	waitUntil(t, func() bool { return k.Full.Load() == 2 })
	if k.Len() != 5 {
		t.Fatalf("%d entries, want max 5", k.Len())
	}
}

// Without rules that follow processes, only the static pids are kept and
// nothing subscribes.
func TestKernelSetStaticOnly(t *testing.T) {
	tab := &table{p: procs{10: {Pid: 10, Args: []string{"curl", "x"}}}}
	k := NewKernelSet(New(Rules{ExcludePids: map[uint32]bool{7: true}}, tab, nil, 5), tab)
	if len(tab.subs) != 0 {
		t.Fatal("subscribed without a rule that follows processes")
	}
	m := &fakeMap{m: map[uint32]bool{}}
	if err := k.Bind(m, 64); err != nil {
		t.Fatal(err)
	}
	k.Unbind()
	if len(m.m) != 2 || !m.has(5) || !m.has(7) {
		t.Fatalf("map %v, want 5 and 7", m.m)
	}
}

// An include rule excludes everything else.
func TestKernelSetInclude(t *testing.T) {
	tab := &table{p: procs{10: {Pid: 10, Args: []string{"curl", "x"}}, 11: {Pid: 11, Args: []string{"nginx"}}}}
	k := NewKernelSet(New(Rules{IncludeCmd: regexp.MustCompile(`nginx`)}, tab, nil), tab)
	m := &fakeMap{m: map[uint32]bool{}}
	if err := k.Bind(m, 64); err != nil {
		t.Fatal(err)
	}
	defer k.Unbind()
	if !m.has(10) || m.has(11) {
		t.Fatalf("map %v, want curl (10) only", m.m)
	}
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(2 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
	}
}
