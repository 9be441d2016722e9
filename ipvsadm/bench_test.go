package ipvsadm

import (
	"fmt"
	"io"
	"net/netip"
	"testing"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
)

// BenchmarkSaveLarge is ipvsadm -Sn of 5,000 services with four real
// servers each, over the fake table: everything but the kernel.
func BenchmarkSaveLarge(b *testing.B) { benchLarge(b, "-Sn") }

// BenchmarkListLarge is ipvsadm -Ln of the same table.
func BenchmarkListLarge(b *testing.B) { benchLarge(b, "-Ln") }

func benchLarge(b *testing.B, cmd string) {
	ft := fake.New()
	for i := range 5000 {
		k := ipvs.AddrKey(ipvs.TCP, netip.AddrFrom4([4]byte{10, byte(i / 250), byte(i % 250), 1}), 80)
		if err := ft.AddService(ipvs.Service{ServiceKey: k, Scheduler: "wlc", Netmask: 0xffffffff}); err != nil {
			b.Fatal(err)
		}
		for d := range 4 {
			dest := ipvs.Dest{Addr: netip.AddrFrom4([4]byte{172, 16, byte(i / 250), byte(i%250 + d + 1)}), Port: 8080, Fwd: ipvs.Masq, Weight: int32(d + 1)}
			if err := ft.AddDest(k, dest); err != nil {
				b.Fatal(err)
			}
		}
	}
	env := &Env{Stdout: io.Discard, Stderr: io.Discard, Open: ft.Open, Resolver: &SystemResolver{}}
	b.ReportAllocs()
	for b.Loop() {
		if st := env.Run([]string{"ipvsadm", cmd}); st != 0 {
			b.Fatal(fmt.Sprint("status ", st))
		}
	}
}
