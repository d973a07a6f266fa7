package netflow

// The BPF object and its Go bindings are generated from bpf/netflow and
// committed, so `go build` needs no clang. Regenerate with
// `go generate ./externals/ebpf/...` (clang and llvm from Debian).
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target amd64 -type conn_close_event -type conn -type conn_role -type flow_tuple -type tcp_stats -type udp_key -type udp_stats -type drop_reason -type event_type -type l7_event -type l7_drop_reason -type l7_verdict -type l7_source -type l7_flags netflow ../../bpf/netflow/netflow.c -- -I../../bpf/include
