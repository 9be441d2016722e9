package ipvstest

import (
	"errors"
	"fmt"
	"slices"
	"syscall"

	"lvskit/internal/ipvs"
)

var destChecks = []check{
	{"AddDestReadBack", checkAddDest},
	{"DestOrder", checkDestOrder},
	{"EditDestEveryField", checkEditDest},
	{"DelDest", checkDelDest},
	{"LocalDestKeepsForwarding", checkLocalDest},
	{"MixedFamilyTunnel", checkMixedTunnel},
	{"MixedFamilyNeedsTunnel", checkMixedNeedsTunnel},
	{"TunnelAttributes", checkTunnelAttributes},
	{"GUEWithoutPort", checkGUEWithoutPort},
	{"DestWeightNegative", checkWeightNegative},
	{"DestThresholds", checkThresholds},
	{"DestErrnoOrder", checkDestErrnoOrder},
	{"AddDestExists", checkAddDestExists},
	{"MissingDest", checkMissingDest},
	{"DestAddressNotUnicast", checkDestNotUnicast},
	{"ListDests", checkListDests},
	{"ListDestsStops", checkListDestsStops},
}

// A destination reads back as sent, with zero counts and counters.
func checkAddDest(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "wlc"))
	d := ipvs.Dest{Addr: addr("192.168.1.10"), Port: 8080, Fwd: ipvs.Masq, Weight: 3, UpperThreshold: 100, LowerThreshold: 10}
	c.addDest(k, d)
	c.wantDests(k, d)
	got := c.dests(k)
	if len(got) == 1 && got[0].Family() != ipvs.INET {
		c.Errorf("Family() = %s, want inet", got[0].Family())
	}
	// A fwmark service's destinations keep their ports too.
	fk := ipvs.FwmarkKey(ipvs.INET, 1)
	c.addService(newService(fk, "wlc"))
	fd := dest("192.168.1.11", 0, ipvs.Route, 0)
	c.addDest(fk, fd)
	c.wantDests(fk, fd)
}

// __ip_vs_update_dest adds a new destination at the head of the
// service's list, and an edit leaves it in place: the dump lists the
// newest first.
func checkDestOrder(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	d10 := dest("192.168.1.10", 80, ipvs.Route, 1)
	d11 := dest("192.168.1.11", 80, ipvs.Route, 1)
	d12 := dest("192.168.1.12", 80, ipvs.Route, 1)
	for _, d := range []ipvs.Dest{d10, d11, d12} {
		c.addDest(k, d)
	}
	c.wantDests(k, d12, d11, d10)
	d11.Weight = 5
	c.ok(c.tb.EditDest(k, d11), "EditDest")
	c.wantDests(k, d12, d11, d10)
	c.ok(c.tb.DelDest(k, d10.Key()), "DelDest")
	c.addDest(k, d10)
	c.wantDests(k, d10, d12, d11)
}

// An edit changes every field a client sends and keeps the destination.
func checkEditDest(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "wlc"))
	d := dest("192.168.1.10", 80, ipvs.Masq, 1)
	c.addDest(k, d)
	edits := []ipvs.Dest{
		{Addr: d.Addr, Port: d.Port, Fwd: ipvs.Tunnel, Weight: 7, UpperThreshold: 50, LowerThreshold: 5, TunnelType: ipvs.TunnelGUE, TunnelPort: 6080, TunnelFlags: ipvs.TunnelCsum},
		{Addr: d.Addr, Port: d.Port, Fwd: ipvs.Tunnel, Weight: 2, TunnelType: ipvs.TunnelGRE, TunnelFlags: ipvs.TunnelCsum},
		{Addr: d.Addr, Port: d.Port, Fwd: ipvs.Route, Weight: 0, UpperThreshold: 1, LowerThreshold: 1},
		{Addr: d.Addr, Port: d.Port, Fwd: ipvs.Masq, Weight: 65535},
	}
	for _, e := range edits {
		c.ok(c.tb.EditDest(k, e), "EditDest(%+v)", e)
		c.wantDests(k, e)
	}
}

func checkDelDest(c *tc) {
	k := key(ipvs.UDP, "10.0.0.1", 53)
	c.addService(newService(k, "rr"))
	d1, d2 := dest("192.168.1.10", 53, ipvs.Masq, 1), dest("192.168.1.11", 53, ipvs.Masq, 1)
	c.addDest(k, d1)
	c.addDest(k, d2)
	c.ok(c.tb.DelDest(k, d1.Key()), "DelDest")
	c.wantDests(k, d2)
	c.ok(c.tb.DelDest(k, d2.Key()), "DelDest")
	c.wantDests(k)
	if _, err := c.tb.Service(k); err != nil {
		c.Errorf("Service after deleting its destinations: %v", err)
	}
}

// A destination at a local address is accepted and keeps the forwarding
// method it was given: kernels since 3.9 no longer rewrite it to
// LocalNode (__ip_vs_update_dest); local delivery is decided per packet.
func checkLocalDest(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	d1, d2 := dest("127.0.0.1", 80, ipvs.Route, 1), dest("127.0.0.2", 80, ipvs.Masq, 1)
	c.addDest(k, d1)
	c.addDest(k, d2)
	c.wantDests(k, d2, d1)
	k6 := key(ipvs.TCP, "2001:db8::1", 80)
	c.addService(newService(k6, "rr"))
	d6 := dest("::1", 80, ipvs.Masq, 1)
	c.addDest(k6, d6)
	c.wantDests(k6, d6)
}

// With tunnel forwarding a destination may be of the other family.
func checkMixedTunnel(c *tc) {
	for _, tt := range []struct{ svc, dst string }{{"2001:db8::1", "192.168.1.10"}, {"10.0.0.1", "2001:db8::10"}} {
		k := key(ipvs.TCP, tt.svc, 80)
		c.addService(newService(k, "rr"))
		d := dest(tt.dst, 80, ipvs.Tunnel, 1)
		c.addDest(k, d)
		c.wantDests(k, d)
		got := c.dests(k)
		if len(got) == 1 && got[0].Family() == k.Family {
			c.Errorf("Dests(%s)[0] has the service's family %s", k, k.Family)
		}
		d.Weight = 4
		d.TunnelType, d.TunnelPort = ipvs.TunnelGUE, 5555
		c.ok(c.tb.EditDest(k, d), "EditDest of a mixed-family destination")
		c.wantDests(k, d)
		c.ok(c.tb.DelDest(k, d.Key()), "DelDest of a mixed-family destination")
		c.wantDests(k)
	}
}

// Any other forwarding method is EINVAL for a destination of the other
// family, on add and on edit.
func checkMixedNeedsTunnel(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	for _, fwd := range []ipvs.FwdMethod{ipvs.Masq, ipvs.Route, ipvs.LocalNode} {
		d := dest("2001:db8::10", 80, fwd, 1)
		c.fails(syscall.EINVAL, fmt.Sprintf("AddDest of an IPv6 %s destination to an IPv4 service", fwd), func() error { return c.tb.AddDest(k, d) })
	}
	k6 := key(ipvs.UDP, "2001:db8::1", 53)
	c.addService(newService(k6, "rr"))
	d := dest("192.168.1.10", 53, ipvs.Masq, 1)
	c.fails(syscall.EINVAL, "AddDest of an IPv4 Masq destination to an IPv6 service", func() error { return c.tb.AddDest(k6, d) })
	d.Fwd = ipvs.Tunnel
	c.addDest(k6, d)
	d.Fwd = ipvs.Route
	c.fails(syscall.EINVAL, "EditDest of a mixed-family destination to Route", func() error { return c.tb.EditDest(k6, d) })
}

// GUE and GRE tunnel type, port and checksum flags round-trip.
func checkTunnelAttributes(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	var want []ipvs.Dest
	tunnels := []struct {
		typ   ipvs.TunnelType
		port  uint16
		flags ipvs.TunnelFlags
	}{
		{ipvs.TunnelIPIP, 0, 0},
		{ipvs.TunnelGUE, 6080, ipvs.TunnelNoCsum},
		{ipvs.TunnelGUE, 6081, ipvs.TunnelCsum},
		{ipvs.TunnelGUE, 6082, ipvs.TunnelRemCsum},
		{ipvs.TunnelGRE, 0, ipvs.TunnelNoCsum},
		{ipvs.TunnelGRE, 0, ipvs.TunnelCsum},
	}
	for i, tt := range tunnels {
		d := dest(fmt.Sprintf("192.168.1.%d", 10+i), 80, ipvs.Tunnel, 1)
		d.TunnelType, d.TunnelPort, d.TunnelFlags = tt.typ, tt.port, tt.flags
		c.addDest(k, d)
		want = append([]ipvs.Dest{d}, want...)
	}
	c.wantDests(k, want...)
}

// A GUE tunnel needs a port; ip_vs_add_dest and ip_vs_edit_dest check
// that whatever the forwarding method.
func checkGUEWithoutPort(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	for _, fwd := range []ipvs.FwdMethod{ipvs.Tunnel, ipvs.Masq} {
		d := dest("192.168.1.10", 80, fwd, 1)
		d.TunnelType = ipvs.TunnelGUE
		c.fails(syscall.EINVAL, fmt.Sprintf("AddDest %s with GUE and no port", fwd), func() error { return c.tb.AddDest(k, d) })
	}
	d := dest("192.168.1.10", 80, ipvs.Tunnel, 1)
	c.addDest(k, d)
	d.TunnelType = ipvs.TunnelGUE
	c.fails(syscall.EINVAL, "EditDest to GUE with no port", func() error { return c.tb.EditDest(k, d) })
}

func checkWeightNegative(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	d := dest("192.168.1.10", 80, ipvs.Masq, -1)
	c.fails(syscall.ERANGE, "AddDest with weight -1", func() error { return c.tb.AddDest(k, d) })
	d.Weight = 1
	c.addDest(k, d)
	d.Weight = -2147483648
	c.fails(syscall.ERANGE, "EditDest with weight -2^31", func() error { return c.tb.EditDest(k, d) })
}

// A lower threshold above the upper one is ERANGE, also when the upper
// one is 0 (no limit).
func checkThresholds(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	for _, th := range [][2]uint32{{10, 11}, {0, 5}} {
		d := dest("192.168.1.10", 80, ipvs.Masq, 1)
		d.UpperThreshold, d.LowerThreshold = th[0], th[1]
		c.fails(syscall.ERANGE, fmt.Sprintf("AddDest with thresholds %d/%d", th[0], th[1]), func() error { return c.tb.AddDest(k, d) })
	}
	d := dest("192.168.1.10", 80, ipvs.Masq, 1)
	d.UpperThreshold, d.LowerThreshold = 10, 10
	c.addDest(k, d)
	c.wantDests(k, d)
	d.LowerThreshold = 11
	c.fails(syscall.ERANGE, "EditDest with thresholds 10/11", func() error { return c.tb.EditDest(k, d) })
}

// The kernel's order: service, family rules (ip_vs_genl_set_cmd), then
// values (ip_vs_add_dest, ip_vs_edit_dest), then existence.
func checkDestErrnoOrder(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	d := dest("192.168.1.10", 80, ipvs.Masq, 1)
	c.addDest(k, d)
	bad := d
	bad.Weight = -1
	c.fails(syscall.ERANGE, "AddDest of an existing destination with weight -1", func() error { return c.tb.AddDest(k, bad) })
	missing := dest("192.168.1.99", 80, ipvs.Masq, -1)
	c.fails(syscall.ERANGE, "EditDest of a missing destination with weight -1", func() error { return c.tb.EditDest(k, missing) })
	mixed := dest("2001:db8::10", 80, ipvs.Masq, -1)
	c.fails(syscall.EINVAL, "AddDest of a mixed-family Masq destination with weight -1", func() error { return c.tb.AddDest(k, mixed) })
	gue := d
	gue.TunnelType = ipvs.TunnelGUE
	c.fails(syscall.EINVAL, "AddDest of an existing destination with GUE and no port", func() error { return c.tb.AddDest(k, gue) })
}

func checkAddDestExists(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	d := dest("192.168.1.10", 80, ipvs.Masq, 1)
	c.addDest(k, d)
	other := d
	other.Fwd, other.Weight = ipvs.Route, 9
	c.fails(syscall.EEXIST, "AddDest of an existing destination", func() error { return c.tb.AddDest(k, other) })
}

// Edit and delete of a missing destination are ENOENT; the port and the
// family are part of its identity.
func checkMissingDest(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	c.addDest(k, dest("192.168.1.10", 80, ipvs.Masq, 1))
	for _, d := range []ipvs.Dest{
		dest("192.168.1.11", 80, ipvs.Masq, 1),
		dest("192.168.1.10", 81, ipvs.Masq, 1),
		dest("::ffff:192.168.1.10", 80, ipvs.Tunnel, 1),
	} {
		c.fails(syscall.ENOENT, "EditDest of missing "+d.Key().String(), func() error { return c.tb.EditDest(k, d) })
		c.fails(syscall.ENOENT, "DelDest of missing "+d.Key().String(), func() error { return c.tb.DelDest(k, d.Key()) })
	}
}

// ip_vs_new_dest refuses addresses that are not unicast: for IPv4 what
// inet_addr_type calls broadcast or multicast, for IPv6 the unspecified,
// IPv4-mapped, multicast and link-local addresses unless local. Of
// 0.0.0.0/8 only 0.0.0.0 itself is refused: since Linux 5.3
// ipv4_is_zeronet matches that one address.
func checkDestNotUnicast(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "rr"))
	for _, a := range []string{"0.0.0.0", "224.0.0.1", "239.255.255.250", "255.255.255.255", "127.255.255.255"} {
		d := dest(a, 80, ipvs.Route, 1)
		c.fails(syscall.EINVAL, "AddDest of "+a, func() error { return c.tb.AddDest(k, d) })
	}
	k6 := key(ipvs.TCP, "2001:db8::1", 80)
	c.addService(newService(k6, "rr"))
	for _, a := range []string{"::", "ff0e::1", "fe80::1", "::ffff:192.168.1.10"} {
		d := dest(a, 80, ipvs.Route, 1)
		c.fails(syscall.EINVAL, "AddDest of "+a, func() error { return c.tb.AddDest(k6, d) })
	}
	c.addDest(k, dest("0.1.2.3", 80, ipvs.Route, 1))
	// Reserved and site-local IPv6 addresses count as unicast.
	for _, a := range []string{"::2", "fec0::1", "fd00::1"} {
		c.addDest(k6, dest(a, 80, ipvs.Route, 1))
	}
}

// manyServices adds n services of every kind (TCP and UDP over IPv4 and
// IPv6, fwmarks), the i-th with i%4 destinations, and returns their keys
// in the order they were added. n is well beyond what a table that
// fetches ahead would take in one batch.
func (c *tc) manyServices(n int) []ipvs.ServiceKey {
	c.Helper()
	keys := make([]ipvs.ServiceKey, 0, n)
	for i := range n {
		var k ipvs.ServiceKey
		dst := func(j int) string { return fmt.Sprintf("172.%d.%d.%d", 16+i/250, i%250, j+1) }
		switch i % 4 {
		case 0:
			k = key(ipvs.TCP, fmt.Sprintf("10.%d.%d.1", i/250, i%250), 80)
		case 1:
			k = key(ipvs.UDP, fmt.Sprintf("10.%d.%d.1", i/250, i%250), 53)
		case 2:
			k = ipvs.FwmarkKey(ipvs.INET, uint32(i))
		case 3:
			k = key(ipvs.TCP, fmt.Sprintf("2001:db8::%x", i), 443)
			dst = func(j int) string { return fmt.Sprintf("2001:db8:1::%x:%x", i, j+1) }
		}
		c.addService(newService(k, "wlc"))
		for j := range i % 4 {
			c.addDest(k, dest(dst(j), uint16(8000+j), ipvs.Route, int32(j)))
		}
		keys = append(keys, k)
	}
	return keys
}

// ListDests passes each service's destinations as Dests lists them, in
// the order of the keys, each once; a key naming no service, one without
// an address and one whose address is not of its family get an empty
// list.
func checkListDests(c *tc) {
	keys := c.manyServices(300)
	slices.Reverse(keys)
	keys = slices.Insert(keys, 150, key(ipvs.TCP, "10.9.9.9", 80),
		ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Port: 80},
		ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP, Addr: addr("10.0.0.1"), Port: 80})
	want := make([][]ipvs.Dest, len(keys))
	for i, k := range keys {
		want[i] = c.dests(k)
	}
	var got [][]ipvs.Dest
	err := c.tb.ListDests(keys, func(i int, ds []ipvs.Dest) error {
		if i != len(got) {
			c.Errorf("ListDests passed service %d after %d services", i, len(got))
		}
		got = append(got, ds)
		return nil
	})
	c.ok(err, "ListDests")
	if len(got) != len(keys) {
		c.Fatalf("ListDests passed %d services, want %d", len(got), len(keys))
	}
	for i := range keys {
		if !slices.Equal(got[i], want[i]) {
			c.Errorf("ListDests, service %d (%s):\n got %s\nwant %s", i, keys[i], fmtDests(got[i]), fmtDests(want[i]))
		}
	}
	for i := 150; i < 153; i++ {
		if len(want[i]) != 0 {
			c.Errorf("Dests(%s) of a key without a service: %s", keys[i], fmtDests(want[i]))
		}
	}
	called := false
	c.ok(c.tb.ListDests(nil, func(int, []ipvs.Dest) error { called = true; return nil }), "ListDests of no services")
	if called {
		c.Errorf("ListDests of no services passed one")
	}
}

// An error from the callback ends ListDests with that error, passing no
// further service, and the table works on.
func checkListDestsStops(c *tc) {
	keys := c.manyServices(300)
	errStop := errors.New("stop here")
	last := -1
	err := c.tb.ListDests(keys, func(i int, ds []ipvs.Dest) error {
		last = i
		if i == 100 {
			return errStop
		}
		return nil
	})
	if !errors.Is(err, errStop) {
		c.Errorf("ListDests stopped by its callback: got error %v, want %v", err, errStop)
	}
	if last != 100 {
		c.Errorf("ListDests passed service %d after its callback failed at 100", last)
	}
	n := 0
	c.ok(c.tb.ListDests(keys, func(i int, ds []ipvs.Dest) error {
		if len(ds) != i%4 {
			c.Errorf("after a stopped ListDests: service %d (%s) has %d destinations, want %d", i, keys[i], len(ds), i%4)
		}
		n++
		return nil
	}), "ListDests after a stopped one")
	if n != len(keys) {
		c.Errorf("ListDests after a stopped one passed %d services, want %d", n, len(keys))
	}
	c.wantDests(keys[5], dest("172.16.5.1", 8000, ipvs.Route, 0))
}
