package ipvsadm

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"

	"lvskit/internal/ipvs"
)

// parseTestResolver is the fixed name service of the parser tests, shaped
// like a Debian /etc/hosts and /etc/services: http is tcp and udp, sip
// only udp, ssh only tcp, and no name has an sctp entry.
type parseTestResolver struct{}

var (
	parseTestHosts = map[string]netip.Addr{
		"localhost": netip.MustParseAddr("127.0.0.1"),
		"vm":        netip.MustParseAddr("192.168.122.10"),
		"v6only":    netip.MustParseAddr("2001:db8::1"), // gethostbyname is IPv4 only
	}
	parseTestPorts = map[string]uint16{
		"http/tcp": 80, "http/udp": 80, "sip/udp": 5060, "ssh/tcp": 22,
	}
)

func (parseTestResolver) LookupHost4(name string) (netip.Addr, bool) {
	a, ok := parseTestHosts[name]
	return a, ok
}

func (parseTestResolver) HostName(a netip.Addr) (string, bool) {
	for n, h := range parseTestHosts {
		if h == a {
			return n, true
		}
	}
	return "", false
}

func (parseTestResolver) LookupPort(name, proto string) (uint16, bool) {
	p, ok := parseTestPorts[name+"/"+proto]
	return p, ok
}

func (parseTestResolver) PortName(port uint16, proto string) (string, bool) {
	for k, p := range parseTestPorts {
		if n, pr, _ := strings.Cut(k, "/"); p == port && pr == proto {
			return n, true
		}
	}
	return "", false
}

// argv builds a command line from space-separated words, with the program
// name of the captured transcripts.
func argv(line string) []string {
	return append([]string{"/sbin/ipvsadm"}, strings.Fields(line)...)
}

// parseErr runs Parse and returns its *Error, failing the test if it
// succeeded or returned another error type.
func parseErr(t *testing.T, args []string) *Error {
	t.Helper()
	c, err := Parse(args, parseTestResolver{})
	if err == nil {
		t.Fatalf("Parse(%q) = %+v, want an error", args[1:], c)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Parse(%q) error %T %v, want *Error", args[1:], err, err)
	}
	if c != nil {
		t.Errorf("Parse(%q) returned a command with its error", args[1:])
	}
	return e
}

type errCase struct {
	args   []string
	status int
	text   string
}

func checkErrCases(t *testing.T, cases []errCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			e := parseErr(t, tc.args)
			if e.Status != tc.status || e.Text != tc.text {
				t.Errorf("got [%d] %q\nwant [%d] %q", e.Status, e.Text, tc.status, tc.text)
			}
		})
	}
}

const tryText = "Try `/sbin/ipvsadm -h' or '/sbin/ipvsadm --help' for more information."

// TestTranscript123 reproduces every parser, matrix and validation error
// captured from Debian's ipvsadm 1.31 (reference §12.3). The -b , segfault
// is a deliberate difference and tested in TestSchedFlags.
func TestTranscript123(t *testing.T) {
	checkErrCases(t, []errCase{
		{argv("-A"), 2, "You need to supply the 'service-address' option for the 'add-service' command"},
		{argv("-A -t 10.0.0.1:80 -n"), 2, "Illegal 'numeric' option with the 'add-service' command"},
		{argv("-L -s rr"), 2, "Illegal 'scheduler' option with the 'list' command"},
		{argv("-L -c --timeout"), 2, "The option 'timeout' conflicts with the 'connection' option in the 'list' command"},
		{argv("-L --timeout --daemon"), 2, "The option 'daemon' conflicts with the 'timeout' option in the 'list' command"},
		{argv("-L -c --stats"), 2, "options conflicts in the list command"},
		{argv("-L -t 10.0.0.1:80 -c"), 2, "The option 'service-address' conflicts with the 'connection' option in the 'list' command"},
		{argv("-D -t 10.0.0.1:80 -s rr"), 2, "Illegal 'scheduler' option with the 'delete-service' command"},
		{argv("-a -t 10.0.0.1:80"), 2, "You need to supply the 'real-server' option for the 'add-server' command"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -m -g"), 2, "multiple 'forwarding-method' options specified"},
		{argv("-A -E -t 10.0.0.1:80"), 2, "invalid option `-E'"},
		{argv("-n -L"), 255, tryText},
		{argv("-L --foo"), 255, "--foo: unknown option"},
		{argv("-Lz"), 255, "-Lz: unknown option"},
		{argv("-A -t 10.0.0.1:80 -s"), 255, "-s: missing argument"},
		{argv("-L --numeric=3"), 255, "--numeric=3: option does not take an argument"},
		{argv("-A -t 10.0.0.1"), 2, "Zero port specified for non-persistent service"},
		{argv("-A -t 10.0.0.1:53 -o"), 2, "One-Packet Scheduling is only for UDP virtual services"},
		{argv("-A -t 10.0.0.1:80 -b sh-port"), 2, "incompatible scheduler flag `sh-port'"},
		{argv("-A -t 10.0.0.1:80 -b foo"), 2, "invalid scheduler flag `foo'"},
		{argv("-A -t 10.0.0.1:80 -p 0"), 2, "invalid timeout value `0' specified"},
		{argv("-A -f 0"), 2, "invalid fwmark value `0' specified"},
		{argv("-A -f 1 -6 -p -M 129"), 2, "illegal ipv6 netmask specified"},
		{argv("-A -t 10.0.0.1:80 -p -M foo"), 2, "illegal virtual server persistent mask specified"},
		{argv("-Ln -6"), 2, "-6 used before -f\n"},
		{argv("-a -t 10.0.0.1:80 -r [::2]:80 -m"), 2, "Different address family is allowed only for tunneling servers"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 --tun-type gue"), 2, "Tunnel options conflict with forward method"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gue"), 2, "You need to supply the 'tun-port' option for the 'gue' tunnel type"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gre --tun-port 1"), 2, "Illegal 'tun-port' option with the 'gre' tunnel type"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gue --tun-port 6080 --tun-csum --tun-remcsum"), 2, "The option 'tun-remcsum' conflicts with the 'tun-csum' option in the 'gue' tunnel type"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type vxlan"), 2, "illegal tunnel type specified"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1:80 -w -1"), 2, "illegal weight specified"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1:80 -x 2147483648"), 2, "illegal u_threshold specified"},
		{argv("--set 900 120"), 2, "--set option requires 3 timeout values"},
		{argv("--set 900 120 300 4"), 2, "unexpected argument 4"},
		{argv("--set -1 2 3"), 255, "-1: unknown option"},
		{argv("--start-daemon foo"), 2, "illegal start-daemon parameter specified"},
		{argv("--stop-daemon foo"), 2, "illegal start_daemon specified"},
		{argv("--start-daemon master --syncid 256"), 2, "illegal syncid specified"},
		{argv("--start-daemon master --mcast-group 10.0.0.1"), 2, "invalid IPv4 mcast-group `10.0.0.1'"},
		{argv("--start-daemon master --mcast-group ::1"), 2, "invalid IPv6 mcast-group `::1'"},
		{argv("--start-daemon master --mcast-port 0"), 2, "illegal mcast-port specified"},
		{argv("--stop-daemon master --mcast-interface eth0"), 2, "Illegal 'mcast-interface' option with the 'stop-daemon' command"},
		{argv("-L extra"), 2, "unexpected argument extra"},
		{argv("-A -t bad..addr:80"), 2, "illegal virtual server address[:port] specified"},
		{argv("-A -t 10.0.0.1:65536"), 2, "illegal virtual server address[:port] specified"},
		{argv("-A -t 10.0.0.1:nosuchsvc"), 2, "illegal virtual server address[:port] specified"},
		{argv("-A -t [::1]80"), 2, "illegal virtual server address[:port] specified"},
		{argv("-a -t 10.0.0.1:80 -r 300.1.1.1:80"), 2, "illegal real server address[:port] specified"},
	})
}

// TestGrammar covers popt's surface (reference §2): the first option,
// -h/-v, later commands, bundling, attached values, '=', long names,
// popt's errors and which word they name, leftovers, "--" and "-".
func TestGrammar(t *testing.T) {
	checkErrCases(t, []errCase{
		// The first option must be a command, and a popt error there is
		// the Try message too.
		{argv("-nL"), 255, tryText},
		{argv("--foo"), 255, tryText},
		{argv("--add-service=foo"), 255, tryText},
		{argv("-A=x"), 255, tryText},
		{argv("-h=1"), 255, tryText},
		{argv("--help=1"), 255, tryText},
		{argv("--sort -L"), 255, tryText},
		{argv("-6 -L"), 255, tryText},
		{argv("-t 10.0.0.1:80 -A"), 255, tryText},
		{argv("--start-daemon"), 255, tryText},
		{argv("foo"), 255, tryText},
		{argv("-- -L"), 255, tryText},
		{argv("# a comment"), 255, tryText},
		{[]string{"ipvsadm", "-x"}, 255, "Try `ipvsadm -h' or 'ipvsadm --help' for more information."},
		// Commands, -h and -v after the first option; the whole word is
		// named, or the value a command took from the next word.
		{argv("-L -h"), 2, "invalid option `-h'"},
		{argv("-Lh"), 2, "invalid option `-Lh'"},
		{argv("-L -v"), 2, "invalid option `-v'"},
		{argv("-C -C"), 2, "invalid option `-C'"},
		{argv("-L -L"), 2, "invalid option `-L'"},
		{argv("-L -l"), 2, "invalid option `-l'"},
		{argv("-L --list"), 2, "invalid option `--list'"},
		{argv("-L -nA"), 2, "invalid option `-nA'"},
		{argv("-L --set"), 2, "invalid option `--set'"},
		{argv("-L --start-daemon master"), 2, "invalid option `master'"},
		{argv("-L --stop-daemon=backup"), 2, "invalid option `--stop-daemon=backup'"},
		{argv("-A -t 10.0.0.1:80 -R"), 2, "invalid option `-R'"},
		// popt errors name the whole word.
		{argv("-L --start-daemon"), 255, "--start-daemon: missing argument"},
		{argv("-A --tcp-service"), 255, "--tcp-service: missing argument"},
		{argv("-Snx"), 255, "-Snx: missing argument"},
		{argv("-L -n=3"), 255, "-n=3: option does not take an argument"},
		{argv("-Ln=3"), 255, "-Ln=3: option does not take an argument"},
		{argv("-L --stats=1"), 255, "--stats=1: option does not take an argument"},
		{argv("-L --sort=yes"), 255, "--sort=yes: option does not take an argument"},
		{argv("-A -t 10.0.0.1:80 --pers 10"), 255, "--pers: unknown option"},
		{argv("-L --stat"), 255, "--stat: unknown option"},
		{argv("-L --Numeric"), 255, "--Numeric: unknown option"},
		{argv("-L -I 1"), 255, "-I: unknown option"},
		{argv("-L --=x"), 255, "--=x: unknown option"},
		{argv("-L -=x"), 255, "-=x: unknown option"},
		{argv("-L ---numeric"), 255, "---numeric: unknown option"},
		// A single dash never names a long option: -numeric is -n, then
		// -u with the value "meric".
		{argv("-L -numeric"), 2, "illegal virtual server address[:port] specified"},
		// Errors raised while handling earlier options win over a later
		// popt error; a popt error stops the scan before later options.
		{argv("-L -n -n --foo"), 2, "multiple 'numeric' options specified"},
		{argv("-L --foo -n -n"), 255, "--foo: unknown option"},
		{argv("-A -t bad..addr:80 --foo"), 2, "illegal virtual server address[:port] specified"},
		{argv("--start-daemon foo --bar"), 2, "illegal start-daemon parameter specified"},
		{argv("--set 1 --foo"), 255, "--foo: unknown option"},
		{argv("-L extra --foo"), 255, "--foo: unknown option"},
		// Leftover words.
		{argv("-Ln 10.0.0.1"), 2, "unexpected argument 10.0.0.1"},
		{argv("-L -"), 2, "unexpected argument -"},
		{argv("-L -- -n"), 2, "unexpected argument -n"},
		{argv("-L -- --"), 2, "unexpected argument --"},
		{argv("--start-daemon master backup"), 2, "unexpected argument backup"},
		{argv("-R extra"), 2, "unexpected argument extra"},
		{argv("extra -L"), 2, "unexpected argument extra"},
		{argv("-A -t 10.0.0.1:80 -s rr # comment"), 2, "unexpected argument #"},
		{[]string{"ipvsadm", "-L", ""}, 2, "unexpected argument "},
		// Duplicates are caught when the second one is read.
		{argv("-n -n"), 255, tryText},
		{argv("-L -n -n"), 2, "multiple 'numeric' options specified"},
		{argv("-L -nn"), 2, "multiple 'numeric' options specified"},
		{argv("-A -t 10.0.0.1:80 -f 1"), 2, "multiple 'service-address' options specified"},
		{argv("-A -t 10.0.0.1:80 -u 10.0.0.1:80"), 2, "multiple 'service-address' options specified"},
		{argv("-A -t 10.0.0.1:80 -s rr -s wrr"), 2, "multiple 'scheduler' options specified"},
		{argv("-A -t 10.0.0.1:80 -s rr --scheduler=wrr"), 2, "multiple 'scheduler' options specified"},
		{argv("-A -t 10.0.0.1:80 -p -p"), 2, "multiple 'persistent' options specified"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i -i"), 2, "multiple 'forwarding-method' options specified"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -w 1 -w x"), 2, "multiple 'weight' options specified"},
		{argv("-L --timeout --timeout"), 2, "multiple 'timeout' options specified"},
		{argv("-L --nosort --nosort"), 2, "multiple 'nosort' options specified"},
		{argv("-L -X --exact"), 2, "multiple 'exact' options specified"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-csum --tun-csum"), 2, "multiple 'tun-csum' options specified"},
		// The duplicate is caught before the value is read.
		{argv("-A -t 10.0.0.1:80 -t bad..addr"), 2, "multiple 'service-address' options specified"},
		// A single dash never names a long option: -list is -l -i -s t.
		{argv("-list"), 2, "Illegal 'scheduler' option with the 'list' command"},
	})
}

// TestGrammarAccepted checks what popt's grammar lets through.
func TestGrammarAccepted(t *testing.T) {
	rr := func(c *Command) string { return c.Service.Scheduler }
	cases := []struct {
		args []string
		get  func(*Command) string
		want string
	}{
		{argv("-A -t 10.0.0.1:80 -srr"), rr, "rr"},
		{argv("-A -t 10.0.0.1:80 -s=rr"), rr, "rr"},
		{argv("-A -t 10.0.0.1:80 -s==rr"), rr, "=rr"}, // only one '=' is stripped
		{argv("-A -t 10.0.0.1:80 -s -n"), rr, "-n"},   // a required value may start with '-'
		{argv("-A -t 10.0.0.1:80 --scheduler=rr"), rr, "rr"},
		{argv("-A -t 10.0.0.1:80 --scheduler rr"), rr, "rr"},
		{argv("-A -t 10.0.0.1:80 --scheduler=a=b"), rr, "a=b"},
		{argv("-At10.0.0.1:80 -srr"), rr, "rr"},
		{argv("-A -t=10.0.0.1:80"), func(c *Command) string { return c.Service.Addr.String() }, "10.0.0.1"},
		{argv("-A -ot 10.0.0.1:53 -u"), nil, "-u: missing argument"},
		{argv("-Lnc"), func(c *Command) string { return fmt.Sprint(c.Opts == OptNumeric|OptConnection) }, "true"},
		{argv("-Sn"), func(c *Command) string { return fmt.Sprint(c.Cmd == CmdSave && c.Opts == OptNumeric) }, "true"},
		{argv("-L --sort --sort -n --sort"), func(c *Command) string { return fmt.Sprint(c.Opts) }, fmt.Sprint(OptNumeric)},
		{argv("-A -f 1 -6 -6 --ipv6"), func(c *Command) string { return c.Service.Family.String() }, "inet6"},
		{argv("-hx=1"), func(c *Command) string { return fmt.Sprint(c.Cmd == CmdHelp) }, "true"},
		{argv("-h foo --bar"), func(c *Command) string { return fmt.Sprint(c.Cmd == CmdHelp) }, "true"},
		{argv("foo -h"), func(c *Command) string { return fmt.Sprint(c.Cmd == CmdHelp) }, "true"},
		{argv("--help -L"), func(c *Command) string { return fmt.Sprint(c.Cmd == CmdHelp) }, "true"},
		{argv("-hL"), func(c *Command) string { return fmt.Sprint(c.Cmd == CmdHelp) }, "true"},
		{argv("-v -A"), func(c *Command) string { return fmt.Sprint(c.Cmd == CmdVersion) }, "true"},
		{argv("--version"), func(c *Command) string { return fmt.Sprint(c.Cmd == CmdVersion) }, "true"},
		{argv("1 2 --set 3"), func(c *Command) string { return fmt.Sprint(c.Timeouts) }, "{1 2 3}"},
		{argv("--set 1 -- 2 3"), func(c *Command) string { return fmt.Sprint(c.Timeouts) }, "{1 2 3}"},
	}
	for _, tc := range cases {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			c, err := Parse(tc.args, parseTestResolver{})
			if tc.get == nil {
				if err == nil || err.Error() != tc.want {
					t.Fatalf("got %v, want error %q", err, tc.want)
				}
				return
			}
			if err != nil {
				t.Fatalf("unexpected error %q", err)
			}
			if got := tc.get(c); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

// TestNoArguments: ipvsadm alone lists the table with names resolved.
func TestNoArguments(t *testing.T) {
	for _, args := range [][]string{{"ipvsadm"}, nil} {
		c, err := Parse(args, nil)
		if err != nil || *c != (Command{Cmd: CmdList}) {
			t.Errorf("Parse(%q) = %+v, %v; want a bare list", args, c, err)
		}
	}
}

// TestPersistentValue: -p takes the next word unless it looks like an
// option; attached and '=' values are always its own.
func TestPersistentValue(t *testing.T) {
	cases := []struct {
		line    string
		timeout uint32
		sched   string
	}{
		{"-A -t 10.0.0.1:80 -p", 360, "wlc"},
		{"-A -t 10.0.0.1:80 -p -s rr", 360, "rr"},
		{"-A -t 10.0.0.1:80 -p 20", 20, "wlc"},
		{"-A -t 10.0.0.1:80 -p10", 10, "wlc"},
		{"-A -t 10.0.0.1:80 -p=10", 10, "wlc"},
		{"-A -t 10.0.0.1:80 --persistent", 360, "wlc"},
		{"-A -t 10.0.0.1:80 --persistent -s rr", 360, "rr"},
		{"-A -t 10.0.0.1:80 --persistent=20", 20, "wlc"},
		{"-A -t 10.0.0.1:80 --persistent 20", 20, "wlc"},
		{"-A -t 10.0.0.1:80 -p 2678400", 2678400, "wlc"},
		{"-A -t 10.0.0.1:80 -p 080", 80, "wlc"},
		{"-A -t 10.0.0.1:80 -p +5", 5, "wlc"},
		{"-A -t 10.0.0.1 -p", 360, "wlc"}, // persistence allows port 0
		{"-A -p -t 10.0.0.1:80", 360, "wlc"},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c, err := Parse(argv(tc.line), parseTestResolver{})
			if err != nil {
				t.Fatal(err)
			}
			if c.Service.Timeout != tc.timeout || c.Service.Scheduler != tc.sched || c.Service.Flags&ipvs.FlagPersistent == 0 {
				t.Errorf("got timeout %d sched %q flags %#x", c.Service.Timeout, c.Service.Scheduler, c.Service.Flags)
			}
		})
	}
	checkErrCases(t, []errCase{
		{argv("-A -t 10.0.0.1:80 -p -5"), 255, "-5: unknown option"},
		{argv("-A -t 10.0.0.1:80 -p-5"), 2, "invalid timeout value `-5' specified"},
		{argv("-A -t 10.0.0.1:80 -p 2678401"), 2, "invalid timeout value `2678401' specified"},
		{argv("-A -t 10.0.0.1:80 -p 10x"), 2, "invalid timeout value `10x' specified"},
		{argv("-A -t 10.0.0.1:80 -p 0x50"), 2, "invalid timeout value `0x50' specified"},
		{argv("-A -t 10.0.0.1:80 -p="), 2, "invalid timeout value `' specified"},
		{argv("-A -t 10.0.0.1:80 --persistent="), 2, "invalid timeout value `' specified"},
		{[]string{"/sbin/ipvsadm", "-A", "-t", "10.0.0.1:80", "-p", ""}, 2, "invalid timeout value `' specified"},
		{argv("-A -t 10.0.0.1:80 -pn"), 2, "invalid timeout value `n' specified"},
		{argv("-At 10.0.0.1:80 -sp rr"), 2, "unexpected argument rr"}, // 's' took the rest of its bundle
	})
}

// TestNumbers covers strtol's rules and every range of §2.3.
func TestNumbers(t *testing.T) {
	dest := "-a -t 10.0.0.1:80 -r 1.1.1.1 -m "
	daemon := "--start-daemon master "
	ok := []struct {
		args []string
		get  func(*Command) uint64
		want uint64
	}{
		{argv(dest + "-w 0"), func(c *Command) uint64 { return uint64(c.Dest.Weight) }, 0},
		{argv(dest + "-w 65536"), func(c *Command) uint64 { return uint64(c.Dest.Weight) }, 65536},
		{argv(dest + "-w 2147483647"), func(c *Command) uint64 { return uint64(c.Dest.Weight) }, 2147483647},
		{argv(dest + "-w +5"), func(c *Command) uint64 { return uint64(c.Dest.Weight) }, 5},
		{argv(dest + "-w 007"), func(c *Command) uint64 { return uint64(c.Dest.Weight) }, 7},
		{argv(dest + "-w -0"), func(c *Command) uint64 { return uint64(c.Dest.Weight) }, 0},
		{[]string{"ipvsadm", "-a", "-t", "10.0.0.1:80", "-r", "1.1.1.1", "-w", " \t5"}, func(c *Command) uint64 { return uint64(c.Dest.Weight) }, 5},
		{argv(dest + "-x 2147483647"), func(c *Command) uint64 { return uint64(c.Dest.UpperThreshold) }, 2147483647},
		{argv(dest + "-y 10"), func(c *Command) uint64 { return uint64(c.Dest.LowerThreshold) }, 10},
		{argv("-A -f 4294967295"), func(c *Command) uint64 { return uint64(c.Service.Fwmark) }, 4294967295},
		{argv("-A -f +010"), func(c *Command) uint64 { return uint64(c.Service.Fwmark) }, 10},
		{argv(daemon + "--syncid 255"), func(c *Command) uint64 { return uint64(c.Daemon.SyncID) }, 255},
		{argv(daemon + "--syncid 0"), func(c *Command) uint64 { return uint64(c.Daemon.SyncID) }, 0},
		{argv(daemon + "--mcast-port 65535"), func(c *Command) uint64 { return uint64(c.Daemon.Port) }, 65535},
		{argv(daemon + "--mcast-ttl 255"), func(c *Command) uint64 { return uint64(c.Daemon.TTL) }, 255},
		{argv(daemon + "--sync-maxlen 65507"), func(c *Command) uint64 { return uint64(c.Daemon.MaxLen) }, 65507},
		{argv(daemon + "--sync-maxlen 1"), func(c *Command) uint64 { return uint64(c.Daemon.MaxLen) }, 1},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gue --tun-port 65535"), func(c *Command) uint64 { return uint64(c.Dest.TunnelPort) }, 65535},
		{argv("--set 0 0 2678400"), func(c *Command) uint64 { return uint64(c.Timeouts.UDP) }, 2678400},
	}
	for _, tc := range ok {
		t.Run(strings.Join(tc.args[1:], " "), func(t *testing.T) {
			c, err := Parse(tc.args, parseTestResolver{})
			if err != nil {
				t.Fatal(err)
			}
			if got := tc.get(c); got != tc.want {
				t.Errorf("got %d, want %d", got, tc.want)
			}
		})
	}
	checkErrCases(t, []errCase{
		{argv(dest + "-w 2147483648"), 2, "illegal weight specified"},
		{argv(dest + "-w 0x10"), 2, "illegal weight specified"},
		{argv(dest + "-w 10x"), 2, "illegal weight specified"},
		{argv(dest + "-w 99999999999999999999"), 2, "illegal weight specified"},
		{argv(dest + "-w="), 2, "illegal weight specified"},
		{[]string{"ipvsadm", "-a", "-t", "10.0.0.1:80", "-r", "1.1.1.1", "-w", "5 "}, 2, "illegal weight specified"},
		{argv(dest + "-x -1"), 2, "illegal u_threshold specified"},
		{argv(dest + "-y -1"), 2, "illegal l_threshold specified"},
		{argv(dest + "-y 2147483648"), 2, "illegal l_threshold specified"},
		{argv("-A -f -1"), 2, "invalid fwmark value `-1' specified"},
		{argv("-A -f 4294967296"), 2, "invalid fwmark value `4294967296' specified"},
		{argv("-A -f 1x"), 2, "invalid fwmark value `1x' specified"},
		{argv("-A -f 0x10"), 2, "invalid fwmark value `0x10' specified"},
		{argv("-A -f -0"), 2, "invalid fwmark value `-0' specified"},
		{argv("-A -f="), 2, "invalid fwmark value `' specified"},
		{argv("-A -f 99999999999999999999"), 2, "invalid fwmark value `99999999999999999999' specified"},
		{argv(daemon + "--syncid -1"), 2, "illegal syncid specified"},
		{argv(daemon + "--mcast-port 65536"), 2, "illegal mcast-port specified"},
		{argv(daemon + "--mcast-ttl 0"), 2, "illegal mcast-ttl specified"},
		{argv(daemon + "--mcast-ttl 256"), 2, "illegal mcast-ttl specified"},
		{argv(daemon + "--sync-maxlen 0"), 2, "illegal sync-maxlen specified"},
		{argv(daemon + "--sync-maxlen 65508"), 2, "illegal sync-maxlen specified"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-port 0"), 2, "illegal tunnel port specified"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-port 65536"), 2, "illegal tunnel port specified"},
		{argv("--set 1 2 2678401"), 2, "invalid timeout value `2678401' specified"},
		{argv("--set x 2 y"), 2, "invalid timeout value `x' specified"},
		{argv("--set 1 2"), 2, "--set option requires 3 timeout values"},
		{argv("--set x 2"), 2, "--set option requires 3 timeout values"},
		{argv("--set"), 2, "--set option requires 3 timeout values"},
		{argv("--set 1 2 x extra"), 2, "invalid timeout value `x' specified"},
	})
}

// TestCommands checks the Command built for each command, against what
// the real ipvsadm sent (reference §12.6) and the defaults of §3.4.
func TestCommands(t *testing.T) {
	addr := netip.MustParseAddr
	tcp := func(a string, port uint16) ipvs.ServiceKey { return ipvs.AddrKey(ipvs.TCP, addr(a), port) }
	udp := func(a string, port uint16) ipvs.ServiceKey { return ipvs.AddrKey(ipvs.UDP, addr(a), port) }
	svc := func(k ipvs.ServiceKey, sched string, flags ipvs.ServiceFlags, timeout, mask uint32) ipvs.Service {
		return ipvs.Service{ServiceKey: k, Scheduler: sched, Flags: flags, Timeout: timeout, Netmask: mask}
	}
	dest := func(a string, port uint16, fwd ipvs.FwdMethod, weight int32) ipvs.Dest {
		return ipvs.Dest{Addr: addr(a), Port: port, Fwd: fwd, Weight: weight}
	}
	const all = 0xffffffff
	S, R := OptService, OptRealServer
	cases := []struct {
		line string
		want Command
	}{
		{"-A -t 10.0.0.1:80", Command{Cmd: CmdAddService, Opts: S, Service: svc(tcp("10.0.0.1", 80), "wlc", 0, 0, all)}},
		{"-A -t 10.0.0.1:80 -s rr -p", Command{Cmd: CmdAddService, Opts: S | OptScheduler | OptPersistent,
			Service: svc(tcp("10.0.0.1", 80), "rr", ipvs.FlagPersistent, 360, all)}},
		{"-A -t 10.0.0.1:0 -p 100 -M 255.255.255.0", Command{Cmd: CmdAddService, Opts: S | OptPersistent | OptNetmask,
			Service: svc(tcp("10.0.0.1", 0), "wlc", ipvs.FlagPersistent, 100, 0xffffff00)}},
		{"-A -t 10.0.0.1:80 -M 255.255.0.0", Command{Cmd: CmdAddService, Opts: S | OptNetmask,
			Service: svc(tcp("10.0.0.1", 80), "wlc", 0, 0, 0xffff0000)}},
		{"-A -u 10.0.0.1:53 -o", Command{Cmd: CmdAddService, Opts: S | OptOps, Service: svc(udp("10.0.0.1", 53), "wlc", ipvs.FlagOnePacket, 0, all)}},
		{"-A -f 1 -o", Command{Cmd: CmdAddService, Opts: S | OptOps, Service: svc(ipvs.FwmarkKey(ipvs.INET, 1), "wlc", ipvs.FlagOnePacket, 0, all)}},
		{"-A -f 1 -6", Command{Cmd: CmdAddService, Opts: S, Service: svc(ipvs.FwmarkKey(ipvs.INET6, 1), "wlc", 0, 0, 128)}},
		{"-A -f 1 -6 -p -M 64", Command{Cmd: CmdAddService, Opts: S | OptPersistent | OptNetmask,
			Service: svc(ipvs.FwmarkKey(ipvs.INET6, 1), "wlc", ipvs.FlagPersistent, 360, 64)}},
		{"-A -t [2001:db8::1]:443 -s rr", Command{Cmd: CmdAddService, Opts: S | OptScheduler,
			Service: svc(tcp("2001:db8::1", 443), "rr", 0, 0, 128)}},
		{"-A -t [2001:db8::1]:443 -p -M 48", Command{Cmd: CmdAddService, Opts: S | OptPersistent | OptNetmask,
			Service: svc(tcp("2001:db8::1", 443), "wlc", ipvs.FlagPersistent, 360, 48)}},
		{"-A -t 10.0.0.1:80 -s sh -b sh-port,sh-fallback", Command{Cmd: CmdAddService, Opts: S | OptScheduler | OptSchedFlags,
			Service: svc(tcp("10.0.0.1", 80), "sh", 0x18, 0, all)}},
		{"-A -t 10.0.0.1:80 -s rr -b flag-1,flag-2,flag-3", Command{Cmd: CmdAddService, Opts: S | OptScheduler | OptSchedFlags,
			Service: svc(tcp("10.0.0.1", 80), "rr", 0x38, 0, all)}},
		{"-A -t 10.0.0.1:80 -p -M 16", Command{Cmd: CmdAddService, Opts: S | OptPersistent | OptNetmask,
			Service: svc(tcp("10.0.0.1", 80), "wlc", ipvs.FlagPersistent, 360, 0x00000010)}},
		{"-A -t 10.0.0.1:80 -p -M localhost", Command{Cmd: CmdAddService, Opts: S | OptPersistent | OptNetmask,
			Service: svc(tcp("10.0.0.1", 80), "wlc", ipvs.FlagPersistent, 360, 0x7f000001)}},
		{"-A -t 10.0.0.1:80 -s verylongschedulername123", Command{Cmd: CmdAddService, Opts: S | OptScheduler,
			Service: svc(tcp("10.0.0.1", 80), "verylongschedul", 0, 0, all)}},
		{"-A -t 10.0.0.1:80 --pe sip", Command{Cmd: CmdAddService, Opts: S | OptPE,
			Service: ipvs.Service{ServiceKey: tcp("10.0.0.1", 80), Scheduler: "wlc", PE: "sip", Netmask: all}}},
		{"-A -t 10.0.0.1:80 --pe abcdefghijklmnopqrstuvwxyz", Command{Cmd: CmdAddService, Opts: S | OptPE,
			Service: ipvs.Service{ServiceKey: tcp("10.0.0.1", 80), Scheduler: "wlc", PE: "abcdefghijklmnop", Netmask: all}}},
		{"-A --sctp-service 10.0.0.1:80", Command{Cmd: CmdAddService, Opts: S,
			Service: svc(ipvs.AddrKey(ipvs.SCTP, addr("10.0.0.1"), 80), "wlc", 0, 0, all)}},
		{"-E -t 10.0.0.1 -p", Command{Cmd: CmdEditService, Opts: S | OptPersistent,
			Service: svc(tcp("10.0.0.1", 0), "wlc", ipvs.FlagPersistent, 360, all)}},
		{"-E -t 10.0.0.1:80", Command{Cmd: CmdEditService, Opts: S, Service: svc(tcp("10.0.0.1", 80), "wlc", 0, 0, all)}},
		{"-D -t 10.0.0.1:80", Command{Cmd: CmdDelService, Opts: S, Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all)}},
		{"-D -f 7 -6", Command{Cmd: CmdDelService, Opts: S, Service: svc(ipvs.FwmarkKey(ipvs.INET6, 7), "", 0, 0, 128)}},
		{"-C", Command{Cmd: CmdFlush}},
		{"--clear", Command{Cmd: CmdFlush}},
		{"-Z", Command{Cmd: CmdZero}},
		{"-Z -t 0.0.0.0:0", Command{Cmd: CmdZero, Opts: S, Service: svc(tcp("0.0.0.0", 0), "", 0, 0, all)}},
		{"-Z -u 10.0.0.1:53", Command{Cmd: CmdZero, Opts: S, Service: svc(udp("10.0.0.1", 53), "", 0, 0, all)}},
		{"-R", Command{Cmd: CmdRestore}},
		{"-S", Command{Cmd: CmdSave}},
		{"-S -n", Command{Cmd: CmdSave, Opts: OptNumeric}},
		{"-L", Command{Cmd: CmdList}},
		{"-l -n --stats --exact", Command{Cmd: CmdList, Opts: OptNumeric | OptStats | OptExact}},
		{"-L -n -t 10.0.0.1:80 --rate --nosort --tun-info --persistent-conn --thresholds",
			Command{Cmd: CmdList, Opts: OptNumeric | S | OptRate | OptNoSort | OptTunInfo | OptPersistentConn | OptThresholds,
				Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all)}},
		{"-L -c --persistent-conn", Command{Cmd: CmdList, Opts: OptConnection | OptPersistentConn}},
		{"-L --timeout", Command{Cmd: CmdList, Opts: OptTimeout}},
		{"-L --daemon", Command{Cmd: CmdList, Opts: OptDaemon}},
		{"-L --syncid 5", Command{Cmd: CmdList, Opts: OptSyncID, Daemon: ipvs.Daemon{SyncID: 5}}},
		{"-a -t 10.0.0.1:80 -r 192.168.1.1:8080", Command{Cmd: CmdAddServer, Opts: S | R,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("192.168.1.1", 80, ipvs.Route, 1)}},
		{"-a -t 10.0.0.1:80 -r 192.168.1.1:8080 -m", Command{Cmd: CmdAddServer, Opts: S | R | OptForward,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("192.168.1.1", 8080, ipvs.Masq, 1)}},
		{"-a -t 10.0.0.1:80 -r 192.168.1.1:8080 -m -w 0 -x 10 -y 5", Command{Cmd: CmdAddServer,
			Opts:    S | R | OptForward | OptWeight | OptUThreshold | OptLThreshold,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all),
			Dest:    ipvs.Dest{Addr: addr("192.168.1.1"), Port: 8080, Fwd: ipvs.Masq, Weight: 0, UpperThreshold: 10, LowerThreshold: 5}}},
		{"-a -t 10.0.0.1:80 -r 192.168.1.1 -m", Command{Cmd: CmdAddServer, Opts: S | R | OptForward,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("192.168.1.1", 80, ipvs.Masq, 1)}},
		{"-a -f 7 -r 192.168.1.1 -m", Command{Cmd: CmdAddServer, Opts: S | R | OptForward,
			Service: svc(ipvs.FwmarkKey(ipvs.INET, 7), "", 0, 0, all), Dest: dest("192.168.1.1", 0, ipvs.Masq, 1)}},
		{"-a -f 7 -r 192.168.1.1:99 -g", Command{Cmd: CmdAddServer, Opts: S | R | OptForward,
			Service: svc(ipvs.FwmarkKey(ipvs.INET, 7), "", 0, 0, all), Dest: dest("192.168.1.1", 99, ipvs.Route, 1)}},
		{"-a -f 7 -r 192.168.1.1:http", Command{Cmd: CmdAddServer, Opts: S | R,
			Service: svc(ipvs.FwmarkKey(ipvs.INET, 7), "", 0, 0, all), Dest: dest("192.168.1.1", 80, ipvs.Route, 1)}},
		{"-a -r 1.1.1.1 -t 10.0.0.1:80 -m", Command{Cmd: CmdAddServer, Opts: S | R | OptForward,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("1.1.1.1", 0, ipvs.Masq, 1)}},
		{"-a -r 1.1.1.1:8080 -t 10.0.0.1:80", Command{Cmd: CmdAddServer, Opts: S | R,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("1.1.1.1", 80, ipvs.Route, 1)}},
		{"-a -t 10.0.0.1:80 -r 1.1.1.1:8080 -i", Command{Cmd: CmdAddServer, Opts: S | R | OptForward,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("1.1.1.1", 80, ipvs.Tunnel, 1)}},
		{"-a -t 10.0.0.1:80 -r [2001:db8::2]:8080 -i", Command{Cmd: CmdAddServer, Opts: S | R | OptForward,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("2001:db8::2", 80, ipvs.Tunnel, 1)}},
		{"-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gue --tun-port 6080 --tun-csum", Command{Cmd: CmdAddServer,
			Opts:    S | R | OptForward | OptTunType | OptTunPort | OptTunCsum,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all),
			Dest:    ipvs.Dest{Addr: addr("1.1.1.1"), Port: 80, Fwd: ipvs.Tunnel, Weight: 1, TunnelType: ipvs.TunnelGUE, TunnelPort: 6080, TunnelFlags: ipvs.TunnelCsum}}},
		{"-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gue --tun-port 6080 --tun-remcsum", Command{Cmd: CmdAddServer,
			Opts:    S | R | OptForward | OptTunType | OptTunPort | OptTunRemCsum,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all),
			Dest:    ipvs.Dest{Addr: addr("1.1.1.1"), Port: 80, Fwd: ipvs.Tunnel, Weight: 1, TunnelType: ipvs.TunnelGUE, TunnelPort: 6080, TunnelFlags: ipvs.TunnelRemCsum}}},
		{"-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gre --tun-nocsum", Command{Cmd: CmdAddServer,
			Opts:    S | R | OptForward | OptTunType | OptTunNoCsum,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all),
			Dest:    ipvs.Dest{Addr: addr("1.1.1.1"), Port: 80, Fwd: ipvs.Tunnel, Weight: 1, TunnelType: ipvs.TunnelGRE}}},
		{"-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type ipip", Command{Cmd: CmdAddServer, Opts: S | R | OptForward | OptTunType,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("1.1.1.1", 80, ipvs.Tunnel, 1)}},
		{"-e -t 10.0.0.1:80 -r 192.168.1.1 -w 3", Command{Cmd: CmdEditServer, Opts: S | R | OptWeight,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("192.168.1.1", 80, ipvs.Route, 3)}},
		{"-e -t 10.0.0.1:80 -r 192.168.1.1:8080 -w 5", Command{Cmd: CmdEditServer, Opts: S | R | OptWeight,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("192.168.1.1", 80, ipvs.Route, 5)}},
		{"-d -t 10.0.0.1:80 -r 192.168.1.1:8080", Command{Cmd: CmdDelServer, Opts: S | R,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("192.168.1.1", 8080, ipvs.Route, 1)}},
		{"-d -t 10.0.0.1:80 -r 192.168.1.1", Command{Cmd: CmdDelServer, Opts: S | R,
			Service: svc(tcp("10.0.0.1", 80), "", 0, 0, all), Dest: dest("192.168.1.1", 80, ipvs.Route, 1)}},
		{"--set 900 120 300", Command{Cmd: CmdSet, Timeouts: ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}}},
		{"--start-daemon master", Command{Cmd: CmdStartDaemon, Daemon: ipvs.Daemon{State: ipvs.Master, Interface: "eth0"}}},
		{"--start-daemon backup --mcast-interface eth1 --syncid 9", Command{Cmd: CmdStartDaemon, Opts: OptMcastInterface | OptSyncID,
			Daemon: ipvs.Daemon{State: ipvs.Backup, Interface: "eth1", SyncID: 9}}},
		{"--start-daemon master --mcast-interface averyveryverylongifname", Command{Cmd: CmdStartDaemon, Opts: OptMcastInterface,
			Daemon: ipvs.Daemon{State: ipvs.Master, Interface: "averyveryverylo"}}},
		{"--start-daemon=master --mcast-group 224.0.0.82 --mcast-port 8849 --mcast-ttl 2 --sync-maxlen 1400", Command{Cmd: CmdStartDaemon,
			Opts:   OptMcastGroup | OptMcastPort | OptMcastTTL | OptSyncMaxLen,
			Daemon: ipvs.Daemon{State: ipvs.Master, Interface: "eth0", Group: addr("224.0.0.82"), Port: 8849, TTL: 2, MaxLen: 1400}}},
		{"--start-daemon backup --mcast-group ff02::81", Command{Cmd: CmdStartDaemon, Opts: OptMcastGroup,
			Daemon: ipvs.Daemon{State: ipvs.Backup, Interface: "eth0", Group: addr("ff02::81")}}},
		{"--stop-daemon backup", Command{Cmd: CmdStopDaemon, Daemon: ipvs.Daemon{State: ipvs.Backup}}},
		{"--stop-daemon master --syncid 3", Command{Cmd: CmdStopDaemon, Opts: OptSyncID, Daemon: ipvs.Daemon{State: ipvs.Master, SyncID: 3}}},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c, err := Parse(argv(tc.line), parseTestResolver{})
			if err != nil {
				t.Fatalf("unexpected error %q", err)
			}
			if *c != tc.want {
				t.Errorf("got  %+v\nwant %+v", *c, tc.want)
			}
		})
	}
}

// TestLongShort checks that each long name does what its short name does.
func TestLongShort(t *testing.T) {
	pairs := [][2]string{
		{"-A -t 10.0.0.1:80", "--add-service --tcp-service 10.0.0.1:80"},
		{"-E -u 10.0.0.1:53", "--edit-service --udp-service=10.0.0.1:53"},
		{"-D -f 5", "--delete-service --fwmark-service 5"},
		{"-C", "--clear"},
		{"-L -n -c", "--list --numeric --connection"},
		{"-l", "--list"},
		{"-Z", "--zero"},
		{"-R", "--restore"},
		{"-S", "--save"},
		{"-h", "--help"},
		{"-v", "--version"},
		{"-a -t 10.0.0.1:80 -r 1.1.1.1 -m -w 2 -x 3 -y 1",
			"--add-server --tcp-service 10.0.0.1:80 --real-server 1.1.1.1 --masquerading --weight 2 --u-threshold 3 --l-threshold 1"},
		{"-e -t 10.0.0.1:80 -r 1.1.1.1 -g", "--edit-server --tcp-service 10.0.0.1:80 --real-server 1.1.1.1 --gatewaying"},
		{"-d -t 10.0.0.1:80 -r 1.1.1.1 ", "--delete-server --tcp-service 10.0.0.1:80 --real-server=1.1.1.1"},
		{"-a -t 10.0.0.1:80 -r 1.1.1.1 -i", "-a -t 10.0.0.1:80 -r 1.1.1.1 --ipip"},
		{"-A -t 10.0.0.1:80 -s rr -p 10 -M 255.0.0.0 -b flag-1",
			"-A -t 10.0.0.1:80 --scheduler rr --persistent=10 --netmask 255.0.0.0 --sched-flags flag-1"},
		{"-A -u 10.0.0.1:53 -o", "-A -u 10.0.0.1:53 --ops"},
		{"-A -f 1 -6", "-A -f 1 --ipv6"},
		{"-L -X --stats", "-L --exact --stats"},
	}
	for _, p := range pairs {
		t.Run(p[1], func(t *testing.T) {
			a, errA := Parse(argv(p[0]), parseTestResolver{})
			b, errB := Parse(argv(p[1]), parseTestResolver{})
			if errA != nil || errB != nil {
				t.Fatalf("errors %v / %v", errA, errB)
			}
			if *a != *b {
				t.Errorf("%s: %+v\n%s: %+v", p[0], *a, p[1], *b)
			}
		})
	}
}

// TestAddresses covers §4: host[:port] parsing, brackets, IPv6, inet_aton
// forms, names, and the option-order dependence of -r.
func TestAddresses(t *testing.T) {
	cases := []struct {
		line string
		want string // service as "addr port", or the dest with "-r" cases
	}{
		{"-A -t 10.0.0.1:http", "10.0.0.1 80"},
		{"-A -t 10.0.0.1:080", "10.0.0.1 80"},
		{"-A -t 10.0.0.1:+80", "10.0.0.1 80"},
		{"-A -t 1.2.3:80", "1.2.0.3 80"},
		{"-A -t 1.2:80", "1.0.0.2 80"},
		{"-A -t 167772161:80", "10.0.0.1 80"},
		{"-A -t 0x0a000001:80", "10.0.0.1 80"},
		{"-A -t 012.0.0.1:80", "10.0.0.1 80"},
		{"-A -t 1:80", "0.0.0.1 80"},
		{"-A -t localhost:80", "127.0.0.1 80"},
		{"-A -t vm:ssh", "192.168.122.10 22"},
		{"-A -u 10.0.0.1:sip", "10.0.0.1 5060"},
		{"-A -u 10.0.0.1:http", "10.0.0.1 80"},
		{"-A -t [::1]:80", "::1 80"},
		{"-A -t [::1]:http", "::1 80"},
		{"-A -t [::ffff:10.0.0.1]:80", "::ffff:10.0.0.1 80"},
		{"-A -t ::1 -p", "::1 0"},
		{"-A -t ::1:80 -p", "::1:80 0"},
		{"-A -t [10.0.0.1]:80 -p", "10.0.0.1 0"},
		{"-A -t [10.0.0.1:90]:80", "10.0.0.1 90"}, // the split runs inside the brackets
		{"-A -t [localhost]:80 -p", "127.0.0.1 0"},
		{"-A -t 10.0.0.1:0 -p", "10.0.0.1 0"},
		{"-A -t 10.0.0.1:65535", "10.0.0.1 65535"},
		{"-A -t 0.0.0.0:80", "0.0.0.0 80"},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c, err := Parse(argv(tc.line), parseTestResolver{})
			if err != nil {
				t.Fatalf("unexpected error %q", err)
			}
			got := fmt.Sprintf("%s %d", c.Service.Addr, c.Service.Port)
			if got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			wantFamily := ipvs.INET
			if c.Service.Addr.Is6() {
				wantFamily = ipvs.INET6
			}
			if c.Service.Family != wantFamily || c.Service.Protocol == 0 {
				t.Errorf("family %v protocol %v", c.Service.Family, c.Service.Protocol)
			}
		})
	}
	// With spaces inside a word: inet_aton ignores what follows a blank.
	c, err := Parse([]string{"ipvsadm", "-A", "-t", "10.0.0.1 junk:80"}, parseTestResolver{})
	if err != nil || c.Service.Addr != netip.MustParseAddr("10.0.0.1") || c.Service.Port != 80 {
		t.Errorf("10.0.0.1 junk:80: %+v %v", c, err)
	}

	vs := "illegal virtual server address[:port] specified"
	rs := "illegal real server address[:port] specified"
	checkErrCases(t, []errCase{
		{argv("-A -t 10.0.0.1:-1"), 2, vs},
		{argv("-A -t 10.0.0.1:0x50"), 2, vs},
		{argv("-A -t nosuchhost.invalid:80"), 2, vs},
		{argv("-A -t 10.0.0.1:80:90"), 2, vs},
		{argv("-A -t 1"), 2, vs},
		{argv("-A -t 80"), 2, vs},
		{argv("-A -t 10.0.0.1:"), 2, vs},
		{argv("-A -t :80"), 2, vs},
		{argv("-A -t="), 2, vs},
		{argv("-A -t 10.0.0.1:ssh/tcp"), 2, vs},
		{argv("-A -t 10.0.0.1:sip"), 2, vs}, // sip is udp only
		{argv("-A -u 10.0.0.1:ssh"), 2, vs},
		{argv("-A --sctp-service 10.0.0.1:http"), 2, vs},
		{argv("-A -t v6only:80"), 2, vs},
		{argv("-A -t 256.0.0.1:80"), 2, vs},
		{argv("-A -t 1.2.3.4.5:80"), 2, vs},
		{argv("-A -t 1.2.3.:80"), 2, vs},
		{argv("-A -t 08.0.0.1:80"), 2, vs},
		{argv("-A -t [::1]"), 2, vs},
		{argv("-A -t [::1]80"), 2, vs},
		{argv("-A -t [::1:80"), 2, vs},
		{argv("-A -t [::1]:"), 2, vs},
		{argv("-A -t [::1]:65536"), 2, vs},
		{argv("-A -t [fe80::1%eth0]:80"), 2, vs},
		{argv("-A -t fe80::1%eth0"), 2, vs},
		{argv("-A -t [1::2::3]:80"), 2, vs},
		{argv("-A -t ::1"), 2, "Zero port specified for non-persistent service"},
		{argv("-A -t [10.0.0.1]:80"), 2, "Zero port specified for non-persistent service"},
		{argv("-a -t 10.0.0.1:80 -r 300.1.1.1:80"), 2, rs},
		{argv("-a -r 1.1.1.1:http -t 10.0.0.1:80 -m"), 2, rs}, // no protocol yet
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1:99999"), 2, rs},
		{argv("-a -t 10.0.0.1:80 -r"), 255, "-r: missing argument"},
	})
}

// TestRealServerPorts covers §3.3.5's port rules for -r.
func TestRealServerPorts(t *testing.T) {
	cases := []struct {
		line string
		port uint16
	}{
		{"-a -t 10.0.0.1:80 -r 1.1.1.1:8080 -m", 8080},      // NAT keeps the port
		{"-a -t 10.0.0.1:80 -r 1.1.1.1 -m", 80},             // copied from -t
		{"-a -r 1.1.1.1 -t 10.0.0.1:80 -m", 0},              // -t came later
		{"-a -t 10.0.0.1:80 -r 1.1.1.1:8080", 80},           // DR forces the virtual port
		{"-a -t 10.0.0.1:80 -r 1.1.1.1:8080 -i", 80},        // and so does tunnelling
		{"-a -r 1.1.1.1:8080 -t 10.0.0.1:80 -g", 80},        // whatever the order
		{"-a -f 1 -r 1.1.1.1:8080", 8080},                   // never for fwmark
		{"-a -f 1 -r 1.1.1.1 -i", 0},                        //
		{"-d -t 10.0.0.1:80 -r 1.1.1.1:8080", 8080},         // -d forces nothing
		{"-a -t 10.0.0.1:80 -r 1.1.1.1:0 -m", 0},            //
		{"-a -t [::1]:80 -r ::2 -m", 80},                    // unbracketed IPv6 has no port
		{"-a -t 10.0.0.1:http -r 1.1.1.1:http -m", 80},      // names by -t's protocol
		{"-a -u 10.0.0.1:5060 -r 1.1.1.1:sip -m", 5060},     //
		{"-a -t 10.0.0.1:80 -r [1.1.1.1]:8080 -m", 80},      // brackets around IPv4 lose the port
		{"-e -t 10.0.0.1:80 -r 1.1.1.1:8080 -m -w 0", 8080}, //
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c, err := Parse(argv(tc.line), parseTestResolver{})
			if err != nil {
				t.Fatalf("unexpected error %q", err)
			}
			if c.Dest.Port != tc.port {
				t.Errorf("port %d, want %d", c.Dest.Port, tc.port)
			}
		})
	}
}

// TestNetmask covers -M: IPv4 by inet_aton or name, IPv6 by atoi, and
// the family known when -M is read.
func TestNetmask(t *testing.T) {
	cases := []struct {
		line string
		mask uint32
	}{
		{"-A -t 10.0.0.1:80 -p -M 255.255.255.0", 0xffffff00},
		{"-A -t 10.0.0.1:80 -p -M 255.0.255.0", 0xff00ff00}, // not checked for contiguity
		{"-A -t 10.0.0.1:80 -p -M 0xffffff00", 0xffffff00},
		{"-A -t 10.0.0.1:80 -p -M 0", 0},
		{"-A -p -M 255.255.0.0 -t 10.0.0.1:80", 0xffff0000},
		{"-A -p -M 64 -t [::1]:80", 128}, // the later IPv6 address resets it
		{"-A -f 1 -p -M 64 -6", 128},     // as does a later -6
		{"-A -t [::1]:80 -p -M 64", 64},
		{"-A -t [::1]:80 -p -M 64abc", 64},
		{"-A -t [::1]:80 -p -M +128", 128},
		{"-A -t [::1]:80 -p -M 4294967297", 1}, // atoi keeps the low 32 bits
		{"-A -f 1 -6 -p -M 1", 1},
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c, err := Parse(argv(tc.line), parseTestResolver{})
			if err != nil {
				t.Fatalf("unexpected error %q", err)
			}
			if c.Service.Netmask != tc.mask {
				t.Errorf("netmask %#x, want %#x", c.Service.Netmask, tc.mask)
			}
		})
	}
	v4 := "illegal virtual server persistent mask specified"
	v6 := "illegal ipv6 netmask specified"
	checkErrCases(t, []errCase{
		{argv("-A -t 10.0.0.1:80 -p -M 256.0.0.0"), 2, v4},
		{argv("-A -t 10.0.0.1:80 -p -M nosuchhost"), 2, v4},
		{argv("-A -t 10.0.0.1:80 -p -M v6only"), 2, v4},
		{argv("-A -t 10.0.0.1:80 -p -M="), 2, v4},
		{argv("-A -t [::1]:80 -p -M 0"), 2, v6},
		{argv("-A -t [::1]:80 -p -M 129"), 2, v6},
		{argv("-A -t [::1]:80 -p -M -64"), 2, v6},
		{argv("-A -t [::1]:80 -p -M abc"), 2, v6},
		{argv("-A -t [::1]:80 -p -M 255.255.255.0"), 2, v6}, // atoi reads 255
		{argv("-A -t [::1]:80 -p -M 99999999999999999999"), 2, v6},
		{argv("-A -f 1 -6 -M 129"), 2, v6},
	})
}

// TestIPv6Flag: -6 must follow -f, repeats freely, and is no option bit.
func TestIPv6Flag(t *testing.T) {
	checkErrCases(t, []errCase{
		{argv("-A -6 -f 1"), 2, "-6 used before -f\n"},
		{argv("-A -t 10.0.0.1:80 -6"), 2, "-6 used before -f\n"},
		{argv("-L --ipv6"), 2, "-6 used before -f\n"},
		{argv("-A -f 0 -6"), 2, "invalid fwmark value `0' specified"},
	})
	c, err := Parse(argv("-Z -f 9 -6 -6"), parseTestResolver{})
	if err != nil || c.Opts != OptService || c.Service.ServiceKey != ipvs.FwmarkKey(ipvs.INET6, 9) {
		t.Errorf("got %+v, %v", c, err)
	}
}

// TestSchedFlags covers -b (§6), including the deliberate difference for
// "-b ,".
func TestSchedFlags(t *testing.T) {
	cases := []struct {
		line  string
		flags ipvs.ServiceFlags
	}{
		{"-A -t 10.0.0.1:80 -s rr -b ,", 0}, // upstream segfaults; lvskit: no flags
		{"-A -t 10.0.0.1:80 -s rr -b ,,,", 0},
		{"-A -t 10.0.0.1:80 -s rr -b=", 0}, // empty: no flags, but -b counted
		{"-A -t 10.0.0.1:80 -b ,flag-1,,flag-3,", ipvs.FlagSched1 | ipvs.FlagSched3},
		{"-A -t 10.0.0.1:80 -b flag-2,flag-2", ipvs.FlagSched2},
		{"-A -t 10.0.0.1:80 -b sh-port -s sh", ipvs.FlagSHPort}, // checked against the final -s
		{"-A -t 10.0.0.1:80 -s mh -b mh-fallback,mh-port", ipvs.FlagMHFallback | ipvs.FlagMHPort},
		{"-A -u 10.0.0.1:53 -s sh -b sh-fallback,flag-3 -p -o", ipvs.FlagSHFallback | ipvs.FlagSched3 | ipvs.FlagPersistent | ipvs.FlagOnePacket},
		{"-A -f 1 -p -o -b flag-1", ipvs.FlagPersistent | ipvs.FlagOnePacket | ipvs.FlagSched1},
		{"-A -t 10.0.0.1:80 -b flag-1," + strings.Repeat(",", 114) + "flag-2", ipvs.FlagSched1 | ipvs.FlagSched2}, // 127 bytes: all kept
	}
	for _, tc := range cases {
		t.Run(tc.line, func(t *testing.T) {
			c, err := Parse(argv(tc.line), parseTestResolver{})
			if err != nil {
				t.Fatalf("unexpected error %q", err)
			}
			if c.Service.Flags != tc.flags || !c.Has(OptSchedFlags) {
				t.Errorf("flags %#x, want %#x (opts %#x)", c.Service.Flags, tc.flags, c.Opts)
			}
		})
	}
	checkErrCases(t, []errCase{
		{argv("-A -t 10.0.0.1:80 -b mh-port -s sh"), 2, "incompatible scheduler flag `mh-port'"},
		{argv("-A -t 10.0.0.1:80 -s shx -b sh-port"), 2, "incompatible scheduler flag `sh-port'"},
		{[]string{"ipvsadm", "-A", "-t", "10.0.0.1:80", "-s", "", "-b", "sh-port"}, 2, "incompatible scheduler flag `sh-port'"},
		{argv("-A -t 10.0.0.1:80 -b flag-1,foo,sh-port"), 2, "invalid scheduler flag `foo'"},
		{argv("-A -t 10.0.0.1:80 -b sh-port,foo"), 2, "incompatible scheduler flag `sh-port'"},
		{argv("-A -t 10.0.0.1:80 -b FLAG-1"), 2, "invalid scheduler flag `FLAG-1'"},
		// ipvsadm copies -b into a 128-byte buffer: 127 bytes survive.
		{argv("-A -t 10.0.0.1:80 -b flag-1," + strings.Repeat(",", 115) + "flag-2"), 2, "invalid scheduler flag `flag-'"},
		// -b is checked before the matrix.
		{argv("-L -b foo"), 2, "invalid scheduler flag `foo'"},
		{argv("-L -b flag-1"), 2, "Illegal 'sched-flags' option with the 'list' command"},
		// but after leftovers.
		{argv("-A -t 10.0.0.1:80 -b foo extra"), 2, "unexpected argument extra"},
	})
}

// TestOrder covers the order of the checks across stages (§2).
func TestOrder(t *testing.T) {
	checkErrCases(t, []errCase{
		{argv("-L extra -s rr"), 2, "unexpected argument extra"},
		{argv("-A -t 10.0.0.1 -n"), 2, "Illegal 'numeric' option with the 'add-service' command"},
		{argv("-A -t 10.0.0.1:53 -o -n"), 2, "Illegal 'numeric' option with the 'add-service' command"},
		{argv("-A -t 10.0.0.1 -o"), 2, "Zero port specified for non-persistent service"},
		{argv("-a -t 10.0.0.1:80 -r ::2 -m --tun-type gue"), 2, "Different address family is allowed only for tunneling servers"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 --tun-port 1 --tun-type gue"), 2, "Tunnel options conflict with forward method"},
		{argv("-L --stats -c --timeout"), 2, "The option 'timeout' conflicts with the 'connection' option in the 'list' command"},
		{argv("-L --daemon --persistent-conn"), 2, "options conflicts in the list command"},
		{argv("-L --timeout --persistent-conn"), 2, "options conflicts in the list command"},
		{argv("-L --daemon --rate"), 2, "options conflicts in the list command"},
		{argv("-L --timeout --thresholds"), 2, "options conflicts in the list command"},
		{argv("-L -c --rate"), 2, "options conflicts in the list command"},
		// The matrix goes by bit order, not command-line order.
		{argv("-A --nosort -n -t 10.0.0.1:80"), 2, "Illegal 'numeric' option with the 'add-service' command"},
		{argv("-L --daemon -c"), 2, "The option 'daemon' conflicts with the 'connection' option in the 'list' command"},
		{argv("-L --timeout -t 10.0.0.1:80"), 2, "The option 'timeout' conflicts with the 'service-address' option in the 'list' command"},
		{argv("-a -r 1.1.1.1"), 2, "You need to supply the 'service-address' option for the 'add-server' command"},
		{argv("-d -r 1.1.1.1 -s rr"), 2, "You need to supply the 'service-address' option for the 'delete-server' command"},
		{argv("--set 1 2 3 -n"), 2, "Illegal 'numeric' option with the 'set' command"},
		{argv("-R -n"), 2, "Illegal 'numeric' option with the 'restore' command"},
		{argv("-S --nosort"), 2, "Illegal 'nosort' option with the 'save' command"},
		{argv("-S --exact"), 2, "Illegal 'exact' option with the 'save' command"},
		{argv("-Z -n"), 2, "Illegal 'numeric' option with the 'zero' command"},
		{argv("-C -t 10.0.0.1:80"), 2, "Illegal 'service-address' option with the 'flush' command"},
		{argv("--start-daemon master -n"), 2, "Illegal 'numeric' option with the 'start-daemon' command"},
		{argv("--start-daemon master --tun-info"), 2, "Illegal 'tun-info' option with the 'start-daemon' command"},
		{argv("--stop-daemon master --mcast-group 224.0.0.81"), 2, "Illegal 'mcast-group' option with the 'stop-daemon' command"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 --tun-info"), 2, "Illegal 'tun-info' option with the 'add-server' command"},
		{argv("-d -t 10.0.0.1:80 -r 1.1.1.1 -m"), 2, "Illegal 'forwarding-method' option with the 'delete-server' command"},
	})
}

// TestSemantics covers §3.3's checks one by one.
func TestSemantics(t *testing.T) {
	checkErrCases(t, []errCase{
		{argv("-E -t 10.0.0.1"), 2, "Zero port specified for non-persistent service"},
		{argv("-E -t 10.0.0.1:0 -s rr"), 2, "Zero port specified for non-persistent service"},
		{argv("-A -t [::1]:0"), 2, "Zero port specified for non-persistent service"},
		{argv("-E -t 10.0.0.1:53 -o"), 2, "One-Packet Scheduling is only for UDP virtual services"},
		{argv("-A --sctp-service 10.0.0.1:53 -o"), 2, "One-Packet Scheduling is only for UDP virtual services"},
		{argv("-e -t 10.0.0.1:80 -r [::2]:80"), 2, "Different address family is allowed only for tunneling servers"},
		{argv("-a -t [::1]:80 -r 1.1.1.1"), 2, "Different address family is allowed only for tunneling servers"},
		{argv("-a -f 1 -6 -r 1.1.1.1 -m"), 2, "Different address family is allowed only for tunneling servers"},
		{argv("-a -f 1 -r ::1"), 2, "Different address family is allowed only for tunneling servers"},
		{argv("-e -t 10.0.0.1:80 -r 1.1.1.1 -m --tun-nocsum"), 2, "Tunnel options conflict with forward method"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -g --tun-port 1"), 2, "Tunnel options conflict with forward method"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 --tun-remcsum"), 2, "Tunnel options conflict with forward method"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-port 1"), 2, "Illegal 'tun-port' option with the 'ipip' tunnel type"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-nocsum"), 2, "Illegal 'tun-nocsum' option with the 'ipip' tunnel type"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type ipip --tun-csum"), 2, "Illegal 'tun-csum' option with the 'ipip' tunnel type"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gre --tun-remcsum"), 2, "Illegal 'tun-remcsum' option with the 'gre' tunnel type"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gre --tun-nocsum --tun-csum"), 2, "The option 'tun-csum' conflicts with the 'tun-nocsum' option in the 'gre' tunnel type"},
		{argv("-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gue --tun-port 1 --tun-remcsum --tun-nocsum"), 2, "The option 'tun-remcsum' conflicts with the 'tun-nocsum' option in the 'gue' tunnel type"},
		{argv("-e -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gue --tun-csum"), 2, "You need to supply the 'tun-port' option for the 'gue' tunnel type"},
	})
	// Things §3.3 allows.
	for _, line := range []string{
		"-A -f 1",    // fwmark: port 0 is fine
		"-A -f 1 -o", // and so is -o
		"-A -u 10.0.0.1:53 -o -p",
		"-A -t 10.0.0.1:0 -p 10",
		"-a -t 10.0.0.1:80 -r [::2]:80 -i",
		"-a -f 1 -6 -r 1.1.1.1 -i",
		"-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gue --tun-port 1",
		"-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gue --tun-port 1 --tun-nocsum",
		"-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gre --tun-csum",
		"-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type gre",
		"-d -t 10.0.0.1:80 -r [::2]:80", // -d does no family check
		"-L -c --persistent-conn",
		"-L --stats --rate --thresholds --persistent-conn --exact --tun-info -n --nosort",
	} {
		if _, err := Parse(argv(line), parseTestResolver{}); err != nil {
			t.Errorf("%s: unexpected error %q", line, err)
		}
	}
}

// recordingResolver records every lookup, to check which names reach the
// resolver and with which protocol.
type recordingResolver struct {
	parseTestResolver
	calls *[]string
}

func (r recordingResolver) LookupHost4(name string) (netip.Addr, bool) {
	*r.calls = append(*r.calls, "host "+name)
	return r.parseTestResolver.LookupHost4(name)
}

func (r recordingResolver) LookupPort(name, proto string) (uint16, bool) {
	*r.calls = append(*r.calls, "port "+name+"/"+proto)
	return r.parseTestResolver.LookupPort(name, proto)
}

func TestResolverCalls(t *testing.T) {
	cases := []struct {
		line  string
		calls string
	}{
		{"-A -t 10.0.0.1:80", ""},
		{"-A -t 10.0.0.1:http", "port http/tcp"},
		{"-A -u localhost:http", "host localhost,port http/udp"},
		{"-A --sctp-service 10.0.0.1:http", "port http/sctp"},
		{"-a -f 1 -r 1.1.1.1:http", "port http/tcp"},
		{"-a -r 1.1.1.1:http -t 10.0.0.1:80", ""}, // no protocol yet: no lookup
		{"-a -t 10.0.0.1:80 -r 300.1.1.1:80", ""}, // gethostbyname answers digits-and-dots itself
		{"-a -t 10.0.0.1:80 -r 1.2.3.4.:80", "host 1.2.3.4."},
		{"-A -t :80", ""},
		{"-A -t 10.0.0.1:", ""},
		{"-A -t 10.0.0.1:80 -p -M localhost", "host localhost"},
		{"-A -t [::1]:80 -p -M localhost", ""}, // IPv6 mask: atoi, no lookup
		{"-A -t [::1]:ssh", "port ssh/tcp"},
	}
	for _, tc := range cases {
		var calls []string
		_, _ = Parse(argv(tc.line), recordingResolver{calls: &calls})
		if got := strings.Join(calls, ","); got != tc.calls {
			t.Errorf("%s: lookups %q, want %q", tc.line, got, tc.calls)
		}
	}
	// Without a resolver, names simply fail.
	if _, err := Parse(argv("-A -t localhost:80"), nil); err == nil || err.Error() != "illegal virtual server address[:port] specified" {
		t.Errorf("nil resolver: %v", err)
	}
	if c, err := Parse(argv("-A -t 10.0.0.1:80"), nil); err != nil || c.Service.Port != 80 {
		t.Errorf("nil resolver, numeric: %+v %v", c, err)
	}
}

// TestDaemonArgs covers --start-daemon/--stop-daemon and the daemon
// options.
func TestDaemonArgs(t *testing.T) {
	checkErrCases(t, []errCase{
		{argv("--start-daemon Master"), 2, "illegal start-daemon parameter specified"},
		{argv("--start-daemon=backup2"), 2, "illegal start-daemon parameter specified"},
		{argv("--stop-daemon="), 2, "illegal start_daemon specified"},
		{argv("--stop-daemon"), 255, tryText},
		{argv("--start-daemon master --mcast-group 224.1"), 2, "invalid IPv4 mcast-group `224.1'"},
		{argv("--start-daemon master --mcast-group 224.000.0.1"), 2, "invalid IPv4 mcast-group `224.000.0.1'"},
		{argv("--start-daemon master --mcast-group 239.255.255.255x"), 2, "invalid IPv4 mcast-group `239.255.255.255x'"},
		{argv("--start-daemon master --mcast-group ::ffff:224.0.0.1"), 2, "invalid IPv6 mcast-group `::ffff:224.0.0.1'"},
		{argv("--start-daemon master --mcast-group ff02::1%eth0"), 2, "invalid IPv6 mcast-group `ff02::1%eth0'"},
		{argv("--start-daemon master --mcast-group foo"), 2, "invalid IPv4 mcast-group `foo'"},
		{argv("--start-daemon master --mcast-interface eth1 --mcast-interface eth2"), 2, "multiple 'mcast-interface' options specified"},
	})
	c, err := Parse([]string{"ipvsadm", "--start-daemon", "master", "--mcast-interface", ""}, nil)
	if err != nil || c.Daemon.Interface != "eth0" {
		t.Errorf("empty interface: %+v %v", c, err)
	}
}

// TestCString: C sees an argument only up to its first NUL.
func TestCString(t *testing.T) {
	c, err := Parse([]string{"ipvsadm", "-A", "-t", "10.0.0.1:80\x00junk", "-s", "rr\x00x"}, nil)
	if err != nil || c.Service.Port != 80 || c.Service.Scheduler != "rr" {
		t.Errorf("got %+v %v", c, err)
	}
	e := parseErr(t, []string{"prog\x00x", "-n"})
	if e.Text != "Try `prog -h' or 'prog --help' for more information." {
		t.Errorf("got %q", e.Text)
	}
}
