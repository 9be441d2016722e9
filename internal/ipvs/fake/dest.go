package fake

import (
	"fmt"
	"net/netip"
	"slices"
	"syscall"

	"lvskit/internal/ipvs"
)

// fwdMask is IP_VS_CONN_F_FWD_MASK: ip_vs_genl_parse_dest keeps only these
// bits of the forwarding method.
const fwdMask = 7

// Dests dumps the destinations of a service, newest first
// (IPVS_CMD_GET_DEST with NLM_F_DUMP).
func (t *Table) Dests(k ipvs.ServiceKey) ([]ipvs.Dest, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fault(OpGetDest); err != nil {
		return nil, err
	}
	// ip_vs_genl_dump_dests ends the dump quietly, with no entries, when
	// the service key is malformed or names no service.
	key, err := parseKey(OpGetDest, k)
	if err != nil {
		return []ipvs.Dest{}, nil
	}
	s, ok := t.services[key]
	if !ok {
		return []ipvs.Dest{}, nil
	}
	return slices.Clone(s.dests), nil
}

// AddDest adds a destination to a service (IPVS_CMD_NEW_DEST).
func (t *Table) AddDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.addDest(k, d)
	t.record(OpNewDest, fmtDest(k, d), err)
	return err
}

func (t *Table) addDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	s, d, err := t.destCommand(OpNewDest, k, d)
	if err != nil {
		return err
	}
	// ip_vs_add_dest
	if err := checkDest(OpNewDest, d); err != nil {
		return err
	}
	if s.find(d.Key()) >= 0 {
		return fail(OpNewDest, syscall.EEXIST, d.Key().String())
	}
	// ip_vs_new_dest
	if !t.destAddrOK(d.Addr) {
		return fail(OpNewDest, syscall.EINVAL, fmt.Sprintf("%s: address is not unicast", d.Addr))
	}
	s.dests = slices.Insert(s.dests, 0, ipvs.Dest{
		Addr:           d.Addr,
		Port:           d.Port,
		Fwd:            d.Fwd,
		Weight:         d.Weight,
		UpperThreshold: d.UpperThreshold,
		LowerThreshold: d.LowerThreshold,
		TunnelType:     d.TunnelType,
		TunnelPort:     d.TunnelPort,
		TunnelFlags:    d.TunnelFlags,
	})
	return nil
}

// EditDest changes a destination (IPVS_CMD_SET_DEST).
func (t *Table) EditDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.editDest(k, d)
	t.record(OpSetDest, fmtDest(k, d), err)
	return err
}

func (t *Table) editDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	s, d, err := t.destCommand(OpSetDest, k, d)
	if err != nil {
		return err
	}
	// ip_vs_edit_dest
	if err := checkDest(OpSetDest, d); err != nil {
		return err
	}
	i := s.find(d.Key())
	if i < 0 {
		return fail(OpSetDest, syscall.ENOENT, d.Key().String())
	}
	// __ip_vs_update_dest: the destination keeps its place in the list,
	// its counters and its connection counts.
	old := &s.dests[i]
	old.Fwd = d.Fwd
	old.Weight = d.Weight
	old.UpperThreshold = d.UpperThreshold
	old.LowerThreshold = d.LowerThreshold
	old.TunnelType = d.TunnelType
	old.TunnelPort = d.TunnelPort
	old.TunnelFlags = d.TunnelFlags
	return nil
}

// DelDest removes a destination (IPVS_CMD_DEL_DEST).
func (t *Table) DelDest(k ipvs.ServiceKey, dk ipvs.DestKey) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.delDest(k, dk)
	t.record(OpDelDest, fmt.Sprintf("%s -> %s", k, dk), err)
	return err
}

func (t *Table) delDest(k ipvs.ServiceKey, dk ipvs.DestKey) error {
	s, d, err := t.destCommand(OpDelDest, k, ipvs.Dest{Addr: dk.Addr, Port: dk.Port})
	if err != nil {
		return err
	}
	// ip_vs_del_dest
	i := s.find(d.Key())
	if i < 0 {
		return fail(OpDelDest, syscall.ENOENT, d.Key().String())
	}
	s.dests = slices.Delete(s.dests, i, i+1)
	return nil
}

// destCommand does what ip_vs_genl_set_cmd does for every destination
// command before handing over: find the service (ESRCH), parse the
// destination, and refuse a destination of the other address family
// unless it is tunnelled and no sync daemon runs (EINVAL). It returns the
// destination as the kernel sees it.
func (t *Table) destCommand(op Op, k ipvs.ServiceKey, d ipvs.Dest) (*service, ipvs.Dest, error) {
	if err := t.fault(op); err != nil {
		return nil, d, err
	}
	s, err := t.lookup(op, k)
	if err != nil {
		return nil, d, err
	}
	// ip_vs_genl_parse_dest requires the address and masks the method.
	if !d.Addr.IsValid() {
		return nil, d, fail(op, syscall.EINVAL, "destination without an address")
	}
	d.Addr = d.Addr.WithZone("")
	d.Fwd &= fwdMask
	if op != OpDelDest && d.Family() != s.svc.Family {
		// The sync protocol cannot carry mixed-family services.
		if t.master != nil || t.backup != nil {
			return nil, d, fail(op, syscall.EINVAL, fmt.Sprintf("%s: %s destination while a sync daemon runs", k, d.Family()))
		}
		if d.Fwd != ipvs.Tunnel {
			return nil, d, fail(op, syscall.EINVAL, fmt.Sprintf("%s: %s destination needs tunnel forwarding", k, d.Family()))
		}
	}
	return s, d, nil
}

// checkDest holds the checks ip_vs_add_dest and ip_vs_edit_dest share, in
// their order.
func checkDest(op Op, d ipvs.Dest) error {
	if d.Weight < 0 {
		return fail(op, syscall.ERANGE, fmt.Sprintf("%s: weight %d below zero", d.Key(), d.Weight))
	}
	// Both thresholds are unsigned, and an upper threshold of 0 (no
	// limit) is still compared.
	if d.LowerThreshold > d.UpperThreshold {
		return fail(op, syscall.ERANGE, fmt.Sprintf("%s: lower threshold %d above upper threshold %d", d.Key(), d.LowerThreshold, d.UpperThreshold))
	}
	// Checked whatever the forwarding method.
	if d.TunnelType == ipvs.TunnelGUE && d.TunnelPort == 0 {
		return fail(op, syscall.EINVAL, fmt.Sprintf("%s: GUE tunnel without a port", d.Key()))
	}
	return nil
}

// find returns the index of the destination k in s, or -1. Like
// ip_vs_lookup_dest it compares family, address and port.
func (s *service) find(k ipvs.DestKey) int {
	return slices.IndexFunc(s.dests, func(d ipvs.Dest) bool { return d.Key() == k })
}

// destAddrOK is the address check of ip_vs_new_dest.
func (t *Table) destAddrOK(a netip.Addr) bool {
	if a.Is4() {
		// inet_addr_type must say RTN_LOCAL or RTN_UNICAST. It says
		// RTN_BROADCAST for 0.0.0.0 (ipv4_is_zeronet matches only that
		// address since Linux 5.3, not all of 0.0.0.0/8), 255.255.255.255
		// and the broadcast address of a local subnet, RTN_MULTICAST for
		// 224.0.0.0/4.
		if a.IsUnspecified() || a == netip.AddrFrom4([4]byte{255, 255, 255, 255}) || a.IsMulticast() {
			return false
		}
		for _, p := range t.local {
			if p.Addr().Is4() && p.Bits() < 31 && a == broadcast(p) {
				return false
			}
		}
		return true
	}
	// ipv6_addr_type must say unicast and not link-local, unless the
	// address routes to a loopback device (__ip_vs_addr_is_local_v6).
	if (!unicast6(a) || a.IsLinkLocalUnicast()) && !t.isLocal(a) {
		return false
	}
	return true
}

// unicast6 reports whether ipv6_addr_type gives a an IPV6_ADDR_UNICAST
// bit: everything except ::, IPv4-mapped addresses and multicast.
func unicast6(a netip.Addr) bool {
	return !a.IsUnspecified() && !a.Is4In6() && !a.IsMulticast()
}

// broadcast returns the last address of an IPv4 prefix, for which
// fib_add_ifaddr adds a broadcast route.
func broadcast(p netip.Prefix) netip.Addr {
	a := p.Masked().Addr().As4()
	host := uint32(1)<<(32-p.Bits()) - 1
	v := uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3]) | host
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// isLocal reports whether a is one of the host's addresses.
func (t *Table) isLocal(a netip.Addr) bool {
	for _, p := range t.local {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// ListDests implements ipvs.Table with one Dests call per service, as
// the kernel sees one dump per service.
func (t *Table) ListDests(keys []ipvs.ServiceKey, each func(int, []ipvs.Dest) error) error {
	for i, k := range keys {
		ds, err := t.Dests(k)
		if err != nil {
			return err
		}
		if err := each(i, ds); err != nil {
			return err
		}
	}
	return nil
}
