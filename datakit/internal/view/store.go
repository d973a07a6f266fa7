// Package view keeps the aggregates the supervisor's web view and
// `datakit monitor` read: per-interval groups of the collector's
// measurements, indexed by measurement and time, fed by the local output
// as points arrive. A request merges at most Slots slots of bounded tables;
// it never decodes or scans the points themselves.
package view

import (
	"sync"
	"time"

	"github.com/influxdata/line-protocol/v2/lineprotocol"

	"netobs.local/agent/datakit/internal/point"
)

// The view's bounds: what it remembers and how finely.
const (
	Step      = 10 * time.Second // one slot
	Retention = time.Hour        // the oldest slot a query can reach
	Slots     = int(Retention / Step)

	// Groups per measurement per slot; later groups of the slot are
	// counted under Other. With every table full the aggregates hold
	// about 40 MiB (see README.md).
	maxFlows  = 256
	maxHTTP   = 128
	maxDNS    = 128
	maxSelf   = 32
	maxRecent = 200 // bash commands and netlog records kept
)

type flowKey struct{ dir, proc, ns, pod, server, serverName, client, transport string }

type flowVals struct{ points, written, read, retrans, established, closed, rttSum, rttN int64 }

func (v *flowVals) merge(o *flowVals) {
	v.points += o.points
	v.written += o.written
	v.read += o.read
	v.retrans += o.retrans
	v.established += o.established
	v.closed += o.closed
	v.rttSum += o.rttSum
	v.rttN += o.rttN
}

type httpKey struct{ dir, proc, ns, pod, server, method, path string }

type httpVals struct {
	count, errors4, errors5, read, written int64
	lat                                    hist
}

func (v *httpVals) merge(o *httpVals) {
	v.count += o.count
	v.errors4 += o.errors4
	v.errors5 += o.errors5
	v.read += o.read
	v.written += o.written
	v.lat.merge(&o.lat)
}

type dnsKey struct{ dir, proc, ns, pod, domain, server string }

type dnsVals struct{ count, nxdomain, timeouts, failures, latSum, latMax int64 }

func (v *dnsVals) merge(o *dnsVals) {
	v.count += o.count
	v.nxdomain += o.nxdomain
	v.timeouts += o.timeouts
	v.failures += o.failures
	v.latSum += o.latSum
	v.latMax = max(v.latMax, o.latMax)
}

// selfVals are the datakit_ebpf counters of one plugin, in selfFields order.
type selfVals [len(selfFields)]int64

var selfFields = [...]struct {
	name string
	slot int
}{
	{"events", fEvents}, {"decode_errors", fDecodeErrors}, {"kernel_drops", fKernelDrops},
	{"map_full_drops", fMapFullDrops}, {"queue_drops", fQueueDrops}, {"table_drops", fTableDrops},
	{"points", fPoints}, {"send_errors", fSendErrors}, {"send_drops", fSendDrops},
}

func (v *selfVals) merge(o *selfVals) {
	for i := range v {
		v[i] += o[i]
	}
}

// slot is one Step of aggregates.
type slot struct {
	epoch int64   // unix time / Step; 0: never used
	cats  []int64 // points per category, in point.Categories order
	flows table[flowKey, flowVals, *flowVals]
	http  table[httpKey, httpVals, *httpVals]
	dns   table[dnsKey, dnsVals, *dnsVals]
	self  table[string, selfVals, *selfVals]
}

// Source is an output that feeds a Store (the local output).
type Source interface{ View() *Store }

// Store is the view's memory. The zero value is not usable: call New.
type Store struct {
	mu     sync.RWMutex
	slots  [Slots]slot
	bash   ring[BashCommand]
	netlog ring[NetlogRecord]
	names  intern
	rec    record
	buf    []byte
	lines  int64 // lines fed, viewed or not
	bad    int64 // lines of viewed measurements that did not decode
}

// New returns an empty store.
func New() *Store {
	s := &Store{names: intern{m: make(map[string]string), max: 1 << 16}}
	for i := range s.slots {
		sl := &s.slots[i]
		sl.cats = make([]int64, len(point.Categories))
		sl.flows = newTable[flowKey, flowVals](maxFlows)
		sl.http = newTable[httpKey, httpVals](maxHTTP)
		sl.dns = newTable[dnsKey, dnsVals](maxDNS)
		sl.self = newTable[string, selfVals](maxSelf)
	}
	s.bash.init(maxRecent)
	s.netlog.init(maxRecent)
	return s
}

func epochOf(t time.Time) int64 { return t.Unix() / int64(Step/time.Second) }

// slotAt returns the slot of the epoch, emptied if it held an older one;
// s.mu must be held for writing.
func (s *Store) slotAt(epoch int64) *slot {
	sl := &s.slots[epoch%int64(Slots)]
	if sl.epoch != epoch {
		sl.epoch = epoch
		clear(sl.cats)
		sl.flows.reset()
		sl.http.reset()
		sl.dns.reset()
		sl.self.reset()
	}
	return sl
}

// Feed adds a batch the pipeline encoded (one point per line) that arrived
// at now. Points are placed by arrival, as /v1/query's since counts.
func (s *Store) Feed(category string, lp []byte, now time.Time) {
	ci := categoryIndex(category)
	if ci < 0 {
		return
	}
	d := lineprotocol.NewDecoderWithBytes(lp)
	s.mu.Lock()
	defer s.mu.Unlock()
	sl := s.slotAt(epochOf(now))
	r := &s.rec
	for d.Next() {
		sl.cats[ci]++
		s.lines++
		if !decodeLine(d, &s.names, r) {
			if r.name != "" {
				s.bad++
			}
			continue
		}
		s.add(sl, r)
	}
}

func categoryIndex(c string) int {
	for i, name := range point.Categories {
		if name == c {
			return i
		}
	}
	return -1
}

func (s *Store) add(sl *slot, r *record) {
	t := &r.tags
	switch r.name {
	case mNetflow:
		k := flowKey{t[tDirection], t[tProcess], t[tNamespace], t[tPod],
			s.join(t[tServerIP], t[tServerPort]), t[tServerDomain], t[tClientIP], t[tTransport]}
		v := sl.flows.get(k, flowKey{k.dir, Other, Other, Other, Other, Other, Other, Other})
		f := &r.ints
		v.merge(&flowVals{1, f[fBytesWritten], f[fBytesRead], f[fRetransmits], f[fEstablished], f[fClosed], 0, 0})
		if f[fRTT] > 0 {
			v.rttSum += f[fRTT]
			v.rttN++
		}
	case mHTTPFlow:
		k := httpKey{t[tDirection], t[tProcess], t[tNamespace], t[tPod],
			s.join(t[tServerIP], t[tServerPort]), r.strs[sMethod], r.strs[sPath]}
		v := sl.http.get(k, httpKey{k.dir, Other, Other, Other, Other, Other, Other})
		n := r.ints[fCount]
		v.count += n
		switch st := r.ints[fStatus]; {
		case st >= 500:
			v.errors5 += n
		case st >= 400:
			v.errors4 += n
		}
		v.read += r.ints[fBytesRead]
		v.written += r.ints[fBytesWritten]
		v.lat.add(r.ints[fLatency], n)
	case mDNSFlow:
		k := dnsKey{t[tDirection], t[tProcess], t[tNamespace], t[tPod], t[tDomain], t[tServerIP]}
		v := sl.dns.get(k, dnsKey{k.dir, Other, Other, Other, Other, Other})
		n := r.ints[fCount]
		v.count += n
		switch rc := r.ints[fRcode]; rc {
		case 0:
		case 3:
			v.nxdomain += n
		case -1:
			v.timeouts += n
		default:
			v.failures += n
		}
		v.latSum += r.ints[fLatency] * n
		v.latMax = max(v.latMax, r.ints[fLatencyMax])
	case mSelf:
		v := sl.self.get(t[tPlugin], Other)
		for i, f := range selfFields {
			v[i] += r.ints[f.slot]
		}
	case mBash:
		s.bash.push(BashCommand{Time: r.time, Host: t[tHost], User: r.strs[sUser], Pid: r.strs[sPid], Cmd: r.strs[sCmd]})
	case mL4Log, mL7Log:
		s.netlog.push(netlogRecord(r))
	}
}

// join is ip:port, interned.
func (s *Store) join(ip, port string) string {
	s.buf = append(append(append(s.buf[:0], ip...), ':'), port...)
	return s.names.get(s.buf)
}
