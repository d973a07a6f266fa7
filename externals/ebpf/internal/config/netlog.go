package config

import "flag"

// Netlog holds the bpf-netlog plugin's options (the seed's netlog_*).
type Netlog struct {
	Blacklist string // filter-language rules of packets to drop
	Metric    bool   // netflow/httpflow computed from packets
	Log       bool   // bpf_net_l4_log and bpf_net_l7_log
}

func (n *Netlog) register(fs *flag.FlagSet) {
	fs.StringVar(&n.Blacklist, "netlog-blacklist", "", "bpf-netlog: rules (filter language) of packets to drop (netlog_blacklist)")
	fs.BoolVar(&n.Metric, "netlog-metric", true, "bpf-netlog: netflow/httpflow from packets (netlog_metric)")
	fs.BoolVar(&n.Log, "netlog-log", false, "bpf-netlog: emit bpf_net_l4_log and bpf_net_l7_log (netlog_log)")
}
