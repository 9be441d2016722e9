package check

import (
	"context"
	"encoding/binary"
	"net"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// dnsServer is a loopback DNS server whose answers a test scripts. It
// keeps the queries it got.
type dnsServer struct {
	Target Target
	mu     sync.Mutex
	got    [][]byte
}

func (s *dnsServer) queries() [][]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([][]byte(nil), s.got...)
}

func (s *dnsServer) record(q []byte) {
	s.mu.Lock()
	s.got = append(s.got, append([]byte(nil), q...))
	s.mu.Unlock()
}

// dnsHandler answers a query with any number of messages; hangUp asks a
// TCP server to close the connection after them.
type dnsHandler func(query []byte) (replies [][]byte, hangUp bool)

func serveDNSUDP(t *testing.T, network, addr string, h dnsHandler) *dnsServer {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{Target: probeTarget(t, pc.LocalAddr())}
	done := make(chan struct{})
	t.Cleanup(func() { pc.Close(); <-done })
	go func() {
		defer close(done)
		buf := make([]byte, 64<<10)
		for {
			n, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			s.record(buf[:n])
			replies, _ := h(buf[:n])
			for _, r := range replies {
				pc.WriteTo(r, from)
			}
		}
	}()
	return s
}

func serveDNSTCP(t *testing.T, h dnsHandler) *dnsServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &dnsServer{Target: probeTarget(t, l.Addr())}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer c.Close()
				for {
					q, _, err := readDNSTCP(c, nil)
					if err != nil {
						return
					}
					s.record(q)
					replies, hangUp := h(q)
					for _, r := range replies {
						var prefix [2]byte
						binary.BigEndian.PutUint16(prefix[:], uint16(len(r)))
						c.Write(append(prefix[:], r...))
					}
					if hangUp {
						return
					}
				}
			})
		}
	})
	return s
}

// dnsAnswer is a reply to query, changed by edit before packing: by
// default a NOERROR answer with one SOA record.
func dnsAnswer(t testing.TB, query []byte, edit func(*dnsmessage.Message)) []byte {
	var m dnsmessage.Message
	if err := m.Unpack(query); err != nil {
		t.Errorf("server: bad query: %v", err)
		return nil
	}
	m.Header.Response = true
	m.Header.Authoritative = true
	m.Answers = []dnsmessage.Resource{{
		Header: dnsmessage.ResourceHeader{Name: m.Questions[0].Name, Type: dnsmessage.TypeSOA, Class: dnsmessage.ClassINET, TTL: 60},
		Body: &dnsmessage.SOAResource{
			NS:     dnsmessage.MustNewName("ns.example."),
			MBox:   dnsmessage.MustNewName("hostmaster.example."),
			Serial: 1, Refresh: 2, Retry: 3, Expire: 4, MinTTL: 5,
		},
	}}
	if edit != nil {
		edit(&m)
	}
	b, err := m.Pack()
	if err != nil {
		t.Errorf("server: packing the reply: %v", err)
	}
	return b
}

func dnsReplyWith(t testing.TB, edit func(*dnsmessage.Message)) dnsHandler {
	return func(q []byte) ([][]byte, bool) { return [][]byte{dnsAnswer(t, q, edit)}, false }
}

func dnsRCodeReply(rc dnsmessage.RCode) func(*dnsmessage.Message) {
	return func(m *dnsmessage.Message) { m.RCode = rc; m.Answers = nil }
}

func dnsOtherID(m *dnsmessage.Message) { m.ID++ }

func TestDNS(t *testing.T) {
	silence := func([]byte) ([][]byte, bool) { return nil, false }
	cases := []struct {
		name string
		h    dnsHandler
		// want is the error text, with <T> for the target's ADDR:PORT.
		want string
		// short gives the check a deadline of 200ms, for the cases that
		// end by it.
		short bool
	}{
		{name: "answer", h: dnsReplyWith(t, nil)},
		{name: "no data", h: dnsReplyWith(t, func(m *dnsmessage.Message) { m.Answers = nil })},
		{name: "answer in another case", h: dnsReplyWith(t, func(m *dnsmessage.Message) {
			m.Questions[0].Name = dnsmessage.MustNewName("EXAMPLE.Org.")
		})},
		{name: "truncated", h: func(q []byte) ([][]byte, bool) {
			r := dnsAnswer(t, q, func(m *dnsmessage.Message) { m.Truncated = true })
			return [][]byte{r[:len(r)-10]}, false
		}},
		{name: "NXDOMAIN", h: dnsReplyWith(t, dnsRCodeReply(dnsmessage.RCodeNameError)), want: "DNS reply from <T> has rcode NXDOMAIN"},
		{name: "SERVFAIL", h: dnsReplyWith(t, dnsRCodeReply(dnsmessage.RCodeServerFailure)), want: "DNS reply from <T> has rcode SERVFAIL"},
		{name: "REFUSED without the question", h: dnsReplyWith(t, func(m *dnsmessage.Message) {
			m.RCode = dnsmessage.RCodeRefused
			m.Questions, m.Answers = nil, nil
		}), want: "DNS reply from <T> has rcode REFUSED"},
		{name: "unnamed rcode", h: dnsReplyWith(t, dnsRCodeReply(12)), want: "DNS reply from <T> has rcode RCODE12"},
		{name: "other id, then the reply", h: func(q []byte) ([][]byte, bool) {
			return [][]byte{dnsAnswer(t, q, dnsOtherID), dnsAnswer(t, q, nil)}, false
		}},
		{name: "other question, then an error", h: func(q []byte) ([][]byte, bool) {
			return [][]byte{
				dnsAnswer(t, q, func(m *dnsmessage.Message) { m.Questions[0].Type = dnsmessage.TypeA }),
				dnsAnswer(t, q, dnsRCodeReply(dnsmessage.RCodeServerFailure)),
			}, false
		}, want: "DNS reply from <T> has rcode SERVFAIL"},
		{name: "other id only", h: dnsReplyWith(t, dnsOtherID), want: "DNS reply from <T> does not match the query", short: true},
		{name: "other name", h: dnsReplyWith(t, func(m *dnsmessage.Message) {
			m.Questions[0].Name = dnsmessage.MustNewName("example.net.")
		}), want: "DNS reply from <T> does not match the query", short: true},
		{name: "other class", h: dnsReplyWith(t, func(m *dnsmessage.Message) {
			m.Questions[0].Class = dnsmessage.ClassCHAOS
		}), want: "DNS reply from <T> does not match the query", short: true},
		{name: "two questions", h: dnsReplyWith(t, func(m *dnsmessage.Message) {
			m.Questions = append(m.Questions, m.Questions[0])
		}), want: "DNS reply from <T> does not match the query", short: true},
		{name: "query echoed", h: func(q []byte) ([][]byte, bool) {
			return [][]byte{q}, false
		}, want: "DNS reply from <T> does not match the query", short: true},
		{name: "silence", h: silence, want: "DNS query for example.org SOA to <T> timed out", short: true},
		{name: "short", h: func([]byte) ([][]byte, bool) {
			return [][]byte{[]byte("hello")}, false
		}, want: "DNS reply from <T> is malformed: unpacking header: questions: insufficient data for base length type"},
		{name: "question cut", h: func(q []byte) ([][]byte, bool) {
			r := dnsAnswer(t, q, nil)
			return [][]byte{r[:15]}, false
		}, want: "DNS reply from <T> is malformed: unpacking Question.Name: insufficient data for calculated length type"},
		{name: "answer missing", h: func(q []byte) ([][]byte, bool) {
			r := dnsAnswer(t, q, nil)
			binary.BigEndian.PutUint16(r[6:], 2) // ANCOUNT
			return [][]byte{r}, false
		}, want: "DNS reply from <T> is malformed: skipping: Answer: Name: insufficient data for base length type"},
	}
	var runs []probeRun
	for _, tcp := range []bool{false, true} {
		for _, tc := range cases {
			r := probeRun{name: "UDP/" + tc.name, d: 2 * time.Second, maxTook: time.Second}
			if tcp {
				r.name = "TCP/" + tc.name
			}
			var s *dnsServer
			if tcp {
				s = serveDNSTCP(t, tc.h)
			} else {
				s = serveDNSUDP(t, "udp", "127.0.0.1:0", tc.h)
			}
			if tc.short {
				r.d, r.maxTook = 200*time.Millisecond, 0
			}
			r.check = &DNS{Target: s.Target, Name: "example.org", TCP: tcp}
			r.want = strings.ReplaceAll(tc.want, "<T>", s.Target.String())
			runs = append(runs, r)
		}
	}
	probeRunAll(t, runs, nil)
}

// TestDNSQuery looks at what the check sends: keepalived's query, one
// question with RD set and a fresh id each time.
func TestDNSQuery(t *testing.T) {
	for _, tcp := range []bool{false, true} {
		var s *dnsServer
		if tcp {
			s = serveDNSTCP(t, dnsReplyWith(t, nil))
		} else {
			s = serveDNSUDP(t, "udp", "127.0.0.1:0", dnsReplyWith(t, nil))
		}
		checks := []*DNS{
			{Target: s.Target, TCP: tcp},
			{Target: s.Target, TCP: tcp},
			{Target: s.Target, TCP: tcp, Name: "www.Example.com", Type: dnsmessage.TypeAAAA},
			{Target: s.Target, TCP: tcp, Name: "example.com.", Type: dnsmessage.TypeMX},
		}
		want := []dnsmessage.Question{
			{Name: dnsmessage.MustNewName("."), Type: dnsmessage.TypeSOA, Class: dnsmessage.ClassINET},
			{Name: dnsmessage.MustNewName("."), Type: dnsmessage.TypeSOA, Class: dnsmessage.ClassINET},
			{Name: dnsmessage.MustNewName("www.Example.com."), Type: dnsmessage.TypeAAAA, Class: dnsmessage.ClassINET},
			{Name: dnsmessage.MustNewName("example.com."), Type: dnsmessage.TypeMX, Class: dnsmessage.ClassINET},
		}
		for _, c := range checks {
			if err := c.Check(probeCtx(t, 2*time.Second)); err != nil {
				t.Errorf("%s: %v", c, err)
			}
		}
		got := s.queries()
		if len(got) != len(want) {
			t.Fatalf("TCP=%v: server got %d queries, want %d", tcp, len(got), len(want))
		}
		ids := map[uint16]bool{}
		for i, q := range got {
			var m dnsmessage.Message
			if err := m.Unpack(q); err != nil {
				t.Fatalf("query %d: %v", i, err)
			}
			h := m.Header
			if h.Response || h.OpCode != 0 || !h.RecursionDesired || h.Truncated || h.Authoritative || h.RCode != 0 {
				t.Errorf("query %d: header %+v", i, h)
			}
			if len(m.Questions) != 1 || len(m.Answers)+len(m.Authorities)+len(m.Additionals) != 0 {
				t.Errorf("query %d: %d questions, %d records", i, len(m.Questions), len(m.Answers)+len(m.Authorities)+len(m.Additionals))
				continue
			}
			if m.Questions[0] != want[i] {
				t.Errorf("query %d: question %v, want %v", i, m.Questions[0], want[i])
			}
			ids[h.ID] = true
		}
		// Four random ids of 16 bits collide once in 11,000 runs.
		if len(ids) < len(got)-1 {
			t.Errorf("ids repeat: %v", ids)
		}
	}
}

func TestDNSIPv6(t *testing.T) {
	l, err := net.ListenPacket("udp6", "[::1]:0")
	if err != nil {
		t.Skip("no IPv6 loopback:", err)
	}
	l.Close()
	s := serveDNSUDP(t, "udp6", "[::1]:0", dnsReplyWith(t, nil))
	c := &DNS{Target: s.Target, Type: dnsmessage.TypeNS}
	probeWant(t, c.Check(probeCtx(t, 2*time.Second)), "")
	silent := serveDNSUDP(t, "udp6", "[::1]:0", func([]byte) ([][]byte, bool) { return nil, false })
	c = &DNS{Target: silent.Target, Type: dnsmessage.TypeNS}
	probeWant(t, c.Check(probeCtx(t, 100*time.Millisecond)), "DNS query for . NS to "+silent.Target.String()+" timed out")
}

// TestDNSRefused: no server on the port. Over UDP the kernel's ICMP
// port unreachable is what the read returns.
func TestDNSRefused(t *testing.T) {
	udp := probeClosedUDP(t, "udp", "127.0.0.1:0")
	c := &DNS{Target: udp}
	probeWant(t, c.Check(probeCtx(t, 2*time.Second)), "DNS query to "+udp.String()+" failed: connection refused")
	tcp := probeClosedTCP(t)
	c = &DNS{Target: tcp, TCP: true}
	probeWant(t, c.Check(probeCtx(t, 2*time.Second)), "DNS query to "+tcp.String()+" failed: connection refused")
}

func TestDNSHangUp(t *testing.T) {
	// Closed at once, and closed in the middle of a reply.
	s := serveDNSTCP(t, func([]byte) ([][]byte, bool) { return nil, true })
	c := &DNS{Target: s.Target, TCP: true}
	probeWant(t, c.Check(probeCtx(t, 2*time.Second)), "DNS query to "+s.Target.String()+" failed: connection closed")

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	go func() {
		conn, err := l.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		readDNSTCP(conn, nil)
		conn.Write([]byte{0, 100, 1, 2, 3})
	}()
	tg := probeTarget(t, l.Addr())
	c = &DNS{Target: tg, TCP: true}
	probeWant(t, c.Check(probeCtx(t, 2*time.Second)), "DNS query to "+tg.String()+" failed: connection closed")
}

// TestDNSCancel: a cancelled ctx ends the wait at once, deadline or not.
func TestDNSCancel(t *testing.T) {
	s := serveDNSUDP(t, "udp", "127.0.0.1:0", func([]byte) ([][]byte, bool) { return nil, false })
	for _, deadline := range []bool{false, true} {
		ctx, cancel := context.WithCancel(context.Background())
		if deadline {
			ctx, cancel = context.WithTimeout(context.Background(), time.Minute)
		}
		time.AfterFunc(50*time.Millisecond, cancel)
		start := time.Now()
		err := (&DNS{Target: s.Target}).Check(ctx)
		probeWant(t, err, "DNS query to "+s.Target.String()+" failed: context canceled")
		if el := time.Since(start); el > time.Second {
			t.Errorf("took %v after the cancel", el)
		}
	}
}

func TestDNSNoLeak(t *testing.T) {
	s := serveDNSUDP(t, "udp", "127.0.0.1:0", dnsReplyWith(t, nil))
	ts := serveDNSTCP(t, dnsReplyWith(t, nil))
	silent := serveDNSUDP(t, "udp", "127.0.0.1:0", func([]byte) ([][]byte, bool) { return nil, false })
	before := probeFDs(t)
	for range 20 {
		(&DNS{Target: s.Target}).Check(probeCtx(t, time.Second))
		(&DNS{Target: ts.Target, TCP: true}).Check(probeCtx(t, time.Second))
	}
	(&DNS{Target: silent.Target}).Check(probeCtx(t, 10*time.Millisecond))
	probeNoLeak(t, before)
}

func TestDNSBadName(t *testing.T) {
	long := strings.Repeat("a", 64) + ".example."
	err := (&DNS{Target: probeClosedTCP(t), Name: long}).Check(context.Background())
	probeWant(t, err, `DNS name "`+long+`" is invalid: Name: segment length too long`)
	err = (&DNS{Target: probeClosedTCP(t), Name: "a..b"}).Check(context.Background())
	probeWant(t, err, `DNS name "a..b" is invalid: Name: zero length segment`)
}

func TestDNSString(t *testing.T) {
	tg := Target{Addr: netip.MustParseAddr("10.0.0.2"), Port: 53}
	for c, want := range map[*DNS]string{
		{Target: tg}: "DNS SOA query for . to 10.0.0.2:53",
		{Target: tg, Name: "example.com", Type: dnsmessage.TypeA}:   "DNS A query for example.com to 10.0.0.2:53",
		{Target: tg, Name: "example.com.", Type: 99, TCP: true}:     "DNS TYPE99 query for example.com. to 10.0.0.2:53 over TCP",
		{Target: tg, Name: "example.com", Type: dnsmessage.TypeSRV}: "DNS SRV query for example.com to 10.0.0.2:53",
	} {
		if got := c.String(); got != want {
			t.Errorf("got %q, want %q", got, want)
		}
	}
}

func TestParseDNSType(t *testing.T) {
	for s, want := range map[string]dnsmessage.Type{
		"A": dnsmessage.TypeA, "aaaa": dnsmessage.TypeAAAA, "Ns": dnsmessage.TypeNS,
		"CNAME": dnsmessage.TypeCNAME, "soa": dnsmessage.TypeSOA, "PTR": dnsmessage.TypePTR,
		"mx": dnsmessage.TypeMX, "TXT": dnsmessage.TypeTXT, "srv": dnsmessage.TypeSRV,
	} {
		got, err := ParseDNSType(s)
		if err != nil || got != want {
			t.Errorf("ParseDNSType(%q) = %v, %v; want %v", s, got, err, want)
		}
	}
	for _, s := range []string{"", "ANY", "AXFR", "OPT", "TypeA", " A", "1"} {
		if got, err := ParseDNSType(s); err == nil {
			t.Errorf("ParseDNSType(%q) = %v, want an error", s, got)
		}
	}
	_, err := ParseDNSType("any")
	probeWant(t, err, `unknown DNS query type "any" (want A, AAAA, NS, CNAME, SOA, PTR, MX, TXT or SRV)`)
}

// TestJudgeDNSReply covers what the servers above do not send.
func TestJudgeDNSReply(t *testing.T) {
	q := dnsmessage.Question{Name: dnsmessage.MustNewName("example.org."), Type: dnsmessage.TypeSOA, Class: dnsmessage.ClassINET}
	query, err := (&dnsmessage.Message{Header: dnsmessage.Header{ID: 7, RecursionDesired: true}, Questions: []dnsmessage.Question{q}}).Pack()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		msg  []byte
		want dnsVerdict
	}{
		{"empty", nil, dnsMalformed},
		{"answer", dnsAnswer(t, query, nil), dnsAnswered},
		{"rcode 0 with no question", dnsAnswer(t, query, func(m *dnsmessage.Message) { m.Questions = nil }), dnsUnrelated},
		{"other id with garbage after", append(dnsAnswer(t, query, dnsOtherID)[:12], 0xff), dnsUnrelated},
		{"error with garbage question", append(dnsAnswer(t, query, dnsRCodeReply(2))[:12:12], 0xff), dnsMalformed},
	} {
		if got, _, _ := judgeDNSReply(tc.msg, 7, q); got != tc.want {
			t.Errorf("%s: got verdict %d, want %d", tc.name, got, tc.want)
		}
	}
}

func FuzzJudgeDNSReply(f *testing.F) {
	q := dnsmessage.Question{Name: dnsmessage.MustNewName("example.org."), Type: dnsmessage.TypeSOA, Class: dnsmessage.ClassINET}
	query, err := (&dnsmessage.Message{Header: dnsmessage.Header{ID: 7, RecursionDesired: true}, Questions: []dnsmessage.Question{q}}).Pack()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(query)
	f.Add(dnsAnswer(f, query, nil))
	f.Add(dnsAnswer(f, query, dnsRCodeReply(3)))
	f.Add(dnsAnswer(f, query, func(m *dnsmessage.Message) { m.Truncated = true }))
	f.Fuzz(func(t *testing.T, msg []byte) {
		v, rc, err := judgeDNSReply(msg, 7, q)
		switch v {
		case dnsAnswered:
			if rc != 0 || err != nil {
				t.Errorf("answered with rcode %d, err %v", rc, err)
			}
		case dnsRCode:
			if rc == 0 || err != nil {
				t.Errorf("rcode verdict with rcode %d, err %v", rc, err)
			}
		case dnsMalformed:
			if err == nil || strings.Contains(err.Error(), "\n") {
				t.Errorf("malformed with err %v", err)
			}
		case dnsUnrelated:
		default:
			t.Errorf("verdict %d", v)
		}
		if v == dnsAnswered || v == dnsRCode {
			// A verdict on the query needs its id and QR.
			if len(msg) < 12 || binary.BigEndian.Uint16(msg) != 7 || msg[2]&0x80 == 0 {
				t.Errorf("verdict %d on %x", v, msg)
			}
		}
	})
}
