// Package dnsparse reads the parts of captured DNS messages that dnsflow
// needs (id, flags, rcode, the question, A/AAAA answers) with
// golang.org/x/net/dns/dnsmessage's allocation-free Parser, and reassembles
// DNS over TCP's length-prefixed messages from capture events.
package dnsparse

import (
	"errors"
	"fmt"
	"net/netip"

	"golang.org/x/net/dns/dnsmessage"

	"netobs.local/agent/externals/ebpf/internal/l7"
)

// Message is what one DNS message says. Its zero value is ready for Parse,
// and one Message is meant to be reused (it holds the parser's state).
type Message struct {
	ID       uint16
	Response bool
	// RCode is the header's, extended by a response's EDNS OPT record.
	RCode int
	// Question is the first question; captured queries have exactly one.
	Question dnsmessage.Question
	// Strict is true for a message shaped exactly like a stub resolver's
	// query: QR=0, opcode QUERY, one question, no answers or authorities,
	// at most one additional (EDNS OPT). It is how a query to a
	// non-standard port is recognized.
	Strict bool
	// Answers are the first NAnswers A/AAAA addresses of a response; a
	// record whose rdata length is not an address's is skipped.
	Answers  [l7.MaxAnswers]netip.Addr
	NAnswers int

	p dnsmessage.Parser
}

// ErrNoQuestion reports a message without a question, which dnsflow cannot
// name.
var ErrNoQuestion = errors.New("dns: message has no question")

// Parse reads b (possibly a capped prefix of the message). The header and
// question must be present; answers are read as far as b goes, and a
// response's unreadable tail is not an error.
func (m *Message) Parse(b []byte) error {
	h, err := m.p.Start(b)
	if err != nil {
		return fmt.Errorf("dns header: %w", err)
	}
	m.ID, m.Response, m.RCode, m.NAnswers, m.Strict = h.ID, h.Response, int(h.RCode), 0, false
	if m.Question, err = m.p.Question(); err != nil {
		if err == dnsmessage.ErrSectionDone {
			return ErrNoQuestion
		}
		return fmt.Errorf("dns question: %w", err)
	}
	if m.Response {
		m.readAnswers()
		if b[10]|b[11] != 0 { // additionals: an EDNS OPT may extend the rcode
			m.RCode = m.extendedRCode(h.RCode)
		}
		return nil
	}
	m.Strict = h.OpCode == 0 && !h.Authoritative && !h.Truncated && m.strictTail(b)
	return nil
}

// readAnswers collects A and AAAA answers until the section ends, the
// capture ends or Answers is full.
func (m *Message) readAnswers() {
	if m.p.SkipAllQuestions() != nil {
		return
	}
	for m.NAnswers < len(m.Answers) {
		h, err := m.p.AnswerHeader()
		if err != nil {
			return
		}
		// The rdata length is checked first: the parser reads an address's
		// bytes where the rdata starts whatever its length says, so an AAAA
		// of 4 bytes would take 12 from the records after it.
		switch {
		case h.Type == dnsmessage.TypeA && h.Length == 4:
			r, err := m.p.AResource()
			if err != nil {
				return
			}
			m.Answers[m.NAnswers] = netip.AddrFrom4(r.A)
		case h.Type == dnsmessage.TypeAAAA && h.Length == 16:
			r, err := m.p.AAAAResource()
			if err != nil {
				return
			}
			m.Answers[m.NAnswers] = netip.AddrFrom16(r.AAAA)
		default:
			if m.p.SkipAnswer() != nil {
				return
			}
			continue
		}
		m.NAnswers++
	}
}

// extendedRCode combines the header's rcode with the upper 8 bits an EDNS
// OPT record carries (RFC 6891 section 6.1.3: BADVERS is 16, BADCOOKIE
// 23, and their low bits alone read as 0 and 7). The header's stands when
// the OPT is past the capture.
func (m *Message) extendedRCode(rcode dnsmessage.RCode) int {
	if m.p.SkipAllAnswers() != nil || m.p.SkipAllAuthorities() != nil {
		return int(rcode)
	}
	for {
		h, err := m.p.AdditionalHeader()
		if err != nil {
			return int(rcode)
		}
		if h.Type == dnsmessage.TypeOPT {
			return int(h.ExtendedRCode(rcode))
		}
		if m.p.SkipAdditional() != nil {
			return int(rcode)
		}
	}
}

// strictTail checks the section counts and that the only additional record,
// if any, is an OPT.
func (m *Message) strictTail(b []byte) bool {
	qd, an, ns, ar := uint16(b[4])<<8|uint16(b[5]), uint16(b[6])<<8|uint16(b[7]),
		uint16(b[8])<<8|uint16(b[9]), uint16(b[10])<<8|uint16(b[11])
	if qd != 1 || an != 0 || ns != 0 || ar > 1 || m.Question.Class != dnsmessage.ClassINET {
		return false
	}
	if m.p.SkipAllQuestions() != nil || m.p.SkipAllAnswers() != nil || m.p.SkipAllAuthorities() != nil {
		return false
	}
	if ar == 1 {
		h, err := m.p.AdditionalHeader()
		if err != nil || h.Type != dnsmessage.TypeOPT || m.p.SkipAdditional() != nil {
			return false
		}
	}
	return true
}

// AppendName appends the question name to dst in lower case without its
// final dot ("www.example.com"); the root is ".".
func (m *Message) AppendName(dst []byte) []byte {
	n := m.Question.Name
	data := n.Data[:n.Length]
	if len(data) > 1 && data[len(data)-1] == '.' {
		data = data[:len(data)-1]
	}
	for _, c := range data {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		dst = append(dst, c)
	}
	return dst
}
