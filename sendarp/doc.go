// Package sendarp announces that an address has moved to this host: a
// gratuitous ARP for an IPv4 address, an unsolicited Neighbor
// Advertisement for an IPv6 one. pulse calls it when it takes over a
// virtual IP, and the send_arp command (Main) is Piranha's send_arp with
// the same command line.
//
// The package has two halves. The frame builders (ARPFrame,
// PiranhaFrame, NAFrame) are pure: they return complete Ethernet frames,
// byte for byte what goes on the wire, and are golden-tested as hex. The
// Sender writes such frames on one interface through AF_PACKET sockets,
// and Announce ties the two together: Count frames, Interval apart.
//
// Transmission uses github.com/mdlayher/packet, the AF_PACKET transport
// under github.com/mdlayher/arp, rather than arp.Client itself, because
//   - arp.Dial and arp.New refuse an interface without an IPv4 address,
//     and neither Piranha's send_arp nor an IPv6 announcement needs one
//     (pulse may announce before the address is up, or on an IPv6-only
//     link);
//   - arp.Client.WriteTo builds the frame itself from an arp.Packet, so
//     what it sent would not be the golden-tested bytes, and it has no
//     way to send the IPv6 Neighbor Advertisement at all.
//
// The tests use mdlayher/arp's parser to check the ARP frames
// independently of the builders.
package sendarp
