package nanny

import (
	"crypto/x509"
	"fmt"
	"math"
	"net"
	"net/netip"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"lvskit/internal/ipvs"
	"lvskit/internal/lvsconf"
	"lvskit/nanny/check"
)

type mission int

const (
	lvsMission mission = iota + 1 // keep a real server in an IPVS service
	fosMission                    // watch a partner's service for pulse's failover services
)

// Config is a parsed command line.
type Config struct {
	Mission  mission
	Target   check.Target // -h and -r: what the checks probe
	VIP      netip.Addr
	VPort    uint16
	Service  ipvs.ServiceKey
	Fwd      ipvs.FwdMethod
	Weight   int32
	Scale    int
	Quiesce  bool
	Interval time.Duration // between the starts of two checks
	Timeout  time.Duration // of one check
	Jitter   time.Duration // the first check starts at random within it
	Fall     int
	Rise     int
	// SlowStart is the time over which a server returning to service
	// goes from 1/10 of its weight to all of it; 0 is at once.
	SlowStart time.Duration
	Check     check.Checker
	// Notes are said once at start (Piranha's "assuming web service").
	Notes     []string
	Feedback  *feedback
	NoDaemon  bool
	Verbose   bool
	TestStart bool
	Color     string
}

// dest is the destination nanny puts in the table. Direct routing and
// tunnelling cannot change the port, so the kernel's entry has the
// virtual port whatever -r says; Piranha's nanny sent RIP:RPORT to
// delete it, failed, and took the director down (pain point 7.1.1).
func (c *Config) dest() ipvs.Dest {
	return ipvs.Dest{Addr: c.Target.Addr, Port: ipvs.RealPort(c.Service, c.Fwd, c.Target.Port), Fwd: c.Fwd}
}

// flags are nanny's options: Piranha's, with its long names (and the
// man page's misspellings of them, which Piranha's nanny refused), then
// lvskit's.
func flags() []cli.Flag {
	b := func(name, usage string, aliases ...string) cli.Flag {
		return &cli.BoolFlag{Name: name, Aliases: aliases, Usage: usage, DisableDefaultText: true}
	}
	s := func(name, arg, usage string, aliases ...string) cli.Flag {
		return &cli.StringFlag{Name: name, Aliases: aliases, Usage: strings.Replace(usage, arg, "`"+arg+"`", 1)}
	}
	return []cli.Flag{
		s("server", "RIP", "check the real server at address RIP (required)", "h"),
		s("port", "PORT", "the virtual service's PORT (default 80)", "p"),
		s("rport", "PORT", "check the real server at PORT (default: the virtual port)", "r"),
		s("virtaddress", "VIP", "the virtual service's address VIP", "V"),
		s("fwmark", "MARK", "the virtual service is firewall mark MARK", "f"),
		b("udp", "the virtual service is UDP", "u", "UDP"),
		s("method", "M", "forwarding method M: m (NAT, default), g (direct routing) or i (tunnel)", "M"),
		s("weight", "N", "weight N of the real server in service (default 1)", "w"),
		s("interval", "SECONDS", "each check's timeout in SECONDS, and the interval between checks unless --check-interval (default 10)", "t"),
		s("reentrytime", "SECONDS", "a failed server returns after whole SECONDS of good checks: rise is SECONDS / the check interval (default 180)", "a"),
		s("send_program", "COMMAND", "check by running COMMAND (%h: the real server's address, %p: its port); exit status 0 is up", "e", "send_prog"),
		s("send_string", "TEXT", "send TEXT, with \\r \\n \\t \\\\ \\' \\\" escapes, once connected", "s", "send_str"),
		s("expect_string", "TEXT", "the reply must start with TEXT (* for any reply)", "x", "expect_str"),
		b("regex", "the expect string is a regular expression found anywhere in the reply"),
		b("suppress", "take send and expect strings as they are, without escapes", "T"),
		b("quiesce_server", "take a failed server out of service with weight 0, not removal", "q", "quiesce-server"),
		s("scale", "N", "load feedback may raise the weight up to N times its value (default 10)", "S"),
		s("loadcmd", "CMD", "read the real server's load with CMD: rup, ruptime, rsh or ssh (none: off)", "U"),
		s("ipvsadm", "PATH", "ipvsadm at PATH: accepted for Piranha's lvsd; nanny changes the table itself", "I"),
		b("nodaemon", "log to standard output as well as to syslog", "n"),
		b("nofork", "accepted for Piranha's lvsd; nanny never forks", "c"),
		b("verbose", "log every check", "v"),
		b("test-start", "change nothing in the table; log what would be done", "norun"),
		b("lvs", "keep the real server in an IPVS virtual service"),
		b("fos", "watch a failover service of the partner director (pulse)"),

		s("check", "KIND", "check KIND: tcp, send, program, http, https, icmp, udp, dns or smtp (default: chosen as Piranha did)"),
		s("check-interval", "SECONDS", "start a check every SECONDS; --interval then bounds each check alone"),
		s("fall", "N", "take a server out after N failed checks in a row (default 1)"),
		s("rise", "N", "bring a failed server back after N good checks in a row (default reentrytime / the check interval, at least 1)"),
		s("jitter", "SECONDS", "start the first check at random within SECONDS (default: the interval; 0: at once)"),
		s("slow-start", "SECONDS", "a server returning to service reaches its weight over SECONDS (default 0: at once)"),
		s("http-path", "PATH", "http and https checks: request PATH (default /)"),
		s("http-host", "NAME", "http and https checks: Host header NAME (default: the virtual address)"),
		s("http-status", "CODES", "http and https checks: accepted status CODES, like 200,301-302 (default 200-299)"),
		s("http-digest", "MD5", "http and https checks: the body's MD5 in hex, as keepalived's genhash prints it"),
		s("tls-sni", "NAME", "https checks: send server NAME in the handshake (default: --http-host)"),
		b("tls-verify", "https checks: verify the server's certificate (default: any certificate)"),
		s("tls-ca", "FILE", "https checks: verify against the certificates in FILE (implies --tls-verify)"),
		s("dns-name", "NAME", "dns checks: query NAME (default .)"),
		s("dns-type", "TYPE", "dns checks: query type TYPE: A, AAAA, NS, CNAME, SOA, PTR, MX, TXT or SRV (default SOA)"),
		s("smtp-helo", "NAME", "smtp checks: say HELO NAME (default: this host's name)"),
		s("agent-port", "PORT", "read the weight from an agent on the real server's PORT (75%, drain, ready, ...)"),
		s("feedback-program", "COMMAND", "read the weight from COMMAND's output, as an agent's answer (%h, %p substituted)"),
		s("feedback-interval", "SECONDS", "ask the load source every SECONDS (default 20)"),
		s("color", "WHEN", "colour failures in the log on a terminal WHEN auto, always or never (default auto)"),
		b("version", "print the version and exit"),
		b("help", "print this help and exit", "?", "usage"),
	}
}

// configure checks the command line and builds the Config it describes.
func configure(c *cli.Context) (*Config, error) {
	bad := func(opt, format string, args ...any) error {
		return fmt.Errorf("bad argument %s: %s", opt, fmt.Sprintf(format, args...))
	}
	num := func(name string, def, lo, hi int64) (int64, error) {
		if !c.IsSet(name) {
			return def, nil
		}
		v, err := parseInt(c.String(name))
		if err != nil || v < lo || v > hi {
			return 0, bad("--"+name, "%q is not a number from %d to %d", c.String(name), lo, hi)
		}
		return v, nil
	}
	secs := func(name string, def time.Duration, zeroOK bool) (time.Duration, error) {
		if !c.IsSet(name) {
			return def, nil
		}
		d, err := parseSeconds(c.String(name))
		switch {
		case err != nil && zeroOK:
			return 0, bad("--"+name, "%q is not a number of seconds", c.String(name))
		case err != nil || d == 0 && !zeroOK:
			return 0, bad("--"+name, "%q is not a number of seconds above 0", c.String(name))
		}
		return d, nil
	}

	cfg := &Config{NoDaemon: c.Bool("nodaemon"), Verbose: c.Bool("verbose"), TestStart: c.Bool("test-start"), Quiesce: c.Bool("quiesce_server"), Color: "auto"}
	if c.IsSet("color") {
		cfg.Color = c.String("color")
		if cfg.Color != "auto" && cfg.Color != "always" && cfg.Color != "never" {
			return nil, bad("--color", "%q: auto, always or never", cfg.Color)
		}
	}
	switch {
	case c.Bool("lvs") && c.Bool("fos"):
		return nil, fmt.Errorf("--lvs and --fos exclude each other")
	case c.Bool("lvs"):
		cfg.Mission = lvsMission
	case c.Bool("fos"):
		cfg.Mission = fosMission
	default:
		return nil, fmt.Errorf("unknown service type (give --lvs or --fos)")
	}

	if !c.IsSet("server") {
		return nil, fmt.Errorf("No address supplied. Use '--help' for help. ")
	}
	rip, err := parseAddr(c.String("server"))
	if err != nil {
		return nil, fmt.Errorf("bad IP address -- %s", c.String("server"))
	}
	vport, err := num("port", 80, 0, math.MaxUint16)
	if err != nil {
		return nil, err
	}
	rport, err := num("rport", vport, 0, math.MaxUint16)
	if err != nil {
		return nil, err
	}
	cfg.Target = check.Target{Addr: rip, Port: uint16(rport)}
	cfg.VPort = uint16(vport)
	mark, err := num("fwmark", 0, 0, math.MaxUint32)
	if err != nil {
		return nil, err
	}
	if c.IsSet("virtaddress") {
		if cfg.VIP, err = parseAddr(c.String("virtaddress")); err != nil {
			return nil, fmt.Errorf("bad IP address -- %s", c.String("virtaddress"))
		}
	}
	switch {
	case mark != 0:
		cfg.Service = ipvs.FwmarkKey(ipvs.FamilyOf(rip), uint32(mark))
	case cfg.VIP.IsValid():
		proto := ipvs.TCP
		if c.Bool("udp") {
			proto = ipvs.UDP
		}
		cfg.Service = ipvs.AddrKey(proto, cfg.VIP, cfg.VPort)
	case cfg.Mission == lvsMission:
		return nil, fmt.Errorf("no virtual service: give -V VIP (or -f FWMARK)")
	}
	cfg.Fwd = ipvs.Masq
	if c.IsSet("method") {
		// Piranha: a leading dash is optional and only the first letter
		// counts: i tunnels, g routes, anything else is NAT.
		m := strings.TrimPrefix(c.String("method"), "-")
		switch {
		case strings.HasPrefix(m, "i"):
			cfg.Fwd = ipvs.Tunnel
		case strings.HasPrefix(m, "g"):
			cfg.Fwd = ipvs.Route
		}
	}
	// Only a tunnel may cross address families (the kernel refuses
	// other mixes).
	if cfg.VIP.IsValid() && mark == 0 && rip.Is4() != cfg.VIP.Is4() && cfg.Fwd != ipvs.Tunnel {
		return nil, fmt.Errorf("the real server %s and the virtual address %s are of different address families", rip, cfg.VIP)
	}
	weight, err := num("weight", 1, 0, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	cfg.Weight = int32(weight)
	scale, err := num("scale", 10, 1, 1000)
	if err != nil {
		return nil, err
	}
	cfg.Scale = int(scale)

	if cfg.Timeout, err = secs("interval", 10*time.Second, false); err != nil {
		return nil, err
	}
	if cfg.Interval, err = secs("check-interval", cfg.Timeout, false); err != nil {
		return nil, err
	}
	if cfg.Jitter, err = secs("jitter", cfg.Interval, true); err != nil {
		return nil, err
	}
	if cfg.SlowStart, err = secs("slow-start", 0, true); err != nil {
		return nil, err
	}
	fall, err := num("fall", 1, 1, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	cfg.Fall = int(fall)
	defReentry := int64(180)
	if cfg.Mission == fosMission {
		defReentry = int64(cfg.Interval / time.Second)
	}
	reentry, err := num("reentrytime", defReentry, 0, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	if reentry == 0 {
		reentry = defReentry
	}
	// Piranha: reentry / timeout checks, which may round to 0; a server
	// cannot rise on fewer than one.
	rise := max(1, int64(time.Duration(reentry)*time.Second/cfg.Interval))
	if rise, err = num("rise", rise, 1, math.MaxInt32); err != nil {
		return nil, err
	}
	cfg.Rise = int(rise)

	if cfg.Check, cfg.Notes, err = buildCheck(c, cfg); err != nil {
		return nil, err
	}
	if cfg.Feedback, err = buildFeedback(c, cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// buildCheck makes the check the options ask for. Without --check it
// chooses as Piranha's nanny did: the program, else send/expect, else a
// web request on port 80, else a TCP connect.
func buildCheck(c *cli.Context, cfg *Config) (check.Checker, []string, error) {
	var notes []string
	unescape := func(s string) string {
		if c.Bool("suppress") {
			return s
		}
		return check.Unescape(s)
	}
	send, expect := unescape(c.String("send_string")), unescape(c.String("expect_string"))
	hasSend, hasExpect := c.IsSet("send_string"), c.IsSet("expect_string")
	program := c.String("send_program")
	kind := c.String("check")
	udp := c.Bool("udp")
	if kind == "" {
		switch {
		case program != "":
			kind = "program"
		case hasSend || hasExpect:
			kind = "send"
		case udp && cfg.VPort == 53:
			kind = "dns"
			notes = append(notes, "no monitor configured, assuming DNS service on port 53")
		case udp:
			// Piranha sent nothing and waited for a reply that never
			// came, so such a server never entered service.
			kind = "icmp"
			notes = append(notes, "no monitor configured for a UDP service; checking with ICMP echo (give --check, or send and expect)")
		case cfg.VPort == 80:
			kind = "send"
			send, expect, hasSend, hasExpect = "GET / HTTP/1.0\r\n\r\n", "HTTP", true, true
			notes = append(notes, "no monitor configured, assuming web service on port 80")
		default:
			kind = "tcp"
		}
	}
	if program != "" && hasSend && kind == "program" {
		notes = append(notes, fmt.Sprintf("External program use requested: (%s), IGNORING send string option (%s)", program, send))
	}
	var exp check.Expect
	if hasExpect {
		var err error
		if exp, err = check.ParseExpect(expect, c.Bool("regex")); err != nil {
			return nil, nil, fmt.Errorf("bad argument -x: %v", err)
		}
	}
	t := cfg.Target
	switch kind {
	case "tcp":
		return &check.TCP{Target: t}, notes, nil
	case "send":
		if udp {
			return udpCheck(t, send, hasSend, exp, notes)
		}
		sc := &check.SendExpect{Target: t, Expect: exp}
		if hasSend {
			sc.Send = []byte(send)
		}
		return sc, notes, nil
	case "udp":
		return udpCheck(t, send, hasSend, exp, notes)
	case "program":
		argv := check.SplitCommand(program)
		if len(argv) == 0 {
			return nil, nil, fmt.Errorf("--check program needs a command (-e)")
		}
		return &check.Program{Target: t, Argv: argv, Expect: exp}, notes, nil
	case "http", "https":
		hc := &check.HTTP{Target: t, TLS: kind == "https", Path: c.String("http-path"), Host: c.String("http-host"),
			SNI: c.String("tls-sni"), Verify: c.Bool("tls-verify") || c.IsSet("tls-ca")}
		if hc.Path != "" && !strings.HasPrefix(hc.Path, "/") {
			return nil, nil, fmt.Errorf("bad argument --http-path: %q does not start with /", hc.Path)
		}
		if hc.Host == "" && cfg.VIP.IsValid() {
			// Clients reach the service under the virtual address.
			hc.Host = cfg.VIP.String()
			if cfg.VIP.Is6() {
				hc.Host = "[" + hc.Host + "]"
			}
			if hc.TLS && cfg.VPort != 443 || !hc.TLS && cfg.VPort != 80 {
				hc.Host += fmt.Sprintf(":%d", cfg.VPort)
			}
		}
		if hc.SNI == "" && hc.TLS && c.IsSet("http-host") {
			hc.SNI = hostOnly(hc.Host)
		}
		if c.IsSet("http-status") {
			set, err := check.ParseStatusSet(c.String("http-status"))
			if err != nil {
				return nil, nil, fmt.Errorf("bad argument --http-status: %v", err)
			}
			hc.Status = set
		}
		if c.IsSet("http-digest") {
			d, err := check.ParseDigest(c.String("http-digest"))
			if err != nil {
				return nil, nil, fmt.Errorf("bad argument --http-digest: %v", err)
			}
			hc.Digest = d
		}
		if file := c.String("tls-ca"); file != "" {
			pem, err := os.ReadFile(file)
			if err != nil {
				return nil, nil, fmt.Errorf("bad argument --tls-ca: %v", err)
			}
			hc.RootCAs = x509.NewCertPool()
			if !hc.RootCAs.AppendCertsFromPEM(pem) {
				return nil, nil, fmt.Errorf("bad argument --tls-ca: no PEM certificate in %s", file)
			}
		}
		return hc, notes, nil
	case "icmp":
		return &check.ICMP{Target: t}, notes, nil
	case "dns":
		dc := &check.DNS{Target: t, Name: c.String("dns-name")}
		if c.IsSet("dns-type") {
			typ, err := check.ParseDNSType(c.String("dns-type"))
			if err != nil {
				return nil, nil, fmt.Errorf("bad argument --dns-type: %v", err)
			}
			dc.Type = typ
		}
		return dc, notes, nil
	case "smtp":
		helo := c.String("smtp-helo")
		if helo == "" {
			helo, _ = os.Hostname()
			if helo == "" {
				helo = "localhost"
			}
		}
		return &check.SMTP{Target: t, Helo: helo}, notes, nil
	}
	return nil, nil, fmt.Errorf("bad argument --check: %q is not one of %s", kind, strings.Join(lvsconf.Checks, ", "))
}

func udpCheck(t check.Target, send string, hasSend bool, exp check.Expect, notes []string) (check.Checker, []string, error) {
	if !hasSend || send == "" {
		return nil, nil, fmt.Errorf("a UDP check needs a send string (-s): a UDP service answers only what it is sent")
	}
	uc := &check.UDP{Target: t, Send: []byte(send), Expect: exp.Prefix, Regex: exp.Regex}
	if exp.Any || exp.IsZero() {
		uc.Expect = []byte("*")
	}
	return uc, notes, nil
}

// buildFeedback makes the load source the options ask for, if any.
func buildFeedback(c *cli.Context, cfg *Config) (*feedback, error) {
	every := 20 * time.Second // Piranha adjusted weights about every 20 s
	if c.IsSet("feedback-interval") {
		d, err := parseSeconds(c.String("feedback-interval"))
		if err != nil || d == 0 {
			return nil, fmt.Errorf("bad argument --feedback-interval: %q is not a number of seconds above 0", c.String("feedback-interval"))
		}
		every = d
	}
	var srcs []loadSource
	if c.IsSet("agent-port") {
		p, err := parseInt(c.String("agent-port"))
		if err != nil || p < 1 || p > math.MaxUint16 {
			return nil, fmt.Errorf("bad argument --agent-port: %q is not a port", c.String("agent-port"))
		}
		srcs = append(srcs, agent{target: check.Target{Addr: cfg.Target.Addr, Port: uint16(p)}})
	}
	if c.IsSet("feedback-program") {
		argv := check.SplitCommand(c.String("feedback-program"))
		if len(argv) == 0 {
			return nil, fmt.Errorf("bad argument --feedback-program: no command")
		}
		srcs = append(srcs, feedbackProgram{target: cfg.Target, argv: argv})
	}
	if lc := c.String("loadcmd"); lc != "" && lc != "none" {
		srcs = append(srcs, newLoadCommand(lc, cfg.Target, cfg.Scale))
	}
	switch len(srcs) {
	case 0:
		return nil, nil
	case 1:
		return newFeedback(srcs[0], every, cfg.Scale), nil
	}
	return nil, fmt.Errorf("give one load source: --agent-port, --feedback-program or -U")
}

// parseInt reads an integer as popt did (strtol, base 0: 0x hex, 0
// octal).
func parseInt(s string) (int64, error) {
	return strconv.ParseInt(strings.TrimSpace(s), 0, 64)
}

// parseSeconds reads a number of seconds, fractions allowed.
func parseSeconds(s string) (time.Duration, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 || f > 86400*365 || math.IsNaN(f) {
		return 0, fmt.Errorf("bad number of seconds %q", s)
	}
	return time.Duration(f * float64(time.Second)), nil
}

// parseAddr reads -h and -V: an IPv4 address as inet_aton reads it
// (Piranha's), or an IPv6 address.
func parseAddr(s string) (netip.Addr, error) {
	if a, ok := lvsconf.ParseInetAton(s); ok {
		return a, nil
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() || a.Zone() != "" {
		return netip.Addr{}, fmt.Errorf("bad IP address -- %s", s)
	}
	return a, nil
}

// hostOnly is the name of a Host header without its port or brackets.
func hostOnly(h string) string {
	if host, _, err := net.SplitHostPort(h); err == nil {
		return host
	}
	return strings.TrimSuffix(strings.TrimPrefix(h, "["), "]")
}
