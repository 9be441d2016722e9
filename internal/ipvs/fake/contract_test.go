package fake_test

import (
	"net/netip"
	"testing"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
	"lvskit/internal/ipvs/ipvstest"
)

// harness runs the contract suite on fresh fake tables.
type harness struct{}

func (harness) Open(t *testing.T) ipvs.Table {
	tb, err := fake.New().Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tb.Close() })
	return tb
}

// Traffic counts one connection to vip, as a client would cause.
func (harness) Traffic(t *testing.T, tb ipvs.Table, vip netip.AddrPort) {
	t.Helper()
	if err := tb.(*fake.Table).Connect(ipvs.TCP, vip); err != nil {
		t.Fatal(err)
	}
}

func (harness) SetStats(t *testing.T, tb ipvs.Table, svc ipvs.ServiceKey, dest *ipvs.DestKey, s ipvs.Stats) bool {
	t.Helper()
	ft := tb.(*fake.Table)
	var err error
	if dest == nil {
		err = ft.SetServiceStats(svc, s)
	} else {
		err = ft.SetDestStats(svc, *dest, s)
	}
	if err != nil {
		t.Fatal(err)
	}
	return true
}

func TestContract(t *testing.T) {
	ipvstest.Run(t, harness{})
}
