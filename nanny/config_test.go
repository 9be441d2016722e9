package nanny

import (
	"io"
	"strings"
	"testing"
	"time"

	"github.com/urfave/cli/v2"

	"lvskit/internal/ipvs"
)

// parse runs nanny's command-line parsing alone.
func parse(args ...string) (*Config, error) {
	var cfg *Config
	var err error
	app := newApp(io.Discard, io.Discard, func(c *cli.Context) error {
		cfg, err = configure(c)
		return nil
	})
	if e := app.Run(append([]string{"nanny"}, args...)); e != nil {
		return nil, e
	}
	return cfg, err
}

// lvsdArgv is an argv as lvsd builds it (Piranha's order), with more
// options after it.
func lvsdArgv(more ...string) []string {
	a := strings.Fields("-c -h 192.168.1.10 -p 80 -r 8080 -a 60 -I /sbin/ipvsadm -t 6 -w 8 -V 10.0.0.1 -M g --lvs")
	return append(a, more...)
}

func TestConfigFromLvsd(t *testing.T) {
	cfg, err := parse(lvsdArgv()...)
	if err != nil {
		t.Fatal(err)
	}
	if got := cfg.Target.String(); got != "192.168.1.10:8080" {
		t.Errorf("target %s", got)
	}
	if got := cfg.Service.Option(); got != "-t 10.0.0.1:80" {
		t.Errorf("service %s", got)
	}
	// Direct routing: the kernel's entry has the virtual port.
	if d := cfg.dest(); d.Port != 80 || d.Fwd != ipvs.Route {
		t.Errorf("dest %+v, want port 80 routed", d)
	}
	if cfg.Interval != 6*time.Second || cfg.Timeout != 6*time.Second || cfg.Jitter != 6*time.Second {
		t.Errorf("interval %s timeout %s jitter %s, want 6s", cfg.Interval, cfg.Timeout, cfg.Jitter)
	}
	// rise = reentry / timeout, as Piranha's countThresh.
	if cfg.Fall != 1 || cfg.Rise != 10 || cfg.Weight != 8 {
		t.Errorf("fall %d rise %d weight %d, want 1 10 8", cfg.Fall, cfg.Rise, cfg.Weight)
	}
	// Piranha's default check on port 80.
	if got := cfg.Check.String(); got != `TCP to 192.168.1.10:8080 sending "GET / HTTP/1.0\r\n\r\n" expecting "HTTP"` {
		t.Errorf("check %s", got)
	}
	if len(cfg.Notes) != 1 || cfg.Notes[0] != "no monitor configured, assuming web service on port 80" {
		t.Errorf("notes %q", cfg.Notes)
	}
}

func TestConfigChecks(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{lvsdArgv("-p", "8000"), "TCP connect to 192.168.1.10:8080"},
		{lvsdArgv("-s", `HELO\r\n`, "-x", "250"), `TCP to 192.168.1.10:8080 sending "HELO\r\n" expecting "250"`},
		{lvsdArgv("-T", "-s", `HELO\r\n`), `TCP to 192.168.1.10:8080 sending "HELO\\r\\n"`},
		{lvsdArgv("-x", "^2[0-9]{2}", "--regex"), `TCP to 192.168.1.10:8080 expecting /^2[0-9]{2}/`},
		{lvsdArgv("-e", "/bin/check %h %p", "-s", "ignored", "-x", "OK"), `program /bin/check 192.168.1.10 8080 expecting "OK"`},
		{lvsdArgv("--check", "tcp", "-s", "x"), "TCP connect to 192.168.1.10:8080"},
		{lvsdArgv("--check", "http"), "HTTP GET http://10.0.0.1/ from 192.168.1.10:8080 expecting status 200-299"},
		{lvsdArgv("--check", "https", "--http-host", "www.example.test", "--http-path", "/health", "--http-status", "200,204", "--tls-verify"),
			"HTTP GET https://www.example.test/health from 192.168.1.10:8080 expecting status 200,204, SNI www.example.test, certificate verified"},
		{lvsdArgv("--check", "http", "--http-digest", "d41d8cd98f00b204e9800998ecf8427e"),
			"HTTP GET http://10.0.0.1/ from 192.168.1.10:8080 expecting status 200-299 and body MD5 d41d8cd98f00b204e9800998ecf8427e"},
	} {
		cfg, err := parse(tc.args...)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if got := cfg.Check.String(); got != tc.want {
			t.Errorf("%q:\n got %s\nwant %s", tc.args, got, tc.want)
		}
	}
}

func TestConfigOptions(t *testing.T) {
	cfg, err := parse(lvsdArgv("--check-interval", "2", "--fall", "3", "--rise", "2", "--jitter", "0", "--slow-start", "30", "-q", "-u", "-f", "7", "-M", "-i")...)
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Interval != 2*time.Second || cfg.Timeout != 6*time.Second || cfg.Jitter != 0 || cfg.SlowStart != 30*time.Second {
		t.Errorf("interval %s timeout %s jitter %s slow start %s", cfg.Interval, cfg.Timeout, cfg.Jitter, cfg.SlowStart)
	}
	if cfg.Fall != 3 || cfg.Rise != 2 || !cfg.Quiesce {
		t.Errorf("fall %d rise %d quiesce %v", cfg.Fall, cfg.Rise, cfg.Quiesce)
	}
	if got := cfg.Service.Option(); got != "-f 7" || cfg.Fwd != ipvs.Tunnel {
		t.Errorf("service %s fwd %s", got, cfg.Fwd)
	}
	// A firewall-mark service keeps the real port.
	if d := cfg.dest(); d.Port != 8080 {
		t.Errorf("dest port %d, want 8080", d.Port)
	}
	// Rise defaults to reentry / interval: 60 / 2.
	cfg, err = parse(lvsdArgv("--check-interval", "2")...)
	if err != nil || cfg.Rise != 30 {
		t.Errorf("rise %d, %v; want 30", cfg.Rise, err)
	}
	// Piranha's reentry / timeout may round to 0.
	cfg, err = parse("-h", "10.1", "-V", "10.0.0.1", "-a", "1", "-t", "10", "--lvs")
	if err != nil || cfg.Rise != 1 || cfg.Target.Addr.String() != "10.0.0.1" {
		t.Errorf("rise %d target %s, %v; want 1, 10.0.0.1 (inet_aton)", cfg.Rise, cfg.Target, err)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1"}, "unknown service type (give --lvs or --fos)"},
		{[]string{"--lvs"}, "No address supplied. Use '--help' for help. "},
		{[]string{"-h", "nonsense", "--lvs"}, "bad IP address -- nonsense"},
		{[]string{"-h", "10.0.0.2", "--lvs"}, "no virtual service: give -V VIP (or -f FWMARK)"},
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1", "-p", "70000", "--lvs"}, `bad argument --port: "70000" is not a number from 0 to 65535`},
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1", "-t", "0", "--lvs"}, `bad argument --interval: "0" is not a number of seconds above 0`},
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1", "--fall", "0", "--lvs"}, `bad argument --fall: "0" is not a number from 1 to 2147483647`},
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1", "--check", "ftp", "--lvs"}, `bad argument --check: "ftp" is not one of tcp, send, program, http, https, icmp, udp, dns, smtp`},
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1", "--check", "udp", "--lvs"}, "a UDP check needs a send string (-s): a UDP service answers only what it is sent"},
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1", "-x", "(", "--regex", "--lvs"}, "bad argument -x: expect regular expression \"(\": error parsing regexp: missing closing ): `(`"},
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1", "--check", "http", "--http-status", "abc", "--lvs"}, `bad argument --http-status: bad HTTP status "abc": want a code or a range of codes from 100 to 599, like 200-299`},
		{[]string{"-h", "2001:db8::2", "-V", "10.0.0.1", "--lvs"}, "the real server 2001:db8::2 and the virtual address 10.0.0.1 are of different address families"},
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1", "--agent-port", "99999", "--lvs"}, `bad argument --agent-port: "99999" is not a port`},
		{[]string{"-h", "10.0.0.2", "-V", "10.0.0.1", "--agent-port", "5555", "-U", "rup", "--lvs"}, "give one load source: --agent-port, --feedback-program or -U"},
	} {
		_, err := parse(tc.args...)
		if err == nil || err.Error() != tc.want {
			t.Errorf("%q: %v\nwant %s", tc.args, err, tc.want)
		}
	}
}

func TestUsageError(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-L"}, "bad argument -L: unknown option"},
		{[]string{"--bogus"}, "bad argument -bogus: unknown option"},
		{[]string{"-h"}, "bad argument -h: missing argument"},
	} {
		_, err := parse(tc.args...)
		if err == nil {
			t.Errorf("%q accepted", tc.args)
			continue
		}
		if got := usageError(err); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.args, got, tc.want)
		}
	}
}
