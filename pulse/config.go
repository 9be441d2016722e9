package pulse

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"strings"
	"time"

	"lvskit/internal/lvsconf"
)

// VIP is an address pulse raises on the active director.
type VIP struct {
	Addr   netip.Prefix // the address, with vip_nmask's prefix or /32
	Label  string       // as lvs.cf names it: eth0:1, or eth0
	Device string       // the interface: the label without ":alias"
}

func (v VIP) String() string { return v.Addr.String() + " on " + v.Label }

// Settings is what pulse takes from lvs.cf, for this director.
type Settings struct {
	Master         bool
	Own            Link // this director's public heartbeat address
	Private        Link // its private one; invalid when there is none
	Partner        Link // the partner's public address
	PrivatePartner netip.Addr
	Port           uint16
	Piranha        bool // heartbeat_mode = piranha
	// PartnerPriority is the partner's, from lvs.cf: a Piranha peer
	// does not send it.
	PartnerPriority uint8
	Key             []byte // the heartbeat secret; nil: none
	Policy          Policy
	VIPs            []VIP
	// Checksum identifies the configuration, so that the partner can
	// say when it runs another.
	Checksum     [8]byte
	GARPCount    int
	GARPEvery    time.Duration
	Gateway      netip.Addr // arbitration; invalid: none
	ActiveCmd    string
	InactiveCmd  string
	MonitorLinks bool
	// The connection sync daemon (syncdaemon): lvsd runs the master on
	// the active director, pulse the backup on the standby.
	SyncDaemon bool
	SyncdIface string
	SyncdID    uint32
}

// Link is one heartbeat address.
type Link = netip.Addr

// errBackupInactive is Piranha's exit 255: the backup of a pair
// without backup_active has nothing to do.
var errBackupInactive = errors.New("We are backup node and backup is marked inactive -- exiting pulse")

// settings derives this director's settings from cfg. local are the
// addresses of this host's interfaces (role detection, as Piranha's,
// but seeing every address, not only each interface's first); secret
// reads the heartbeat secret file.
func settings(cfg *lvsconf.Config, file string, local []netip.Addr, secret func(string) ([]byte, error)) (*Settings, error) {
	if cfg.Service == "fos" {
		return nil, fmt.Errorf("%s: service = fos (failover services) is not supported by lvskit's pulse; use service = lvs", file)
	}
	has := func(a netip.Addr) bool {
		for _, l := range local {
			if l == a {
				return true
			}
		}
		return false
	}
	s := &Settings{Port: cfg.HeartbeatPort, Piranha: cfg.HeartbeatMode == "piranha"}
	switch {
	case cfg.Primary.IsValid() && !cfg.Primary.IsUnspecified() && has(cfg.Primary):
		s.Master = true
		s.Own, s.Partner = cfg.Primary, cfg.Backup
		s.Private, s.PrivatePartner = cfg.PrimaryPrivate, cfg.BackupPrivate
	case cfg.BackupActive && has(cfg.Backup):
		s.Own, s.Partner = cfg.Backup, cfg.Primary
		s.Private, s.PrivatePartner = cfg.BackupPrivate, cfg.PrimaryPrivate
	case !cfg.BackupActive && !cfg.Backup.IsUnspecified() && has(cfg.Backup):
		return nil, errBackupInactive
	default:
		return nil, fmt.Errorf("%s: this host has neither the primary's address (%s) nor the backup's (%s)", file, cfg.Primary, cfg.Backup)
	}
	// Piranha: a private address equal to the public one (or unset) is
	// no second link.
	if s.Private == s.Own || s.Private.IsUnspecified() || s.PrivatePartner.IsUnspecified() || s.PrivatePartner == s.Partner {
		s.Private, s.PrivatePartner = netip.Addr{}, netip.Addr{}
	}
	if cfg.HeartbeatSecretFile != "" {
		key, err := secret(cfg.HeartbeatSecretFile)
		if err != nil {
			return nil, err
		}
		s.Key = key
	}

	prio, partnerPrio := cfg.PrimaryPriority, cfg.BackupPriority
	if !s.Master {
		prio, partnerPrio = partnerPrio, prio
	}
	s.PartnerPriority = uint8(partnerPrio)
	s.Policy = Policy{
		Master:        s.Master,
		Priority:      uint8(prio),
		Solo:          !cfg.BackupActive,
		Keepalive:     cfg.Keepalive,
		Deadtime:      cfg.Deadtime,
		FailbackDelay: cfg.FailbackDelay,
		GARPRefresh:   cfg.GARPRefresh,
		Arbitrate:     cfg.ArbitrationGateway.IsValid(),
	}
	if cfg.Failback == "preempt" {
		s.Policy.Failback = FailbackPreempt
	}
	s.Gateway = cfg.ArbitrationGateway
	s.GARPCount, s.GARPEvery = int(cfg.GARPCount), cfg.GARPInterval
	s.ActiveCmd, s.InactiveCmd = cfg.ActiveCmd, cfg.InactiveCmd
	s.MonitorLinks = cfg.MonitorLinks != 0 && cfg.BackupActive
	s.SyncDaemon, s.SyncdIface, s.SyncdID = cfg.SyncDaemon && cfg.BackupActive, cfg.SyncdIface, uint32(cfg.SyncdID&0xff)

	vips, err := vipsOf(cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if len(vips) == 0 {
		return nil, fmt.Errorf("no active lvs services defined in %s", file)
	}
	for _, v := range vips {
		// pulse adds and deletes VIPs, at start too: a director's own
		// address among them would be taken from it.
		for _, a := range []netip.Addr{cfg.Primary, cfg.PrimaryPrivate, cfg.Backup, cfg.BackupPrivate} {
			if v.Addr.Addr() == a {
				return nil, fmt.Errorf("%s: %s is a director's own address, not a virtual IP that moves between them", file, a)
			}
		}
	}
	s.VIPs = vips
	canon, err := lvsconf.Format(cfg)
	if err != nil {
		return nil, err
	}
	s.Checksum = ConfigChecksum(canon)
	return s, nil
}

// vipsOf lists the addresses the active director holds, in Piranha's
// order: the NAT router first, then each active virtual service's VIP
// the first time it appears (that virtual service gives its device and
// netmask).
func vipsOf(cfg *lvsconf.Config) ([]VIP, error) {
	var vips []VIP
	seen := map[netip.Addr]bool{}
	add := func(a, mask netip.Addr, label, what string) error {
		if seen[a] {
			return nil
		}
		seen[a] = true
		// The kernel takes any label up to 15 bytes; ip(8) insists that
		// it starts with the device's name, and so does this, as
		// Piranha's ifconfig dev:N did.
		dev, alias, hasAlias := strings.Cut(label, ":")
		if dev == "" || len(label) > 15 || (hasAlias && alias == "") || strings.ContainsAny(alias, ": /") || strings.ContainsAny(dev, " /") {
			return fmt.Errorf("%s: invalid device %q: write the interface, or interface:alias such as eth0:1 (15 characters at most)", what, label)
		}
		bits := 32
		if mask.IsValid() && !mask.IsUnspecified() {
			var ok bool
			if bits, ok = maskBits(mask); !ok {
				return fmt.Errorf("%s: netmask %s is not contiguous", what, mask)
			}
		}
		vips = append(vips, VIP{Addr: netip.PrefixFrom(a, bits), Label: label, Device: dev})
		return nil
	}
	nat := false
	for i := range cfg.Virtuals {
		nat = nat || cfg.Virtuals[i].Active && cfg.NetworkOf(&cfg.Virtuals[i]) == lvsconf.NAT
	}
	if nat && cfg.NATRouter.IsValid() && !cfg.NATRouter.IsUnspecified() {
		if err := add(cfg.NATRouter, cfg.NATNetmask, cfg.NATRouterDev, "nat_router"); err != nil {
			return nil, err
		}
	}
	active := 0
	for _, v := range cfg.Virtuals {
		if !v.Active {
			continue
		}
		active++
		if err := add(v.Addr, v.VIPNetmask, v.Device, "virtual "+v.Name); err != nil {
			return nil, err
		}
	}
	if active == 0 {
		return nil, nil
	}
	return vips, nil
}

func maskBits(m netip.Addr) (int, bool) {
	b := m.As4()
	v := uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
	n := 0
	for v&(1<<31) != 0 {
		n++
		v <<= 1
	}
	return n, v == 0
}

// ReadSecret reads a heartbeat secret file: its content less one final
// line end, not empty, and not readable by others (a warning is not
// enough: a readable secret lets anyone forge heartbeats).
func ReadSecret(path string) ([]byte, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("heartbeat secret: %w", err)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("heartbeat secret %s: mode %04o lets group or others read it; chmod 600 it", path, fi.Mode().Perm())
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("heartbeat secret: %w", err)
	}
	data = bytes.TrimSuffix(bytes.TrimSuffix(data, []byte("\n")), []byte("\r"))
	if len(data) == 0 {
		return nil, fmt.Errorf("heartbeat secret %s: empty", path)
	}
	return data, nil
}
