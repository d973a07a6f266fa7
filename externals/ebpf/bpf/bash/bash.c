// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * bash: the lines interactive bash shells read, for the ebpf-bash plugin.
 *
 * Hook: a uretprobe on readline (uprobes since 3.5, uretprobes since 3.10)
 * of each bash binary in use. readline returns the line the user typed,
 * after editing and history expansion of the line itself, exactly once
 * per line; scripts and `bash -c` never call it, so only interactive
 * shells are reported. A uprobe is per file (inode), so one attachment
 * covers every process of that binary, in any mount namespace.
 */
#include "netobs.h"
#include "bpf_tracing.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

#define BASH_LINE_LEN 1024

struct bash_event {
	__u32 pid;
	__u32 uid;
	__u32 len; /* bytes of line before its NUL; BASH_LINE_LEN-1 means cut */
	__u32 _pad;
	char comm[16];
	char line[BASH_LINE_LEN];
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 18);
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

const struct bash_event *unused_bash_event __attribute__((unused));

SEC("uretprobe/readline")
int on_readline_return(struct pt_regs *ctx)
{
	const char *line = (const char *)PT_REGS_RC(ctx);
	if (!line)
		return 0; /* EOF (Ctrl-D) */
	struct bash_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		__u32 zero = 0;
		__u64 *n = bpf_map_lookup_elem(&drops, &zero);
		if (n)
			*n += 1;
		return 0;
	}
	long n = bpf_probe_read_user_str(e->line, sizeof(e->line), line);
	if (n <= 1) { /* an empty line, or unreadable */
		bpf_ringbuf_discard(e, 0);
		return 0;
	}
	e->len = n - 1;
	e->_pad = 0;
	e->pid = bpf_get_current_pid_tgid() >> 32;
	e->uid = (__u32)bpf_get_current_uid_gid();
	bpf_get_current_comm(e->comm, sizeof(e->comm));
	/* Wake the reader at once: lines are rare and a person is waiting. */
	bpf_ringbuf_submit(e, 0);
	return 0;
}
