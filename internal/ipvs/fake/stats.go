package fake

import (
	"fmt"
	"net/netip"
	"syscall"

	"lvskit/internal/ipvs"
)

// The fixtures below stand in for traffic. They are not kernel commands:
// they ignore injected faults and are not logged.

// SetServiceStats sets the counters and rates of a service. It fails with
// ESRCH for a missing service.
func (t *Table) SetServiceStats(k ipvs.ServiceKey, s ipvs.Stats) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	svc, err := t.lookup("SetServiceStats", k)
	if err != nil {
		return err
	}
	svc.svc.Stats = s
	return nil
}

// SetDestStats sets the counters and rates of a destination. It fails with
// ESRCH for a missing service and ENOENT for a missing destination.
func (t *Table) SetDestStats(k ipvs.ServiceKey, dk ipvs.DestKey, s ipvs.Stats) error {
	return t.withDest("SetDestStats", k, dk, func(d *ipvs.Dest) { d.Stats = s })
}

// SetDestConns sets the active, inactive and persistent connection counts
// of a destination. It fails like SetDestStats.
func (t *Table) SetDestConns(k ipvs.ServiceKey, dk ipvs.DestKey, active, inactive, persistent uint32) error {
	return t.withDest("SetDestConns", k, dk, func(d *ipvs.Dest) {
		d.ActiveConns, d.InactiveConns, d.PersistentConns = active, inactive, persistent
	})
}

func (t *Table) withDest(op Op, k ipvs.ServiceKey, dk ipvs.DestKey, f func(*ipvs.Dest)) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	svc, err := t.lookup(op, k)
	if err != nil {
		return err
	}
	i := svc.find(ipvs.DestKey{Addr: dk.Addr.WithZone(""), Port: dk.Port})
	if i < 0 {
		return fail(op, syscall.ENOENT, dk.String())
	}
	f(&svc.dests[i])
	return nil
}

// A finished connection, as Connect counts it: a small request and
// response with the TCP handshake and teardown.
const (
	connInPkts   = 6
	connOutPkts  = 5
	connInBytes  = 420
	connOutBytes = 780
)

// Connect counts one complete connection to the service proto vip, as
// the kernel would after a client connected, exchanged a little data and
// closed: the service and the destination it went to (the first one with
// a non-zero weight) get one more connection and its packets and bytes,
// and the destination one more inactive connection. Rates stay as they
// are. It fails with ESRCH for a missing service and EHOSTUNREACH when
// no destination could take the connection.
func (t *Table) Connect(proto ipvs.Protocol, vip netip.AddrPort) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	svc, err := t.lookup("Connect", ipvs.AddrKey(proto, vip.Addr(), vip.Port()))
	if err != nil {
		return err
	}
	for i := range svc.dests {
		d := &svc.dests[i]
		if d.Weight <= 0 {
			continue
		}
		count(&svc.svc.Stats)
		count(&d.Stats)
		d.InactiveConns++
		return nil
	}
	return fail("Connect", syscall.EHOSTUNREACH, fmt.Sprintf("%s %s: no destination with a weight", proto, vip))
}

func count(s *ipvs.Stats) {
	s.Conns++
	s.InPkts += connInPkts
	s.OutPkts += connOutPkts
	s.InBytes += connInBytes
	s.OutBytes += connOutBytes
}
