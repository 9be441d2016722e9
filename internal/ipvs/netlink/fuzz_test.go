package netlink

import (
	"errors"
	"syscall"
	"testing"

	"lvskit/internal/ipvs"
)

// The decoders read what a kernel, or anything able to impersonate one on a
// netlink socket, sends. Whatever the bytes, they must return an error
// wrapping EINVAL or a value that keeps the ipvs package's conventions,
// never panic. The seed corpus is in testdata/fuzz; the seeds below are
// the kernel-shaped replies of the wire tests.

func fuzzErr(t *testing.T, err error) {
	if err != nil && !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("error %v does not wrap EINVAL", err)
	}
}

func FuzzDecodeService(f *testing.F) {
	f.Add(marshal(kernelService(0, nil)...))
	f.Add(marshal(kernelService(7, nil)...))
	f.Add(marshal(kernelService(0, map[uint16]bool{svcStats64: true})...))
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := decodeService(b)
		fuzzErr(t, err)
		if err != nil {
			return
		}
		if err := s.Key().Validate(); err != nil {
			t.Fatalf("decoded an invalid key %+v: %v", s.Key(), err)
		}
	})
}

func FuzzDecodeDest(f *testing.F) {
	f.Add(marshal(kernelDest(nil)...), uint16(ipvs.INET))
	f.Add(marshal(kernelDest(map[uint16]bool{destAddrFamily: true})...), uint16(ipvs.INET6))
	f.Fuzz(func(t *testing.T, b []byte, family uint16) {
		d, err := decodeDest(b, ipvs.Family(family))
		fuzzErr(t, err)
		if err == nil && !d.Addr.IsValid() {
			t.Fatalf("decoded a destination without an address: %+v", d)
		}
	})
}

func FuzzDecodeDaemon(f *testing.F) {
	f.Add(marshal(kernelDaemon(nil)...))
	f.Add(marshal(kernelDaemon(map[uint16]bool{daemonMcastGroup: true})...))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeDaemon(b)
		fuzzErr(t, err)
	})
}

func FuzzDecodeStats(f *testing.F) {
	f.Add(stats32(0, someStats).Data, false)
	f.Add(stats64(0, someStats).Data, true)
	f.Fuzz(func(t *testing.T, b []byte, wide bool) {
		_, err := decodeStats("stats", b, wide)
		fuzzErr(t, err)
	})
}

// FuzzDecodeInfo covers the two replies without a nest, GET_INFO and
// GET_CONFIG.
func FuzzDecodeInfo(f *testing.F) {
	f.Add(marshal(attr(infoVersion, u32(0x010201)), attr(infoConnTabSize, u32(4096))))
	f.Add(marshal(attr(attrTimeoutTCP, u32(900)), attr(attrTimeoutTCPFin, u32(120)), attr(attrTimeoutUDP, u32(300))))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, err := decodeInfo(b)
		fuzzErr(t, err)
		_, err = decodeTimeouts(b)
		fuzzErr(t, err)
	})
}
