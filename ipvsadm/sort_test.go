package ipvsadm

import (
	"fmt"
	"math/rand/v2"
	"net/netip"
	"reflect"
	"slices"
	"testing"

	"lvskit/internal/ipvs"
)

// The captured orders of the reference (scenario 2): wrapping address
// differences put 192.168.100.200 before 1.0.0.1 and 200.0.0.1 before
// 1.0.0.2, and a fwmark of 2^31 or more before everything.
func TestSortCapturedOrders(t *testing.T) {
	es := listSorted(listScenario2())
	var got []string
	for _, e := range es {
		got = append(got, e.Service.Key().String())
	}
	want := []string{
		"FWM 4000000000 (inet)", "TCP 192.168.100.200:8990", "TCP 1.0.0.1:80",
		"TCP 100.0.0.1:80", "TCP 200.0.0.1:80", "FWM 1 (inet)", "FWM 3 (inet)",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("services:\n got %q\nwant %q", got, want)
	}
	var dests []string
	for _, d := range es[2].Dests {
		dests = append(dests, d.Key().String())
	}
	if want := []string{"200.0.0.1:80", "1.0.0.2:80", "100.0.0.1:80"}; !reflect.DeepEqual(dests, want) {
		t.Errorf("dests:\n got %q\nwant %q", dests, want)
	}
}

// The comparators' wrapping rules, one at a time.
func TestCompareServices(t *testing.T) {
	svc := func(proto ipvs.Protocol, a string, port uint16) ipvs.Service {
		return ipvs.Service{ServiceKey: ipvs.AddrKey(proto, netip.MustParseAddr(a), port)}
	}
	fwm := func(f ipvs.Family, m uint32) ipvs.Service { return ipvs.Service{ServiceKey: ipvs.FwmarkKey(f, m)} }
	tests := []struct {
		name string
		a, b ipvs.Service
		less bool
	}{
		{"small fwmark after address services", fwm(ipvs.INET, 1), svc(ipvs.TCP, "10.0.0.1", 80), false},
		{"fwmark 2^31 before address services", fwm(ipvs.INET, 1<<31), svc(ipvs.TCP, "10.0.0.1", 80), true},
		{"fwmark 4000000000 before fwmark 1", fwm(ipvs.INET, 4000000000), fwm(ipvs.INET, 1), true},
		{"fwmark 2^31 after fwmark 1 (difference 2^31-1)", fwm(ipvs.INET, 1<<31), fwm(ipvs.INET, 1), false},
		{"fwmark 2^31-1 after fwmark 0x7ffffffe", fwm(ipvs.INET, 1<<31-1), fwm(ipvs.INET, 1<<31-2), false},
		{"same fwmark: IPv4 first", fwm(ipvs.INET, 5), fwm(ipvs.INET6, 5), true},
		{"IPv4 before IPv6", svc(ipvs.SCTP, "255.255.255.255", 9), svc(ipvs.TCP, "::1", 1), true},
		{"TCP before UDP before SCTP", svc(ipvs.TCP, "200.0.0.1", 80), svc(ipvs.UDP, "1.0.0.1", 80), true},
		{"UDP before SCTP", svc(ipvs.UDP, "200.0.0.1", 80), svc(ipvs.SCTP, "1.0.0.1", 80), true},
		{"10.x after 192.168.x (wraps)", svc(ipvs.TCP, "10.0.0.1", 80), svc(ipvs.TCP, "192.168.0.1", 80), false},
		{"10.x before 100.x", svc(ipvs.TCP, "10.0.0.1", 80), svc(ipvs.TCP, "100.0.0.1", 80), true},
		{"IPv6 second word decides", svc(ipvs.TCP, "2001:db8::1", 80), svc(ipvs.TCP, "2001:db9::", 80), true},
		{"IPv6 words wrap", svc(ipvs.TCP, "::1", 80), svc(ipvs.TCP, "ffff::", 80), false},
		{"port last, no wrap", svc(ipvs.TCP, "10.0.0.1", 1), svc(ipvs.TCP, "10.0.0.1", 65535), true},
	}
	for _, tt := range tests {
		if got := cmpServices(&tt.a, &tt.b) < 0; got != tt.less {
			t.Errorf("%s: cmp(%v, %v) < 0 = %v", tt.name, tt.a.Key(), tt.b.Key(), got)
		}
	}
}

// Destinations are compared in the family of the left one only.
func TestCompareDestsLeftFamily(t *testing.T) {
	d := func(a string, port uint16) ipvs.Dest { return ipvs.Dest{Addr: netip.MustParseAddr(a), Port: port} }
	v4, v6 := d("32.1.13.185", 80), d("2001:db8::1", 80)
	// As IPv4, the left address 0x20010db9 against the IPv6 address's
	// first word 0x20010db8: greater.
	if r := cmpDests(&v4, &v6); r <= 0 {
		t.Errorf("IPv4 left: %d, want > 0", r)
	}
	// As IPv6, the right IPv4 address is the words {0x20010db9, 0, 0, 0}.
	if r := cmpDests(&v6, &v4); r >= 0 {
		t.Errorf("IPv6 left: %d, want < 0", r)
	}
	same4, same6 := d("32.1.13.184", 8080), d("2001:db8::", 80)
	// Equal first words: the IPv4 comparison goes on to the ports.
	if r := cmpDests(&same4, &same6); r != 8000 {
		t.Errorf("IPv4 left, equal first word: %d, want 8000", r)
	}
}

// mergeSort must make glibc's comparisons in glibc's order: that order is
// what a non-transitive comparator's result depends on.
func TestMergeSortComparisonOrder(t *testing.T) {
	a := []int{0, 1, 2, 3, 4}
	var calls []string
	mergeSort(a, func(x, y *int) int32 {
		calls = append(calls, fmt.Sprintf("%d-%d", *x, *y))
		return 1 // every right element goes first
	})
	// msort(0 1 | 2 3 4): msort(0 | 1), msort(2 | 3 4) with msort(3 | 4),
	// then the merges.
	want := []string{"0-1", "3-4", "2-4", "2-3", "1-4", "1-3", "1-2"}
	if !reflect.DeepEqual(calls, want) {
		t.Errorf("comparisons:\n got %v\nwant %v", calls, want)
	}
	if want := []int{4, 3, 2, 1, 0}; !reflect.DeepEqual(a, want) {
		t.Errorf("result %v, want %v", a, want)
	}

	// Ties keep their order (left first on cmp == 0).
	b := []int{3, 1, 2, 0}
	mergeSort(b, func(x, y *int) int32 { return 0 })
	if want := []int{3, 1, 2, 0}; !reflect.DeepEqual(b, want) {
		t.Errorf("ties reordered: %v", b)
	}
}

// mergeSort sorts long lists through pointers and short ones in place;
// both make exactly the comparisons, and give exactly the order, of the
// plain merge sort, also with a comparator that wraps as ipvsadm's do.
func TestMergeSortPointersSameAsPlain(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	type elem struct {
		v   uint32
		pad [40]byte // larger than a pointer, as a service is
	}
	for n := 0; n <= 3*shortSort+5; n++ {
		for range 20 {
			a := make([]elem, n)
			for i := range a {
				a[i].v = rng.Uint32()
				a[i].pad[0] = byte(i)
			}
			b := slices.Clone(a)
			var callsA, callsB []uint64
			cmp := func(calls *[]uint64) func(x, y *elem) int32 {
				return func(x, y *elem) int32 {
					*calls = append(*calls, uint64(x.v)<<32|uint64(y.v))
					return int32(x.v - y.v)
				}
			}
			mergeSort(a, cmp(&callsA))
			if n > 1 {
				msort(b, make([]elem, n), cmp(&callsB))
			}
			if !slices.Equal(a, b) || !slices.Equal(callsA, callsB) {
				t.Fatalf("n=%d: mergeSort differs from the plain merge sort", n)
			}
		}
	}
}

type sortCase struct {
	fwmark uint32
	family ipvs.Family
	proto  ipvs.Protocol
	addr   string
	port   uint16
}

type destCase struct {
	addr string
	port uint16
}

// The expected orders below were produced by glibc 2.36's qsort (Debian
// bookworm) with C comparators written like ipvsadm's, on entries larger
// than 32 bytes as ipvsadm's are (glibc then sorts pointers, in the same
// merge order). During development the same check ran on 3000 random
// tables without a difference.
func TestSortMatchesGlibc(t *testing.T) {
	services := []struct {
		in   []sortCase
		want []int
	}{
		{[]sortCase{
			{0, ipvs.INET, 6, "0.0.0.1", 160},
			{1677721601, ipvs.INET6, 0, "", 0},
			{1, ipvs.INET, 0, "", 0},
			{3232235521, ipvs.INET, 0, "", 0},
			{2147483647, ipvs.INET, 0, "", 0},
			{0, ipvs.INET, 17, "0.0.0.0", 0},
			{2, ipvs.INET6, 0, "", 0},
			{0, ipvs.INET, 132, "200.0.0.1", 0},
			{1677721601, ipvs.INET, 0, "", 0},
			{16777217, ipvs.INET6, 0, "", 0},
			{0, ipvs.INET, 132, "255.255.255.255", 80},
			{0, ipvs.INET, 17, "128.0.0.0", 0},
			{0, ipvs.INET, 6, "0.0.0.1", 160},
		}, []int{3, 0, 12, 5, 11, 7, 10, 2, 6, 9, 8, 1, 4}},
		{[]sortCase{
			{0, ipvs.INET, 132, "10.0.0.1", 80},
			{0, ipvs.INET6, 132, "ffff:ffff:0:2:8000:1:0:2", 80},
			{0, ipvs.INET, 6, "192.168.0.1", 160},
			{0, ipvs.INET, 17, "1.0.0.1", 80},
			{0, ipvs.INET, 17, "0.0.0.1", 0},
			{0, ipvs.INET, 132, "0.0.0.1", 0},
			{0, ipvs.INET, 132, "200.0.0.1", 80},
			{0, ipvs.INET, 132, "128.0.0.1", 0},
			{0, ipvs.INET, 132, "0.0.0.1", 80},
			{2147483648, ipvs.INET6, 0, "", 0},
			{0, ipvs.INET, 17, "0.0.0.1", 0},
			{0, ipvs.INET, 6, "255.255.255.255", 160},
			{0, ipvs.INET, 17, "200.0.0.1", 80},
		}, []int{2, 4, 3, 5, 0, 7, 6, 8, 1, 9, 11, 12, 10}},
		{[]sortCase{
			{2, ipvs.INET6, 0, "", 0},
			{167772161, ipvs.INET, 0, "", 0},
			{0, ipvs.INET6, 17, "c0a8:1:8000:1:6400:1:6400:1", 80},
			{0, ipvs.INET, 132, "100.0.0.1", 160},
			{0, ipvs.INET6, 132, "c0a8:1:ffff:ffff:ffff:ffff:ffff:ffff", 80},
			{3355443201, ipvs.INET, 0, "", 0},
			{2147483647, ipvs.INET, 0, "", 0},
			{0, ipvs.INET6, 6, "6400:1:0:2:c0a8:1:0:1", 80},
			{0, ipvs.INET6, 6, "6400:1:ffff:ffff:0:2:c800:1", 80},
			{0, ipvs.INET, 17, "0.0.0.1", 0},
			{0, ipvs.INET, 17, "10.0.0.1", 80},
			{0, ipvs.INET6, 132, "8000:1:100:1:8000:0:a00:1", 160},
		}, []int{5, 9, 10, 3, 8, 7, 2, 11, 4, 0, 1, 6}},
		{[]sortCase{
			{0, ipvs.INET6, 132, "8000:1:0:2:100:1:c0a8:1", 0},
			{0, ipvs.INET6, 132, "0:1:100:1:8000:0:c0a8:1", 80},
			{0, ipvs.INET, 6, "192.168.0.1", 160},
			{0, ipvs.INET, 6, "100.0.0.1", 0},
			{0, ipvs.INET, 132, "127.255.255.255", 0},
			{0, ipvs.INET, 6, "0.0.0.0", 80},
			{0, ipvs.INET6, 132, "8000:1:a00:1:100:1:8000:1", 80},
			{1, ipvs.INET6, 0, "", 0},
			{0, ipvs.INET, 132, "0.0.0.0", 80},
			{0, ipvs.INET, 132, "0.0.0.1", 160},
			{4294967295, ipvs.INET, 0, "", 0},
			{0, ipvs.INET6, 132, "8000:1:0:1:100:1:ffff:ffff", 80},
		}, []int{10, 2, 5, 3, 8, 9, 4, 11, 0, 1, 6, 7}},
	}
	for n, tc := range services {
		ss := make([]ipvs.Service, len(tc.in))
		for i, c := range tc.in {
			ss[i] = ipvs.Service{ServiceKey: ipvs.ServiceKey{Family: c.family, Protocol: c.proto, Port: c.port, Fwmark: c.fwmark}, Timeout: uint32(i)}
			if c.addr != "" {
				ss[i].Addr = netip.MustParseAddr(c.addr)
			}
		}
		SortServices(ss)
		got := make([]int, len(ss))
		for i, s := range ss {
			got[i] = int(s.Timeout)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("services case %d:\n got %v\nwant %v", n, got, tc.want)
		}
	}

	dests := []struct {
		in   []destCase
		want []int
	}{
		{[]destCase{
			{"100.0.0.1", 80},
			{"1.0.0.1", 0},
			{"c800:1:6400:1:2001:db8:100:1", 0},
			{"ffff:ffff:7fff:ffff:0:1:c800:1", 8080},
			{"1.0.0.1", 80},
			{"32.1.13.184", 8080},
			{"127.255.255.255", 8080},
			{"c800:1:0:1::", 0},
			{"1.0.0.1", 0},
			{"10.0.0.1", 80},
			{"128.0.0.0", 8080},
			{"ffff:ffff:6400:1::2001:db8", 0},
		}, []int{3, 4, 9, 5, 0, 6, 10, 7, 2, 11, 1, 8}},
		{[]destCase{
			{"192.168.0.1", 8080},
			{"0.0.0.1", 8080},
			{"8000:0:c800:1:ffff:ffff::", 0},
			{"0.0.0.1", 80},
			{"ffff:ffff:c0a8:1:0:1::", 8080},
			{"8000::6400:1:c0a8:1", 8080},
			{"0:1:100:1:2001:db8:8000:0", 8080},
			{"0:1:ffff:ffff:a00:1::", 80},
			{"0.0.0.1", 0},
			{"0:1::6400:1", 80},
			{"c800:1:8000:0:6400:1:c800:1", 0},
			{"127.255.255.255", 80},
		}, []int{0, 3, 7, 8, 9, 1, 6, 11, 2, 5, 10, 4}},
		{[]destCase{
			{"c0a8:1:8000::ffff:ffff", 8080},
			{"::8000:0:7fff:ffff:c0a8:1", 8080},
			{"0.0.0.1", 0},
			{"128.0.0.0", 80},
			{"100:1:a00:1:ffff:ffff:c0a8:1", 0},
			{"8000:0:100:1:2001:db8:8000:0", 0},
			{"10.0.0.1", 8080},
			{"1.0.0.1", 80},
			{"127.255.255.255", 80},
			{"7fff:ffff:ffff:ffff:8000:0:100:1", 0},
			{"127.255.255.255", 8080},
			{"200.0.0.1", 0},
		}, []int{0, 1, 2, 7, 4, 6, 9, 8, 10, 5, 3, 11}},
	}
	for n, tc := range dests {
		ds := make([]ipvs.Dest, len(tc.in))
		for i, c := range tc.in {
			ds[i] = ipvs.Dest{Addr: netip.MustParseAddr(c.addr), Port: c.port, Weight: int32(i)}
		}
		SortDests(ds)
		got := make([]int, len(ds))
		for i, d := range ds {
			got[i] = int(d.Weight)
		}
		if !reflect.DeepEqual(got, tc.want) {
			t.Errorf("dests case %d:\n got %v\nwant %v", n, got, tc.want)
		}
	}
}

// SortEntries sorts the services, then each one's destinations; called
// on one entry it only sorts that entry's destinations, which is how the
// executor sorts destinations fetched after the services were sorted.
func TestSortEntriesOneAtATime(t *testing.T) {
	all := listSorted(listScenario1())

	es := listScenario1()
	kept := make([][]ipvs.Dest, len(es))
	for i := range es {
		kept[i], es[i].Dests = es[i].Dests, nil
	}
	// Dests are attached to services by key, as the executor fetches them.
	byKey := map[ipvs.ServiceKey][]ipvs.Dest{}
	for i, e := range es {
		byKey[e.Service.Key()] = kept[i]
	}
	SortEntries(es)
	for i := range es {
		es[i].Dests = append([]ipvs.Dest(nil), byKey[es[i].Service.Key()]...)
		SortEntries(es[i : i+1])
	}
	if !reflect.DeepEqual(es, all) {
		t.Errorf("one at a time:\n got %v\nwant %v", es, all)
	}
}
