package procselect

import (
	"os"
	"regexp"
	"testing"

	"netobs.local/agent/externals/ebpf/internal/proccache"
)

type procs map[uint32]proccache.Info

func (p procs) Lookup(pid uint32) (proccache.Info, bool) { i, ok := p[pid]; return i, ok }

type names map[string]string

func (n names) Name(id string) string { return n[id] }

func TestObserve(t *testing.T) {
	ps := procs{
		10: {Pid: 10, Args: []string{"/usr/bin/curl", "-s", "http://x"}},
		11: {Pid: 11, Args: []string{"nginx:", "worker", "process"}, ContainerID: "abc"},
		12: {Pid: 12, Args: []string{"redis-server", "*:6379"}, ContainerID: "def"},
		13: {Pid: 13, Args: []string{"postgres"}, ContainerID: "0123", ContainerName: "pg-main"},
	}
	nm := names{"abc": "web-frontend"}
	re := regexp.MustCompile
	for _, c := range []struct {
		name  string
		rules Rules
		want  map[uint32]bool // pid 99 is unknown
	}{
		{"no rules", Rules{}, map[uint32]bool{10: true, 11: true, 12: true, 99: true, 5: false}},
		{"exclude cmd", Rules{ExcludeCmd: re(`^/usr/bin/curl `)}, map[uint32]bool{10: false, 11: true, 12: true, 99: true}},
		{"include cmd", Rules{IncludeCmd: re(`nginx|redis`)}, map[uint32]bool{10: false, 11: true, 12: true, 99: false}},
		{"include and exclude", Rules{IncludeCmd: re(`nginx|redis`), ExcludeCmd: re(`redis`)}, map[uint32]bool{11: true, 12: false}},
		{"pids", Rules{IncludePids: map[uint32]bool{10: true, 11: true}, ExcludePids: map[uint32]bool{11: true}}, map[uint32]bool{10: true, 11: false, 12: false}},
		{"exclude container by name, else id", Rules{ExcludeContainer: re(`^(web-|def$)`)}, map[uint32]bool{10: true, 11: false, 12: false, 99: true}},
		{"include container", Rules{IncludeContainer: re(`frontend`)}, map[uint32]bool{10: false, 11: true, 12: false}},
		// the cache's name wins over the id: a rule on the id of a named container does not match
		{"exclude by the cache's name", Rules{ExcludeContainer: re(`^pg-`)}, map[uint32]bool{13: false, 12: true, 10: true}},
		{"a named container's id is not matched", Rules{ExcludeContainer: re(`^0123$`)}, map[uint32]bool{13: true}},
		{"include by the cache's name", Rules{IncludeContainer: re(`^pg-main$`)}, map[uint32]bool{13: true, 11: false, 12: false, 10: false, 99: false}},
		{"an empty-matching regex does not take host processes", Rules{IncludeContainer: re(`.*`)}, map[uint32]bool{10: false, 11: true, 13: true}},
	} {
		s := New(c.rules, ps, nm, 5)
		for pid, want := range c.want {
			if got := s.Observe(pid); got != want {
				t.Errorf("%s: Observe(%d) = %v, want %v", c.name, pid, got, want)
			}
		}
	}
}

func TestOwn(t *testing.T) {
	own := Own("/proc")
	if len(own) == 0 || own[0] != uint32(os.Getpid()) {
		t.Fatalf("Own = %v", own)
	}
	if len(own) != 1 {
		t.Errorf("the test's parent is not datakit, yet Own = %v", own)
	}
}
