package proccache

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cilium/ebpf"
	"github.com/cilium/ebpf/link"
	"github.com/cilium/ebpf/ringbuf"

	"netobs.local/agent/externals/ebpf/internal/containers"
	"netobs.local/agent/externals/ebpf/internal/loader"
)

const (
	readDeadline = 20 * time.Millisecond
	// drainTimeout bounds how long a lookup waits for the reader to apply
	// the records already in the ring (microseconds when it keeps up).
	drainTimeout = time.Second
	wakeupBytes  = 64 << 10
	maxProcs     = 1 << 17
)

// Cache is the process cache with its kernel side. Lifecycle as a plugin:
// Load, Start, Stop, Close; start it before the plugins that look up pids.
type Cache struct {
	*Table
	log *slog.Logger

	objs    processObjects
	objects loader.Stack
	links   loader.Stack
	reader  *ringbuf.Reader
	sync    *loader.RingSync

	Events, DecodeErrors atomic.Uint64

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

// New returns an unloaded cache reading procRoot; exited processes are
// kept for retain (make it longer than the slowest reporting interval).
// Containers are named from the runtimes' state under HOST_ROOT (else /).
func New(procRoot string, retain time.Duration, log *slog.Logger) *Cache {
	t := NewTable(procRoot, maxProcs, retain)
	t.SetContainers(containers.New(containers.RootFromEnv(), log))
	return &Cache{Table: t, log: log}
}

// Name names the cache in logs.
func (c *Cache) Name() string { return "process-cache" }

// Load loads the BPF object.
func (c *Cache) Load() error {
	spec, err := loadProcess()
	if err != nil {
		return fmt.Errorf("process cache: read embedded object: %w", err)
	}
	if err := spec.Variables["wakeup_bytes"].Set(uint64(wakeupBytes)); err != nil {
		return fmt.Errorf("process cache: set wakeup_bytes: %w", err)
	}
	if err := spec.LoadAndAssign(&c.objs, nil); err != nil {
		var ve *ebpf.VerifierError
		if errors.As(err, &ve) {
			return fmt.Errorf("process cache: the verifier rejected a program: %+v", ve)
		}
		return fmt.Errorf("process cache: load BPF objects: %w", loader.LoadError(spec, err))
	}
	c.objects.Push(&c.objs)
	if c.reader, err = ringbuf.NewReader(c.objs.Events); err != nil {
		c.objects.Close()
		return fmt.Errorf("process cache: ring buffer reader: %w", err)
	}
	c.objects.Push(c.reader)
	return nil
}

// Start attaches the hooks, then scans /proc (so a process is either in
// the scan or in an event), and starts reading. Only exec is required.
func (c *Cache) Start(ctx context.Context) error {
	l, err := loader.Tracepoint(c.objs.OnSchedProcessExec, "sched", "sched_process_exec")
	if err != nil {
		return fmt.Errorf("process cache: %w", err)
	}
	c.links.Push(l)
	if l, err := link.AttachRawTracepoint(link.RawTracepointOptions{Name: "sched_process_fork", Program: c.objs.OnSchedProcessFork}); err != nil {
		c.log.Warn("process cache: degraded: forked children are read from /proc when first looked up", "hook", "raw_tracepoint/sched_process_fork", "err", err)
	} else {
		c.links.Push(l)
	}
	if l, err := loader.Tracepoint(c.objs.OnSchedProcessExit, "sched", "sched_process_exit"); err != nil {
		c.log.Warn("process cache: degraded: exited processes are forgotten only when the table is full", "err", err)
	} else {
		c.links.Push(l)
	}
	if err := c.Scan(); err != nil {
		c.links.Close()
		return fmt.Errorf("process cache: scan: %w", err)
	}
	c.sync = loader.NewRingSync(c.reader)
	c.drain = func() bool { return c.sync.Wait(drainTimeout) }
	ctx, c.cancel = context.WithCancel(ctx)
	c.wg.Add(2)
	go func() { defer c.wg.Done(); c.readLoop(ctx) }()
	go func() { defer c.wg.Done(); c.sweepLoop(ctx) }()
	return nil
}

// Stop detaches the hooks and stops reading.
func (c *Cache) Stop() error {
	err := c.links.Close()
	if c.cancel != nil {
		c.cancel()
		c.wg.Wait()
	}
	return err
}

// Close frees the maps, programs and reader.
func (c *Cache) Close() error { return c.objects.Close() }

// KernelDrops is the number of records the kernel could not reserve.
func (c *Cache) KernelDrops() uint64 {
	var perCPU []uint64
	if err := c.objs.Drops.Lookup(uint32(0), &perCPU); err != nil {
		return 0
	}
	var n uint64
	for _, v := range perCPU {
		n += v
	}
	return n
}

// Programs are the cache's BPF programs, for run-time statistics.
func (c *Cache) Programs() []*ebpf.Program {
	return []*ebpf.Program{c.objs.OnSchedProcessExec, c.objs.OnSchedProcessFork, c.objs.OnSchedProcessExit}
}

func (c *Cache) readLoop(ctx context.Context) {
	defer c.sync.Stopped()
	loader.ReadRingFlushed(ctx, c.reader, readDeadline, func(rec []byte) {
		c.Events.Add(1)
		ev, err := decodeRecord(rec)
		if err != nil {
			c.DecodeErrors.Add(1)
			return
		}
		c.apply(&ev, time.Now())
	}, func(err error) { c.log.Error("process cache: ring buffer", "err", err) }, c.sync.Flushed)
}

// sweepLoop forgets exited processes once their retention is over.
func (c *Cache) sweepLoop(ctx context.Context) {
	sweep := time.NewTicker(time.Second)
	defer sweep.Stop()
	for {
		select {
		case now := <-sweep.C:
			c.Sweep(now)
		case <-ctx.Done():
			return
		}
	}
}
