package sendarp

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
)

// Style is the kind of gratuitous ARP frame to send.
type Style int

const (
	// Reply is Piranha's gratuitous ARP: an ARP reply (OPER 2),
	// broadcast, whose target is the sender itself (the VIP and its MAC),
	// as RFC 2002 §4.6 describes. Every ARP implementation that caches
	// replies updates its entry for the VIP from it, including the ones
	// that ignore unsolicited requests, so it is the default.
	Reply Style = iota
	// Request is the announcement of RFC 5227 §2.3: an ARP request
	// (OPER 1), broadcast, with target hardware address zero and target
	// IP address the VIP. Some switches and hosts update their caches
	// only from requests.
	Request
)

// String returns the name ParseStyle accepts.
func (s Style) String() string {
	switch s {
	case Reply:
		return "reply"
	case Request:
		return "request"
	}
	return fmt.Sprintf("Style(%d)", int(s))
}

// ParseStyle returns the Style named "reply" or "request".
func ParseStyle(s string) (Style, error) {
	switch s {
	case "reply":
		return Reply, nil
	case "request":
		return Request, nil
	}
	return 0, fmt.Errorf("unknown ARP style %q (want reply or request)", s)
}

// Errors of the frame builders, wrapped with the offending value.
var (
	// ErrHardwareAddr is a hardware address that is not a 6-byte
	// Ethernet (EUI-48) address.
	ErrHardwareAddr = errors.New("not a 6-byte Ethernet address")
	// ErrAddr is an address the frame cannot announce: not IPv4 for
	// ARP; for a Neighbor Advertisement not IPv6, or multicast or
	// unspecified, which RFC 4861 §7.1.2 says receivers drop.
	ErrAddr = errors.New("address cannot be announced")
)

// Ethernet and protocol constants of the frames.
const (
	etherTypeARP  = 0x0806
	etherTypeIPv4 = 0x0800
	etherTypeIPv6 = 0x86dd

	arpHTypeEthernet = 1
	arpOpRequest     = 1
	arpOpReply       = 2

	// ARPFrameLen is the length of an ARP frame: the 42 bytes of
	// Ethernet header and ARP packet, zero padded to Ethernet's minimum
	// of 60 (without the FCS, which the NIC appends), as Piranha sent.
	ARPFrameLen = 60
	// NAFrameLen is the length of a Neighbor Advertisement frame: 14
	// bytes of Ethernet header, 40 of IPv6 header, 24 of NA and 8 of the
	// Target Link-Layer Address option. It needs no padding.
	NAFrameLen = 14 + 40 + 24 + 8

	protoICMPv6          = 58
	icmpv6NeighborAdvert = 136
	naFlagOverride       = 0x20 // in the first byte of the flags word: R 0x80, S 0x40, O 0x20
	ndOptTargetLLAddr    = 2
	ndHopLimit           = 255 // RFC 4861 §7.1.2: receivers drop an NA with any other
)

// broadcast is the Ethernet broadcast address.
var broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// allNodes is ff02::1, the link-local all-nodes group an unsolicited NA
// is sent to (RFC 4861 §7.2.6), and allNodesMAC its Ethernet address
// (33:33 and the group's low 32 bits, RFC 2464 §7).
var (
	allNodes    = netip.AddrFrom16([16]byte{0: 0xff, 1: 0x02, 15: 0x01})
	allNodesMAC = net.HardwareAddr{0x33, 0x33, 0x00, 0x00, 0x00, 0x01}
)

// ARPFrame returns the 60-byte Ethernet frame of a gratuitous ARP that
// announces vip at srcHW, in the given style, to the Ethernet
// destination ethDst (nil: broadcast). The Ethernet source and the ARP
// sender are srcHW and vip; a Reply's target is the sender again, a
// Request's target is the zero MAC and vip. vip must be IPv4 (an
// IPv4-mapped IPv6 address counts as its IPv4 address).
func ARPFrame(style Style, srcHW net.HardwareAddr, vip netip.Addr, ethDst net.HardwareAddr) ([]byte, error) {
	if ethDst == nil {
		ethDst = broadcast
	}
	if err := checkHW(srcHW); err != nil {
		return nil, err
	}
	if err := checkHW(ethDst); err != nil {
		return nil, err
	}
	vip = vip.Unmap()
	if !vip.Is4() {
		return nil, fmt.Errorf("ARP for %v: %w", vip, ErrAddr)
	}
	var op uint16
	var targetHW net.HardwareAddr
	switch style {
	case Reply:
		op, targetHW = arpOpReply, srcHW
	case Request:
		// RFC 5227 §2.3: the target hardware address is ignored and
		// SHOULD be zero.
		op, targetHW = arpOpRequest, make(net.HardwareAddr, 6)
	default:
		return nil, fmt.Errorf("ARP style %v: %w", style, errors.ErrUnsupported)
	}
	ip := vip.As4()
	b := make([]byte, ARPFrameLen) // bytes 42 to 59 stay zero: the padding
	copy(b[0:6], ethDst)
	copy(b[6:12], srcHW)
	binary.BigEndian.PutUint16(b[12:14], etherTypeARP)
	binary.BigEndian.PutUint16(b[14:16], arpHTypeEthernet)
	binary.BigEndian.PutUint16(b[16:18], etherTypeIPv4)
	b[18] = 6 // HLEN
	b[19] = 4 // PLEN
	binary.BigEndian.PutUint16(b[20:22], op)
	copy(b[22:28], srcHW)
	copy(b[28:32], ip[:])
	copy(b[32:38], targetHW)
	copy(b[38:42], ip[:])
	return b, nil
}

// PiranhaFrame returns the frame Piranha's send_arp sends for
// "send_arp src_ip src_hw targ_ip targ_hw": an ARP reply from (srcIP,
// srcHW) whose target is again (srcIP, srcHW), to the Ethernet
// destination targHW. Piranha reads targ_ip and never uses it, and
// uses targ_hw for the Ethernet header only, so neither reaches the ARP
// packet; pulse passes ff:ff:ff:ff:ff:ff, making the frame a broadcast.
func PiranhaFrame(srcIP netip.Addr, srcHW, targHW net.HardwareAddr) ([]byte, error) {
	if targHW == nil {
		// ARPFrame would take nil for broadcast; Piranha has no such
		// default, and nil is a caller's mistake here.
		return nil, fmt.Errorf("target hardware address: %w", ErrHardwareAddr)
	}
	return ARPFrame(Reply, srcHW, srcIP, targHW)
}

// NAFrame returns the Ethernet frame of an unsolicited Neighbor
// Advertisement (RFC 4861 §7.2.6) that announces vip at srcHW: from vip
// to the all-nodes group ff02::1 (Ethernet 33:33:00:00:00:01), hop
// limit 255, Override set and Router and Solicited clear, target vip,
// and a Target Link-Layer Address option carrying srcHW. It is what the
// Linux kernel sends for its own addresses (ndisc_send_unsol_na), except
// that Router is always clear: a director announcing a VIP is not
// advertising itself as a router. A zone on vip is ignored.
func NAFrame(srcHW net.HardwareAddr, vip netip.Addr) ([]byte, error) {
	if err := checkHW(srcHW); err != nil {
		return nil, err
	}
	vip = vip.WithZone("")
	if !vip.Is6() || vip.Is4In6() || vip.IsMulticast() || vip.IsUnspecified() {
		return nil, fmt.Errorf("neighbor advertisement for %v: %w", vip, ErrAddr)
	}
	src, dst := vip.As16(), allNodes.As16()
	b := make([]byte, NAFrameLen)
	// Ethernet.
	copy(b[0:6], allNodesMAC)
	copy(b[6:12], srcHW)
	binary.BigEndian.PutUint16(b[12:14], etherTypeIPv6)
	// IPv6: version 6, traffic class and flow label zero.
	ip := b[14:54]
	ip[0] = 6 << 4
	binary.BigEndian.PutUint16(ip[4:6], NAFrameLen-54) // payload length
	ip[6] = protoICMPv6
	ip[7] = ndHopLimit
	copy(ip[8:24], src[:])
	copy(ip[24:40], dst[:])
	// ICMPv6 Neighbor Advertisement: type, code, checksum, flags and
	// reserved, target; then the option (type, length in units of 8
	// bytes, the MAC).
	icmp := b[54:]
	icmp[0] = icmpv6NeighborAdvert
	icmp[4] = naFlagOverride
	copy(icmp[8:24], src[:])
	icmp[24] = ndOptTargetLLAddr
	icmp[25] = 1
	copy(icmp[26:32], srcHW)
	binary.BigEndian.PutUint16(icmp[2:4], icmpv6Checksum(src, dst, icmp))
	return b, nil
}

// icmpv6Checksum is the checksum of an ICMPv6 message (RFC 4443 §2.3):
// the one's complement of the one's complement sum over the IPv6
// pseudo-header (RFC 8200 §8.1: source, destination, upper-layer length,
// three zero bytes and next header 58) and the message, whose checksum
// field must be zero.
func icmpv6Checksum(src, dst [16]byte, msg []byte) uint16 {
	var sum uint32
	add := func(b []byte) {
		for len(b) >= 2 {
			sum += uint32(b[0])<<8 | uint32(b[1])
			b = b[2:]
		}
		if len(b) == 1 {
			sum += uint32(b[0]) << 8
		}
	}
	add(src[:])
	add(dst[:])
	var tail [8]byte
	binary.BigEndian.PutUint32(tail[0:4], uint32(len(msg)))
	tail[7] = protoICMPv6
	add(tail[:])
	add(msg)
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	return ^uint16(sum)
}

// checkHW accepts a 6-byte Ethernet address: the frames have room for
// nothing else.
func checkHW(hw net.HardwareAddr) error {
	if len(hw) != 6 {
		return fmt.Errorf("hardware address %q: %w", hw.String(), ErrHardwareAddr)
	}
	return nil
}
