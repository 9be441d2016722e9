package lvsconf

import (
	"errors"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testOptions resolve a few fixed names, so that tests never touch DNS
// or /etc/services.
var testOptions = Options{
	LookupHost: func(name string) (netip.Addr, error) {
		if name == "rs1.example" {
			return netip.MustParseAddr("192.0.2.21"), nil
		}
		return netip.Addr{}, errors.New("no such host")
	},
	LookupPort: func(name string) (int, error) {
		switch name {
		case "http":
			return 80, nil
		case "https":
			return 443, nil
		}
		return 0, errors.New("unknown port")
	},
}

func parse(t *testing.T, src string) (*Config, []Warning) {
	t.Helper()
	c, w, err := Parse("lvs.cf", []byte(src), testOptions)
	if err != nil {
		t.Fatalf("Parse: %v", err)
	}
	return c, w
}

func a4(s string) netip.Addr { return netip.MustParseAddr(s) }

// The reference's three example files parse as written, with Piranha's
// meaning, and Format writes them back to the same configuration.
func TestExamples(t *testing.T) {
	for _, name := range []string{"sample.cf", "gui-direct.cf", "direct-8080.cf"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile("testdata/" + name)
			if err != nil {
				t.Fatal(err)
			}
			c, _, err := Parse(name, data, testOptions)
			if err != nil {
				t.Fatal(err)
			}
			roundTrip(t, c)
		})
	}

	data, _ := os.ReadFile("testdata/sample.cf")
	c, _, _ := Parse("sample.cf", data, testOptions)
	if c.HeartbeatPort != 1050 || c.Keepalive != 6*time.Second || c.Deadtime != 18*time.Second || !c.BackupActive || c.Network != NAT {
		t.Errorf("sample.cf globals: %+v", c)
	}
	if c.PrimaryPrivate != a4("10.11.12.1") || c.BackupPrivate != a4("10.11.12.2") {
		t.Errorf("private addresses: %s %s", c.PrimaryPrivate, c.BackupPrivate)
	}
	if c.NATRouter != a4("192.168.10.100") || c.NATRouterDev != "eth1:1" {
		t.Errorf("nat_router: %s %s", c.NATRouter, c.NATRouterDev)
	}
	if len(c.Virtuals) != 2 || len(c.Failovers) != 1 {
		t.Fatalf("%d virtuals, %d failovers", len(c.Virtuals), len(c.Failovers))
	}
	v := c.Virtuals[0]
	want := Virtual{
		Name: "server1", Active: true, Addr: a4("207.175.44.252"), Device: "eth0:1",
		VIPNetmask: a4("255.255.255.255"), Fwmark: 100, Port: 80, Protocol: "tcp", Scheduler: "wlc",
		Persistent: 60, PMask: a4("0.0.0.0"), Send: `GET / HTTP/1.0\r\n\r\n`, Expect: "HTTP",
		LoadMonitor: "uptime", Timeout: 5, Reentry: 10, ClientMonitor: "/usr/sbin/nanny",
		Servers: []Server{
			{Name: "Real1", Addr: a4("192.168.10.2"), Active: true, Weight: 1, Port: 80},
			{Name: "Real2", Addr: a4("192.168.10.3"), Active: true, Weight: 1, Port: 80},
		},
	}
	if !reflect.DeepEqual(v, want) {
		t.Errorf("virtual server1:\n got %+v\nwant %+v", v, want)
	}
	if f := c.Failovers[0]; f.StartCmd != "/etc/rc.d/init.d/httpd start" || f.Port != 1010 {
		t.Errorf("failover web1: %+v", f)
	}

	data, _ = os.ReadFile("testdata/direct-8080.cf")
	c, w, _ := Parse("direct-8080.cf", data, testOptions)
	if s := c.Virtuals[0].Servers[1]; s.Port != 8080 || s.Addr != a4("192.168.142.159") {
		t.Errorf("server 159: %+v", s)
	}
	// Without primary_private both private addresses are the public
	// ones.
	if c.PrimaryPrivate != a4("192.168.142.160") || c.BackupPrivate != a4("0.0.0.0") {
		t.Errorf("fix-up: %s %s", c.PrimaryPrivate, c.BackupPrivate)
	}
	if !hasWarning(w, "port 8080 differs from the virtual port 80") {
		t.Errorf("no warning for the direct-routing port: %v", w)
	}
}

func hasWarning(ws []Warning, text string) bool {
	for _, w := range ws {
		if strings.Contains(w.String(), text) {
			return true
		}
	}
	return false
}

// roundTrip checks that Format writes c so that it parses back to c.
func roundTrip(t *testing.T, c *Config) {
	t.Helper()
	out, err := Format(c)
	if err != nil {
		t.Fatalf("Format: %v", err)
	}
	c2, _, err := Parse("formatted", out, Options{})
	if err != nil {
		t.Fatalf("Parse(Format(c)): %v\n%s", err, out)
	}
	if !reflect.DeepEqual(c, c2) {
		t.Fatalf("Parse(Format(c)) differs:\n got %+v\nwant %+v\n%s", c2, c, out)
	}
}

// Piranha's traps: each of these lines is rejected or misread by
// Piranha and reads here as its author meant.
func TestTrapsFixed(t *testing.T) {
	base := "primary = 192.0.2.1\n"
	tests := []struct {
		name, src string
		check     func(*Config) bool
	}{
		{"CRLF line ends", "primary = 192.0.2.1\r\nkeepalive = 7\r\n", func(c *Config) bool { return c.Keepalive == 7*time.Second }},
		{"key=value", base + "keepalive=7\n", func(c *Config) bool { return c.Keepalive == 7*time.Second }},
		{"key= value", base + "keepalive= 7\n", func(c *Config) bool { return c.Keepalive == 7*time.Second }},
		{"key =value", base + "keepalive =7\n", func(c *Config) bool { return c.Keepalive == 7*time.Second }},
		{"trailing comment", base + "keepalive = 7   # seconds\n", func(c *Config) bool { return c.Keepalive == 7*time.Second }},
		{"trailing blank after a quoted value", base + "virtual v {\n expect = \"HTTP\" \n}\n", func(c *Config) bool { return c.Virtuals[0].Expect == "HTTP" }},
		{"comment after a quoted value", base + "virtual v {\n expect = \"HTTP\" # status\n}\n", func(c *Config) bool { return c.Virtuals[0].Expect == "HTTP" }},
		{"brace touching the name", base + "virtual v{\n port = 81\n}\n", func(c *Config) bool { return c.Virtuals[0].Port == 81 }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, _ := parse(t, tt.src)
			if !tt.check(c) {
				t.Errorf("misread: %+v", c)
			}
		})
	}
}

// What Piranha accepts keeps Piranha's meaning, quirks included.
func TestPiranhaMeaningKept(t *testing.T) {
	c, w := parse(t, `primary = 192.0.2.1
keepalive = 010
heartbeat_port = http
virtual v {
     port = 8080
     send = "GET / HTTP/1.0\r\n\r\n"
     expect = "HT"TP"
     send_program = '/bin/check %h'
     pmask = 255.255.255.255
     server a {
         address = 10.1
     }
     port = 81
     server b {
         address = rs1.example
     }
}
`)
	v := c.Virtuals[0]
	checks := []struct {
		what      string
		got, want any
	}{
		{"octal keepalive", c.Keepalive, 8 * time.Second},
		{"service-name port", c.HeartbeatPort, uint16(80)},
		{"send keeps backslashes", v.Send, `GET / HTTP/1.0\r\n\r\n`},
		{"inner quote", v.Expect, `HT"TP`},
		{"single quotes kept", v.SendProgram, `'/bin/check %h'`},
		{"pmask 255.255.255.255 is unset", v.PMask, a4("0.0.0.0")},
		{"inet_aton short form", v.Servers[0].Addr, a4("10.0.0.1")},
		{"server port is the virtual port so far", v.Servers[0].Port, uint16(8080)},
		{"later server gets the later port", v.Servers[1].Port, uint16(81)},
		{"hostname resolved", v.Servers[1].Addr, a4("192.0.2.21")},
	}
	for _, ch := range checks {
		if !reflect.DeepEqual(ch.got, ch.want) {
			t.Errorf("%s: got %v, want %v", ch.what, ch.got, ch.want)
		}
	}
	for _, text := range []string{"lvs.cf:2:13: keepalive: 010 is octal, read as 8", "send_program: single quotes are part of the value"} {
		if !hasWarning(w, text) {
			t.Errorf("no warning %q in %v", text, w)
		}
	}
}

func TestWarnings(t *testing.T) {
	_, w := parse(t, "primary = 192.0.2.1\nheartbeat = 1\nfrobnicate = 3\nKeepalive = 3\nvirtual v {\n}  trailing\n")
	for _, text := range []string{
		"lvs.cf:2:13: heartbeat: read but unused (heartbeats are sent whenever backup_active = 1)",
		"lvs.cf:3:1: frobnicate: unknown command, ignored (not a key Piranha or lvskit reads)",
		"lvs.cf:4:1: Keepalive: unknown command, ignored (keys are lower case: keepalive, at the top level)",
		"lvs.cf:6:4: }: text after } ignored",
	} {
		if !hasWarning(w, text) {
			t.Errorf("no warning %q in\n%v", text, w)
		}
	}
	pair := "primary = 192.0.2.1\nbackup_active = 1\nbackup = 192.0.2.2\n"
	_, w = parse(t, pair+"keepalive = 2\ndeadtime = 3.5\n")
	if text := "lvs.cf:5: deadtime: deadtime 3.5 is less than two keepalives (2) (one lost or late heartbeat makes the backup take over; use at least 3 keepalives)"; !hasWarning(w, text) {
		t.Errorf("no warning %q in\n%v", text, w)
	}
	_, w = parse(t, pair+"keepalive = 3\n")
	if text := "lvs.cf:4: deadtime: deadtime 5 is less than two keepalives (3) (one lost or late heartbeat makes the backup take over; use at least 3 keepalives)"; !hasWarning(w, text) {
		t.Errorf("no warning %q in\n%v", text, w)
	}
	if _, w = parse(t, pair+"keepalive = 0.1\ndeadtime = 0.5\n"); len(w) != 0 {
		t.Errorf("warnings for keepalive 0.1, deadtime 0.5: %v", w)
	}
}

// Every bad file gets one exact, located error.
func TestErrors(t *testing.T) {
	vs := func(body string) string {
		return "primary = 192.0.2.1\nvirtual web {\n" + body + "}\n"
	}
	act := "     active = 1\n     address = 192.0.2.10 eth0:1\n"
	tests := []struct{ src, want string }{
		{"", "lvs.cf:0: Empty configuration (the file is empty)"},
		{"keepalive = 6\rdeadtime = 9\n", "lvs.cf:1:14: carriage return inside a line (lines end with LF or CRLF; a lone CR is not allowed)"},
		{"keepalive\n", "lvs.cf:1:10: keepalive: missing arguments (write keepalive = VALUE)"},
		{"keepalive 6\n", "lvs.cf:1:11: keepalive: equal (=) expected after command (write keepalive = VALUE)"},
		{"keepalive =\n", "lvs.cf:1:12: keepalive: missing arguments (write keepalive = VALUE)"},
		{"keepalive = 6 7\n", "lvs.cf:1:15: keepalive: unexpected arguments (a value with blanks must be in double quotes)"},
		{"keepalive = six\n", `lvs.cf:1:13: keepalive: integer expected, got "six" (a number: decimal, 0x hex, or 0 octal)`},
		{"keepalive = 08\n", `lvs.cf:1:13: keepalive: integer expected, got "08" (a number: decimal, 0x hex, or 0 octal)`},
		{"keepalive = 0\n", "lvs.cf:1:13: keepalive: integer out of range: 0 (from 1 to 2147483647)"},
		{"serial_no = 99999999999999999999\n", `lvs.cf:1:13: serial_no: integer out of range: "99999999999999999999" (from -9223372036854775808 to 9223372036854775807)`},
		{"backup_active = 2\n", "lvs.cf:1:17: backup_active: boolean expected, got 2 (write 0 or 1)"},
		{"backup_active = yes\n", `lvs.cf:1:17: backup_active: integer expected, got "yes" (write 0 or 1)`},
		{"heartbeat_port = 70000\n", "lvs.cf:1:18: heartbeat_port: port out of range: 70000 (from 1 to 65535)"},
		{"heartbeat_port = gopher\n", `lvs.cf:1:18: heartbeat_port: invalid argument "gopher" (not a TCP service name in /etc/services)`},
		{"primary = 0.0.0.0\n", `lvs.cf:1:11: primary: invalid host name or ip address "0.0.0.0" (the address of a director cannot be 0.0.0.0)`},
		{"primary = nosuch.example\n", `lvs.cf:1:11: primary: invalid host name or ip address "nosuch.example" (an IPv4 address, or a name that resolves to one)`},
		{"primary = 2001:db8::1\n", `lvs.cf:1:11: primary: invalid host name or ip address "2001:db8::1" (lvs.cf takes IPv4 addresses)`},
		{"primary = 256.1.1.1\n", `lvs.cf:1:11: primary: invalid host name or ip address "256.1.1.1" (an IPv4 address, or a name that resolves to one)`},
		{"network = bridge\n", `lvs.cf:1:11: network: invalid argument "bridge" (one of nat, direct, tunnel)`},
		{"service = both\n", `lvs.cf:1:11: service: invalid argument "both" (one of lvs, fos)`},
		{"nat_router = 192.0.2.1\n", "lvs.cf:1:23: nat_router: missing arguments (write nat_router = ADDRESS DEVICE)"},
		{"nat_nmask = 255.255.255.0/24\n", `lvs.cf:1:13: nat_nmask: Bad subnet mask specified: "255.255.255.0/24" (an IPv4 address such as 255.255.255.0)`},
		{"syncd_id = 256\n", "lvs.cf:1:12: syncd_id: integer out of range: 256 (from 0 to 255)"},
		{"weight = 3\n", "lvs.cf:1:1: weight: unknown command at the top level (it belongs in a server block)"},
		{"backup_active = 1\n", "lvs.cf:1: backup_active: backup_active = 1 needs the backup's address (set backup = ADDRESS)"},
		{vs("     scheduler = fastest\n"), `lvs.cf:3:18: scheduler: invalid argument "fastest" (one of rr, wrr, lc, wlc, lblc, lblcr, dh, sh, sed, nq, fo, ovf, mh, twos)`},
		{vs("     protocol = sctp\n"), `lvs.cf:3:17: protocol: invalid argument "sctp" (one of tcp, udp)`},
		{vs("     expect = \"HTTP\n"), "lvs.cf:3:15: expect: quotation mismatch (a quoted value needs its closing quote)"},
		{vs("     send = GET / HTTP/1.0\n"), "lvs.cf:3:17: send: unexpected arguments (a value with blanks must be in double quotes)"},
		{vs("     address = 192.0.2.10\n"), "lvs.cf:3:26: address: missing arguments (write address = ADDRESS DEVICE)"},
		{vs("     keepalive = 3\n"), "lvs.cf:3:6: keepalive: unknown command in a virtual block (it belongs at the top level)"},
		{vs("     timeout = 0\n"), "lvs.cf:3:16: timeout: integer out of range: 0 (from 1 to 2147483647)"},
		{vs("     fwmark = -1\n"), "lvs.cf:3:15: fwmark: integer out of range: -1 (from 0 to 4294967295)"},
		{vs("     server a {\n         weight = 65536\n     }\n"), "lvs.cf:4:19: weight: integer out of range: 65536 (from 0 to 65535)"},
		{vs("     server a {\n         port = http\n     }\n"), `lvs.cf:4:17: port: invalid argument "http" (a port number)`},
		{vs("     server a {\n     server b {\n"), "lvs.cf:4:6: server: blocks cannot nest this way (close server a with } first)"},
		{vs("     server a {\n     }\n     server a {\n     }\n"), "lvs.cf:5:13: server a: duplicate server name in virtual web (give each server of a virtual service its own name)"},
		{vs("     server a\n"), "lvs.cf:3:14: server a: missing arguments (the { must end the line that opens the block)"},
		{vs("     server a { x\n"), "lvs.cf:3:17: server a: unexpected arguments (nothing may follow the { of a block)"},
		{"server a {\n}\n", "lvs.cf:1:1: server: unknown command at the top level (server blocks go inside virtual blocks)"},
		{vs("virtual x {\n"), "lvs.cf:3:1: virtual: blocks cannot nest this way (close virtual web with } first)"},
		{"virtual web {\n}\nvirtual web {\n}\n", "lvs.cf:3:9: virtual web: duplicate name (give each virtual and failover block its own name)"},
		{"}\n", "lvs.cf:1:1: }: no block to close"},
		{"virtual web {\n", "lvs.cf:1: virtual web: block is not closed (add a line with } before the end of the file)"},
		{"virtual web {\nserver a {\n", "lvs.cf:2: server a: block is not closed (add a line with } before the end of the file)"},
		{vs("     active = 1\n"), "lvs.cf:2: virtual web: address missing (an active virtual service needs address = VIP DEVICE)"},
		{vs("     active = 1\n     address = 192.0.2.10 eth0/1\n"), `lvs.cf:2: virtual web: invalid device "eth0/1": not an interface name (an interface, or an alias such as eth0:1)`},
		{vs(act + "     server a {\n         active = 1\n     }\n"), "lvs.cf:5: virtual web, server a: address missing (an active real server needs address = IP)"},
		{vs(act + "     server a {\n         active = 1\n         address = 10.0.0.1\n     }\n     server b {\n         active = 1\n         address = 10.0.0.1\n     }\n"),
			"lvs.cf:9: virtual web, server b: same real server as server a (a real server appears once in a virtual service)"},
		{vs(act) + "virtual web2 {\n" + act + "}\n", "lvs.cf:6: virtual web2: same virtual service as virtual web (two active virtual blocks cannot be one IPVS service)"},
		{vs(act+"     fwmark = 5\n") + "virtual web2 {\n" + act + "     port = 443\n     fwmark = 5\n}\n",
			"lvs.cf:7: virtual web2: same virtual service as virtual web (a firewall mark is one IPVS service: put all its real servers in one virtual block)"},
		{vs("     dirs = a b\n"), "lvs.cf:3:13: dirs: list expected (write dirs = [ a b c ])"},
	}
	if len(tests) < 30 {
		t.Fatalf("only %d bad configs", len(tests))
	}
	for _, tt := range tests {
		_, _, err := Parse("lvs.cf", []byte(tt.src), testOptions)
		if err == nil {
			t.Errorf("%q: no error, want %s", tt.src, tt.want)
			continue
		}
		if err.Error() != tt.want {
			t.Errorf("%q:\n got %s\nwant %s", tt.src, err, tt.want)
		}
	}
}

func TestParseInt(t *testing.T) {
	for s, want := range map[string]int64{"0": 0, "10": 10, "-5": -5, "+7": 7, "010": 8, "0x1f": 31, "0X1F": 31, "-0x10": -16, "00": 0} {
		if got, err := parseInt(s); err != nil || got != want {
			t.Errorf("parseInt(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-", "0x", "08", "1e3", "1_000", "12a", " 1", "--1", "0x-1", "+-1"} {
		if _, err := parseInt(s); err == nil {
			t.Errorf("parseInt(%q) accepted", s)
		}
	}
}

func TestParseInetAton(t *testing.T) {
	for s, want := range map[string]string{
		"10.0.0.1": "10.0.0.1", "10.1": "10.0.0.1", "10.1.2": "10.1.0.2", "167772161": "10.0.0.1",
		"0x0a000001": "10.0.0.1", "012.0.0.1": "10.0.0.1", "255.255.255.255": "255.255.255.255", "0": "0.0.0.0",
	} {
		if got, ok := ParseInetAton(s); !ok || got != a4(want) {
			t.Errorf("ParseInetAton(%q) = %v, %v; want %s", s, got, ok, want)
		}
	}
	for _, s := range []string{"", "256.0.0.1", "1.2.3.4.5", "1..2", "10.16777216", "1.2.65536", "4294967296", "1.2.3.256", "a.b.c.d", "-1", "1.2.3.4 "} {
		if got, ok := ParseInetAton(s); ok {
			t.Errorf("ParseInetAton(%q) = %v, accepted", s, got)
		}
	}
}

// The extension keys parse, print back, reach nanny's argv, and agree
// with the table that documents them.
func TestExtensions(t *testing.T) {
	c, w := parse(t, "heartbeat_secret_file = /etc/lvskit/hb.key\nvirtual web {\n check = http\n check_interval = 2\n fall = 3\n rise = 2\n}\n")
	if len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	v := c.Virtuals[0]
	if c.HeartbeatSecretFile != "/etc/lvskit/hb.key" || v.Check != "http" || v.CheckInterval != 2 || v.Fall != 3 || v.Rise != 2 {
		t.Errorf("parsed %+v", v)
	}
	roundTrip(t, c)
	got := strings.Join(v.NannyArgs(), " ")
	if want := "--check http --check-interval 2 --fall 3 --rise 2"; got != want {
		t.Errorf("NannyArgs = %q, want %q", got, want)
	}
	if args := (&Virtual{}).NannyArgs(); args != nil {
		t.Errorf("NannyArgs of an unset virtual = %q", args)
	}
	flags := map[string]bool{}
	for _, a := range v.NannyArgs() {
		if strings.HasPrefix(a, "--") {
			flags[a] = true
		}
	}
	for _, e := range Extensions {
		def, ok := keys[e.Key]
		if !ok {
			t.Errorf("%s: declared but not parsed", e.Key)
			continue
		}
		if want := map[string]scope{"global": global, "virtual": virtualBlock}[e.Scope]; !def.in(want) || len(def.scopes) != 1 {
			t.Errorf("%s: scopes %v, table says %s", e.Key, def.scopes, e.Scope)
		}
		if e.NannyFlag != "" && !flags[e.NannyFlag] {
			t.Errorf("%s: %s not in NannyArgs", e.Key, e.NannyFlag)
		}
		delete(flags, e.NannyFlag)
	}
	if len(flags) != 0 {
		t.Errorf("NannyArgs passes flags the table does not declare: %v", flags)
	}
	for _, tc := range []struct{ src, want string }{
		{"virtual v {\n check = ftp\n}\n", `lvs.cf:2:10: check: invalid argument "ftp" (one of tcp, send, program, http, https, icmp, udp, dns, smtp)`},
		{"virtual v {\n fall = 0\n}\n", "lvs.cf:2:9: fall: integer out of range: 0 (from 1 to 2147483647)"},
		{"virtual v {\n rise = x\n}\n", `lvs.cf:2:9: rise: integer expected, got "x" (a number: decimal, 0x hex, or 0 octal)`},
		{"heartbeat_secret_file = hb.key\n", `lvs.cf:1:25: heartbeat_secret_file: absolute path expected, got "hb.key" (pulse may run from any directory)`},
		{"check = tcp\n", "lvs.cf:1:1: check: unknown command at the top level (it belongs in a virtual block)"},
	} {
		_, _, err := Parse("lvs.cf", []byte(tc.src), testOptions)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

func TestPulseExtensions(t *testing.T) {
	c, w := parse(t, `keepalive = 0.1
deadtime = 0.5
heartbeat_mode = piranha
failback = preempt
failback_delay = 2.5
primary_priority = 150
backup_priority = 0x50
garp_count = 3
garp_interval = 0.2
garp_refresh = 0
arbitration_gateway = 192.0.2.254
`)
	if len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	want := Defaults()
	want.Keepalive, want.Deadtime = 100*time.Millisecond, 500*time.Millisecond
	want.HeartbeatMode, want.Failback, want.FailbackDelay = "piranha", "preempt", 2500*time.Millisecond
	want.PrimaryPriority, want.BackupPriority = 150, 80
	want.GARPCount, want.GARPInterval, want.GARPRefresh = 3, 200*time.Millisecond, 0
	want.ArbitrationGateway = netip.MustParseAddr("192.0.2.254")
	got := *c
	got.Virtuals, got.Failovers = nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("parsed\n%+v\nwant\n%+v", got, want)
	}
	roundTrip(t, c)
	out, err := Format(c)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range []string{"keepalive = 0.1\n", "deadtime = 0.5\n", "failback_delay = 2.5\n", "garp_refresh = 0\n"} {
		if !strings.Contains(string(out), line) {
			t.Errorf("Format lacks %q:\n%s", line, out)
		}
	}

	for _, tc := range []struct{ src, want string }{
		{"keepalive = 0\n", "lvs.cf:1:13: keepalive: integer out of range: 0 (from 1 to 2147483647)"},
		{"keepalive = 0.0\n", "lvs.cf:1:13: keepalive: out of range: 0.0 (seconds, at least 0.001)"},
		{"keepalive = 0.0001\n", `lvs.cf:1:13: keepalive: number of seconds expected, got "0.0001" (a whole number, or a decimal with up to 3 digits after the point)`},
		{"deadtime = .5\n", `lvs.cf:1:12: deadtime: number of seconds expected, got ".5" (a whole number, or a decimal with up to 3 digits after the point)`},
		{"deadtime = 1.\n", `lvs.cf:1:12: deadtime: number of seconds expected, got "1." (a whole number, or a decimal with up to 3 digits after the point)`},
		{"deadtime = -0.5\n", `lvs.cf:1:12: deadtime: number of seconds expected, got "-0.5" (a whole number, or a decimal with up to 3 digits after the point)`},
		{"deadtime = 2147483648.5\n", "lvs.cf:1:12: deadtime: out of range: 2147483648.5 (seconds, at least 0.001)"},
		{"garp_refresh = -1\n", "lvs.cf:1:16: garp_refresh: integer out of range: -1 (from 0 to 2147483647)"},
		{"heartbeat_mode = vrrp\n", `lvs.cf:1:18: heartbeat_mode: invalid argument "vrrp" (one of lvskit, piranha)`},
		{"failback = always\n", `lvs.cf:1:12: failback: invalid argument "always" (one of never, preempt)`},
		{"primary_priority = 0\n", "lvs.cf:1:20: primary_priority: integer out of range: 0 (from 1 to 255)"},
		{"garp_count = 0\n", "lvs.cf:1:14: garp_count: integer out of range: 0 (from 1 to 1000)"},
		{"arbitration_gateway = 0.0.0.0\n", `lvs.cf:1:23: arbitration_gateway: invalid host name or ip address "0.0.0.0" (the address pulse pings, typically the default gateway)`},
	} {
		_, _, err := Parse("lvs.cf", []byte(tc.src), testOptions)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q:\n got %v\nwant %s", tc.src, err, tc.want)
		}
	}
}

func TestForward(t *testing.T) {
	c, w := parse(t, "network = direct\nvirtual a {\n forward = nat\n server s {\n  address = 192.168.1.1\n  port = 8080\n  active = 1\n }\n}\nvirtual b {\n}\n")
	if len(w) != 0 {
		t.Errorf("warnings: %v", w)
	}
	if got := c.NetworkOf(&c.Virtuals[0]); got != NAT {
		t.Errorf("virtual a: %s, want nat", got)
	}
	if got := c.NetworkOf(&c.Virtuals[1]); got != Direct {
		t.Errorf("virtual b: %s, want the global direct", got)
	}
	roundTrip(t, c)
	if _, _, err := Parse("lvs.cf", []byte("virtual a {\n forward = masq\n}\n"), testOptions); err == nil ||
		err.Error() != `lvs.cf:2:12: forward: invalid argument "masq" (one of nat, direct, tunnel)` {
		t.Errorf("bad forward: %v", err)
	}
}
