package netlink

import (
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
)

// BenchmarkServicesDump measures a listing of 5,000 services as ipvsadm
// -L makes it, minus the kernel: one dump, decoded.
func BenchmarkServicesDump(b *testing.B) {
	msgs := manyServices(5000)
	c := testClient(b, func(genetlink.Message, netlink.Message) ([]genetlink.Message, error) { return msgs, nil })
	b.ReportAllocs()
	for b.Loop() {
		if _, err := c.Services(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeService is the per-message cost of a service dump.
func BenchmarkDecodeService(b *testing.B) {
	msg := manyServices(1)[0].Data
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeServiceMsg(msg); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeDest is the per-message cost of a destination dump.
func BenchmarkDecodeDest(b *testing.B) {
	msg := marshal(knest(attrDest, kernelDest(nil)...))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := decodeDestMsg(msg, 2); err != nil {
			b.Fatal(err)
		}
	}
}
