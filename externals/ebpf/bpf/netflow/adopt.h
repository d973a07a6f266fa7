/* SPDX-License-Identifier: (GPL-2.0-only OR BSD-2-Clause) */
/*
 * Connections established before the collector started, where the kernel
 * refuses the flush iterators (iter.h) and TCP is counted from the socket
 * diagnostics instead (internal/netflow/sockdiag.go). Userspace finds them
 * in its first INET_DIAG dump, which also gives every dumped socket its
 * cookie (sock_gen_cookie, stored in skc_cookie), and lists the cookies in
 * adopt. At the first state change of such a socket (a close on either
 * side), sock:inet_sock_set_state tracks it like the others, so its final
 * counters come with its close record and none of its last bytes is lost.
 * Where the send/recv hooks run too (UDP flows or L7 on), its first send
 * or receive adopts it the same way.
 *
 * skc_cookie is an atomic64_t of sock_common since 4.x; the lookup runs
 * only on state changes of untracked sockets, and only while adopt_on.
 */
#ifndef NETFLOW_ADOPT_H
#define NETFLOW_ADOPT_H

const volatile bool adopt_on = false;

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64); /* the socket's cookie */
	__type(value, __u8);
} adopt SEC(".maps");

/*
 * adopt_conn tracks sk if userspace listed its cookie, and returns its
 * entry. The entry keeps the cookie as start_ns: that is the connection's
 * identity in userspace since the dump, whatever its sk address.
 */
static __always_inline struct conn *adopt_conn(struct sock *sk, __u64 key)
{
	if (!adopt_on)
		return 0;
	__u64 cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
	if (!cookie || !bpf_map_lookup_elem(&adopt, &cookie))
		return 0;
	bpf_map_delete_elem(&adopt, &cookie);
	track_conn(sk, ROLE_ADOPTED, 0);
	struct conn *c = bpf_map_lookup_elem(&conns, &key);
	if (c)
		c->start_ns = cookie;
	return c;
}

#endif
