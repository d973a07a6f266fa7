package domains

import (
	"fmt"
	"net/netip"
	"testing"
)

func addr(i int) netip.Addr { return netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}) }

func TestLookupAndMapped(t *testing.T) {
	c := New(8)
	c.Add("example.com", addr(1), netip.MustParseAddr("2001:db8::1"))
	if n, ok := c.Lookup(netip.MustParseAddr("::ffff:10.0.0.1")); !ok || n != "example.com" {
		t.Fatalf("mapped lookup: %q %v", n, ok)
	}
	if n, ok := c.Lookup(netip.MustParseAddr("2001:db8::1")); !ok || n != "example.com" {
		t.Fatalf("v6 lookup: %q %v", n, ok)
	}
	if _, ok := c.Lookup(addr(2)); ok {
		t.Fatal("unknown address found")
	}
	c.Add("other.example", addr(1))
	if n, _ := c.Lookup(addr(1)); n != "other.example" {
		t.Fatalf("newer answer not kept: %q", n)
	}
}

func TestBoundedAndRecentKept(t *testing.T) {
	c := New(100)
	for i := 0; i < 1000; i++ {
		c.Add(fmt.Sprint("n", i), addr(i))
		if _, ok := c.Lookup(addr(0)); !ok {
			t.Fatalf("address in steady use evicted after %d inserts", i)
		}
		if c.Len() > 100 {
			t.Fatalf("len %d over bound", c.Len())
		}
	}
	if _, ok := c.Lookup(addr(500)); ok {
		t.Fatal("old unused address still cached")
	}
	if n, ok := c.Lookup(addr(999)); !ok || n != "n999" {
		t.Fatal("newest address missing")
	}
}
