package sendarp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/netip"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"
	"time"

	"lvskit/internal/lvsconf"
)

// Output rules: Piranha's texts go to stderr byte for byte (the usage
// text, "send_arp: unknown host X", "Invalid hardware address", and
// perror's "sendto: Network is down"); lvskit's own errors say
// "send_arp: " first, like Piranha's own messages; --help and --version
// write to stdout. A successful send prints nothing.

// Exit statuses (send_arp(8)).
const (
	exitOK   = 0 // every frame was sent; --help, --version
	exitFail = 1 // a bad command line or argument, or a failed send
)

// usageText is Piranha's usage message, with the final newline its die()
// adds: it misspells targ_hw_addr, and operators' scripts may match it.
const usageText = "send_arp: sends out custom ARP packet. Yuri Volobuev '97\n" +
	"\tusage: send_arp [-i dev] src_ip_addr src_hw_addr targ_ip_addr tar_hw_addr\n\n\n"

// helpText is what --help prints.
const helpText = `Usage: send_arp [lvskit options] [-i dev] src_ip_addr src_hw_addr targ_ip_addr targ_hw_addr

Announce that src_ip_addr is at the MAC address src_hw_addr: a gratuitous
ARP for an IPv4 address, an unsolicited neighbor advertisement for an IPv6
one, sent on dev (default eth0). An IPv4 frame goes to the Ethernet address
targ_hw_addr (ffffffffffff: everyone); targ_ip_addr is ignored, as it was
by Piranha's send_arp. MAC addresses are 12 hex digits, colons optional.

Options:
  -i dev                  send on the interface dev (default eth0)
  --count N               send N frames (default 1)
  --interval DURATION     time between frames: 1s, 250ms, or seconds (default 1s)
  --style reply|request   reply: an ARP reply whose target is the sender, as
                          Piranha sent (default); request: an RFC 5227
                          announcement
  --help                  print this help
  --version               print the version

See send_arp(8).
`

// defaultDevice is Piranha's default interface.
const defaultDevice = "eth0"

// A FrameSender sends complete Ethernet frames on one interface; a
// *Sender is one.
type FrameSender interface {
	Send(frame []byte) error
	Close() error
}

// Env is what send_arp needs from the system; tests replace parts of it.
type Env struct {
	Stdout, Stderr io.Writer
	// LookupHost returns the addresses of a host name; addresses
	// written as numbers never reach it.
	LookupHost func(ctx context.Context, host string) ([]netip.Addr, error)
	// Open opens a FrameSender on the named interface.
	Open func(ifname string) (FrameSender, error)
}

// Main runs send_arp with the process's surroundings.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{
		Stdout: stdout,
		Stderr: stderr,
		LookupHost: func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		},
		Open: func(name string) (FrameSender, error) {
			ifi, err := InterfaceByName(name)
			if err != nil {
				return nil, err
			}
			return Open(ifi)
		},
	}
	return env.Run(args)
}

// Run runs send_arp with args (args[0] is the program name) and returns
// its exit status.
func (e *Env) Run(args []string) int {
	inv, err := parseArgs(args[1:])
	switch {
	case errors.Is(err, errShape):
		fmt.Fprint(e.Stderr, usageText)
		return exitFail
	case err != nil:
		fmt.Fprintf(e.Stderr, "send_arp: %v\n", err)
		return exitFail
	case inv.help:
		fmt.Fprint(e.Stdout, helpText)
		return exitOK
	case inv.version:
		fmt.Fprintf(e.Stdout, "send_arp %s (lvskit)\n", version())
		return exitOK
	}
	ctx := context.Background()

	// Piranha reads targ_hw_addr, then src_hw_addr, then src_ip_addr,
	// and never targ_ip_addr; with several bad arguments, the first
	// complaint is the same as Piranha's.
	targHW, ok := parseHW(inv.targHW)
	if !ok {
		fmt.Fprintln(e.Stderr, "Invalid hardware address")
		return exitFail
	}
	srcHW, ok := parseHW(inv.srcHW)
	if !ok {
		fmt.Fprintln(e.Stderr, "Invalid hardware address")
		return exitFail
	}
	ip, ok := e.resolve(ctx, inv.srcIP)
	if !ok {
		fmt.Fprintf(e.Stderr, "send_arp: unknown host %s\n", inv.srcIP)
		return exitFail
	}
	var frame []byte
	switch {
	case ip.Is6():
		// The advertisement goes to ff02::1, so its Ethernet
		// destination is that group's (33:33:00:00:00:01) whatever
		// targ_hw_addr says: a frame to another address would carry a
		// packet not meant for it (RFC 2464 §7).
		frame, err = NAFrame(srcHW, ip)
	case inv.style == Reply:
		frame, err = PiranhaFrame(ip, srcHW, targHW)
	default:
		frame, err = ARPFrame(inv.style, srcHW, ip, targHW)
	}
	if err != nil {
		fmt.Fprintf(e.Stderr, "send_arp: %v\n", err)
		return exitFail
	}

	s, err := e.Open(inv.dev)
	if err != nil {
		return e.fail(inv.dev, err)
	}
	err = repeat(ctx, inv.count, inv.interval, func() error { return s.Send(frame) })
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return e.fail(inv.dev, err)
	}
	return exitOK
}

// fail reports a failure to open or send. A failed system call is
// reported as Piranha's perror did, "sendto: Network is down", but
// naming the call that failed (AF_PACKET needs socket, setsockopt and
// bind where SOCK_PACKET needed socket alone); a missing interface,
// which Piranha's sendto reported as "sendto: No such device", as
// "send_arp: eth9: No such device".
func (e *Env) fail(dev string, err error) int {
	var se *os.SyscallError
	var errno syscall.Errno
	switch {
	case errors.As(err, &se) && errors.As(se.Err, &errno):
		fmt.Fprintf(e.Stderr, "%s: %s\n", se.Syscall, strerror(errno))
	case errors.As(err, &errno):
		fmt.Fprintf(e.Stderr, "send_arp: %s: %s\n", dev, strerror(errno))
	default:
		fmt.Fprintf(e.Stderr, "send_arp: %v\n", err)
	}
	return exitFail
}

// strerror is glibc's text for errno, which perror prints. Go's texts
// are glibc's with the first letter lowered.
func strerror(errno syscall.Errno) string {
	s := errno.Error()
	if s != "" && 'a' <= s[0] && s[0] <= 'z' {
		s = string(s[0]-'a'+'A') + s[1:]
	}
	return s
}

// resolve reads an IP argument: an IPv4 address in inet_aton syntax, as
// Piranha's inet_addr read it (10.1 is 10.0.0.1), or an IPv6 address
// (lvskit's addition; a zone is dropped), or else a host name, whose
// first IPv4 address is used as gethostbyname would, or failing that
// its first IPv6 address.
func (e *Env) resolve(ctx context.Context, host string) (netip.Addr, bool) {
	if a, ok := lvsconf.ParseInetAton(host); ok {
		return a, true
	}
	if a, err := netip.ParseAddr(host); err == nil {
		return a.WithZone("").Unmap(), true
	}
	if host == "" || e.LookupHost == nil {
		return netip.Addr{}, false
	}
	addrs, err := e.LookupHost(ctx, host)
	if err != nil {
		return netip.Addr{}, false
	}
	var v6 netip.Addr
	for _, a := range addrs {
		a = a.WithZone("").Unmap()
		if a.Is4() {
			return a, true
		}
		if !v6.IsValid() && a.Is6() {
			v6 = a
		}
	}
	return v6, v6.IsValid()
}

// parseHW reads a MAC address as Piranha's send_arp did: six octets of
// two hex digits each (either case), each octet optionally followed by
// one colon, so 00:11:22:33:44:55, 001122334455 and 00:1122:33:4455 are
// all the same address. Whatever follows the sixth octet is ignored.
// The text ends at a NUL byte, as a C string does.
func parseHW(s string) (net.HardwareAddr, bool) {
	if i := strings.IndexByte(s, 0); i >= 0 {
		s = s[:i]
	}
	hw := make(net.HardwareAddr, 6)
	for i := range hw {
		if len(s) < 2 {
			return nil, false
		}
		hi, lo := hexVal(s[0]), hexVal(s[1])
		if hi < 0 || lo < 0 {
			return nil, false
		}
		hw[i] = byte(hi<<4 | lo)
		s = s[2:]
		if s != "" && s[0] == ':' {
			s = s[1:]
		}
	}
	return hw, true
}

func hexVal(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// invocation is a parsed command line.
type invocation struct {
	dev                          string
	count                        int
	interval                     time.Duration
	style                        Style
	help, version                bool
	srcIP, srcHW, targIP, targHW string
}

// option is one of send_arp's options, as typed.
type option struct {
	name  string
	value bool // it takes a value
}

// options are send_arp's options: Piranha's -i, then lvskit's, which
// have long names only so that no short option can be read differently
// from Piranha.
var options = []option{
	{"-i", true},
	{"--count", true},
	{"--interval", true},
	{"--style", true},
	{"--help", false},
	{"--version", false},
}

// errShape is a command line of the wrong shape, answered with
// Piranha's usage text.
var errShape = errors.New("usage")

// maxCount bounds --count: a year of frames a second.
const maxCount = 366 * 24 * 3600

// parseArgs reads the arguments after the program name.
//
// Piranha's grammar is "[-i dev] a b c d": exactly four words, or "-i"
// and a device first and then four words. lvskit adds long options in
// front of the four words, in any order with -i. The parsing is by hand
// because neither urfave/cli nor the flag package it is built on keeps
// that grammar: both take "-i=eth0", "-count 3" and "--i eth0", which
// Piranha reads as positional arguments, both would answer a wrong
// argument count with their own usage text instead of Piranha's, and
// urfave adds -h and a help command; and the grammar is small.
//
// Words are options while they look like one: "-i" followed by its
// device, a known long option (its value in the same word after "=" or
// in the next word), or "--", which ends the options. Everything after
// is positional, and there must be four.
func parseArgs(args []string) (invocation, error) {
	inv := invocation{dev: defaultDevice, count: 1, interval: time.Second, style: Reply}
	seenDev := false
	i := 0
options:
	for i < len(args) {
		w := args[i]
		switch {
		case w == "--":
			i++
			break options
		case w == "-i":
			if seenDev || i+1 >= len(args) {
				return inv, errShape
			}
			// An address label (eth0:1, as pulse's lvs.cf names
			// devices) names its device: Linux forbids ':' in
			// interface names, so nothing else is meant.
			inv.dev, _, _ = strings.Cut(args[i+1], ":")
			seenDev = true
			i += 2
			continue
		case !strings.HasPrefix(w, "--"):
			break options
		}
		name, val, hasVal := strings.Cut(w, "=")
		var opt *option
		for k := range options {
			if options[k].name == name && name != "-i" {
				opt = &options[k]
			}
		}
		if opt == nil {
			return inv, fmt.Errorf("bad argument %s: unknown option", name)
		}
		switch {
		case !opt.value && hasVal:
			return inv, fmt.Errorf("bad argument %s: takes no value", name)
		case opt.value && !hasVal:
			if i+1 >= len(args) {
				return inv, fmt.Errorf("bad argument %s: missing argument", name)
			}
			val = args[i+1]
			i++
		}
		i++
		var err error
		switch name {
		case "--count":
			inv.count, err = parseCount(val)
		case "--interval":
			inv.interval, err = parseInterval(val)
		case "--style":
			inv.style, err = ParseStyle(val)
		case "--help":
			inv.help = true
		case "--version":
			inv.version = true
		}
		if err != nil {
			return inv, fmt.Errorf("bad argument %s: %w", name, err)
		}
	}
	if inv.help || inv.version {
		return inv, nil
	}
	rest := args[i:]
	if len(rest) != 4 {
		return inv, errShape
	}
	inv.srcIP, inv.srcHW, inv.targIP, inv.targHW = rest[0], rest[1], rest[2], rest[3]
	return inv, nil
}

// parseCount reads --count: a whole number from 1 up.
func parseCount(s string) (int, error) {
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 || n > maxCount {
		return 0, fmt.Errorf("%q is not a whole number from 1 to %d", s, maxCount)
	}
	return n, nil
}

// parseInterval reads --interval: a Go duration (1s, 250ms, 1m30s) or a
// plain number of seconds (1, 0.25), from 0 to a day.
func parseInterval(s string) (time.Duration, error) {
	const maxInterval = 24 * time.Hour
	bad := fmt.Errorf("%q is not a duration from 0 to %v (1s, 250ms, or seconds)", s, maxInterval)
	d, err := time.ParseDuration(s)
	if err != nil {
		f, ferr := strconv.ParseFloat(s, 64)
		if ferr != nil || math.IsNaN(f) || f < 0 || f > maxInterval.Seconds() {
			return 0, bad
		}
		d = time.Duration(math.Round(f * float64(time.Second)))
	}
	if d < 0 || d > maxInterval {
		return 0, bad
	}
	return d, nil
}

// version is the module version send_arp was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
