package netflow

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/asm"
	"github.com/cilium/ebpf/link"

	"netobs.local/agent/externals/ebpf/features"
	"netobs.local/agent/externals/ebpf/internal/loader"
)

// plan picks, before loading, the way each hook is observed on this kernel
// and replaces every program that will not be attached with a bare socket
// filter that returns 0 (loadable on any kernel, never attached): the
// ways not picked (their attach targets may not even resolve here: a
// tp_btf twin before 6.3, fexit where trampolines are missing), the recv
// exits when no receive hook is there for them to finish, and the
// send/recv hooks when nothing needs them: needIO is whether UDP flows or
// the L7 capture are on, and TCP needs them only where the flush
// iterators are missing. An older verifier then never sees helpers it
// lacks in code that would never run, and the plugin loads with what the
// kernel has.
//
// picked maps each hook's Event to its way; a hook without one is absent,
// and unneeded lists the hooks left out because nothing needs them.
func plan(spec *ebpf.CollectionSpec, needIO bool) (picked map[string]way, unneeded map[string]bool, stubbed []string) {
	picked, unneeded = map[string]way{}, map[string]bool{}
	hooks := Hooks()
	choices := make([]features.Choice[way], len(hooks))
	for i, h := range hooks {
		choices[i] = h.choice()
		if w, ok := choices[i].Chosen(); ok {
			picked[h.Event] = w
		}
	}
	_, iters := picked[tcpAtFlush]
	needIO = needIO || !iters
	_, recvHook := picked["socket receives"]
	for i, h := range hooks {
		if h.onIO && !needIO {
			unneeded[h.Event] = true
		}
		if unneeded[h.Event] || (h.recvExit && !recvHook) {
			delete(picked, h.Event)
			choices[i].Picked = -1
		}
		for j, other := range h.ways {
			if j == choices[i].Picked {
				continue
			}
			for _, p := range other.points {
				if p.prog == "" {
					continue // a way without a program (socket diagnostics)
				}
				spec.Programs[p.prog] = &ebpf.ProgramSpec{Name: p.prog, Type: ebpf.SocketFilter, License: "GPL",
					Instructions: asm.Instructions{asm.Mov.Imm(asm.R0, 0), asm.Return()}}
				stubbed = append(stubbed, p.prog)
			}
		}
	}
	return picked, unneeded, stubbed
}

// program returns the loaded program of that name; ok is false when the
// object has no such program.
func (o *netflowObjects) program(name string) (p *ebpf.Program, ok bool) {
	v := reflect.ValueOf(&o.netflowPrograms).Elem()
	for i := range v.NumField() {
		if v.Type().Field(i).Tag.Get("ebpf") == name {
			return v.Field(i).Interface().(*ebpf.Program), true
		}
	}
	return nil, false
}

// attach attaches the way picked for h, all of its points or none, to links.
func (p *Plugin) attach(links *loader.Stack, h Hook) error {
	w, ok := p.picked[h.Event]
	switch {
	case !ok && h.recvExit:
		return fmt.Errorf("%s: not attached: it finishes receives, which nothing observes on this kernel", h.Event)
	case !ok:
		return fmt.Errorf("%s: %s", h.Event, h.choice())
	}
	var attached loader.Stack
	for _, ap := range w.points {
		prog, _ := p.objs.program(ap.prog)
		var l link.Link
		var err error
		switch w.kind {
		case features.KindTracepoint:
			group, event, _ := strings.Cut(ap.target, "/")
			l, err = loader.Tracepoint(prog, group, event)
		case features.KindCgroupSockAddr:
			l, err = loader.CgroupSockAddr(prog, ap.target)
		case features.KindIter:
			l, err = p.iters.attach(prog, ap.target, p.objs.Conns)
		case features.KindSockDiag:
			p.diag = newSockDiag(p.cfg, p.objs.Adopt)
			continue
		default: // tp_btf, fexit: the target was resolved at load
			l, err = loader.Tracing(prog, string(w.kind)+" "+ap.target)
		}
		if err != nil {
			attached.Close()
			return err
		}
		attached.Push(l)
	}
	if w.kind == features.KindIter {
		p.objects.Push(&attached) // run, never triggered: kept for the final flush, after Stop
	} else {
		links.Push(&attached)
	}
	return nil
}
