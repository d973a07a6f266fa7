package api

import (
	"math/bits"
	"sync"
)

// Request buffers come from size classes, powers of two from chunkSize to
// maxPooledBytes: fresh ones cost zeroing, cache misses and GC on every
// request. Larger buffers are allocated to size and left to the GC, so a
// burst of big bodies does not stay pinned. The free lists hold at most
// maxIdleBytes in all: that, not the burst, is what stays resident.
const (
	chunkSize      = 64 << 10
	maxPooledBytes = 4 << 20
	maxIdleBytes   = 16 << 20
	numClasses     = 7 // 64 KiB .. 4 MiB
)

// buffers is the process's pool: the budget, not the pool, bounds how much
// is in use, so one pool serves every Server.
var buffers bufPool

type bufPool struct {
	mu   sync.Mutex
	free [numClasses][][]byte
	idle int
}

// classOf is the smallest class that holds n bytes, or -1 past the largest.
func classOf(n int) int {
	if n <= chunkSize {
		return 0
	}
	c := bits.Len(uint(n-1)) - bits.Len(uint(chunkSize-1))
	if c >= numClasses {
		return -1
	}
	return c
}

// capFor is the capacity get(n) returns, which is what the budget is
// charged for it.
func capFor(n int) int {
	if c := classOf(n); c >= 0 {
		return chunkSize << c
	}
	return n
}

// get returns an empty buffer of capacity capFor(n).
func (p *bufPool) get(n int) []byte {
	c := classOf(n)
	if c < 0 {
		return make([]byte, 0, n)
	}
	p.mu.Lock()
	if l := len(p.free[c]); l > 0 {
		b := p.free[c][l-1]
		p.free[c] = p.free[c][:l-1]
		p.idle -= cap(b)
		p.mu.Unlock()
		return b
	}
	p.mu.Unlock()
	return make([]byte, 0, chunkSize<<c)
}

// put recycles b if it is of a class and the free lists have room.
func (p *bufPool) put(b []byte) {
	c := classOf(cap(b))
	if c < 0 || cap(b) != chunkSize<<c {
		return // exact-sized, or grown by append: the GC takes it
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.idle+cap(b) <= maxIdleBytes {
		p.free[c] = append(p.free[c], b[:0])
		p.idle += cap(b)
	}
}
