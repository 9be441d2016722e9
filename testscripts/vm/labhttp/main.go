// Command labhttp is the kernel lab's HTTP real server and client. It is
// a lab tool, not installed; its output is not an interface.
//
//	labhttp serve [-fail-every K] ADDR NAME
//	                              answer GET / with "NAME\n", and
//	                              GET /stream?n=N&ms=M with N lines
//	                              "NAME i\n", one every M ms, flushed;
//	                              with -fail-every, answer every K-th
//	                              GET / with 503 and log each GET /
//	                              ("NAME: request i: 200") on stdout
//	labhttp get [-t SECS] URL     print the body; exit 1 on any failure
//	labhttp stream URL N MS       read a stream over one connection;
//	                              exit 1 unless all N lines come from one
//	                              server in order, none later than 1 s
//	                              after the one before
//	labhttp load [-every D] [-t D] -log FILE URL...
//	                              until SIGTERM, GET each URL once every
//	                              D (default 50ms), each on a connection
//	                              of its own and given -t (default 1s),
//	                              and log each result as it comes, see load
//	labhttp watch -log FILE -addr A,B,... NETNS...
//	                              until SIGTERM, log which of the
//	                              addresses each network namespace (a
//	                              name under /run/netns) holds on an
//	                              interface that is up, and the MAC its
//	                              neighbour table has for each; see watch
//
// Times in the logs of load and watch are milliseconds of
// CLOCK_BOOTTIME, the clock of /proc/uptime, so that a guest script can
// set its own moments (read from /proc/uptime) against them.
package main

import (
	"bufio"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "labhttp:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: labhttp serve|get|stream ...")
	}
	switch cmd, args := args[0], args[1:]; {
	case cmd == "serve" && len(args) == 2:
		return serve(args[0], args[1], 0)
	case cmd == "serve" && len(args) == 4 && args[0] == "-fail-every":
		k, err := strconv.Atoi(args[1])
		if err != nil || k < 1 {
			return fmt.Errorf("-fail-every %q: want a number above 0", args[1])
		}
		return serve(args[2], args[3], k)
	case cmd == "get" && len(args) == 1:
		return get(args[0], 5*time.Second)
	case cmd == "get" && len(args) == 3 && args[0] == "-t":
		secs, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		return get(args[2], time.Duration(secs)*time.Second)
	case cmd == "stream" && len(args) == 3:
		n, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		ms, err := strconv.Atoi(args[2])
		if err != nil {
			return err
		}
		return stream(args[0], n, ms)
	case cmd == "load":
		return load(args)
	case cmd == "watch":
		return watch(args)
	}
	return fmt.Errorf("usage: labhttp serve [-fail-every K] ADDR NAME | get [-t SECS] URL | stream URL N MS | load ... | watch ...")
}

func serve(addr, name string, failEvery int) error {
	var mu sync.Mutex
	requests := 0
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if failEvery == 0 {
			fmt.Fprintln(w, name)
			return
		}
		mu.Lock()
		defer mu.Unlock()
		requests++
		code := http.StatusOK
		if requests%failEvery == 0 {
			code = http.StatusServiceUnavailable
		}
		fmt.Printf("%s: request %d: %d\n", name, requests, code)
		w.WriteHeader(code)
		fmt.Fprintln(w, name)
	})
	mux.HandleFunc("/stream", func(w http.ResponseWriter, r *http.Request) {
		n, _ := strconv.Atoi(r.URL.Query().Get("n"))
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		fl, _ := w.(http.Flusher)
		for i := 1; i <= n; i++ {
			if _, err := fmt.Fprintf(w, "%s %d\n", name, i); err != nil {
				return
			}
			if fl != nil {
				fl.Flush()
			}
			time.Sleep(time.Duration(ms) * time.Millisecond)
		}
	})
	return http.ListenAndServe(addr, mux)
}

func get(url string, timeout time.Duration) error {
	c := &http.Client{Timeout: timeout, Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", url, resp.Status)
	}
	_, err = io.Copy(os.Stdout, resp.Body)
	return err
}

// stream reads the lines of one long response and reports, on success,
// the server and the longest gap between two lines.
func stream(url string, n, ms int) error {
	c := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}}
	resp, err := c.Get(fmt.Sprintf("%s?n=%d&ms=%d", url, n, ms))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	lines := make(chan string)
	go func() {
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	server, maxGap, last := "", time.Duration(0), time.Now()
	for i := 1; i <= n; i++ {
		select {
		case l, ok := <-lines:
			if !ok {
				return fmt.Errorf("stream ended after %d of %d lines", i-1, n)
			}
			name, num, _ := strings.Cut(l, " ")
			if server == "" {
				server = name
			}
			if name != server || num != strconv.Itoa(i) {
				return fmt.Errorf("line %d is %q, want \"%s %d\"", i, l, server, i)
			}
			if gap := time.Since(last); gap > maxGap && i > 1 {
				maxGap = gap
			}
			last = time.Now()
		case <-time.After(time.Second):
			return fmt.Errorf("no line for 1s after line %d of %d", i-1, n)
		}
	}
	fmt.Printf("stream: %d lines from %s over one connection, longest gap %dms\n", n, server, maxGap.Milliseconds())
	return nil
}
