/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * l7capture.h: payload capture for httpflow and dnsflow, included by
 * netflow.c so that one program run per sock_{send,recv}_length event does
 * both the byte accounting and the capture (GUIDE §1).
 *
 * Every send/recv that moved bytes on a TCP or UDP socket becomes one
 * struct l7_event carrying the first l7_cap_bytes bytes of the buffer,
 * read from user memory with the syscall's own arguments (syscall.h). The tracepoints fire at the end of
 * sock_sendmsg/sock_recvmsg, so on recv the bytes are already in the
 * user's buffer. Userspace (internal/l7) parses; the kernel only copies.
 *
 * Off unless l7_enabled: the verifier then prunes all of it, and netflow
 * alone costs what it did before.
 */
#ifndef L7CAPTURE_H
#define L7CAPTURE_H

#define L7_MAX_CAP 4096 /* compile-time bound of l7_cap_bytes */

const volatile bool l7_enabled = false;
const volatile bool l7_tcp_all = false; /* httpflow on: every TCP socket, else DNS ports only */
const volatile __u32 l7_cap_bytes = 512;
const volatile __u16 l7_dns_port = 53;
const volatile bool l7_dns = true; /* dnsflow on */
const volatile __u64 l7_wakeup_bytes = 65536;

enum l7_dir {
	L7_SEND = 1,
	L7_RECV = 2,
	L7_CLOSE = 3,
};

/* Where an event's bytes come from: l7.Source in Go. */
enum l7_source {
	L7_SRC_SOCKET = 0, /* the send/recv of a socket (this file) */
	L7_SRC_PACKET = 1, /* packets (bpf-netlog, userspace) */
	L7_SRC_TLS = 2,    /* a TLS library's plaintext (uprobes, to come) */
};

enum l7_flags {
	L7_F_SEQ = 1, /* seq holds the TCP sequence number of the payload's first byte */
};

/*
 * The event contract of every payload source, internal/l7/wire.go's
 * layout (checked by l7_layout_test.go and the BTF mirror test): a common
 * header (l7_header fills it), then the payload, copied by the source's
 * own copier (l7_copy_payload for a syscall's buffer; a uprobe's buffer
 * for TLS), then l7_submit.
 */
struct l7_event {
	__u64 ts_ns;       /* bpf_ktime_get_ns() when the syscall completed */
	__u64 sock_cookie; /* socket identity: see sock_id */
	__u32 pid;
	__u32 tid;
	__u32 total_len; /* bytes the syscall moved */
	__u16 cap_len;   /* bytes in payload */
	__u8 dir;        /* enum l7_dir */
	__u8 proto;
	__u8 family;
	__u8 source; /* enum l7_source */
	__u8 flags;  /* enum l7_flags */
	__u8 _pad;
	__u16 lport;
	__u16 rport;
	__u8 laddr[16];
	__u8 raddr[16];
	char comm[16];
	__u32 seq; /* with L7_F_SEQ */
	__u32 _pad2;
	__u8 payload[L7_MAX_CAP];
};

#define L7_HDR_LEN (sizeof(struct l7_event) - L7_MAX_CAP)

enum l7_drop_reason {
	L7_DROP_RINGBUF_FULL = 0, /* bpf_ringbuf_output failed */
	L7_DROP_REASONS = 1,
};

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 8 << 20); /* resized by the loader; one page when off */
} l7_events SEC(".maps");

/*
 * Userspace's verdict on a socket (l7.Verdict): absent while it is
 * classifying; L7_V_IGNORE once classified as a protocol it does not
 * parse, which stops the capture; L7_V_PARSE + the protocol's number when
 * a later fast path wants to capture a parsed protocol differently.
 */
enum l7_verdict {
	L7_V_CLASSIFYING = 0,
	L7_V_IGNORE = 1,
	L7_V_PARSE = 2,
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u8); /* enum l7_verdict */
} l7_verdicts SEC(".maps");

static __always_inline bool l7_ignored(__u64 id)
{
	__u8 *v = bpf_map_lookup_elem(&l7_verdicts, &id);
	return v && *v == L7_V_IGNORE;
}

/*
 * Processes whose payload is never captured: the collector and its
 * supervisor (their own API traffic), and those selection excludes,
 * which userspace adds as they exec or fork and removes as they exit
 * (procselect.KernelSet). An excluded process costs one lookup before the
 * copy, and no ring buffer record. 4096 processes: an include rule
 * excludes nearly all of a host's; past that, userspace selection drops
 * the rest.
 */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32);
	__type(value, __u8);
} l7_skip_tgid SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, L7_DROP_REASONS);
	__type(key, __u32);
	__type(value, __u64);
} l7_drops SEC(".maps");

/*
 * Per-CPU scratch: an l7_event is too large for the BPF stack. The slack
 * lets a copy start anywhere in the payload with any length up to
 * L7_MAX_CAP, which is what the verifier can prove of gathered iovecs.
 */
struct l7_scratch_buf {
	struct l7_event e;
	__u8 slack[L7_MAX_CAP];
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct l7_scratch_buf);
} l7_scratch SEC(".maps");

/*
 * sendmmsg/recvmmsg run sock_{send,recv}msg once per message: the index
 * of the next message of the thread's running call.
 */
struct l7_mmsg_pos {
	__u64 vec;
	__u32 idx;
	__u32 _pad;
};

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 4096);
	__type(key, __u32); /* tid */
	__type(value, struct l7_mmsg_pos);
} l7_mmsg SEC(".maps");

const struct l7_event *unused_l7_event __attribute__((unused));
const enum l7_verdict *unused_l7_verdict __attribute__((unused));
const enum l7_source *unused_l7_source __attribute__((unused));
const enum l7_flags *unused_l7_flags __attribute__((unused));
const enum l7_drop_reason *unused_l7_drop_reason __attribute__((unused));

static __always_inline void l7_count_drop(__u32 reason)
{
	__u64 *n = bpf_map_lookup_elem(&l7_drops, &reason);
	if (n)
		*n += 1;
}

/*
 * sock_id: the sk address identifies a TCP socket until its CLOSE event,
 * which userspace receives in order. A UDP socket has no such event and
 * its memory is reused quickly (a stub resolver opens one per lookup), so
 * its id also mixes in the socket inode number, which is not reused.
 */
static __always_inline __u64 sock_id(struct sock *sk, __u8 proto)
{
	if (proto != PROTO_UDP)
		return (__u64)sk;
	/* The verifier allows no arithmetic on a BTF pointer (tp_btf's sk):
	 * a copy of its value is a plain number. */
	__u64 id = 0;
	bpf_probe_read_kernel(&id, sizeof(id), &sk);
	return id ^ (__u64)BPF_CORE_READ(sk, sk_socket, file, f_inode, i_ino) << 32;
}

#if defined(__TARGET_ARCH_x86)
#define L7_MAX_IOV 8

/*
 * bound_reg clamps v to max in the register that carries it on. The
 * verifier of 6.1 and older learns a bound only for the copy of a value a
 * check was made on, and clang checks one copy and passes another (a
 * stack reload), so a C check never reaches the helper's argument. Where
 * the checks before have already bounded v, this changes no value.
 */
#define bound_reg(v, max) asm volatile("if %[r] <= %[m] goto +1; %[r] = %[m]" : [r] "+r"(v) : [m] "i"(max))

/*
 * l7_gather copies up to limit bytes from the first L7_MAX_IOV iovecs into
 * e->payload and returns how many it copied: a DNS-over-TCP writev puts
 * the length prefix and the message in separate iovecs, and an HTTP/2
 * server's writev gives each frame header and payload an iovec of its own
 * (nginx's first answer is SETTINGS, WINDOW_UPDATE, SETTINGS ACK, then
 * HEADERS as header and block: 5 iovecs, and HPACK needs the block).
 */
static __always_inline __u64 l7_gather(struct l7_scratch_buf *b, const struct iovec *uiov, __u64 iovcnt,
				       __u64 limit)
{
	__u64 off = 0;
#pragma unroll
	for (int i = 0; i < L7_MAX_IOV; i++) {
		struct iovec iov = {};
		if (i >= iovcnt || off >= limit || bpf_probe_read_user(&iov, sizeof(iov), &uiov[i]))
			break;
		__u64 n = iov.iov_len;
		if (n > limit - off)
			n = limit - off;
		bound_reg(off, L7_MAX_CAP);
		bound_reg(n, L7_MAX_CAP);
		if (bpf_probe_read_user(&b->e.payload[off], n, iov.iov_base))
			break;
		off += n;
	}
	return off;
}

/* l7_mmsg_index is the index of the message this sendmmsg/recvmmsg hit is for. */
static __always_inline __u32 l7_mmsg_index(__u64 vec, __u64 vlen)
{
	__u32 tid = (__u32)bpf_get_current_pid_tgid();
	struct l7_mmsg_pos *pos = bpf_map_lookup_elem(&l7_mmsg, &tid);
	if (pos && pos->vec == vec && pos->idx < vlen)
		return pos->idx++; /* only this thread touches its entry */
	struct l7_mmsg_pos fresh = {.vec = vec, .idx = 1};
	bpf_map_update_elem(&l7_mmsg, &tid, &fresh, BPF_ANY);
	return 0;
}

/*
 * l7_copy_payload copies the first bytes the running syscall moved into
 * b->e.payload: the buffer of read, write, sendto and recvfrom; the first
 * iovecs of readv, writev, sendmsg and recvmsg, and of each message of
 * sendmmsg and recvmmsg. Anything else (sendfile, splice, io_uring) has no
 * buffer we can name: the event carries no payload.
 */
static __always_inline __u64 l7_copy_payload(struct l7_scratch_buf *b, const struct syscall *s, __u64 limit)
{
	struct user_msghdr msg = {};
	const void *arg = (const void *)s->buf;
	__u64 n;
	switch (s->nr) {
	case NR_READ:
	case NR_WRITE:
	case NR_SENDTO:
	case NR_RECVFROM:
		n = s->len; /* recv with MSG_TRUNC returns more than the buffer */
		if (n > limit)
			n = limit;
		bound_reg(n, L7_MAX_CAP);
		if (bpf_probe_read_user(b->e.payload, n, arg))
			return 0;
		return n;
	case NR_READV:
	case NR_WRITEV:
		return l7_gather(b, arg, s->len, limit);
	case NR_SENDMMSG:
	case NR_RECVMMSG:
		arg += l7_mmsg_index((__u64)arg, s->len) * sizeof(struct mmsghdr);
		/* fall through: an mmsghdr starts with its user_msghdr */
	case NR_SENDMSG:
	case NR_RECVMSG:
		if (bpf_probe_read_user(&msg, sizeof(msg), arg))
			return 0;
		return l7_gather(b, msg.msg_iov, msg.msg_iovlen, limit);
	}
	return 0;
}

#else
static __always_inline __u64 l7_copy_payload(struct l7_scratch_buf *b, const struct syscall *s, __u64 limit) { return 0; }
#endif

/* Every UDP socket is DNS until userspace says otherwise (l7_verdicts). */
static __always_inline bool l7_wanted(const struct flow_tuple *t)
{
	if (t->proto == PROTO_UDP)
		return l7_dns;
	if (l7_tcp_all)
		return true;
	return l7_dns && (t->sport == l7_dns_port || t->dport == l7_dns_port);
}

/*
 * l7_header fills the common header of an event of sk in the per-CPU
 * scratch buffer and returns it, or 0 when the running process is one
 * never captured (l7_skip_tgid). ts is when the bytes moved, ret how many;
 * the tuple is complete. A TCP send or receive gets the sequence number
 * of its first byte: the syscall has moved write_seq (send) or copied_seq
 * (receive) past its ret bytes when the tracepoints fire.
 */
static __always_inline struct l7_scratch_buf *l7_header(struct sock *sk, __u64 id, const struct flow_tuple *t,
							__u8 dir, __u64 ts, int ret, const struct conn *c)
{
	__u32 zero = 0;
	struct l7_scratch_buf *b = bpf_map_lookup_elem(&l7_scratch, &zero);
	if (!b)
		return 0;
	struct l7_event *e = &b->e;
	__u64 pid_tgid = bpf_get_current_pid_tgid();
	e->ts_ns = ts;
	e->sock_cookie = id;
	e->pid = pid_tgid >> 32;
	/* The key is read from the scratch buffer, not the stack: a stack
	 * key here trips a precision-tracking bug of the 6.18 verifier
	 * ("verifier bug: stack slot 29, total slots 28"). */
	if (bpf_map_lookup_elem(&l7_skip_tgid, &e->pid))
		return 0;
	e->tid = (__u32)pid_tgid;
	e->total_len = ret > 0 ? ret : 0;
	e->dir = dir;
	e->proto = t->proto;
	e->family = t->family;
	e->source = L7_SRC_SOCKET;
	e->flags = 0;
	e->_pad = 0;
	e->seq = 0;
	e->_pad2 = 0;
	e->lport = t->sport;
	e->rport = t->dport;
	__builtin_memcpy(e->laddr, t->saddr, 16);
	__builtin_memcpy(e->raddr, t->daddr, 16);
	if (c && c->pid == e->pid)
		__builtin_memcpy(e->comm, c->comm, sizeof(e->comm)); /* saves two kernel reads */
	else
		process_comm(&e->comm);
	if (t->proto == PROTO_TCP && ret > 0 && dir != L7_CLOSE) {
		struct tcp_sock *tp = (struct tcp_sock *)sk;
		__u32 end = dir == L7_SEND ? BPF_CORE_READ(tp, write_seq) : BPF_CORE_READ(tp, copied_seq);
		e->seq = end - (__u32)ret;
		e->flags = L7_F_SEQ;
	}
	return b;
}

/* l7_submit sends the event of b with the n payload bytes its copier copied. */
static __always_inline void l7_submit(struct l7_scratch_buf *b, __u64 n)
{
	struct l7_event *e = &b->e;
	if (n > L7_MAX_CAP)
		n = L7_MAX_CAP;
	e->cap_len = n;
	__u64 size = L7_HDR_LEN + n;
	__u64 flags = wakeup_flags(bpf_ringbuf_query(&l7_events, BPF_RB_AVAIL_DATA), size, l7_wakeup_bytes);
	if (bpf_ringbuf_output(&l7_events, e, size, flags))
		l7_count_drop(L7_DROP_RINGBUF_FULL);
}

/*
 * l7_emit sends one event for sk whose payload is in the buffer of the
 * syscall s (no payload when s->nr is -1): the socket source's copier.
 */
static __always_inline void l7_emit(struct sock *sk, __u64 id, const struct flow_tuple *t, __u8 dir,
				    __u64 ts, int ret, const struct syscall *s, const struct conn *c)
{
	struct l7_scratch_buf *b = l7_header(sk, id, t, dir, ts, ret, c);
	if (!b)
		return;
	__u64 n = 0;
	if (s->nr >= 0 && ret > 0) {
		__u64 limit = ret;
		if (limit > l7_cap_bytes)
			limit = l7_cap_bytes;
		n = l7_copy_payload(b, s, limit);
	}
	l7_submit(b, n);
}

/*
 * l7_on_io captures one send/recv of the send/recv hooks. c is netflow's
 * entry of a tracked TCP socket: its tuple is complete once the connection
 * is established, which spares the seven kernel reads of read_tuple on
 * every event. udp is the tuple netflow already built for a UDP event,
 * with the peer of an unconnected send filled in.
 */
static __always_inline void l7_on_io(struct sock *sk, __u8 proto, int ret, bool send, const struct conn *c,
				     const struct flow_tuple *udp)
{
	if (!l7_enabled)
		return;
	/* Without httpflow, TCP is captured on the DNS port only: a tracked
	 * connection's tuple says so before anything is looked up. */
	if (!udp && !l7_tcp_all && c && c->tuple.sport && c->tuple.dport && !l7_wanted(&c->tuple))
		return;
	__u64 id = sock_id(sk, proto);
	if (l7_ignored(id))
		return;
	struct flow_tuple t = {};
	if (udp)
		__builtin_memcpy(&t, udp, sizeof(t));
	else if (c && c->tuple.sport && c->tuple.dport)
		__builtin_memcpy(&t, &c->tuple, sizeof(t));
	else
		read_tuple(sk, &t, proto);
	if (!l7_wanted(&t) || skip_tuple(&t))
		return;
	struct syscall s;
	current_syscall(&s);
	l7_emit(sk, id, &t, send ? L7_SEND : L7_RECV, bpf_ktime_get_ns(), ret, &s, c);
}

/*
 * l7_wants_recv tells netflow whether a recv on an unconnected UDP socket,
 * deferred to the syscall's exit, is to be captured there too.
 */
static __always_inline bool l7_wants_recv(struct sock *sk)
{
	if (!l7_enabled)
		return false;
	__u64 id = sock_id(sk, PROTO_UDP);
	return !l7_ignored(id);
}

/*
 * l7_finish_recv captures a deferred recv at the syscall's exit, where t
 * carries the sender the kernel wrote to msg_name; ts is when the bytes
 * arrived (sock_recv_length).
 */
static __always_inline void l7_finish_recv(struct sock *sk, const struct flow_tuple *t, __u64 ts, long ret,
					   const struct syscall *s)
{
	if (!l7_enabled || skip_tuple(t))
		return;
	l7_emit(sk, sock_id(sk, PROTO_UDP), t, L7_RECV, ts, ret, s, 0);
}

/* l7_on_close tells userspace a TCP socket is gone (from inet_sock_set_state). */
static __always_inline void l7_on_close(struct sock *sk)
{
	if (!l7_enabled)
		return;
	__u64 id = sock_id(sk, PROTO_TCP);
	bpf_map_delete_elem(&l7_verdicts, &id);
	struct flow_tuple t = {};
	read_tuple(sk, &t, PROTO_TCP);
	if (t.family != AF_INET && t.family != AF_INET6)
		return;
	if (!l7_wanted(&t) || skip_tuple(&t))
		return;
	struct syscall none = {.nr = -1};
	l7_emit(sk, id, &t, L7_CLOSE, bpf_ktime_get_ns(), 0, &none, 0);
}

#endif /* L7CAPTURE_H */
