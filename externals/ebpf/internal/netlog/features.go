package netlog

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"golang.org/x/sys/unix"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/filter"
)

// Check is one line of the features report.
type Check struct {
	What   string
	Status features.Status
}

// Features reports what bpf-netlog depends on, each probed the way the
// plugin uses it: a packet socket opened and bound here, its buffer and
// drop counter, every network namespace entered and captured in, the
// netlog_blacklist compiled (blacklist; "" when none is given), and the
// listening ports that give netflow its direction.
func Features(procRoot, netnsDir, blacklist string) []Check {
	sock := features.Status{On: true}
	var bufSt, dropSt features.Status
	if fd, err := packetFD(); err != nil {
		sock = features.Status{Reason: packetFailure(err)}
		bufSt = features.Status{Reason: "no packet socket to set it on (see AF_PACKET)"}
		dropSt = bufSt
	} else {
		bufSt, dropSt = rcvBufStatus(fd), dropsStatus(fd)
		unix.Close(fd)
	}
	var nsSt features.Status
	if found, err := discoverNetns(procRoot, netnsDir, nil); err != nil {
		nsSt = features.Status{Reason: err.Error()}
	} else {
		nsSt = netnsStatus(found)
	}
	listen := features.Status{On: true}
	if err := flowtags.NewListeners(procRoot).Refresh(); err != nil {
		listen = features.Status{Reason: "netflow from packets gets its direction from ports alone: " + err.Error()}
	}
	return []Check{
		{"AF_PACKET sockets (every interface, sent and received)", sock},
		{"8 MiB packet receive buffer (SO_RCVBUFFORCE)", bufSt},
		{"kernel drop counts (PACKET_STATISTICS)", dropSt},
		{"network namespaces (" + procRoot + "/*/ns/net, " + netnsDir + ") entered with setns", nsSt},
		{"netlog_blacklist rules", blacklistStatus(blacklist)},
		{"listening ports (netflow direction, netlog_metric)", listen},
	}
}

// packetFailure says why no packet socket opens: the capability, or a
// kernel without AF_PACKET.
func packetFailure(err error) string {
	switch {
	case errors.Is(err, unix.EPERM), errors.Is(err, unix.EACCES):
		return "not permitted (" + err.Error() + "): capturing needs CAP_NET_RAW (root)"
	case errors.Is(err, unix.EAFNOSUPPORT):
		return "the kernel has no AF_PACKET (CONFIG_PACKET): " + err.Error()
	}
	return err.Error()
}

// rcvBufStatus sets the buffer the plugin asks for. Without
// CAP_NET_ADMIN the kernel caps it at net.core.rmem_max, and bursts
// overflow it sooner (counted as kernel_drops).
func rcvBufStatus(fd int) features.Status {
	err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, unix.SO_RCVBUFFORCE, rcvBuf)
	if err == nil {
		return features.Status{On: true}
	}
	max := "unknown"
	if b, rerr := os.ReadFile("/proc/sys/net/core/rmem_max"); rerr == nil {
		max = strings.TrimSpace(string(b)) + " bytes"
	}
	return features.Status{Reason: fmt.Sprintf("%v (needs CAP_NET_ADMIN): the buffer is capped at net.core.rmem_max (%s), so bursts drop sooner", err, max)}
}

func dropsStatus(fd int) features.Status {
	if _, err := unix.GetsockoptTpacketStats(fd, unix.SOL_PACKET, unix.PACKET_STATISTICS); err != nil {
		return features.Status{Reason: "kernel_drops stays 0 whatever the kernel drops: " + err.Error()}
	}
	return features.Status{On: true}
}

// netnsStatus enters each namespace and opens a packet socket there, as
// a capture does: on when at least one works, noting those that do not.
func netnsStatus(found []netns) features.Status {
	var ok int
	var failed []string
	for _, ns := range found {
		err := inNetns(ns.path, func() error {
			fd, err := packetFD()
			if err == nil {
				unix.Close(fd)
			}
			return err
		})
		if err != nil {
			failed = append(failed, fmt.Sprintf("%s: %v", ns.path, err))
			continue
		}
		ok++
	}
	note := fmt.Sprintf("%d of %d captured", ok, len(found))
	if len(failed) > 0 {
		const show = 3
		more := ""
		if len(failed) > show {
			more, failed = fmt.Sprintf("; %d more", len(failed)-show), failed[:show]
		}
		note += " (" + strings.Join(failed, "; ") + more + "; setns needs CAP_SYS_ADMIN)"
	}
	return features.Status{On: ok > 0, Reason: note}
}

// blacklistStatus compiles the rules as Load does.
func blacklistStatus(src string) features.Status {
	if strings.TrimSpace(src) == "" {
		return features.Status{On: true, Reason: "none given, every packet is kept (features --netlog-blacklist RULES checks rules)"}
	}
	rules, err := filter.Compile(src, filter.Netlog)
	if err != nil {
		var list filter.ErrorList
		var one *filter.Error
		switch {
		case errors.As(err, &list):
		case errors.As(err, &one):
			list = filter.ErrorList{one}
		default:
			return features.Status{Reason: "does not compile: " + err.Error()}
		}
		msgs := make([]string, len(list))
		for i, e := range list { // line:col: message, without the excerpt
			msgs[i] = fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg)
		}
		return features.Status{Reason: "does not compile: " + strings.Join(msgs, "; ")}
	}
	if rules.Len() == 1 {
		return features.Status{On: true, Reason: "1 rule compiles"}
	}
	return features.Status{On: true, Reason: fmt.Sprintf("%d rules compile", rules.Len())}
}
