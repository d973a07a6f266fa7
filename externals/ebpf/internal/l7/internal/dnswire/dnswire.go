// Package dnswire builds real DNS messages with dnsmessage.Builder for the
// tests of the DNS path.
package dnswire

import (
	"net/netip"

	"golang.org/x/net/dns/dnsmessage"
)

// Query builds a stub resolver's query for name, with an EDNS OPT record as
// dig sends.
func Query(id uint16, name string, qtype dnsmessage.Type) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	b.EnableCompression()
	must(b.StartQuestions())
	must(b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: qtype, Class: dnsmessage.ClassINET}))
	must(b.StartAdditionals())
	var opt dnsmessage.ResourceHeader
	must(opt.SetEDNS0(1232, dnsmessage.RCodeSuccess, false))
	must(b.OPTResource(opt, dnsmessage.OPTResource{}))
	out, err := b.Finish()
	must(err)
	return out
}

// Response builds the answer to a query for name: a CNAME to "alias." when
// cname is set, then the addresses.
func Response(id uint16, name string, rcode dnsmessage.RCode, cname bool, addrs ...netip.Addr) []byte {
	return response(id, name, rcode, cname, false, addrs)
}

// ResponseEDNS is Response with an EDNS OPT record, as resolvers answer a
// query that had one. rcode may be extended (BADVERS 16, BADCOOKIE 23):
// its low 4 bits go in the header, the rest in the OPT record.
func ResponseEDNS(id uint16, name string, rcode dnsmessage.RCode, addrs ...netip.Addr) []byte {
	return response(id, name, rcode, false, true, addrs)
}

func response(id uint16, name string, rcode dnsmessage.RCode, cname, edns bool, addrs []netip.Addr) []byte {
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, Response: true, RecursionDesired: true, RecursionAvailable: true, RCode: rcode & 0xf})
	b.EnableCompression()
	must(b.StartQuestions())
	qn := dnsmessage.MustNewName(name)
	must(b.Question(dnsmessage.Question{Name: qn, Type: dnsmessage.TypeA, Class: dnsmessage.ClassINET}))
	must(b.StartAnswers())
	owner := qn
	if cname {
		alias := dnsmessage.MustNewName("alias.example.net.")
		must(b.CNAMEResource(dnsmessage.ResourceHeader{Name: qn, Class: dnsmessage.ClassINET, TTL: 60}, dnsmessage.CNAMEResource{CNAME: alias}))
		owner = alias
	}
	for _, a := range addrs {
		h := dnsmessage.ResourceHeader{Name: owner, Class: dnsmessage.ClassINET, TTL: 60}
		if a.Is4() {
			must(b.AResource(h, dnsmessage.AResource{A: a.As4()}))
		} else {
			must(b.AAAAResource(h, dnsmessage.AAAAResource{AAAA: a.As16()}))
		}
	}
	if edns {
		must(b.StartAdditionals())
		var opt dnsmessage.ResourceHeader
		must(opt.SetEDNS0(1232, rcode, false))
		must(b.OPTResource(opt, dnsmessage.OPTResource{}))
	}
	out, err := b.Finish()
	must(err)
	return out
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// Framed prefixes each message with its 2-byte TCP length.
func Framed(msgs ...[]byte) []byte {
	var out []byte
	for _, m := range msgs {
		out = append(out, byte(len(m)>>8), byte(len(m)))
		out = append(out, m...)
	}
	return out
}
