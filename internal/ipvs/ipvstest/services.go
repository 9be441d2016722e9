package ipvstest

import (
	"fmt"
	"syscall"

	"lvskit/internal/ipvs"
)

var serviceChecks = []check{
	{"Info", checkInfo},
	{"PristineTable", checkPristine},
	{"AddServiceIPv4Defaults", checkAddServiceIPv4},
	{"AddServiceIPv6Defaults", checkAddServiceIPv6},
	{"AddServiceFwmarkDefaults", checkAddServiceFwmark},
	{"SchedulerNone", checkSchedulerNone},
	{"PersistenceEngineSIP", checkPESIP},
	{"FlagsRoundTrip", checkFlags},
	{"EditServiceEveryField", checkEditService},
	{"PersistenceTimeoutInJiffies", checkTimeoutJiffies},
	{"IPv6Services", checkIPv6Services},
	{"ServiceKeysAreDistinct", checkDistinctKeys},
	{"DelService", checkDelService},
	{"Flush", checkFlush},
	{"AddServiceExists", checkAddServiceExists},
	{"UnknownScheduler", checkUnknownScheduler},
	{"UnknownPE", checkUnknownPE},
	{"SchedulerNameTooLong", checkSchedulerNameTooLong},
	{"IPv6NetmaskOutOfRange", checkIPv6Netmask},
	{"MalformedServiceKey", checkMalformedKey},
	{"UnknownFamily", checkUnknownFamily},
	{"MissingService", checkMissingService},
	{"ThousandServices", checkThousandServices},
}

// The kernel lab's defaults: IP_VS_VERSION_CODE and a 2^12 connection
// table.
func checkInfo(c *tc) {
	info, err := c.tb.Info()
	c.ok(err, "Info")
	if info.Version != 0x010201 || info.VersionString() != "1.2.1" {
		c.Errorf("Info().Version = %#x (%s), want 0x010201 (1.2.1)", info.Version, info.VersionString())
	}
	if info.ConnTabSize != 4096 {
		c.Errorf("Info().ConnTabSize = %d, want 4096", info.ConnTabSize)
	}
}

func checkPristine(c *tc) {
	if s := c.services(); len(s) != 0 {
		c.Errorf("Services() = %+v, want none", s)
	}
	c.wantDaemons()
	to, err := c.tb.Timeouts()
	c.ok(err, "Timeouts")
	if want := (ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}); to != want {
		c.Errorf("Timeouts() = %+v, want %+v", to, want)
	}
}

// A service created with only a key and a scheduler reads back with the
// HASHED flag, the scheduler, no persistence engine and zero counters.
func checkAddServiceIPv4(c *tc) {
	req := newService(key(ipvs.TCP, "10.0.0.1", 80), "wlc")
	c.addService(req)
	want := ipvs.Service{ServiceKey: req.ServiceKey, Scheduler: "wlc", Flags: ipvs.FlagHashed, Netmask: 0xffffffff}
	c.wantService(want)
	c.wantDests(req.ServiceKey)
}

func checkAddServiceIPv6(c *tc) {
	req := newService(key(ipvs.UDP, "2001:db8::1", 53), "sh")
	c.addService(req)
	want := ipvs.Service{ServiceKey: req.ServiceKey, Scheduler: "sh", Flags: ipvs.FlagHashed, Netmask: 128}
	c.wantService(want)
	c.wantDests(req.ServiceKey)
}

// Fwmark services read back with no protocol, address or port. The same
// mark in the two families makes two services.
func checkAddServiceFwmark(c *tc) {
	for _, f := range []ipvs.Family{ipvs.INET, ipvs.INET6} {
		req := newService(ipvs.FwmarkKey(f, 7), "wlc")
		c.addService(req)
		c.wantService(ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: f, Fwmark: 7}, Scheduler: "wlc", Flags: ipvs.FlagHashed, Netmask: fullMask(f)})
	}
	if n := len(c.services()); n != 2 {
		c.Errorf("Services() has %d entries, want 2", n)
	}
}

// "none" asks for no scheduler, and the kernel names it "none" back.
func checkSchedulerNone(c *tc) {
	req := newService(key(ipvs.TCP, "10.0.0.1", 80), "none")
	c.addService(req)
	c.wantService(stored(req))
}

func checkPESIP(c *tc) {
	req := newService(key(ipvs.UDP, "10.0.0.1", 5060), "rr")
	req.PE = "sip"
	req.Flags = ipvs.FlagPersistent
	req.Timeout = 360
	c.addService(req)
	c.wantService(stored(req))
	// An edit without a PE removes it.
	req.PE = ""
	c.ok(c.tb.EditService(req), "EditService")
	c.wantService(stored(req))
}

// Every service flag a client may send round-trips, with HASHED added;
// a HASHED in the request changes nothing.
func checkFlags(c *tc) {
	all := ipvs.FlagPersistent | ipvs.FlagOnePacket | ipvs.FlagSched1 | ipvs.FlagSched2 | ipvs.FlagSched3
	cases := []ipvs.ServiceFlags{0, ipvs.FlagPersistent, ipvs.FlagOnePacket, ipvs.FlagSched1, ipvs.FlagSched2, ipvs.FlagSched3, all, ipvs.FlagHashed}
	for i, f := range cases {
		req := newService(key(ipvs.TCP, "10.0.0.1", uint16(1000+i)), "sh")
		req.Flags = f
		if f&ipvs.FlagPersistent != 0 {
			req.Timeout = 300
		}
		c.addService(req)
		c.wantService(stored(req))
	}
}

// An edit replaces every changeable field, flags included, and keeps
// HASHED.
func checkEditService(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	c.addService(newService(k, "wlc"))
	edit := ipvs.Service{ServiceKey: k, Scheduler: "rr", PE: "sip", Flags: ipvs.FlagPersistent | ipvs.FlagSched1, Timeout: 600, Netmask: 0xffffff00}
	c.ok(c.tb.EditService(edit), "EditService")
	c.wantService(stored(edit))
	edit = ipvs.Service{ServiceKey: k, Scheduler: "mh", Flags: ipvs.FlagOnePacket, Netmask: 0xffff0000}
	c.ok(c.tb.EditService(edit), "EditService")
	c.wantService(stored(edit))
	edit.Flags = 0
	c.ok(c.tb.EditService(edit), "EditService")
	c.wantService(stored(edit))

	k6 := ipvs.FwmarkKey(ipvs.INET6, 3)
	c.addService(newService(k6, "wlc"))
	edit6 := ipvs.Service{ServiceKey: k6, Scheduler: "sed", Flags: ipvs.FlagPersistent, Timeout: 60, Netmask: 64}
	c.ok(c.tb.EditService(edit6), "EditService")
	c.wantService(stored(edit6))
}

// The kernel keeps a persistence timeout as seconds * HZ in an unsigned
// int (HZ 250 on the lab kernel) and reports it divided by HZ, so values
// above UINT_MAX/HZ wrap around.
func checkTimeoutJiffies(c *tc) {
	const maxExact = (1<<32 - 1) / 250 // 17179869
	cases := []struct{ sent, got uint32 }{
		{1, 1},
		{maxExact, maxExact},
		{maxExact + 1, ((maxExact + 1) * 250 % (1 << 32)) / 250},
	}
	for i, tt := range cases {
		req := newService(key(ipvs.TCP, "10.0.0.1", uint16(2000+i)), "wlc")
		req.Flags = ipvs.FlagPersistent
		req.Timeout = tt.sent
		c.addService(req)
		want := stored(req)
		want.Timeout = tt.got
		c.wantService(want)
	}
}

// IPv6 services of each protocol and a fwmark one, each with an IPv6
// destination.
func checkIPv6Services(c *tc) {
	keys := []ipvs.ServiceKey{
		key(ipvs.TCP, "2001:db8::10", 80),
		key(ipvs.UDP, "2001:db8::10", 53),
		key(ipvs.SCTP, "2001:db8::10", 3868),
		ipvs.FwmarkKey(ipvs.INET6, 9),
	}
	for i, k := range keys {
		req := newService(k, "wrr")
		c.addService(req)
		c.wantService(stored(req))
		d := dest(fmt.Sprintf("2001:db8:1::%d", i+1), 8080, ipvs.Masq, int32(i+1))
		c.addDest(k, d)
		c.wantDests(k, d)
		if got := c.dests(k); len(got) == 1 && got[0].Family() != ipvs.INET6 {
			c.Errorf("Dests(%s)[0].Family() = %s, want inet6", k, got[0].Family())
		}
	}
}

// Protocol, family and fwmark each tell services apart.
func checkDistinctKeys(c *tc) {
	keys := []ipvs.ServiceKey{
		key(ipvs.TCP, "10.0.0.1", 80),
		key(ipvs.UDP, "10.0.0.1", 80),
		key(ipvs.SCTP, "10.0.0.1", 80),
		key(ipvs.TCP, "10.0.0.1", 81),
		ipvs.FwmarkKey(ipvs.INET, 80),
		ipvs.FwmarkKey(ipvs.INET6, 80),
	}
	for _, k := range keys {
		c.addService(newService(k, "rr"))
	}
	if n := len(c.services()); n != len(keys) {
		c.Fatalf("Services() has %d entries, want %d", n, len(keys))
	}
	c.ok(c.tb.DelService(keys[0]), "DelService(%s)", keys[0])
	c.ok(c.tb.DelService(keys[4]), "DelService(%s)", keys[4])
	for i, k := range keys {
		_, err := c.tb.Service(k)
		if i == 0 || i == 4 {
			c.errno(err, syscall.ESRCH, "Service(%s) after delete", k)
		} else {
			c.ok(err, "Service(%s)", k)
		}
	}
}

// Deleting a service deletes its destinations: re-created, it has none.
func checkDelService(c *tc) {
	k1, k2 := key(ipvs.TCP, "10.0.0.1", 80), key(ipvs.TCP, "10.0.0.2", 80)
	for _, k := range []ipvs.ServiceKey{k1, k2} {
		c.addService(newService(k, "rr"))
		c.addDest(k, dest("192.168.1.10", 80, ipvs.Masq, 1))
	}
	c.ok(c.tb.DelService(k1), "DelService")
	if s := c.services(); len(s) != 1 || s[0].ServiceKey != k2 {
		c.Errorf("Services() after DelService = %+v, want only %s", s, k2)
	}
	c.wantDests(k1)
	c.wantDests(k2, dest("192.168.1.10", 80, ipvs.Masq, 1))
	c.addService(newService(k1, "rr"))
	c.wantDests(k1)
}

func checkFlush(c *tc) {
	c.ok(c.tb.Flush(), "Flush of an empty table")
	for i := range 5 {
		k := key(ipvs.TCP, "10.0.0.1", uint16(80+i))
		c.addService(newService(k, "rr"))
		c.addDest(k, dest("192.168.1.10", 80, ipvs.Route, 1))
	}
	c.addService(newService(ipvs.FwmarkKey(ipvs.INET6, 1), "rr"))
	c.ok(c.tb.Flush(), "Flush")
	if s := c.services(); len(s) != 0 {
		c.Errorf("Services() after Flush = %+v, want none", s)
	}
	c.wantDests(key(ipvs.TCP, "10.0.0.1", 80))
}

func checkAddServiceExists(c *tc) {
	req := newService(key(ipvs.TCP, "10.0.0.1", 80), "rr")
	c.addService(req)
	c.fails(syscall.EEXIST, "AddService of an existing service", func() error { return c.tb.AddService(req) })
	other := req
	other.Scheduler = "wlc"
	other.Flags = ipvs.FlagPersistent
	c.fails(syscall.EEXIST, "AddService of an existing service with other settings", func() error { return c.tb.AddService(other) })
	// ip_vs_genl_set_cmd finds the service before the scheduler is
	// looked up.
	other.Scheduler = "nosuchsched"
	c.fails(syscall.EEXIST, "AddService of an existing service with an unknown scheduler", func() error { return c.tb.AddService(other) })
}

// An unknown scheduler is ENOENT, and so is an empty name.
func checkUnknownScheduler(c *tc) {
	k := key(ipvs.TCP, "10.0.0.1", 80)
	for _, name := range []string{"nosuchsched", ""} {
		c.fails(syscall.ENOENT, fmt.Sprintf("AddService with scheduler %q", name), func() error { return c.tb.AddService(newService(k, name)) })
	}
	c.addService(newService(k, "rr"))
	for _, name := range []string{"nosuchsched", ""} {
		c.fails(syscall.ENOENT, fmt.Sprintf("EditService with scheduler %q", name), func() error { return c.tb.EditService(newService(k, name)) })
	}
}

func checkUnknownPE(c *tc) {
	k := key(ipvs.UDP, "10.0.0.1", 5060)
	req := newService(k, "rr")
	req.PE = "nosuchpe"
	c.fails(syscall.ENOENT, "AddService with an unknown PE", func() error { return c.tb.AddService(req) })
	c.addService(newService(k, "rr"))
	c.fails(syscall.ENOENT, "EditService with an unknown PE", func() error { return c.tb.EditService(req) })
}

// The attribute policy allows 15 characters (IP_VS_SCHEDNAME_MAXLEN - 1).
func checkSchedulerNameTooLong(c *tc) {
	c.fails(syscall.EINVAL, "AddService with a 16-character scheduler name", func() error {
		return c.tb.AddService(newService(key(ipvs.TCP, "10.0.0.1", 80), "abcdefghijklmnop"))
	})
}

// An IPv6 service's netmask is a prefix length, 1 to 128; fwmark ones
// are checked too.
func checkIPv6Netmask(c *tc) {
	for _, k := range []ipvs.ServiceKey{key(ipvs.TCP, "2001:db8::1", 80), ipvs.FwmarkKey(ipvs.INET6, 5)} {
		for _, m := range []uint32{0, 129, 0xffffffff} {
			req := newService(k, "rr")
			req.Netmask = m
			c.fails(syscall.EINVAL, fmt.Sprintf("AddService(%s) with netmask %d", k, m), func() error { return c.tb.AddService(req) })
		}
		c.addService(newService(k, "rr"))
		for _, m := range []uint32{0, 129} {
			req := newService(k, "rr")
			req.Netmask = m
			c.fails(syscall.EINVAL, fmt.Sprintf("EditService(%s) with netmask %d", k, m), func() error { return c.tb.EditService(req) })
		}
		for _, m := range []uint32{1, 128} {
			req := newService(k, "rr")
			req.Netmask = m
			c.ok(c.tb.EditService(req), "EditService(%s) with netmask %d", k, m)
			c.wantService(stored(req))
		}
	}
}

// A key with neither a fwmark nor an address is EINVAL.
func checkMalformedKey(c *tc) {
	bad := ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Port: 80}
	c.fails(syscall.EINVAL, "AddService without fwmark or address", func() error { return c.tb.AddService(newService(bad, "rr")) })
	c.fails(syscall.EINVAL, "EditService without fwmark or address", func() error { return c.tb.EditService(newService(bad, "rr")) })
	c.fails(syscall.EINVAL, "DelService without fwmark or address", func() error { return c.tb.DelService(bad) })
	_, err := c.tb.Service(bad)
	c.errno(err, syscall.EINVAL, "Service without fwmark or address")
}

// A family other than AF_INET and AF_INET6 is EAFNOSUPPORT.
func checkUnknownFamily(c *tc) {
	bad := ipvs.ServiceKey{Family: 99, Fwmark: 1}
	c.fails(syscall.EAFNOSUPPORT, "AddService of family 99", func() error { return c.tb.AddService(newService(bad, "rr")) })
	_, err := c.tb.Service(bad)
	c.errno(err, syscall.EAFNOSUPPORT, "Service of family 99")
}

// Every command on a missing service is ESRCH, except the destination
// dump, which is merely empty.
func checkMissingService(c *tc) {
	c.addService(newService(key(ipvs.TCP, "10.0.0.1", 80), "rr"))
	for _, k := range []ipvs.ServiceKey{key(ipvs.TCP, "10.0.0.2", 80), key(ipvs.UDP, "10.0.0.1", 80), ipvs.FwmarkKey(ipvs.INET, 1)} {
		_, err := c.tb.Service(k)
		c.errno(err, syscall.ESRCH, "Service(%s)", k)
		c.fails(syscall.ESRCH, "EditService of "+k.String(), func() error { return c.tb.EditService(newService(k, "rr")) })
		c.fails(syscall.ESRCH, "DelService of "+k.String(), func() error { return c.tb.DelService(k) })
		c.fails(syscall.ESRCH, "ZeroService of "+k.String(), func() error { return c.tb.ZeroService(k) })
		d := dest("192.168.1.10", 80, ipvs.Masq, 1)
		c.fails(syscall.ESRCH, "AddDest to "+k.String(), func() error { return c.tb.AddDest(k, d) })
		c.fails(syscall.ESRCH, "EditDest of "+k.String(), func() error { return c.tb.EditDest(k, d) })
		c.fails(syscall.ESRCH, "DelDest of "+k.String(), func() error { return c.tb.DelDest(k, d.Key()) })
		c.wantDests(k)
	}
}

// A thousand services take several netlink messages to dump; each must
// come back exactly once.
func checkThousandServices(c *tc) {
	want := map[ipvs.ServiceKey]ipvs.Service{}
	withDests := map[ipvs.ServiceKey][]ipvs.Dest{}
	for i := range 1000 {
		var k ipvs.ServiceKey
		switch {
		case i%10 == 9:
			k = ipvs.FwmarkKey(ipvs.INET, uint32(1000+i))
		case i%10 == 8:
			k = key(ipvs.UDP, fmt.Sprintf("2001:db8::%x", i), 53)
		default:
			k = key([]ipvs.Protocol{ipvs.TCP, ipvs.UDP}[i%2], fmt.Sprintf("10.%d.%d.1", i/250, i%250), uint16(80+i%7))
		}
		req := newService(k, "wlc")
		c.addService(req)
		want[k] = stored(req)
		if i%25 == 0 {
			a := "192.168.7.10"
			if k.Family == ipvs.INET6 {
				a = "2001:db8:7::10"
			}
			d1, d2 := dest(a, 80, ipvs.Route, 1), dest(a, 81, ipvs.Route, 2)
			c.addDest(k, d1)
			c.addDest(k, d2)
			withDests[k] = []ipvs.Dest{d2, d1}
		}
	}
	got := c.services()
	if len(got) != len(want) {
		c.Errorf("Services() has %d entries, want %d", len(got), len(want))
	}
	seen := map[ipvs.ServiceKey]bool{}
	for _, s := range got {
		if seen[s.ServiceKey] {
			c.Errorf("Services() lists %s twice", s.ServiceKey)
		}
		seen[s.ServiceKey] = true
		if w, ok := want[s.ServiceKey]; !ok {
			c.Errorf("Services() lists unknown %s", s.ServiceKey)
		} else if s != w {
			c.Errorf("Services() entry %+v, want %+v", s, w)
		}
	}
	for k, ds := range withDests {
		c.wantDests(k, ds...)
	}
}
