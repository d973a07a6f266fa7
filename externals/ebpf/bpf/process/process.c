// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * process: the process cache's kernel side. One record per exec, per new
 * process (fork of a thread-group leader's clone that is not a thread) and
 * per process exit, so userspace knows the path, arguments, parent, start
 * time and cgroup of processes that live only a few milliseconds, which a
 * /proc scan would miss.
 *
 * Hooks (no kprobe, no fentry: this must load on kernels without either):
 * - tracepoint sched/sched_process_exec (3.4+): the new image is mapped and
 *   current is the exec'ing task, so argv is readable at mm->arg_start and
 *   the path is the tracepoint's __data_loc filename.
 * - raw_tracepoint sched_process_fork (4.17+): gives both task_structs, so
 *   threads (child pid != tgid) are skipped in the kernel. The classic
 *   tracepoint has only pids and cannot tell threads apart.
 * - tracepoint sched/sched_process_exit (3.x+): fires per exiting thread;
 *   only the last one (signal->live reached 0) ends the process.
 */
#include "netobs.h"
#include "bpf_tracing.h"
#include "process.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

const volatile __u64 wakeup_bytes = 65536;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 21);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

const struct exec_event *unused_exec_event __attribute__((unused));
const struct task_event *unused_task_event __attribute__((unused));
const enum proc_event_type *unused_proc_event_type __attribute__((unused));

/* kernfs_node.parent became __parent in 6.15 (RCU-protected). */
struct kernfs_node___old {
	struct kernfs_node *parent;
} __attribute__((preserve_access_index));

static __always_inline void count_drop(void)
{
	__u32 zero = 0;
	__u64 *n = bpf_map_lookup_elem(&drops, &zero);
	if (n)
		*n += 1;
}


static __always_inline void fill_task(struct task_event *e, __u32 type, struct task_struct *task)
{
	e->type = type;
	e->pid = BPF_CORE_READ(task, tgid);
	e->ppid = BPF_CORE_READ(task, real_parent, tgid);
	e->start_ns = BPF_CORE_READ(task, start_boottime); /* 5.5+: /proc's starttime clock */
	e->exit_code = 0;
}

/* Leaf and parent names of the task's cgroup v2 node: the container id is
 * in one of them for every runtime we know (docker-<id>.scope,
 * cri-containerd-<id>.scope, crio-<id>.scope, <id> under /docker/ or a pod). */
static __always_inline void read_cgroup(struct exec_event *e, struct task_struct *task)
{
	struct kernfs_node *kn = BPF_CORE_READ(task, cgroups, dfl_cgrp, kn);
	struct kernfs_node *parent;

	if (!kn)
		return;
	e->cgroup_id = BPF_CORE_READ(kn, id);
	bpf_probe_read_kernel_str(e->cgroup, sizeof(e->cgroup), BPF_CORE_READ(kn, name));
	if (bpf_core_field_exists(kn->__parent))
		parent = BPF_CORE_READ(kn, __parent);
	else
		parent = BPF_CORE_READ((struct kernfs_node___old *)kn, parent);
	if (parent)
		bpf_probe_read_kernel_str(e->cgroup_parent, sizeof(e->cgroup_parent),
					  BPF_CORE_READ(parent, name));
}

/* include/trace/events/sched.h: sched_process_exec, stable since 3.4. */
struct tp_sched_process_exec {
	struct trace_common common;
	__u32 filename_loc; /* __data_loc: offset in the low 16 bits, length in the high 16 */
	int pid;
	int old_pid;
};

SEC("tracepoint/sched/sched_process_exec")
int on_sched_process_exec(struct tp_sched_process_exec *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	struct exec_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_task(&e->task, EVENT_PROC_EXEC, task);
	e->uid = (__u32)bpf_get_current_uid_gid();
	e->cgroup_id = 0;
	e->cgroup[0] = 0;
	e->cgroup_parent[0] = 0;
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	e->path_len = 0;
	long n = bpf_probe_read_kernel_str(e->path, sizeof(e->path),
					   (void *)ctx + (ctx->filename_loc & 0xFFFF));
	if (n > 0)
		e->path_len = n - 1;
	read_cgroup(e, task);

	/* argv: NUL-separated strings between arg_start and arg_end. */
	__u64 start = BPF_CORE_READ(task, mm, arg_start);
	__u64 end = BPF_CORE_READ(task, mm, arg_end);
	__u64 len = end > start ? end - start : 0;
	e->args_full_len = len > 0xFFFFFFFF ? 0xFFFFFFFF : (__u32)len;
	if (len > sizeof(e->args))
		len = sizeof(e->args);
	e->args_len = 0;
	if (len > 0 && bpf_probe_read_user(e->args, len, (void *)start) == 0)
		e->args_len = len;
	bpf_ringbuf_submit(e, reserved_wakeup_flags(&events, sizeof(*e), wakeup_bytes));
	return 0;
}

SEC("raw_tracepoint/sched_process_fork")
int on_sched_process_fork(struct bpf_raw_tracepoint_args *ctx)
{
	struct task_struct *child = (struct task_struct *)ctx->args[1];
	if (BPF_CORE_READ(child, pid) != BPF_CORE_READ(child, tgid))
		return 0; /* a new thread, not a new process */
	struct task_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_task(e, EVENT_PROC_FORK, child);
	bpf_ringbuf_submit(e, reserved_wakeup_flags(&events, sizeof(*e), wakeup_bytes));
	return 0;
}

SEC("tracepoint/sched/sched_process_exit")
int on_sched_process_exit(void *ctx)
{
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, signal, live.counter) != 0)
		return 0; /* other threads still run: the process lives on */
	struct task_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop();
		return 0;
	}
	fill_task(e, EVENT_PROC_EXIT, task);
	e->exit_code = BPF_CORE_READ(task, exit_code);
	bpf_ringbuf_submit(e, reserved_wakeup_flags(&events, sizeof(*e), wakeup_bytes));
	return 0;
}
