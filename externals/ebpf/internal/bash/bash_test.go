package bash

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"unsafe"

	"netobs.local/agent/externals/ebpf/internal/bpfcheck"
)

func record(pid, uid uint32, cmd string, n int) []byte {
	var e bashBashEvent
	e.Pid, e.Uid = pid, uid
	line := unsafe.Slice((*byte)(unsafe.Pointer(&e.Line[0])), len(e.Line))
	e.Len = uint32(copy(line[:len(line)-1], cmd))
	if n >= 0 {
		e.Len = uint32(n)
	}
	copy(unsafe.Slice((*byte)(unsafe.Pointer(&e.Comm[0])), 16), "bash")
	return append([]byte(nil), unsafe.Slice((*byte)(unsafe.Pointer(&e)), eventSize)...)
}

func TestDecodeEvent(t *testing.T) {
	l, err := decodeEvent(record(7, 1000, "ls -l /tmp", -1))
	if err != nil || l.pid != 7 || l.uid != 1000 || l.cmd != "ls -l /tmp" || l.comm != "bash" || l.cut {
		t.Fatalf("got %+v %v", l, err)
	}
	if l, _ := decodeEvent(record(7, 0, strings.Repeat("x", 2000), -1)); !l.cut || len(l.cmd) != 1023 {
		t.Errorf("long line: cut %v, %d bytes", l.cut, len(l.cmd))
	}
	for name, b := range map[string][]byte{
		"short":    record(1, 1, "x", -1)[:eventSize-1],
		"len 0":    record(1, 1, "", 0),
		"len huge": record(1, 1, "x", 5000),
	} {
		if _, err := decodeEvent(b); err == nil {
			t.Errorf("%s: no error", name)
		}
	}
}

func FuzzDecodeEvent(f *testing.F) {
	f.Add(record(7, 1000, "echo hi", -1))
	f.Add([]byte{1, 2, 3})
	f.Fuzz(func(t *testing.T, b []byte) {
		if l, err := decodeEvent(b); err == nil && (len(l.cmd) == 0 || len(l.cmd) > 1023) {
			t.Fatalf("cmd of %d bytes", len(l.cmd))
		}
	})
}

func TestParsePasswd(t *testing.T) {
	users, err := parsePasswd(strings.NewReader("root:x:0:0:root:/root:/bin/bash\n# c\n\n+nis::::::\nalice:x:1000:1000::/home/a:/bin/bash\ntoor:x:0:0::/:/bin/sh\n"))
	if err != nil || users[0] != "root" || users[1000] != "alice" || len(users) != 2 {
		t.Fatalf("got %v %v", users, err)
	}
	users, err = parsePasswd(strings.NewReader("root:x:0:0::/:/bin/sh\nbob:x:abc:1\n"))
	if err == nil || !strings.Contains(err.Error(), "line 2") || users[0] != "root" {
		t.Fatalf("bad line: %v, kept %v", err, users)
	}
	if _, err := parsePasswd(strings.NewReader("x:y\n")); err == nil || !strings.Contains(err.Error(), "line 1: 2 fields") {
		t.Fatalf("short line: %v", err)
	}
}

func FuzzParsePasswd(f *testing.F) {
	f.Add("root:x:0:0:root:/root:/bin/bash\n")
	f.Fuzz(func(t *testing.T, s string) {
		users, _ := parsePasswd(strings.NewReader(s))
		for _, n := range users {
			if n == "" || strings.Contains(n, ":") {
				t.Fatalf("name %q", n)
			}
		}
	})
}

// users: the shell's own root first, then the host's, then the number.
func TestUsers(t *testing.T) {
	dir := t.TempDir()
	host := filepath.Join(dir, "host")
	ctr := filepath.Join(dir, "ctr")
	for root, content := range map[string]string{host: "root:x:0:0::/:/bin/sh\nhostuser:x:5:5::/:/bin/sh\n", ctr: "app:x:5:5::/:/bin/sh\n"} {
		os.MkdirAll(filepath.Join(root, "etc"), 0o755)
		os.WriteFile(filepath.Join(root, "etc", "passwd"), []byte(content), 0o644)
	}
	proc := filepath.Join(dir, "proc")
	os.MkdirAll(filepath.Join(proc, "42"), 0o755)
	os.Symlink(ctr, filepath.Join(proc, "42", "root"))
	u := newUsers(proc, host)
	for _, c := range []struct {
		pid, uid uint32
		want     string
	}{{42, 5, "app"}, {42, 0, "root"}, {43, 5, "hostuser"}, {43, 77, "77"}} {
		if got := u.name(c.pid, c.uid); got != c.want {
			t.Errorf("name(pid %d, uid %d) = %q, want %q", c.pid, c.uid, got, c.want)
		}
	}
}

func TestFindBinaries(t *testing.T) {
	dir := t.TempDir()
	host, ctr, proc := filepath.Join(dir, "host"), filepath.Join(dir, "ctr"), filepath.Join(dir, "proc")
	for _, p := range []string{filepath.Join(host, "usr/bin/bash"), filepath.Join(ctr, "bin/bash"), filepath.Join(ctr, "bin/dash")} {
		os.MkdirAll(filepath.Dir(p), 0o755)
		os.WriteFile(p, []byte(p), 0o755)
	}
	os.Symlink("usr/bin", filepath.Join(host, "bin"))
	for pid, exe := range map[string]string{"10": "/bin/bash", "11": "/bin/dash", "12": "/bin/bash (deleted)"} {
		os.MkdirAll(filepath.Join(proc, pid), 0o755)
		os.Symlink(exe, filepath.Join(proc, pid, "exe"))
		os.Symlink(ctr, filepath.Join(proc, pid, "root"))
	}
	got := findBinaries(proc, host)
	var paths []string
	for _, p := range got {
		paths = append(paths, p)
	}
	if len(got) != 2 {
		t.Fatalf("found %v, want the host's bash (once, /bin links to /usr/bin) and the container's", paths)
	}
	for _, want := range []string{"host/", "proc/1"} {
		if !strings.Contains(strings.Join(paths, " "), want) {
			t.Errorf("found %v, want one under %s", paths, want)
		}
	}
	for exe, want := range map[string]bool{"/usr/bin/bash": true, "bash5.2": true, "/bin/bashbug": false, "/bin/rbash": false, "/bin/bash (deleted)": true} {
		if isBash(exe) != want {
			t.Errorf("isBash(%q) = %v", exe, !want)
		}
	}
}

func TestGoMirrorsMatchObjectBTF(t *testing.T) {
	spec, err := loadBash()
	if err != nil {
		t.Fatal(err)
	}
	bpfcheck.MirrorsMatchBTF(t, spec, map[string]reflect.Type{"bash_event": reflect.TypeOf(bashBashEvent{})})
}

func TestCommittedObjectMatchesFreshBuild(t *testing.T) {
	bpfcheck.CommittedMatchesFresh(t, "bash", "bash")
}

func TestHasReadline(t *testing.T) {
	if _, err := os.Stat("/usr/bin/bash"); err != nil {
		t.Skip("skipped: no /usr/bin/bash")
	}
	if !hasReadline("/usr/bin/bash") {
		t.Error("/usr/bin/bash: no readline symbol found")
	}
	exe, _ := os.Executable()
	if hasReadline(exe) || hasReadline("/nonexistent") {
		t.Error("readline found where there is none")
	}
}
