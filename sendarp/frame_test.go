package sendarp

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net"
	"net/netip"
	"strings"
	"testing"

	"github.com/mdlayher/arp"
	"github.com/mdlayher/ethernet"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv6"
)

// The addresses of the golden frames; the veth test gives its sending
// interface testMAC, so that what it captures must equal these bytes.
var (
	testMAC  = net.HardwareAddr{0x02, 0x00, 0x00, 0x00, 0x5a, 0x01}
	testVIP4 = netip.MustParseAddr("192.0.2.10")
	testVIP6 = netip.MustParseAddr("2001:db8::10")
)

// Golden frames, written field by field. Each is what the frame
// builders must return and what the veth test must capture.
var (
	// ARPFrame(Reply, testMAC, testVIP4, nil): Piranha's frame as pulse
	// has send_arp send it.
	goldenReply = unhex(`
		ffffffffffff 020000005a01 0806   Ethernet: broadcast, from testMAC, ARP
		0001 0800 06 04 0002              Ethernet/IPv4, HLEN 6, PLEN 4, OPER 2 (reply)
		020000005a01 c000020a             sender: testMAC, 192.0.2.10
		020000005a01 c000020a             target: the sender again
		000000000000000000000000000000000000   padding to 60 bytes`)
	// ARPFrame(Request, testMAC, testVIP4, nil): RFC 5227 announcement.
	goldenRequest = unhex(`
		ffffffffffff 020000005a01 0806
		0001 0800 06 04 0001              OPER 1 (request)
		020000005a01 c000020a             sender: testMAC, 192.0.2.10
		000000000000 c000020a             target: zero MAC, 192.0.2.10
		000000000000000000000000000000000000`)
	// NAFrame(testMAC, testVIP6). The checksum was computed by hand
	// (a separate script) and is checked again with x/net/icmp below.
	goldenNA = unhex(`
		333300000001 020000005a01 86dd    Ethernet: all-nodes group, from testMAC, IPv6
		60000000 0020 3a ff               version 6, payload 32, next header ICMPv6, hop limit 255
		20010db8000000000000000000000010  source: 2001:db8::10
		ff020000000000000000000000000001  destination: ff02::1
		88 00 9f0c                        type 136 (NA), code 0, checksum
		20000000                          flags: Override
		20010db8000000000000000000000010  target: 2001:db8::10
		02 01 020000005a01                option: target link-layer address, 8 bytes, testMAC`)
)

// unhex decodes hex digits grouped by spaces, one field group a line;
// words after the hex of a line are a comment.
func unhex(s string) []byte {
	var digits strings.Builder
	for _, line := range strings.Split(s, "\n") {
		for _, w := range strings.Fields(line) {
			if strings.Trim(w, "0123456789abcdef") != "" {
				break // the comment
			}
			digits.WriteString(w)
		}
	}
	b, err := hex.DecodeString(digits.String())
	if err != nil {
		panic(err)
	}
	return b
}

func TestARPFrameGolden(t *testing.T) {
	for _, tc := range []struct {
		name  string
		style Style
		vip   netip.Addr
		dst   net.HardwareAddr
		want  []byte
	}{
		{"reply", Reply, testVIP4, nil, goldenReply},
		{"request", Request, testVIP4, nil, goldenRequest},
		{"reply to explicit broadcast", Reply, testVIP4, broadcast, goldenReply},
		{"v4-mapped VIP", Reply, netip.MustParseAddr("::ffff:192.0.2.10"), nil, goldenReply},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ARPFrame(tc.style, testMAC, tc.vip, tc.dst)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got, tc.want) {
				t.Errorf("frame\n got %x\nwant %x", got, tc.want)
			}
			if len(got) != ARPFrameLen {
				t.Errorf("length %d, want %d", len(got), ARPFrameLen)
			}
		})
	}
}

// The ARP frames as mdlayher/arp and mdlayher/ethernet read them: an
// independent check of the field layout.
func TestARPFrameParses(t *testing.T) {
	zero := make(net.HardwareAddr, 6)
	for _, tc := range []struct {
		name     string
		frame    []byte
		op       arp.Operation
		targetHW net.HardwareAddr
	}{
		{"reply", goldenReply, arp.OperationReply, testMAC},
		{"request", goldenRequest, arp.OperationRequest, zero},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var f ethernet.Frame
			if err := f.UnmarshalBinary(tc.frame); err != nil {
				t.Fatal(err)
			}
			if f.EtherType != ethernet.EtherTypeARP || !bytes.Equal(f.Destination, broadcast) || !bytes.Equal(f.Source, testMAC) {
				t.Errorf("ethernet header: dst %v src %v type %v", f.Destination, f.Source, f.EtherType)
			}
			var p arp.Packet
			if err := p.UnmarshalBinary(f.Payload); err != nil {
				t.Fatal(err)
			}
			if p.HardwareType != 1 || p.ProtocolType != uint16(ethernet.EtherTypeIPv4) || p.Operation != tc.op {
				t.Errorf("htype %d ptype %#x op %v", p.HardwareType, p.ProtocolType, p.Operation)
			}
			if !bytes.Equal(p.SenderHardwareAddr, testMAC) || p.SenderIP != testVIP4 ||
				!bytes.Equal(p.TargetHardwareAddr, tc.targetHW) || p.TargetIP != testVIP4 {
				t.Errorf("sender %v %v, target %v %v", p.SenderHardwareAddr, p.SenderIP, p.TargetHardwareAddr, p.TargetIP)
			}
		})
	}
}

// Piranha's frame, checked against the table of piranha-reference.md
// §5.2 offset by offset, for "send_arp 10.0.0.1 00:11:22:33:44:55
// 10.0.0.255 01:02:03:04:05:06": targ_ip appears nowhere, targ_hw only
// as the Ethernet destination.
func TestPiranhaFrame(t *testing.T) {
	srcIP := netip.MustParseAddr("10.0.0.1")
	srcHW := net.HardwareAddr{0x00, 0x11, 0x22, 0x33, 0x44, 0x55}
	targHW := net.HardwareAddr{0x01, 0x02, 0x03, 0x04, 0x05, 0x06}
	got, err := PiranhaFrame(srcIP, srcHW, targHW)
	if err != nil {
		t.Fatal(err)
	}
	want := unhex(`
		010203040506 001122334455 0806
		0001 0800 06 04 0002
		001122334455 0a000001
		001122334455 0a000001
		000000000000000000000000000000000000`)
	if !bytes.Equal(got, want) {
		t.Errorf("frame\n got %x\nwant %x", got, want)
	}
	for _, f := range []struct {
		from, to int
		field    string
		want     []byte
	}{
		{0, 6, "Ethernet destination = targ_hw", targHW},
		{6, 12, "Ethernet source = src_hw", srcHW},
		{12, 14, "EtherType 0x0806", []byte{0x08, 0x06}},
		{14, 16, "HTYPE 1", []byte{0, 1}},
		{16, 18, "PTYPE 0x0800", []byte{0x08, 0x00}},
		{18, 19, "HLEN 6", []byte{6}},
		{19, 20, "PLEN 4", []byte{4}},
		{20, 22, "OPER 2 (reply)", []byte{0, 2}},
		{22, 28, "sender HW = src_hw", srcHW},
		{28, 32, "sender IP = src_ip", []byte{10, 0, 0, 1}},
		{32, 38, "target HW = src_hw (not targ_hw)", srcHW},
		{38, 42, "target IP = src_ip (not targ_ip)", []byte{10, 0, 0, 1}},
		{42, 60, "padding", make([]byte, 18)},
	} {
		if !bytes.Equal(got[f.from:f.to], f.want) {
			t.Errorf("bytes %d-%d, %s: %x", f.from, f.to-1, f.field, got[f.from:f.to])
		}
	}
	if len(got) != 60 {
		t.Errorf("length %d, want 60", len(got))
	}
	// The CLI's default frame is this one: ARPFrame in the reply style
	// to the same destination.
	if alt, _ := ARPFrame(Reply, srcHW, srcIP, targHW); !bytes.Equal(alt, got) {
		t.Errorf("ARPFrame(Reply) %x differs from PiranhaFrame", alt)
	}
}

func TestNAFrameGolden(t *testing.T) {
	got, err := NAFrame(testMAC, testVIP6)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, goldenNA) {
		t.Errorf("frame\n got %x\nwant %x", got, goldenNA)
	}
	if len(got) != NAFrameLen {
		t.Errorf("length %d, want %d", len(got), NAFrameLen)
	}
	// A zone does not reach the frame.
	if z, _ := NAFrame(testMAC, testVIP6.WithZone("eth0")); !bytes.Equal(z, goldenNA) {
		t.Errorf("with a zone: %x", z)
	}
}

// The NA as golang.org/x/net reads it, and its checksum as x/net/icmp
// computes it from the pseudo-header: independent of icmpv6Checksum.
func TestNAFrameIndependently(t *testing.T) {
	vip := netip.MustParseAddr("fe80::1:2ff:fe00:5a01")
	hw := net.HardwareAddr{0x02, 0xaa, 0xbb, 0xcc, 0xdd, 0xee}
	for _, tc := range []struct {
		hw  net.HardwareAddr
		vip netip.Addr
	}{{testMAC, testVIP6}, {hw, vip}, {hw, netip.MustParseAddr("2001:db8:ffff:ffff:ffff:ffff:ffff:ffff")}} {
		frame, err := NAFrame(tc.hw, tc.vip)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(frame[0:6], []byte{0x33, 0x33, 0, 0, 0, 1}) || !bytes.Equal(frame[6:12], tc.hw) || frame[12] != 0x86 || frame[13] != 0xdd {
			t.Errorf("%v: ethernet header %x", tc.vip, frame[:14])
		}
		h, err := ipv6.ParseHeader(frame[14:54])
		if err != nil {
			t.Fatal(err)
		}
		if h.Version != 6 || h.TrafficClass != 0 || h.FlowLabel != 0 || h.PayloadLen != 32 || h.NextHeader != 58 || h.HopLimit != 255 ||
			!h.Src.Equal(net.IP(tc.vip.AsSlice())) || !h.Dst.Equal(net.ParseIP("ff02::1")) {
			t.Errorf("%v: IPv6 header %+v", tc.vip, h)
		}
		msg := frame[54:]
		m, err := icmp.ParseMessage(58, msg)
		if err != nil {
			t.Fatal(err)
		}
		if m.Type != ipv6.ICMPTypeNeighborAdvertisement || m.Code != 0 {
			t.Errorf("%v: ICMPv6 type %v code %d", tc.vip, m.Type, m.Code)
		}
		// Recompute the checksum over the message with its checksum
		// field zeroed.
		body := append([]byte(nil), msg[4:]...)
		re := &icmp.Message{Type: ipv6.ICMPTypeNeighborAdvertisement, Body: &icmp.RawBody{Data: body}}
		want, err := re.Marshal(icmp.IPv6PseudoHeader(h.Src, h.Dst))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(msg, want) {
			t.Errorf("%v: ICMPv6 message\n got %x\nwant %x (checksum by x/net/icmp)", tc.vip, msg, want)
		}
		// Flags: Override only; target; the option.
		if msg[4] != 0x20 || msg[5] != 0 || msg[6] != 0 || msg[7] != 0 {
			t.Errorf("%v: flags %x, want Override only", tc.vip, msg[4:8])
		}
		if a, _ := netip.AddrFromSlice(msg[8:24]); a != tc.vip {
			t.Errorf("%v: target %v", tc.vip, a)
		}
		if msg[24] != 2 || msg[25] != 1 || !bytes.Equal(msg[26:32], tc.hw) {
			t.Errorf("%v: option %x", tc.vip, msg[24:])
		}
	}
}

func TestFrameErrors(t *testing.T) {
	short := net.HardwareAddr{1, 2, 3, 4, 5}
	long := net.HardwareAddr{1, 2, 3, 4, 5, 6, 7, 8}
	for _, tc := range []struct {
		name string
		call func() ([]byte, error)
		want error
	}{
		{"ARP short MAC", func() ([]byte, error) { return ARPFrame(Reply, short, testVIP4, nil) }, ErrHardwareAddr},
		{"ARP long MAC", func() ([]byte, error) { return ARPFrame(Reply, long, testVIP4, nil) }, ErrHardwareAddr},
		{"ARP no MAC", func() ([]byte, error) { return ARPFrame(Reply, nil, testVIP4, nil) }, ErrHardwareAddr},
		{"ARP short destination", func() ([]byte, error) { return ARPFrame(Reply, testMAC, testVIP4, short) }, ErrHardwareAddr},
		{"ARP for IPv6", func() ([]byte, error) { return ARPFrame(Reply, testMAC, testVIP6, nil) }, ErrAddr},
		{"ARP for nothing", func() ([]byte, error) { return ARPFrame(Request, testMAC, netip.Addr{}, nil) }, ErrAddr},
		{"ARP unknown style", func() ([]byte, error) { return ARPFrame(Style(7), testMAC, testVIP4, nil) }, errors.ErrUnsupported},
		{"Piranha without target", func() ([]byte, error) { return PiranhaFrame(testVIP4, testMAC, nil) }, ErrHardwareAddr},
		{"NA short MAC", func() ([]byte, error) { return NAFrame(short, testVIP6) }, ErrHardwareAddr},
		{"NA for IPv4", func() ([]byte, error) { return NAFrame(testMAC, testVIP4) }, ErrAddr},
		{"NA for v4-mapped", func() ([]byte, error) { return NAFrame(testMAC, netip.MustParseAddr("::ffff:192.0.2.10")) }, ErrAddr},
		{"NA for multicast", func() ([]byte, error) { return NAFrame(testMAC, netip.MustParseAddr("ff02::1")) }, ErrAddr},
		{"NA for ::", func() ([]byte, error) { return NAFrame(testMAC, netip.IPv6Unspecified()) }, ErrAddr},
		{"NA for nothing", func() ([]byte, error) { return NAFrame(testMAC, netip.Addr{}) }, ErrAddr},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := tc.call()
			if !errors.Is(err, tc.want) || b != nil {
				t.Errorf("got %x, %v; want error %v", b, err, tc.want)
			}
		})
	}
}

func TestStyle(t *testing.T) {
	for _, s := range []Style{Reply, Request} {
		got, err := ParseStyle(s.String())
		if err != nil || got != s {
			t.Errorf("ParseStyle(%q) = %v, %v", s.String(), got, err)
		}
	}
	for _, bad := range []string{"", "Reply", "REQUEST", "gratuitous", "reply "} {
		if _, err := ParseStyle(bad); err == nil {
			t.Errorf("ParseStyle(%q) accepted", bad)
		}
	}
	if Style(0) != Reply {
		t.Error("the zero Style must be Reply, Piranha's and Options' default")
	}
	if s := Style(9).String(); s != "Style(9)" {
		t.Errorf("String of an unknown style: %q", s)
	}
}
