package spool

import (
	"errors"
	"fmt"
	"os"
	"time"
)

// Durability: Append fsyncs at once (SyncInterval 0) or leaves it to
// syncLoop, which fsyncs the head every SyncInterval; one fsync covers
// every append before it (group commit).

// syncUpTo fsyncs the head unless an fsync since append number gen did.
func (q *Queue) syncUpTo(gen uint64) error {
	q.syncMu.Lock()
	defer q.syncMu.Unlock()
	if q.synced >= gen {
		return nil
	}
	q.mu.Lock()
	f, target := q.head, q.gen
	q.mu.Unlock()
	if f == nil {
		return ErrClosed
	}
	// A rotation or Close may close f meanwhile; both fsync it first.
	if err := f.Sync(); err != nil && !errors.Is(err, os.ErrClosed) {
		return fmt.Errorf("spool fsync: %w", err)
	}
	q.synced = target
	return nil
}

func (q *Queue) syncLoop() {
	defer close(q.done)
	t := time.NewTicker(q.opt.SyncInterval)
	defer t.Stop()
	for {
		select {
		case <-q.stop:
			return
		case <-t.C:
			q.mu.Lock()
			gen := q.gen
			q.mu.Unlock()
			if err := q.syncUpTo(gen); err != nil && !errors.Is(err, ErrClosed) {
				q.log.Error("spool fsync failed", "err", err)
			}
		}
	}
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	return d.Sync()
}
