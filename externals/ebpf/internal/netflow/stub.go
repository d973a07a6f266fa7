package netflow

import (
	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"

	"netobs.local/agent/externals/ebpf/internal/features"
)

// plan says, before loading, which program serves each hook on this kernel,
// and replaces the others with a bare socket filter that returns 0 (loadable
// on any kernel, never attached):
//   - the programs of missing tracepoints (sock_send_length before 6.3, ...)
//     and the recv exits, which only finish what sock_recv_length starts:
//     an older verifier then never sees helpers it lacks in code that would
//     never run, and the plugin loads with what the kernel has;
//   - of a hook with a tp_btf twin, the classic program where tp_btf works
//     (the cheaper one attaches), else the twin (its attach target would not
//     even resolve).
//
// It returns whether the tp_btf twins are used and the stubbed names.
func plan(spec *ebpf.CollectionSpec) (useBTF bool, stubbed []string) {
	useBTF = features.TPBTF().On
	recvHook := features.Tracepoint("sock", "sock_recv_length").On
	stub := func(name string) {
		if _, ok := spec.Programs[name]; ok {
			spec.Programs[name] = &ebpf.ProgramSpec{Name: name, Type: ebpf.SocketFilter, License: "GPL",
				Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}}
			stubbed = append(stubbed, name)
		}
	}
	for _, h := range Hooks() {
		classic, twin := "on_"+h.Event, "on_"+h.Event+"_btf"
		usable := features.Tracepoint(h.Group, h.Event).On && (!h.recvExit || recvHook)
		switch {
		case !usable:
			stub(classic)
			if h.btf != nil {
				stub(twin)
			}
		case h.btf != nil && useBTF:
			stub(classic)
		case h.btf != nil:
			stub(twin)
		}
	}
	return useBTF, stubbed
}
