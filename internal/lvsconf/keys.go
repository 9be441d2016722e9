package lvsconf

import (
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// keyDef is one key: where it may appear, how many values it takes, and
// how they are read into the configuration.
type keyDef struct {
	scopes []scope
	args   int  // values after "="
	list   bool // a [ list ] instead
	set    func(p *parser, key string, v []token) error
}

func (d keyDef) in(s scope) bool {
	for _, x := range d.scopes {
		if x == s {
			return true
		}
	}
	return false
}

func (d keyDef) where() string {
	var w []string
	for _, s := range d.scopes {
		w = append(w, s.String())
	}
	return strings.Join(w, " or ")
}

// argc is the number of values in scope s: a virtual service's address
// is followed by its device.
func (d keyDef) argc(key string, s scope) int {
	if key == "address" && s == virtualBlock {
		return 2
	}
	return d.args
}

func (d keyDef) usage(key string, s scope) string {
	switch {
	case d.list:
		return "write " + key + " = [ a b c ]"
	case d.argc(key, s) == 2:
		return "write " + key + " = ADDRESS DEVICE"
	}
	return "write " + key + " = VALUE"
}

// keys is every key Piranha 0.8.6 reads, with its type.
var keys map[string]keyDef

func init() {
	g, vb, sb := []scope{global}, []scope{virtualBlock}, []scope{serverBlock}
	cfg := func(p *parser) *Config { return &p.cfg }
	vs := func(p *parser) *Virtual { return p.vs }
	rs := func(p *parser) *Server { return p.rs }
	keys = map[string]keyDef{
		"serial_no": {g, 1, false, intKey(func(p *parser) *int64 { return &cfg(p).SerialNo }, math.MinInt64, math.MaxInt64)},
		"service":   {g, 1, false, enumKey(func(p *parser) *string { return &cfg(p).Service }, "lvs", "fos")},
		"primary":   {g, 1, false, primaryKey},
		"primary_private": {g, 1, false, func(p *parser, key string, v []token) error {
			p.primaryPrivate = true
			return hostKey(func(p *parser) *netip.Addr { return &cfg(p).PrimaryPrivate }, true)(p, key, v)
		}},
		"primary_shared": {g, 1, false, wordKey(func(p *parser) *string { return &cfg(p).PrimaryShared })},
		"backup":         {g, 1, false, hostKey(func(p *parser) *netip.Addr { return &cfg(p).Backup }, false)},
		"backup_private": {g, 1, false, hostKey(func(p *parser) *netip.Addr { return &cfg(p).BackupPrivate }, true)},
		"backup_shared":  {g, 1, false, wordKey(func(p *parser) *string { return &cfg(p).BackupShared })},
		"backup_active":  {g, 1, false, boolKey(func(p *parser) *bool { return &cfg(p).BackupActive })},
		"heartbeat":      {g, 1, false, inert(boolKey(func(p *parser) *bool { return &cfg(p).Heartbeat }), "heartbeats are sent whenever backup_active = 1")},
		"heartbeat_port": {g, 1, false, portKey(func(p *parser) *uint16 { return &cfg(p).HeartbeatPort }, true)},
		"keepalive":      {g, 1, false, secondsKey(func(p *parser) *time.Duration { return &cfg(p).Keepalive }, time.Millisecond)},
		"deadtime":       {g, 1, false, secondsKey(func(p *parser) *time.Duration { return &cfg(p).Deadtime }, time.Millisecond)},
		"network": {g, 1, false, func(p *parser, key string, v []token) error {
			var s string
			if err := enumKey(func(*parser) *string { return &s }, "nat", "direct", "tunnel")(p, key, v); err != nil {
				return err
			}
			p.cfg.Network = Network(s)
			return nil
		}},
		"nat_router": {g, 2, false, func(p *parser, key string, v []token) error {
			if err := hostKey(func(p *parser) *netip.Addr { return &cfg(p).NATRouter }, false)(p, key, v[:1]); err != nil {
				return err
			}
			p.cfg.NATRouterDev = v[1].text
			return nil
		}},
		"nat_nmask":                   {g, 1, false, quadKey(func(p *parser) *netip.Addr { return &cfg(p).NATNetmask }, "Bad subnet mask specified")},
		"reservation_conflict_action": {g, 1, false, enumKey(func(p *parser) *string { return &cfg(p).ReservationConflictAction }, "nothing", "preempt")},
		"debug_level":                 {g, 1, false, inert(wordKey(func(p *parser) *string { return &cfg(p).DebugLevel }), "")},
		"rsh_command":                 {g, 1, false, wordKey(func(p *parser) *string { return &cfg(p).RshCommand })},
		"sync":                        {g, 1, false, inert(boolKey(func(p *parser) *bool { return &cfg(p).Sync }), "")},
		"ipvsadm":                     {g, 1, false, wordKey(func(p *parser) *string { return &cfg(p).Ipvsadm })},
		"active_cmd":                  {g, 1, false, wordKey(func(p *parser) *string { return &cfg(p).ActiveCmd })},
		"inactive_cmd":                {g, 1, false, wordKey(func(p *parser) *string { return &cfg(p).InactiveCmd })},
		"monitor_links":               {g, 1, false, intKey(func(p *parser) *int64 { return &cfg(p).MonitorLinks }, math.MinInt64, math.MaxInt64)},
		"hard_shutdown":               {g, 1, false, inert(boolKey(func(p *parser) *bool { return &cfg(p).HardShutdown }), "lvsd restarts a nanny that dies and never shuts the director down for it")},
		"syncdaemon":                  {g, 1, false, boolKey(func(p *parser) *bool { return &cfg(p).SyncDaemon })},
		"syncd_iface":                 {g, 1, false, wordKey(func(p *parser) *string { return &cfg(p).SyncdIface })},
		"syncd_id":                    {g, 1, false, intKey(func(p *parser) *int64 { return &cfg(p).SyncdID }, 0, 255)},
		"tcp_timeout":                 {g, 1, false, intKey(func(p *parser) *int64 { return &cfg(p).TCPTimeout }, 0, math.MaxInt32)},
		"tcpfin_timeout":              {g, 1, false, intKey(func(p *parser) *int64 { return &cfg(p).TCPFinTimeout }, 0, math.MaxInt32)},
		"udp_timeout":                 {g, 1, false, intKey(func(p *parser) *int64 { return &cfg(p).UDPTimeout }, 0, math.MaxInt32)},

		"active": {[]scope{virtualBlock, serverBlock}, 1, false, func(p *parser, key string, v []token) error {
			if p.rs != nil {
				return boolKey(func(p *parser) *bool { return &rs(p).Active })(p, key, v)
			}
			return boolKey(func(p *parser) *bool { return &vs(p).Active })(p, key, v)
		}},
		"address":      {[]scope{virtualBlock, serverBlock}, 1, false, addressKey},
		"vip_nmask":    {vb, 1, false, quadKey(func(p *parser) *netip.Addr { return &vs(p).VIPNetmask }, "Bad subnet mask specified")},
		"sorry_server": {vb, 1, false, quadKey(func(p *parser) *netip.Addr { return &vs(p).SorryServer }, "invalid host name or ip address")},
		"fwmark":       {vb, 1, false, fwmarkKey},
		"port": {[]scope{virtualBlock, serverBlock}, 1, false, func(p *parser, key string, v []token) error {
			if p.rs != nil {
				// No service names for a real server's port, as in
				// Piranha.
				return portKey(func(p *parser) *uint16 { return &rs(p).Port }, false)(p, key, v)
			}
			return portKey(func(p *parser) *uint16 { return &vs(p).Port }, true)(p, key, v)
		}},
		"protocol":  {vb, 1, false, enumKey(func(p *parser) *string { return &vs(p).Protocol }, "tcp", "udp")},
		"scheduler": {vb, 1, false, enumKey(func(p *parser) *string { return &vs(p).Scheduler }, schedulers...)},
		// ipvsadm -p refuses more than 31 days, so Piranha's lvsd failed
		// to create such a service.
		"persistent":     {vb, 1, false, intKey(func(p *parser) *int64 { return &vs(p).Persistent }, 0, 2678400)},
		"pmask":          {vb, 1, false, pmaskKey},
		"send":           {vb, 1, false, checkKey(func(p *parser) *string { return &vs(p).Send })},
		"expect":         {vb, 1, false, checkKey(func(p *parser) *string { return &vs(p).Expect })},
		"use_regex":      {vb, 1, false, boolKey(func(p *parser) *bool { return &vs(p).UseRegex })},
		"send_program":   {vb, 1, false, checkKey(func(p *parser) *string { return &vs(p).SendProgram })},
		"load_monitor":   {vb, 1, false, wordKey(func(p *parser) *string { return &vs(p).LoadMonitor })},
		"timeout":        {vb, 1, false, intKey(func(p *parser) *int64 { return &vs(p).Timeout }, 1, math.MaxInt32)},
		"reentry":        {vb, 1, false, intKey(func(p *parser) *int64 { return &vs(p).Reentry }, 0, math.MaxInt32)},
		"quiesce_server": {vb, 1, false, boolKey(func(p *parser) *bool { return &vs(p).QuiesceServer })},
		"client_monitor": {vb, 1, false, wordKey(func(p *parser) *string { return &vs(p).ClientMonitor })},
		"start_cmd":      {vb, 1, false, checkKey(func(p *parser) *string { return &vs(p).StartCmd })},
		"stop_cmd":       {vb, 1, false, checkKey(func(p *parser) *string { return &vs(p).StopCmd })},
		"master":         {vb, 1, false, inert(hostKey(func(p *parser) *netip.Addr { return &vs(p).Master }, false), "")},
		"dirs": {vb, 0, true, inert(func(p *parser, key string, v []token) error {
			p.vs.Dirs = p.vs.Dirs[:0]
			for _, t := range v {
				p.vs.Dirs = append(p.vs.Dirs, t.text)
			}
			return nil
		}, "")},
		"weight": {sb, 1, false, intKey(func(p *parser) *int64 { return &rs(p).Weight }, 0, 65535)},
	}
	for k, d := range extKeys() {
		keys[k] = d
	}
}

// schedulers are the IPVS schedulers a virtual service may name:
// Piranha's eight, and those the kernel has added since.
var schedulers = []string{"rr", "wrr", "lc", "wlc", "lblc", "lblcr", "dh", "sh", "sed", "nq", "fo", "ovf", "mh", "twos"}

// inert marks a key no daemon acts on: it is read, and a warning says so.
func inert(set func(*parser, string, []token) error, why string) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		if err := set(p, key, v); err != nil {
			return err
		}
		hint := why
		if hint == "" {
			hint = "kept for Piranha's GUI"
		}
		col := 0
		if len(v) > 0 {
			col = v[0].col
		}
		p.warn(col, key, "read but unused", hint)
		return nil
	}
}

func intKey(field func(*parser) *int64, min, max int64) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		n, err := p.integer(key, v[0], min, max)
		if err != nil {
			return err
		}
		*field(p) = n
		return nil
	}
}

// secondsKey reads a time in seconds: an integer as Piranha reads it, or
// (an lvskit extension, which Piranha refused as "integer expected") a
// decimal with up to three digits after the point, "0.1". It is at
// least min and at most MaxInt32 seconds.
func secondsKey(field func(*parser) *time.Duration, min time.Duration) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		d, err := p.seconds(key, v[0], min)
		if err != nil {
			return err
		}
		*field(p) = d
		return nil
	}
}

// seconds reads a time for secondsKey.
func (p *parser) seconds(key string, t token, min time.Duration) (time.Duration, error) {
	hint := fmt.Sprintf("seconds, at least %s", formatSeconds(min))
	whole, frac, decimal := strings.Cut(t.text, ".")
	if !decimal {
		// The smallest whole number of seconds at least min.
		least := int64((min + time.Second - 1) / time.Second)
		n, err := p.integer(key, t, least, math.MaxInt32)
		return time.Duration(n) * time.Second, err
	}
	ok := whole != "" && frac != "" && len(frac) <= 3 && len(whole) <= 10
	for _, c := range whole + frac {
		ok = ok && c >= '0' && c <= '9'
	}
	if !ok {
		return 0, p.err(t.col, key, fmt.Sprintf("number of seconds expected, got %q", t.text), "a whole number, or a decimal with up to 3 digits after the point")
	}
	w, _ := strconv.ParseInt(whole, 10, 64)
	f, _ := strconv.ParseInt((frac + "00")[:3], 10, 64)
	d := time.Duration(w)*time.Second + time.Duration(f)*time.Millisecond
	if d < min || w > math.MaxInt32 {
		return 0, p.err(t.col, key, fmt.Sprintf("out of range: %s", t.text), hint)
	}
	return d, nil
}

// formatSeconds writes d as seconds the way seconds reads them back.
func formatSeconds(d time.Duration) string {
	return strconv.FormatFloat(d.Seconds(), 'f', -1, 64)
}

// integer reads a number in [min, max].
func (p *parser) integer(key string, t token, min, max int64) (int64, error) {
	n, err := parseInt(t.text)
	switch {
	case errors.Is(err, errRange):
		return 0, p.err(t.col, key, fmt.Sprintf("integer out of range: %q", t.text), fmt.Sprintf("from %d to %d", min, max))
	case err != nil:
		return 0, p.err(t.col, key, fmt.Sprintf("integer expected, got %q", t.text), "a number: decimal, 0x hex, or 0 octal")
	case n < min || n > max:
		return 0, p.err(t.col, key, fmt.Sprintf("integer out of range: %s", t.text), fmt.Sprintf("from %d to %d", min, max))
	}
	if octal(t.text) {
		p.warn(t.col, key, fmt.Sprintf("%s is octal, read as %d", t.text, n), "a leading 0 makes a number octal, as in Piranha")
	}
	return n, nil
}

func boolKey(field func(*parser) *bool) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		n, err := parseInt(v[0].text)
		if err != nil {
			return p.err(v[0].col, key, fmt.Sprintf("integer expected, got %q", v[0].text), "write 0 or 1")
		}
		if n != 0 && n != 1 {
			return p.err(v[0].col, key, fmt.Sprintf("boolean expected, got %s", v[0].text), "write 0 or 1")
		}
		*field(p) = n == 1
		return nil
	}
}

func enumKey(field func(*parser) *string, values ...string) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		for _, x := range values {
			if v[0].text == x {
				*field(p) = x
				return nil
			}
		}
		return p.err(v[0].col, key, fmt.Sprintf("invalid argument %q", v[0].text), "one of "+strings.Join(values, ", "))
	}
}

// wordKey stores the value as written, without its quotes.
func wordKey(field func(*parser) *string) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		*field(p) = v[0].text
		return nil
	}
}

// checkKey stores a value as Piranha hands it to nanny or fos: Piranha
// keeps the quotes of send, expect, send_program, start_cmd and stop_cmd
// and then strips double ones only, so a single-quoted value keeps its
// quotes.
func checkKey(field func(*parser) *string) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		s := v[0].text
		if v[0].quote == '\'' {
			s = "'" + s + "'"
			p.warn(v[0].col, key, "single quotes are part of the value", "Piranha passes them on; use double quotes to quote")
		}
		*field(p) = s
		return nil
	}
}

// portKey reads a port: a number from 1 to 65535, or, where Piranha
// allows it, a TCP service name.
func portKey(field func(*parser) *uint16, names bool) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		t := v[0]
		n, err := parseInt(t.text)
		if err != nil && names && !strings.ContainsAny(t.text[:1], "0123456789+-") {
			if p.opt.LookupPort == nil {
				return p.err(t.col, key, fmt.Sprintf("invalid argument %q", t.text), "service names are not looked up here; write the port number")
			}
			port, lerr := p.opt.LookupPort(t.text)
			if lerr != nil {
				return p.err(t.col, key, fmt.Sprintf("invalid argument %q", t.text), "not a TCP service name in /etc/services")
			}
			n, err = int64(port), nil
		}
		if err != nil {
			hint := "a port number"
			if names {
				hint = "a port number or a service name"
			}
			return p.err(t.col, key, fmt.Sprintf("invalid argument %q", t.text), hint)
		}
		if n < 1 || n > 65535 {
			return p.err(t.col, key, fmt.Sprintf("port out of range: %d", n), "from 1 to 65535")
		}
		*field(p) = uint16(n)
		return nil
	}
}

// host reads an IPv4 address (inet_aton syntax) or resolves a hostname.
func (p *parser) host(key string, t token) (netip.Addr, error) {
	if a, ok := ParseInetAton(t.text); ok {
		return a, nil
	}
	if a, err := netip.ParseAddr(t.text); err == nil {
		if a.Is4In6() {
			a = a.Unmap()
		}
		if a.Is6() {
			return netip.Addr{}, p.err(t.col, key, fmt.Sprintf("invalid host name or ip address %q", t.text), "lvs.cf takes IPv4 addresses")
		}
	}
	if p.opt.LookupHost == nil || t.text == "" {
		return netip.Addr{}, p.err(t.col, key, fmt.Sprintf("invalid host name or ip address %q", t.text), "an IPv4 address")
	}
	a, err := p.opt.LookupHost(t.text)
	if err != nil || !a.Unmap().Is4() {
		return netip.Addr{}, p.err(t.col, key, fmt.Sprintf("invalid host name or ip address %q", t.text), "an IPv4 address, or a name that resolves to one")
	}
	return a.Unmap(), nil
}

// hostKey reads an address; notZero refuses 0.0.0.0, as Piranha does for
// the primary and the private addresses.
func hostKey(field func(*parser) *netip.Addr, notZero bool) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		a, err := p.host(key, v[0])
		if err != nil {
			return err
		}
		if notZero && a.IsUnspecified() {
			return p.err(v[0].col, key, "invalid host name or ip address \"0.0.0.0\"", "the address of a director cannot be 0.0.0.0")
		}
		*field(p) = a
		return nil
	}
}

func primaryKey(p *parser, key string, v []token) error {
	if err := hostKey(func(p *parser) *netip.Addr { return &p.cfg.Primary }, true)(p, key, v); err != nil {
		return err
	}
	p.primarySet = true
	return nil
}

// quadKey reads a dotted quad without name lookup.
func quadKey(field func(*parser) *netip.Addr, msg string) func(*parser, string, []token) error {
	return func(p *parser, key string, v []token) error {
		a, ok := ParseInetAton(v[0].text)
		if !ok {
			return p.err(v[0].col, key, fmt.Sprintf("%s: %q", msg, v[0].text), "an IPv4 address such as 255.255.255.0")
		}
		*field(p) = a
		return nil
	}
}

// pmaskKey: 255.255.255.255 means no pmask, as in Piranha, and a value
// that is not an address is ignored with a warning (Piranha ignored it
// silently).
func pmaskKey(p *parser, key string, v []token) error {
	a, ok := ParseInetAton(v[0].text)
	switch {
	case !ok:
		p.warn(v[0].col, key, fmt.Sprintf("not an address, ignored: %q", v[0].text), "Piranha ignores it too")
	case a == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		p.vs.PMask = netip.IPv4Unspecified()
	default:
		p.vs.PMask = a
	}
	return nil
}

func fwmarkKey(p *parser, key string, v []token) error {
	n, err := p.integer(key, v[0], 0, math.MaxUint32)
	if err != nil {
		return err
	}
	p.vs.Fwmark = uint32(n)
	return nil
}

// addressKey is a virtual service's "address = VIP DEVICE" or a real
// server's "address = IP".
func addressKey(p *parser, key string, v []token) error {
	if p.rs != nil {
		return hostKey(func(p *parser) *netip.Addr { return &p.rs.Addr }, false)(p, key, v)
	}
	a, err := p.host(key, v[0])
	if err != nil {
		return err
	}
	p.vs.Addr, p.vs.Device = a, v[1].text
	return nil
}
