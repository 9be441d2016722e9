package nanny

import (
	"math"
	"strings"
	"testing"
)

// FuzzParseAgentReply: an agent's line, whatever it holds, gives a
// percentage that is a finite number of 0 or more, or an error.
func FuzzParseAgentReply(f *testing.F) {
	for _, s := range []string{"75%\n", "up 50%", "drain", "ready,200%", "", "1e309%", "NaN%", "-0%", "maint 5%"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		pct, err := parseAgentReply(s)
		if err != nil {
			return
		}
		if pct < 0 || math.IsNaN(pct) || math.IsInf(pct, 0) {
			t.Errorf("parseAgentReply(%q) = %v", s, pct)
		}
	})
}

// FuzzParseLoad: uptime's output, or anything else, gives a load of 0
// or more, or an error.
func FuzzParseLoad(f *testing.F) {
	for _, s := range []string{" 10:01:02 up 3 days,  load average: 0.42, 0.30, 0.25\n", "load: ", "load:1e400", "load:..", "load"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := parseLoad(s)
		if err != nil {
			return
		}
		if l < 0 || math.IsNaN(l) {
			t.Errorf("parseLoad(%q) = %v", s, l)
		}
		if p := loadPercent(l, 10); p < 100 || p > 1000 || math.IsNaN(p) {
			t.Errorf("loadPercent(%v) = %v", l, p)
		}
	})
}

// FuzzCommandLine: any argv is either refused with a message or gives a
// configuration a runner can use; never a panic.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"-c -h 192.168.1.10 -p 80 -r 8080 -a 60 -I /sbin/ipvsadm -t 6 -w 8 -V 10.0.0.1 -M g --lvs",
		"-h 10.1 -V 10.0.0.1 -t 0.5 --check-interval 0.1 --fall 3 --rise 2 --lvs --check http --http-status 200,301-302",
		"-h ::1 -V ::2 -u -p 53 --lvs",
		"-h 10.0.0.2 -f 7 -M i -q --lvs --check https --http-host [2001:db8::1]:8443 --tls-verify",
		"-h 10.0.0.2 -V 10.0.0.1 -e /bin/true -s x -x y --regex --fos",
		"-h 10.0.0.2 -V 10.0.0.1 --agent-port 5555 -S 3 --feedback-interval 0.5 --lvs",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		args := strings.Fields(s)
		if len(args) > 40 {
			return
		}
		cfg, err := parse(args...)
		if err != nil || cfg == nil {
			return
		}
		if cfg.Check == nil || cfg.Interval <= 0 || cfg.Timeout <= 0 || cfg.Fall < 1 || cfg.Rise < 1 || cfg.Scale < 1 {
			t.Fatalf("%q: unusable configuration %+v", s, cfg)
		}
		_ = cfg.Check.String()
		_ = cfg.dest()
	})
}
