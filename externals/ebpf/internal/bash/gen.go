package bash

// The BPF object and its Go bindings are generated from bpf/bash and
// committed, so `go build` needs no clang. Regenerate with
// `go generate ./externals/ebpf/...` (clang and llvm from Debian).
//go:generate go tool bpf2go -cc clang -cflags "-O2 -g -Wall -Werror" -target amd64 -type bash_event bash ../../bpf/bash/bash.c -- -I../../bpf/include
