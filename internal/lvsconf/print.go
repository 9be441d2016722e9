package lvsconf

import (
	"fmt"
	"net/netip"
	"strconv"
	"strings"
	"time"
)

// Format writes c as canonical lvs.cf: the keys whose value differs from
// the default, in the order Piranha's GUI writes them, globals first,
// then the virtual and failover blocks with their servers, indented as
// the GUI indents them. It parses back to c. A value that no lvs.cf can
// hold (one with both kinds of quote after a blank) is an error.
func Format(c *Config) ([]byte, error) {
	w := &writer{}
	d := Defaults()
	w.int("serial_no", c.SerialNo, d.SerialNo)
	w.addr("primary", c.Primary, d.Primary)
	if c.Primary != d.Primary || c.PrimaryPrivate != d.PrimaryPrivate {
		// Written with primary, so that Piranha's fix-up (private =
		// public when primary_private is missing) does not apply.
		w.line("", "primary_private", c.PrimaryPrivate.String())
	}
	w.word("primary_shared", c.PrimaryShared, d.PrimaryShared)
	// Always written: a file of defaults is not empty, which Piranha
	// would refuse.
	w.line("", "service", w.quote(c.Service, false))
	w.word("rsh_command", c.RshCommand, d.RshCommand)
	w.bool("backup_active", c.BackupActive, d.BackupActive)
	w.addr("backup", c.Backup, d.Backup)
	w.addr("backup_private", c.BackupPrivate, d.BackupPrivate)
	w.word("backup_shared", c.BackupShared, d.BackupShared)
	w.bool("heartbeat", c.Heartbeat, d.Heartbeat)
	w.int("heartbeat_port", int64(c.HeartbeatPort), int64(d.HeartbeatPort))
	w.seconds("keepalive", c.Keepalive, d.Keepalive)
	w.seconds("deadtime", c.Deadtime, d.Deadtime)
	w.word("network", string(c.Network), string(d.Network))
	if c.NATRouter.IsValid() {
		w.line("", "nat_router", c.NATRouter.String()+" "+w.quote(c.NATRouterDev, false))
	}
	w.addr("nat_nmask", c.NATNetmask, d.NATNetmask)
	w.word("reservation_conflict_action", c.ReservationConflictAction, d.ReservationConflictAction)
	w.word("debug_level", c.DebugLevel, d.DebugLevel)
	w.word("active_cmd", c.ActiveCmd, d.ActiveCmd)
	w.word("inactive_cmd", c.InactiveCmd, d.InactiveCmd)
	w.int("monitor_links", c.MonitorLinks, d.MonitorLinks)
	w.bool("syncdaemon", c.SyncDaemon, d.SyncDaemon)
	w.word("syncd_iface", c.SyncdIface, d.SyncdIface)
	w.int("syncd_id", c.SyncdID, d.SyncdID)
	w.bool("hard_shutdown", c.HardShutdown, d.HardShutdown)
	w.bool("sync", c.Sync, d.Sync)
	w.word("ipvsadm", c.Ipvsadm, d.Ipvsadm)
	w.int("tcp_timeout", c.TCPTimeout, d.TCPTimeout)
	w.int("tcpfin_timeout", c.TCPFinTimeout, d.TCPFinTimeout)
	w.int("udp_timeout", c.UDPTimeout, d.UDPTimeout)
	w.word("heartbeat_secret_file", c.HeartbeatSecretFile, d.HeartbeatSecretFile)
	w.word("heartbeat_mode", c.HeartbeatMode, d.HeartbeatMode)
	w.word("failback", c.Failback, d.Failback)
	w.seconds("failback_delay", c.FailbackDelay, d.FailbackDelay)
	w.int("primary_priority", c.PrimaryPriority, d.PrimaryPriority)
	w.int("backup_priority", c.BackupPriority, d.BackupPriority)
	w.int("garp_count", c.GARPCount, d.GARPCount)
	w.seconds("garp_interval", c.GARPInterval, d.GARPInterval)
	w.seconds("garp_refresh", c.GARPRefresh, d.GARPRefresh)
	w.addr("arbitration_gateway", c.ArbitrationGateway, d.ArbitrationGateway)
	for _, v := range c.Virtuals {
		w.virtual("virtual", &v)
	}
	for _, v := range c.Failovers {
		w.virtual("failover", &v)
	}
	if w.err != nil {
		return nil, w.err
	}
	return []byte(w.b.String()), nil
}

type writer struct {
	b      strings.Builder
	indent string
	err    error
}

func (w *writer) line(indent, key, value string) {
	fmt.Fprintf(&w.b, "%s%s = %s\n", indent, key, value)
}

func (w *writer) int(key string, v, def int64) {
	if v != def {
		w.line(w.indent, key, strconv.FormatInt(v, 10))
	}
}

func (w *writer) seconds(key string, v, def time.Duration) {
	if v != def {
		w.line(w.indent, key, formatSeconds(v))
	}
}

func (w *writer) bool(key string, v, def bool) {
	if v != def {
		n := "0"
		if v {
			n = "1"
		}
		w.line(w.indent, key, n)
	}
}

func (w *writer) addr(key string, v, def netip.Addr) {
	if v != def && v.IsValid() {
		w.line(w.indent, key, v.String())
	}
}

func (w *writer) word(key, v, def string) {
	if v != def {
		w.line(w.indent, key, w.quote(v, false))
	}
}

// quote writes v so that the scanner reads it back: bare if it is one
// plain token, else in double quotes, else (check false) in single
// quotes, which Piranha strips from such keys too.
func (w *writer) quote(v string, check bool) string {
	if v != "" && !strings.ContainsAny(v, " \t") && v[0] != '"' && v[0] != '\'' && v != "]" && !strings.HasSuffix(v, "{") {
		return v
	}
	for _, q := range []byte{'"', '\''} {
		if q == '\'' && check {
			break
		}
		s := string(q) + v + string(q)
		if end, ok := quotedEnd(s, 0); ok && end == len(s)-1 {
			return s
		}
	}
	if w.err == nil {
		w.err = fmt.Errorf("lvsconf: the value %q cannot be written in lvs.cf", v)
	}
	return `""`
}

func (w *writer) virtual(kind string, v *Virtual) {
	d := newVirtual(v.Name)
	fmt.Fprintf(&w.b, "\n%s %s {\n", kind, w.quote(v.Name, true))
	w.indent = "     "
	w.bool("active", v.Active, d.Active)
	if v.Addr != d.Addr || v.Device != "" {
		w.line(w.indent, "address", v.Addr.String()+" "+w.quote(v.Device, false))
	}
	w.addr("sorry_server", v.SorryServer, d.SorryServer)
	w.addr("vip_nmask", v.VIPNetmask, d.VIPNetmask)
	w.int("fwmark", int64(v.Fwmark), int64(d.Fwmark))
	w.int("port", int64(v.Port), int64(d.Port))
	w.int("persistent", v.Persistent, d.Persistent)
	w.addr("pmask", v.PMask, d.PMask)
	w.check("send", v.Send)
	w.check("expect", v.Expect)
	w.bool("use_regex", v.UseRegex, d.UseRegex)
	w.check("send_program", v.SendProgram)
	w.word("load_monitor", v.LoadMonitor, d.LoadMonitor)
	w.word("scheduler", v.Scheduler, d.Scheduler)
	w.word("protocol", v.Protocol, d.Protocol)
	w.int("timeout", v.Timeout, d.Timeout)
	w.int("reentry", v.Reentry, d.Reentry)
	w.bool("quiesce_server", v.QuiesceServer, d.QuiesceServer)
	w.word("client_monitor", v.ClientMonitor, d.ClientMonitor)
	w.check("start_cmd", v.StartCmd)
	w.check("stop_cmd", v.StopCmd)
	w.addr("master", v.Master, d.Master)
	if len(v.Dirs) > 0 {
		var items []string
		for _, x := range v.Dirs {
			items = append(items, w.quote(x, false))
		}
		w.line(w.indent, "dirs", "[ "+strings.Join(items, " ")+" ]")
	}
	w.word("check", v.Check, d.Check)
	w.int("check_interval", v.CheckInterval, d.CheckInterval)
	w.int("fall", v.Fall, d.Fall)
	w.int("rise", v.Rise, d.Rise)
	w.word("forward", string(v.Forward), string(d.Forward))
	for _, s := range v.Servers {
		fmt.Fprintf(&w.b, "\n%sserver %s {\n", w.indent, w.quote(s.Name, true))
		in := w.indent + "    "
		w.line(in, "address", s.Addr.String())
		if s.Active {
			w.line(in, "active", "1")
		}
		w.line(in, "port", strconv.Itoa(int(s.Port)))
		w.line(in, "weight", strconv.FormatInt(s.Weight, 10))
		fmt.Fprintf(&w.b, "%s}\n", w.indent)
	}
	w.indent = ""
	w.b.WriteString("}\n")
}

// check writes a key whose value keeps single quotes: never in single
// quotes, which would become part of the value.
func (w *writer) check(key, v string) {
	if v != "" {
		w.line(w.indent, key, w.quote(v, true))
	}
}
