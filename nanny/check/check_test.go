package check

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// target is the address of a listener as a Target.
func target(t *testing.T, addr net.Addr) Target {
	t.Helper()
	ap, err := netip.ParseAddrPort(addr.String())
	if err != nil {
		t.Fatal(err)
	}
	return Target{Addr: ap.Addr(), Port: ap.Port()}
}

// serve accepts connections on a loopback listener and hands each to fn
// until the test ends.
func serve(t *testing.T, fn func(net.Conn)) Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				fn(c)
			}()
		}
	}()
	return target(t, ln.Addr())
}

// closedPort is a loopback port nothing listens on.
func closedPort(t *testing.T) Target {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := target(t, ln.Addr())
	ln.Close()
	return tg
}

func run(t *testing.T, c Checker, timeout time.Duration) error {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	start := time.Now()
	err := c.Check(ctx)
	if el := time.Since(start); el > timeout+time.Second {
		t.Errorf("%s took %s, past its %s deadline", c, el, timeout)
	}
	return err
}

// wantErr checks a check's outcome: nil for want == "", else an error
// matching want (a regular expression, anchored).
func wantErr(t *testing.T, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("failed: %v", err)
	case want != "" && err == nil:
		t.Errorf("passed, want failure %q", want)
	case want != "" && !regexp.MustCompile("^"+want+"$").MatchString(err.Error()):
		t.Errorf("failure %q, want %q", err, want)
	}
}

func TestTCP(t *testing.T) {
	up := serve(t, func(net.Conn) {})
	wantErr(t, run(t, &TCP{Target: up}, time.Second), "")
	down := closedPort(t)
	wantErr(t, run(t, &TCP{Target: down}, time.Second), regexp.QuoteMeta("CONNECT to "+down.String()+" failed: connection refused"))
	if got := (&TCP{Target: up}).String(); got != "TCP connect to "+up.String() {
		t.Errorf("String() = %q", got)
	}
}

// TestConnectTimeout needs a connect that hangs: Linux drops the SYNs
// to a listener whose accept queue is full, and with a backlog of 0 it
// is full after one connection.
func TestConnectTimeout(t *testing.T) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer syscall.Close(fd)
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{Addr: netip.MustParseAddr("127.0.0.1"), Port: uint16(sa.(*syscall.SockaddrInet4).Port)}
	var conns []net.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	for range 4 {
		c, err := net.DialTimeout("tcp", tg.String(), 100*time.Millisecond)
		if err != nil {
			break
		}
		conns = append(conns, c)
	}
	wantErr(t, run(t, &TCP{Target: tg}, 200*time.Millisecond), regexp.QuoteMeta("CONNECT to "+tg.String()+" timed out"))
}

func TestSendExpect(t *testing.T) {
	// The server answers what each test asks for, after reading the
	// request line.
	answer := func(parts []string, delay time.Duration, then string) func(net.Conn) {
		return func(c net.Conn) {
			bufio.NewReader(c).ReadString('\n')
			for _, p := range parts {
				c.Write([]byte(p))
				time.Sleep(delay)
			}
			switch then {
			case "reset":
				c.(*net.TCPConn).SetLinger(0)
			case "hang":
				io.Copy(io.Discard, c)
			}
		}
	}
	re := func(s string) Expect { e, _ := ParseExpect(s, true); return e }
	lit := func(s string) Expect { e, _ := ParseExpect(s, false); return e }
	for _, tc := range []struct {
		name   string
		srv    func(net.Conn)
		expect Expect
		want   string // a regular expression; %s is the target
	}{
		{"match", answer([]string{"HTTP/1.0 200 OK\r\n"}, 0, ""), lit("HTTP"), ""},
		// Piranha read once, so a reply in pieces failed.
		{"split", answer([]string{"HT", "TP/1.0 200"}, 50*time.Millisecond, "hang"), lit("HTTP/1.0 200"), ""},
		{"mismatch", answer([]string{"SSH-2.0\r\n"}, 0, ""), lit("HTTP"), `reply from %s does not start with "HTTP": got "SSH-2.0\\r\\n"`},
		// A reply that already differs fails without waiting.
		{"early mismatch", answer([]string{"X"}, 0, "hang"), lit("HTTP"), `reply from %s does not start with "HTTP": got "X"`},
		{"short", answer([]string{"HT"}, 0, ""), lit("HTTP"), `READ from %s was too short\[2>=4\]: connection closed`},
		{"partial then hang", answer([]string{"HT"}, 0, "hang"), lit("HTTP"), `READ to %s timed out waiting for "HTTP": got "HT"`},
		{"silent", answer(nil, 0, "hang"), lit("HTTP"), `READ to %s timed out`},
		{"reset", answer(nil, 0, "reset"), lit("HTTP"), `READ from %s failed: connection reset by peer`},
		{"regex", answer([]string{"220 ", "mail ESMTP ready\r\n"}, 20*time.Millisecond, "hang"), re("ESMTP [a-z]+"), ""},
		{"regex closed", answer([]string{"220 mail\r\n"}, 0, ""), re("ESMTP"), `connection closed by %s without a match for /ESMTP/: got "220 mail\\r\\n"`},
		{"any", answer([]string{"x"}, 0, "hang"), lit("*"), ""},
		// Piranha's "*" also passes when the server closes at once.
		{"any closed", answer(nil, 0, ""), lit("*"), ""},
		{"any reset", answer(nil, 0, "reset"), lit("*"), `READ from %s failed: connection reset by peer`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tg := serve(t, tc.srv)
			c := &SendExpect{Target: tg, Send: []byte("GET / HTTP/1.0\r\n\r\n"), Expect: tc.expect}
			want := tc.want
			if strings.Contains(want, "%s") {
				want = fmt.Sprintf(want, regexp.QuoteMeta(tg.String()))
			}
			wantErr(t, run(t, c, 300*time.Millisecond), want)
		})
	}
}

func TestSendExpectLimit(t *testing.T) {
	tg := serve(t, func(c net.Conn) {
		junk := strings.Repeat("x", 1024)
		for i := 0; i < MaxReply/1024+8; i++ {
			if _, err := io.WriteString(c, junk); err != nil {
				return
			}
		}
	})
	e, _ := ParseExpect("never", true)
	// Reads come in pieces of up to 4 KiB, so the count is the limit or
	// a little past it.
	wantErr(t, run(t, &SendExpect{Target: tg, Expect: e}, 2*time.Second),
		regexp.QuoteMeta("reply from "+tg.String()+": ")+`6[5-9][0-9]{3} bytes without a match for /never/`)
}

func TestExpectVerdict(t *testing.T) {
	lit := Expect{Prefix: []byte("OK")}
	for _, tc := range []struct {
		got      string
		eof      bool
		done, ok bool
	}{
		{"", false, false, false},
		{"O", false, false, false},
		{"OK", false, true, true},
		{"OKAY", false, true, true},
		{"NO", false, true, false},
		{"X", false, true, false},
		{"O", true, true, false},
		{"", true, true, false},
	} {
		done, ok := lit.verdict([]byte(tc.got), tc.eof)
		if done != tc.done || ok != tc.ok {
			t.Errorf("verdict(%q, eof %v) = %v, %v; want %v, %v", tc.got, tc.eof, done, ok, tc.done, tc.ok)
		}
	}
}

func TestUnescape(t *testing.T) {
	for in, want := range map[string]string{
		`GET / HTTP/1.0\r\n\r\n`: "GET / HTTP/1.0\r\n\r\n",
		`a\tb\\c\'d\"e`:          "a\tb\\c'd\"e",
		`\x41\`:                  `\x41\`,
		`plain`:                  "plain",
	} {
		if got := Unescape(in); got != want {
			t.Errorf("Unescape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProgram(t *testing.T) {
	dir := t.TempDir()
	script := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("#!/bin/sh\n"+body+"\n"), 0o755); err != nil {
			t.Fatal(err)
		}
		return p
	}
	tg := Target{Addr: netip.MustParseAddr("192.0.2.7"), Port: 8080}
	lit := func(s string) Expect { e, _ := ParseExpect(s, false); return e }
	re := func(s string) Expect { e, _ := ParseExpect(s, true); return e }
	for _, tc := range []struct {
		name   string
		argv   []string
		expect Expect
		want   string
	}{
		{"exit 0", []string{script("ok", "exit 0")}, Expect{}, ""},
		{"args", []string{script("args", `[ "$1" = 192.0.2.7 ] && [ "$2" = 8080 ] && [ "$3" = "http://192.0.2.7:8080/" ]`), "%h", "%p", "http://%h:%p/"}, Expect{}, ""},
		{"exit 1", []string{script("fail", "echo broken >&2; exit 1")}, Expect{}, `\S+/fail for 192.0.2.7:8080: exited with status 1: "broken"`},
		{"output", []string{script("out", "echo OK")}, lit("OK"), ""},
		{"crlf", []string{script("crlf", `printf 'OK\r\n'`)}, lit("OK"), ""},
		{"wrong output", []string{script("wrong", "echo NOPE")}, lit("OK"), `Trouble\. Received results are not what we expected from \(192\.0\.2\.7:8080\): got "NOPE", want "OK"`},
		{"regex", []string{script("re", "echo load 0.5 fine")}, re("fine$"), ""},
		// Piranha called a hung program up; it is down, and killed.
		{"hang", []string{script("hang", "sleep 30")}, Expect{}, `\S+/hang for 192.0.2.7:8080: timed out; killed`},
		// What it started dies with it.
		{"hang child", []string{script("hangchild", "sleep 30 & wait")}, Expect{}, `\S+/hangchild for 192.0.2.7:8080: timed out; killed`},
		{"missing", []string{filepath.Join(dir, "missing")}, Expect{}, `\S+/missing for 192.0.2.7:8080: cannot be run: no such file or directory`},
		{"signal", []string{script("kill", "kill -9 $$")}, Expect{}, `\S+/kill for 192.0.2.7:8080: signal: killed`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, run(t, &Program{Target: tg, Argv: tc.argv, Expect: tc.expect}, 300*time.Millisecond), tc.want)
		})
	}
}

func TestSplitCommand(t *testing.T) {
	got := SplitCommand("  /bin/check  %h   --port=%p ")
	if strings.Join(got, "|") != "/bin/check|%h|--port=%p" {
		t.Errorf("SplitCommand: %q", got)
	}
}

func TestHTTP(t *testing.T) {
	body := "hello\n"
	digest := md5.Sum([]byte(body))
	hosts := make(chan string, 16)
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case hosts <- r.Host:
		default:
		}
		switch r.URL.Path {
		case "/":
			io.WriteString(w, body)
		case "/slow":
			time.Sleep(time.Second)
		default:
			http.NotFound(w, r)
		}
	})
	srv := httptest.NewServer(h)
	defer srv.Close()
	tg := target(t, srv.Listener.Addr())
	url := fmt.Sprintf("http://%s", tg)
	for _, tc := range []struct {
		name string
		c    HTTP
		want string
	}{
		{"ok", HTTP{}, ""},
		{"digest", HTTP{Digest: digest[:]}, ""},
		{"bad digest", HTTP{Digest: make([]byte, 16)}, regexp.QuoteMeta(fmt.Sprintf("HTTP GET %s/: body MD5 %x, want 00000000000000000000000000000000", url, digest))},
		{"404", HTTP{Path: "/missing"}, regexp.QuoteMeta("HTTP GET " + url + "/missing answered status 404, want 200-299")},
		{"404 accepted", HTTP{Path: "/missing", Status: StatusSet{{404, 404}}}, ""},
		{"slow", HTTP{Path: "/slow"}, regexp.QuoteMeta("HTTP GET " + url + "/slow: reading the response timed out")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.c
			c.Target = tg
			wantErr(t, run(t, &c, 300*time.Millisecond), tc.want)
		})
	}
	for len(hosts) > 0 {
		<-hosts
	}
	c := &HTTP{Target: tg, Host: "www.example.test"}
	wantErr(t, run(t, c, time.Second), "")
	if lastHost := <-hosts; lastHost != "www.example.test" {
		t.Errorf("Host header %q, want www.example.test", lastHost)
	}
	down := closedPort(t)
	wantErr(t, run(t, &HTTP{Target: down}, time.Second), regexp.QuoteMeta("CONNECT to "+down.String()+" failed: connection refused"))
}

func TestHTTPS(t *testing.T) {
	var mu sync.Mutex
	var sni string
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { io.WriteString(w, "ok\n") }))
	srv.TLS = &tls.Config{GetConfigForClient: func(hi *tls.ClientHelloInfo) (*tls.Config, error) {
		mu.Lock()
		sni = hi.ServerName
		mu.Unlock()
		return nil, nil
	}}
	// Refused handshakes are what the test is for, not news.
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()
	tg := target(t, srv.Listener.Addr())
	pool := x509.NewCertPool()
	pool.AddCert(srv.Certificate())

	wantErr(t, run(t, &HTTP{Target: tg, TLS: true}, time.Second), "")
	wantErr(t, run(t, &HTTP{Target: tg, TLS: true, SNI: "example.com"}, time.Second), "")
	mu.Lock()
	got := sni
	mu.Unlock()
	if got != "example.com" {
		t.Errorf("SNI %q, want example.com", got)
	}
	// httptest's certificate is for example.com and 127.0.0.1.
	wantErr(t, run(t, &HTTP{Target: tg, TLS: true, Verify: true, RootCAs: pool}, time.Second), "")
	wantErr(t, run(t, &HTTP{Target: tg, TLS: true, Verify: true, RootCAs: pool, SNI: "example.com"}, time.Second), "")
	wantErr(t, run(t, &HTTP{Target: tg, TLS: true, Verify: true, RootCAs: pool, SNI: "other.test"}, time.Second),
		`HTTP GET https://`+regexp.QuoteMeta(tg.String())+`/: certificate of \S+ not trusted: .*other\.test.*`)
	wantErr(t, run(t, &HTTP{Target: tg, TLS: true, Verify: true, RootCAs: x509.NewCertPool()}, time.Second),
		`HTTP GET https://`+regexp.QuoteMeta(tg.String())+`/: certificate of \S+ not trusted: .*unknown authority.*`)
	// A plain HTTP server is no TLS server.
	plain := serve(t, func(c net.Conn) { io.WriteString(c, "HTTP/1.0 200 OK\r\n\r\n") })
	wantErr(t, run(t, &HTTP{Target: plain, TLS: true}, time.Second), `HTTP GET https://\S+/: TLS handshake failed: .*`)
}

func TestStatusSet(t *testing.T) {
	s, err := ParseStatusSet("200, 301-302,404")
	if err != nil {
		t.Fatal(err)
	}
	for code, want := range map[int]bool{200: true, 201: false, 301: true, 302: true, 303: false, 404: true} {
		if s.Has(code) != want {
			t.Errorf("Has(%d) = %v", code, !want)
		}
	}
	if s.String() != "200,301-302,404" {
		t.Errorf("String() = %q", s)
	}
	for _, bad := range []string{"", "abc", "99", "600", "300-200", "200-"} {
		if _, err := ParseStatusSet(bad); err == nil {
			t.Errorf("ParseStatusSet(%q) accepted", bad)
		}
	}
	if (StatusSet{}).String() != "200-299" || !(StatusSet{}).Has(204) {
		t.Error("the empty set is not 200-299")
	}
}

func TestParseDigest(t *testing.T) {
	if _, err := ParseDigest("d41d8cd98f00b204e9800998ecf8427e"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "d41d8cd9", "zz1d8cd98f00b204e9800998ecf8427e"} {
		if _, err := ParseDigest(bad); err == nil {
			t.Errorf("ParseDigest(%q) accepted", bad)
		}
	}
}

// FuzzExpect: whatever arrives, in whatever pieces, the verdict on a
// longer reply never takes back a settled one, and Unescape and
// ParseStatusSet never panic.
func FuzzExpect(f *testing.F) {
	f.Add("HTTP", false, []byte("HTTP/1.0 200"), 3)
	f.Add("^2[0-9]{2}", true, []byte("250 ok"), 1)
	f.Add("*", false, []byte(""), 0)
	f.Fuzz(func(t *testing.T, expect string, regex bool, reply []byte, cut int) {
		e, err := ParseExpect(Unescape(expect), regex)
		if err != nil {
			return
		}
		if cut < 0 || cut > len(reply) {
			cut = len(reply)
		}
		done1, ok1 := e.verdict(reply[:cut], false)
		done2, ok2 := e.verdict(reply, false)
		if done1 && (!done2 || ok1 != ok2) && e.Regex == nil {
			t.Errorf("expect %s: %q settled %v, then %q gave done %v ok %v", e, reply[:cut], ok1, reply, done2, ok2)
		}
		ParseStatusSet(expect)
	})
}

func TestReadResponse(t *testing.T) {
	for _, tc := range []struct {
		name, in string
		status   int
		body     string
		err      string // substring of the error, reading the head or the body
	}{
		{"length", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloEXTRA", 200, "hello", ""},
		{"to close", "HTTP/1.0 404 Not Found\r\n\r\ngone\n", 404, "gone\n", ""},
		{"chunked", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n6\r\n world\r\n0\r\nX-Trailer: 1\r\n\r\n", 200, "hello world", ""},
		{"short", "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nhello", 200, "", "unexpected EOF"},
		{"chunk cut", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel", 200, "", "unexpected EOF"},
		{"bad chunk", "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 200, "", "chunk size"},
		{"bad length", "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n", 0, "", "Content-Length"},
		{"not http", "SSH-2.0-OpenSSH\r\n\r\n", 0, "", "status line"},
		{"no code", "HTTP/1.1 OK\r\n\r\n", 0, "", "status line"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, err := readResponse(bufio.NewReader(strings.NewReader(tc.in)))
			var got []byte
			if err == nil {
				got, err = io.ReadAll(body)
			}
			switch {
			case tc.err != "":
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want one with %q", err, tc.err)
				}
			case err != nil:
				t.Errorf("error %v", err)
			case status != tc.status || string(got) != tc.body:
				t.Errorf("status %d body %q, want %d %q", status, got, tc.status, tc.body)
			}
		})
	}
}

// FuzzReadResponse: whatever a server answers, the response reader
// returns or fails, and its body reader ends.
func FuzzReadResponse(f *testing.F) {
	f.Add("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n")
	f.Add("HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabc")
	f.Fuzz(func(t *testing.T, in string) {
		_, body, err := readResponse(bufio.NewReader(strings.NewReader(in)))
		if err == nil {
			io.Copy(io.Discard, io.LimitReader(body, 1<<20))
		}
	})
}
