package pulsenet

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Config is the part of lvs.cf the lab varies; Write renders the rest
// (one active direct-routing virtual service with the VIP on eth0:1).
type Config struct {
	Primary, Backup     netip.Addr // heartbeat addresses: Public* or HB*
	Keepalive, Deadtime time.Duration
	Mode                string        // heartbeat_mode; "" for lvskit's default
	Failback            string        // "" (never), "never" or "preempt"
	FailbackDelay       time.Duration // with preempt
	Gateway             netip.Addr    // arbitration_gateway; invalid for none
	Secret              bool          // heartbeat_secret_file
	Extra               []string      // more "key = value" lines
}

// Public returns the fast configuration of the tests: heartbeats over
// the public network, keepalive 0.1 s, deadtime 0.5 s, authenticated.
func Public() Config {
	return Config{Primary: PublicA, Backup: PublicB, Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond, Secret: true}
}

func seconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// Write renders c as Dir/name.cf (with the secret beside it, mode 600
// as pulse demands) and returns its path.
func (l *Lab) Write(name string, c Config) (string, error) {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("serial_no = 1")
	line("primary = %s", c.Primary)
	line("service = lvs")
	line("backup_active = 1")
	line("backup = %s", c.Backup)
	line("heartbeat_port = %d", heartbeatPort)
	line("keepalive = %s", seconds(c.Keepalive))
	line("deadtime = %s", seconds(c.Deadtime))
	line("network = direct")
	if c.Mode != "" {
		line("heartbeat_mode = %s", c.Mode)
	}
	if c.Failback != "" {
		line("failback = %s", c.Failback)
	}
	if c.FailbackDelay != 0 {
		line("failback_delay = %s", seconds(c.FailbackDelay))
	}
	if c.Gateway.IsValid() {
		line("arbitration_gateway = %s", c.Gateway)
	}
	if c.Secret {
		secret := filepath.Join(l.Dir, "secret")
		if err := os.WriteFile(secret, []byte("lvskit pulsenet test secret\n"), 0o600); err != nil {
			return "", err
		}
		line("heartbeat_secret_file = %s", secret)
	}
	for _, e := range c.Extra {
		line("%s", e)
	}
	line("virtual web {")
	line("     active = 1")
	line("     address = %s eth0:1", VIP)
	line("     port = 80")
	line("     scheduler = rr")
	line("     protocol = tcp")
	line("     server rs1 {")
	line("         address = 192.0.2.10")
	line("         active = 1")
	line("         weight = 1")
	line("     }")
	line("}")
	path := filepath.Join(l.Dir, name+".cf")
	return path, os.WriteFile(path, []byte(b.String()), 0o644)
}

// StartPulse runs pulse (the binary at bin) in namespace ns with the
// lvs.cf at cfg, in the foreground, its lvsd the lab's stand-in, its
// pid file and state directory its own. name names its log.
func (l *Lab) StartPulse(bin, ns, name, cfg string, verbose bool) (*Proc, error) {
	dir := filepath.Join(l.Dir, name+".state")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	argv := []string{bin, "-n", "-c", cfg, "--lvsd", l.FakeLvsd, "--pidfile", filepath.Join(dir, "pulse.pid"), "--state-dir", dir, "--color", "never"}
	if verbose {
		argv = append(argv, "-v")
	}
	return l.Start(ns, name, argv...)
}

// Counters asks pulse for its heartbeat counters (SIGUSR1) and returns
// the line it logs, "accepted N, forged M, ...", parsed.
func Counters(p *Proc, timeout time.Duration) (map[string]int, error) {
	off := len(p.Log())
	if err := p.Signal(syscall.SIGUSR1); err != nil {
		return nil, err
	}
	end := p.WaitLog(off, "heartbeats: ", timeout)
	if end < 0 {
		return nil, fmt.Errorf("%s logged no counters within %s of SIGUSR1", p.Name, timeout)
	}
	log := p.Log()[off:end]
	i := strings.LastIndex(log, "heartbeats: ")
	counts := map[string]int{}
	for _, f := range strings.Split(strings.TrimSpace(log[i+len("heartbeats: "):]), ", ") {
		k, v, ok := strings.Cut(f, " ")
		n, err := strconv.Atoi(v)
		if !ok || err != nil {
			return nil, fmt.Errorf("counters: cannot read %q in %q", f, log[i:])
		}
		counts[k] = n
	}
	return counts, nil
}
