package netlink

import (
	"net/netip"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"

	"lvskit/internal/ipvs"
)

// BenchmarkDests is one destination dump of four servers as ipvsadm -S
// makes it per service, minus the kernel: encode, exchange, decode.
func BenchmarkDests(b *testing.B) {
	reply := genetlink.Message{Header: genetlink.Header{Command: cmdNewDest, Version: familyVersion}, Data: marshal(knest(attrDest, kernelDest(nil)...))}
	msgs := []genetlink.Message{reply, reply, reply, reply}
	c := testClient(b, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return msgs, nil })
	k := ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.0.0.1"), 80)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Dests(k); err != nil {
			b.Fatal(err)
		}
	}
}
