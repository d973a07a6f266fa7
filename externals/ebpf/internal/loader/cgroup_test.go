package loader

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
)

func TestCgroup2RootIn(t *testing.T) {
	for _, c := range []struct {
		name, info, want string
		ok               bool
	}{
		{"unified", "30 1 0:26 / /sys/fs/cgroup rw,nosuid shared:4 - cgroup2 cgroup2 rw,nsdelegate\n", "/sys/fs/cgroup", true},
		{"hybrid", "25 1 0:22 / /sys/fs/cgroup ro - tmpfs tmpfs ro\n" +
			"26 25 0:23 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n" +
			"27 25 0:24 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n", "/sys/fs/cgroup/unified", true},
		{"a container's view is not the root", "40 30 0:26 /kubepods/pod1 /sys/fs/cgroup ro - cgroup2 cgroup2 rw\n", "", false},
		{"escaped path", `50 1 0:26 / /mnt/my\040cgroup rw - cgroup2 cgroup2 rw` + "\n", "/mnt/my cgroup", true},
		{"v1 only", "27 25 0:24 / /sys/fs/cgroup/cpu rw - cgroup cgroup rw,cpu\n", "", false},
	} {
		got, ok := cgroup2RootIn(c.info)
		if got != c.want || ok != c.ok {
			t.Errorf("%s: %q %v, want %q %v", c.name, got, ok, c.want, c.ok)
		}
	}
}

// With no cgroup2 mount to use, the loader mounts one for the attach and
// unmounts it right after: the attachment lives on, the host keeps no
// mount of ours.
func TestCgroupSockAddrMountsOnlyForTheAttach(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("skipped: mounting cgroup2 and attaching cgroup programs need root")
	}
	empty := filepath.Join(t.TempDir(), "mountinfo")
	os.WriteFile(empty, nil, 0o644)
	oldInfo, oldDir := MountInfo, cgroup2Fallback
	MountInfo, cgroup2Fallback = empty, filepath.Join(t.TempDir(), "cgroup2")
	t.Cleanup(func() { MountInfo, cgroup2Fallback = oldInfo, oldDir })

	prog, err := ebpf.NewProgram(&ebpf.ProgramSpec{Type: ebpf.CGroupSockAddr, AttachType: ebpf.AttachCGroupUDP4Recvmsg,
		License: "GPL", Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 1), asm.Return()}})
	if err != nil {
		t.Skipf("skipped: this kernel refuses cgroup sock_addr programs: %v", err)
	}
	defer prog.Close()
	l, err := CgroupSockAddr(prog, "recvmsg4")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	b, _ := os.ReadFile("/proc/self/mountinfo")
	if strings.Contains(string(b), cgroup2Fallback) {
		t.Errorf("%s is still mounted after the attach", cgroup2Fallback)
	}
	if _, err := CgroupSockAddr(prog, "connect9"); err == nil || !strings.Contains(err.Error(), `"connect9"`) {
		t.Errorf("unknown attach point: %v", err)
	}
}
