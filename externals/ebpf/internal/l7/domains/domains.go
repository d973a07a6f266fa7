// Package domains remembers which query name each address was resolved from
// (A/AAAA answers seen by dnsflow), so that netflow and httpflow can tag a
// destination address with dst_domain. The cache is bounded: it keeps two
// generations of entries; when the current one is full it becomes the
// previous one and the oldest is dropped, and a hit in the previous
// generation is promoted. That gives LRU-like behaviour at map speed.
// It is safe for concurrent use.
package domains

import (
	"net/netip"
	"sync"
)

// Cache maps addresses to domain names.
type Cache struct {
	mu        sync.Mutex
	half      int
	cur, prev map[netip.Addr]string
}

// New returns a cache holding at most max addresses (at least 2).
func New(size int) *Cache {
	half := max(size/2, 1)
	return &Cache{half: half, cur: make(map[netip.Addr]string), prev: map[netip.Addr]string{}}
}

// Add records that name resolved to each of addrs.
func (c *Cache) Add(name string, addrs ...netip.Addr) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, a := range addrs {
		c.put(a.Unmap(), name)
	}
}

func (c *Cache) put(a netip.Addr, name string) {
	if _, ok := c.cur[a]; !ok && len(c.cur) >= c.half {
		c.prev, c.cur = c.cur, make(map[netip.Addr]string, c.half)
	}
	c.cur[a] = name
}

// Lookup returns the name a resolved from, if remembered.
func (c *Cache) Lookup(a netip.Addr) (string, bool) {
	a = a.Unmap()
	c.mu.Lock()
	defer c.mu.Unlock()
	if name, ok := c.cur[a]; ok {
		return name, true
	}
	name, ok := c.prev[a]
	if ok {
		delete(c.prev, a)
		c.put(a, name)
	}
	return name, ok
}

// Len returns how many addresses are remembered.
func (c *Cache) Len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.cur) + len(c.prev)
}
