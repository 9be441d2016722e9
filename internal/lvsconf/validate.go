package lvsconf

import (
	"fmt"
	"net/netip"
	"strings"
)

// validate checks what Piranha left unchecked and the daemons would trip
// over: a virtual service without its VIP or device, real servers without
// an address, two virtual services or two real servers that are one in
// the IPVS table, a backup without an address.
func (p *parser) validate() error {
	c := &p.cfg
	if c.BackupActive && c.Backup.IsUnspecified() {
		return p.errAt(p.keyLines["backup_active"], 0, "backup_active", "backup_active = 1 needs the backup's address", "set backup = ADDRESS")
	}
	if c.BackupActive && c.Deadtime < 2*c.Keepalive {
		// Piranha never checked: one late heartbeat was a failover.
		line := p.keyLines["deadtime"]
		if line == 0 {
			line = p.keyLines["keepalive"]
		}
		p.warnings = append(p.warnings, Warning{File: p.file, Line: line, Key: "deadtime",
			Msg:  fmt.Sprintf("deadtime %s is less than two keepalives (%s)", formatSeconds(c.Deadtime), formatSeconds(c.Keepalive)),
			Hint: "one lost or late heartbeat makes the backup take over; use at least 3 keepalives"})
	}
	type ident struct {
		proto  string
		addr   netip.Addr
		port   uint16
		fwmark uint32
	}
	seen := map[ident]string{}
	for _, v := range c.Virtuals {
		line := p.blockLines[v.Name]
		where := "virtual " + v.Name
		if !v.Active {
			continue
		}
		if v.Addr.IsUnspecified() || v.Device == "" {
			return p.errAt(line, 0, where, "address missing", "an active virtual service needs address = VIP DEVICE")
		}
		if err := checkDevice(v.Device); err != "" {
			return p.errAt(line, 0, where, fmt.Sprintf("invalid device %q: %s", v.Device, err), "an interface, or an alias such as eth0:1")
		}
		id := ident{proto: v.Protocol, addr: v.Addr, port: v.Port}
		if v.Fwmark != 0 {
			id = ident{fwmark: v.Fwmark}
		}
		if other, dup := seen[id]; dup {
			hint := "two active virtual blocks cannot be one IPVS service"
			if v.Fwmark != 0 {
				hint = "a firewall mark is one IPVS service: put all its real servers in one virtual block"
			}
			return p.errAt(line, 0, where, "same virtual service as virtual "+other, hint)
		}
		seen[id] = v.Name
		type rid struct {
			addr netip.Addr
			port uint16
		}
		servers := map[rid]string{}
		for _, s := range v.Servers {
			if !s.Active {
				continue
			}
			sline := p.blockLines[v.Name+"/"+s.Name]
			swhere := where + ", server " + s.Name
			if s.Addr.IsUnspecified() {
				return p.errAt(sline, 0, swhere, "address missing", "an active real server needs address = IP")
			}
			port := s.Port
			if c.NetworkOf(&v) != NAT && v.Fwmark == 0 {
				// Direct routing and tunnelling keep the virtual port.
				port = v.Port
			}
			if other, dup := servers[rid{s.Addr, port}]; dup {
				return p.errAt(sline, 0, swhere, "same real server as server "+other, "a real server appears once in a virtual service")
			}
			servers[rid{s.Addr, port}] = s.Name
			if c.NetworkOf(&v) != NAT && v.Fwmark == 0 && s.Port != v.Port {
				p.warnings = append(p.warnings, Warning{File: p.file, Line: sline, Key: swhere,
					Msg:  fmt.Sprintf("port %d differs from the virtual port %d", s.Port, v.Port),
					Hint: fmt.Sprintf("with network = %s the kernel forwards to port %d; checks use %d", c.NetworkOf(&v), v.Port, s.Port)})
			}
		}
	}
	return nil
}

// checkDevice checks an interface name with an optional ":label", as
// the kernel limits them (15 bytes, no "/" or blanks).
func checkDevice(dev string) string {
	name, label, _ := strings.Cut(dev, ":")
	switch {
	case name == "":
		return "no interface name"
	case len(dev) > 15:
		return "longer than 15 bytes"
	case strings.ContainsAny(dev, "/ \t") || strings.Contains(label, ":"):
		return "not an interface name"
	}
	return ""
}
