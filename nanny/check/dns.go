package check

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strconv"
	"strings"

	"golang.org/x/net/dns/dnsmessage"
)

// DNS passes when the target answers one query without an error code,
// as keepalived's DNS_CHECK: an empty answer section still passes, for
// it is the server answering that is checked, not the zone's content.
type DNS struct {
	Target Target
	// Name is the name asked for; "." when empty. A name without the
	// final dot is taken as fully qualified all the same.
	Name string
	// Type is the type asked for; SOA when zero.
	Type dnsmessage.Type
	// TCP sends the query over TCP instead of UDP.
	TCP bool
}

func (c *DNS) name() string {
	if c.Name == "" {
		return "."
	}
	return c.Name
}

func (c *DNS) qtype() dnsmessage.Type {
	if c.Type == 0 {
		return dnsmessage.TypeSOA
	}
	return c.Type
}

func (c *DNS) String() string {
	s := fmt.Sprintf("DNS %s query for %s to %s", dnsTypeName(c.qtype()), c.name(), c.Target)
	if c.TCP {
		s += " over TCP"
	}
	return s
}

// dnsTypes are the types a check may ask for: keepalived's list, with
// PTR and SRV for the servers whose zones hold nothing else.
var dnsTypes = []dnsmessage.Type{
	dnsmessage.TypeA,
	dnsmessage.TypeAAAA,
	dnsmessage.TypeNS,
	dnsmessage.TypeCNAME,
	dnsmessage.TypeSOA,
	dnsmessage.TypePTR,
	dnsmessage.TypeMX,
	dnsmessage.TypeTXT,
	dnsmessage.TypeSRV,
}

// ParseDNSType reads a query type as a configuration names it ("A",
// "mx"), in any case.
func ParseDNSType(s string) (dnsmessage.Type, error) {
	for _, t := range dnsTypes {
		if strings.EqualFold(s, dnsTypeName(t)) {
			return t, nil
		}
	}
	return 0, fmt.Errorf("unknown DNS query type %q (want A, AAAA, NS, CNAME, SOA, PTR, MX, TXT or SRV)", s)
}

// dnsTypeName is a type as zone files write it; RFC 3597's TYPEnnn for
// the ones without a mnemonic here.
func dnsTypeName(t dnsmessage.Type) string {
	if s := t.String(); strings.HasPrefix(s, "Type") {
		return s[len("Type"):]
	}
	return "TYPE" + strconv.Itoa(int(t))
}

// dnsRCodeName is an RCODE as dig prints it.
func dnsRCodeName(r dnsmessage.RCode) string {
	names := [...]string{"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE"}
	if int(r) < len(names) {
		return names[r]
	}
	return "RCODE" + strconv.Itoa(int(r))
}

// dnsVerdict is what one message read from the server says.
type dnsVerdict int

const (
	dnsAnswered  dnsVerdict = iota // a NOERROR reply to the query
	dnsRCode                       // a reply to the query with an error code
	dnsUnrelated                   // not a reply to this query: keep waiting
	dnsMalformed                   // not a DNS message
)

// judgeDNSReply reads msg as a reply to the query with id and q. A reply
// is the query's when it has its id, the QR bit and the question echoed
// (the name in any case, for servers that keep a query's 0x20 case
// randomisation). An error reply may come without the question, as
// servers send FORMERR and REFUSED; it is still the query's by its id.
// The records are walked, not read, so that a reply whose sections do
// not add up is malformed; a truncated reply may stop anywhere after
// its question.
func judgeDNSReply(msg []byte, id uint16, q dnsmessage.Question) (dnsVerdict, dnsmessage.RCode, error) {
	var p dnsmessage.Parser
	h, err := p.Start(msg)
	if err != nil {
		return dnsMalformed, 0, err
	}
	if h.ID != id || !h.Response {
		return dnsUnrelated, 0, nil
	}
	qs, err := p.AllQuestions()
	if err != nil {
		return dnsMalformed, 0, err
	}
	if len(qs) == 0 && h.RCode != dnsmessage.RCodeSuccess {
		return dnsRCode, h.RCode, nil
	}
	if len(qs) != 1 || !sameDNSQuestion(qs[0], q) {
		return dnsUnrelated, 0, nil
	}
	if !h.Truncated {
		if err := p.SkipAllAnswers(); err != nil {
			return dnsMalformed, 0, err
		}
		if err := p.SkipAllAuthorities(); err != nil {
			return dnsMalformed, 0, err
		}
		if err := p.SkipAllAdditionals(); err != nil {
			return dnsMalformed, 0, err
		}
	}
	if h.RCode != dnsmessage.RCodeSuccess {
		return dnsRCode, h.RCode, nil
	}
	return dnsAnswered, 0, nil
}

func sameDNSQuestion(a, b dnsmessage.Question) bool {
	if a.Type != b.Type || a.Class != b.Class || a.Name.Length != b.Name.Length {
		return false
	}
	for i := range int(a.Name.Length) {
		x, y := a.Name.Data[i], b.Name.Data[i]
		if 'A' <= x && x <= 'Z' {
			x += 'a' - 'A'
		}
		if 'A' <= y && y <= 'Z' {
			y += 'a' - 'A'
		}
		if x != y {
			return false
		}
	}
	return true
}

// query is the query c sends, packed after two bytes left for TCP's
// length prefix.
func (c *DNS) query(id uint16) ([]byte, dnsmessage.Question, error) {
	fqdn := c.name()
	if !strings.HasSuffix(fqdn, ".") {
		fqdn += "."
	}
	var q dnsmessage.Question
	n, err := dnsmessage.NewName(fqdn)
	if err != nil {
		return nil, q, err
	}
	q = dnsmessage.Question{Name: n, Type: c.qtype(), Class: dnsmessage.ClassINET}
	b := dnsmessage.NewBuilder(make([]byte, 2, 2+512), dnsmessage.Header{ID: id, RecursionDesired: true})
	if err := b.StartQuestions(); err != nil {
		return nil, q, err
	}
	if err := b.Question(q); err != nil {
		return nil, q, err
	}
	msg, err := b.Finish()
	if err != nil {
		return nil, q, err
	}
	binary.BigEndian.PutUint16(msg, uint16(len(msg)-2))
	return msg, q, nil
}

func (c *DNS) Check(ctx context.Context) error {
	id := uint16(rand.Uint32())
	msg, q, err := c.query(id)
	if err != nil {
		return fmt.Errorf("DNS name %q is invalid: %v", c.name(), err)
	}
	timedOut := fmt.Errorf("DNS query for %s %s to %s timed out", c.name(), dnsTypeName(q.Type), c.Target)
	failed := func(err error) error {
		if probeTimedOut(ctx, err) {
			return timedOut
		}
		return fmt.Errorf("DNS query to %s failed: %s", c.Target, probeCause(ctx, err))
	}

	network := "udp"
	if c.TCP {
		network = "tcp"
	} else {
		msg = msg[2:]
	}
	conn, release, err := probeDial(ctx, network, c.Target)
	if err != nil {
		return failed(err)
	}
	defer release()
	if _, err := conn.Write(msg); err != nil {
		return failed(err)
	}

	// A reply to an earlier query, or a stray datagram, is no verdict:
	// the check waits on for its own reply, as keepalived's does, and
	// names the stray one only when its own never came.
	sawUnrelated := false
	var buf []byte
	for {
		var reply []byte
		if c.TCP {
			reply, buf, err = readDNSTCP(conn, buf)
		} else {
			if buf == nil {
				buf = make([]byte, 64<<10)
			}
			var n int
			n, err = conn.Read(buf)
			reply = buf[:n]
		}
		if err != nil {
			if sawUnrelated && probeTimedOut(ctx, err) {
				return fmt.Errorf("DNS reply from %s does not match the query", c.Target)
			}
			return failed(err)
		}
		switch v, rcode, err := judgeDNSReply(reply, id, q); v {
		case dnsAnswered:
			return nil
		case dnsRCode:
			return fmt.Errorf("DNS reply from %s has rcode %s", c.Target, dnsRCodeName(rcode))
		case dnsMalformed:
			return fmt.Errorf("DNS reply from %s is malformed: %v", c.Target, err)
		default:
			sawUnrelated = true
		}
	}
}

// readDNSTCP reads one length-prefixed message (RFC 1035 4.2.2) into
// buf, grown as needed.
func readDNSTCP(conn net.Conn, buf []byte) (msg, grown []byte, err error) {
	var prefix [2]byte
	if _, err := io.ReadFull(conn, prefix[:]); err != nil {
		return nil, buf, err
	}
	n := int(binary.BigEndian.Uint16(prefix[:]))
	if cap(buf) < n {
		buf = make([]byte, n)
	}
	msg = buf[:n]
	if _, err := io.ReadFull(conn, msg); err != nil {
		return nil, buf, err
	}
	return msg, buf, nil
}
