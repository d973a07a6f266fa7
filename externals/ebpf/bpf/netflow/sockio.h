/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Sends and receives (included by netflow.c): the hooks that run on every
 * socket syscall that moves bytes, on the host. They are attached only
 * for UDP flows and the L7 capture, and for TCP where the flush iterators
 * are missing (iter.h): their dispatch alone costs a busy server.
 */
#ifndef NETFLOW_SOCKIO_H
#define NETFLOW_SOCKIO_H

/* sock:sock_{send,recv}_length layout (6.3+). */
struct tp_sock_length {
	struct trace_common common;
	void *sk;
	__u16 family;
	__u16 protocol;
	int ret;
	int flags;
};

#define MSG_PEEK_FLAG 2

/*
 * on_tcp_io attributes and refreshes the tracked connection c of sk.
 * Where the flush iterators run (iter.h, set by the loader), the counters
 * are read there and nothing is read here. Otherwise reading seven
 * tcp_sock fields on every send and recv was most of netflow's per-event
 * cost: a busy connection's counters are refreshed every REFRESH_JIFFIES
 * at most (and always at close, where they are final), so a flush sees
 * them at most that old. Jiffies, not bpf_ktime_get_ns: in a VM the clock
 * read was a third of the run time. 25 jiffies are 25 ms at HZ=1000,
 * 100 ms at 250, 250 ms at 100.
 */
#define REFRESH_JIFFIES 25

const volatile bool counted_at_flush = false;

static __always_inline void on_tcp_io(struct sock *sk, struct conn *c)
{
	if (c->pid == 0)
		attribute(c, current_task());
	if (counted_at_flush)
		return;
	__u64 now = bpf_jiffies64();
	if (now - c->refreshed_at >= REFRESH_JIFFIES) {
		read_tcp_stats(sk, &c->stats);
		c->refreshed_at = now;
	}
}

/*
 * on_sock_io handles one send or receive of ret bytes on sk. Most events
 * are on TCP connections already tracked: those are found by the sk
 * address alone, before anything is read from the sock (each CO-RE read
 * is a helper call).
 */
static __always_inline int on_sock_io(struct sock *sk, int ret, int flags, bool send)
{
	if (ret <= 0 || (!send && (flags & MSG_PEEK_FLAG)))
		return 0; /* EAGAIN reads are as frequent as data on epoll servers */
	__u64 key = (__u64)sk;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	__u16 protocol = IPPROTO_TCP;
	if (c) {
		on_tcp_io(sk, c);
	} else {
		__u16 family = BPF_CORE_READ(sk, __sk_common.skc_family);
		if (family != AF_INET && family != AF_INET6)
			return 0;
		protocol = BPF_CORE_READ(sk, sk_protocol);
		if (protocol == IPPROTO_TCP) {
			/* Established before we started: adopted where the socket
			 * diagnostics counted it since the start, else tracked
			 * from now on, role unknown. */
			c = adopt_conn(sk, key);
			if (c)
				attribute(c, current_task());
			else if (BPF_CORE_READ(sk, __sk_common.skc_state) == TCP_ESTABLISHED)
				track_conn(sk, 0, current_task());
		} else if (protocol == IPPROTO_UDP) {
			struct flow_tuple t = {};
			read_tuple(sk, &t, PROTO_UDP); /* once, for the accounting and the capture */
			if (!send && on_unconnected_udp_recv(sk, &t, ret))
				return 0;
			on_udp_io(sk, &t, ret, send);
			l7_on_io(sk, PROTO_UDP, ret, send, 0, &t);
			return 0;
		} else {
			return 0;
		}
	}
	l7_on_io(sk, PROTO_TCP, ret, send, c, 0);
	return 0;
}

/*
 * sock:sock_send_length / sock:sock_recv_length (6.3+) fire at the end of
 * sock_sendmsg/sock_recvmsg in the calling process for every socket syscall
 * (read, write, send*, recv*, *msg, *mmsg, sendfile): the one place where
 * pid attribution is always right, for passive TCP opens and for UDP.
 */
SEC("tracepoint/sock/sock_send_length")
int on_sock_send_length(struct tp_sock_length *ctx)
{
	return on_sock_io((struct sock *)ctx->sk, ctx->ret, ctx->flags, true);
}

SEC("tracepoint/sock/sock_recv_length")
int on_sock_recv_length(struct tp_sock_length *ctx)
{
	return on_sock_io((struct sock *)ctx->sk, ctx->ret, ctx->flags, false);
}

/*
 * The same two tracepoints as BTF raw tracepoints (tp_btf, 5.5+): the
 * kernel calls the program with the tracepoint's arguments as they are,
 * skipping the perf trace record a classic tracepoint program is handed,
 * which was most of netflow's cost per send and recv on a busy server. The
 * loader attaches these where tp_btf works and the classic ones elsewhere
 * (the unused pair is loaded as a stub).
 */
/*
 * tp_btf hands sk over as a BTF pointer: used as it is (a map key, CO-RE
 * reads), with no copy (a helper call per event). sock_id is the one place
 * that needs its address as a number.
 */
SEC("tp_btf/sock_send_length")
int on_sock_send_length_btf(__u64 *ctx)
{
	return on_sock_io((struct sock *)ctx[0], (int)ctx[1], (int)ctx[2], true);
}

SEC("tp_btf/sock_recv_length")
int on_sock_recv_length_btf(__u64 *ctx)
{
	return on_sock_io((struct sock *)ctx[0], (int)ctx[1], (int)ctx[2], false);
}

/*
 * Kernels before 6.3 have no sock_*_length tracepoints. There, fexit
 * (BPF trampolines, x86-64 since 5.5) on inet_sendmsg, inet6_sendmsg,
 * inet_recvmsg and inet6_recvmsg sees the same sends and receives, in the
 * calling process, with the byte count as the return value. net/socket.c
 * calls them through the socket's ops, from another translation unit, so
 * no caller can inline them away (sock_sendmsg and sock_recvmsg can be),
 * and they also see the later messages of a recvmmsg. Not seen: sendfile
 * and splice (tcp_sendpage before 6.5). A kprobe/kretprobe pair would
 * serve kernels with kprobes but no trampolines; on x86-64 every kernel
 * the collector can run on (BTF for CO-RE, ring buffers from 5.8) has
 * them. The loader attaches these only where the tracepoints are missing.
 *
 * int inet_sendmsg(struct socket *, struct msghdr *, size_t)
 * int inet_recvmsg(struct socket *, struct msghdr *, size_t, int flags)
 * (the same since 4.x; inet6_* alike): fexit's ctx holds the arguments,
 * then the return value.
 */
static __always_inline int on_inet_io(__u64 *ctx, int ret, int flags, bool send)
{
	struct socket *sock = (struct socket *)ctx[0];
	return on_sock_io(BPF_CORE_READ(sock, sk), ret, flags, send);
}

SEC("fexit/inet_sendmsg")
int on_inet_sendmsg_fexit(__u64 *ctx)
{
	return on_inet_io(ctx, (int)ctx[3], 0, true);
}

SEC("fexit/inet6_sendmsg")
int on_inet6_sendmsg_fexit(__u64 *ctx)
{
	return on_inet_io(ctx, (int)ctx[3], 0, true);
}

SEC("fexit/inet_recvmsg")
int on_inet_recvmsg_fexit(__u64 *ctx)
{
	return on_inet_io(ctx, (int)ctx[4], (int)ctx[3], false);
}

SEC("fexit/inet6_recvmsg")
int on_inet6_recvmsg_fexit(__u64 *ctx)
{
	return on_inet_io(ctx, (int)ctx[4], (int)ctx[3], false);
}

#endif
