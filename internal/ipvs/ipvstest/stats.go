package ipvstest

import (
	"net/netip"

	"lvskit/internal/ipvs"
)

var statsChecks = []check{
	{"Zero", checkZero},
	{"Stats64", checkStats64},
}

// Ports of the local services the counter checks send traffic to; the
// kernel harness listens on them at 127.0.0.1.
const (
	trafficPort      = 18080
	otherTrafficPort = 18081
)

// localService creates the TCP service 127.0.0.1:port with itself as its
// only destination, as Harness.Traffic expects.
func (c *tc) localService(port uint16) (ipvs.ServiceKey, ipvs.DestKey, netip.AddrPort) {
	c.Helper()
	vip := netip.AddrPortFrom(addr("127.0.0.1"), port)
	k := ipvs.AddrKey(ipvs.TCP, vip.Addr(), port)
	c.addService(newService(k, "rr"))
	d := dest("127.0.0.1", port, ipvs.Route, 1)
	c.addDest(k, d)
	return k, d.Key(), vip
}

// svcStats returns the counters of a service and of one destination.
func (c *tc) svcStats(k ipvs.ServiceKey, dk ipvs.DestKey) (svc, dst ipvs.Stats) {
	c.Helper()
	s, err := c.tb.Service(k)
	c.ok(err, "Service(%s)", k)
	for _, d := range c.dests(k) {
		if d.Key() == dk {
			return s.Stats, d.Stats
		}
	}
	c.Fatalf("Dests(%s) lacks %s", k, dk)
	return
}

// ZeroService zeroes the counters and rates of one service and its
// destinations and no others; ZeroAll zeroes them all. Neither touches
// anything else.
func checkZero(c *tc) {
	k1, d1, vip1 := c.localService(trafficPort)
	c.h.Traffic(c.t, c.tb, vip1)
	s1, ds1 := c.svcStats(k1, d1)
	if s1.Conns == 0 || s1.InPkts == 0 || ds1.Conns == 0 || ds1.InPkts == 0 {
		c.Fatalf("after traffic to %s: service stats %+v, destination stats %+v; want connections and packets counted", vip1, s1, ds1)
	}

	k2, d2, vip2 := c.localService(otherTrafficPort)
	set := ipvs.Stats{Conns: 5, InPkts: 50, OutPkts: 40, InBytes: 5000, OutBytes: 4000, CPS: 1, InPPS: 10, OutPPS: 8, InBPS: 1000, OutBPS: 800}
	exact := c.h.SetStats(c.t, c.tb, k2, nil, set) && c.h.SetStats(c.t, c.tb, k2, &d2, set)
	if !exact {
		c.Logf("backend cannot set counters; sending traffic to %s instead", vip2)
		c.h.Traffic(c.t, c.tb, vip2)
	}
	before2, beforeD2 := c.svcStats(k2, d2)
	if before2.Conns == 0 || beforeD2.Conns == 0 {
		c.Fatalf("second service: stats %+v, destination %+v; want connections counted", before2, beforeD2)
	}

	snap := c.snapshot()
	c.ok(c.tb.ZeroService(k1), "ZeroService(%s)", k1)
	s1, ds1 = c.svcStats(k1, d1)
	if s1 != (ipvs.Stats{}) || ds1 != (ipvs.Stats{}) {
		c.Errorf("after ZeroService(%s): service stats %+v, destination stats %+v; want all zero", k1, s1, ds1)
	}
	after2, afterD2 := c.svcStats(k2, d2)
	if exact && (after2 != before2 || afterD2 != beforeD2) {
		c.Errorf("ZeroService(%s) changed %s: stats %+v → %+v, destination %+v → %+v", k1, k2, before2, after2, beforeD2, afterD2)
	}
	if !exact && (after2.Conns < before2.Conns || afterD2.Conns < beforeD2.Conns) {
		c.Errorf("ZeroService(%s) reset %s: stats %+v → %+v, destination %+v → %+v", k1, k2, before2, after2, beforeD2, afterD2)
	}
	sameButStats(c, snap, "ZeroService")

	c.ok(c.tb.ZeroAll(), "ZeroAll")
	for _, kd := range []struct {
		k ipvs.ServiceKey
		d ipvs.DestKey
	}{{k1, d1}, {k2, d2}} {
		s, ds := c.svcStats(kd.k, kd.d)
		if s != (ipvs.Stats{}) || ds != (ipvs.Stats{}) {
			c.Errorf("after ZeroAll: %s stats %+v, destination stats %+v; want all zero", kd.k, s, ds)
		}
	}
	sameButStats(c, snap, "ZeroAll")
}

// sameButStats reports any difference from before other than counters,
// rates and connection counts, which traffic moves.
func sameButStats(c *tc, before snapshot, what string) {
	c.Helper()
	strip := func(s snapshot) snapshot {
		out := snapshot{services: map[ipvs.ServiceKey]ipvs.Service{}, dests: map[ipvs.ServiceKey][]ipvs.Dest{}, timeouts: s.timeouts, daemons: s.daemons}
		for k, svc := range s.services {
			svc.Stats = ipvs.Stats{}
			out.services[k] = svc
		}
		for k, ds := range s.dests {
			var list []ipvs.Dest
			for _, d := range ds {
				d.Stats = ipvs.Stats{}
				d.ActiveConns, d.InactiveConns, d.PersistentConns = 0, 0, 0
				list = append(list, d)
			}
			out.dests[k] = list
		}
		return out
	}
	b, a := strip(before), strip(c.snapshot())
	if !equalSnapshots(b, a) {
		c.Errorf("%s changed more than counters:\nbefore %+v\nafter  %+v", what, b, a)
	}
}

// Counters are 64 bits wide; values above 2^32 read back exactly from the
// service dump, the service query and the destination dump.
func checkStats64(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	d := dest("192.168.1.10", 80, ipvs.Masq, 1)
	c.addDest(k, d)
	big := ipvs.Stats{
		Conns: 1<<32 + 1, InPkts: 1<<33 + 2, OutPkts: 1<<34 + 3, InBytes: 1<<60 + 4, OutBytes: 1<<63 + 5,
		CPS: 1<<32 + 6, InPPS: 1<<35 + 7, OutPPS: 1<<36 + 8, InBPS: 1<<40 + 9, OutBPS: 1<<50 + 10,
	}
	dk := d.Key()
	if !c.h.SetStats(c.t, c.tb, k, nil, big) || !c.h.SetStats(c.t, c.tb, k, &dk, big) {
		c.Skipf("the backend cannot set counters (a real kernel counts only real traffic), so 64-bit values cannot be produced")
	}
	s, err := c.tb.Service(k)
	c.ok(err, "Service")
	if s.Stats != big {
		c.Errorf("Service(%s).Stats = %+v, want %+v", k, s.Stats, big)
	}
	for _, s := range c.services() {
		if s.ServiceKey == k && s.Stats != big {
			c.Errorf("Services() stats of %s = %+v, want %+v", k, s.Stats, big)
		}
	}
	want := d
	want.Stats = big
	c.wantDests(k, want)
}
