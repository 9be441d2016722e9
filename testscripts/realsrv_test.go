package testscripts

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"golang.org/x/net/dns/dnsmessage"
)

// realsrv is a real server on a loopback address for the scripts that
// test health checks: the script starts it in the background, steers it
// through files while it runs and reads what it saw. Usage:
//
//	realsrv KIND ADDR:PORT DIR
//
// KIND is tcp, http, https, udp, dns or smtp; ADDR must be in 127.0.0.0/8
// or ::1 (give each script its own 127.x.y.z, so that scripts running at
// once never share a port). Port 0 picks a free port, which the ready
// line tells.
//
// DIR/mode, read afresh for every connection or datagram (missing or
// empty: ok), holds one of:
//
//	ok          answer correctly
//	refuse      nothing listens (RST, or ICMP port unreachable for udp/dns)
//	hang        take the connection or datagram, never answer
//	partial     send the first half of the answer, then nothing more
//	slow [DUR]  take DUR (600ms) to answer: TCP kinds send each answer in
//	            up to 4 pieces DUR/4 apart, udp/dns delay the datagram
//	reset       read the request (100ms at most), then RST; udp/dns: no answer
//	wrong       answer with the wrong content
//	flap N      every N-th connection or datagram since start fails as
//	            under refuse once the port is open (RST, or no answer),
//	            the others are answered as under ok
//
// The answers, under ok and under wrong:
//
//	tcp    banner "+OK realsrv\r\n", then each line echoed; wrong:
//	       "NOPE\r\n" for the banner and each line
//	http   HTTP/1.0, one request a connection: GET or HEAD / gets 200
//	https  "hello from realsrv\n", /health 200 "OK\n", /status/NNN (200 to
//	       599) NNN "status NNN\n", anything else 404; wrong: 500 "oops\n"
//	udp    "ECHO " and the datagram; wrong: "NOPE"
//	dns    authoritative, for the first question: A 192.0.2.1 or an SOA,
//	       TTL 60, no record for other types, NXDOMAIN for nxdomain.test.
//	       and below; wrong: SERVFAIL; no answer to what is not a query
//	smtp   banner "220 realsrv ESMTP\r\n", then HELO or EHLO 250, NOOP
//	       250, QUIT 221 and close, anything else 502; wrong: banner
//	       "554 no service\r\n", then 503 to all but QUIT
//
// Anything else is answered as ok, logged as mode "invalid" and told on
// stderr. A poller reads DIR/mode every 20ms to close the listener or
// socket under refuse and open it again afterwards, logging "closed" and
// "listening": a script waits for those lines, since a connection that
// comes before the poller has seen the change is reset instead.
//
// DIR/log gets "ready KIND ADDR:PORT" once listening, then a line
// "KIND MODE FROM DETAIL" for each connection or datagram, written before
// the answer (smtp under ok, slow and wrong: before the answer to the
// first command, since the client speaks only after the banner). MODE is
// flap:ok or flap:fail under flap. DETAIL is "-" when nothing came, else:
//
//	tcp         the first line, quoted, if it came within 100ms (the banner
//	            waits for it)
//	http        METHOD REQUEST-URI host=HOST
//	https       the same, then sni=SERVERNAME whenever the TLS handshake
//	            completed
//	udp         the datagram, quoted
//	dns         QNAME QTYPE
//	smtp        the HELO or EHLO argument
//
// For https, DIR/cert.pem is a fresh self-signed certificate for
// www.example.test and ADDR, usable as the client's CA; the TLS
// handshake always completes, and the mode applies to the HTTP answer.
//
// realsrv exits 0 on SIGINT (testscript's "kill -INT") or SIGTERM, 1 on
// failure or after running for 10 minutes, so that a failed script never
// leaves it behind, and 2 on bad arguments.
func runRealsrv(args []string) int { return realsrvMain(args, os.Stderr) }

func realsrvMain(args []string, stderr io.Writer) int {
	s, err := newRealsrv(args)
	if err != nil {
		fmt.Fprintf(stderr, "realsrv: %v\n%s", err, realsrvUsage)
		return 2
	}
	s.stderr = stderr
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	errLifetime := fmt.Errorf("stopped after running for %v", realsrvLifetime)
	ctx, cancel := context.WithTimeoutCause(ctx, realsrvLifetime, errLifetime)
	defer cancel()
	if err := s.run(ctx, nil); err != nil {
		fmt.Fprintln(stderr, "realsrv:", err)
		return 1
	}
	if context.Cause(ctx) == errLifetime {
		fmt.Fprintln(stderr, "realsrv:", errLifetime)
		return 1
	}
	return 0
}

const realsrvUsage = "usage: realsrv tcp|http|https|udp|dns|smtp ADDR:PORT DIR (ADDR in 127.0.0.0/8 or ::1)\n"

const (
	realsrvLifetime = 10 * time.Minute
	realsrvPoll     = 20 * time.Millisecond
	// realsrvWindow is how long tcp waits for a first line before its
	// banner, and reset for a request.
	realsrvWindow = 100 * time.Millisecond
	// realsrvRequest bounds a TLS handshake and an HTTP request head.
	realsrvRequest = 5 * time.Second
	// realsrvHold bounds every connection, hung ones first.
	realsrvHold     = 60 * time.Second
	realsrvSlow     = 600 * time.Millisecond
	realsrvMaxSlow  = 30 * time.Second
	realsrvMaxLine  = 64 << 10
	realsrvMaxLines = 10000
	realsrvMaxFlap  = 1 << 20
)

type realsrv struct {
	kind   string
	dir    string
	ctx    context.Context
	stderr io.Writer

	tlsConf *tls.Config
	count   atomic.Int64

	logMu  sync.Mutex
	warned string // the last invalid mode told on stderr

	mu      sync.Mutex
	addr    netip.AddrPort // its port fixed by the first listen
	ln      *net.TCPListener
	pc      *net.UDPConn
	done    bool
	lastErr string // the last failure to listen again, told once
	wg      sync.WaitGroup
}

func newRealsrv(args []string) (*realsrv, error) {
	if len(args) != 3 {
		return nil, errors.New("want 3 arguments")
	}
	kind := args[0]
	if !slices.Contains([]string{"tcp", "http", "https", "udp", "dns", "smtp"}, kind) {
		return nil, fmt.Errorf("unknown kind %q", kind)
	}
	ap, err := netip.ParseAddrPort(args[1])
	if err != nil {
		return nil, fmt.Errorf("ADDR:PORT %q: %v", args[1], err)
	}
	if a := ap.Addr(); !a.IsLoopback() || a.Is4In6() || a.Zone() != "" {
		return nil, fmt.Errorf("%s is not a loopback address", a)
	}
	if args[2] == "" {
		return nil, errors.New("empty DIR")
	}
	return &realsrv{kind: kind, addr: ap, dir: args[2], stderr: os.Stderr}, nil
}

func (s *realsrv) udpKind() bool { return s.kind == "udp" || s.kind == "dns" }

// run serves until ctx is done, then waits for every connection to end;
// ready, if not nil, gets the address once it listens.
func (s *realsrv) run(ctx context.Context, ready func(netip.AddrPort)) error {
	s.ctx = ctx
	if err := os.MkdirAll(s.dir, 0o777); err != nil {
		return err
	}
	if s.kind == "https" {
		if err := s.makeCert(); err != nil {
			return err
		}
	}
	s.mu.Lock()
	err := s.listen()
	addr := s.addr
	s.mu.Unlock()
	if err != nil {
		return err
	}
	defer s.shutdown()
	// Read before the ready line, so that a bad mode file is told by then.
	m := s.readMode()
	s.logf("ready %s %s", s.kind, addr)
	if ready != nil {
		ready(addr)
	}
	s.syncTo(m)
	tick := time.NewTicker(realsrvPoll)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			s.sync()
		}
	}
}

func (s *realsrv) shutdown() {
	s.mu.Lock()
	s.done = true
	s.closeLocked()
	s.mu.Unlock()
	s.wg.Wait()
}

// listen opens the listener or socket; s.mu is held.
func (s *realsrv) listen() error {
	if s.udpKind() {
		pc, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(s.addr))
		if err != nil {
			return err
		}
		s.pc = pc
		s.addr = netip.AddrPortFrom(s.addr.Addr(), pc.LocalAddr().(*net.UDPAddr).AddrPort().Port())
		s.wg.Add(1)
		go s.readLoop(pc)
		return nil
	}
	ln, err := net.ListenTCP("tcp", net.TCPAddrFromAddrPort(s.addr))
	if err != nil {
		return err
	}
	s.ln = ln
	s.addr = netip.AddrPortFrom(s.addr.Addr(), ln.Addr().(*net.TCPAddr).AddrPort().Port())
	s.wg.Add(1)
	go s.acceptLoop(ln)
	return nil
}

func (s *realsrv) closeLocked() {
	if s.ln != nil {
		s.ln.Close()
		s.ln = nil
	}
	if s.pc != nil {
		s.pc.Close()
		s.pc = nil
	}
}

// sync closes or opens the listener as the mode file asks.
func (s *realsrv) sync() { s.syncTo(s.readMode()) }

func (s *realsrv) syncTo(m rsMode) {
	refuse := m.name == "refuse"
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return
	}
	open := s.ln != nil || s.pc != nil
	switch {
	case refuse && open:
		s.closeLocked()
		s.logf("closed %s %s", s.kind, s.addr)
	case !refuse && !open:
		if err := s.listen(); err != nil {
			// The next tick tries again; say it once, not 50 times a second.
			if err.Error() != s.lastErr {
				fmt.Fprintln(s.stderr, "realsrv:", err)
				s.lastErr = err.Error()
			}
			return
		}
		s.lastErr = ""
		s.logf("listening %s %s", s.kind, s.addr)
	}
}

// rsMode is the content of the mode file.
type rsMode struct {
	name  string
	delay time.Duration // slow
	every int64         // flap
}

func parseRsMode(text string) (rsMode, error) {
	f := strings.Fields(text)
	if len(f) == 0 {
		return rsMode{name: "ok"}, nil
	}
	m := rsMode{name: f[0]}
	switch {
	case len(f) == 1 && slices.Contains([]string{"ok", "refuse", "hang", "partial", "reset", "wrong"}, f[0]):
	case f[0] == "slow" && len(f) <= 2:
		m.delay = realsrvSlow
		if len(f) == 2 {
			d, err := time.ParseDuration(f[1])
			if err != nil || d < 0 || d > realsrvMaxSlow {
				return rsMode{}, fmt.Errorf("mode %q: want a duration up to %v", text, realsrvMaxSlow)
			}
			m.delay = d
		}
	case f[0] == "flap" && len(f) == 2:
		n, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil || n < 1 || n > realsrvMaxFlap {
			return rsMode{}, fmt.Errorf("mode %q: want a count from 1 to %d", text, realsrvMaxFlap)
		}
		m.every = n
	default:
		return rsMode{}, fmt.Errorf("unknown mode %q", strings.TrimSpace(text))
	}
	return m, nil
}

func (s *realsrv) readMode() rsMode {
	data, err := os.ReadFile(filepath.Join(s.dir, "mode"))
	if err != nil {
		return rsMode{name: "ok"}
	}
	m, err := parseRsMode(string(data))
	if err != nil {
		s.logMu.Lock()
		if s.warned != string(data) {
			s.warned = string(data)
			fmt.Fprintf(s.stderr, "realsrv: %s: %v: answering as ok\n", filepath.Join(s.dir, "mode"), err)
		}
		s.logMu.Unlock()
		return rsMode{name: "invalid"}
	}
	return m
}

// act tells what the n-th connection or datagram gets: its label in the
// log, and one of ok, hang, partial, slow, reset, wrong, or fail (reset
// at once, or no answer).
func (m rsMode) act(n int64) (label, what string) {
	switch m.name {
	case "flap":
		if n%m.every == 0 {
			return "flap:fail", "fail"
		}
		return "flap:ok", "ok"
	case "refuse":
		return "refuse", "fail"
	case "invalid":
		return "invalid", "ok"
	}
	return m.name, m.name
}

func (s *realsrv) logf(format string, args ...any) {
	s.logMu.Lock()
	defer s.logMu.Unlock()
	// Opened and closed for each line, so that a script's waitfor sees
	// it complete before the client sees the answer.
	f, err := os.OpenFile(filepath.Join(s.dir, "log"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err == nil {
		_, err = fmt.Fprintf(f, format+"\n", args...)
		if cerr := f.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		fmt.Fprintln(s.stderr, "realsrv:", err)
	}
}

func (s *realsrv) logConn(label string, from netip.Addr, detail string) {
	s.logf("%s %s %s %s", s.kind, label, from.Unmap(), detail)
}

// sleep waits d unless the server stops first.
func (s *realsrv) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-s.ctx.Done():
		return false
	}
}

func half(p []byte) []byte { return p[:max(1, len(p)/2)] }

func (s *realsrv) makeCert() error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return err
	}
	start := time.Now().Add(-time.Minute)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "www.example.test"},
		DNSNames:     []string{"www.example.test"},
		IPAddresses:  []net.IP{s.addr.Addr().AsSlice()},
		NotBefore:    start,
		NotAfter:     start.Add(24 * time.Hour),
		// Its own CA, so that the client can trust cert.pem as it is.
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return err
	}
	// Through a rename, so that a client never reads half a file.
	path := filepath.Join(s.dir, "cert.pem")
	if err := os.WriteFile(path+".tmp", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o666); err != nil {
		return err
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		return err
	}
	s.tlsConf = &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}},
		MinVersion:   tls.VersionTLS12,
	}
	return nil
}

func (s *realsrv) acceptLoop(ln *net.TCPListener) {
	defer s.wg.Done()
	for {
		c, err := ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, don't spin.
			if !s.sleep(10 * time.Millisecond) {
				return
			}
			continue
		}
		n, m := s.count.Add(1), s.readMode()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			s.serveConn(c, n, m)
		}()
	}
}

// rsConn is one TCP connection being served.
type rsConn struct {
	s     *realsrv
	raw   *net.TCPConn
	c     net.Conn // raw, or TLS over it
	r     *bufio.Reader
	pend  []byte // part of a line that came before a read timed out
	end   time.Time
	label string
	what  string
	delay time.Duration
	from  netip.Addr
}

func (s *realsrv) serveConn(raw *net.TCPConn, n int64, m rsMode) {
	defer raw.Close()
	stop := context.AfterFunc(s.ctx, func() { raw.Close() })
	defer stop()
	end := time.Now().Add(realsrvHold)
	raw.SetDeadline(end)
	label, what := m.act(n)
	from := raw.RemoteAddr().(*net.TCPAddr).AddrPort().Addr()
	if what == "fail" {
		s.logConn(label, from, "-")
		rst(raw)
		if m.name == "refuse" {
			// Came in before the poller saw the mode.
			s.sync()
		}
		return
	}
	c := &rsConn{s: s, raw: raw, c: raw, r: bufio.NewReader(raw), end: end, label: label, what: what, delay: m.delay, from: from}
	switch s.kind {
	case "tcp":
		c.tcp()
	case "smtp":
		c.smtp()
	default:
		c.http()
	}
}

// rst closes with SO_LINGER 0, so that the client gets a reset.
func rst(c *net.TCPConn) {
	c.SetLinger(0)
	c.Close()
}

func (c *rsConn) log(detail string) { c.s.logConn(c.label, c.from, detail) }

// setRead sets the read deadline d from now, or at the end if d is 0.
func (c *rsConn) setRead(d time.Duration) {
	t := c.end
	if d > 0 && time.Now().Add(d).Before(t) {
		t = time.Now().Add(d)
	}
	c.c.SetReadDeadline(t)
}

// readLine reads a line with its line end, waiting d (0: until the end);
// a line cut by the timeout is kept for the next call.
func (c *rsConn) readLine(d time.Duration) (string, error) {
	c.setRead(d)
	for len(c.pend) < realsrvMaxLine {
		b, err := c.r.ReadSlice('\n')
		c.pend = append(c.pend, b...)
		if err == nil {
			line := string(c.pend)
			c.pend = c.pend[:0]
			return line, nil
		}
		if err != bufio.ErrBufferFull {
			return "", err
		}
	}
	return "", errors.New("line too long")
}

// write sends an answer, in pieces under slow.
func (c *rsConn) write(p string) error {
	if c.what != "slow" {
		_, err := io.WriteString(c.c, p)
		return err
	}
	pieces := min(4, len(p))
	for i := range pieces {
		if !c.s.sleep(c.delay / 4) {
			return net.ErrClosed
		}
		if _, err := io.WriteString(c.c, p[i*len(p)/pieces:(i+1)*len(p)/pieces]); err != nil {
			return err
		}
	}
	return nil
}

// hold reads and discards until the client goes, or the end.
func (c *rsConn) hold() {
	c.raw.SetReadDeadline(c.end)
	io.Copy(io.Discard, c.raw)
}

// finish closes gracefully: a close with unread input would send a
// reset, which the client could take for a failure.
func (c *rsConn) finish() {
	if tc, ok := c.c.(*tls.Conn); ok {
		tc.CloseWrite()
	}
	c.raw.CloseWrite()
	c.setRead(time.Second)
	io.Copy(io.Discard, io.LimitReader(c.raw, 1<<20))
}

func trimEOL(l string) string { return strings.TrimSuffix(strings.TrimSuffix(l, "\n"), "\r") }

func (c *rsConn) tcp() {
	first, err := c.readLine(realsrvWindow)
	detail := "-"
	if err == nil {
		detail = strconv.Quote(trimEOL(first))
	}
	c.log(detail)
	timedOut := errors.Is(err, os.ErrDeadlineExceeded)
	if err != nil && !timedOut {
		return
	}
	const banner = "+OK realsrv\r\n"
	switch c.what {
	case "reset":
		rst(c.raw)
		return
	case "hang":
		c.hold()
		return
	case "partial":
		c.c.Write(half([]byte(banner)))
		c.hold()
		return
	}
	reply := func(l string) string { return l }
	b := banner
	if c.what == "wrong" {
		b = "NOPE\r\n"
		reply = func(string) string { return "NOPE\r\n" }
	}
	if c.write(b) != nil {
		return
	}
	if !timedOut && c.write(reply(first)) != nil {
		return
	}
	for range realsrvMaxLines {
		l, err := c.readLine(0)
		if err != nil || c.write(reply(l)) != nil {
			return
		}
	}
}

func (c *rsConn) smtp() {
	const banner = "220 realsrv ESMTP\r\n"
	heloArg := func(l string) string {
		f := strings.Fields(l)
		if len(f) >= 2 && (strings.EqualFold(f[0], "HELO") || strings.EqualFold(f[0], "EHLO")) {
			return f[1]
		}
		return "-"
	}
	switch c.what {
	case "reset":
		l, _ := c.readLine(realsrvWindow)
		c.log(heloArg(l))
		rst(c.raw)
		return
	case "hang":
		c.log("-")
		c.hold()
		return
	case "partial":
		c.log("-")
		c.c.Write(half([]byte(banner)))
		c.hold()
		return
	}
	logged := false
	defer func() {
		if !logged {
			c.log("-")
		}
	}()
	b := banner
	if c.what == "wrong" {
		b = "554 no service\r\n"
	}
	if c.write(b) != nil {
		return
	}
	for range realsrvMaxLines {
		l, err := c.readLine(0)
		if err != nil {
			return
		}
		if !logged {
			c.log(heloArg(l))
			logged = true
		}
		verb, _, _ := strings.Cut(strings.ToUpper(strings.TrimSpace(l)), " ")
		var reply string
		switch {
		case verb == "QUIT":
			reply = "221 bye\r\n"
		case c.what == "wrong":
			// What a server that refused the session answers (RFC 5321).
			reply = "503 bad sequence of commands\r\n"
		case verb == "HELO" || verb == "EHLO":
			reply = "250 realsrv\r\n"
		case verb == "NOOP":
			reply = "250 ok\r\n"
		default:
			reply = "502 unknown\r\n"
		}
		if c.write(reply) != nil {
			return
		}
		if verb == "QUIT" {
			c.finish()
			return
		}
	}
}

func (c *rsConn) http() {
	sni := ""
	if c.s.kind == "https" {
		tc := tls.Server(c.raw, c.s.tlsConf)
		c.setRead(realsrvRequest)
		err := tc.HandshakeContext(c.s.ctx)
		if err != nil {
			c.log("-")
			return
		}
		sni = " sni=" + tc.ConnectionState().ServerName
		c.c = tc
	}
	window := realsrvRequest
	if c.what == "reset" {
		window = realsrvWindow
	}
	c.setRead(window)
	req, err := http.ReadRequest(bufio.NewReader(io.LimitReader(c.c, realsrvMaxLine)))
	detail := "-"
	if err == nil {
		detail = fmt.Sprintf("%s %s host=%s", req.Method, req.RequestURI, req.Host)
	}
	c.log(detail + sni)
	switch c.what {
	case "reset":
		rst(c.raw)
		return
	case "hang":
		c.hold()
		return
	}
	if err != nil {
		return
	}
	answer := httpAnswer(req)
	switch c.what {
	case "wrong":
		answer = httpResponse(http.StatusInternalServerError, "oops\n", false)
	case "partial":
		c.c.Write(half([]byte(answer)))
		c.hold()
		return
	}
	if c.write(answer) == nil {
		c.finish()
	}
}

func httpAnswer(req *http.Request) string {
	code, body := http.StatusNotFound, "not found\n"
	if req.Method == http.MethodGet || req.Method == http.MethodHead {
		p := req.URL.Path
		num, isStatus := strings.CutPrefix(p, "/status/")
		n, err := strconv.Atoi(num)
		switch {
		case p == "/":
			code, body = http.StatusOK, "hello from realsrv\n"
		case p == "/health":
			code, body = http.StatusOK, "OK\n"
		// No 1xx: a client would wait for the final answer after it.
		case isStatus && err == nil && len(num) == 3 && n >= 200 && n <= 599:
			code, body = n, fmt.Sprintf("status %d\n", n)
		}
	}
	return httpResponse(code, body, req.Method == http.MethodHead)
}

func httpResponse(code int, body string, head bool) string {
	reason := http.StatusText(code)
	if reason == "" {
		reason = "Status"
	}
	h := fmt.Sprintf("HTTP/1.0 %d %s\r\nContent-Type: text/plain\r\n", code, reason)
	// These have no body whatever Content-Length says (RFC 9110).
	if code == http.StatusNoContent || code == http.StatusNotModified {
		return h + "\r\n"
	}
	h += fmt.Sprintf("Content-Length: %d\r\n\r\n", len(body))
	if head {
		return h
	}
	return h + body
}

func (s *realsrv) readLoop(pc *net.UDPConn) {
	defer s.wg.Done()
	buf := make([]byte, 1<<16)
	for {
		n, from, err := pc.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if !s.sleep(10 * time.Millisecond) {
				return
			}
			continue
		}
		s.datagram(pc, from, bytes.Clone(buf[:n]))
	}
}

func (s *realsrv) datagram(pc *net.UDPConn, from netip.AddrPort, data []byte) {
	n, m := s.count.Add(1), s.readMode()
	label, what := m.act(n)
	var detail string
	var answer, wrong []byte
	if s.kind == "udp" {
		detail, answer, wrong = strconv.Quote(string(data)), append([]byte("ECHO "), data...), []byte("NOPE")
	} else {
		detail, answer, wrong = dnsAnswer(data)
	}
	s.logConn(label, from.Addr(), detail)
	if m.name == "refuse" {
		s.sync()
		return
	}
	if answer == nil {
		return
	}
	send := func(p []byte) { pc.WriteToUDPAddrPort(p, from) }
	switch what {
	case "ok":
		send(answer)
	case "wrong":
		send(wrong)
	case "partial":
		send(half(answer))
	case "slow":
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			if s.sleep(m.delay) {
				send(answer)
			}
		}()
	}
	// hang, reset and fail: no answer; nothing in user space can make the
	// kernel send an ICMP error for one datagram.
}

// dnsAnswer parses a query: its log detail, the right answer and a
// SERVFAIL; no answer to what is not a query.
func dnsAnswer(query []byte) (detail string, answer, wrong []byte) {
	var p dnsmessage.Parser
	h, err := p.Start(query)
	if err != nil || h.Response {
		return "-", nil, nil
	}
	qs, err := p.AllQuestions()
	if err != nil || len(qs) == 0 {
		return "-", nil, nil
	}
	q := qs[0]
	typ := q.Type.String()
	if t, ok := strings.CutPrefix(typ, "Type"); ok {
		typ = t
	} else {
		typ = "TYPE" + typ // RFC 3597
	}
	detail = q.Name.String() + " " + typ
	name := strings.ToLower(q.Name.String())
	nx := name == "nxdomain.test." || strings.HasSuffix(name, ".nxdomain.test.")
	build := func(rcode dnsmessage.RCode) []byte {
		b := dnsmessage.NewBuilder(nil, dnsmessage.Header{
			ID: h.ID, Response: true, Authoritative: rcode != dnsmessage.RCodeServerFailure,
			RecursionDesired: h.RecursionDesired, RCode: rcode,
		})
		b.EnableCompression()
		if b.StartQuestions() != nil || b.Question(q) != nil || b.StartAnswers() != nil {
			return nil
		}
		rh := dnsmessage.ResourceHeader{Name: q.Name, Class: dnsmessage.ClassINET, TTL: 60}
		if rcode == dnsmessage.RCodeSuccess {
			switch q.Type {
			case dnsmessage.TypeA:
				err = b.AResource(rh, dnsmessage.AResource{A: [4]byte{192, 0, 2, 1}})
			case dnsmessage.TypeSOA:
				err = b.SOAResource(rh, dnsmessage.SOAResource{
					NS:      dnsmessage.MustNewName("ns1.example.test."),
					MBox:    dnsmessage.MustNewName("hostmaster.example.test."),
					Serial:  1,
					Refresh: 3600, Retry: 600, Expire: 86400, MinTTL: 60,
				})
			}
			if err != nil {
				return nil
			}
		}
		msg, err := b.Finish()
		if err != nil {
			return nil
		}
		return msg
	}
	rcode := dnsmessage.RCodeSuccess
	if nx {
		rcode = dnsmessage.RCodeNameError
	}
	return detail, build(rcode), build(dnsmessage.RCodeServerFailure)
}

// Tests.

type rsTest struct {
	t      *testing.T
	addr   netip.AddrPort
	dir    string
	stderr syncBuffer
}

type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// startRealsrv serves kind on 127.0.0.1 until the test ends, in the
// given mode from the start.
func startRealsrv(t *testing.T, kind, mode string) *rsTest {
	t.Helper()
	dir := t.TempDir()
	if mode != "" {
		if err := os.WriteFile(filepath.Join(dir, "mode"), []byte(mode+"\n"), 0o666); err != nil {
			t.Fatal(err)
		}
	}
	s, err := newRealsrv([]string{kind, "127.0.0.1:0", dir})
	if err != nil {
		t.Fatal(err)
	}
	r := &rsTest{t: t, dir: dir}
	s.stderr = &r.stderr
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan netip.AddrPort, 1)
	errc := make(chan error, 1)
	go func() { errc <- s.run(ctx, func(a netip.AddrPort) { ready <- a }) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-errc:
			if err != nil {
				t.Error(err)
			}
		case <-time.After(3 * time.Second):
			t.Error("realsrv did not stop")
		}
	})
	select {
	case r.addr = <-ready:
		return r
	case err := <-errc:
		t.Fatal(err)
	}
	return nil
}

func (r *rsTest) setMode(mode string) {
	if err := os.WriteFile(filepath.Join(r.dir, "mode"), []byte(mode+"\n"), 0o666); err != nil {
		r.t.Fatal(err)
	}
}

// waitLog waits until the log has n lines matching re, and returns them.
func (r *rsTest) waitLog(re string, n int) []string {
	r.t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(3 * time.Second)
	for {
		data, _ := os.ReadFile(filepath.Join(r.dir, "log"))
		var got []string
		for l := range strings.Lines(string(data)) {
			if l = strings.TrimSuffix(l, "\n"); rx.MatchString(l) {
				got = append(got, l)
			}
		}
		if len(got) >= n {
			return got
		}
		if time.Now().After(deadline) {
			r.t.Fatalf("log has %d lines matching %q, want %d:\n%s", len(got), re, n, data)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func (r *rsTest) dial() net.Conn {
	r.t.Helper()
	c, err := net.Dial("tcp", r.addr.String())
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	c.SetDeadline(time.Now().Add(3 * time.Second))
	return c
}

// readFor reads everything that comes within d, and the number of reads
// it came in.
func readFor(c net.Conn, d time.Duration) (string, int, error) {
	c.SetReadDeadline(time.Now().Add(d))
	var got []byte
	reads := 0
	buf := make([]byte, 1024)
	for {
		n, err := c.Read(buf)
		if n > 0 {
			got = append(got, buf[:n]...)
			reads++
		}
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) || err == io.EOF {
				err = nil
			}
			return string(got), reads, err
		}
	}
}

func readLineFrom(t *testing.T, r *bufio.Reader) string {
	t.Helper()
	l, err := r.ReadString('\n')
	if err != nil {
		t.Fatalf("read %q: %v", l, err)
	}
	return l
}

func wantReset(t *testing.T, c net.Conn) {
	t.Helper()
	_, err := io.ReadAll(c)
	if !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("read: %v, want ECONNRESET", err)
	}
}

// wantResetAnywhere expects a connection reset at once, which the client
// sees when connecting, writing or reading, whichever comes first.
func wantResetAnywhere(t *testing.T, addr netip.AddrPort) {
	t.Helper()
	c, err := net.Dial("tcp", addr.String())
	if err == nil {
		defer c.Close()
		c.SetDeadline(time.Now().Add(3 * time.Second))
		if _, err = io.WriteString(c, "x\n"); err == nil {
			_, err = io.ReadAll(c)
		}
	}
	if !errors.Is(err, syscall.ECONNRESET) && !errors.Is(err, syscall.EPIPE) {
		t.Fatalf("%v, want ECONNRESET", err)
	}
}

func TestRealsrvArgs(t *testing.T) {
	for _, args := range [][]string{
		nil,
		{"tcp", "127.0.0.1:1"},
		{"ftp", "127.0.0.1:1", "d"},
		{"tcp", "10.0.0.1:80", "d"},
		{"tcp", "[::ffff:127.0.0.1]:80", "d"},
		{"tcp", "[::1%lo]:80", "d"},
		{"tcp", "127.0.0.1", "d"},
		{"tcp", "localhost:80", "d"},
		{"udp", "127.0.0.1:53", ""},
	} {
		if _, err := newRealsrv(args); err == nil {
			t.Errorf("%q: no error", args)
		}
	}
	for _, args := range [][]string{{"dns", "127.1.2.3:53", "d"}, {"https", "[::1]:443", "d"}} {
		if _, err := newRealsrv(args); err != nil {
			t.Errorf("%q: %v", args, err)
		}
	}
	var stderr bytes.Buffer
	if got := realsrvMain([]string{"tcp", "192.0.2.1:80", t.TempDir()}, &stderr); got != 2 || !strings.Contains(stderr.String(), "\nusage: realsrv ") {
		t.Errorf("non-loopback address: exit %d, stderr %q; want 2 and the usage", got, stderr.String())
	}
	// A port taken by another is a failure, not a usage error.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	stderr.Reset()
	if got := realsrvMain([]string{"tcp", ln.Addr().String(), t.TempDir()}, &stderr); got != 1 || !strings.Contains(stderr.String(), "address already in use") {
		t.Errorf("port in use: exit %d, stderr %q; want 1", got, stderr.String())
	}
}

func TestRealsrvParseMode(t *testing.T) {
	for text, want := range map[string]rsMode{
		"":             {name: "ok"},
		" \n":          {name: "ok"},
		"ok\n":         {name: "ok"},
		"refuse":       {name: "refuse"},
		"slow":         {name: "slow", delay: 600 * time.Millisecond},
		"slow 2s\n":    {name: "slow", delay: 2 * time.Second},
		"flap 3":       {name: "flap", every: 3},
		"  wrong  \n ": {name: "wrong"},
	} {
		if got, err := parseRsMode(text); err != nil || got != want {
			t.Errorf("%q: %+v, %v; want %+v", text, got, err, want)
		}
	}
	for _, text := range []string{"nope", "ok 1", "slow x", "slow 1h", "slow -1s", "flap", "flap 0", "flap x", "hang 2"} {
		if got, err := parseRsMode(text); err == nil {
			t.Errorf("%q: %+v, no error", text, got)
		}
	}
	flap := rsMode{name: "flap", every: 3}
	var fails []int64
	for n := int64(1); n <= 9; n++ {
		if _, what := flap.act(n); what == "fail" {
			fails = append(fails, n)
		}
	}
	if !slices.Equal(fails, []int64{3, 6, 9}) {
		t.Errorf("flap 3 fails %v", fails)
	}
}

func TestRealsrvTCP(t *testing.T) {
	t.Parallel()
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "tcp", "")
		// A client that speaks first is echoed after the banner.
		c := r.dial()
		io.WriteString(c, "PING\r\n")
		br := bufio.NewReader(c)
		if l := readLineFrom(t, br); l != "+OK realsrv\r\n" {
			t.Errorf("banner %q", l)
		}
		if l := readLineFrom(t, br); l != "PING\r\n" {
			t.Errorf("echo %q", l)
		}
		io.WriteString(c, "again\n")
		if l := readLineFrom(t, br); l != "again\n" {
			t.Errorf("echo %q", l)
		}
		// One that waits for the banner gets it all the same.
		c2 := r.dial()
		br2 := bufio.NewReader(c2)
		if l := readLineFrom(t, br2); l != "+OK realsrv\r\n" {
			t.Errorf("banner %q", l)
		}
		io.WriteString(c2, "x\n")
		if l := readLineFrom(t, br2); l != "x\n" {
			t.Errorf("echo %q", l)
		}
		got := r.waitLog(`^tcp `, 2)
		want := []string{`tcp ok 127.0.0.1 "PING"`, `tcp ok 127.0.0.1 -`}
		if !slices.Equal(got, want) {
			t.Errorf("log %q, want %q", got, want)
		}
		if l := r.waitLog(`^ready`, 1)[0]; l != "ready tcp "+r.addr.String() {
			t.Errorf("ready line %q", l)
		}
	})
	t.Run("refuse", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "tcp", "refuse")
		r.waitLog(`^closed tcp `+regexp.QuoteMeta(r.addr.String())+`$`, 1)
		if _, err := net.Dial("tcp", r.addr.String()); !errors.Is(err, syscall.ECONNREFUSED) {
			t.Fatalf("dial: %v, want ECONNREFUSED", err)
		}
		r.setMode("ok")
		r.waitLog(`^listening tcp `+regexp.QuoteMeta(r.addr.String())+`$`, 1)
		c := r.dial()
		if l := readLineFrom(t, bufio.NewReader(c)); l != "+OK realsrv\r\n" {
			t.Errorf("banner %q", l)
		}
		r.setMode("refuse")
		r.waitLog(`^closed`, 2)
	})
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "tcp", "reset")
		c := r.dial()
		io.WriteString(c, "hello\n")
		wantReset(t, c)
		r.waitLog(`^tcp reset 127.0.0.1 "hello"$`, 1)
	})
	t.Run("partial", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "tcp", "partial")
		got, _, err := readFor(r.dial(), 400*time.Millisecond)
		if err != nil || got != "+OK re" {
			t.Errorf("got %q, %v; want the first half of the banner", got, err)
		}
	})
	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "tcp", "hang")
		c := r.dial()
		io.WriteString(c, "anyone?\n")
		if got, _, err := readFor(c, 300*time.Millisecond); got != "" || err != nil {
			t.Errorf("got %q, %v; want nothing", got, err)
		}
		r.waitLog(`^tcp hang 127.0.0.1 "anyone\?"$`, 1)
	})
	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "tcp", "slow 200ms")
		c := r.dial()
		io.WriteString(c, "x\n")
		start := time.Now()
		got, reads, err := readFor(c, 700*time.Millisecond)
		if err != nil || got != "+OK realsrv\r\nx\n" || reads < 4 {
			t.Errorf("got %q in %d reads, %v; want banner and echo in several reads", got, reads, err)
		}
		if d := time.Since(start); d < 350*time.Millisecond {
			t.Errorf("answered in %v", d)
		}
	})
	t.Run("wrong", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "tcp", "wrong")
		c := r.dial()
		io.WriteString(c, "x\n")
		br := bufio.NewReader(c)
		if l := readLineFrom(t, br); l != "NOPE\r\n" {
			t.Errorf("banner %q", l)
		}
		r.waitLog(`^tcp wrong 127.0.0.1 "x"$`, 1)
	})
	t.Run("flap", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "tcp", "flap 3")
		for i := 1; i <= 6; i++ {
			if i%3 == 0 {
				wantResetAnywhere(t, r.addr)
				continue
			}
			c := r.dial()
			io.WriteString(c, "x\n")
			if l := readLineFrom(t, bufio.NewReader(c)); l != "+OK realsrv\r\n" {
				t.Errorf("connection %d: banner %q", i, l)
			}
		}
		got := r.waitLog(`^tcp `, 6)
		want := []string{"ok", "ok", "fail", "ok", "ok", "fail"}
		for i, l := range got {
			if !strings.HasPrefix(l, "tcp flap:"+want[i]+" 127.0.0.1 ") {
				t.Errorf("line %d: %q, want flap:%s", i+1, l, want[i])
			}
		}
	})
	t.Run("invalid", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "tcp", "bogus")
		c := r.dial()
		io.WriteString(c, "x\n")
		if l := readLineFrom(t, bufio.NewReader(c)); l != "+OK realsrv\r\n" {
			t.Errorf("banner %q", l)
		}
		r.waitLog(`^tcp invalid 127.0.0.1 "x"$`, 1)
		if got, want := r.stderr.String(), `realsrv: `+filepath.Join(r.dir, "mode")+`: unknown mode "bogus": answering as ok`+"\n"; got != want {
			t.Errorf("stderr %q, want %q", got, want)
		}
	})
}

func rawHTTP(t *testing.T, r *rsTest, req string) net.Conn {
	t.Helper()
	c := r.dial()
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	return c
}

const rsHello = "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 19\r\n\r\nhello from realsrv\n"

func TestRealsrvHTTP(t *testing.T) {
	t.Parallel()
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "http", "")
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 3 * time.Second}
		for _, tc := range []struct {
			path string
			code int
			body string
		}{
			{"/", 200, "hello from realsrv\n"},
			{"/health", 200, "OK\n"},
			{"/status/503", 503, "status 503\n"},
			{"/status/599", 599, "status 599\n"},
			{"/status/204", 204, ""},
			{"/status/100", 404, "not found\n"},
			{"/nope", 404, "not found\n"},
		} {
			resp, err := client.Get("http://" + r.addr.String() + tc.path)
			if err != nil {
				t.Fatal(err)
			}
			body, err := io.ReadAll(resp.Body)
			resp.Body.Close()
			if err != nil || resp.StatusCode != tc.code || string(body) != tc.body || resp.Header.Get("Content-Type") != "text/plain" {
				t.Errorf("GET %s: %d %q %q, %v", tc.path, resp.StatusCode, resp.Header.Get("Content-Type"), body, err)
			}
		}
		got, _, err := readFor(rawHTTP(t, r, "GET / HTTP/1.0\r\nHost: www.example.test\r\n\r\n"), time.Second)
		if err != nil || got != rsHello {
			t.Errorf("raw GET /: %q, %v", got, err)
		}
		l := r.waitLog(`^http ok 127.0.0.1 GET /health `, 1)[0]
		if want := "http ok 127.0.0.1 GET /health host=" + r.addr.String(); l != want {
			t.Errorf("log %q, want %q", l, want)
		}
		r.waitLog(`^http ok 127.0.0.1 GET / host=www.example.test$`, 1)
		// A connect-only check.
		r.dial().Close()
		r.waitLog(`^http ok 127.0.0.1 -$`, 1)
	})
	t.Run("wrong", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "http", "wrong")
		got, _, err := readFor(rawHTTP(t, r, "GET /health HTTP/1.1\r\nHost: h\r\n\r\n"), time.Second)
		want := "HTTP/1.0 500 Internal Server Error\r\nContent-Type: text/plain\r\nContent-Length: 5\r\n\r\noops\n"
		if err != nil || got != want {
			t.Errorf("got %q, %v", got, err)
		}
		r.waitLog(`^http wrong 127.0.0.1 GET /health host=h$`, 1)
	})
	t.Run("partial", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "http", "partial")
		got, _, err := readFor(rawHTTP(t, r, "GET / HTTP/1.0\r\n\r\n"), 300*time.Millisecond)
		if err != nil || got != rsHello[:len(rsHello)/2] {
			t.Errorf("got %q, %v", got, err)
		}
	})
	t.Run("slow", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "http", "slow 200ms")
		got, reads, err := readFor(rawHTTP(t, r, "GET / HTTP/1.0\r\n\r\n"), time.Second)
		if err != nil || got != rsHello || reads < 4 {
			t.Errorf("got %q in %d reads, %v", got, reads, err)
		}
	})
	t.Run("hang", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "http", "hang")
		client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 200 * time.Millisecond}
		if resp, err := client.Get("http://" + r.addr.String() + "/"); err == nil {
			resp.Body.Close()
			t.Fatal("answered")
		}
		r.waitLog(`^http hang 127.0.0.1 GET / `, 1)
	})
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "http", "reset")
		wantReset(t, rawHTTP(t, r, "GET /x HTTP/1.0\r\n\r\n"))
		r.waitLog(`^http reset 127.0.0.1 GET /x host=$`, 1)
	})
}

func TestRealsrvHTTPS(t *testing.T) {
	t.Parallel()
	r := startRealsrv(t, "https", "")
	pemData, err := os.ReadFile(filepath.Join(r.dir, "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pemData) {
		t.Fatal("cert.pem has no certificate")
	}
	tr := &http.Transport{
		DisableKeepAlives: true,
		TLSClientConfig:   &tls.Config{RootCAs: roots},
		DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, network, r.addr.String())
		},
	}
	client := &http.Client{Transport: tr, Timeout: 3 * time.Second}
	get := func(url string) (int, string) {
		t.Helper()
		resp, err := client.Get(url)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(body)
	}
	port := strconv.Itoa(int(r.addr.Port()))
	if code, body := get("https://www.example.test:" + port + "/"); code != 200 || body != "hello from realsrv\n" {
		t.Errorf("by name: %d %q", code, body)
	}
	r.waitLog(`^https ok 127.0.0.1 GET / host=www.example.test:`+port+` sni=www.example.test$`, 1)
	// The certificate is good for the address too; no SNI then.
	if code, body := get("https://" + r.addr.String() + "/health"); code != 200 || body != "OK\n" {
		t.Errorf("by address: %d %q", code, body)
	}
	r.waitLog(`^https ok 127.0.0.1 GET /health host=127.0.0.1:`+port+` sni=$`, 1)

	r.setMode("wrong")
	if code, body := get("https://www.example.test:" + port + "/"); code != 500 || body != "oops\n" {
		t.Errorf("wrong: %d %q", code, body)
	}
	r.setMode("reset")
	tc, err := tls.Dial("tcp", r.addr.String(), &tls.Config{RootCAs: roots, ServerName: "www.example.test"})
	if err != nil {
		t.Fatal(err)
	}
	defer tc.Close()
	io.WriteString(tc, "GET / HTTP/1.0\r\n\r\n")
	wantReset(t, tc)
	r.waitLog(`^https reset 127.0.0.1 GET / host= sni=www.example.test$`, 1)
}

func (r *rsTest) udp() net.Conn {
	r.t.Helper()
	c, err := net.Dial("udp", r.addr.String())
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { c.Close() })
	return c
}

// exchange sends a datagram and waits d for the answer ("" if none).
func exchange(t *testing.T, c net.Conn, p []byte, d time.Duration) ([]byte, error) {
	t.Helper()
	if _, err := c.Write(p); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(d))
	buf := make([]byte, 1<<16)
	n, err := c.Read(buf)
	if errors.Is(err, os.ErrDeadlineExceeded) {
		return nil, nil
	}
	return buf[:n], err
}

func TestRealsrvUDP(t *testing.T) {
	t.Parallel()
	r := startRealsrv(t, "udp", "")
	c := r.udp()
	for _, tc := range []struct {
		mode, want string
		wait       time.Duration
	}{
		{"ok", "ECHO PING", time.Second},
		{"wrong", "NOPE", time.Second},
		{"partial", "ECHO", time.Second},
		{"hang", "", 200 * time.Millisecond},
		{"reset", "", 200 * time.Millisecond},
	} {
		r.setMode(tc.mode)
		got, err := exchange(t, c, []byte("PING"), tc.wait)
		if err != nil || string(got) != tc.want {
			t.Errorf("%s: %q, %v; want %q", tc.mode, got, err, tc.want)
		}
	}
	r.setMode("slow 200ms")
	start := time.Now()
	if got, err := exchange(t, c, []byte("PING"), time.Second); err != nil || string(got) != "ECHO PING" {
		t.Errorf("slow: %q, %v", got, err)
	}
	if d := time.Since(start); d < 180*time.Millisecond {
		t.Errorf("slow: answered in %v", d)
	}
	r.setMode("flap 2") // six datagrams so far: the 8th fails
	for i, want := range []string{"ECHO PING", "", "ECHO PING"} {
		i += 7
		wait := time.Second
		if want == "" {
			wait = 200 * time.Millisecond
		}
		if got, err := exchange(t, c, []byte("PING"), wait); err != nil || string(got) != want {
			t.Errorf("flap, datagram %d: %q, %v; want %q", i, got, err, want)
		}
	}
	r.setMode("refuse")
	r.waitLog(`^closed udp`, 1)
	if _, err := exchange(t, c, []byte("PING"), time.Second); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("refuse: %v, want ECONNREFUSED", err)
	}
	r.setMode("ok")
	r.waitLog(`^listening udp`, 1)
	if got, err := exchange(t, c, []byte("PONG"), time.Second); err != nil || string(got) != "ECHO PONG" {
		t.Errorf("ok again: %q, %v", got, err)
	}
	got := r.waitLog(`^udp `, 10)
	want := []string{"ok", "wrong", "partial", "hang", "reset", "slow", "flap:ok", "flap:fail", "flap:ok", "ok"}
	for i, w := range want {
		payload := `"PING"`
		if i == 9 {
			payload = `"PONG"`
		}
		if l := `udp ` + w + ` 127.0.0.1 ` + payload; got[i] != l {
			t.Errorf("log line %d: %q, want %q", i+1, got[i], l)
		}
	}
}

func dnsQuery(t *testing.T, id uint16, name string, typ dnsmessage.Type) []byte {
	t.Helper()
	b := dnsmessage.NewBuilder(nil, dnsmessage.Header{ID: id, RecursionDesired: true})
	b.StartQuestions()
	b.Question(dnsmessage.Question{Name: dnsmessage.MustNewName(name), Type: typ, Class: dnsmessage.ClassINET})
	q, err := b.Finish()
	if err != nil {
		t.Fatal(err)
	}
	return q
}

func TestRealsrvDNS(t *testing.T) {
	t.Parallel()
	r := startRealsrv(t, "dns", "")
	c := r.udp()
	ask := func(id uint16, name string, typ dnsmessage.Type) dnsmessage.Message {
		t.Helper()
		got, err := exchange(t, c, dnsQuery(t, id, name, typ), time.Second)
		if err != nil || got == nil {
			t.Fatalf("%s %v: %v (no answer)", name, typ, err)
		}
		var m dnsmessage.Message
		if err := m.Unpack(got); err != nil {
			t.Fatal(err)
		}
		if m.ID != id || !m.Response || len(m.Questions) != 1 || m.Questions[0].Name.String() != name {
			t.Errorf("%s: header %+v, questions %v", name, m.Header, m.Questions)
		}
		return m
	}
	m := ask(7, "example.org.", dnsmessage.TypeA)
	if m.RCode != dnsmessage.RCodeSuccess || !m.Authoritative || len(m.Answers) != 1 {
		t.Fatalf("A: %+v", m)
	}
	if a, ok := m.Answers[0].Body.(*dnsmessage.AResource); !ok || a.A != [4]byte{192, 0, 2, 1} || m.Answers[0].Header.TTL != 60 {
		t.Errorf("A: %v", m.Answers[0])
	}
	m = ask(8, "example.org.", dnsmessage.TypeSOA)
	if soa, ok := m.Answers[0].Body.(*dnsmessage.SOAResource); !ok || soa.NS.String() != "ns1.example.test." || soa.Serial != 1 {
		t.Errorf("SOA: %v", m.Answers)
	}
	if m = ask(9, "example.org.", dnsmessage.TypeTXT); m.RCode != dnsmessage.RCodeSuccess || len(m.Answers) != 0 {
		t.Errorf("TXT: %+v", m)
	}
	if m = ask(10, "nxdomain.test.", dnsmessage.TypeA); m.RCode != dnsmessage.RCodeNameError || len(m.Answers) != 0 {
		t.Errorf("nxdomain: %+v", m)
	}
	r.setMode("wrong")
	if m = ask(11, "example.org.", dnsmessage.TypeA); m.RCode != dnsmessage.RCodeServerFailure || len(m.Answers) != 0 {
		t.Errorf("wrong: %+v", m)
	}
	r.setMode("partial")
	got, err := exchange(t, c, dnsQuery(t, 12, "example.org.", dnsmessage.TypeA), time.Second)
	var pm dnsmessage.Message
	if err != nil || len(got) == 0 || pm.Unpack(got) == nil {
		t.Errorf("partial: %x, %v; want a truncated answer", got, err)
	}
	r.setMode("ok")
	if got, err := exchange(t, c, []byte("not dns"), 200*time.Millisecond); err != nil || got != nil {
		t.Errorf("garbage: %q, %v; want no answer", got, err)
	}
	want := []string{
		"dns ok 127.0.0.1 example.org. A", "dns ok 127.0.0.1 example.org. SOA", "dns ok 127.0.0.1 example.org. TXT",
		"dns ok 127.0.0.1 nxdomain.test. A", "dns wrong 127.0.0.1 example.org. A", "dns partial 127.0.0.1 example.org. A",
		"dns ok 127.0.0.1 -",
	}
	if got := r.waitLog(`^dns `, 7); !slices.Equal(got, want) {
		t.Errorf("log %q, want %q", got, want)
	}
	if d, _, _ := dnsAnswer(dnsQuery(t, 1, "x.test.", dnsmessage.Type(65280))); d != "x.test. TYPE65280" {
		t.Errorf("unknown type: %q", d)
	}
}

func TestRealsrvSMTP(t *testing.T) {
	t.Parallel()
	t.Run("ok", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "smtp", "")
		c := r.dial()
		br := bufio.NewReader(c)
		if l := readLineFrom(t, br); l != "220 realsrv ESMTP\r\n" {
			t.Errorf("banner %q", l)
		}
		for _, x := range [][2]string{
			{"EHLO checker.test", "250 realsrv\r\n"},
			{"NOOP", "250 ok\r\n"},
			{"MAIL FROM:<a@b>", "502 unknown\r\n"},
			{"QUIT", "221 bye\r\n"},
		} {
			io.WriteString(c, x[0]+"\r\n")
			if l := readLineFrom(t, br); l != x[1] {
				t.Errorf("%s: %q, want %q", x[0], l, x[1])
			}
		}
		if rest, err := io.ReadAll(br); err != nil || len(rest) != 0 {
			t.Errorf("after QUIT: %q, %v", rest, err)
		}
		// The banner alone, as a plain check reads it.
		c2 := r.dial()
		readLineFrom(t, bufio.NewReader(c2))
		c2.Close()
		got := r.waitLog(`^smtp `, 2)
		if want := []string{"smtp ok 127.0.0.1 checker.test", "smtp ok 127.0.0.1 -"}; !slices.Equal(got, want) {
			t.Errorf("log %q, want %q", got, want)
		}
	})
	t.Run("wrong", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "smtp", "wrong")
		c := r.dial()
		br := bufio.NewReader(c)
		if l := readLineFrom(t, br); l != "554 no service\r\n" {
			t.Errorf("banner %q", l)
		}
		io.WriteString(c, "HELO me\r\n")
		if l := readLineFrom(t, br); !strings.HasPrefix(l, "503 ") {
			t.Errorf("HELO: %q", l)
		}
		r.waitLog(`^smtp wrong 127.0.0.1 me$`, 1)
	})
	t.Run("partial", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "smtp", "partial")
		if got, _, err := readFor(r.dial(), 300*time.Millisecond); err != nil || got != "220 reals" {
			t.Errorf("got %q, %v", got, err)
		}
	})
	t.Run("reset", func(t *testing.T) {
		t.Parallel()
		r := startRealsrv(t, "smtp", "reset")
		wantReset(t, r.dial())
		r.waitLog(`^smtp reset 127.0.0.1 -$`, 1)
	})
}
