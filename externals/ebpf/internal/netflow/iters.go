package netflow

import (
	"fmt"
	"io"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
)

// flushIters are the iterators of bpf/netflow/iter.h, run at each flush:
// refresh reads the counters of every tracked connection, attribute finds
// the processes of connections that have none among the open files (and
// tracks connections established before the collector started). Both nil
// where the kernel lacks them: the send/recv hooks then do that work.
type flushIters struct {
	refresh, attribute *link.Iter
}

// attach links the iterator prog for target; the conns map is the one
// refresh walks.
func (f *flushIters) attach(prog *ebpf.Program, target string, conns *ebpf.Map) (link.Link, error) {
	opts := link.IterOptions{Program: prog}
	slot := &f.attribute
	if target == "bpf_map_elem" {
		opts.Map, slot = conns, &f.refresh
	}
	l, err := link.AttachIter(opts)
	if err != nil {
		return nil, fmt.Errorf("iterator %s: %w", target, err)
	}
	*slot = l
	return l, nil
}

// runIter runs it once: reading its fd to the end runs the program on every
// element. A nil iterator is not run.
func runIter(it *link.Iter) error {
	if it == nil {
		return nil
	}
	r, err := it.Open()
	if err != nil {
		return err
	}
	defer r.Close()
	_, err = io.Copy(io.Discard, r)
	return err
}
