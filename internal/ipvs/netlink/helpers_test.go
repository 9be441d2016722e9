package netlink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"syscall"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/genetlink/genltest"
	"github.com/mdlayher/netlink"
	"github.com/mdlayher/netlink/nltest"

	"lvskit/internal/ipvs"
)

// Byte-exact fixtures are written attribute by attribute with
// netlink.MarshalAttributes, independently of the client's encoder.
// Host-order fields use these helpers; network-order fields are spelled
// out as bytes, so that a byte-order mistake shows.

const testFamilyID = 0x23

func u8(v uint8) []byte   { return []byte{v} }
func u16(v uint16) []byte { return binary.NativeEndian.AppendUint16(nil, v) }
func u32(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
func u64(v uint64) []byte { return binary.NativeEndian.AppendUint64(nil, v) }
func str(s string) []byte { return append([]byte(s), 0) }

func cat(bs ...[]byte) []byte {
	var out []byte
	for _, b := range bs {
		out = append(out, b...)
	}
	return out
}

func attr(typ uint16, data []byte) netlink.Attribute {
	return netlink.Attribute{Type: typ, Data: data}
}

func marshal(as ...netlink.Attribute) []byte { return nltest.MustMarshalAttributes(as) }

// nested is a nest as the client sends it: flagged NLA_F_NESTED, as
// netlink.AttributeEncoder does (the kernel's liberal parser ignores the
// flag).
func nested(typ uint16, as ...netlink.Attribute) netlink.Attribute {
	return netlink.Attribute{Type: netlink.Nested | typ, Data: marshal(as...)}
}

// knest is a nest as the kernel sends it, unflagged
// (nla_nest_start_noflag).
func knest(typ uint16, as ...netlink.Attribute) netlink.Attribute {
	return netlink.Attribute{Type: typ, Data: marshal(as...)}
}

// pad is IPVS_STATS_ATTR_PAD, which nla_put_u64_64bit inserts before a
// 64-bit value on machines that need it aligned.
var pad = netlink.Attribute{Type: statsPad}

// in4 and in6 are union nf_inet_addr.
func in4(s string) []byte {
	a := netip.MustParseAddr(s).As4()
	return append(a[:], make([]byte, 12)...)
}

func in6(s string) []byte {
	a := netip.MustParseAddr(s).As16()
	return a[:]
}

func flagsMask(flags, mask uint32) []byte { return cat(u32(flags), u32(mask)) }

func reply(cmd uint8, as ...netlink.Attribute) genetlink.Message {
	return genetlink.Message{
		Header: genetlink.Header{Command: cmd, Version: familyVersion},
		Data:   marshal(as...),
	}
}

// ack is the kernel's acknowledgement: an NLMSG_ERROR with errno 0.
var ack = genltest.Error(0)

var testFamily = genetlink.Family{ID: testFamilyID, Version: familyVersion, Name: familyName}

// newClient resolves the family on conn, a genltest connection, and
// returns a Client that speaks through it.
func newClient(conn *genetlink.Conn) (*Client, error) {
	f, err := conn.GetFamily(familyName)
	if err != nil {
		return nil, familyError(err)
	}
	return &Client{tr: genlTransport{conn}, family: f.ID}, nil
}

// genlTransport is a transport over a genetlink connection.
type genlTransport struct{ conn *genetlink.Conn }

func (g genlTransport) Execute(family uint16, cmd uint8, flags netlink.HeaderFlags, attrs []byte, each func([]byte) error) error {
	msgs, err := g.conn.Execute(genetlink.Message{Header: genetlink.Header{Command: cmd, Version: genlVersion}, Data: attrs}, family, flags)
	if err != nil {
		return err
	}
	var first error
	for _, m := range msgs {
		if err := each(m.Data); err != nil && first == nil {
			first = err
		}
	}
	return first
}

func (g genlTransport) Close() error { return g.conn.Close() }

// testClient returns a Client whose kernel is fn, behind a family lookup.
func testClient(t testing.TB, fn genltest.Func) *Client {
	t.Helper()
	c, err := newClient(genltest.Dial(genltest.ServeFamily(testFamily, fn)))
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// kernelFraming is the framing of a real kernel, which genltest does not
// reproduce: every message of a dump is flagged NLM_F_MULTI and the dump
// ends with NLMSG_DONE, delivered over several reads (nltest hands out
// half the remaining messages per read). fn reports an errno by returning
// a syscall.Errno, which becomes an NLMSG_ERROR carrying the errno and the
// request (netlink_ack); syscall.Errno(0) is an acknowledgement.
func kernelFraming(fn genltest.Func) nltest.Func {
	return func(reqs []netlink.Message) ([]netlink.Message, error) {
		if len(reqs) != 1 {
			return nil, fmt.Errorf("kernelFraming: %d requests", len(reqs))
		}
		req := reqs[0]
		var greq genetlink.Message
		if err := greq.UnmarshalBinary(req.Data); err != nil {
			return nil, err
		}
		hdr := netlink.Header{Type: req.Header.Type, Sequence: req.Header.Sequence, PID: req.Header.PID}
		gmsgs, err := fn(greq, req)
		var errno syscall.Errno
		if errors.As(err, &errno) {
			echo, err := req.MarshalBinary()
			if err != nil {
				return nil, err
			}
			hdr.Type = netlink.Error
			return []netlink.Message{{Header: hdr, Data: cat(u32(uint32(-int32(errno))), echo)}}, nil
		}
		if err != nil {
			return nil, err
		}
		var out []netlink.Message
		for _, gm := range gmsgs {
			b, err := gm.MarshalBinary()
			if err != nil {
				return nil, err
			}
			out = append(out, netlink.Message{Header: hdr, Data: b})
		}
		if req.Header.Flags&netlink.Dump == 0 {
			return out, nil
		}
		// NLMSG_DONE carries the dump's status, 0.
		done := hdr
		done.Type = netlink.Done
		out = append(out, netlink.Message{Header: done, Data: u32(0)})
		for i := range out {
			out[i].Header.Flags |= netlink.Multi
		}
		return out, nil
	}
}

func framedClient(t testing.TB, fn genltest.Func) *Client {
	t.Helper()
	c, err := newClient(genetlink.NewConn(nltest.Dial(kernelFraming(genltest.ServeFamily(testFamily, fn)))))
	if err != nil {
		t.Fatalf("newClient: %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// Kernel-shaped replies, attribute for attribute what ip_vs_ctl.c puts.

type kstats struct{ conns, inpkts, outpkts, inbytes, outbytes, cps, inpps, outpps, inbps, outbps uint64 }

// stats32 is ip_vs_genl_fill_stats: bytes u64, the rest truncated to u32.
func stats32(typ uint16, s kstats) netlink.Attribute {
	return knest(typ,
		attr(statsConns, u32(uint32(s.conns))),
		attr(statsInPkts, u32(uint32(s.inpkts))),
		attr(statsOutPkts, u32(uint32(s.outpkts))),
		pad,
		attr(statsInBytes, u64(s.inbytes)),
		pad,
		attr(statsOutBytes, u64(s.outbytes)),
		attr(statsCPS, u32(uint32(s.cps))),
		attr(statsInPPS, u32(uint32(s.inpps))),
		attr(statsOutPPS, u32(uint32(s.outpps))),
		attr(statsInBPS, u32(uint32(s.inbps))),
		attr(statsOutBPS, u32(uint32(s.outbps))),
	)
}

// stats64 is ip_vs_genl_fill_stats64: all u64.
func stats64(typ uint16, s kstats) netlink.Attribute {
	return knest(typ,
		pad,
		attr(statsConns, u64(s.conns)),
		attr(statsInPkts, u64(s.inpkts)),
		attr(statsOutPkts, u64(s.outpkts)),
		attr(statsInBytes, u64(s.inbytes)),
		attr(statsOutBytes, u64(s.outbytes)),
		attr(statsCPS, u64(s.cps)),
		attr(statsInPPS, u64(s.inpps)),
		attr(statsOutPPS, u64(s.outpps)),
		attr(statsInBPS, u64(s.inbps)),
		attr(statsOutBPS, u64(s.outbps)),
	)
}

func (s kstats) stats() ipvs.Stats {
	return ipvs.Stats{
		Conns: s.conns, InPkts: s.inpkts, OutPkts: s.outpkts, InBytes: s.inbytes, OutBytes: s.outbytes,
		CPS: s.cps, InPPS: s.inpps, OutPPS: s.outpps, InBPS: s.inbps, OutBPS: s.outbps,
	}
}

var someStats = kstats{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}

// kernelService is ip_vs_genl_fill_service for a TCP service at
// 10.0.0.1:80 (fwmark 0) or a firewall-mark service, with overrides:
// attributes in drop are left out, those in add are appended.
func kernelService(fwmark uint32, drop map[uint16]bool, add ...netlink.Attribute) []netlink.Attribute {
	as := []netlink.Attribute{attr(svcAF, u16(2))}
	if fwmark != 0 {
		as = append(as, attr(svcFwmark, u32(fwmark)))
	} else {
		as = append(as,
			attr(svcProtocol, u16(6)),
			attr(svcAddr, in4("10.0.0.1")),
			attr(svcPort, []byte{0, 80}),
		)
	}
	as = append(as,
		attr(svcSchedName, str("wlc")),
		attr(svcFlags, flagsMask(0x2, 0xffffffff)),
		attr(svcTimeout, u32(0)),
		attr(svcNetmask, []byte{0xff, 0xff, 0xff, 0xff}),
		stats32(svcStats, someStats),
		stats64(svcStats64, someStats),
	)
	var out []netlink.Attribute
	for _, a := range as {
		if !drop[a.Type] {
			out = append(out, a)
		}
	}
	return append(out, add...)
}

// kernelDest is ip_vs_genl_fill_dest for 192.168.1.10:8080, masquerading,
// weight 1.
func kernelDest(drop map[uint16]bool, add ...netlink.Attribute) []netlink.Attribute {
	as := []netlink.Attribute{
		attr(destAddr, in4("192.168.1.10")),
		attr(destPort, []byte{0x1f, 0x90}),
		attr(destFwdMethod, u32(0)),
		attr(destWeight, u32(1)),
		attr(destTunType, u8(0)),
		attr(destTunPort, []byte{0, 0}),
		attr(destTunFlags, u16(0)),
		attr(destUThresh, u32(0)),
		attr(destLThresh, u32(0)),
		attr(destActiveConns, u32(4)),
		attr(destInactConns, u32(5)),
		attr(destPersistConns, u32(6)),
		attr(destAddrFamily, u16(2)),
		stats32(destStats, someStats),
		stats64(destStats64, someStats),
	}
	var out []netlink.Attribute
	for _, a := range as {
		if !drop[a.Type] {
			out = append(out, a)
		}
	}
	return append(out, add...)
}

// kernelDaemon is ip_vs_genl_fill_daemon for a master on eth0 with the
// kernel's defaults.
func kernelDaemon(drop map[uint16]bool) []netlink.Attribute {
	as := []netlink.Attribute{
		attr(daemonState, u32(1)),
		attr(daemonMcastIfn, str("eth0")),
		attr(daemonSyncID, u32(0)),
		attr(daemonSyncMaxLen, u16(1472)),
		attr(daemonMcastPort, u16(8848)),
		attr(daemonMcastTTL, u8(1)),
		attr(daemonMcastGroup, []byte{224, 0, 0, 81}),
	}
	var out []netlink.Attribute
	for _, a := range as {
		if !drop[a.Type] {
			out = append(out, a)
		}
	}
	return out
}

// u16be is a port in network byte order.
func u16be(v uint16) []byte { return binary.BigEndian.AppendUint16(nil, v) }
