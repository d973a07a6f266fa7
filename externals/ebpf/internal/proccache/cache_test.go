package proccache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"netobs.local/agent/externals/ebpf/internal/containers"
)

func TestTableEvents(t *testing.T) {
	tb := NewTable(t.TempDir(), 3, 10*time.Second) // an empty proc: no /proc fallback
	now := time.Unix(1000, 0)
	exec := func(pid, ppid uint32, path string, args ...string) *event {
		return &event{task: processTaskEvent{Type: uint32(processProcEventTypeEVENT_PROC_EXEC), Pid: pid, Ppid: ppid, StartNs: 5},
			exec: &execInfo{comm: "c", path: path, args: args, uid: 7}}
	}
	task := func(typ processProcEventType, pid, ppid uint32) *event {
		return &event{task: processTaskEvent{Type: uint32(typ), Pid: pid, Ppid: ppid, ExitCode: 9}}
	}
	var seen []Event
	tb.Subscribe(func(e Event) { seen = append(seen, e) })
	tb.apply(exec(10, 1, "/bin/bash", "bash"), now)
	tb.apply(task(processProcEventTypeEVENT_PROC_FORK, 11, 10), now)
	if info, ok := tb.Lookup(11); !ok || info.Path != "/bin/bash" || info.PPid != 10 || info.UID != 7 {
		t.Fatalf("forked child: %+v %v", info, ok)
	}
	tb.apply(exec(11, 10, "/usr/bin/curl", "curl", "-s"), now)
	tb.apply(task(processProcEventTypeEVENT_PROC_EXIT, 11, 10), now)
	info, ok := tb.Lookup(11)
	if !ok || info.Path != "/usr/bin/curl" || !info.Exited || info.ExitCode != 9 || info.Cmdline() != "curl -s" {
		t.Fatalf("exited child: %+v %v", info, ok)
	}
	// Subscribers see the exec, the fork (with its parent's image), the
	// child's exec and its exit.
	if len(seen) != 4 || seen[0].Kind != Exec || seen[0].Info.Path != "/bin/bash" ||
		seen[1].Kind != Fork || seen[1].Info.Pid != 11 || seen[1].Info.Path != "/bin/bash" || seen[2].Kind != Exec ||
		seen[2].Info.Pid != 11 || seen[3].Kind != Exit || seen[3].Info.Path != "/usr/bin/curl" || seen[3].Info.ExitCode != 9 {
		t.Fatalf("subscriber saw %+v", seen)
	}
	tb.Sweep(now.Add(5 * time.Second))
	if _, ok := tb.Lookup(11); !ok {
		t.Fatal("forgotten within the retention")
	}
	tb.Sweep(now.Add(11 * time.Second))
	if _, ok := tb.Lookup(11); ok {
		t.Fatal("kept after the retention")
	}
	// Full: exited processes make room, live ones do not.
	tb.apply(exec(12, 1, "/a"), now)
	tb.apply(exec(13, 1, "/b"), now)
	tb.apply(task(processProcEventTypeEVENT_PROC_EXIT, 13, 1), now)
	tb.apply(exec(14, 1, "/c"), now)
	if _, ok := tb.Lookup(14); !ok || tb.Len() != 3 {
		t.Fatalf("exited entry did not make room: len %d", tb.Len())
	}
	tb.apply(exec(15, 1, "/d"), now)
	if _, ok := tb.Lookup(15); ok || tb.Full.Load() != 1 {
		t.Fatalf("full table took a live process: full %d", tb.Full.Load())
	}
	if _, ok := tb.Lookup(0); ok {
		t.Fatal("pid 0 found")
	}
}

// Lookup names the container of a process from the runtime's state, and
// only while the runtime knows it; a process on the host has no name.
func TestLookupNamesContainer(t *testing.T) {
	id := strings.Repeat("ab", 32)
	root := t.TempDir()
	dir := filepath.Join(root, "var/lib/docker/containers", id)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.v2.json"), []byte(`{"ID":"`+id+`","Name":"/shop-web","Config":{"Labels":{}}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	tb := NewTable(t.TempDir(), 8, time.Minute)
	tb.SetContainers(containers.New(root, nil))
	exec := func(pid uint32, cgroup string) *event {
		return &event{task: processTaskEvent{Type: uint32(processProcEventTypeEVENT_PROC_EXEC), Pid: pid, Ppid: 1},
			exec: &execInfo{comm: "nginx", path: "/usr/sbin/nginx", cgroup: cgroup}}
	}
	tb.apply(exec(20, "system.slice/docker-"+id+".scope"), time.Now())
	tb.apply(exec(21, "user.slice/session-1.scope"), time.Now())
	tb.apply(exec(22, "system.slice/docker-"+strings.Repeat("cd", 32)+".scope"), time.Now())
	for pid, want := range map[uint32]string{20: "shop-web", 21: "", 22: ""} {
		info, ok := tb.Lookup(pid)
		if !ok || info.ContainerName != want {
			t.Errorf("pid %d: container %q named %q, want %q", pid, info.ContainerID, info.ContainerName, want)
		}
	}
	if m, ok := tb.Container(id); !ok || m.Runtime != "docker" {
		t.Errorf("Container(%s) = %+v, %v", id, m, ok)
	}
}
