// Package procselect decides which processes the collector observes:
// include and exclude rules by command line regex, pid and container, as
// iLogtail's IncludeCmdRegex/ExcludeCmdRegex and container filters. The
// collector itself and its supervisor are never observed.
//
// A process is observed when it matches no exclude rule and every include
// rule that is set (rules combine with AND, as iLogtail's filters do).
// Records whose process is unknown (pid 0: an accepted connection never
// used in process context) are observed unless an include rule is set.
//
// Container rules match the container's name when a runtime's state names
// it (proccache.Info.ContainerName: Docker's name, the Kubernetes container
// name in a pod, podman's, nerdctl's; see package containers), else the
// container id from the cgroup path, so a rule written for an id keeps
// working where no runtime's files are readable. Processes outside
// containers never match a container rule.
package procselect

import (
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"

	"netobs.local/agent/externals/ebpf/internal/proccache"
)

// Rules are the user's selection; nil regexps and empty pid sets are unset.
type Rules struct {
	IncludeCmd, ExcludeCmd             *regexp.Regexp
	IncludePids, ExcludePids           map[uint32]bool
	IncludeContainer, ExcludeContainer *regexp.Regexp
}

// Processes is where the selector looks processes up (proccache.Table).
type Processes interface {
	Lookup(pid uint32) (proccache.Info, bool)
}

// ContainerNames resolves a container id to its name when the process
// cache did not name it; nil, or an empty answer, makes container rules
// match the id itself.
type ContainerNames interface {
	Name(id string) string
}

// Selector applies Rules.
type Selector struct {
	rules Rules
	procs Processes
	names ContainerNames
	never map[uint32]bool // the collector and its supervisor
}

// New returns a selector that never observes the pids in never.
func New(r Rules, procs Processes, names ContainerNames, never ...uint32) *Selector {
	s := &Selector{rules: r, procs: procs, names: names, never: map[uint32]bool{}}
	for _, p := range never {
		s.never[p] = true
	}
	return s
}

// Observe reports whether records of pid are wanted.
func (s *Selector) Observe(pid uint32) bool {
	r := &s.rules
	if s.never[pid] || r.ExcludePids[pid] {
		return false
	}
	if len(r.IncludePids) > 0 && !r.IncludePids[pid] {
		return false
	}
	needInfo := r.IncludeCmd != nil || r.ExcludeCmd != nil || r.IncludeContainer != nil || r.ExcludeContainer != nil
	if !needInfo {
		return true
	}
	info, ok := s.procs.Lookup(pid)
	if !ok { // nothing to match: only an include rule can decide
		return r.IncludeCmd == nil && r.IncludeContainer == nil
	}
	cmd := info.Cmdline()
	if r.ExcludeCmd != nil && r.ExcludeCmd.MatchString(cmd) || r.IncludeCmd != nil && !r.IncludeCmd.MatchString(cmd) {
		return false
	}
	if r.IncludeContainer == nil && r.ExcludeContainer == nil {
		return true
	}
	name := containerKey(&info, s.names)
	inContainer := info.ContainerID != ""
	if r.ExcludeContainer != nil && inContainer && r.ExcludeContainer.MatchString(name) {
		return false
	}
	return r.IncludeContainer == nil || inContainer && r.IncludeContainer.MatchString(name)
}

// containerKey is what container rules match: the name, else the id.
func containerKey(info *proccache.Info, names ContainerNames) string {
	if info.ContainerName != "" || info.ContainerID == "" {
		return info.ContainerName
	}
	if names != nil {
		if n := names.Name(info.ContainerID); n != "" {
			return n
		}
	}
	return info.ContainerID
}

// Own returns the pids never to observe: this process, and its parent when
// the parent is the datakit supervisor (it is not when a user runs the
// collector from a shell, whose bash lines must still be seen).
func Own(procRoot string) []uint32 {
	pids := []uint32{uint32(os.Getpid())}
	ppid := os.Getppid()
	comm, err := os.ReadFile(filepath.Join(procRoot, strconv.Itoa(ppid), "comm"))
	if err == nil && strings.TrimSpace(string(comm)) == "datakit" {
		pids = append(pids, uint32(ppid))
	}
	return pids
}
