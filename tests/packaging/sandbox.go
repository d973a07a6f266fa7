package packaging

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// The sandbox runs a unit's ExecStart= from an installed root the way
// systemd would start the service, for hosts where systemd is not PID 1.
// It honours what changes whether the agent works: RootDirectory (the
// scratch root, by chroot), User= (root only), Environment=,
// CapabilityBoundingSet=, NoNewPrivileges=, LimitMEMLOCK=/LimitNOFILE=,
// PrivateTmp=, ProtectSystem=full (read-only /usr, /boot, /etc) with
// ReadWritePaths=. Not emulated: the other Protect*/Restrict* settings,
// which `systemd-analyze verify/security` check statically instead.
//
// The test binary re-executes itself in a new mount namespace with the spec
// in sandboxEnv; TestMain then calls runSandbox, which never returns.

const sandboxEnv = "PACKAGING_SANDBOX_SPEC"

type sandboxSpec struct {
	Root       string
	Argv, Env  []string
	Caps       []int // the bounding set
	NoNewPrivs bool
	ReadOnly   []string // inside Root
	ReadWrite  []string
	PrivateTmp bool
	MemlockInf bool
	NoFile     uint64
}

// SandboxCommand prepares the unit's ExecStart (or argv, when given: a
// command run under the same settings) from root, with extraEnv after the
// unit's Environment= (as a drop-in would add it).
func SandboxCommand(u *Unit, root string, extraEnv []string, argv ...string) (*exec.Cmd, error) {
	if user := u.Get("Service.User"); user != "" && user != "root" {
		return nil, fmt.Errorf("User=%s: the sandbox runs root units only", user)
	}
	if len(argv) == 0 {
		var err error
		if argv, err = u.ExecStart(); err != nil {
			return nil, err
		}
	}
	spec := sandboxSpec{Root: root, Argv: argv,
		Env:        append(append([]string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"}, u.Environment()...), extraEnv...),
		NoNewPrivs: u.Get("Service.NoNewPrivileges") == "yes",
		PrivateTmp: u.Get("Service.PrivateTmp") == "yes",
		MemlockInf: u.Get("Service.LimitMEMLOCK") == "infinity",
	}
	if n := u.Get("Service.LimitNOFILE"); n != "" {
		spec.NoFile, _ = strconv.ParseUint(n, 10, 64)
	}
	if names := u.List("Service.CapabilityBoundingSet"); len(names) > 0 {
		for _, n := range names {
			c, ok := capByName[n]
			if !ok {
				return nil, fmt.Errorf("CapabilityBoundingSet: unknown %s", n)
			}
			spec.Caps = append(spec.Caps, c)
		}
	} else {
		spec.Caps = nil // unset: the full set
		for c := 0; c <= lastCap(); c++ {
			spec.Caps = append(spec.Caps, c)
		}
	}
	switch ps := u.Get("Service.ProtectSystem"); ps {
	case "", "no":
	case "yes", "full":
		spec.ReadOnly = []string{"/usr", "/boot", "/efi"}
		if ps == "full" {
			spec.ReadOnly = append(spec.ReadOnly, "/etc")
		}
	default:
		return nil, fmt.Errorf("ProtectSystem=%s: not emulated", ps)
	}
	spec.ReadWrite = u.List("Service.ReadWritePaths")
	b, _ := json.Marshal(spec)
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(self, "-test.run=^$")
	cmd.Env = append(os.Environ(), sandboxEnv+"="+string(b))
	cmd.SysProcAttr = &syscall.SysProcAttr{Unshareflags: syscall.CLONE_NEWNS, Setpgid: true}
	return cmd, nil
}

// runSandbox sets the spec up in this (fresh, private) mount namespace and
// execs the command; it exits on any failure, saying which step failed.
func runSandbox(raw string) {
	var s sandboxSpec
	if err := json.Unmarshal([]byte(raw), &s); err != nil {
		fail("spec", err)
	}
	in := func(p string) string { return filepath.Join(s.Root, p) }
	for _, m := range []string{"/proc", "/sys", "/dev"} {
		os.MkdirAll(in(m), 0o755)
		if err := unix.Mount(m, in(m), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			fail("bind "+m, err)
		}
	}
	if s.PrivateTmp {
		os.MkdirAll(in("/tmp"), 0o1777)
		if err := unix.Mount("tmpfs", in("/tmp"), "tmpfs", 0, "mode=1777"); err != nil {
			fail("PrivateTmp", err)
		}
	}
	for _, p := range s.ReadOnly {
		if _, err := os.Stat(in(p)); err != nil {
			continue
		}
		if err := unix.Mount(in(p), in(p), "", unix.MS_BIND|unix.MS_REC, ""); err != nil {
			fail("ProtectSystem bind "+p, err)
		}
		if err := unix.Mount("", in(p), "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, ""); err != nil {
			fail("ProtectSystem ro "+p, err)
		}
	}
	for _, p := range s.ReadWrite {
		optional := strings.HasPrefix(p, "-")
		p = strings.TrimPrefix(p, "-")
		if _, err := os.Stat(in(p)); err != nil && optional {
			continue
		}
		// A bind copies the read-only flag of the mount it comes from;
		// the remount without MS_RDONLY clears it on the new mount only.
		if err := unix.Mount(in(p), in(p), "", unix.MS_BIND, ""); err != nil {
			fail("ReadWritePaths "+p, err)
		}
		if err := unix.Mount("", in(p), "", unix.MS_BIND|unix.MS_REMOUNT, ""); err != nil {
			fail("ReadWritePaths rw "+p, err)
		}
	}
	if s.MemlockInf {
		inf := unix.Rlimit{Cur: unix.RLIM_INFINITY, Max: unix.RLIM_INFINITY}
		// systemd fails the start here; some test hosts (containers
		// without CAP_SYS_RESOURCE) cannot raise it, and kernels since 5.11
		// charge BPF memory to the cgroup instead, so say so and go on.
		if err := unix.Setrlimit(unix.RLIMIT_MEMLOCK, &inf); err != nil {
			fmt.Fprintf(os.Stderr, "sandbox: LimitMEMLOCK=infinity: %v (this host cannot raise it); keeping the current limit\n", err)
		}
	}
	if s.NoFile > 0 {
		if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &unix.Rlimit{Cur: s.NoFile, Max: s.NoFile}); err != nil {
			// As for LimitMEMLOCK: up to this host's hard limit.
			var cur unix.Rlimit
			unix.Getrlimit(unix.RLIMIT_NOFILE, &cur)
			cur.Cur = min(s.NoFile, cur.Max)
			unix.Setrlimit(unix.RLIMIT_NOFILE, &cur)
			fmt.Fprintf(os.Stderr, "sandbox: LimitNOFILE=%d: %v; using %d\n", s.NoFile, err, cur.Cur)
		}
	}
	if err := unix.Chroot(s.Root); err != nil {
		fail("chroot", err)
	}
	if err := os.Chdir("/"); err != nil {
		fail("chdir", err)
	}
	keep := map[int]bool{}
	for _, c := range s.Caps {
		keep[c] = true
	}
	for c := 0; c <= lastCap(); c++ {
		if !keep[c] {
			if err := unix.Prctl(unix.PR_CAPBSET_DROP, uintptr(c), 0, 0, 0); err != nil {
				fail(fmt.Sprintf("CapabilityBoundingSet drop %d", c), err)
			}
		}
	}
	if s.NoNewPrivs {
		if err := unix.Prctl(unix.PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0); err != nil {
			fail("NoNewPrivileges", err)
		}
	}
	// root without file capabilities: execve leaves it the bounding set.
	err := unix.Exec(s.Argv[0], s.Argv, s.Env)
	fail("exec "+s.Argv[0], err)
}

func fail(step string, err error) {
	fmt.Fprintf(os.Stderr, "sandbox: %s: %v\n", step, err)
	os.Exit(127)
}

func lastCap() int {
	b, err := os.ReadFile("/proc/sys/kernel/cap_last_cap")
	if err != nil {
		return unix.CAP_LAST_CAP
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return unix.CAP_LAST_CAP
	}
	return n
}

var capByName = map[string]int{
	"CAP_CHOWN": unix.CAP_CHOWN, "CAP_DAC_OVERRIDE": unix.CAP_DAC_OVERRIDE, "CAP_DAC_READ_SEARCH": unix.CAP_DAC_READ_SEARCH,
	"CAP_FOWNER": unix.CAP_FOWNER, "CAP_KILL": unix.CAP_KILL, "CAP_SETGID": unix.CAP_SETGID, "CAP_SETUID": unix.CAP_SETUID,
	"CAP_NET_BIND_SERVICE": unix.CAP_NET_BIND_SERVICE, "CAP_NET_ADMIN": unix.CAP_NET_ADMIN, "CAP_NET_RAW": unix.CAP_NET_RAW,
	"CAP_IPC_LOCK": unix.CAP_IPC_LOCK, "CAP_SYS_CHROOT": unix.CAP_SYS_CHROOT, "CAP_SYS_PTRACE": unix.CAP_SYS_PTRACE,
	"CAP_SYS_ADMIN": unix.CAP_SYS_ADMIN, "CAP_SYS_RESOURCE": unix.CAP_SYS_RESOURCE, "CAP_PERFMON": unix.CAP_PERFMON,
	"CAP_BPF": unix.CAP_BPF, "CAP_CHECKPOINT_RESTORE": unix.CAP_CHECKPOINT_RESTORE, "CAP_SYSLOG": unix.CAP_SYSLOG,
}

// capMask is the CapBnd line /proc/<pid>/status shows for caps.
func capMask(caps []int) uint64 {
	var m uint64
	for _, c := range caps {
		m |= 1 << uint(c)
	}
	return m
}
