package measure

// Collector is datakit-ebpf's own health, one point per plugin per interval,
// so losses are visible where the data goes rather than only in a log.
var Collector = Register(Measurement{
	Name:     "datakit_ebpf",
	Category: "metric",
	Plugin:   "(all)",
	Desc: "The collector's self-metrics: every drop is counted here. Counters are " +
		"per interval (deltas), except where the unit says otherwise.",
	Tags: []Tag{
		{"host", "System hostname"},
		{"plugin", "The plugin the counters belong to (ebpf-net, ...), `sender` for delivery, or `collector` for the process itself"},
	},
	Fields: []Field{
		{"events", Int, "count", "Ring-buffer records decoded"},
		{"decode_errors", Int, "count", "Ring-buffer records that failed to decode (bad length or type)"},
		{"kernel_drops", Int, "count", "Records the kernel could not reserve in the ring buffer (per-CPU drops map)"},
		{"map_full_drops", Int, "count", "Connections or flows the kernel could not track because a map was full"},
		{"queue_drops", Int, "count", "Records dropped because the userspace queue was full"},
		{"table_drops", Int, "count", "Records, requests or series lost because a bounded userspace table was full (sockets, pending requests, per-interval series)"},
		{"bpf_run_count", Int, "count", "BPF program runs (with --bpf-stats only: the kernel's run-time stats cost every BPF run on the host)"},
		{"bpf_run_time_ns", Int, "ns", "BPF program run time (with --bpf-stats only)"},
		{"points", Int, "count", "Points produced (plugins) or delivered (sender)"},
		{"send_errors", Int, "count", "Failed POST attempts (sender)"},
		{"send_drops", Int, "count", "Points dropped by the sender: queue full, 4xx, or retries exhausted"},
		{"queue_depth", Int, "count", "Batches waiting in the sender's queue at the report (a gauge; sender)"},
		{"queue_capacity", Int, "count", "The sender queue's capacity in batches (sender)"},
		{"cpu_millicores", Int, "millicores", "The collector's CPU (user+system, all threads) over the last interval, in thousandths of a core (collector)"},
		{"rss_bytes", Int, "B", "The collector's resident set at the report (a gauge; collector)"},
	},
})
