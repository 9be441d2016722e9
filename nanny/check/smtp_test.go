package check

import (
	"bufio"
	"context"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// smtpServer is a loopback server that plays a script on each
// connection and keeps the lines the client sent.
type smtpServer struct {
	Target Target
	mu     sync.Mutex
	lines  []string
	closed chan struct{} // a value each time a session ends
}

type smtpSession struct {
	conn net.Conn
	r    *bufio.Reader
	srv  *smtpServer
	done <-chan struct{} // closed when the test ends
}

func (s *smtpSession) send(str string) { s.conn.Write([]byte(str)) }

// line reads a line from the client, "" when it closed instead.
func (s *smtpSession) line() string {
	l, err := s.r.ReadString('\n')
	if err != nil {
		return ""
	}
	s.srv.mu.Lock()
	s.srv.lines = append(s.srv.lines, l)
	s.srv.mu.Unlock()
	return l
}

func (s *smtpServer) got() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.lines...)
}

func serveSMTP(t *testing.T, script func(*smtpSession)) *smtpServer {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &smtpServer{Target: probeTarget(t, l.Addr()), closed: make(chan struct{}, 100)}
	var wg sync.WaitGroup
	done := make(chan struct{})
	t.Cleanup(func() { close(done); l.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Go(func() {
				defer func() { srv.closed <- struct{}{} }()
				defer c.Close()
				script(&smtpSession{conn: c, r: bufio.NewReader(c), srv: srv, done: done})
			})
		}
	})
	return srv
}

// smtpTalk greets with banner, answers HELO with helo and QUIT with 221.
func smtpTalk(banner, helo string) func(*smtpSession) {
	return func(s *smtpSession) {
		s.send(banner)
		if s.line() == "" {
			return
		}
		s.send(helo)
		if s.line() == "" {
			return
		}
		s.send("221 2.0.0 Bye\r\n")
	}
}

func TestSMTP(t *testing.T) {
	many := strings.Repeat("250-EXTENSION\r\n", 99) + "250 LAST\r\n"
	tooMany := strings.Repeat("250-X\r\n", 100) + "250 LAST\r\n"
	big := "250-" + strings.Repeat("x", 4000) + "\r\n250-" + strings.Repeat("y", 100) + "\r\n250 z\r\n"
	cases := []struct {
		name   string
		script func(*smtpSession)
		want   string // <T> stands for ADDR:PORT
		short  bool   // a 200ms deadline
	}{
		{name: "plain", script: smtpTalk("220 mx.example.org ESMTP\r\n", "250 mx.example.org\r\n")},
		{name: "multi-line", script: smtpTalk("220-mx.example.org ESMTP\r\n220-no UCE\r\n220 ready\r\n", "250-mx.example.org\r\n250-PIPELINING\r\n250 8BITMIME\r\n")},
		{name: "codes alone", script: smtpTalk("220\r\n", "250\r\n")},
		{name: "bare LF", script: smtpTalk("220 mx\n", "250 mx\n")},
		{name: "99 continuation lines", script: smtpTalk("220 mx\r\n", many)},
		{name: "banner 554", script: smtpTalk("554 no service here\r\n", ""), want: "SMTP banner from <T>: 554 no service here"},
		{name: "banner 554 multi-line", script: smtpTalk("554-mx.example.org\r\n554 too busy\r\n", ""), want: "SMTP banner from <T>: 554 mx.example.org too busy"},
		{name: "banner 421 no text", script: smtpTalk("421\r\n", ""), want: "SMTP banner from <T>: 421"},
		{name: "banner control characters", script: smtpTalk("554 bad\x1b[31m\tthing\r\n", ""), want: "SMTP banner from <T>: 554 bad?[31m?thing"},
		{name: "HELO 501", script: smtpTalk("220 mx\r\n", "501 5.5.4 bad HELO\r\n"), want: "SMTP HELO to <T> answered 501 5.5.4 bad HELO"},
		{name: "HELO 421 multi-line", script: smtpTalk("220 mx\r\n", "421-mx\r\n421 closing\r\n"), want: "SMTP HELO to <T> answered 421 mx closing"},
		{name: "not a reply", script: smtpTalk("hello there\r\n", ""), want: `SMTP reply from <T> is malformed: "hello there\r\n"`},
		{name: "two digits", script: smtpTalk("22 x\r\n", ""), want: `SMTP reply from <T> is malformed: "22 x\r\n"`},
		{name: "no separator", script: smtpTalk("220x\r\n", ""), want: `SMTP reply from <T> is malformed: "220x\r\n"`},
		{name: "codes differ", script: smtpTalk("220-mx\r\n250 ready\r\n", ""), want: `SMTP reply from <T> is malformed: "250 ready\r\n"`},
		{name: "HELO reply malformed", script: smtpTalk("220 mx\r\n", "\r\n"), want: `SMTP reply from <T> is malformed: "\r\n"`},
		{name: "too many lines", script: smtpTalk("220 mx\r\n", tooMany), want: "SMTP reply from <T> is too long: more than 100 lines"},
		{name: "too many bytes", script: smtpTalk("220 mx\r\n", big), want: "SMTP reply from <T> is too long: more than 4096 bytes"},
		{name: "endless line", script: smtpTalk("220 "+strings.Repeat("x", 5000), ""), want: "SMTP reply from <T> is too long: more than 4096 bytes"},
		{name: "closed before the banner", script: func(*smtpSession) {}, want: "READ from <T> failed: connection closed"},
		{name: "closed in the banner", script: func(s *smtpSession) { s.send("220 mx") }, want: "READ from <T> failed: connection closed"},
		{name: "closed in a continuation", script: func(s *smtpSession) { s.send("220-mx\r\n") }, want: "READ from <T> failed: connection closed"},
		{name: "closed after HELO", script: func(s *smtpSession) { s.send("220 mx\r\n"); s.line() }, want: "READ from <T> failed: connection closed"},
		{name: "reset", script: func(s *smtpSession) {
			s.send("220 mx\r\n")
			s.line()
			s.conn.(*net.TCPConn).SetLinger(0)
		}, want: "READ from <T> failed: connection reset by peer"},
		{name: "silent", script: func(s *smtpSession) { s.line() }, want: "READ from <T> timed out", short: true},
		{name: "silent in the banner", script: func(s *smtpSession) { s.send("220-mx\r\n"); s.line() }, want: "READ from <T> timed out", short: true},
		{name: "silent after HELO", script: func(s *smtpSession) { s.send("220 mx\r\n"); s.line(); s.line() }, want: "READ from <T> timed out", short: true},
		{name: "no answer to QUIT", script: func(s *smtpSession) {
			s.send("220 mx\r\n")
			s.line()
			s.send("250 mx\r\n")
			s.line()
			<-s.done
		}},
	}
	var runs []probeRun
	for _, tc := range cases {
		srv := serveSMTP(t, tc.script)
		r := probeRun{
			name:    tc.name,
			check:   &SMTP{Target: srv.Target, Helo: "checker.example.org"},
			d:       3 * time.Second,
			want:    strings.ReplaceAll(tc.want, "<T>", srv.Target.String()),
			maxTook: smtpQuitWait + 500*time.Millisecond,
		}
		if tc.short {
			r.d, r.maxTook = 200*time.Millisecond, 0
		}
		runs = append(runs, r)
	}
	probeRunAll(t, runs, nil)
}

// TestSMTPConversation looks at what the check says and that it waits
// for the server's close after QUIT, so that nothing is reset.
func TestSMTPConversation(t *testing.T) {
	srv := serveSMTP(t, smtpTalk("220 mx\r\n", "250 mx\r\n"))
	probeWant(t, (&SMTP{Target: srv.Target, Helo: "lvs1.example.org"}).Check(probeCtx(t, 3*time.Second)), "")
	<-srv.closed
	got := srv.got()
	want := []string{"HELO lvs1.example.org\r\n", "QUIT\r\n"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("server got %q, want %q", got, want)
	}

	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "localhost"
	}
	srv = serveSMTP(t, smtpTalk("220 mx\r\n", "250 mx\r\n"))
	probeWant(t, (&SMTP{Target: srv.Target}).Check(probeCtx(t, 3*time.Second)), "")
	<-srv.closed
	if got := srv.got(); len(got) == 0 || got[0] != "HELO "+host+"\r\n" {
		t.Errorf("server got %q, want HELO %s first", got, host)
	}
}

// TestSMTPQuitNotAwaited: a server that neither answers QUIT nor closes
// does not hold the check beyond the short wait, nor past ctx's
// deadline when that comes first.
func TestSMTPQuitNotAwaited(t *testing.T) {
	hold := func(s *smtpSession) {
		s.send("220 mx\r\n")
		s.line()
		s.send("250 mx\r\n")
		s.line()
		<-s.done
	}
	srv := serveSMTP(t, hold)
	start := time.Now()
	probeWant(t, (&SMTP{Target: srv.Target, Helo: "h"}).Check(probeCtx(t, 5*time.Second)), "")
	if el := time.Since(start); el < smtpQuitWait/2 || el > smtpQuitWait+300*time.Millisecond {
		t.Errorf("took %v, want about %v", el, smtpQuitWait)
	}
	ctx := probeCtx(t, 100*time.Millisecond)
	start = time.Now()
	probeWant(t, (&SMTP{Target: srv.Target, Helo: "h"}).Check(ctx), "")
	if el := time.Since(start); el > 200*time.Millisecond {
		t.Errorf("took %v past a deadline of 100ms", el)
	}
}

func TestSMTPConnect(t *testing.T) {
	closed := probeClosedTCP(t)
	probeWant(t, (&SMTP{Target: closed, Helo: "h"}).Check(probeCtx(t, 2*time.Second)), "CONNECT to "+closed.String()+" failed: connection refused")

	full := probeFullBacklog(t)
	start := time.Now()
	probeWant(t, (&SMTP{Target: full, Helo: "h"}).Check(probeCtx(t, 150*time.Millisecond)), "CONNECT to "+full.String()+" timed out")
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v with a deadline of 150ms", el)
	}
}

func TestSMTPCancel(t *testing.T) {
	srv := serveSMTP(t, func(s *smtpSession) { s.line() })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	probeWant(t, (&SMTP{Target: srv.Target, Helo: "h"}).Check(ctx), "READ from "+srv.Target.String()+" failed: context canceled")
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v after the cancel", el)
	}

	full := probeFullBacklog(t)
	ctx, cancel = context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	probeWant(t, (&SMTP{Target: full, Helo: "h"}).Check(ctx), "CONNECT to "+full.String()+" failed: context canceled")
}

func TestSMTPBadHelo(t *testing.T) {
	for _, h := range []string{"a b", "a\r\nMAIL FROM:<x>", "a\x00"} {
		err := (&SMTP{Target: probeClosedTCP(t), Helo: h}).Check(context.Background())
		probeWant(t, err, "SMTP HELO name "+strconv.Quote(h)+" is not a host name")
	}
}

func TestSMTPNoLeak(t *testing.T) {
	srv := serveSMTP(t, smtpTalk("220 mx\r\n", "250 mx\r\n"))
	bad := serveSMTP(t, smtpTalk("554 no\r\n", ""))
	before := probeFDs(t)
	for range 10 {
		(&SMTP{Target: srv.Target, Helo: "h"}).Check(probeCtx(t, time.Second))
		(&SMTP{Target: bad.Target, Helo: "h"}).Check(probeCtx(t, time.Second))
	}
	probeNoLeak(t, before)
}

func TestSMTPString(t *testing.T) {
	c := &SMTP{Target: Target{Addr: netip.MustParseAddr("10.0.0.2"), Port: 25}, Helo: "lvs.example.org"}
	if got, want := c.String(), "SMTP banner and HELO lvs.example.org to 10.0.0.2:25"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestParseSMTPLine(t *testing.T) {
	for _, tc := range []struct {
		line string
		code int
		last bool
		text string
		ok   bool
	}{
		{"220 mx ESMTP\r\n", 220, true, "mx ESMTP", true},
		{"220-mx\r\n", 220, false, "mx", true},
		{"250\r\n", 250, true, "", true},
		{"250-\r\n", 250, false, "", true},
		{"250 \n", 250, true, "", true},
		{"999 odd\r\n", 999, true, "odd", true},
		{"25\r\n", 0, false, "", false},
		{"2a0 x\r\n", 0, false, "", false},
		{"-20 x\r\n", 0, false, "", false},
		{"250:x\r\n", 0, false, "", false},
		{"\r\n", 0, false, "", false},
	} {
		code, last, text, ok := parseSMTPLine([]byte(tc.line))
		if code != tc.code || last != tc.last || text != tc.text || ok != tc.ok {
			t.Errorf("%q: got %d %v %q %v", tc.line, code, last, text, ok)
		}
	}
}
