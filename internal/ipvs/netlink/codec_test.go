package netlink

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"syscall"
	"testing"

	"github.com/mdlayher/netlink"

	"lvskit/internal/ipvs"
)

func wantEINVAL(t *testing.T, what string, err error) {
	t.Helper()
	if !errors.Is(err, syscall.EINVAL) {
		t.Errorf("%s: err = %v, want EINVAL", what, err)
	}
}

func TestAttrsFraming(t *testing.T) {
	ok := marshal(attr(1, u32(7)), attr(2, []byte{1}))
	tests := map[string][]byte{
		"truncated header":        {4, 0},
		"length below the header": {3, 0, 1, 0},
		"length past the end":     {9, 0, 1, 0, 1, 2, 3, 4},
		"trailing bytes":          append(ok, 0, 0),
	}
	for name, b := range tests {
		a := newAttrs("test", b)
		for a.next() {
		}
		wantEINVAL(t, name, a.err)
	}

	// The last attribute's padding may be missing; flags in the type are
	// ignored.
	b := marshal(attr(1, u32(7)), attr(netlink.Nested|2, []byte{1}))
	b = b[:len(b)-3]
	a := newAttrs("test", b)
	var types []uint16
	for a.next() {
		types = append(types, a.typ)
	}
	if a.err != nil || !reflect.DeepEqual(types, []uint16{1, 2}) {
		t.Errorf("types %v, err %v", types, a.err)
	}
}

// TestRequired: a reply missing any attribute ipvsadm requires is EINVAL.
func TestRequired(t *testing.T) {
	for _, typ := range []uint16{svcAF, svcProtocol, svcAddr, svcPort, svcSchedName, svcFlags, svcTimeout, svcNetmask} {
		_, err := decodeService(marshal(kernelService(0, map[uint16]bool{typ: true})...))
		wantEINVAL(t, fmt.Sprintf("service without attribute %d", typ), err)
	}
	// A firewall-mark service needs no protocol, address or port.
	if _, err := decodeService(marshal(kernelService(9, nil)...)); err != nil {
		t.Errorf("fwmark service: %v", err)
	}
	for _, typ := range []uint16{destAddr, destPort, destFwdMethod, destWeight, destUThresh, destLThresh, destActiveConns, destInactConns, destPersistConns} {
		_, err := decodeDest(marshal(kernelDest(map[uint16]bool{typ: true})...), ipvs.INET)
		wantEINVAL(t, fmt.Sprintf("destination without attribute %d", typ), err)
	}
	for _, typ := range []uint16{daemonState, daemonMcastIfn, daemonSyncID} {
		_, err := decodeDaemon(marshal(kernelDaemon(map[uint16]bool{typ: true})...))
		wantEINVAL(t, fmt.Sprintf("daemon without attribute %d", typ), err)
	}
	for _, typ := range []uint16{infoVersion, infoConnTabSize} {
		as := []netlink.Attribute{attr(infoVersion, u32(1)), attr(infoConnTabSize, u32(2))}
		as = append(as[:typ-1], as[typ:]...)
		_, err := decodeInfo(marshal(as...))
		wantEINVAL(t, fmt.Sprintf("info without attribute %d", typ), err)
	}
	for typ := statsConns; typ <= statsOutBPS; typ++ {
		for _, wide := range []bool{false, true} {
			full := stats32(0, someStats)
			if wide {
				full = stats64(0, someStats)
			}
			as, err := netlink.UnmarshalAttributes(full.Data)
			if err != nil {
				t.Fatal(err)
			}
			var kept []netlink.Attribute
			for _, a := range as {
				if a.Type != typ {
					kept = append(kept, a)
				}
			}
			_, err = decodeStats("stats", marshal(kept...), wide)
			wantEINVAL(t, fmt.Sprintf("stats (wide %v) without counter %d", wide, typ), err)
		}
	}
	// The nest not chosen is not read: a broken STATS beside STATS64 is
	// ignored, as by ipvsadm.
	s, err := decodeService(marshal(kernelService(9, map[uint16]bool{svcStats: true},
		knest(svcStats, attr(statsConns, u32(1))))...))
	if err != nil || s.Stats != someStats.stats() {
		t.Errorf("broken STATS beside STATS64: %+v, %v", s.Stats, err)
	}
}

// TestLengths: an attribute of the wrong size is EINVAL, never a panic or
// a silently truncated value.
func TestLengths(t *testing.T) {
	svc := map[string]netlink.Attribute{
		"AF":      attr(svcAF, u32(2)),
		"PORT":    attr(svcPort, []byte{80}),
		"ADDR":    attr(svcAddr, []byte{10, 0, 0, 1}),
		"FLAGS":   attr(svcFlags, u32(1)),
		"NETMASK": attr(svcNetmask, u16(0xffff)),
		"TIMEOUT": attr(svcTimeout, u64(1)),
		"STATS":   knest(svcStats64, attr(statsConns, u32(1))),
	}
	for name, bad := range svc {
		_, err := decodeService(marshal(kernelService(0, map[uint16]bool{bad.Type: true}, bad)...))
		wantEINVAL(t, "service "+name, err)
	}
	dest := map[string]netlink.Attribute{
		"ADDR_FAMILY": attr(destAddrFamily, u8(2)),
		"TUN_TYPE":    attr(destTunType, u16(1)),
		"TUN_PORT":    attr(destTunPort, u32(1)),
		"WEIGHT":      attr(destWeight, u16(1)),
		"narrow CONNS in STATS": knest(destStats,
			attr(statsConns, u64(1))),
	}
	for name, bad := range dest {
		drop := map[uint16]bool{bad.Type: true}
		if bad.Type == destStats {
			drop[destStats64] = true
		}
		_, err := decodeDest(marshal(kernelDest(drop, bad)...), ipvs.INET)
		wantEINVAL(t, "destination "+name, err)
	}
	daemon := map[string]netlink.Attribute{
		"GROUP":  attr(daemonMcastGroup, in4("224.0.0.81")),
		"GROUP6": attr(daemonMcastGroup6, []byte{0xff, 2}),
		"PORT":   attr(daemonMcastPort, u32(8848)),
		"TTL":    attr(daemonMcastTTL, u16(1)),
	}
	for name, bad := range daemon {
		_, err := decodeDaemon(marshal(append(kernelDaemon(map[uint16]bool{bad.Type: true}), bad)...))
		wantEINVAL(t, "daemon "+name, err)
	}
	_, err := decodeService(marshal(kernelService(0, map[uint16]bool{svcAF: true}, attr(svcAF, u16(3)))...))
	wantEINVAL(t, "service of an unknown family", err)
	_, err = decodeDest(marshal(kernelDest(map[uint16]bool{destAddrFamily: true}, attr(destAddrFamily, u16(3)))...), ipvs.INET)
	wantEINVAL(t, "destination of an unknown family", err)
	_, err = decodeDest(marshal(kernelDest(map[uint16]bool{destAddrFamily: true})...), 0)
	wantEINVAL(t, "destination without a family", err)
}

// TestServiceRoundTrip: what the encoder sends for NEW_SERVICE decodes to
// the same service (minus HASHED), so both byte orders of the netmask and
// the key conventions agree in both directions.
func TestServiceRoundTrip(t *testing.T) {
	svcs := []ipvs.Service{
		{ServiceKey: key4, Scheduler: "wlc", Netmask: 0xffffff00, Timeout: 300, Flags: ipvs.FlagPersistent},
		{ServiceKey: key6, Scheduler: "sh", PE: "sip", Netmask: 48, Flags: ipvs.FlagSHFallback | ipvs.FlagSHPort},
		{ServiceKey: keyFwm, Scheduler: "rr", Netmask: 0x80000000},
		{ServiceKey: ipvs.FwmarkKey(ipvs.INET6, 0xffffffff), Scheduler: "mh", Netmask: 128, Flags: ipvs.FlagMHPort},
		{ServiceKey: ipvs.AddrKey(ipvs.SCTP, netip.MustParseAddr("::ffff:10.1.2.3"), 65535), Scheduler: "none", Netmask: 1},
	}
	for _, want := range svcs {
		b, err := serviceAttrs(ipvs.Service{
			ServiceKey: want.ServiceKey, Scheduler: want.Scheduler, PE: want.PE,
			Flags: want.Flags | ipvs.FlagHashed, Timeout: want.Timeout, Netmask: want.Netmask,
		})
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeServiceMsg(b)
		if err != nil {
			t.Fatalf("%s: %v", want.Key(), err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("round trip\n got %+v\nwant %+v", got, want)
		}
	}
}

func TestDaemonRoundTrip(t *testing.T) {
	// NEW_DAEMON and the GET_DAEMON dump share the nest's layout.
	for _, want := range []ipvs.Daemon{
		{State: ipvs.Master, Interface: "eth0"},
		{State: ipvs.Backup, Interface: "bond0.100", SyncID: 255, MaxLen: 9000, Group: netip.MustParseAddr("239.255.0.1"), Port: 1, TTL: 255},
		{State: ipvs.Master, Interface: "eth0", Group: netip.MustParseAddr("ff15::1")},
	} {
		b, err := daemonAttrs(want)
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeDaemonMsg(b)
		if err != nil || got != want {
			t.Errorf("round trip: got %+v, %v; want %+v", got, err, want)
		}
	}
}
