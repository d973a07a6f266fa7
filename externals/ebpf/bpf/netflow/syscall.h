/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * syscall.h: the running socket syscall, read from the task's saved user
 * registers, for the peers of unconnected UDP and for payload capture.
 * Included by netflow.c.
 *
 * The send/recv hooks fire inside sock_sendmsg/sock_recvmsg (or
 * inet_sendmsg/inet_recvmsg), where the kernel's own view of the buffer
 * (an iov_iter) has a different layout on every kernel and has already
 * been advanced past the data. The syscall's arguments have neither
 * problem: one set of registers names the buffer for read, write, send*,
 * recv*, readv, writev and *msg alike.
 */
#ifndef SYSCALL_H
#define SYSCALL_H

/* Set by the loader: the kernel has bpf_task_pt_regs (5.15+). */
const volatile bool have_task_pt_regs = true;

/* The syscall a hook runs in: its number and the arguments we read. */
struct syscall {
	long nr;   /* -1: none we can read (kernel threads, io_uring workers) */
	__u64 buf; /* 2nd argument: buffer, iovec array, msghdr or mmsghdr vector */
	__u64 len; /* 3rd argument: buffer length, iovec count or vlen */
	__u64 addr; /* 5th argument: the sockaddr of sendto and recvfrom */
};

#if defined(__TARGET_ARCH_x86)
#define NR_READ 0
#define NR_WRITE 1
#define NR_READV 19
#define NR_WRITEV 20
#define NR_SENDTO 44
#define NR_RECVFROM 45
#define NR_SENDMSG 46
#define NR_RECVMSG 47
#define NR_RECVMMSG 299
#define NR_SENDMMSG 307
#define PF_KTHREAD_FLAG 0x00200000
#define PF_IO_WORKER_FLAG 0x00000010
/*
 * x86-64's task_pt_regs before bpf_task_pt_regs existed: the user
 * registers sit at the top of the task's kernel stack (THREAD_SIZE 16 KiB
 * without KASAN; TOP_OF_KERNEL_STACK_PADDING is 0 on 64-bit until FRED in
 * 6.9, and every kernel since 5.15 takes the helper path instead).
 */
#define KERNEL_STACK_SIZE (16 * 1024)

/* current_syscall fills s and reports whether the task is in a user syscall. */
static __always_inline bool current_syscall(struct syscall *s)
{
	s->nr = -1;
	if (have_task_pt_regs) {
		struct task_struct *task = bpf_get_current_task_btf();
		if (task->flags & (PF_KTHREAD_FLAG | PF_IO_WORKER_FLAG))
			return false;
		struct pt_regs *regs = (struct pt_regs *)bpf_task_pt_regs(task);
		s->nr = regs->orig_ax;
		s->buf = regs->si;
		s->len = regs->dx;
		s->addr = regs->r8;
		return true;
	}
	struct task_struct *task = (struct task_struct *)bpf_get_current_task();
	if (BPF_CORE_READ(task, flags) & (PF_KTHREAD_FLAG | PF_IO_WORKER_FLAG))
		return false;
	struct pt_regs *regs = (struct pt_regs *)((char *)BPF_CORE_READ(task, stack) + KERNEL_STACK_SIZE) - 1;
	s->nr = BPF_CORE_READ(regs, orig_ax);
	s->buf = BPF_CORE_READ(regs, si);
	s->len = BPF_CORE_READ(regs, dx);
	s->addr = BPF_CORE_READ(regs, r8);
	return true;
}

/* read_sockaddr fills the peer of t from a user-space struct sockaddr. */
static __always_inline void read_sockaddr(struct flow_tuple *t, const void *uaddr)
{
	struct sockaddr_in6 sa = {};
	if (!uaddr || bpf_probe_read_user(&sa, sizeof(sa), uaddr) != 0)
		return;
	t->dport = bpf_ntohs(sa.sin6_port);
	if (sa.sin6_family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&sa;
		if (t->family == AF_INET6) { /* v4 peer of a dual-stack socket */
			__builtin_memset(t->daddr, 0, 10);
			t->daddr[10] = t->daddr[11] = 0xff;
			__builtin_memcpy(&t->daddr[12], &in->sin_addr, 4);
		} else {
			__builtin_memcpy(t->daddr, &in->sin_addr, 4);
		}
	} else if (sa.sin6_family == AF_INET6) {
		__builtin_memcpy(t->daddr, &sa.sin6_addr, 16);
	}
}

/*
 * read_syscall_peer reads the peer a sendto/sendmsg names, or a finished
 * recvfrom/recvmsg wrote to the user, into t.
 */
static __always_inline void read_syscall_peer(const struct syscall *s, struct flow_tuple *t)
{
	if (s->nr == NR_SENDTO || s->nr == NR_RECVFROM) {
		read_sockaddr(t, (const void *)s->addr);
	} else if (s->nr == NR_SENDMSG || s->nr == NR_RECVMSG) {
		struct user_msghdr msg = {};
		if (bpf_probe_read_user(&msg, sizeof(msg), (const void *)s->buf) == 0)
			read_sockaddr(t, msg.msg_name);
	}
}
#else
static __always_inline bool current_syscall(struct syscall *s)
{
	s->nr = -1;
	return false;
}
static __always_inline void read_sockaddr(struct flow_tuple *t, const void *uaddr) {}
static __always_inline void read_syscall_peer(const struct syscall *s, struct flow_tuple *t) {}
#define NR_RECVFROM -1
#define NR_RECVMSG -1
#define NR_RECVMMSG -1
#endif

#endif /* SYSCALL_H */
