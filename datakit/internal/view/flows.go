package view

import (
	"strings"
)

// Node is a process of this host or a remote endpoint.
type Node struct {
	ID    string `json:"id"`
	Label string `json:"label"`
	Kind  string `json:"kind"` // process or endpoint
	Bytes int64  `json:"bytes"`
}

// Edge is the traffic from a client (From) to a server (To). When the
// server is a local process (an incoming flow of it serves the endpoint),
// To is that process, and the server's own incoming flow is not drawn again.
type Edge struct {
	From        string `json:"from"`
	To          string `json:"to"`
	Server      string `json:"server"` // ip:port
	Transport   string `json:"transport"`
	Connections int64  `json:"connections"` // TCP connections established
	Closed      int64  `json:"closed"`
	BytesSent   int64  `json:"bytes_sent"` // client to server
	BytesRecv   int64  `json:"bytes_recv"`
	Retransmits int64  `json:"retransmits"`
	RTTMicros   int64  `json:"rtt_us"` // mean of the flows' means
}

// Talker is one row of the top talkers.
type Talker struct {
	Name        string `json:"name"`
	BytesSent   int64  `json:"bytes_sent"`
	BytesRecv   int64  `json:"bytes_recv"`
	Connections int64  `json:"connections"`
}

// Flows is GET /v1/view/flows: the connection map and the top talkers.
type Flows struct {
	Nodes     []Node   `json:"nodes"`
	Edges     []Edge   `json:"edges"`
	Processes []Talker `json:"processes"`
	Endpoints []Talker `json:"endpoints"`
}

// Flows answers q from the netflow aggregates.
func (s *Store) Flows(q Query) Flows {
	q.norm()
	groups := map[flowKey]*flowVals{}
	s.mu.RLock()
	s.each(&q, func(_ int, sl *slot) {
		if sl != nil {
			sl.flows.into(groups, func(k flowKey) bool { return q.match(k.dir, k.proc, k.ns, k.pod) })
		}
	})
	s.mu.RUnlock()

	served := map[string]string{}   // server ip:port -> the local process serving it
	servedPts := map[string]int64{} // so the busiest server process wins
	clients := map[[2]string]bool{} // (client ip, server) of outgoing flows
	for k, v := range groups {
		switch k.dir {
		case "incoming":
			if v.points > servedPts[k.server] {
				served[k.server], servedPts[k.server] = k.proc, v.points
			}
		case "outgoing":
			clients[[2]string{k.client, k.server}] = true
		}
	}
	edges := map[[3]string]*Edge{}
	rtt := map[[3]string][2]int64{}
	procs, ends := map[string]*Talker{}, map[string]*Talker{}
	talk := func(m map[string]*Talker, name string, sent, recv, conns int64) {
		t := m[name]
		if t == nil {
			t = &Talker{Name: name}
			m[name] = t
		}
		t.BytesSent += sent
		t.BytesRecv += recv
		t.Connections += conns
	}
	for k, v := range groups {
		talk(procs, k.proc, v.written, v.read, v.established)
		var from, to string
		sent, recv := v.written, v.read
		switch {
		case k.dir == "incoming":
			talk(ends, k.client, v.read, v.written, v.established)
			if clients[[2]string{k.client, k.server}] {
				continue // drawn from the client's side
			}
			from, to, sent, recv = "endpoint:"+k.client, "process:"+k.proc, v.read, v.written
		default:
			name := k.server
			if k.serverName != "" && k.serverName != "N/A" && k.serverName != Other {
				name = k.serverName + k.server[strings.LastIndexByte(k.server, ':'):]
			}
			talk(ends, name, v.written, v.read, v.established)
			from, to = "process:"+k.proc, "endpoint:"+name
			if p, ok := served[k.server]; ok {
				to = "process:" + p
			}
		}
		id := [3]string{from, to, k.transport}
		e := edges[id]
		if e == nil {
			e = &Edge{From: from, To: to, Server: k.server, Transport: k.transport}
			edges[id] = e
		}
		e.Connections += v.established
		e.Closed += v.closed
		e.BytesSent += sent
		e.BytesRecv += recv
		e.Retransmits += v.retrans
		r := rtt[id]
		rtt[id] = [2]int64{r[0] + v.rttSum, r[1] + v.rttN}
	}
	var out Flows
	for id, e := range edges {
		if r := rtt[id]; r[1] > 0 {
			e.RTTMicros = r[0] / r[1]
		}
		out.Edges = append(out.Edges, *e)
	}
	out.Edges = top(out.Edges, q.Limit, func(e *Edge) int64 { return e.BytesSent + e.BytesRecv + e.Connections },
		func(e *Edge) string { return e.From + "\x00" + e.To + "\x00" + e.Transport })
	nodes := map[string]*Node{}
	for _, e := range out.Edges {
		for _, id := range []string{e.From, e.To} {
			n := nodes[id]
			if n == nil {
				kind, label, _ := strings.Cut(id, ":")
				n = &Node{ID: id, Label: label, Kind: kind}
				nodes[id] = n
			}
			n.Bytes += e.BytesSent + e.BytesRecv
		}
	}
	for _, n := range nodes {
		out.Nodes = append(out.Nodes, *n)
	}
	out.Nodes = top(out.Nodes, len(out.Nodes), func(n *Node) int64 { return n.Bytes }, func(n *Node) string { return n.ID })
	out.Processes = talkers(procs, q.Limit)
	out.Endpoints = talkers(ends, q.Limit)
	return out
}

func talkers(m map[string]*Talker, limit int) []Talker {
	rows := make([]Talker, 0, len(m))
	for _, t := range m {
		rows = append(rows, *t)
	}
	return top(rows, limit, func(t *Talker) int64 { return t.BytesSent + t.BytesRecv }, func(t *Talker) string { return t.Name })
}
