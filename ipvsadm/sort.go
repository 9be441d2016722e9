package ipvsadm

import (
	"encoding/binary"
	"net/netip"

	"lvskit/internal/ipvs"
)

// Entry is a service with its destinations, as the executor fetched them.
type Entry struct {
	Service ipvs.Service
	Dests   []ipvs.Dest
}

// SortEntries sorts the services, and each service's destinations, into
// the order ipvsadm 1.31 lists them in by default. Callers skip it for
// --nosort, which keeps the kernel's order.
//
// The order is not a total order, and this matters: ipvsadm compares
// addresses and fwmarks by subtracting two unsigned 32-bit values and
// reading the difference as a signed int, so large differences wrap (a
// 10.x service sorts after a 192.168.x one, fwmarks of 2^31 and more come
// before every address service). With such a comparator the result also
// depends on the sort algorithm, so this is glibc's qsort (a top-down
// merge sort) step for step, not sort.Stable.
//
// Sorting an already sorted slice again can reorder it, for the same
// reason: sort each list exactly once, as ipvsadm does. Entries whose
// Dests are filled in later may be passed again one at a time
// (es[i:i+1]): a single service is left in place and only its
// destinations are sorted.
func SortEntries(es []Entry) {
	mergeSort(es, func(a, b *Entry) int32 { return cmpServices(&a.Service, &b.Service) })
	for i := range es {
		SortDests(es[i].Dests)
	}
}

// SortServices sorts services as SortEntries does.
func SortServices(ss []ipvs.Service) { mergeSort(ss, cmpServices) }

// SortDests sorts one service's destinations as SortEntries does.
func SortDests(ds []ipvs.Dest) { mergeSort(ds, cmpDests) }

// cmpServices is ipvsadm's ipvs_cmp_services: fwmark, then family
// (AF_INET before AF_INET6), protocol, address and port. The fwmark and
// address differences are taken modulo 2^32 and read as signed, which is
// what makes the order wrap; family, protocol and port are 16-bit values
// whose differences fit in an int and do not wrap. The address is
// compared as one word for IPv4 and as four for IPv6, by the first
// element's family (both have the same family by then).
func cmpServices(a, b *ipvs.Service) int32 {
	if r := int32(a.Fwmark - b.Fwmark); r != 0 {
		return r
	}
	if r := int32(a.Family) - int32(b.Family); r != 0 {
		return r
	}
	if r := int32(a.Protocol) - int32(b.Protocol); r != 0 {
		return r
	}
	if r := cmpAddrWords(a.Family, a.Addr, b.Addr); r != 0 {
		return r
	}
	return int32(a.Port) - int32(b.Port)
}

// cmpDests is ipvsadm's ipvs_cmp_dests: address, then port. The address
// is compared by the family of the first (left) destination only, so an
// IPv4 destination against an IPv6 one compares the IPv4 address with
// the first 32 bits of the IPv6 address.
func cmpDests(a, b *ipvs.Dest) int32 {
	if r := cmpAddrWords(a.Family(), a.Addr, b.Addr); r != 0 {
		return r
	}
	return int32(a.Port) - int32(b.Port)
}

// cmpAddrWords compares two addresses as host-order 32-bit words of the
// kernel's address union (IPv4 in the first word, the rest zero): one
// word for an INET comparison, four for INET6, the first non-zero
// wrapped difference deciding.
func cmpAddrWords(f ipvs.Family, a, b netip.Addr) int32 {
	n := 1
	if f == ipvs.INET6 {
		n = 4
	}
	for i := 0; i < n; i++ {
		if r := int32(addrWord(a, i) - addrWord(b, i)); r != 0 {
			return r
		}
	}
	return 0
}

// addrWord is word i of the kernel's address union of a, in host order.
func addrWord(a netip.Addr, i int) uint32 {
	switch {
	case a.Is4():
		if i > 0 {
			return 0
		}
		b := a.As4()
		return binary.BigEndian.Uint32(b[:])
	case a.IsValid():
		b := a.As16()
		return binary.BigEndian.Uint32(b[4*i:])
	}
	return 0
}

// mergeSort is glibc's msort_with_tmp (the qsort of glibc 2.36, as in
// Debian bookworm): split n into n/2 and n-n/2, sort both halves, merge
// taking the left element while cmp(left, right) <= 0. glibc falls back
// to quicksort only when the array exceeds a quarter of physical memory,
// which no IPVS table does.
//
// Like glibc for elements of more than 32 bytes, a long list is sorted
// as pointers, and then each element is moved once: the comparisons, and
// so the order, are the same. A short one (a service's destinations) is
// sorted in place without allocating.
func mergeSort[T any](a []T, cmp func(x, y *T) int32) {
	n := len(a)
	if n < 2 {
		return
	}
	if n <= shortSort {
		var tmp [shortSort]T
		msort(a, tmp[:n], cmp)
		return
	}
	p := make([]*T, 2*n)
	ptrs, tmp := p[:n], p[n:]
	for i := range a {
		ptrs[i] = &a[i]
	}
	msort(ptrs, tmp, func(x, y **T) int32 { return cmp(*x, *y) })
	sorted := make([]T, n)
	for i, q := range ptrs {
		sorted[i] = *q
	}
	copy(a, sorted)
}

// shortSort is the longest list mergeSort sorts in place.
const shortSort = 8

func msort[T any](a, tmp []T, cmp func(x, y *T) int32) {
	n := len(a)
	if n <= 1 {
		return
	}
	n1 := n / 2
	msort(a[:n1], tmp, cmp)
	msort(a[n1:], tmp, cmp)
	i, j, k := 0, n1, 0
	for i < n1 && j < n {
		if cmp(&a[i], &a[j]) <= 0 {
			tmp[k] = a[i]
			i++
		} else {
			tmp[k] = a[j]
			j++
		}
		k++
	}
	for i < n1 {
		tmp[k] = a[i]
		i++
		k++
	}
	// What is left of the right half is already in its final place.
	copy(a[:k], tmp[:k])
}
