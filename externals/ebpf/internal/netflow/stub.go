package netflow

import (
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"netobs.local/agent/externals/ebpf/internal/features"
)

// stubUnattachable replaces, before loading, every program this kernel
// could not attach with a bare `return 0`: the programs of missing
// tracepoints (sock_send_length before 6.3, ...), and the recv exits, which
// only finish what sock_recv_length starts. An older verifier then never
// sees helpers it lacks (bpf_task_pt_regs, the _btf task helper) in code
// that would never run, and the plugin loads with what the kernel has; the
// attach step reports each missing hook with what is lost. It returns the
// names of the stubbed programs.
func stubUnattachable(spec *ebpf.CollectionSpec) []string {
	recvHook := features.Tracepoint("sock", "sock_recv_length").On
	var stubbed []string
	for _, h := range Hooks() {
		if features.Tracepoint(h.Group, h.Event).On && (!h.recvExit || recvHook) {
			continue
		}
		name := "on_" + h.Event
		ps, ok := spec.Programs[name]
		if !ok {
			continue
		}
		ps.Instructions = asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}
		stubbed = append(stubbed, name)
	}
	return stubbed
}
