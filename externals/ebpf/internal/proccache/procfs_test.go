package proccache

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseStat(t *testing.T) {
	rest := " S 77 1 1 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 12345 1000 100"
	info, err := parseStat([]byte("4242 (we (ird) name)" + rest))
	if err != nil {
		t.Fatal(err)
	}
	if info.Comm != "we (ird) name" || info.PPid != 77 || info.Start != 12345*clockTick {
		t.Errorf("got %+v", info)
	}
	for _, bad := range []string{"", "1 comm S 1", "1 (c) S x" + rest[4:], "1 (c) S 1 2", "1 (c)" + strings.Replace(rest, "12345", "-5", 1)} {
		if _, err := parseStat([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestParseStatusUID(t *testing.T) {
	uid, err := parseStatusUID([]byte("Name:\tbash\nUid:\t1000\t1000\t1000\t1000\nGid:\t0\n"))
	if err != nil || uid != 1000 {
		t.Fatalf("uid %d, %v", uid, err)
	}
	for _, bad := range []string{"Name: x\n", "Uid:\n", "Uid:\tx\n"} {
		if _, err := parseStatusUID([]byte(bad)); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestContainerID(t *testing.T) {
	id := "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for path, want := range map[string]string{
		"/system.slice/docker-" + id + ".scope": id,
		"/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1.slice/cri-containerd-" + id + ".scope": id,
		"/kubepods/besteffort/pod3f2c/" + id:            id,
		"/docker/" + id:                                 id,
		"/machine.slice/libpod-conmon-" + id + ".scope": "",
		"/user.slice/user-0.slice/session-3.scope":      "",
		"/docker/" + id + "0":                           "", // 65 digits
		"":                                              "",
	} {
		if got := ContainerID(path); got != want {
			t.Errorf("ContainerID(%q) = %q, want %q", path, got, want)
		}
	}
	v2 := "12:cpu:/x\n0::/system.slice/docker-" + id + ".scope\n"
	if got := parseCgroup([]byte(v2)); got != "/system.slice/docker-"+id+".scope" {
		t.Errorf("parseCgroup v2 = %q", got)
	}
	if got := parseCgroup([]byte("3:memory:/docker/" + id + "\n2:cpu:/\nbad\n")); got != "/docker/"+id {
		t.Errorf("parseCgroup v1 = %q", got)
	}
}

// readProc on a synthetic proc tree: every file, including a cut cmdline.
func TestReadProc(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "31")
	os.MkdirAll(dir, 0o755)
	os.WriteFile(filepath.Join(dir, "stat"), []byte("31 (curl) S 30 1 1 0 -1 0 0 0 0 0 0 0 0 0 20 0 1 0 500 0 0"), 0o644)
	os.WriteFile(filepath.Join(dir, "cmdline"), []byte("curl\x00"+strings.Repeat("a", 2000)+"\x00"), 0o644)
	os.WriteFile(filepath.Join(dir, "status"), []byte("Uid:\t33\t33\t33\t33\n"), 0o644)
	os.WriteFile(filepath.Join(dir, "cgroup"), []byte("0::/docker/"+strings.Repeat("f", 64)+"\n"), 0o644)
	os.Symlink("/usr/bin/curl (deleted)", filepath.Join(dir, "exe"))
	info, err := readProc(root, 31)
	if err != nil {
		t.Fatal(err)
	}
	if info.Comm != "curl" || info.PPid != 30 || info.UID != 33 || info.Path != "/usr/bin/curl" ||
		!info.ArgsCut || len(info.Args) != 2 || len(info.Args[1]) != cmdlineLimit-5 ||
		info.ContainerID != strings.Repeat("f", 64) || info.Start != 5*time.Second {
		t.Errorf("got %+v", info)
	}
	if _, err := readProc(root, 32); err == nil {
		t.Error("missing pid: no error")
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("1 (systemd) S 0 1 1 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 3 1 1"))
	f.Add([]byte("2 ()) S"))
	f.Fuzz(func(t *testing.T, b []byte) {
		if info, err := parseStat(b); err == nil && info.Start < 0 {
			t.Fatalf("negative start %v", info.Start)
		}
	})
}

func FuzzContainerID(f *testing.F) {
	f.Add("/system.slice/docker-" + strings.Repeat("a", 64) + ".scope")
	f.Add("0::/kubepods/pod/" + strings.Repeat("1", 64))
	f.Fuzz(func(t *testing.T, s string) {
		id := ContainerID(parseCgroup([]byte(s)))
		if id != "" && (len(id) != 64 || hexRun64(id) != id) {
			t.Fatalf("bad id %q", id)
		}
		_, _ = parseStatusUID([]byte(s))
	})
}
