package collect

import "netobs.local/agent/externals/ebpf/internal/l7"

// Sink is the one place every finished exchange goes through: it fans out
// to the subscribers of the record's protocol (the aggregators, the domain
// cache) and to those of every protocol (span building and sampling, to
// come). It is a stream.Sink. Not safe for concurrent use: the
// Collector's lock is held.
type Sink struct {
	byProto map[string][]func(l7.Record)
	all     []func(l7.Record)
}

// Subscribe calls fn with every record of protocol proto, or of every
// protocol when proto is "". The record is valid only during the call.
func (s *Sink) Subscribe(proto string, fn func(l7.Record)) {
	if proto == "" {
		s.all = append(s.all, fn)
		return
	}
	if s.byProto == nil {
		s.byProto = map[string][]func(l7.Record){}
	}
	s.byProto[proto] = append(s.byProto[proto], fn)
}

// Record hands x to its subscribers.
func (s *Sink) Record(x l7.Record) {
	for _, fn := range s.byProto[x.Base().Protocol] {
		fn(x)
	}
	for _, fn := range s.all {
		fn(x)
	}
}
