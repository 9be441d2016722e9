package lvsd

import (
	"lvskit/internal/ipvs"
	"lvskit/internal/lvsconf"
)

// State is what lvsd wants of the table: the part lvs.cf describes.
type State struct {
	// Timeouts are the connection timeouts; a zero field is left as
	// the kernel has it.
	Timeouts ipvs.Timeouts
	// Sync is the master connection sync daemon, nil for none.
	Sync     *ipvs.Daemon
	Virtuals []Virtual
}

// StateOf returns the state cfg describes.
func StateOf(cfg *lvsconf.Config, opt Options) State {
	s := State{
		Timeouts: ipvs.Timeouts{TCP: uint32(cfg.TCPTimeout), TCPFin: uint32(cfg.TCPFinTimeout), UDP: uint32(cfg.UDPTimeout)},
		Virtuals: Desired(cfg, opt),
	}
	if cfg.SyncDaemon {
		s.Sync = &ipvs.Daemon{State: ipvs.Master, Interface: cfg.SyncdIface, SyncID: uint32(cfg.SyncdID)}
	}
	return s
}

// port is the virtual port lvs.cf gives the service k.
func (s State) port(k ipvs.ServiceKey) uint16 {
	for _, v := range s.Virtuals {
		if v.Service.ServiceKey == k {
			return v.Port
		}
	}
	return k.Port
}

// Actual is what the kernel's table holds.
type Actual struct {
	Timeouts ipvs.Timeouts
	Daemons  []ipvs.Daemon
	Services map[ipvs.ServiceKey]ipvs.Service
	// Dests are the destinations of the services lvsd wants.
	Dests map[ipvs.ServiceKey][]ipvs.Dest
}

// Plan returns the changes that bring the table from act to want: only
// what differs, edited in place where the kernel can, so that
// connections survive. prev is the state applied last (nil at start) and
// managed the services lvsd managed before (from its state file); lvsd
// deletes a service only if it was its own. Real servers enter the table
// through their monitors, after a successful check, as in Piranha: Plan
// never adds one, but it deletes those lvs.cf no longer has, corrects
// the forwarding method, and applies a weight changed in lvs.cf to a
// real server in service. The sorry server is left to the sorry logic.
func Plan(prev *State, want State, managed []ipvs.ServiceKey, act Actual) []Op {
	var ops []Op
	if t := timeoutsToSet(want.Timeouts, act.Timeouts); t != (ipvs.Timeouts{}) {
		ops = append(ops, Op{Kind: SetTimeouts, Timeouts: t})
	}
	ops = append(ops, planDaemon(prev, want, act)...)

	wanted := map[ipvs.ServiceKey]bool{}
	for _, v := range want.Virtuals {
		wanted[v.Service.ServiceKey] = true
	}
	names := map[ipvs.ServiceKey]string{}
	var old []ipvs.ServiceKey
	if prev != nil {
		for _, v := range prev.Virtuals {
			names[v.Service.ServiceKey] = v.Name
			old = append(old, v.Service.ServiceKey)
		}
	}
	deleted := map[ipvs.ServiceKey]bool{}
	for _, k := range append(old, managed...) {
		if cur, ok := act.Services[k]; ok && !wanted[k] && !deleted[k] {
			deleted[k] = true
			ops = append(ops, Op{Kind: DelService, Virtual: names[k], Service: cur})
		}
	}

	for _, v := range want.Virtuals {
		k := v.Service.ServiceKey
		cur, ok := act.Services[k]
		if !ok {
			ops = append(ops, Op{Kind: AddService, Virtual: v.Name, Service: v.Service})
			continue
		}
		if serviceDiffers(cur, v.Service) {
			ops = append(ops, Op{Kind: EditService, Virtual: v.Name, Service: v.Service})
		}
		ops = append(ops, planDests(prevVirtual(prev, k), v, act.Dests[k])...)
	}
	return ops
}

// timeoutsToSet returns the timeouts of want that the kernel does not
// have, zero elsewhere.
func timeoutsToSet(want, cur ipvs.Timeouts) ipvs.Timeouts {
	var t ipvs.Timeouts
	if want.TCP != 0 && want.TCP != cur.TCP {
		t.TCP = want.TCP
	}
	if want.TCPFin != 0 && want.TCPFin != cur.TCPFin {
		t.TCPFin = want.TCPFin
	}
	if want.UDP != 0 && want.UDP != cur.UDP {
		t.UDP = want.UDP
	}
	return t
}

// planDaemon starts, restarts or stops the master sync daemon. A daemon
// lvs.cf never asked for is not lvsd's: it stops only one it ran.
func planDaemon(prev *State, want State, act Actual) []Op {
	var cur *ipvs.Daemon
	for i := range act.Daemons {
		if act.Daemons[i].State == ipvs.Master {
			cur = &act.Daemons[i]
		}
	}
	same := func(a, b *ipvs.Daemon) bool { return a.Interface == b.Interface && a.SyncID == b.SyncID }
	switch {
	case want.Sync != nil && cur == nil:
		return []Op{{Kind: StartDaemon, Daemon: *want.Sync}}
	case want.Sync != nil && !same(cur, want.Sync):
		return []Op{{Kind: StopDaemon, Daemon: *cur}, {Kind: StartDaemon, Daemon: *want.Sync}}
	case want.Sync == nil && cur != nil && prev != nil && prev.Sync != nil && same(cur, prev.Sync):
		return []Op{{Kind: StopDaemon, Daemon: *cur}}
	}
	return nil
}

// serviceDiffers reports whether an edit is needed: the kernel sets the
// HASHED flag on every service it lists.
func serviceDiffers(cur, want ipvs.Service) bool {
	return cur.Scheduler != want.Scheduler || cur.PE != want.PE || cur.Flags&^ipvs.FlagHashed != want.Flags ||
		cur.Timeout != want.Timeout || cur.Netmask != want.Netmask
}

func prevVirtual(prev *State, k ipvs.ServiceKey) *Virtual {
	if prev == nil {
		return nil
	}
	for i := range prev.Virtuals {
		if prev.Virtuals[i].Service.ServiceKey == k {
			return &prev.Virtuals[i]
		}
	}
	return nil
}

// planDests reconciles the destinations of one service: cur in the
// kernel, v wanted, old the same service as applied last (or nil).
func planDests(old *Virtual, v Virtual, cur []ipvs.Dest) []Op {
	want := map[ipvs.DestKey]Real{}
	for _, r := range v.Servers {
		want[r.Dest.Key()] = r
	}
	before := map[ipvs.DestKey]Real{}
	if old != nil {
		for _, r := range old.Servers {
			before[r.Dest.Key()] = r
		}
	}
	var ops []Op
	for _, d := range cur {
		if v.Sorry != nil && d.Key() == v.Sorry.Key() {
			if _, real := want[d.Key()]; !real {
				continue
			}
		}
		r, ok := want[d.Key()]
		if !ok {
			ops = append(ops, Op{Kind: DelDest, Virtual: v.Name, Service: v.Service, Dest: request(d)})
			continue
		}
		next := request(d)
		next.Fwd = r.Dest.Fwd
		// The weight is the monitor's while it runs (quiesced at 0,
		// ramping up after a return); lvsd sets it only when lvs.cf
		// changed it, and only on a real server in service.
		if p, ok := before[d.Key()]; ok && p.Dest.Weight != r.Dest.Weight && d.Weight > 0 {
			next.Weight = r.Dest.Weight
		}
		if next != request(d) {
			ops = append(ops, Op{Kind: EditDest, Virtual: v.Name, Service: v.Service, Dest: next})
		}
	}
	return ops
}

// request is a listed destination without its read-only counters, as
// sent back in an edit.
func request(d ipvs.Dest) ipvs.Dest {
	return ipvs.Dest{Addr: d.Addr, Port: d.Port, Fwd: d.Fwd, Weight: d.Weight, UpperThreshold: d.UpperThreshold,
		LowerThreshold: d.LowerThreshold, TunnelType: d.TunnelType, TunnelPort: d.TunnelPort, TunnelFlags: d.TunnelFlags}
}
