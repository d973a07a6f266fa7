package view

import (
	"github.com/influxdata/line-protocol/v2/lineprotocol"
)

// The measurements the view aggregates (docs/measurements/ebpf.md); every
// other line is skipped after its measurement name.
const (
	mNetflow  = "netflow"
	mHTTPFlow = "httpflow"
	mDNSFlow  = "dnsflow"
	mBash     = "bash"
	mL4Log    = "bpf_net_l4_log"
	mL7Log    = "bpf_net_l7_log"
	mSelf     = "datakit_ebpf"
)

// tag and field slots of a record: only what some view reads is kept.
const (
	tDirection = iota
	tProcess
	tNamespace
	tPod
	tServerIP
	tServerPort
	tClientIP
	tTransport
	tServerDomain
	tDomain
	tPlugin
	tNic
	tHost
	nTags
)

const (
	fCount = iota
	fBytesRead
	fBytesWritten
	fRetransmits
	fEstablished
	fClosed
	fRTT
	fLatency
	fLatencyMax
	fRcode
	fStatus
	fRxBytes
	fTxBytes
	fRxRetrans
	fTxRetrans
	fEvents
	fDecodeErrors
	fKernelDrops
	fMapFullDrops
	fQueueDrops
	fTableDrops
	fPoints
	fSendErrors
	fSendDrops
	nInts
)

const (
	sMethod = iota
	sPath
	sCmd
	sUser
	sPid
	sMessage
	nStrs
)

func tagSlot(k []byte) int {
	switch string(k) {
	case "direction":
		return tDirection
	case "process_name":
		return tProcess
	case "src_k8s_namespace", "k8s_namespace":
		return tNamespace
	case "src_k8s_pod_name", "k8s_pod_name":
		return tPod
	case "server_ip":
		return tServerIP
	case "server_port":
		return tServerPort
	case "client_ip":
		return tClientIP
	case "transport", "l4_proto":
		return tTransport
	case "server_domain":
		return tServerDomain
	case "dst_domain":
		return tDomain
	case "plugin":
		return tPlugin
	case "nic_name":
		return tNic
	case "host":
		return tHost
	}
	return -1
}

func intSlot(k []byte) int {
	switch string(k) {
	case "count":
		return fCount
	case "bytes_read":
		return fBytesRead
	case "bytes_written":
		return fBytesWritten
	case "retransmits":
		return fRetransmits
	case "tcp_established":
		return fEstablished
	case "tcp_closed":
		return fClosed
	case "rtt":
		return fRTT
	case "latency":
		return fLatency
	case "latency_max":
		return fLatencyMax
	case "rcode":
		return fRcode
	case "status_code", "http_status_code":
		return fStatus
	case "rx_bytes":
		return fRxBytes
	case "tx_bytes":
		return fTxBytes
	case "rx_retrans":
		return fRxRetrans
	case "tx_retrans":
		return fTxRetrans
	case "events":
		return fEvents
	case "decode_errors":
		return fDecodeErrors
	case "kernel_drops":
		return fKernelDrops
	case "map_full_drops":
		return fMapFullDrops
	case "queue_drops":
		return fQueueDrops
	case "table_drops":
		return fTableDrops
	case "points":
		return fPoints
	case "send_errors":
		return fSendErrors
	case "send_drops":
		return fSendDrops
	}
	return -1
}

func strSlot(k []byte) int {
	switch string(k) {
	case "method", "http_method":
		return sMethod
	case "path", "http_path":
		return sPath
	case "cmd":
		return sCmd
	case "user":
		return sUser
	case "pid":
		return sPid
	case "message":
		return sMessage
	}
	return -1
}

// record is one decoded point of a viewed measurement; strings are
// interned, so records of the same series share their memory.
type record struct {
	name string
	tags [nTags]string
	ints [nInts]int64
	strs [nStrs]string
	time int64 // unix nanoseconds
}

// intern keeps one copy of each tag value seen recently, so that the
// aggregates' keys do not each hold their own. It is emptied when full,
// which bounds it without tracking use.
type intern struct {
	m   map[string]string
	max int
}

func (in *intern) get(b []byte) string {
	if s, ok := in.m[string(b)]; ok { // no allocation for the lookup
		return s
	}
	if len(in.m) >= in.max {
		clear(in.m)
	}
	s := string(b)
	in.m[s] = s
	return s
}

// viewed reports whether a measurement feeds some view.
func viewed(name []byte) string {
	switch string(name) {
	case mNetflow:
		return mNetflow
	case mHTTPFlow:
		return mHTTPFlow
	case mDNSFlow:
		return mDNSFlow
	case mBash:
		return mBash
	case mL4Log:
		return mL4Log
	case mL7Log:
		return mL7Log
	case mSelf:
		return mSelf
	}
	return ""
}

// decodeLine reads the decoder's current line into r, or reports false
// for a measurement no view reads (or a line it cannot read: the pipeline
// encoded it, so that does not happen for the measurements above, which
// have no DataKit extension values).
func decodeLine(d *lineprotocol.Decoder, in *intern, r *record) bool {
	m, err := d.Measurement()
	if err != nil {
		return false
	}
	if r.name = viewed(m); r.name == "" {
		return false
	}
	r.tags, r.ints, r.strs = [nTags]string{}, [nInts]int64{}, [nStrs]string{}
	for {
		k, v, err := d.NextTag()
		if err != nil {
			return false
		}
		if k == nil {
			break
		}
		if i := tagSlot(k); i >= 0 {
			r.tags[i] = in.get(v)
		}
	}
	for {
		k, v, err := d.NextField()
		if err != nil {
			return false
		}
		if k == nil {
			break
		}
		switch v.Kind() {
		case lineprotocol.Int:
			if i := intSlot(k); i >= 0 {
				r.ints[i] = v.IntV()
			}
		case lineprotocol.Uint:
			if i := intSlot(k); i >= 0 {
				r.ints[i] = int64(v.UintV())
			}
		case lineprotocol.Float:
			if i := intSlot(k); i >= 0 {
				r.ints[i] = int64(v.FloatV())
			}
		case lineprotocol.String:
			if i := strSlot(k); i >= 0 {
				if i == sMessage || i == sCmd {
					r.strs[i] = v.StringV() // unique per point: not worth interning
				} else {
					r.strs[i] = in.get(v.BytesV())
				}
			}
		}
	}
	ts, err := d.TimeBytes()
	if err != nil {
		return false
	}
	r.time = 0
	for _, c := range ts { // digits only: the pipeline writes nanoseconds
		if c < '0' || c > '9' {
			r.time = 0
			break
		}
		r.time = r.time*10 + int64(c-'0')
	}
	return true
}
