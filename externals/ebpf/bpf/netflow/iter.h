/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * BPF iterators that userspace runs at each flush (read(2) on the
 * iterator's fd runs the program once per element, in the reader's
 * context). They let TCP accounting do without any program on sends and
 * receives, whose mere dispatch cost an HTTP server ~5 % of its throughput
 * here: the counters of live connections are read from their tcp_sock at
 * the flush, and the process of a connection that was accepted (its open
 * fires in softirq) is found among the open files.
 *
 * iter/bpf_map_elem is stable since 5.9, iter/task_file since 5.8; where
 * either is missing the loader keeps the send/recv hooks for TCP.
 */
#ifndef NETFLOW_ITER_H
#define NETFLOW_ITER_H

#define S_IFMT 00170000
#define S_IFSOCK 0140000

/*
 * refresh_conns reads the counters of every tracked connection. An entry
 * is deleted when its socket reaches CLOSE, before the socket is freed,
 * and tcp_sock memory is SLAB_TYPESAFE_BY_RCU: the reads may race a
 * close, never fault.
 */
SEC("iter/bpf_map_elem")
int refresh_conns(struct bpf_iter__bpf_map_elem *ctx)
{
	__u64 *sk = ctx->key;
	struct conn *c = ctx->value;
	if (!sk || !c)
		return 0;
	read_tcp_stats((struct sock *)*sk, &c->stats);
	return 0;
}

/*
 * attribute_sockets visits every open file of every process (threads that
 * share a file table once). A socket whose connection has no process yet
 * gets the file's owner; an established TCP socket that is not tracked
 * (opened before the collector started) starts being tracked, role
 * unknown. A socket shared by several processes goes to the first one
 * visited.
 */
SEC("iter/task_file")
int attribute_sockets(struct bpf_iter__task_file *ctx)
{
	struct file *file = ctx->file;
	struct task_struct *task = ctx->task;
	if (!file || !task)
		return 0;
	if ((BPF_CORE_READ(file, f_inode, i_mode) & S_IFMT) != S_IFSOCK)
		return 0;
	struct socket *sock = BPF_CORE_READ(file, private_data);
	struct sock *sk = BPF_CORE_READ(sock, sk);
	if (!sk)
		return 0;
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	if (c) {
		if (c->pid == 0)
			attribute(c, task);
		return 0;
	}
	__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
	if ((family != AF_INET && family != AF_INET6) || BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP ||
	    BPF_CORE_READ(sk, __sk_common.skc_state) != TCP_ESTABLISHED)
		return 0;
	track_conn(sk, 0, task);
	return 0;
}

#endif
