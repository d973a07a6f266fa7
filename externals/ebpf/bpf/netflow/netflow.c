// SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause)
/*
 * netflow: TCP connection and UDP flow accounting for the ebpf-net plugin.
 *
 * Design: counters live in the kernel (the conns and udp_flows maps) and
 * userspace reads them once per interval; the ring buffer carries only one
 * record per closed TCP connection, so the per-packet cost is a map lookup
 * and a few CO-RE reads. No kprobe: every hook is a stable tracepoint,
 * except the fexit fallback for sends and receives on kernels before 6.3
 * (on_inet_io), which the loader attaches only where those tracepoints are
 * missing, so the object loads on kernels built without CONFIG_KPROBES or
 * without BPF trampolines.
 */
#include "netobs.h"
#include "bpf_tracing.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";

/* Set by the loader before load (RewriteConstants / VariableSpec). */
const volatile __u64 wakeup_bytes = 65536;  /* wake userspace once this much is pending */
const volatile bool exclude_loopback = false;
const volatile bool ipv6_disabled = false;

/* Live TCP connections keyed by sk address. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, struct conn);
} conns SEC(".maps");

/* UDP traffic aggregated per (tuple, pid); userspace computes deltas. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, struct udp_key);
	__type(value, struct udp_stats);
} udp_flows SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 1 << 20);
} events SEC(".maps");

/* Every event the kernel side had to drop, per reason (enum drop_reason). */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, DROP_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} drops SEC(".maps");

/* Referenced so that bpf2go -type can generate the Go mirrors. */
const struct conn_close_event *unused_conn_close_event __attribute__((unused));
const enum drop_reason *unused_drop_reason __attribute__((unused));
const enum event_type *unused_event_type __attribute__((unused));
const enum conn_role *unused_conn_role __attribute__((unused));

static __always_inline void count_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&drops, &reason);
	if (n)
		*n += 1; /* per-CPU slot: no atomics needed */
}

static __always_inline void read_tuple(struct sock *sk, struct flow_tuple *t, __u8 proto)
{
	t->family = BPF_CORE_READ(sk, __sk_common.skc_family);
	t->proto = proto;
	t->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
	t->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
	t->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	if (t->family == AF_INET) {
		BPF_CORE_READ_INTO((__u32 *)t->saddr, sk, __sk_common.skc_rcv_saddr);
		BPF_CORE_READ_INTO((__u32 *)t->daddr, sk, __sk_common.skc_daddr);
	} else {
		BPF_CORE_READ_INTO((struct in6_addr *)t->saddr, sk, __sk_common.skc_v6_rcv_saddr);
		BPF_CORE_READ_INTO((struct in6_addr *)t->daddr, sk, __sk_common.skc_v6_daddr);
	}
}

static __always_inline bool v4mapped(const __u8 *a)
{
	const __u32 *w = (const __u32 *)a;
	return w[0] == 0 && w[1] == 0 && w[2] == bpf_htonl(0x0000ffff);
}

static __always_inline bool addr_is_loopback(__u16 family, const __u8 *a)
{
	if (family == AF_INET)
		return a[0] == 127;
	if (v4mapped(a))
		return a[12] == 127;
	const __u32 *w = (const __u32 *)a;
	return w[0] == 0 && w[1] == 0 && w[2] == 0 && w[3] == bpf_htonl(1);
}

/* skip_tuple applies the --exclude-loopback and --ipv6-disabled options. */
static __always_inline bool skip_tuple(const struct flow_tuple *t)
{
	if (ipv6_disabled && t->family == AF_INET6 && !v4mapped(t->saddr))
		return true;
	if (exclude_loopback && (addr_is_loopback(t->family, t->saddr) ||
				 addr_is_loopback(t->family, t->daddr)))
		return true;
	return false;
}

/*
 * Payload bytes, as the application read and wrote them:
 * - bytes_received (4.1+) counts rcv_nxt advances, which include the
 *   peer's FIN: subtract it once the FIN arrived (SOCK_DONE, set only by
 *   tcp_fin).
 * - bytes_sent - bytes_retrans (4.19+) counts each payload byte once, with
 *   no SYN or FIN (bytes_acked would count our SYN and FIN).
 */
static __always_inline void read_tcp_stats(struct sock *sk, struct tcp_stats *s)
{
	struct tcp_sock *tp = (struct tcp_sock *)sk;
	__u64 received = BPF_CORE_READ(tp, bytes_received);
	unsigned long flags = BPF_CORE_READ(sk, __sk_common.skc_flags);

	if ((flags & (1UL << SOCK_DONE)) && received > 0)
		received--;
	s->bytes_read = received;
	s->bytes_written = BPF_CORE_READ(tp, bytes_sent) - BPF_CORE_READ(tp, bytes_retrans);
	s->total_retrans = BPF_CORE_READ(tp, total_retrans);
	s->srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
	s->rttvar_us = BPF_CORE_READ(tp, mdev_us) >> 2;
}

/*
 * task_comm is the process's name: the thread group leader's comm, not
 * the running thread's (dig's I/O threads are "isc-net-0000", a Go
 * program's threads all share the leader's name anyway). CO-RE reads, not
 * BTF pointers: this runs in the programs every kernel must load.
 */
static __always_inline void task_comm(struct task_struct *task, char (*comm)[16])
{
	BPF_CORE_READ_INTO(comm, task, group_leader, comm);
}

/* bpf_get_current_task (4.8), not the _btf variant (5.11). */
static __always_inline struct task_struct *current_task(void)
{
	return (struct task_struct *)bpf_get_current_task();
}

static __always_inline void process_comm(char (*comm)[16])
{
	task_comm(current_task(), comm);
}

/* attribute gives c to the process of task (its thread group). */
static __always_inline void attribute(struct conn *c, struct task_struct *task)
{
	c->pid = BPF_CORE_READ(task, tgid);
	task_comm(task, &c->comm);
}

/* track_conn starts tracking sk, owned by owner when it is known. */
static __always_inline void track_conn(struct sock *sk, __u8 role, struct task_struct *owner)
{
	struct conn c = {};
	__u64 key = (__u64)sk;

	read_tuple(sk, &c.tuple, PROTO_TCP);
	if (c.tuple.family != AF_INET && c.tuple.family != AF_INET6)
		return;
	if (role != ROLE_CLIENT && skip_tuple(&c.tuple))
		return; /* a client's tuple is incomplete until it is established */
	c.role = role;
	c.start_ns = bpf_ktime_get_ns();
	if (owner)
		attribute(&c, owner);
	if (bpf_map_update_elem(&conns, &key, &c, BPF_NOEXIST) == -E2BIG)
		count_drop(DROP_CONN_MAP_FULL);
}

#include "syscall.h"
#include "l7capture.h"
#include "udp.h"
#include "iter.h"
#include "adopt.h"

/* The tracepoint's own layout (include/trace/events/sock.h), stable since 4.16. */
struct tp_inet_sock_set_state {
	struct trace_common common;
	const void *skaddr;
	int oldstate;
	int newstate;
	__u16 sport;
	__u16 dport;
	__u16 family;
	__u16 protocol;
	__u8 saddr[4];
	__u8 daddr[4];
	__u8 saddr_v6[16];
	__u8 daddr_v6[16];
};

/*
 * sock:inet_sock_set_state (4.16+) sees every TCP state change: the active
 * open inside connect() (so the pid is the caller's), the passive open in
 * softirq (pid unknown: attributed later), and the final transition to
 * CLOSE, where the counters are final. on_state_change serves both ways
 * of attaching it.
 */
static __always_inline int on_state_change(struct sock *sk, int from, int to)
{
	__u64 key = (__u64)sk;

	if (to == TCP_CLOSE)
		l7_on_close(sk);

	if (from == TCP_CLOSE && to == TCP_SYN_SENT) {
		track_conn(sk, ROLE_CLIENT, current_task());
		return 0;
	}
	if (from == TCP_SYN_RECV && to == TCP_ESTABLISHED) {
		track_conn(sk, ROLE_SERVER, 0);
		return 0;
	}

	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	if (!c)
		c = adopt_conn(sk, key);
	if (!c)
		return 0;
	/* close() (or shutdown()) moves a connection on from ESTABLISHED or
	 * CLOSE_WAIT in the owner's context: an accepted connection that never
	 * sent or received still gets its server. */
	if (c->pid == 0 && ((from == TCP_ESTABLISHED && to == TCP_FIN_WAIT1) ||
			    (from == TCP_CLOSE_WAIT && to == TCP_LAST_ACK)))
		attribute(c, current_task());
	if (from == TCP_SYN_SENT && to == TCP_ESTABLISHED) {
		read_tuple(sk, &c->tuple, PROTO_TCP); /* the source port is known now */
		if (skip_tuple(&c->tuple))
			bpf_map_delete_elem(&conns, &key);
		return 0;
	}
	if (to != TCP_CLOSE)
		return 0;
	if (from == TCP_SYN_SENT) { /* connect() failed: never established */
		bpf_map_delete_elem(&conns, &key);
		return 0;
	}

	struct conn_close_event *e = bpf_ringbuf_reserve(&events, sizeof(*e), 0);
	if (!e) {
		count_drop(DROP_RINGBUF_FULL);
		bpf_map_delete_elem(&conns, &key);
		return 0;
	}
	read_tcp_stats(sk, &c->stats);
	e->type = EVENT_CONN_CLOSE;
	e->_pad = 0;
	e->sk = key;
	__builtin_memcpy(&e->conn, c, sizeof(e->conn));
	/* Gone from the map before userspace can read the record: a flush
	 * that reads the map after handling the close cannot see the
	 * connection again, so userspace keeps no set of closed ones. */
	bpf_map_delete_elem(&conns, &key);
	bpf_ringbuf_submit(e, reserved_wakeup_flags(&events, sizeof(*e), wakeup_bytes));
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int on_inet_sock_set_state(struct tp_inet_sock_set_state *ctx)
{
	if (ctx->protocol != IPPROTO_TCP)
		return 0;
	return on_state_change((struct sock *)ctx->skaddr, ctx->oldstate, ctx->newstate);
}

/*
 * The same tracepoint as a BTF raw tracepoint (tp_btf, 5.5+): called with
 * (sk, oldstate, newstate) as they are, without the perf trace record of
 * 80 bytes (both addresses in both families) the classic one builds on
 * every change, ~10 of them per short connection counting both ends.
 */
SEC("tp_btf/inet_sock_set_state")
int on_inet_sock_set_state_btf(__u64 *ctx)
{
	struct sock *sk = (struct sock *)ctx[0];
	if (BPF_CORE_READ(sk, sk_protocol) != IPPROTO_TCP)
		return 0;
	return on_state_change(sk, (int)ctx[1], (int)ctx[2]);
}

/* tcp:tcp_retransmit_skb layout, stable since 4.16 (skaddr at offset 16). */
struct tp_tcp_retransmit_skb {
	struct trace_common common;
	const void *skbaddr;
	const void *skaddr;
};

/*
 * tcp:tcp_retransmit_skb (4.16+) runs from the retransmit timer, not in the
 * process: refresh the counters of the connection by its sk so that an
 * otherwise idle connection still reports its retransmits this interval.
 */
SEC("tracepoint/tcp/tcp_retransmit_skb")
int on_tcp_retransmit_skb(struct tp_tcp_retransmit_skb *ctx)
{
	__u64 key = (__u64)ctx->skaddr;
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	if (c)
		read_tcp_stats((struct sock *)ctx->skaddr, &c->stats);
	return 0;
}

#include "sockio.h"
