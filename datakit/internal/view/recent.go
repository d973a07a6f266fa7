package view

// ring keeps the newest n entries.
type ring[T any] struct {
	buf  []T
	next int
	full bool
}

func (r *ring[T]) init(n int) { r.buf = make([]T, n) }

func (r *ring[T]) push(v T) {
	r.buf[r.next] = v
	r.next = (r.next + 1) % len(r.buf)
	r.full = r.full || r.next == 0
}

// newestFirst returns up to limit entries that keep accepts, newest first.
func (r *ring[T]) newestFirst(limit int, keep func(*T) bool) []T {
	out := []T{}
	n := r.next
	if r.full {
		n = len(r.buf)
	}
	for i := 0; i < n && len(out) < limit; i++ {
		v := &r.buf[(r.next-1-i+len(r.buf))%len(r.buf)]
		if keep(v) {
			out = append(out, *v)
		}
	}
	return out
}

// BashCommand is one line an interactive bash read (measurement bash).
type BashCommand struct {
	Time int64  `json:"time"` // unix nanoseconds
	Host string `json:"host"`
	User string `json:"user"`
	Pid  string `json:"pid"`
	Cmd  string `json:"cmd"`
}

// NetlogRecord is one bpf_net_l4_log (kind "l4") or bpf_net_l7_log ("l7").
type NetlogRecord struct {
	Time      int64  `json:"time"`
	Kind      string `json:"kind"`
	Client    string `json:"client"`
	Server    string `json:"server"`
	Nic       string `json:"nic"`
	Namespace string `json:"namespace"`
	Pod       string `json:"pod"`
	Method    string `json:"method,omitempty"`
	Path      string `json:"path,omitempty"`
	Status    int64  `json:"status,omitempty"`
	RxBytes   int64  `json:"rx_bytes"`
	TxBytes   int64  `json:"tx_bytes"`
	Retrans   int64  `json:"retrans"`
	Message   string `json:"message"`
}

func netlogRecord(r *record) NetlogRecord {
	t := &r.tags
	n := NetlogRecord{Time: r.time, Kind: "l4", Client: t[tClientIP], Server: t[tServerIP] + ":" + t[tServerPort],
		Nic: t[tNic], Namespace: t[tNamespace], Pod: t[tPod],
		RxBytes: r.ints[fRxBytes], TxBytes: r.ints[fTxBytes], Retrans: r.ints[fRxRetrans] + r.ints[fTxRetrans],
		Message: r.strs[sMessage]}
	if r.name == mL7Log {
		n.Kind, n.Method, n.Path, n.Status = "l7", r.strs[sMethod], r.strs[sPath], r.ints[fStatus]
	}
	return n
}
