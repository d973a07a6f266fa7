package loader

import "testing"

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
