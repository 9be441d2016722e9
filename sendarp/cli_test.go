package sendarp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"
)

func TestParseHW(t *testing.T) {
	want := net.HardwareAddr{0x00, 0x11, 0x22, 0xaa, 0xbb, 0xcc}
	for _, tc := range []struct {
		in string
		ok bool
	}{
		{"00:11:22:aa:bb:cc", true},
		{"001122aabbcc", true},
		{"001122AABBCC", true}, // as pulse passes its MAC
		{"00:1122:aa:bbcc", true},
		{"00:11:22:aa:bb:cc:", true},
		{"00:11:22:aa:bb:ccdd", true},        // extra characters ignored
		{"00:11:22:aa:bb:cc and more", true}, // likewise
		{"00:11:22:aa:bb:cc\x00ff", true},    // a C string ends at NUL
		{"00:11:22:aa:bb", false},            // five octets
		{"00:11:22:aa:bb:c", false},          // half an octet
		{"0:11:22:aa:bb:cc", false},          // octets are two digits
		{"00::11:22:aa:bb:cc", false},        // one colon at most
		{"00-11-22-aa-bb-cc", false},         // dashes are not colons
		{"00:11:22:aa:bb:cg", false},
		{"", false},
		{"00:11:22\x00:aa:bb:cc", false},
		{"ｆｆ:11:22:aa:bb:cc", false}, // bytes, not runes
	} {
		got, ok := parseHW(tc.in)
		if ok != tc.ok || ok && !bytes.Equal(got, want) {
			t.Errorf("parseHW(%q) = %v, %v; want ok %v", tc.in, got, ok, tc.ok)
		}
	}
	if hw, ok := parseHW("ffffffffffff"); !ok || !bytes.Equal(hw, broadcast) {
		t.Errorf("ffffffffffff: %v %v", hw, ok)
	}
}

func TestParseArgs(t *testing.T) {
	def := invocation{dev: "eth0", count: 1, interval: time.Second, style: Reply,
		srcIP: "a", srcHW: "b", targIP: "c", targHW: "d"}
	with := func(f func(*invocation)) invocation {
		inv := def
		f(&inv)
		return inv
	}
	for _, tc := range []struct {
		args []string
		want invocation
		err  string // "usage" for Piranha's usage text
	}{
		{[]string{"a", "b", "c", "d"}, def, ""},
		{[]string{"-i", "eth1", "a", "b", "c", "d"}, with(func(i *invocation) { i.dev = "eth1" }), ""},
		{[]string{"-i", "eth1:3", "a", "b", "c", "d"}, with(func(i *invocation) { i.dev = "eth1" }), ""},
		{[]string{"--count", "5", "--interval", "250ms", "--style", "request", "-i", "v0", "a", "b", "c", "d"},
			with(func(i *invocation) { i.dev, i.count, i.interval, i.style = "v0", 5, 250*time.Millisecond, Request }), ""},
		{[]string{"-i", "v0", "--count=5", "--interval=0.5", "--style=reply", "a", "b", "c", "d"},
			with(func(i *invocation) { i.dev, i.count, i.interval = "v0", 5, 500*time.Millisecond }), ""},
		{[]string{"--interval", "0", "a", "b", "c", "d"}, with(func(i *invocation) { i.interval = 0 }), ""},
		{[]string{"--interval", "2", "a", "b", "c", "d"}, with(func(i *invocation) { i.interval = 2 * time.Second }), ""},
		{[]string{"--", "a", "b", "c", "d"}, def, ""},
		{[]string{"--count", "2", "--count", "3", "a", "b", "c", "d"}, with(func(i *invocation) { i.count = 3 }), ""},
		// Positionals are positional, whatever they look like.
		{[]string{"a", "b", "c", "--count"}, with(func(i *invocation) { i.targHW = "--count" }), ""},

		// Piranha's wrong shapes.
		{nil, invocation{}, "usage"},
		{[]string{"a", "b", "c"}, invocation{}, "usage"},
		{[]string{"a", "b", "c", "d", "e"}, invocation{}, "usage"},
		{[]string{"-i"}, invocation{}, "usage"},
		{[]string{"-i", "eth0"}, invocation{}, "usage"},
		{[]string{"-i", "eth0", "a", "b", "c"}, invocation{}, "usage"},
		{[]string{"-i", "eth0", "-i", "eth1", "a", "b", "c", "d"}, invocation{}, "usage"},
		{[]string{"a", "b", "c", "d", "-i", "eth0"}, invocation{}, "usage"}, // -i must come first
		{[]string{"-x", "a", "b", "c", "d"}, invocation{}, "usage"},
		{[]string{"-i=eth0", "a", "b", "c", "d"}, invocation{}, "usage"},
		{[]string{"-count", "3", "a", "b", "c", "d"}, invocation{}, "usage"},
		{[]string{"-h"}, invocation{}, "usage"},

		// lvskit's options.
		{[]string{"--help"}, with(func(i *invocation) { i.help, i.srcIP, i.srcHW, i.targIP, i.targHW = true, "", "", "", "" }), ""},
		{[]string{"--version", "x"}, with(func(i *invocation) { i.version, i.srcIP, i.srcHW, i.targIP, i.targHW = true, "", "", "", "" }), ""},
		{[]string{"--cont", "3", "a", "b", "c", "d"}, invocation{}, "bad argument --cont: unknown option"},
		{[]string{"--i", "eth0", "a", "b", "c", "d"}, invocation{}, "bad argument --i: unknown option"},
		{[]string{"--count"}, invocation{}, "bad argument --count: missing argument"},
		{[]string{"--help=yes"}, invocation{}, "bad argument --help: takes no value"},
		{[]string{"--count", "0", "a", "b", "c", "d"}, invocation{}, `bad argument --count: "0" is not a whole number from 1 to 31622400`},
		{[]string{"--count", "x", "a", "b", "c", "d"}, invocation{}, `bad argument --count: "x" is not a whole number from 1 to 31622400`},
		{[]string{"--interval", "-1s", "a", "b", "c", "d"}, invocation{}, `bad argument --interval: "-1s" is not a duration from 0 to 24h0m0s (1s, 250ms, or seconds)`},
		{[]string{"--interval", "NaN", "a", "b", "c", "d"}, invocation{}, `bad argument --interval: "NaN" is not a duration from 0 to 24h0m0s (1s, 250ms, or seconds)`},
		{[]string{"--interval", "25h", "a", "b", "c", "d"}, invocation{}, `bad argument --interval: "25h" is not a duration from 0 to 24h0m0s (1s, 250ms, or seconds)`},
		{[]string{"--interval", "1e300", "a", "b", "c", "d"}, invocation{}, `bad argument --interval: "1e300" is not a duration from 0 to 24h0m0s (1s, 250ms, or seconds)`},
		{[]string{"--style", "both", "a", "b", "c", "d"}, invocation{}, `bad argument --style: unknown ARP style "both" (want reply or request)`},
	} {
		got, err := parseArgs(tc.args)
		switch {
		case tc.err == "usage":
			if !errors.Is(err, errShape) {
				t.Errorf("%q: %v, want the usage text", tc.args, err)
			}
		case tc.err != "":
			if err == nil || err.Error() != tc.err {
				t.Errorf("%q: error %v, want %q", tc.args, err, tc.err)
			}
		case err != nil:
			t.Errorf("%q: %v", tc.args, err)
		case !reflect.DeepEqual(got, tc.want):
			t.Errorf("%q:\n got %+v\nwant %+v", tc.args, got, tc.want)
		}
	}
}

func TestResolve(t *testing.T) {
	lookups := 0
	e := &Env{LookupHost: func(_ context.Context, host string) ([]netip.Addr, error) {
		lookups++
		switch host {
		case "vip.lab":
			return []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("10.0.0.1")}, nil
		case "vip6.lab":
			return []netip.Addr{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::2")}, nil
		case "mapped.lab":
			return []netip.Addr{netip.MustParseAddr("::ffff:10.0.0.3")}, nil
		case "empty.lab":
			return nil, nil
		}
		return nil, errors.New("no such host")
	}}
	for _, tc := range []struct {
		in, want string // want "" for unknown host
		lookup   bool
	}{
		{"10.0.0.1", "10.0.0.1", false},
		{"10.1", "10.0.0.1", false},         // inet_aton's short form
		{"0x0a.0.0.010", "10.0.0.8", false}, // hex and octal parts
		{"167772161", "10.0.0.1", false},
		{"255.255.255.255", "255.255.255.255", false},
		{"2001:db8::10", "2001:db8::10", false},
		{"fe80::1%eth0", "fe80::1", false},
		{"::ffff:10.0.0.1", "10.0.0.1", false},
		{"vip.lab", "10.0.0.1", true}, // IPv4 first, as gethostbyname
		{"vip6.lab", "2001:db8::1", true},
		{"mapped.lab", "10.0.0.3", true},
		{"empty.lab", "", true},
		{"nosuch.lab", "", true},
		{"10.0.0.256", "", true}, // not numeric, so a name, which fails
		{"", "", false},
	} {
		before := lookups
		got, ok := e.resolve(context.Background(), tc.in)
		if tc.want == "" && ok || tc.want != "" && (!ok || got != netip.MustParseAddr(tc.want)) {
			t.Errorf("resolve(%q) = %v, %v; want %q", tc.in, got, ok, tc.want)
		}
		if looked := lookups > before; looked != tc.lookup {
			t.Errorf("resolve(%q) looked the name up: %v", tc.in, looked)
		}
	}
}

func TestStrerror(t *testing.T) {
	for errno, want := range map[syscall.Errno]string{
		syscall.EPERM:    "Operation not permitted",
		syscall.ENETDOWN: "Network is down",
		syscall.ENODEV:   "No such device",
		syscall.ENXIO:    "No such device or address",
		syscall.EMSGSIZE: "Message too long",
	} {
		if got := strerror(errno); got != want {
			t.Errorf("strerror(%d) = %q, want glibc's %q", errno, got, want)
		}
	}
}

// fakeOpen records the frames send_arp sends, or fails as told.
type fakeOpen struct {
	dev     string
	frames  [][]byte
	openErr error
	sendErr error
	closed  bool
}

func (f *fakeOpen) open(name string) (FrameSender, error) {
	f.dev = name
	if f.openErr != nil {
		return nil, f.openErr
	}
	return f, nil
}

func (f *fakeOpen) Send(frame []byte) error {
	if f.sendErr != nil {
		return f.sendErr
	}
	f.frames = append(f.frames, frame)
	return nil
}

func (f *fakeOpen) Close() error { f.closed = true; return nil }

func TestRun(t *testing.T) {
	lookup := func(_ context.Context, host string) ([]netip.Addr, error) {
		if host == "vip1.lab" {
			return []netip.Addr{netip.MustParseAddr("10.0.0.1")}, nil
		}
		return nil, errors.New("no such host")
	}
	piranha, _ := PiranhaFrame(netip.MustParseAddr("10.0.0.1"), net.HardwareAddr{0, 0x11, 0x22, 0x33, 0x44, 0x55}, broadcast)
	request, _ := ARPFrame(Request, net.HardwareAddr{0, 0x11, 0x22, 0x33, 0x44, 0x55}, netip.MustParseAddr("10.0.0.1"), broadcast)
	sendtoDown := &net.OpError{Op: "write", Err: os.NewSyscallError("sendto", syscall.ENETDOWN)}
	for _, tc := range []struct {
		name       string
		args       string
		open       fakeOpen
		status     int
		stdout     string
		stderr     string
		dev        string
		frames     [][]byte
		notOpened  bool
		skipClosed bool
	}{
		{name: "pulse's call", args: "-i eth1 10.0.0.1 001122334455 10.0.0.255 ffffffffffff",
			dev: "eth1", frames: [][]byte{piranha}},
		{name: "host name, default device, three frames", args: "--count 3 --interval 0 vip1.lab 00:11:22:33:44:55 whatever ff:ff:ff:ff:ff:ff",
			dev: "eth0", frames: [][]byte{piranha, piranha, piranha}},
		{name: "request style", args: "--style request --interval 0 10.0.0.1 001122334455 x ffffffffffff",
			dev: "eth0", frames: [][]byte{request}},
		{name: "IPv6", args: "-i v0 2001:db8::10 020000005a01 :: ffffffffffff",
			dev: "v0", frames: [][]byte{goldenNA}},
		{name: "usage", args: "10.0.0.1 001122334455 10.0.0.255", status: 1, stderr: usageText, notOpened: true},
		{name: "help", args: "--help", stdout: helpText, notOpened: true},
		{name: "bad targ_hw first", args: "nosuch.lab 00112233445 10.0.0.255 ffffffffff", status: 1,
			stderr: "Invalid hardware address\n", notOpened: true},
		{name: "bad src_hw", args: "nosuch.lab 00112233445 10.0.0.255 ffffffffffff", status: 1,
			stderr: "Invalid hardware address\n", notOpened: true},
		{name: "unknown host", args: "nosuch.lab 001122334455 10.0.0.255 ffffffffffff", status: 1,
			stderr: "send_arp: unknown host nosuch.lab\n", notOpened: true},
		{name: "targ_ip is never read", args: "10.0.0.1 001122334455 nosuch.lab ffffffffffff", dev: "eth0", frames: [][]byte{piranha}},
		{name: "IPv6 multicast", args: "ff02::1 001122334455 x ffffffffffff", status: 1,
			stderr: "send_arp: neighbor advertisement for ff02::1: address cannot be announced\n", notOpened: true},
		{name: "socket fails", args: "10.0.0.1 001122334455 x ffffffffffff", open: fakeOpen{openErr: os.NewSyscallError("socket", syscall.EPERM)},
			status: 1, stderr: "socket: Operation not permitted\n", dev: "eth0", skipClosed: true},
		{name: "no such interface", args: "-i eth9 10.0.0.1 001122334455 x ffffffffffff", open: fakeOpen{openErr: errors.Join(errors.New("sendarp: eth9"), syscall.ENODEV)},
			status: 1, stderr: "send_arp: eth9: No such device\n", dev: "eth9", skipClosed: true},
		{name: "sendto fails", args: "10.0.0.1 001122334455 x ffffffffffff", open: fakeOpen{sendErr: sendtoDown},
			status: 1, stderr: "sendto: Network is down\n", dev: "eth0"},
		{name: "other open error", args: "10.0.0.1 001122334455 x ffffffffffff", open: fakeOpen{openErr: errors.New("sendarp: eth0: strange")},
			status: 1, stderr: "send_arp: sendarp: eth0: strange\n", dev: "eth0", skipClosed: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			f := tc.open
			e := &Env{Stdout: &stdout, Stderr: &stderr, LookupHost: lookup, Open: f.open}
			status := e.Run(append([]string{"send_arp"}, strings.Fields(tc.args)...))
			if status != tc.status || stdout.String() != tc.stdout || stderr.String() != tc.stderr {
				t.Errorf("status %d, want %d\nstdout %q\nwant   %q\nstderr %q\nwant   %q", status, tc.status, stdout.String(), tc.stdout, stderr.String(), tc.stderr)
			}
			if tc.notOpened {
				if f.dev != "" {
					t.Errorf("opened %s", f.dev)
				}
				return
			}
			if f.dev != tc.dev {
				t.Errorf("opened %q, want %q", f.dev, tc.dev)
			}
			if !reflect.DeepEqual(f.frames, tc.frames) {
				t.Errorf("frames\n got %x\nwant %x", f.frames, tc.frames)
			}
			if !tc.skipClosed && !f.closed {
				t.Error("not closed")
			}
		})
	}
}

func TestVersion(t *testing.T) {
	var stdout bytes.Buffer
	e := &Env{Stdout: &stdout, Stderr: &stdout}
	if st := e.Run([]string{"send_arp", "--version"}); st != 0 || !strings.HasPrefix(stdout.String(), "send_arp ") || !strings.HasSuffix(stdout.String(), " (lvskit)\n") {
		t.Errorf("--version: %d %q", st, stdout.String())
	}
}
