package nanny

import (
	"context"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lvskit/nanny/check"
)

func TestParseAgentReply(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  bool
	}{
		{"75%\n", 75, false},
		{"up 50%\r\n", 50, false},
		{"ready,200%", 200, false},
		{"up\n", 100, false},
		{"ready", 100, false},
		{"drain", 0, false},
		{"75% drain", 0, false},
		{"down", 0, false},
		{"MAINT", 0, false},
		{"stopped", 0, false},
		{"fail#broken", 100, true},
		{"", 0, true},
		{"hello", 0, true},
		{"-5%", 0, true},
		{"x%", 0, true},
		{"0%", 0, false},
	} {
		got, err := parseAgentReply(tc.in)
		if (err != nil) != tc.err || err == nil && got != tc.want {
			t.Errorf("parseAgentReply(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestParseLoad(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		err  bool
	}{
		{" 10:01:02 up 3 days,  2:04,  1 user,  load average: 0.42, 0.30, 0.25\n", 0.42, false},
		{"host  up  3 days, 2:04,  load average: 1.50, 1.20, 1.00", 1.5, false},
		// ruptime has no colon after "load": Piranha failed it too.
		{"host up 3+02:04, 1 user, load 0.42, 0.30, 0.25", 0, true},
		{"no such host", 0, true},
		{"load average: x", 0, true},
	} {
		got, err := parseLoad(tc.in)
		if (err != nil) != tc.err || err == nil && got != tc.want {
			t.Errorf("parseLoad(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func TestLoadPercent(t *testing.T) {
	if got := loadPercent(0, 10); got != 1000 {
		t.Errorf("idle: %v%%, want 1000%%", got)
	}
	if got := loadPercent(1, 10); got != 100 {
		t.Errorf("load 1: %v%%, want 100%%", got)
	}
	if got := loadPercent(3, 10); got != 100 {
		t.Errorf("load 3: %v%%, want 100%%", got)
	}
	if a, b := loadPercent(0.9, 10), loadPercent(0.5, 10); !(a > 100 && a < b && b < 1000) {
		t.Errorf("not monotonic: 0.9 → %v, 0.5 → %v", a, b)
	}
}

func TestFeedbackSmoothing(t *testing.T) {
	f := newFeedback(nil, time.Second, 2)
	f.add(50)
	if f.pct != 75 {
		t.Errorf("one sample of 50%% from 100%%: %v, want 75", f.pct)
	}
	for range 10 {
		f.add(50)
	}
	if f.pct != 50 {
		t.Errorf("after many samples of 50%%: %v, want 50", f.pct)
	}
	f.add(1e6) // bounded by scale × 100%
	if f.pct != 125 {
		t.Errorf("a huge sample: %v, want 125", f.pct)
	}
	f.add(0)
	if f.pct != 0 {
		t.Errorf("drain: %v, want 0 at once", f.pct)
	}
	f.add(math.Inf(1))
	if f.pct != 100 {
		t.Errorf("+Inf from 0: %v, want 100 (half way to the bound)", f.pct)
	}
}

func TestAgent(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	answers := make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			a := <-answers
			if a != "hang" {
				io.WriteString(c, a)
				c.Close()
			} else {
				defer c.Close()
			}
		}
	}()
	ap := netip.MustParseAddrPort(ln.Addr().String())
	a := agent{target: check.Target{Addr: ap.Addr(), Port: ap.Port()}}
	sample := func() (float64, error) {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		defer cancel()
		return a.sample(ctx)
	}
	answers <- "60%\n"
	if got, err := sample(); got != 60 || err != nil {
		t.Errorf("60%%: %v, %v", got, err)
	}
	answers <- "drain" // no newline, then close
	if got, err := sample(); got != 0 || err != nil {
		t.Errorf("drain: %v, %v", got, err)
	}
	answers <- "hang"
	if _, err := sample(); err == nil || !strings.Contains(err.Error(), "no answer") {
		t.Errorf("a silent agent: %v", err)
	}
}

func TestFeedbackProgram(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "load")
	os.WriteFile(p, []byte("#!/bin/sh\n[ \"$1\" = 192.0.2.1 ] && echo 40%\n"), 0o755)
	fp := feedbackProgram{target: check.Target{Addr: netip.MustParseAddr("192.0.2.1"), Port: 80}, argv: []string{p, "%h"}}
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if got, err := fp.sample(ctx); got != 40 || err != nil {
		t.Errorf("feedback program: %v, %v", got, err)
	}
}
