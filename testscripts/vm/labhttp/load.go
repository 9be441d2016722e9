package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// bootMs is the time in milliseconds of CLOCK_BOOTTIME, the clock
// /proc/uptime shows.
func bootMs() int64 {
	var ts unix.Timespec
	if err := unix.ClockGettime(unix.CLOCK_BOOTTIME, &ts); err != nil {
		panic(err)
	}
	return ts.Nano() / 1e6
}

// load sends one GET to each URL every tick until SIGTERM or SIGINT,
// each on a new connection (so that each is scheduled on its own) and
// each given the timeout from its start to its last byte, and
// logs each result in FILE as it comes, one line:
//
//	START END HOST ok BODY PORT    the server answered 200 with BODY
//	                               (its first line: labhttp serve's NAME)
//	START END HOST fail KIND PORT  KIND is refused, reset, timeout,
//	                               unreachable, status-N or error (the
//	                               error's text then follows PORT)
//
// START and END are milliseconds of CLOCK_BOOTTIME, HOST the URL's host,
// PORT the connection's local port (0 when it did not connect).
// On the signal it stops sending, waits for the requests under way and
// exits 0.
func load(args []string) error {
	fs := flag.NewFlagSet("load", flag.ContinueOnError)
	every := fs.Duration("every", 50*time.Millisecond, "one request per URL every `D`")
	timeout := fs.Duration("t", time.Second, "give each request `D`")
	logPath := fs.String("log", "", "log the results in `FILE`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	urls := fs.Args()
	if *logPath == "" || len(urls) == 0 || *every <= 0 || *timeout <= 0 {
		return fmt.Errorf("usage: labhttp load [-every D] [-t D] -log FILE URL...")
	}
	parsed := make([]*url.URL, len(urls))
	for i, u := range urls {
		pu, err := url.Parse(u)
		if err != nil || pu.Scheme != "http" || pu.Host == "" {
			return fmt.Errorf("load: bad URL %q: want http://HOST[:PORT]/...", u)
		}
		parsed[i] = pu
	}
	f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	var mu sync.Mutex
	var wg sync.WaitGroup
	fire := func() {
		for _, u := range parsed {
			wg.Add(1)
			go func(u *url.URL) {
				defer wg.Done()
				start := bootMs()
				res := fetch(u, *timeout)
				line := fmt.Sprintf("%d %d %s %s\n", start, bootMs(), u.Host, res)
				mu.Lock()
				f.WriteString(line)
				mu.Unlock()
			}(u)
		}
	}
	tick := time.NewTicker(*every)
	defer tick.Stop()
	fire()
	for {
		select {
		case <-tick.C:
			fire()
		case <-sigs:
			wg.Wait()
			return nil
		}
	}
}

// fetch makes one request, HTTP/1.0 over a connection of its own (the
// lab's machine is emulated: net/http's client costs several times
// more), all of it within timeout: "ok BODY PORT" or "fail KIND PORT
// [detail]".
func fetch(u *url.URL, timeout time.Duration) string {
	deadline := time.Now().Add(timeout)
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), "80")
	}
	port := 0 // unknown until connected
	failed := func(err error) string {
		kind := errKind(err)
		k, detail, _ := strings.Cut(kind, " ")
		if detail != "" {
			return fmt.Sprintf("fail %s %d %s", k, port, detail)
		}
		return fmt.Sprintf("fail %s %d", k, port)
	}
	c, err := net.DialTimeout("tcp", addr, timeout)
	if err != nil {
		return failed(err)
	}
	defer c.Close()
	if a, ok := c.LocalAddr().(*net.TCPAddr); ok {
		port = a.Port
	}
	c.SetDeadline(deadline)
	if _, err := fmt.Fprintf(c, "GET %s HTTP/1.0\r\nHost: %s\r\n\r\n", u.RequestURI(), u.Host); err != nil {
		return failed(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		return failed(err)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, 256))
	resp.Body.Close()
	if err != nil {
		return failed(err)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Sprintf("fail status-%d %d", resp.StatusCode, port)
	}
	name, _, _ := strings.Cut(strings.TrimSpace(string(body)), "\n")
	if name == "" {
		name = "-"
	}
	return fmt.Sprintf("ok %s %d", strings.ReplaceAll(name, " ", "_"), port)
}

func errKind(err error) string {
	var ne net.Error
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "refused"
	case errors.Is(err, syscall.ECONNRESET):
		return "reset"
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		return "unreachable"
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	}
	return "error " + strings.ReplaceAll(err.Error(), "\n", " ")
}
