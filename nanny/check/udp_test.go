package check

import (
	"bytes"
	"context"
	"net"
	"net/netip"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// serveUDP answers each datagram on a loopback port with what reply
// makes of it (nothing when nil) and keeps what it got.
func serveUDP(t *testing.T, network, addr string, reply func([]byte) []byte) (Target, func() [][]byte) {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var got [][]byte
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
			mu.Lock()
			got = append(got, bytes.Clone(buf[:n]))
			mu.Unlock()
			if r := reply(buf[:n]); r != nil {
				pc.WriteTo(r, from)
			}
		}
	}()
	return probeTarget(t, pc.LocalAddr()), func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return append([][]byte(nil), got...)
	}
}

func udpSays(s string) func([]byte) []byte { return func([]byte) []byte { return []byte(s) } }

func TestUDP(t *testing.T) {
	long := strings.Repeat("z", 100)
	cases := []struct {
		name  string
		c     UDP // without Target
		reply func([]byte) []byte
		want  string // <T> stands for ADDR:PORT
		short bool
	}{
		{name: "any reply", c: UDP{Send: []byte("ping")}, reply: udpSays("x")},
		{name: "empty reply", c: UDP{Send: []byte("ping")}, reply: udpSays("")},
		{name: "star", c: UDP{Send: []byte("ping"), Expect: []byte("*")}, reply: udpSays("anything")},
		{name: "prefix", c: UDP{Send: []byte("ping"), Expect: []byte("PONG")}, reply: udpSays("PONG 1.0\n")},
		{name: "whole", c: UDP{Send: []byte("ping"), Expect: []byte("PONG")}, reply: udpSays("PONG")},
		{name: "binary", c: UDP{Send: []byte{0, 1, 2}, Expect: []byte{0xff, 0}}, reply: func(q []byte) []byte { return append([]byte{0xff, 0}, q...) }},
		{name: "not the prefix", c: UDP{Send: []byte("ping"), Expect: []byte("PONG")}, reply: udpSays("ERR\x00 busy"),
			want: `UDP reply from <T> does not start with "PONG": got "ERR\x00 busy"`},
		{name: "inside, not at the start", c: UDP{Send: []byte("ping"), Expect: []byte("PONG")}, reply: udpSays(" PONG"),
			want: `UDP reply from <T> does not start with "PONG": got " PONG"`},
		{name: "shorter than expected", c: UDP{Send: []byte("ping"), Expect: []byte("PONG")}, reply: udpSays("PON"),
			want: `UDP reply from <T> does not start with "PONG": got "PON"`},
		{name: "long reply cut", c: UDP{Send: []byte("ping"), Expect: []byte("PONG")}, reply: udpSays(long),
			want: `UDP reply from <T> does not start with "PONG": got "` + long[:64] + `"...`},
		{name: "regex", c: UDP{Send: []byte("ping"), Regex: regexp.MustCompile(`^OK [0-9]+$`)}, reply: udpSays("OK 42")},
		{name: "regex mismatch", c: UDP{Send: []byte("ping"), Regex: regexp.MustCompile(`^OK [0-9]+$`)}, reply: udpSays("OK x"),
			want: `UDP reply from <T> does not match /^OK [0-9]+$/: got "OK x"`},
		{name: "prefix and regex", c: UDP{Send: []byte("ping"), Expect: []byte("OK"), Regex: regexp.MustCompile(`load=[0-4]\b`)}, reply: udpSays("OK load=7"),
			want: `UDP reply from <T> does not match /load=[0-4]\b/: got "OK load=7"`},
		{name: "length in range", c: UDP{Send: []byte("ping"), MinLen: 2, MaxLen: 4}, reply: udpSays("abcd")},
		{name: "too short", c: UDP{Send: []byte("ping"), MinLen: 5}, reply: udpSays("abcd"),
			want: "UDP reply from <T> is 4 bytes, want at least 5"},
		{name: "too long", c: UDP{Send: []byte("ping"), MaxLen: 3}, reply: udpSays("abcd"),
			want: "UDP reply from <T> is 4 bytes, want at most 3"},
		{name: "out of range", c: UDP{Send: []byte("ping"), Expect: []byte("*"), MinLen: 1, MaxLen: 3}, reply: udpSays(""),
			want: "UDP reply from <T> is 0 bytes, want 1 to 3"},
		{name: "silence", c: UDP{Send: []byte("ping")}, reply: func([]byte) []byte { return nil },
			want: "UDP to <T> timed out", short: true},
	}
	var runs []probeRun
	var gots []func() [][]byte
	for _, tc := range cases {
		tg, got := serveUDP(t, "udp", "127.0.0.1:0", tc.reply)
		c := tc.c
		c.Target = tg
		r := probeRun{name: tc.name, check: &c, d: 2 * time.Second, want: strings.ReplaceAll(tc.want, "<T>", tg.String())}
		if tc.short {
			r.d = 150 * time.Millisecond
		}
		runs = append(runs, r)
		gots = append(gots, got)
	}
	probeRunAll(t, runs, func(t *testing.T, i int) {
		send := runs[i].check.(*UDP).Send
		if g := gots[i](); len(g) != 1 || !bytes.Equal(g[0], send) {
			t.Errorf("server got %q, want one %q", g, send)
		}
	})
}

func TestUDPNeedsSend(t *testing.T) {
	tg, got := serveUDP(t, "udp", "127.0.0.1:0", udpSays("x"))
	for _, c := range []*UDP{{Target: tg}, {Target: tg, Send: []byte{}, Expect: []byte("x")}} {
		probeWant(t, c.Check(probeCtx(t, time.Second)), "UDP check needs a send string")
	}
	if g := got(); len(g) != 0 {
		t.Errorf("server got %q", g)
	}
}

// TestUDPRefused: the kernel answers a datagram to a closed port with
// ICMP port unreachable, which the connected socket reads as refused.
func TestUDPRefused(t *testing.T) {
	tg := probeClosedUDP(t, "udp", "127.0.0.1:0")
	start := time.Now()
	probeWant(t, (&UDP{Target: tg, Send: []byte("ping")}).Check(probeCtx(t, 2*time.Second)), "UDP to "+tg.String()+" failed: connection refused")
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v: the refusal was not seen", el)
	}
}

// TestUDPOthersIgnored: a datagram to the check's port from another
// port is not the target's reply, even when it comes first.
func TestUDPOthersIgnored(t *testing.T) {
	other, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer pc.Close()
	tg := probeTarget(t, pc.LocalAddr())
	for _, answer := range []bool{false, true} {
		ctx := probeCtx(t, 150*time.Millisecond)
		errc := make(chan error, 1)
		go func() { errc <- (&UDP{Target: tg, Send: []byte("ping"), Expect: []byte("PONG")}).Check(ctx) }()
		buf := make([]byte, 100)
		pc.SetReadDeadline(time.Now().Add(time.Second))
		_, from, err := pc.ReadFrom(buf)
		if err != nil {
			t.Fatal(err)
		}
		other.WriteTo([]byte("BOGUS"), from)
		if answer {
			time.Sleep(20 * time.Millisecond)
			pc.WriteTo([]byte("PONG"), from)
			probeWant(t, <-errc, "")
		} else {
			probeWant(t, <-errc, "UDP to "+tg.String()+" timed out")
		}
	}
}

func TestUDPIPv6(t *testing.T) {
	if l, err := net.ListenPacket("udp6", "[::1]:0"); err != nil {
		t.Skip("no IPv6 loopback:", err)
	} else {
		l.Close()
	}
	tg, _ := serveUDP(t, "udp6", "[::1]:0", udpSays("PONG"))
	probeWant(t, (&UDP{Target: tg, Send: []byte("ping"), Expect: []byte("PONG")}).Check(probeCtx(t, 2*time.Second)), "")
	closed := probeClosedUDP(t, "udp6", "[::1]:0")
	probeWant(t, (&UDP{Target: closed, Send: []byte("ping")}).Check(probeCtx(t, 2*time.Second)), "UDP to "+closed.String()+" failed: connection refused")
}

func TestUDPCancel(t *testing.T) {
	tg, _ := serveUDP(t, "udp", "127.0.0.1:0", func([]byte) []byte { return nil })
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	probeWant(t, (&UDP{Target: tg, Send: []byte("ping")}).Check(ctx), "UDP to "+tg.String()+" failed: context canceled")
	if el := time.Since(start); el > time.Second {
		t.Errorf("took %v after the cancel", el)
	}
}

func TestUDPNoLeak(t *testing.T) {
	tg, _ := serveUDP(t, "udp", "127.0.0.1:0", udpSays("x"))
	silent, _ := serveUDP(t, "udp", "127.0.0.1:0", func([]byte) []byte { return nil })
	closed := probeClosedUDP(t, "udp", "127.0.0.1:0")
	before := probeFDs(t)
	for range 20 {
		(&UDP{Target: tg, Send: []byte("a")}).Check(probeCtx(t, time.Second))
		(&UDP{Target: closed, Send: []byte("a")}).Check(probeCtx(t, time.Second))
	}
	(&UDP{Target: silent, Send: []byte("a")}).Check(probeCtx(t, 10*time.Millisecond))
	probeNoLeak(t, before)
}

func TestUDPString(t *testing.T) {
	c := &UDP{Target: Target{Addr: netip.MustParseAddr("10.0.0.2"), Port: 53}, Send: []byte("x")}
	if got, want := c.String(), "UDP send/expect to 10.0.0.2:53"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}
