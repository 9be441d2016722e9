package ipvstest

import (
	"fmt"
	"syscall"

	"lvskit/internal/ipvs"
)

var configChecks = []check{
	{"SetTimeoutsPartial", checkSetTimeoutsPartial},
	{"SetTimeoutsRange", checkSetTimeoutsRange},
	{"DaemonsEveryAttribute", checkDaemonsEveryAttribute},
	{"DaemonDefaults", checkDaemonDefaults},
	{"DaemonMasterIPv6OnLoopback", checkDaemonMasterIPv6OnLoopback},
	{"DaemonMaxLenClamped", checkDaemonMaxLen},
	{"DaemonExists", checkDaemonExists},
	{"DaemonStopNotRunning", checkDaemonStopNotRunning},
	{"DaemonUnknownInterface", checkDaemonUnknownInterface},
	{"DaemonUnicastGroup", checkDaemonUnicastGroup},
	{"DaemonUnknownState", checkDaemonUnknownState},
	{"DaemonStopIndependently", checkDaemonStopIndependently},
	{"DaemonMixedFamily", checkDaemonMixedFamily},
}

func (c *tc) wantTimeouts(want ipvs.Timeouts) {
	c.Helper()
	got, err := c.tb.Timeouts()
	c.ok(err, "Timeouts")
	if got != want {
		c.Errorf("Timeouts() = %+v, want %+v", got, want)
	}
}

// A zero timeout leaves that one alone.
func checkSetTimeoutsPartial(c *tc) {
	steps := []struct{ set, want ipvs.Timeouts }{
		{ipvs.Timeouts{TCP: 1000}, ipvs.Timeouts{TCP: 1000, TCPFin: 120, UDP: 300}},
		{ipvs.Timeouts{UDP: 60}, ipvs.Timeouts{TCP: 1000, TCPFin: 120, UDP: 60}},
		{ipvs.Timeouts{TCPFin: 30}, ipvs.Timeouts{TCP: 1000, TCPFin: 30, UDP: 60}},
		{ipvs.Timeouts{}, ipvs.Timeouts{TCP: 1000, TCPFin: 30, UDP: 60}},
		{ipvs.Timeouts{TCP: 1, TCPFin: 2, UDP: 3}, ipvs.Timeouts{TCP: 1, TCPFin: 2, UDP: 3}},
	}
	for _, s := range steps {
		c.ok(c.tb.SetTimeouts(s.set), "SetTimeouts(%+v)", s.set)
		c.wantTimeouts(s.want)
	}
}

// ip_vs_set_timeout keeps timeouts as an int of jiffies: above
// INT_MAX/HZ (8589934 with HZ 250) is EINVAL, and nothing is set.
func checkSetTimeoutsRange(c *tc) {
	const max = (1<<31 - 1) / 250
	all := ipvs.Timeouts{TCP: max, TCPFin: max, UDP: max}
	c.ok(c.tb.SetTimeouts(all), "SetTimeouts(%+v)", all)
	c.wantTimeouts(all)
	c.ok(c.tb.SetTimeouts(ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}), "SetTimeouts")
	for _, v := range []uint32{max + 1, 1 << 31, 1<<32 - 1} {
		for _, to := range []ipvs.Timeouts{{TCP: v}, {TCPFin: v, UDP: 10}, {TCP: 10, UDP: v}} {
			c.fails(syscall.EINVAL, fmt.Sprintf("SetTimeouts(%+v)", to), func() error { return c.tb.SetTimeouts(to) })
		}
	}
}

// Every attribute of a daemon reads back as sent, with either group
// family, and the master is listed first.
func checkDaemonsEveryAttribute(c *tc) {
	pairs := [][2]ipvs.Daemon{
		{
			{State: ipvs.Backup, Interface: "lo", SyncID: 70000, MaxLen: 2000, Group: addr("ff15::81"), Port: 9001, TTL: 5},
			{State: ipvs.Master, Interface: "lo", SyncID: 200, MaxLen: 1000, Group: addr("239.1.2.3"), Port: 9000, TTL: 3},
		},
		{
			{State: ipvs.Master, Interface: "lo", SyncID: 1<<32 - 1, MaxLen: 1400, Group: addr("224.0.0.82"), Port: 1, TTL: 255},
			{State: ipvs.Backup, Interface: "lo", SyncID: 1, MaxLen: 1024, Group: addr("ff05::1:3"), Port: 65535, TTL: 1},
		},
	}
	for _, p := range pairs {
		for _, d := range p {
			c.ok(c.tb.StartDaemon(d), "StartDaemon(%+v)", d)
		}
		master, backup := p[0], p[1]
		if master.State != ipvs.Master {
			master, backup = backup, master
		}
		c.wantDaemons(master, backup)
		c.ok(c.tb.StopDaemon(ipvs.Master), "StopDaemon(master)")
		c.ok(c.tb.StopDaemon(ipvs.Backup), "StopDaemon(backup)")
		c.wantDaemons()
	}
}

// start_sync_thread's defaults: group 224.0.0.81, port 8848, TTL 1, and a
// message size of the MTU less the IP and UDP headers, where a master
// assumes an MTU of 1500 and a backup takes lo's (65536, capped at
// 65535).
func checkDaemonDefaults(c *tc) {
	group := addr("224.0.0.81")
	c.ok(c.tb.StartDaemon(ipvs.Daemon{State: ipvs.Backup, Interface: "lo"}), "StartDaemon(backup)")
	c.ok(c.tb.StartDaemon(ipvs.Daemon{State: ipvs.Master, Interface: "lo"}), "StartDaemon(master)")
	c.wantDaemons(
		ipvs.Daemon{State: ipvs.Master, Interface: "lo", MaxLen: 1472, Group: group, Port: 8848, TTL: 1},
		ipvs.Daemon{State: ipvs.Backup, Interface: "lo", MaxLen: 65507, Group: group, Port: 8848, TTL: 1},
	)
	c.ok(c.tb.StopDaemon(ipvs.Master), "StopDaemon(master)")
	c.ok(c.tb.StopDaemon(ipvs.Backup), "StopDaemon(backup)")
	// With an IPv6 group the headers take 48 bytes.
	g6 := addr("ff15::81")
	c.ok(c.tb.StartDaemon(ipvs.Daemon{State: ipvs.Backup, Interface: "lo", Group: g6}), "StartDaemon(backup)")
	c.wantDaemons(ipvs.Daemon{State: ipvs.Backup, Interface: "lo", MaxLen: 65487, Group: g6, Port: 8848, TTL: 1})
}

// A master sends to its group through the interface, and the loopback
// device has no IPv6 multicast route, so a master with an IPv6 group on
// lo cannot start (ENETUNREACH from make_send_sock's connect). The
// EEXIST check comes first.
func checkDaemonMasterIPv6OnLoopback(c *tc) {
	d := ipvs.Daemon{State: ipvs.Master, Interface: "lo", Group: addr("ff15::81")}
	c.fails(syscall.ENETUNREACH, "StartDaemon(master, group ff15::81, lo)", func() error { return c.tb.StartDaemon(d) })
	c.ok(c.tb.StartDaemon(ipvs.Daemon{State: ipvs.Master, Interface: "lo"}), "StartDaemon(master)")
	c.fails(syscall.EEXIST, "StartDaemon(master, group ff15::81, lo) while one runs", func() error { return c.tb.StartDaemon(d) })
}

// A requested message size is clamped to what fits in a datagram, and a
// backup's to at least 1024.
func checkDaemonMaxLen(c *tc) {
	cases := []struct {
		state    ipvs.DaemonState
		group    string
		req, got uint16
	}{
		{ipvs.Master, "224.0.0.81", 1, 1},
		{ipvs.Master, "224.0.0.81", 65535, 65507},
		{ipvs.Backup, "ff15::81", 65535, 65487},
		{ipvs.Backup, "224.0.0.81", 100, 1024},
		{ipvs.Backup, "224.0.0.81", 65535, 65507},
	}
	for _, tt := range cases {
		d := ipvs.Daemon{State: tt.state, Interface: "lo", MaxLen: tt.req, Group: addr(tt.group)}
		c.ok(c.tb.StartDaemon(d), "StartDaemon(%+v)", d)
		want := d
		want.MaxLen, want.Port, want.TTL = tt.got, 8848, 1
		c.wantDaemons(want)
		c.ok(c.tb.StopDaemon(tt.state), "StopDaemon(%s)", tt.state)
	}
}

func checkDaemonExists(c *tc) {
	for _, st := range []ipvs.DaemonState{ipvs.Master, ipvs.Backup} {
		c.ok(c.tb.StartDaemon(ipvs.Daemon{State: st, Interface: "lo", SyncID: 1}), "StartDaemon(%s)", st)
		again := ipvs.Daemon{State: st, Interface: "lo", SyncID: 2, Port: 9999}
		c.fails(syscall.EEXIST, fmt.Sprintf("StartDaemon(%s) while one runs", st), func() error { return c.tb.StartDaemon(again) })
	}
}

func checkDaemonStopNotRunning(c *tc) {
	c.fails(syscall.ESRCH, "StopDaemon(master) with none running", func() error { return c.tb.StopDaemon(ipvs.Master) })
	c.fails(syscall.ESRCH, "StopDaemon(backup) with none running", func() error { return c.tb.StopDaemon(ipvs.Backup) })
	c.ok(c.tb.StartDaemon(ipvs.Daemon{State: ipvs.Backup, Interface: "lo"}), "StartDaemon(backup)")
	c.fails(syscall.ESRCH, "StopDaemon(master) with a backup running", func() error { return c.tb.StopDaemon(ipvs.Master) })
}

func checkDaemonUnknownInterface(c *tc) {
	for _, st := range []ipvs.DaemonState{ipvs.Master, ipvs.Backup} {
		for _, ifn := range []string{"nosuchdev0", ""} {
			d := ipvs.Daemon{State: st, Interface: ifn}
			c.fails(syscall.ENODEV, fmt.Sprintf("StartDaemon(%s) on %q", st, ifn), func() error { return c.tb.StartDaemon(d) })
		}
	}
}

func checkDaemonUnicastGroup(c *tc) {
	for _, st := range []ipvs.DaemonState{ipvs.Master, ipvs.Backup} {
		for _, g := range []string{"10.0.0.1", "0.0.0.0", "2001:db8::1", "::ffff:224.0.0.81"} {
			d := ipvs.Daemon{State: st, Interface: "lo", Group: addr(g)}
			c.fails(syscall.EINVAL, fmt.Sprintf("StartDaemon(%s) with group %s", st, g), func() error { return c.tb.StartDaemon(d) })
		}
	}
}

// A state other than master or backup is EINVAL, but only once the
// interface is found (start_sync_thread looks it up first).
func checkDaemonUnknownState(c *tc) {
	for _, st := range []ipvs.DaemonState{0, 3} {
		c.fails(syscall.EINVAL, fmt.Sprintf("StartDaemon(%s)", st), func() error {
			return c.tb.StartDaemon(ipvs.Daemon{State: st, Interface: "lo"})
		})
		c.fails(syscall.ENODEV, fmt.Sprintf("StartDaemon(%s) on nosuchdev0", st), func() error {
			return c.tb.StartDaemon(ipvs.Daemon{State: st, Interface: "nosuchdev0"})
		})
		c.fails(syscall.EINVAL, fmt.Sprintf("StopDaemon(%s)", st), func() error { return c.tb.StopDaemon(st) })
	}
}

func checkDaemonStopIndependently(c *tc) {
	m := ipvs.Daemon{State: ipvs.Master, Interface: "lo", SyncID: 7, MaxLen: 1472, Group: addr("224.0.0.81"), Port: 8848, TTL: 1}
	b := ipvs.Daemon{State: ipvs.Backup, Interface: "lo", SyncID: 8, MaxLen: 65507, Group: addr("224.0.0.81"), Port: 8848, TTL: 1}
	c.ok(c.tb.StartDaemon(m), "StartDaemon(master)")
	c.ok(c.tb.StartDaemon(b), "StartDaemon(backup)")
	c.ok(c.tb.StopDaemon(ipvs.Master), "StopDaemon(master)")
	c.wantDaemons(b)
	c.ok(c.tb.StartDaemon(m), "StartDaemon(master) again")
	c.wantDaemons(m, b)
	c.ok(c.tb.StopDaemon(ipvs.Backup), "StopDaemon(backup)")
	c.wantDaemons(m)
	c.ok(c.tb.StopDaemon(ipvs.Master), "StopDaemon(master)")
	c.wantDaemons()
}

// The sync protocol cannot carry mixed-family services: no daemon starts
// while a destination of the other family exists, and no such
// destination is added while a daemon runs.
func checkDaemonMixedFamily(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	mixed := dest("2001:db8::10", 80, ipvs.Tunnel, 1)
	c.addDest(k, mixed)
	for _, st := range []ipvs.DaemonState{ipvs.Master, ipvs.Backup} {
		d := ipvs.Daemon{State: st, Interface: "lo"}
		c.fails(syscall.EINVAL, fmt.Sprintf("StartDaemon(%s) with a mixed-family destination", st), func() error { return c.tb.StartDaemon(d) })
	}
	c.ok(c.tb.DelDest(k, mixed.Key()), "DelDest")
	for _, st := range []ipvs.DaemonState{ipvs.Backup, ipvs.Master} {
		c.ok(c.tb.StartDaemon(ipvs.Daemon{State: st, Interface: "lo"}), "StartDaemon(%s)", st)
		c.fails(syscall.EINVAL, fmt.Sprintf("AddDest of a mixed-family destination while a %s runs", st), func() error { return c.tb.AddDest(k, mixed) })
		c.addDest(k, dest("192.168.1.10", 80, ipvs.Tunnel, 1))
		c.ok(c.tb.DelDest(k, addrKey("192.168.1.10", 80)), "DelDest")
		c.ok(c.tb.StopDaemon(st), "StopDaemon(%s)", st)
	}
}

func addrKey(a string, port uint16) ipvs.DestKey { return ipvs.DestKey{Addr: addr(a), Port: port} }
