package netflow

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"netobs.local/agent/externals/ebpf/internal/loader"
)

// RecvPeers says when the recv exits (sys_exit_recvfrom, recvmsg,
// recvmmsg) are attached. They give the sender of a datagram read from an
// unconnected UDP socket, which the kernel writes to the user only after
// the receive hook ran. But any syscall tracepoint makes every syscall of
// every task on the host take the slow exit path: measured here, 5 points
// of an HTTP server's throughput, paid by hosts without any such socket.
// Normally the cgroup recvmsg hooks name the senders (hooks.go, "UDP
// receive senders") and the exits are never needed; they are the fallback
// where those cannot attach (no cgroup v2, a container without the host's
// cgroup namespace).
type RecvPeers string

const (
	// RecvPeersOnDemand attaches them once the kernel side counts a
	// receive on an unconnected UDP socket whose sender no cgroup hook
	// named, and detaches them after recvExitIdle without one. The
	// receives before the attach (up to one recvExitPoll of them) are
	// booked to the peer the socket last sent to, else to 0.0.0.0:0.
	RecvPeersOnDemand RecvPeers = "on-demand"
	RecvPeersAlways   RecvPeers = "always"
	RecvPeersOff      RecvPeers = "off"
)

const (
	recvExitPoll  = 250 * time.Millisecond
	recvExitIdle  = time.Minute
	recvExitDrain = 100 * time.Millisecond // for a recv already stashed to reach its exit
)

// recvExits attaches and detaches the recv exits as one unit, and turns
// the kernel's deferral of unconnected receives (udp_recv_at_exit) on only
// while they are all attached.
type recvExits struct {
	p     *Plugin
	mu    sync.Mutex
	links loader.Stack
	on    bool
}

func (r *recvExits) attach() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.on {
		return nil
	}
	for _, h := range Hooks() {
		if !h.recvExit {
			continue
		}
		if err := r.p.attach(&r.links, h); err != nil {
			r.links.Close()
			return err
		}
	}
	if err := r.p.objs.UdpRecvAtExit.Set(true); err != nil {
		r.links.Close()
		return fmt.Errorf("defer unconnected UDP receives: %w", err)
	}
	r.on = true
	return nil
}

// detach stops the deferral first, and lets the receives deferred just
// before reach their exits, so none is left waiting.
func (r *recvExits) detach() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !r.on {
		return nil
	}
	r.on = false
	err := r.p.objs.UdpRecvAtExit.Set(false)
	time.Sleep(recvExitDrain)
	if cerr := r.links.Close(); err == nil {
		err = cerr
	}
	return err
}

// demand tells, from the kernel's running count of unconnected receives,
// whether the exits are wanted: as soon as the count moves, and until it
// has not moved for idle.
type demand struct {
	last     uint64
	lastMove time.Time
}

func (d *demand) wanted(count uint64, now time.Time, idle time.Duration) bool {
	if count != d.last {
		d.last, d.lastMove = count, now
		return true
	}
	return !d.lastMove.IsZero() && now.Sub(d.lastMove) < idle
}

// watch attaches and detaches the exits on demand until ctx ends.
func (r *recvExits) watch(ctx context.Context, log *slog.Logger) {
	tick := time.NewTicker(recvExitPoll)
	defer tick.Stop()
	var d demand
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			var n uint64
			if err := r.p.objs.UnconnectedUdpRecvs.Get(&n); err != nil {
				log.Warn("ebpf-net: read unconnected UDP receive count", "err", err)
				continue
			}
			want := d.wanted(n, now, recvExitIdle)
			r.mu.Lock()
			on := r.on
			r.mu.Unlock()
			switch {
			case want && !on:
				if err := r.attach(); err != nil {
					log.Warn("ebpf-net: degraded: UDP peers of unconnected receives unknown", "err", err)
				} else {
					log.Info("ebpf-net: unconnected UDP sockets receive: recv exits attached for their senders")
				}
			case !want && on:
				if err := r.detach(); err != nil {
					log.Warn("ebpf-net: detach recv exits", "err", err)
				} else {
					log.Info("ebpf-net: no unconnected UDP receive for a while: recv exits detached", "idle", recvExitIdle)
				}
			}
		}
	}
}
