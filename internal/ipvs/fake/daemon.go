package fake

import (
	"fmt"
	"net/netip"
	"syscall"

	"lvskit/internal/ipvs"
)

const (
	ifNameMax = 15 // IPVS_DAEMON_ATTR_MCAST_IFN: IP_VS_IFNAME_MAXLEN - 1

	// Defaults of start_sync_thread (ip_vs_sync.c).
	defaultSyncPort = 8848 // IP_VS_SYNC_PORT
	defaultSyncTTL  = 1
)

// defaultSyncGroup is IP_VS_SYNC_GROUP. There is no IPv6 default: without
// a group the daemon uses this IPv4 one.
var defaultSyncGroup = netip.AddrFrom4([4]byte{224, 0, 0, 81})

// Daemons lists the running sync daemons, master first
// (ip_vs_genl_dump_daemons).
func (t *Table) Daemons() ([]ipvs.Daemon, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fault(OpGetDaemon); err != nil {
		return nil, err
	}
	var out []ipvs.Daemon
	for _, d := range []*ipvs.Daemon{t.master, t.backup} {
		if d != nil {
			out = append(out, *d)
		}
	}
	return out, nil
}

// StartDaemon starts a sync daemon (IPVS_CMD_NEW_DAEMON).
func (t *Table) StartDaemon(d ipvs.Daemon) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.startDaemon(d)
	t.record(OpNewDaemon, fmtDaemon(d), err)
	return err
}

func (t *Table) startDaemon(d ipvs.Daemon) error {
	if err := t.fault(OpNewDaemon); err != nil {
		return err
	}
	d.Group = d.Group.WithZone("")
	// ip_vs_daemon_policy
	if len(d.Interface) > ifNameMax {
		return fail(OpNewDaemon, syscall.EINVAL, fmt.Sprintf("interface name %q longer than %d", d.Interface, ifNameMax))
	}
	// ip_vs_genl_new_daemon: the group must be multicast in its family,
	// and no service may have a destination of the other family.
	// (netip calls an IPv4-mapped multicast address multicast; the
	// kernel's ipv6_addr_type does not.)
	if d.Group.IsValid() && (!d.Group.IsMulticast() || d.Group.Is4In6()) {
		return fail(OpNewDaemon, syscall.EINVAL, fmt.Sprintf("group %s is not multicast", d.Group))
	}
	if t.mixedDests() {
		return fail(OpNewDaemon, syscall.EINVAL, "a service has a destination of the other address family")
	}
	// start_sync_thread: defaults, then the interface, then the state.
	if !d.Group.IsValid() {
		d.Group = defaultSyncGroup
	}
	if d.Port == 0 {
		d.Port = defaultSyncPort
	}
	if d.TTL == 0 {
		d.TTL = defaultSyncTTL
	}
	mtu, ok := t.interfaces[d.Interface]
	if !ok {
		return fail(OpNewDaemon, syscall.ENODEV, fmt.Sprintf("interface %q", d.Interface))
	}
	d.MaxLen = syncMaxLen(d.State, d.MaxLen, mtu, d.Group.Is6())
	var slot **ipvs.Daemon
	switch d.State {
	case ipvs.Master:
		slot = &t.master
	case ipvs.Backup:
		slot = &t.backup
	default:
		return fail(OpNewDaemon, syscall.EINVAL, d.State.String())
	}
	if *slot != nil {
		return fail(OpNewDaemon, syscall.EEXIST, d.State.String())
	}
	// make_send_sock connects the master's socket to the group through
	// the interface. addrconf gives a loopback device no IPv6 multicast
	// route (ff00::/8), so that connect fails there; IPv4 multicast needs
	// no route once the interface is fixed. Linux always names the
	// loopback device "lo".
	if d.State == ipvs.Master && d.Group.Is6() && d.Interface == "lo" {
		return fail(OpNewDaemon, syscall.ENETUNREACH, fmt.Sprintf("no IPv6 multicast route to %s on %s", d.Group, d.Interface))
	}
	*slot = &d
	return nil
}

// syncMaxLen is the sync message size start_sync_thread settles on. The
// default is the MTU less the IP and UDP headers, where a master assumes
// an MTU of 1500 and a backup takes the interface's, within 1500..65535.
// A requested size is clamped to what fits a datagram, and a backup
// insists on at least 1024.
func syncMaxLen(state ipvs.DaemonState, req uint16, ifMTU int, ipv6 bool) uint16 {
	hlen := 20 + 8 // struct iphdr + struct udphdr
	if ipv6 {
		hlen = 40 + 8 // struct ipv6hdr + struct udphdr
	}
	mtu, minLen := 1500, 1
	if state == ipvs.Backup {
		mtu, minLen = min(max(ifMTU, 1500), 65535), 1024
	}
	if req == 0 {
		return uint16(mtu - hlen)
	}
	return uint16(min(max(int(req), minLen), 65535-hlen))
}

// mixedDests reports whether a service has a destination of the other
// address family (ipvs->mixed_address_family_dests > 0).
func (t *Table) mixedDests() bool {
	for _, s := range t.services {
		for _, d := range s.dests {
			if d.Family() != s.svc.Family {
				return true
			}
		}
	}
	return false
}

// StopDaemon stops the sync daemon in the given state
// (IPVS_CMD_DEL_DAEMON, stop_sync_thread).
func (t *Table) StopDaemon(state ipvs.DaemonState) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.stopDaemon(state)
	t.record(OpDelDaemon, state.String(), err)
	return err
}

func (t *Table) stopDaemon(state ipvs.DaemonState) error {
	if err := t.fault(OpDelDaemon); err != nil {
		return err
	}
	var slot **ipvs.Daemon
	switch state {
	case ipvs.Master:
		slot = &t.master
	case ipvs.Backup:
		slot = &t.backup
	default:
		return fail(OpDelDaemon, syscall.EINVAL, state.String())
	}
	if *slot == nil {
		return fail(OpDelDaemon, syscall.ESRCH, state.String())
	}
	*slot = nil
	return nil
}
