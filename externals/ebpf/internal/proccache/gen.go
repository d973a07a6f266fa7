package proccache

// The BPF object and its Go bindings are generated from bpf/process and
// committed, so `go build` needs no clang. Regenerate with
// `go generate ./externals/ebpf/...` (clang and llvm from Debian).
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target amd64 -type exec_event -type task_event -type proc_event_type process ../../bpf/process/process.c -- -I../../bpf/include
