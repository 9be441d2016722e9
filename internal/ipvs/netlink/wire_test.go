package netlink

import (
	"bytes"
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"reflect"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"

	"lvskit/internal/ipvs"
)

var (
	key4   = ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.0.0.1"), 80)
	key6   = ipvs.AddrKey(ipvs.UDP, netip.MustParseAddr("2001:db8::1"), 53)
	keyFwm = ipvs.FwmarkKey(ipvs.INET, 7)

	// The identifying attributes of those keys, as the client sends them.
	key4Attrs = []netlink.Attribute{
		attr(svcAF, u16(2)),
		attr(svcProtocol, u16(6)),
		attr(svcAddr, in4("10.0.0.1")),
		attr(svcPort, []byte{0x00, 0x50}),
	}
	key6Attrs = []netlink.Attribute{
		attr(svcAF, u16(10)),
		attr(svcProtocol, u16(17)),
		attr(svcAddr, in6("2001:db8::1")),
		attr(svcPort, []byte{0x00, 0x35}),
	}
	keyFwmAttrs = []netlink.Attribute{
		attr(svcAF, u16(2)),
		attr(svcFwmark, u32(7)),
	}
)

func svcNest(key []netlink.Attribute, rest ...netlink.Attribute) netlink.Attribute {
	return nested(attrService, append(append([]netlink.Attribute(nil), key...), rest...)...)
}

// request is one Table call and the request it must produce.
type request struct {
	name  string
	call  func(*Client) error
	cmd   uint8
	flags netlink.HeaderFlags
	attrs []byte
	reply []genetlink.Message // nil: an acknowledgement
}

func requests() []request {
	minimalService := reply(cmdNewService, knest(attrService, kernelService(0, nil)...))
	return []request{
		{
			name: "AddService IPv4, HASHED masked off, netmask in network order",
			call: func(c *Client) error {
				return c.AddService(ipvs.Service{
					ServiceKey: key4, Scheduler: "wlc",
					Flags:   ipvs.FlagPersistent | ipvs.FlagHashed,
					Timeout: 300, Netmask: 0xffffff00,
				})
			},
			cmd: cmdNewService, flags: setFlags,
			attrs: marshal(svcNest(key4Attrs,
				attr(svcSchedName, str("wlc")),
				attr(svcFlags, flagsMask(0x1, 0xffffffff)),
				attr(svcTimeout, u32(300)),
				attr(svcNetmask, []byte{0xff, 0xff, 0xff, 0x00}),
			)),
		},
		{
			name: "AddService IPv6 with PE, netmask a host-order prefix length",
			call: func(c *Client) error {
				return c.AddService(ipvs.Service{
					ServiceKey: key6, Scheduler: "sh", PE: "sip",
					Flags:   ipvs.FlagSHPort | ipvs.FlagOnePacket,
					Timeout: 60, Netmask: 64,
				})
			},
			cmd: cmdNewService, flags: setFlags,
			attrs: marshal(svcNest(key6Attrs,
				attr(svcSchedName, str("sh")),
				attr(svcPEName, str("sip")),
				attr(svcFlags, flagsMask(0x14, 0xffffffff)),
				attr(svcTimeout, u32(60)),
				attr(svcNetmask, u32(64)),
			)),
		},
		{
			name: "AddService fwmark IPv4: FWMARK instead of protocol, address, port",
			call: func(c *Client) error {
				return c.AddService(ipvs.Service{ServiceKey: keyFwm, Scheduler: "rr", Netmask: 0xffffffff})
			},
			cmd: cmdNewService, flags: setFlags,
			attrs: marshal(svcNest(keyFwmAttrs,
				attr(svcSchedName, str("rr")),
				attr(svcFlags, flagsMask(0, 0xffffffff)),
				attr(svcTimeout, u32(0)),
				attr(svcNetmask, []byte{0xff, 0xff, 0xff, 0xff}),
			)),
		},
		{
			name: "AddService fwmark IPv6",
			call: func(c *Client) error {
				return c.AddService(ipvs.Service{ServiceKey: ipvs.FwmarkKey(ipvs.INET6, 0x80000001), Scheduler: "wlc", Netmask: 128})
			},
			cmd: cmdNewService, flags: setFlags,
			attrs: marshal(svcNest([]netlink.Attribute{attr(svcAF, u16(10)), attr(svcFwmark, u32(0x80000001))},
				attr(svcSchedName, str("wlc")),
				attr(svcFlags, flagsMask(0, 0xffffffff)),
				attr(svcTimeout, u32(0)),
				attr(svcNetmask, u32(128)),
			)),
		},
		{
			name: "EditService",
			call: func(c *Client) error {
				return c.EditService(ipvs.Service{ServiceKey: key4, Scheduler: "rr", Netmask: 0xffffffff})
			},
			cmd: cmdSetService, flags: setFlags,
			attrs: marshal(svcNest(key4Attrs,
				attr(svcSchedName, str("rr")),
				attr(svcFlags, flagsMask(0, 0xffffffff)),
				attr(svcTimeout, u32(0)),
				attr(svcNetmask, []byte{0xff, 0xff, 0xff, 0xff}),
			)),
		},
		{
			name: "DelService sends the key only",
			call: func(c *Client) error { return c.DelService(key6) },
			cmd:  cmdDelService, flags: setFlags,
			attrs: marshal(svcNest(key6Attrs)),
		},
		{
			name: "DelService fwmark",
			call: func(c *Client) error { return c.DelService(keyFwm) },
			cmd:  cmdDelService, flags: setFlags,
			attrs: marshal(svcNest(keyFwmAttrs)),
		},
		{
			name: "a key without an address goes without ADDR, for the kernel to refuse",
			call: func(c *Client) error {
				return c.DelService(ipvs.ServiceKey{Family: ipvs.INET, Protocol: ipvs.TCP, Port: 80})
			},
			cmd: cmdDelService, flags: setFlags,
			attrs: marshal(svcNest([]netlink.Attribute{
				attr(svcAF, u16(2)),
				attr(svcProtocol, u16(6)),
				attr(svcPort, []byte{0x00, 0x50}),
			})),
		},
		{
			name: "a key of an unknown family goes as it is, for the kernel to refuse",
			call: func(c *Client) error { return c.ZeroService(ipvs.ServiceKey{Family: 99, Fwmark: 1}) },
			cmd:  cmdZero, flags: setFlags,
			attrs: marshal(svcNest([]netlink.Attribute{attr(svcAF, u16(99)), attr(svcFwmark, u32(1))})),
		},
		{
			name: "a fwmark key sends neither protocol, address nor port, which the kernel ignores",
			call: func(c *Client) error {
				k := key4
				k.Fwmark = 7
				return c.DelService(k)
			},
			cmd: cmdDelService, flags: setFlags,
			attrs: marshal(svcNest(keyFwmAttrs)),
		},
		{
			name: "Flush",
			call: func(c *Client) error { return c.Flush() },
			cmd:  cmdFlush, flags: setFlags,
		},
		{
			name: "ZeroAll sends no service",
			call: func(c *Client) error { return c.ZeroAll() },
			cmd:  cmdZero, flags: setFlags,
		},
		{
			name: "ZeroService",
			call: func(c *Client) error { return c.ZeroService(keyFwm) },
			cmd:  cmdZero, flags: setFlags,
			attrs: marshal(svcNest(keyFwmAttrs)),
		},
		{
			name: "Service is a doit GET_SERVICE with the key",
			call: func(c *Client) error { _, err := c.Service(key4); return err },
			cmd:  cmdGetService, flags: getFlags,
			attrs: marshal(svcNest(key4Attrs)),
			reply: []genetlink.Message{minimalService},
		},
		{
			name: "Services is a GET_SERVICE dump without attributes",
			call: func(c *Client) error { _, err := c.Services(); return err },
			cmd:  cmdGetService, flags: dumpFlags,
			reply: []genetlink.Message{minimalService},
		},
		{
			name: "AddDest IPv4 masquerading",
			call: func(c *Client) error {
				return c.AddDest(key4, ipvs.Dest{
					Addr: netip.MustParseAddr("192.168.1.10"), Port: 8080, Fwd: ipvs.Masq,
					Weight: 3, UpperThreshold: 100, LowerThreshold: 10,
				})
			},
			cmd: cmdNewDest, flags: setFlags,
			attrs: marshal(svcNest(key4Attrs), nested(attrDest,
				attr(destAddrFamily, u16(2)),
				attr(destAddr, in4("192.168.1.10")),
				attr(destPort, []byte{0x1f, 0x90}),
				attr(destFwdMethod, u32(0)),
				attr(destWeight, u32(3)),
				attr(destTunType, u8(0)),
				attr(destTunPort, []byte{0, 0}),
				attr(destTunFlags, u16(0)),
				attr(destUThresh, u32(100)),
				attr(destLThresh, u32(10)),
			)),
		},
		{
			name: "AddDest IPv6 direct routing, negative weight as its int32 bits",
			call: func(c *Client) error {
				return c.AddDest(key6, ipvs.Dest{Addr: netip.MustParseAddr("2001:db8::10"), Port: 53, Fwd: ipvs.Route, Weight: -1})
			},
			cmd: cmdNewDest, flags: setFlags,
			attrs: marshal(svcNest(key6Attrs), nested(attrDest,
				attr(destAddrFamily, u16(10)),
				attr(destAddr, in6("2001:db8::10")),
				attr(destPort, []byte{0x00, 0x35}),
				attr(destFwdMethod, u32(3)),
				attr(destWeight, []byte{0xff, 0xff, 0xff, 0xff}),
				attr(destTunType, u8(0)),
				attr(destTunPort, []byte{0, 0}),
				attr(destTunFlags, u16(0)),
				attr(destUThresh, u32(0)),
				attr(destLThresh, u32(0)),
			)),
		},
		{
			name: "AddDest GUE tunnel: type, port in network order, flags in host order",
			call: func(c *Client) error {
				return c.AddDest(keyFwm, ipvs.Dest{
					Addr: netip.MustParseAddr("172.16.0.1"), Fwd: ipvs.Tunnel, Weight: 1,
					TunnelType: ipvs.TunnelGUE, TunnelPort: 6080, TunnelFlags: ipvs.TunnelCsum | ipvs.TunnelRemCsum,
				})
			},
			cmd: cmdNewDest, flags: setFlags,
			attrs: marshal(svcNest(keyFwmAttrs), nested(attrDest,
				attr(destAddrFamily, u16(2)),
				attr(destAddr, in4("172.16.0.1")),
				attr(destPort, []byte{0, 0}),
				attr(destFwdMethod, u32(2)),
				attr(destWeight, u32(1)),
				attr(destTunType, u8(1)),
				attr(destTunPort, []byte{0x17, 0xc0}),
				attr(destTunFlags, u16(3)),
				attr(destUThresh, u32(0)),
				attr(destLThresh, u32(0)),
			)),
		},
		{
			name: "EditDest IPv4 destination of an IPv6 service: ADDR_FAMILY is the destination's",
			call: func(c *Client) error {
				return c.EditDest(key6, ipvs.Dest{
					Addr: netip.MustParseAddr("192.0.2.7"), Port: 53, Fwd: ipvs.Tunnel, Weight: 5,
					TunnelType: ipvs.TunnelGRE,
				})
			},
			cmd: cmdSetDest, flags: setFlags,
			attrs: marshal(svcNest(key6Attrs), nested(attrDest,
				attr(destAddrFamily, u16(2)),
				attr(destAddr, in4("192.0.2.7")),
				attr(destPort, []byte{0x00, 0x35}),
				attr(destFwdMethod, u32(2)),
				attr(destWeight, u32(5)),
				attr(destTunType, u8(2)),
				attr(destTunPort, []byte{0, 0}),
				attr(destTunFlags, u16(0)),
				attr(destUThresh, u32(0)),
				attr(destLThresh, u32(0)),
			)),
		},
		{
			name: "DelDest sends family, address and port",
			call: func(c *Client) error {
				return c.DelDest(key4, ipvs.DestKey{Addr: netip.MustParseAddr("192.168.1.10"), Port: 8080})
			},
			cmd: cmdDelDest, flags: setFlags,
			attrs: marshal(svcNest(key4Attrs), nested(attrDest,
				attr(destAddrFamily, u16(2)),
				attr(destAddr, in4("192.168.1.10")),
				attr(destPort, []byte{0x1f, 0x90}),
			)),
		},
		{
			name: "DelDest without an address sends the port only, for the kernel to refuse",
			call: func(c *Client) error { return c.DelDest(key4, ipvs.DestKey{Port: 80}) },
			cmd:  cmdDelDest, flags: setFlags,
			attrs: marshal(svcNest(key4Attrs), nested(attrDest, attr(destPort, []byte{0x00, 0x50}))),
		},
		{
			name: "Dests is a GET_DEST dump with the service key",
			call: func(c *Client) error { _, err := c.Dests(key4); return err },
			cmd:  cmdGetDest, flags: dumpFlags,
			attrs: marshal(svcNest(key4Attrs)),
			reply: []genetlink.Message{reply(cmdNewDest, knest(attrDest, kernelDest(nil)...))},
		},
		{
			name: "Timeouts",
			call: func(c *Client) error { _, err := c.Timeouts(); return err },
			cmd:  cmdGetConfig, flags: getFlags,
			reply: []genetlink.Message{reply(cmdSetConfig, attr(attrTimeoutTCP, u32(900)))},
		},
		{
			name: "SetTimeouts sends all three, zero included",
			call: func(c *Client) error { return c.SetTimeouts(ipvs.Timeouts{TCP: 900, UDP: 60}) },
			cmd:  cmdSetConfig, flags: setFlags,
			attrs: marshal(
				attr(attrTimeoutTCP, u32(900)),
				attr(attrTimeoutTCPFin, u32(0)),
				attr(attrTimeoutUDP, u32(60)),
			),
		},
		{
			name: "Daemons",
			call: func(c *Client) error { _, err := c.Daemons(); return err },
			cmd:  cmdGetDaemon, flags: dumpFlags,
			reply: []genetlink.Message{reply(cmdNewDaemon, knest(attrDaemon, kernelDaemon(nil)...))},
		},
		{
			name: "StartDaemon with defaults omits what is unset",
			call: func(c *Client) error {
				return c.StartDaemon(ipvs.Daemon{State: ipvs.Master, Interface: "eth0"})
			},
			cmd: cmdNewDaemon, flags: setFlags,
			attrs: marshal(nested(attrDaemon,
				attr(daemonState, u32(1)),
				attr(daemonMcastIfn, str("eth0")),
				attr(daemonSyncID, u32(0)),
			)),
		},
		{
			name: "StartDaemon IPv4 group; the port is host order",
			call: func(c *Client) error {
				return c.StartDaemon(ipvs.Daemon{
					State: ipvs.Backup, Interface: "eth1", SyncID: 5, MaxLen: 1400,
					Group: netip.MustParseAddr("239.1.2.3"), Port: 8848, TTL: 2,
				})
			},
			cmd: cmdNewDaemon, flags: setFlags,
			attrs: marshal(nested(attrDaemon,
				attr(daemonState, u32(2)),
				attr(daemonMcastIfn, str("eth1")),
				attr(daemonSyncID, u32(5)),
				attr(daemonSyncMaxLen, u16(1400)),
				attr(daemonMcastGroup, []byte{239, 1, 2, 3}),
				attr(daemonMcastPort, u16(8848)),
				attr(daemonMcastTTL, u8(2)),
			)),
		},
		{
			name: "StartDaemon IPv6 group",
			call: func(c *Client) error {
				return c.StartDaemon(ipvs.Daemon{State: ipvs.Master, Interface: "eth0", SyncID: 1, Group: netip.MustParseAddr("ff02::1:2")})
			},
			cmd: cmdNewDaemon, flags: setFlags,
			attrs: marshal(nested(attrDaemon,
				attr(daemonState, u32(1)),
				attr(daemonMcastIfn, str("eth0")),
				attr(daemonSyncID, u32(1)),
				attr(daemonMcastGroup6, in6("ff02::1:2")),
			)),
		},
		{
			name: "StopDaemon sends what ipvsadm sends",
			call: func(c *Client) error { return c.StopDaemon(ipvs.Backup) },
			cmd:  cmdDelDaemon, flags: setFlags,
			attrs: marshal(nested(attrDaemon,
				attr(daemonState, u32(2)),
				attr(daemonMcastIfn, str("")),
				attr(daemonSyncID, u32(0)),
			)),
		},
		{
			name: "Info",
			call: func(c *Client) error { _, err := c.Info(); return err },
			cmd:  cmdGetInfo, flags: getFlags,
			reply: []genetlink.Message{reply(cmdSetInfo, attr(infoVersion, u32(0x010201)), attr(infoConnTabSize, u32(4096)))},
		},
	}
}

func TestRequests(t *testing.T) {
	seen := map[uint8]bool{}
	for _, r := range requests() {
		t.Run(r.name, func(t *testing.T) {
			calls := 0
			c := testClient(t, genltest.CheckRequest(testFamilyID, r.cmd, r.flags,
				func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
					calls++
					if greq.Header.Version != familyVersion {
						t.Errorf("version %d, want %d", greq.Header.Version, familyVersion)
					}
					if !bytes.Equal(greq.Data, r.attrs) {
						t.Errorf("attributes:\n got %s\nwant %s", hex.EncodeToString(greq.Data), hex.EncodeToString(r.attrs))
					}
					if r.reply == nil {
						return nil, ack
					}
					return r.reply, nil
				}))
			if err := r.call(c); err != nil {
				t.Fatal(err)
			}
			if calls != 1 {
				t.Errorf("%d requests, want 1", calls)
			}
		})
		seen[r.cmd] = true
	}
	for cmd := cmdNewService; cmd <= cmdFlush; cmd++ {
		if !seen[cmd] && cmd != cmdSetInfo { // SET_INFO is only a reply
			t.Errorf("no request test for %s", cmdName(cmd))
		}
	}
}

// TestWireBytes pins one request and one reply as raw bytes, framing
// included, so that the fixtures above cannot share a mistake with the
// encoder. The values are those of a little-endian host.
func TestWireBytes(t *testing.T) {
	if u16(1)[0] != 1 {
		t.Skip("fixture written for a little-endian host")
	}
	const want = "" +
		"54000180" + // SERVICE with NLA_F_NESTED, 84 bytes
		"0600010002000000" + // AF = AF_INET, padded
		"0600020006000000" + // PROTOCOL = TCP, padded
		"140003000a000001" + "000000000000000000000000" + // ADDR: 10.0.0.1 in 16 bytes
		"0600040000500000" + // PORT = 80 in network order, padded
		"08000600776c6300" + // SCHED_NAME = "wlc\0"
		"0c00070001000000ffffffff" + // FLAGS = {PERSISTENT, mask ~0}
		"080008002c010000" + // TIMEOUT = 300
		"08000900ffffff00" // NETMASK = 255.255.255.0
	got, err := serviceAttrs(ipvs.Service{
		ServiceKey: key4, Scheduler: "wlc", Flags: ipvs.FlagPersistent | ipvs.FlagHashed,
		Timeout: 300, Netmask: 0xffffff00,
	})
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(got) != want {
		t.Errorf("NEW_SERVICE attributes\n got %x\nwant %s", got, want)
	}

	// A GET_SERVICE reply for FWM 7, IPv6, as the kernel sends it: no
	// NLA_F_NESTED, a STATS64 nest whose CONNS exceeds 32 bits, led by
	// a PAD.
	const kernel = "" +
		"b8000100" + // SERVICE, 184 bytes
		"060001000a000000" + // AF = AF_INET6
		"0800050007000000" + // FWMARK = 7
		"0700060072720000" + // SCHED_NAME = "rr\0", padded
		"0c00070003000000ffffffff" + // FLAGS = {PERSISTENT|HASHED, ~0}
		"080008002c010000" + // TIMEOUT = 300
		"0800090040000000" + // NETMASK = /64, host order
		"80000c00" + // STATS64, 128 bytes
		"04000b00" + // PAD
		"0c0001000500000001000000" + // CONNS = 2^32+5
		"0c0002000100000000000000" + "0c0003000200000000000000" +
		"0c0004000300000000000000" + "0c0005000400000000000000" +
		"0c0006000500000000000000" + "0c0007000600000000000000" +
		"0c0008000700000000000000" + "0c0009000800000000000000" +
		"0c000a000900000000000000"
	b, err := hex.DecodeString(kernel)
	if err != nil {
		t.Fatal(err)
	}
	s, err := decodeServiceMsg(b)
	if err != nil {
		t.Fatal(err)
	}
	wantSvc := ipvs.Service{
		ServiceKey: ipvs.FwmarkKey(ipvs.INET6, 7), Scheduler: "rr",
		Flags: ipvs.FlagPersistent | ipvs.FlagHashed, Timeout: 300, Netmask: 64,
		Stats: ipvs.Stats{Conns: 1<<32 + 5, InPkts: 1, OutPkts: 2, InBytes: 3, OutBytes: 4, CPS: 5, InPPS: 6, OutPPS: 7, InBPS: 8, OutBPS: 9},
	}
	if !reflect.DeepEqual(s, wantSvc) {
		t.Errorf("decoded\n got %+v\nwant %+v", s, wantSvc)
	}
}

func TestServiceReplies(t *testing.T) {
	big := kstats{1<<32 + 5, 1 << 40, 3, 1 << 50, 5, 6, 7, 8, 9, 1<<33 + 1}
	tests := []struct {
		name  string
		attrs []netlink.Attribute
		want  ipvs.Service
	}{{
		name:  "IPv4, HASHED kept as the kernel reports it",
		attrs: kernelService(0, nil),
		want: ipvs.Service{ServiceKey: key4, Scheduler: "wlc", Flags: ipvs.FlagHashed,
			Netmask: 0xffffffff, Stats: someStats.stats()},
	}, {
		name: "IPv4 netmask is read in network order",
		attrs: kernelService(0, map[uint16]bool{svcNetmask: true},
			attr(svcNetmask, []byte{0xff, 0xff, 0xfe, 0x00})),
		want: ipvs.Service{ServiceKey: key4, Scheduler: "wlc", Flags: ipvs.FlagHashed,
			Netmask: 0xfffffe00, Stats: someStats.stats()},
	}, {
		name: "IPv6 with PE; netmask is a host-order prefix length",
		attrs: []netlink.Attribute{
			attr(svcAF, u16(10)),
			attr(svcProtocol, u16(17)),
			attr(svcAddr, in6("2001:db8::1")),
			attr(svcPort, []byte{0, 53}),
			attr(svcSchedName, str("sh")),
			attr(svcPEName, str("sip")),
			attr(svcFlags, flagsMask(0x12, 0xffffffff)),
			attr(svcTimeout, u32(60)),
			attr(svcNetmask, u32(96)),
			stats32(svcStats, someStats),
			stats64(svcStats64, someStats),
		},
		want: ipvs.Service{ServiceKey: key6, Scheduler: "sh", PE: "sip",
			Flags: ipvs.FlagHashed | ipvs.FlagSHPort, Timeout: 60, Netmask: 96, Stats: someStats.stats()},
	}, {
		name:  "fwmark: no protocol, address or port",
		attrs: kernelService(7, nil),
		want: ipvs.Service{ServiceKey: keyFwm, Scheduler: "wlc", Flags: ipvs.FlagHashed,
			Netmask: 0xffffffff, Stats: someStats.stats()},
	}, {
		name: "flags are flags & mask",
		attrs: kernelService(7, map[uint16]bool{svcFlags: true},
			attr(svcFlags, flagsMask(0x7, 0x5))),
		want: ipvs.Service{ServiceKey: keyFwm, Scheduler: "wlc", Flags: ipvs.FlagPersistent | ipvs.FlagOnePacket,
			Netmask: 0xffffffff, Stats: someStats.stats()},
	}, {
		name: "STATS64 wins over STATS, whatever the order",
		attrs: kernelService(7, map[uint16]bool{svcStats: true, svcStats64: true},
			stats64(svcStats64, big), stats32(svcStats, someStats)),
		want: ipvs.Service{ServiceKey: keyFwm, Scheduler: "wlc", Flags: ipvs.FlagHashed,
			Netmask: 0xffffffff, Stats: big.stats()},
	}, {
		name:  "STATS alone (kernel before 4.1): 32-bit counters, 64-bit bytes",
		attrs: kernelService(7, map[uint16]bool{svcStats64: true, svcStats: true}, stats32(svcStats, big)),
		want: ipvs.Service{ServiceKey: keyFwm, Scheduler: "wlc", Flags: ipvs.FlagHashed, Netmask: 0xffffffff,
			Stats: ipvs.Stats{Conns: 5, InPkts: 0, OutPkts: 3, InBytes: 1 << 50, OutBytes: 5, CPS: 6, InPPS: 7, OutPPS: 8, InBPS: 9, OutBPS: 1}},
	}, {
		name:  "no stats at all",
		attrs: kernelService(7, map[uint16]bool{svcStats64: true, svcStats: true}),
		want:  ipvs.Service{ServiceKey: keyFwm, Scheduler: "wlc", Flags: ipvs.FlagHashed, Netmask: 0xffffffff},
	}, {
		name: "unknown attributes are skipped",
		attrs: kernelService(0, nil, attr(99, []byte{1, 2, 3}), knest(100, attr(1, u32(1))),
			attr(svcStats64+1, u64(1))),
		want: ipvs.Service{ServiceKey: key4, Scheduler: "wlc", Flags: ipvs.FlagHashed,
			Netmask: 0xffffffff, Stats: someStats.stats()},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := reply(cmdNewService, knest(attrService, tt.attrs...))
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return []genetlink.Message{msg}, nil
			})
			got, err := c.Services()
			if err != nil {
				t.Fatal(err)
			}
			if want := []ipvs.Service{tt.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("Services\n got %+v\nwant %+v", got, want)
			}
			one, err := c.Service(tt.want.Key())
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(one, tt.want) {
				t.Errorf("Service\n got %+v\nwant %+v", one, tt.want)
			}
		})
	}
}

func TestDestReplies(t *testing.T) {
	dest := ipvs.Dest{
		Addr: netip.MustParseAddr("192.168.1.10"), Port: 8080, Weight: 1,
		ActiveConns: 4, InactiveConns: 5, PersistentConns: 6, Stats: someStats.stats(),
	}
	with := func(f func(*ipvs.Dest)) ipvs.Dest { d := dest; f(&d); return d }
	tests := []struct {
		name  string
		key   ipvs.ServiceKey
		attrs []netlink.Attribute
		want  ipvs.Dest
	}{{
		name: "IPv4", key: key4, attrs: kernelDest(nil), want: dest,
	}, {
		name: "no ADDR_FAMILY (kernel before 3.18): the service's family",
		key:  key6,
		attrs: kernelDest(map[uint16]bool{destAddr: true, destAddrFamily: true},
			attr(destAddr, in6("2001:db8::10"))),
		want: with(func(d *ipvs.Dest) { d.Addr = netip.MustParseAddr("2001:db8::10") }),
	}, {
		name:  "IPv4 destination of an IPv6 service",
		key:   key6,
		attrs: kernelDest(nil),
		want:  dest,
	}, {
		name: "tunnel attributes",
		key:  key4,
		attrs: kernelDest(map[uint16]bool{destFwdMethod: true, destTunType: true, destTunPort: true, destTunFlags: true},
			attr(destFwdMethod, u32(2)), attr(destTunType, u8(1)), attr(destTunPort, []byte{0x17, 0xc0}), attr(destTunFlags, u16(2))),
		want: with(func(d *ipvs.Dest) {
			d.Fwd, d.TunnelType, d.TunnelPort, d.TunnelFlags = ipvs.Tunnel, ipvs.TunnelGUE, 6080, ipvs.TunnelRemCsum
		}),
	}, {
		name:  "no tunnel attributes (kernel before 5.2): zero",
		key:   key4,
		attrs: kernelDest(map[uint16]bool{destTunType: true, destTunPort: true, destTunFlags: true}),
		want:  dest,
	}, {
		name: "weight and thresholds",
		key:  key4,
		attrs: kernelDest(map[uint16]bool{destWeight: true, destUThresh: true, destLThresh: true},
			attr(destWeight, u32(0x7fffffff)), attr(destUThresh, u32(1000)), attr(destLThresh, u32(10))),
		want: with(func(d *ipvs.Dest) { d.Weight, d.UpperThreshold, d.LowerThreshold = 0x7fffffff, 1000, 10 }),
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := reply(cmdNewDest, knest(attrDest, tt.attrs...))
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				return []genetlink.Message{msg, msg}, nil
			})
			got, err := c.Dests(tt.key)
			if err != nil {
				t.Fatal(err)
			}
			if want := []ipvs.Dest{tt.want, tt.want}; !reflect.DeepEqual(got, want) {
				t.Errorf("Dests\n got %+v\nwant %+v", got, want)
			}
		})
	}
}

func TestDaemonReplies(t *testing.T) {
	master := ipvs.Daemon{State: ipvs.Master, Interface: "eth0", MaxLen: 1472,
		Group: netip.MustParseAddr("224.0.0.81"), Port: 8848, TTL: 1}
	backup := ipvs.Daemon{State: ipvs.Backup, Interface: "eth1", SyncID: 9, MaxLen: 1500,
		Group: netip.MustParseAddr("ff02::1:2"), Port: 9000, TTL: 3}
	old := ipvs.Daemon{State: ipvs.Backup, Interface: "eth1", SyncID: 9}
	msgs := []genetlink.Message{
		reply(cmdNewDaemon, knest(attrDaemon, kernelDaemon(nil)...)),
		reply(cmdNewDaemon, knest(attrDaemon,
			attr(daemonState, u32(2)),
			attr(daemonMcastIfn, str("eth1")),
			attr(daemonSyncID, u32(9)),
			attr(daemonSyncMaxLen, u16(1500)),
			attr(daemonMcastPort, u16(9000)),
			attr(daemonMcastTTL, u8(3)),
			attr(daemonMcastGroup6, in6("ff02::1:2")),
		)),
		// A kernel before 4.3 sends only the three mandatory attributes.
		reply(cmdNewDaemon, knest(attrDaemon,
			attr(daemonState, u32(2)),
			attr(daemonMcastIfn, str("eth1")),
			attr(daemonSyncID, u32(9)),
		)),
	}
	c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return msgs, nil })
	got, err := c.Daemons()
	if err != nil {
		t.Fatal(err)
	}
	if want := []ipvs.Daemon{master, backup, old}; !reflect.DeepEqual(got, want) {
		t.Errorf("Daemons\n got %+v\nwant %+v", got, want)
	}
}

func TestConfigAndInfoReplies(t *testing.T) {
	c := testClient(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		switch greq.Header.Command {
		case cmdGetConfig:
			// A kernel without CONFIG_IP_VS_PROTO_UDP leaves UDP out.
			return []genetlink.Message{reply(cmdSetConfig,
				attr(attrTimeoutTCP, u32(900)), attr(attrTimeoutTCPFin, u32(120)))}, nil
		case cmdGetInfo:
			return []genetlink.Message{reply(cmdSetInfo,
				attr(infoVersion, u32(0x010201)), attr(infoConnTabSize, u32(4096)))}, nil
		}
		return nil, genltest.Error(int(unix.EINVAL))
	})
	to, err := c.Timeouts()
	if err != nil {
		t.Fatal(err)
	}
	if want := (ipvs.Timeouts{TCP: 900, TCPFin: 120}); to != want {
		t.Errorf("Timeouts = %+v, want %+v", to, want)
	}
	info, err := c.Info()
	if err != nil {
		t.Fatal(err)
	}
	if want := (ipvs.Info{Version: 0x010201, ConnTabSize: 4096}); info != want {
		t.Errorf("Info = %+v, want %+v", info, want)
	}
	if v := info.VersionString(); v != "1.2.1" {
		t.Errorf("VersionString = %q", v)
	}
}

// TestMalformedReplies: every reply a method decodes fails with EINVAL
// and the command's name when a required attribute is missing.
func TestMalformedReplies(t *testing.T) {
	tests := []struct {
		name string
		call func(*Client) error
		msg  genetlink.Message
	}{
		{"service without SCHED_NAME", func(c *Client) error { _, err := c.Services(); return err },
			reply(cmdNewService, knest(attrService, kernelService(0, map[uint16]bool{svcSchedName: true})...))},
		{"service reply without a service", func(c *Client) error { _, err := c.Service(key4); return err },
			reply(cmdNewService, attr(attrDest, nil))},
		{"destination without PERSIST_CONNS", func(c *Client) error { _, err := c.Dests(key4); return err },
			reply(cmdNewDest, knest(attrDest, kernelDest(map[uint16]bool{destPersistConns: true})...))},
		{"daemon without SYNC_ID", func(c *Client) error { _, err := c.Daemons(); return err },
			reply(cmdNewDaemon, knest(attrDaemon, kernelDaemon(map[uint16]bool{daemonSyncID: true})...))},
		{"info without CONN_TAB_SIZE", func(c *Client) error { _, err := c.Info(); return err },
			reply(cmdSetInfo, attr(infoVersion, u32(1)))},
		{"config with a short TIMEOUT_TCP", func(c *Client) error { _, err := c.Timeouts(); return err },
			reply(cmdSetConfig, attr(attrTimeoutTCP, u16(1)))},
		{"empty doit reply", func(c *Client) error { _, err := c.Info(); return err },
			genetlink.Message{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
				if tt.msg.Data == nil {
					return nil, nil
				}
				return []genetlink.Message{tt.msg}, nil
			})
			err := tt.call(c)
			if !errors.Is(err, syscall.EINVAL) {
				t.Fatalf("err = %v, want EINVAL", err)
			}
			if !strings.HasPrefix(err.Error(), "ipvs: GET_") {
				t.Errorf("err = %q, want the command named", err)
			}
		})
	}
}

// TestErrnos: every method returns the kernel's errno, reachable with
// errors.Is, under the command's name. The errors are framed as the kernel
// frames them; genltest's own errors are tried too where they apply (it
// copies the request's flags into the error, which for a dump would claim
// extended-ack TLVs).
func TestErrnos(t *testing.T) {
	errnos := []syscall.Errno{syscall.ESRCH, syscall.EEXIST, syscall.ENOENT, syscall.EPERM, syscall.ERANGE}
	for _, r := range requests() {
		for _, errno := range errnos {
			t.Run(fmt.Sprintf("%s/%s", r.name, unix.ErrnoName(errno)), func(t *testing.T) {
				clients := []*Client{framedClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
					return nil, errno
				})}
				if r.flags != dumpFlags {
					clients = append(clients, testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
						return nil, genltest.Error(int(errno))
					}))
				}
				for _, c := range clients {
					err := r.call(c)
					if !errors.Is(err, errno) {
						t.Fatalf("err = %v, want errors.Is %s", err, unix.ErrnoName(errno))
					}
					if prefix := "ipvs: " + cmdName(r.cmd) + ": "; !strings.HasPrefix(err.Error(), prefix) {
						t.Errorf("err = %q, want prefix %q", err, prefix)
					}
				}
			})
		}
	}
}

func TestMissingFamily(t *testing.T) {
	// The controller answers ENOENT for a family nobody registered.
	_, err := newClient(genltest.Dial(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(unix.ENOENT))
	}))
	if !errors.Is(err, ipvs.ErrNotAvailable) {
		t.Fatalf("err = %v, want ErrNotAvailable", err)
	}
	if errors.Is(err, syscall.EPERM) || errors.Is(err, syscall.ENOENT) || errors.Is(err, os.ErrNotExist) {
		t.Errorf("err = %v is also an errno a command could return", err)
	}
	if !strings.Contains(err.Error(), "no such file or directory") {
		t.Errorf("err = %q lost the underlying error", err)
	}

	_, err = newClient(genltest.Dial(func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		return nil, genltest.Error(int(unix.EPERM))
	}))
	if errors.Is(err, ipvs.ErrNotAvailable) || !errors.Is(err, syscall.EPERM) {
		t.Errorf("lookup failing with EPERM: err = %v, want EPERM and not ErrNotAvailable", err)
	}
}

// TestMisreadKeys: a key whose address is of the other family fails with
// EINVAL before anything is sent, except in Dests, where it names no
// service and so has no destinations.
func TestMisreadKeys(t *testing.T) {
	c := testClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
		t.Error("a request was sent")
		return nil, ack
	})
	bad := ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 80}
	d := ipvs.Dest{Addr: netip.MustParseAddr("10.0.0.2"), Port: 80}
	for name, call := range map[string]func() error{
		"AddService":  func() error { return c.AddService(ipvs.Service{ServiceKey: bad, Scheduler: "rr"}) },
		"EditService": func() error { return c.EditService(ipvs.Service{ServiceKey: bad, Scheduler: "rr"}) },
		"DelService":  func() error { return c.DelService(bad) },
		"Service":     func() error { _, err := c.Service(bad); return err },
		"ZeroService": func() error { return c.ZeroService(bad) },
		"AddDest":     func() error { return c.AddDest(bad, d) },
		"EditDest":    func() error { return c.EditDest(bad, d) },
		"DelDest":     func() error { return c.DelDest(bad, d.Key()) },
	} {
		if err := call(); !errors.Is(err, syscall.EINVAL) {
			t.Errorf("%s: err = %v, want EINVAL", name, err)
		}
	}
	if dests, err := c.Dests(bad); err != nil || len(dests) != 0 {
		t.Errorf("Dests = %v, %v; want none", dests, err)
	}
}

func manyServices(n int) []genetlink.Message {
	msgs := make([]genetlink.Message, n)
	for i := range msgs {
		msgs[i] = reply(cmdNewService, knest(attrService,
			kernelService(uint32(i+1), nil)...))
	}
	return msgs
}

func checkManyServices(t *testing.T, svcs []ipvs.Service, n int) {
	t.Helper()
	if len(svcs) != n {
		t.Fatalf("%d services, want %d", len(svcs), n)
	}
	for i, s := range svcs {
		if s.Fwmark != uint32(i+1) {
			t.Fatalf("service %d is FWM %d, want %d: lost, duplicated or reordered", i, s.Fwmark, i+1)
		}
	}
}

func TestLargeDump(t *testing.T) {
	const n = 1000
	msgs := manyServices(n)
	dump := genltest.CheckRequest(testFamilyID, cmdGetService, dumpFlags,
		func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return msgs, nil })

	t.Run("genltest", func(t *testing.T) {
		svcs, err := testClient(t, dump).Services()
		if err != nil {
			t.Fatal(err)
		}
		checkManyServices(t, svcs, n)
	})
	t.Run("multi-part over several reads", func(t *testing.T) {
		svcs, err := framedClient(t, dump).Services()
		if err != nil {
			t.Fatal(err)
		}
		checkManyServices(t, svcs, n)
	})
	t.Run("destinations", func(t *testing.T) {
		dmsgs := make([]genetlink.Message, n)
		for i := range dmsgs {
			dmsgs[i] = reply(cmdNewDest, knest(attrDest, kernelDest(map[uint16]bool{destPort: true},
				attr(destPort, u16be(uint16(i+1))))...))
		}
		c := framedClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return dmsgs, nil })
		dests, err := c.Dests(key4)
		if err != nil {
			t.Fatal(err)
		}
		if len(dests) != n {
			t.Fatalf("%d destinations, want %d", len(dests), n)
		}
		for i, d := range dests {
			if d.Port != uint16(i+1) {
				t.Fatalf("destination %d has port %d", i, d.Port)
			}
		}
	})
	t.Run("empty", func(t *testing.T) {
		c := framedClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return nil, nil })
		svcs, err := c.Services()
		if err != nil || len(svcs) != 0 {
			t.Fatalf("Services = %v, %v; want none", svcs, err)
		}
	})
	t.Run("acknowledged set", func(t *testing.T) {
		c := framedClient(t, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) {
			return nil, syscall.Errno(0)
		})
		if err := c.Flush(); err != nil {
			t.Fatal(err)
		}
	})
}

// TestConcurrentUse: requests from many goroutines on one Client each get
// their own reply.
func TestConcurrentUse(t *testing.T) {
	c := testClient(t, func(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
		switch greq.Header.Command {
		case cmdGetService:
			if len(greq.Data) == 0 {
				return manyServices(3), nil
			}
			// Echo the requested key back as a full service.
			key, err := nest("service", greq.Data, attrService)
			if err != nil {
				return nil, err
			}
			rest := marshal(
				attr(svcSchedName, str("rr")),
				attr(svcFlags, flagsMask(0x2, 0xffffffff)),
				attr(svcTimeout, u32(0)),
				attr(svcNetmask, u32(0xffffffff)),
			)
			return []genetlink.Message{reply(cmdNewService, attr(attrService, cat(key, rest)))}, nil
		case cmdNewService:
			return nil, ack
		}
		return nil, genltest.Error(int(unix.EINVAL))
	})

	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 200 {
				port := uint16(g*1000 + i + 1)
				k := ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.0.0.1"), port)
				switch i % 3 {
				case 0:
					s, err := c.Service(k)
					if err != nil || s.Port != port {
						t.Errorf("Service(%s) = %v, %v", k, s.Key(), err)
						return
					}
				case 1:
					if err := c.AddService(ipvs.Service{ServiceKey: k, Scheduler: "rr"}); err != nil {
						t.Error(err)
						return
					}
				case 2:
					if svcs, err := c.Services(); err != nil || len(svcs) != 3 {
						t.Errorf("Services = %d, %v", len(svcs), err)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
