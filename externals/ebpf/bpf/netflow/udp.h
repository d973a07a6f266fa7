/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * udp.h: UDP flows for netflow.c, which includes it: bytes per (tuple,
 * pid) in udp_flows, and the senders of datagrams read from unconnected
 * sockets, which the receive hook itself cannot see (the kernel writes
 * the sender for the user only after it): from the cgroup recvmsg hooks,
 * else from the syscall exits attached on demand, else the peer the
 * socket last sent to.
 */
#ifndef UDP_H
#define UDP_H

/*
 * An unconnected UDP socket has no peer in the sock; for sendto/sendmsg the
 * peer is the syscall's address argument.
 */
static __always_inline void read_send_peer(struct flow_tuple *t)
{
	struct syscall s;
	if (current_syscall(&s))
		read_syscall_peer(&s, t);
}

/*
 * UDP bytes received on an unconnected socket (recvfrom/recvmsg/recvmmsg
 * without connect: every DNS server, most UDP clients) have no peer at
 * sock_recv_length: the kernel copies the sender's address to the user
 * only after sock_recvmsg returns. The recv is stashed per thread and
 * booked at the syscall's exit, where msg_name is filled in.
 */
struct udp_recv_pending {
	__u64 sk;
	__u64 ts_ns; /* when the first byte count arrived: the L7 event's time */
	__u64 bytes; /* summed over the messages of a recvmmsg */
	__u8 l7;     /* the L7 capture finishes this recv too */
	__u8 _pad[7];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, struct udp_recv_pending);
} udp_recv_pending SEC(".maps");

/*
 * Set by userspace while the syscall exit hooks are attached (a .bss
 * variable, not a constant: without them, recvs are booked at once
 * against an unknown peer, and nothing is left waiting for an exit).
 * Any syscall tracepoint makes every syscall of every task on the host
 * take the slow exit path (6 % of an HTTP server's throughput here), so
 * userspace attaches them only while unconnected UDP sockets receive,
 * which it learns from unconnected_udp_recvs.
 */
volatile bool udp_recv_at_exit = false;
volatile __u64 unconnected_udp_recvs = 0;

/* UDP flows in netflow (--netflow-udp); the peers are still worked out
 * for the L7 capture without them. */
const volatile bool udp_flows_on = true;

/* udp_account adds bytes to the flow of t for the current process. */
static __noinline void udp_account(struct flow_tuple *t, __u64 bytes, bool send)
{
	if (!udp_flows_on || skip_tuple(t))
		return;
	struct udp_key k = {};
	__builtin_memcpy(&k.tuple, t, sizeof(k.tuple));
	k.pid = bpf_get_current_pid_tgid() >> 32;

	struct udp_stats *s = bpf_map_lookup_elem(&udp_flows, &k);
	if (!s) {
		struct udp_stats fresh = {};
		process_comm(&fresh.comm);
		if (bpf_map_update_elem(&udp_flows, &k, &fresh, BPF_NOEXIST) == -E2BIG) {
			count_drop(DROP_UDP_MAP_FULL);
			return;
		}
		s = bpf_map_lookup_elem(&udp_flows, &k);
		if (!s)
			return;
	}
	if (send)
		__sync_fetch_and_add(&s->bytes_sent, bytes);
	else
		__sync_fetch_and_add(&s->bytes_recv, bytes);
	s->last_ns = bpf_ktime_get_ns();
}

/*
 * recv_syscall_with_peer returns the number of the running recvfrom,
 * recvmsg or recvmmsg (the syscalls that can name the sender), or -1.
 */
static __always_inline long recv_syscall_with_peer(void)
{
	struct syscall s;
	if (!current_syscall(&s))
		return -1;
	if ((s.nr == NR_RECVFROM && s.addr) || s.nr == NR_RECVMSG || s.nr == NR_RECVMMSG)
		return s.nr;
	return -1;
}

/* stash_udp_recv defers a recv to the syscall's exit (see udp_recv_pending). */
static __always_inline void stash_udp_recv(struct sock *sk, int bytes, bool l7)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct udp_recv_pending *p = bpf_map_lookup_elem(&udp_recv_pending, &tid);
	if (p && p->sk == (__u64)sk) { /* the next message of a recvmmsg */
		p->bytes += bytes;
		return;
	}
	struct udp_recv_pending fresh = {.sk = (__u64)sk, .ts_ns = bpf_ktime_get_ns(), .bytes = bytes, .l7 = l7};
	if (bpf_map_update_elem(&udp_recv_pending, &tid, &fresh, BPF_ANY))
		count_drop(DROP_UDP_MAP_FULL);
}


/*
 * The peer an unconnected UDP socket last sent to. While the recv exits
 * are detached (udp_recv_at_exit), a datagram read from such a socket is
 * booked to it: right for a client that asks one server and reads the
 * answer (a short-lived one is gone before the exits could attach), a
 * guess otherwise, and only until the exits are attached.
 */
struct udp_peer {
	__u8 addr[16];
	__u16 port;
	__u8 _pad[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* sk */
	__type(value, struct udp_peer);
} udp_last_peer SEC(".maps");

/*
 * cgroup/recvmsg4 and cgroup/recvmsg6 (5.2+), attached to the root of the
 * cgroup v2 hierarchy: udp_recvmsg and udpv6_recvmsg run them in the
 * receiving task right after writing the sender's address for the user,
 * and only when the caller asked for it (recvfrom, recvmsg, recvmmsg with
 * msg_name). The sock_recv_length that follows on the same thread takes
 * the sender from here: the peers of unconnected UDP sockets with no
 * syscall tracepoint (those slow every syscall on the host). They only
 * look: 1 lets the receive through unchanged.
 */
struct udp_sender {
	__u64 cookie; /* the receiving socket's */
	struct udp_peer peer;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, struct udp_sender);
} udp_senders SEC(".maps");

SEC("cgroup/recvmsg4")
int on_udp4_recvmsg(struct bpf_sock_addr *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct udp_sender s = {.cookie = bpf_get_socket_cookie(ctx)};
	__u32 ip = ctx->user_ip4;
	__builtin_memcpy(s.peer.addr, &ip, 4);
	s.peer.port = bpf_ntohs((__u16)ctx->user_port);
	bpf_map_update_elem(&udp_senders, &tid, &s, BPF_ANY);
	return 1;
}

SEC("cgroup/recvmsg6")
int on_udp6_recvmsg(struct bpf_sock_addr *ctx)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct udp_sender s = {.cookie = bpf_get_socket_cookie(ctx)};
	__u32 *w = (__u32 *)s.peer.addr;
	w[0] = ctx->user_ip6[0]; /* the context allows word loads only */
	w[1] = ctx->user_ip6[1];
	w[2] = ctx->user_ip6[2];
	w[3] = ctx->user_ip6[3];
	s.peer.port = bpf_ntohs((__u16)ctx->user_port);
	bpf_map_update_elem(&udp_senders, &tid, &s, BPF_ANY);
	return 1;
}

/* take_sender fills t's peer from what the recvmsg hook saw for sk, if it did. */
static __always_inline bool take_sender(struct sock *sk, struct flow_tuple *t)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct udp_sender *s = bpf_map_lookup_elem(&udp_senders, &tid);
	if (!s)
		return false;
	/* the hook set the cookie (bpf_get_socket_cookie), so it is there */
	bool mine = s->cookie == (__u64)BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	if (mine) {
		__builtin_memcpy(t->daddr, s->peer.addr, sizeof(t->daddr));
		t->dport = s->peer.port;
	}
	bpf_map_delete_elem(&udp_senders, &tid);
	return mine;
}

/*
 * on_udp_io books a send or receive of the flow t, read from sk. An
 * unconnected send gets its peer from the syscall, in t itself (the L7
 * capture uses it too); an unconnected receive nobody named is booked to
 * the socket's last peer, a guess kept out of t (a wrong peer would stop a
 * DNS query from matching its answer).
 */
static __always_inline void on_udp_io(struct sock *sk, struct flow_tuple *t, int bytes, bool send)
{
	__u64 key = (__u64)sk;
	if (send && t->dport == 0) {
		read_send_peer(t);
		struct udp_peer last = {.port = t->dport};
		__builtin_memcpy(last.addr, t->daddr, sizeof(last.addr));
		bpf_map_update_elem(&udp_last_peer, &key, &last, BPF_ANY);
	} else if (!send && t->dport == 0) {
		struct udp_peer *last = bpf_map_lookup_elem(&udp_last_peer, &key);
		if (last) {
			/* an unconnected socket's tuple has no peer: put the guess
			 * in for the booking and take it out again (no second
			 * tuple on the stack: pre-6.12 verifiers count every copy) */
			__builtin_memcpy(t->daddr, last->addr, sizeof(t->daddr));
			t->dport = last->port;
			udp_account(t, bytes, send);
			__builtin_memset(t->daddr, 0, sizeof(t->daddr));
			t->dport = 0;
			return;
		}
	}
	udp_account(t, bytes, send);
}

/*
 * on_unconnected_udp_recv books a receive on an unconnected socket (t has
 * no peer) to the sender a cgroup hook named, or defers it to the syscall's
 * exit; it reports whether it did either.
 */
static __always_inline bool on_unconnected_udp_recv(struct sock *sk, struct flow_tuple *t, int bytes)
{
	if (t->dport != 0)
		return false; /* connected: the peer is in the sock */
	if (take_sender(sk, t)) { /* fills the peer only when it returns true */
		udp_account(t, bytes, false);
		if (l7_wants_recv(sk)) {
			struct syscall s;
			current_syscall(&s);
			l7_finish_recv(sk, t, bpf_ktime_get_ns(), bytes, &s);
		}
		return true;
	}
	long nr = recv_syscall_with_peer();
	if (nr < 0)
		return false; /* read, recv: the sender is nowhere */
	/* a syscall that names the sender, and no cgroup hook saw it: the
	 * recv exits are wanted (recvexits.go) */
	__sync_fetch_and_add(&unconnected_udp_recvs, 1);
	if (!udp_recv_at_exit)
		return false;
	/* recvmmsg's payloads are captured per message now, without a peer */
	bool l7 = nr != NR_RECVMMSG && l7_wants_recv(sk);
	stash_udp_recv(sk, bytes, l7);
	if (!l7)
		l7_on_io(sk, PROTO_UDP, bytes, false, 0, t);
	return true;
}


/* The syscalls tracepoints' exit record (stable layout). */
struct tp_sys_exit {
	struct trace_common common;
	long id;
	long ret;
};

#define MMSG_PEERS 8 /* messages of one recvmmsg booked to their own sender */

/*
 * book_recvmmsg books each of the first MMSG_PEERS messages of a finished
 * recvmmsg to its sender (msg_hdr.msg_name, msg_len); bytes of further
 * messages go to the unknown peer.
 */
static __always_inline void book_recvmmsg(const struct syscall *s, long msgs, const struct udp_recv_pending *p)
{
	const struct mmsghdr *vec = (const struct mmsghdr *)s->buf;
	__u64 left = p->bytes;
	for (int i = 0; i < MMSG_PEERS && i < msgs && left > 0; i++) {
		struct mmsghdr m = {};
		if (bpf_probe_read_user(&m, sizeof(m), &vec[i]))
			break;
		__u64 n = m.msg_len < left ? m.msg_len : left;
		struct flow_tuple t = {};
		read_tuple((struct sock *)p->sk, &t, PROTO_UDP);
		read_sockaddr(&t, m.msg_hdr.msg_name);
		udp_account(&t, n, false);
		left -= n;
	}
	if (left > 0) {
		struct flow_tuple t = {};
		read_tuple((struct sock *)p->sk, &t, PROTO_UDP);
		udp_account(&t, left, false);
	}
}

/* on_recv_exit books a recv stashed by on_unconnected_udp_recv to its sender. */
static __always_inline void on_recv_exit(long ret)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct udp_recv_pending *pp = bpf_map_lookup_elem(&udp_recv_pending, &tid);
	if (!pp)
		return;
	struct udp_recv_pending p = *pp;
	bpf_map_delete_elem(&udp_recv_pending, &tid);
	struct syscall s;
	current_syscall(&s);
	if (s.nr == NR_RECVMMSG && ret > 0) {
		book_recvmmsg(&s, ret, &p);
		return;
	}
	struct flow_tuple t = {};
	read_tuple((struct sock *)p.sk, &t, PROTO_UDP);
	if (ret > 0)
		read_syscall_peer(&s, &t); /* on failure the bytes still count, peer unknown */
	udp_account(&t, p.bytes, false);
	if (p.l7 && ret > 0)
		l7_finish_recv((struct sock *)p.sk, &t, p.ts_ns, ret, &s);
}

SEC("tracepoint/syscalls/sys_exit_recvfrom")
int on_sys_exit_recvfrom(struct tp_sys_exit *ctx)
{
	on_recv_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_recvmsg")
int on_sys_exit_recvmsg(struct tp_sys_exit *ctx)
{
	on_recv_exit(ctx->ret);
	return 0;
}

SEC("tracepoint/syscalls/sys_exit_recvmmsg")
int on_sys_exit_recvmmsg(struct tp_sys_exit *ctx)
{
	on_recv_exit(ctx->ret);
	return 0;
}

#endif /* UDP_H */
