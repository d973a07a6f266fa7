package proccache

import "netobs.local/agent/externals/ebpf/features"

// Check is one line of the features report.
type Check struct {
	What   string
	Status features.Status
}

// Features reports what the process cache depends on, on this kernel.
func Features() []Check {
	return []Check{
		{"tracepoint sched/sched_process_exec (required)", features.Tracepoint("sched", "sched_process_exec")},
		{"raw tracepoint sched_process_fork (forked children)", features.Tracepoint("sched", "sched_process_fork")},
		{"tracepoint sched/sched_process_exit (retention of exited processes)", features.Tracepoint("sched", "sched_process_exit")},
		{"BTF task_struct.start_boottime", features.BTFMember("task_struct", "start_boottime")},
		{"BTF kernfs_node (container id from the cgroup)", features.BTFType("kernfs_node")},
	}
}
