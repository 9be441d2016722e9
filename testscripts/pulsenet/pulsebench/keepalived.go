package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"lvskit/testscripts/pulsenet"
)

// keepalived's VRRP defaults: an advertisement a second, and a backup
// of priority 100 declares the master down after three intervals plus
// the skew (256 - priority) / 256 s (RFC 3768 §6.1).
const (
	vrrpAdvert         = time.Second
	vrrpBackupPriority = 100
	vrrpMasterPriority = 150
)

func vrrpMasterDown() time.Duration {
	return 3*vrrpAdvert + time.Duration(float64(256-vrrpBackupPriority)/256*float64(vrrpAdvert))
}

// keepalivedRow measures keepalived as pulse is measured, when it is
// installed; otherwise it states the figure the protocol gives, and
// says that it is computed.
func (b *bench) keepalivedRow() (row, error) {
	path := ""
	switch b.o.keepalived {
	case "none":
	case "auto":
		path, _ = exec.LookPath("keepalived")
	default:
		path = b.o.keepalived
	}
	down := vrrpMasterDown()
	if path == "" {
		// The backup hears the last advertisement up to one interval
		// before the kill: the takeover comes between down - advert
		// and down after it, and the gratuitous ARPs go at once.
		fig := fmt.Sprintf("%s / %s / %s", secs(down-vrrpAdvert), secs(down-vrrpAdvert/2), secs(down))
		return row{name: "keepalived VRRP defaults, advert_int 1 (COMPUTED: not installed)", short: "keepalived-computed",
			runs: "-", vip: fig, client: fig, medianClient: down - vrrpAdvert/2, maxClient: down}, nil
	}
	version := "keepalived"
	if out, err := exec.Command(path, "--version").CombinedOutput(); err == nil {
		version = strings.TrimSpace(strings.SplitN(string(out), "\n", 2)[0])
		if v, _, ok := strings.Cut(version, " ("); ok {
			version = v
		}
	}
	s := subject{
		name:    fmt.Sprintf("%s VRRP, advert_int 1, backup priority %d (measured)", version, vrrpBackupPriority),
		short:   "keepalived",
		start:   func(b *bench, l *pulsenet.Lab) (*pulsenet.Proc, error) { return startKeepalived(path, l) },
		period:  vrrpAdvert,
		settle:  2 * vrrpAdvert,
		timeout: 3 * down,
	}
	return b.kills(s, b.o.refRuns)
}

// startKeepalived runs one keepalived (VRRP only, in the foreground,
// logging to its log file) in each director's namespace: the primary
// as MASTER of priority 150, the backup as BACKUP of priority 100, the
// VIP on eth0:1 as pulse raises it.
func startKeepalived(bin string, l *pulsenet.Lab) (*pulsenet.Proc, error) {
	var primary *pulsenet.Proc
	for _, d := range []struct {
		ns, name, state string
		prio            int
	}{{l.A, "keepalived-a", "MASTER", vrrpMasterPriority}, {l.B, "keepalived-b", "BACKUP", vrrpBackupPriority}} {
		conf := fmt.Sprintf(`global_defs {
    router_id %s
}
vrrp_instance lvskit {
    state %s
    interface eth0
    virtual_router_id 51
    priority %d
    advert_int 1
    virtual_ipaddress {
        %s/32 dev eth0 label eth0:1
    }
}
`, d.name, d.state, d.prio, pulsenet.VIP)
		dir := filepath.Join(l.Dir, d.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, err
		}
		path := filepath.Join(dir, "keepalived.conf")
		if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
			return nil, err
		}
		// Pid files of its own: keepalived refuses to start when the
		// default ones name a running instance.
		p, err := l.Start(d.ns, d.name, bin, "--dont-fork", "--log-console", "--log-detail", "--no-syslog", "--vrrp",
			"--use-file", path, "--pid", filepath.Join(dir, "keepalived.pid"), "--vrrp_pid", filepath.Join(dir, "vrrp.pid"),
			"--checkers_pid", filepath.Join(dir, "checkers.pid"))
		if err != nil {
			return nil, err
		}
		if primary == nil {
			primary = p
		}
	}
	return primary, nil
}
