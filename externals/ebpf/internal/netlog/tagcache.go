package netlog

import (
	"net/netip"

	"netobs.local/agent/externals/ebpf/internal/flowtags"
	"netobs.local/agent/externals/ebpf/internal/lp"
)

// tagCache remembers flow tags by what they depend on, so that the many
// connections of one client to one server (whose client ports collapse to
// "*") format their addresses once rather than once per connection.
type tagCache struct {
	b    flowtags.Builder
	tags map[flowtags.Flow]flowtags.Tags
	lp   map[flowtags.Flow][]lp.Tag
}

const maxCachedTags = 4096

func newTagCache(b flowtags.Builder) *tagCache {
	return &tagCache{b: b, tags: map[flowtags.Flow]flowtags.Tags{}, lp: map[flowtags.Flow][]lp.Tag{}}
}

// key is f with a client port that collapses set to 0: the Builder's rule.
func (c *tagCache) key(f flowtags.Flow) flowtags.Flow {
	client := &f.Remote
	if f.Outgoing {
		client = &f.Local
	}
	if c.b.EphemeralStart != 0 && client.Port() >= c.b.EphemeralStart {
		*client = netip.AddrPortFrom(client.Addr(), 0)
	}
	return f
}

// build returns f's tags.
func (c *tagCache) build(f flowtags.Flow) flowtags.Tags {
	k := c.key(f)
	t, ok := c.tags[k]
	if !ok {
		if len(c.tags) >= maxCachedTags {
			clear(c.tags)
		}
		t = c.b.Build(f)
		c.tags[k] = t
	}
	return t
}

// appendTags appends f's tags as lp tags; extra is appended once, when the
// entry is made.
func (c *tagCache) appendTags(dst []lp.Tag, f flowtags.Flow, extra ...lp.Tag) []lp.Tag {
	k := c.key(f)
	tags, ok := c.lp[k]
	if !ok {
		if len(c.lp) >= maxCachedTags {
			clear(c.lp)
		}
		tags = append(c.build(f).Append(nil), extra...)
		c.lp[k] = tags
	}
	return append(dst, tags...)
}
