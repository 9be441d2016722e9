package check

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The ICMP tests send to 127.0.0.1, 127.0.0.2 and ::1 only. Those always
// answer on the host, so the paths where the target is silent, answers
// with an error or cannot be reached run in a network namespace of the
// test's own, where the kernel's echo replies can be turned off, a
// responder can answer in its place and lo can stay down, without
// touching the host's settings. Without the right to make one (outside
// a root test run) those tests skip.

var (
	icmpLo4  = netip.MustParseAddr("127.0.0.1")
	icmpLo4b = netip.MustParseAddr("127.0.0.2")
	icmpLo6  = netip.MustParseAddr("::1")
)

func TestICMPLoopback(t *testing.T) {
	addrs := []string{"127.0.0.1", "127.0.0.2", "::ffff:127.0.0.1"}
	if l, err := net.ListenPacket("udp6", "[::1]:0"); err == nil {
		l.Close()
		addrs = append(addrs, "::1")
	}
	for _, a := range addrs {
		c := &ICMP{Target: Target{Addr: netip.MustParseAddr(a)}}
		err := c.Check(probeCtx(t, 2*time.Second))
		if err != nil && strings.HasSuffix(err.Error(), "socket: operation not permitted") {
			t.Skip("neither ping sockets nor raw ones are allowed here:", err)
		}
		probeWant(t, err, "")
		if err := c.Check(probeCtx(t, 2*time.Second)); err != nil {
			t.Errorf("%s, second check: %v", a, err)
		}
	}
}

func TestICMPNoAddress(t *testing.T) {
	probeWant(t, (&ICMP{}).Check(context.Background()), "PING invalid IP failed: no address")
}

func TestICMPString(t *testing.T) {
	c := &ICMP{Target: Target{Addr: netip.MustParseAddr("10.0.0.2"), Port: 80}}
	if got, want := c.String(), "ICMP echo to 10.0.0.2"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

// icmpInNetns runs f on a thread in a network namespace made for it,
// with lo up unless loDown and the sysctls (paths under /proc/sys) set,
// and returns when f does. The namespace goes with the thread, which
// ends with f. skip says why no namespace could be made.
func icmpInNetns(loDown bool, sysctls map[string]string, f func()) (skip string, err error) {
	type result struct {
		skip string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		// Never unlocked, so the runtime ends the thread with the
		// goroutine instead of running other code in the namespace.
		runtime.LockOSThread()
		if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
			res <- result{skip: fmt.Sprint("no network namespace of our own: ", err)}
			return
		}
		if !loDown {
			if err := icmpLoUp(); err != nil {
				res <- result{err: fmt.Errorf("lo up: %v", err)}
				return
			}
		}
		for k, v := range sysctls {
			if err := os.WriteFile("/proc/sys/"+k, []byte(v), 0); err != nil {
				res <- result{skip: fmt.Sprint("sysctl: ", err)}
				return
			}
		}
		defer func() { res <- result{} }()
		f()
	}()
	r := <-res
	return r.skip, r.err
}

// icmpNetns is icmpInNetns for a test's goroutine.
func icmpNetns(t *testing.T, loDown bool, sysctls map[string]string, f func()) {
	t.Helper()
	skip, err := icmpInNetns(loDown, sysctls, f)
	if skip != "" {
		t.Skip(skip)
	}
	if err != nil {
		t.Fatal(err)
	}
}

// icmpLog stands for a subtest while its case runs with the others,
// keeping its failures for the subtest to report.
type icmpLog struct {
	testing.TB // the parent test, for the rest
	mu         sync.Mutex
	msgs       []string
}

func (l *icmpLog) Helper() {}

func (l *icmpLog) Errorf(format string, args ...any) {
	l.mu.Lock()
	l.msgs = append(l.msgs, fmt.Sprintf(format, args...))
	l.mu.Unlock()
}

func (l *icmpLog) Error(args ...any) { l.Errorf("%s", fmt.Sprint(args...)) }

// icmpEach runs f for IPv4 and IPv6 with each kind of socket, all at
// once, each in a namespace of its own with sysctls set, then reports
// each one's failures in a subtest. f reports with Error and Errorf.
func icmpEach(t *testing.T, sysctls map[string]string, f func(t testing.TB, v6 bool, kind icmpSocket)) {
	type run struct {
		name string
		log  *icmpLog
		skip string
		err  error
	}
	var runs []*run
	var wg sync.WaitGroup
	for _, v6 := range []bool{false, true} {
		for _, k := range icmpKinds {
			r := &run{name: fmt.Sprintf("%s/v6=%v", k.name, v6), log: &icmpLog{TB: t}}
			runs = append(runs, r)
			wg.Go(func() {
				r.skip, r.err = icmpInNetns(false, sysctls, func() { f(r.log, v6, k.kind) })
			})
		}
	}
	wg.Wait()
	for _, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			if r.skip != "" {
				t.Skip(r.skip)
			}
			if r.err != nil {
				t.Fatal(r.err)
			}
			for _, m := range r.log.msgs {
				t.Error(m)
			}
		})
	}
}

func icmpLoUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return err
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return err
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	return unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr)
}

// icmpSysctls allow ping sockets to the test's group and, when quiet,
// stop the kernel's echo replies.
func icmpSysctls(quiet bool) map[string]string {
	m := map[string]string{"net/ipv4/ping_group_range": fmt.Sprintf("%d %d", os.Getgid(), os.Getgid())}
	if quiet {
		m["net/ipv4/icmp_echo_ignore_all"] = "1"
		m["net/ipv6/icmp/echo_ignore_all"] = "1"
	}
	return m
}

// icmpKinds are the sockets a check can use, by name.
var icmpKinds = []struct {
	name string
	kind icmpSocket
}{{"raw", icmpRaw}, {"dgram", icmpDgram}}

// icmpOut is a message a responder sends: from icmpLo4b instead of icmpLo4 when
// aside.
type icmpOut struct {
	msg   []byte
	aside bool
}

// icmpRespond answers, in the kernel's place, the echo requests that
// reach the namespace's loopback (IPv6 when v6) with what answer makes
// of each: whole ICMP messages, their IPv4 checksum filled in here.
// Call it in icmpNetns's f; stop ends it and returns the requests.
func icmpRespond(t testing.TB, v6 bool, answer func(req []byte) []icmpOut) (stop func() [][]byte) {
	network, laddr, reqType := "ip4:icmp", "127.0.0.1", byte(icmpEchoRequest)
	if v6 {
		network, laddr, reqType = "ip6:ipv6-icmp", "::1", icmpv6EchoRequest
	}
	conn, err := net.ListenPacket(network, laddr)
	if err != nil {
		t.Errorf("responder: %v", err)
		return func() [][]byte { return nil }
	}
	var aside net.PacketConn
	if !v6 {
		if aside, err = net.ListenPacket(network, icmpLo4b.String()); err != nil {
			t.Errorf("responder: %v", err)
		}
	}
	var mu sync.Mutex
	var reqs [][]byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 4096)
		for {
			n, from, err := conn.ReadFrom(buf)
			if err != nil {
				return
			}
			if n < 8 || buf[0] != reqType {
				continue
			}
			req := bytes.Clone(buf[:n])
			mu.Lock()
			reqs = append(reqs, req)
			mu.Unlock()
			for _, out := range answer(req) {
				if !v6 {
					binary.BigEndian.PutUint16(out.msg[2:], 0)
					binary.BigEndian.PutUint16(out.msg[2:], icmpChecksum(out.msg))
				}
				c := conn
				if out.aside {
					c = aside
				}
				if _, err := c.WriteTo(out.msg, from); err != nil {
					t.Errorf("responder: %v", err)
				}
			}
		}
	}()
	return func() [][]byte {
		conn.Close()
		if aside != nil {
			aside.Close()
		}
		<-done
		mu.Lock()
		defer mu.Unlock()
		return reqs
	}
}

// icmpEchoOf is the echo reply to req, changed by edit.
func icmpEchoOf(v6 bool, req []byte, edit func([]byte) []byte) icmpOut {
	b := bytes.Clone(req)
	b[0] = icmpEchoReply
	if v6 {
		b[0] = icmpv6EchoReply
	}
	if edit != nil {
		b = edit(b)
	}
	return icmpOut{msg: b}
}

// icmpErrorOf is an ICMP error typ/code quoting req as sent from
// loopback to loopback.
func icmpErrorOf(v6 bool, typ, code uint8, req []byte) icmpOut {
	b := []byte{typ, code, 0, 0, 0, 0, 0, 0}
	if v6 {
		h := make([]byte, 40)
		h[0] = 0x60
		binary.BigEndian.PutUint16(h[4:], uint16(len(req)))
		h[6], h[7] = unix.IPPROTO_ICMPV6, 64
		copy(h[8:], icmpLo6.AsSlice())
		copy(h[24:], icmpLo6.AsSlice())
		b = append(b, h...)
	} else {
		b = append(b, icmpIPv4Of(icmpLo4, icmpLo4, unix.IPPROTO_ICMP, len(req))...)
	}
	return icmpOut{msg: append(b, req...)}
}

func icmpIPv4Of(src, dst netip.Addr, proto uint8, payload int) []byte {
	h := []byte{0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, proto, 0, 0}
	binary.BigEndian.PutUint16(h[2:], uint16(20+payload))
	h = append(append(h, src.AsSlice()...), dst.AsSlice()...)
	binary.BigEndian.PutUint16(h[10:], icmpChecksum(h))
	return h
}

func icmpTarget(v6 bool) (Target, string) {
	if v6 {
		return Target{Addr: icmpLo6}, "::1"
	}
	return Target{Addr: icmpLo4}, "127.0.0.1"
}

// TestICMPDgram: with ping sockets allowed, the check uses them.
func TestICMPDgram(t *testing.T) {
	t.Parallel()
	icmpNetns(t, false, icmpSysctls(false), func() {
		for _, v6 := range []bool{false, true} {
			tg, _ := icmpTarget(v6)
			c := &ICMP{Target: tg}
			probeWant(t, c.check(probeCtx(t, 2*time.Second), icmpDgram), "")
			probeWant(t, c.check(probeCtx(t, 2*time.Second), icmpRaw), "")
			probeWant(t, c.Check(probeCtx(t, 2*time.Second)), "")
			f, raw, err := icmpOpen(v6, icmpAny)
			if err != nil || raw {
				t.Errorf("v6=%v: icmpOpen chose raw=%v, err %v; want a ping socket", v6, raw, err)
			}
			if f != nil {
				f.Close()
			}
		}
	})
}

// TestICMPNoPingSockets: outside ping_group_range a datagram socket is
// refused and the check falls back on a raw one.
func TestICMPNoPingSockets(t *testing.T) {
	t.Parallel()
	icmpNetns(t, false, map[string]string{"net/ipv4/ping_group_range": "1 0"}, func() {
		_, _, err := icmpOpen(false, icmpDgram)
		probeWant(t, err, "socket: permission denied")
		f, raw, err := icmpOpen(false, icmpAny)
		if err != nil || !raw {
			t.Errorf("icmpOpen chose raw=%v, err %v; want a raw socket", raw, err)
		}
		if f != nil {
			f.Close()
		}
		probeWant(t, (&ICMP{Target: Target{Addr: icmpLo4}}).Check(probeCtx(t, 2*time.Second)), "")
	})
}

func TestICMPTimedOut(t *testing.T) {
	icmpEach(t, icmpSysctls(true), func(t testing.TB, v6 bool, kind icmpSocket) {
		tg, host := icmpTarget(v6)
		start := time.Now()
		probeWant(t, (&ICMP{Target: tg}).check(probeCtx(t, 150*time.Millisecond), kind), "PING "+host+" timed out")
		if el := time.Since(start); el < 150*time.Millisecond || el > time.Second {
			t.Errorf("took %v with a deadline of 150ms", el)
		}
	})
}

func TestICMPCancel(t *testing.T) {
	t.Parallel()
	icmpNetns(t, false, icmpSysctls(true), func() {
		for _, k := range icmpKinds {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			time.AfterFunc(50*time.Millisecond, cancel)
			start := time.Now()
			probeWant(t, (&ICMP{Target: Target{Addr: icmpLo4}}).check(ctx, k.kind), "PING 127.0.0.1 failed: context canceled")
			if el := time.Since(start); el > time.Second {
				t.Errorf("%s: took %v after the cancel", k.name, el)
			}
		}
	})
}

// TestICMPUnreachable: with lo down nothing routes to the loopback
// addresses; the kernel refuses the send.
func TestICMPUnreachable(t *testing.T) {
	t.Parallel()
	icmpNetns(t, true, icmpSysctls(false), func() {
		for _, k := range icmpKinds {
			probeWant(t, (&ICMP{Target: Target{Addr: icmpLo4}}).check(probeCtx(t, time.Second), k.kind),
				"PING 127.0.0.1 failed: sendto: network is unreachable")
			probeWant(t, (&ICMP{Target: Target{Addr: icmpLo6}}).check(probeCtx(t, time.Second), k.kind),
				"PING ::1 failed: sendto: cannot assign requested address")
		}
	})
}

// TestICMPAnswered: an ICMP error quoting the request fails the check
// with its type and code, through the raw socket's reads and through
// the datagram socket's error queue.
func TestICMPAnswered(t *testing.T) {
	icmpEach(t, icmpSysctls(true), func(t testing.TB, v6 bool, kind icmpSocket) {
		tg, host := icmpTarget(v6)
		errs := [][2]uint8{{3, 1}, {11, 0}}
		if v6 {
			errs = [][2]uint8{{1, 3}, {3, 0}}
		}
		for _, e := range errs {
			stop := icmpRespond(t, v6, func(req []byte) []icmpOut {
				return []icmpOut{icmpErrorOf(v6, e[0], e[1], req)}
			})
			err := (&ICMP{Target: tg}).check(probeCtx(t, 2*time.Second), kind)
			probeWant(t, err, fmt.Sprintf("PING %s answered %d/%d", host, e[0], e[1]))
			stop()
		}
	})
}

// TestICMPIgnored: replies and errors that are not about this request
// do not decide the check: it waits on for its own reply, and times out
// without one.
func TestICMPIgnored(t *testing.T) {
	icmpEach(t, icmpSysctls(true), func(t testing.TB, v6 bool, kind icmpSocket) {
		tg, host := icmpTarget(v6)
		unreach := uint8(3)
		if v6 {
			unreach = 1
		}
		strays := func(req []byte) []icmpOut {
			out := []icmpOut{
				icmpEchoOf(v6, req, func(b []byte) []byte { b[4]++; return b }),     // another id
				icmpEchoOf(v6, req, func(b []byte) []byte { b[7]++; return b }),     // another sequence
				icmpEchoOf(v6, req, func(b []byte) []byte { b[20] ^= 1; return b }), // another token
				icmpEchoOf(v6, req, func(b []byte) []byte { return b[:len(b)-1] }),  // a byte short
				icmpEchoOf(v6, req, func(b []byte) []byte { return append(b, 0) }),  // a byte long
				icmpEchoOf(v6, req, func(b []byte) []byte { b[1] = 1; return b }),   // code not 0
				icmpErrorOf(v6, unreach, 1, icmpOtherSeq(req)),                      // unreachable, about another
			}
			if !v6 {
				aside := icmpEchoOf(v6, req, nil)
				aside.aside = true // from 127.0.0.2
				out = append(out, aside, icmpErrorOf(v6, 5, 1, req))
			}
			return out
		}
		for _, answer := range []bool{true, false} {
			stop := icmpRespond(t, v6, func(req []byte) []icmpOut {
				out := strays(req)
				if answer {
					out = append(out, icmpEchoOf(v6, req, nil))
				}
				return out
			})
			want := ""
			if !answer {
				want = "PING " + host + " timed out"
			}
			probeWant(t, (&ICMP{Target: tg}).check(probeCtx(t, 200*time.Millisecond), kind), want)
			if got := len(stop()); got != 1 {
				t.Errorf("the responder got %d requests, want 1", got)
			}
		}
	})
}

func icmpOtherSeq(req []byte) []byte {
	b := bytes.Clone(req)
	b[7]++
	return b
}

// TestICMPRequests looks at the requests: 56 bytes of data that change
// from check to check, the sequence number counting the checks, and on
// IPv4 a valid checksum.
func TestICMPRequests(t *testing.T) {
	icmpEach(t, icmpSysctls(true), func(t testing.TB, v6 bool, kind icmpSocket) {
		tg, _ := icmpTarget(v6)
		stop := icmpRespond(t, v6, func(req []byte) []icmpOut { return []icmpOut{icmpEchoOf(v6, req, nil)} })
		c := &ICMP{Target: tg}
		for range 3 {
			probeWant(t, c.check(probeCtx(t, 2*time.Second), kind), "")
		}
		reqs := stop()
		if len(reqs) != 3 {
			t.Errorf("the responder got %d requests, want 3", len(reqs))
			return
		}
		for i, r := range reqs {
			if len(r) != 8+56 || r[1] != 0 {
				t.Errorf("request %d: % x", i, r)
				continue
			}
			if seq := binary.BigEndian.Uint16(r[6:]); seq != uint16(i+1) {
				t.Errorf("request %d: sequence %d, want %d", i, seq, i+1)
			}
			if !v6 && icmpChecksum(r) != 0 {
				t.Errorf("request %d: bad checksum", i)
			}
			if i > 0 && bytes.Equal(r[8:], reqs[i-1][8:]) {
				t.Errorf("requests %d and %d carry the same data", i-1, i)
			}
		}
	})
}

func TestICMPNoLeak(t *testing.T) {
	t.Parallel()
	icmpNetns(t, false, icmpSysctls(false), func() {
		before := probeFDs(t)
		for _, k := range icmpKinds {
			c := &ICMP{Target: Target{Addr: icmpLo4}}
			for range 10 {
				probeWant(t, c.check(probeCtx(t, time.Second), k.kind), "")
			}
		}
		probeNoLeak(t, before)
	})
}

// icmpProbeFor is a probe as check makes it, for judging bytes.
func icmpProbeFor(v6, raw bool) *icmpProbe {
	p := &icmpProbe{target: icmpLo4, v6: v6, raw: raw, id: 0x1234, seq: 7, data: make([]byte, 56)}
	if v6 {
		p.target = icmpLo6
	}
	for i := range p.data {
		p.data[i] = byte(i * 7)
	}
	return p
}

// icmpRead is msg as a socket of p's kind reads it: after an IPv4
// header on a raw IPv4 socket.
func icmpRead(p *icmpProbe, msg []byte, src netip.Addr) []byte {
	msg = bytes.Clone(msg)
	if !p.v6 {
		binary.BigEndian.PutUint16(msg[2:], 0)
		binary.BigEndian.PutUint16(msg[2:], icmpChecksum(msg))
	}
	if p.raw && !p.v6 {
		return append(icmpIPv4Of(src, icmpLo4, unix.IPPROTO_ICMP, len(msg)), msg...)
	}
	return msg
}

func TestICMPJudge(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		for _, raw := range []bool{false, true} {
			p := icmpProbeFor(v6, raw)
			tgt := p.target
			req := p.request()
			echo := icmpEchoOf(v6, req, nil).msg
			edit := func(f func([]byte) []byte) []byte { return f(bytes.Clone(echo)) }
			unreachT, unreachC := uint8(3), uint8(13)
			if v6 {
				unreachT, unreachC = 1, 1
			}
			type tc struct {
				name       string
				b          []byte
				from       netip.Addr
				want       icmpVerdict
				typ, code  uint8
				skipLayout bool // b is as read already
			}
			cases := []tc{
				{name: "echo", b: echo, from: tgt, want: icmpEchoed},
				{name: "request", b: req, from: tgt, want: icmpIgnored},
				{name: "other seq", b: edit(func(b []byte) []byte { b[7]++; return b }), from: tgt, want: icmpIgnored},
				{name: "other token", b: edit(func(b []byte) []byte { b[63] ^= 0x80; return b }), from: tgt, want: icmpIgnored},
				{name: "no data", b: echo[:8], from: tgt, want: icmpIgnored},
				{name: "code 1", b: edit(func(b []byte) []byte { b[1] = 1; return b }), from: tgt, want: icmpIgnored},
				{name: "from elsewhere", b: echo, from: netip.MustParseAddr("192.0.2.1"), want: icmpIgnored},
				{name: "unreachable", b: icmpErrorOf(v6, unreachT, unreachC, req).msg, from: netip.MustParseAddr("192.0.2.1"), want: icmpAnswered, typ: unreachT, code: unreachC},
				{name: "unreachable quoting 8 bytes", b: icmpErrorOf(v6, unreachT, 0, req[:8]).msg, from: tgt, want: icmpAnswered, typ: unreachT},
				{name: "unreachable quoting 7 bytes", b: icmpErrorOf(v6, unreachT, 0, req[:7]).msg, from: tgt, want: icmpIgnored},
				{name: "unreachable about another seq", b: icmpErrorOf(v6, unreachT, 0, icmpOtherSeq(req)).msg, from: tgt, want: icmpIgnored},
				{name: "unreachable about a reply", b: icmpErrorOf(v6, unreachT, 0, echo).msg, from: tgt, want: icmpIgnored},
				{name: "empty", b: []byte{}, from: tgt, want: icmpIgnored, skipLayout: true},
				{name: "garbage", b: []byte("0123456789abcdefghijklmnopqrstuvwxyz"), from: tgt, want: icmpIgnored, skipLayout: true},
			}
			if v6 {
				cases = append(cases,
					tc{name: "too big", b: icmpErrorOf(v6, 2, 0, req).msg, from: tgt, want: icmpAnswered, typ: 2},
					tc{name: "neighbour solicitation", b: []byte{135, 0, 0, 0, 0, 0, 0, 0}, from: tgt, want: icmpIgnored},
				)
			} else {
				other := icmpErrorOf(v6, 3, 1, req).msg
				copy(other[8+16:], icmpLo4b.AsSlice()) // quoted destination
				cases = append(cases,
					tc{name: "time exceeded", b: icmpErrorOf(v6, 11, 0, req).msg, from: tgt, want: icmpAnswered, typ: 11},
					tc{name: "parameter problem", b: icmpErrorOf(v6, 12, 0, req).msg, from: tgt, want: icmpAnswered, typ: 12},
					tc{name: "redirect", b: icmpErrorOf(v6, 5, 1, req).msg, from: tgt, want: icmpIgnored},
					tc{name: "source quench", b: icmpErrorOf(v6, 4, 0, req).msg, from: tgt, want: icmpIgnored},
					tc{name: "unreachable about another host", b: other, from: tgt, want: icmpIgnored},
				)
			}
			otherID := tc{name: "other id", b: edit(func(b []byte) []byte { b[4]++; return b }), from: tgt, want: icmpIgnored}
			if !raw {
				otherID.want = icmpEchoed // the kernel's id, which the kernel checked
			}
			cases = append(cases, otherID)
			for _, c := range cases {
				b := c.b
				if !c.skipLayout {
					b = icmpRead(p, b, c.from)
				}
				v, typ, code := p.judge(b, c.from)
				if v != c.want || typ != c.typ || code != c.code {
					t.Errorf("v6=%v raw=%v %s: got %d %d/%d, want %d %d/%d", v6, raw, c.name, v, typ, code, c.want, c.typ, c.code)
				}
			}
			if raw && !v6 {
				bad := icmpRead(p, echo, tgt)
				bad[len(bad)-1] ^= 1
				if v, _, _ := p.judge(bad, tgt); v != icmpIgnored {
					t.Errorf("bad checksum: got %d", v)
				}
				short := icmpRead(p, echo, tgt)
				short[0] = 0x44 // IHL 16 bytes
				if v, _, _ := p.judge(short, tgt); v != icmpIgnored {
					t.Errorf("bad IHL: got %d", v)
				}
			}
		}
	}
}

// icmpErrQueued is a control message as recvmsg(MSG_ERRQUEUE) gives it.
func icmpErrQueued(v6 bool, errno unix.Errno, origin, typ, code uint8) []byte {
	data := make([]byte, 16)
	binary.NativeEndian.PutUint32(data, uint32(errno))
	data[4], data[5], data[6] = origin, typ, code
	b := make([]byte, unix.CmsgSpace(len(data)))
	h := (*unix.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level, h.Type = unix.SOL_IP, unix.IP_RECVERR
	if v6 {
		h.Level, h.Type = unix.SOL_IPV6, unix.IPV6_RECVERR
	}
	h.SetLen(unix.CmsgLen(len(data)))
	copy(b[unix.CmsgLen(0):], data)
	return b
}

func TestICMPJudgeQueued(t *testing.T) {
	for _, v6 := range []bool{false, true} {
		p := icmpProbeFor(v6, false)
		req := p.request()
		origin, typ := uint8(unix.SO_EE_ORIGIN_ICMP), uint8(3)
		if v6 {
			origin, typ = unix.SO_EE_ORIGIN_ICMP6, 1
		}
		for _, c := range []struct {
			name  string
			b     []byte
			oob   []byte
			want  icmpVerdict
			typ   uint8
			errno unix.Errno
		}{
			{"unreachable", req, icmpErrQueued(v6, unix.EHOSTUNREACH, origin, typ, 1), icmpAnswered, typ, 0},
			{"unreachable, header only", req[:8], icmpErrQueued(v6, unix.EHOSTUNREACH, origin, typ, 1), icmpAnswered, typ, 0},
			{"about another seq", icmpOtherSeq(req), icmpErrQueued(v6, unix.EHOSTUNREACH, origin, typ, 1), icmpIgnored, 0, 0},
			{"about a reply", icmpEchoOf(v6, req, nil).msg, icmpErrQueued(v6, unix.EHOSTUNREACH, origin, typ, 1), icmpIgnored, 0, 0},
			{"nothing quoted", nil, icmpErrQueued(v6, unix.EHOSTUNREACH, origin, typ, 1), icmpIgnored, 0, 0},
			{"other family", req, icmpErrQueued(v6, unix.EHOSTUNREACH, 5-origin, typ, 1), icmpIgnored, 0, 0},
			{"not an error type", req, icmpErrQueued(v6, unix.EREMOTEIO, origin, 5, 1), icmpIgnored, 0, 0},
			{"local", nil, icmpErrQueued(v6, unix.EMSGSIZE, unix.SO_EE_ORIGIN_LOCAL, 0, 0), icmpLocalError, 0, unix.EMSGSIZE},
			{"no control message", req, nil, icmpIgnored, 0, 0},
			{"cut control message", req, icmpErrQueued(v6, unix.EHOSTUNREACH, origin, typ, 1)[:20], icmpIgnored, 0, 0},
		} {
			v, typ, code, errno := p.judgeQueued(c.b, c.oob)
			if v != c.want || typ != c.typ || errno != c.errno || (v == icmpAnswered && code != 1) {
				t.Errorf("v6=%v %s: got %d %d/%d %v, want %d %d %v", v6, c.name, v, typ, code, errno, c.want, c.typ, c.errno)
			}
		}
	}
}

func TestICMPChecksum(t *testing.T) {
	// RFC 1071's example, and a message that checks to zero.
	if got := icmpChecksum([]byte{0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7}); got != ^uint16(0xddf2) {
		t.Errorf("got %#04x, want %#04x", got, ^uint16(0xddf2))
	}
	p := icmpProbeFor(false, true)
	if icmpChecksum(p.request()) != 0 {
		t.Error("the request does not check")
	}
	p.data = p.data[:55] // odd length
	if icmpChecksum(p.request()) != 0 {
		t.Error("an odd request does not check")
	}
}

func FuzzICMPJudge(f *testing.F) {
	for _, v6 := range []bool{false, true} {
		for _, raw := range []bool{false, true} {
			p := icmpProbeFor(v6, raw)
			f.Add(v6, raw, icmpRead(p, icmpEchoOf(v6, p.request(), nil).msg, p.target))
			f.Add(v6, raw, icmpRead(p, icmpErrorOf(v6, 3, 1, p.request()).msg, p.target))
		}
	}
	f.Fuzz(func(t *testing.T, v6, raw bool, b []byte) {
		p := icmpProbeFor(v6, raw)
		v, typ, _ := p.judge(b, p.target)
		switch v {
		case icmpEchoed:
			if !bytes.Contains(b, p.data) {
				t.Errorf("echoed without the token: % x", b)
			}
		case icmpAnswered:
			if !icmpIsError(v6, typ) {
				t.Errorf("answered with type %d", typ)
			}
		case icmpIgnored:
		default:
			t.Errorf("verdict %d", v)
		}
		// The error queue's parser takes the same bytes as control
		// messages.
		if v, _, _, _ := p.judgeQueued(b, b); v == icmpEchoed {
			t.Errorf("an error queue entry taken for the echo")
		}
	})
}
