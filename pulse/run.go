package pulse

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"syscall"
	"time"

	"lvskit/internal/daemonlog"
)

// Packet is a datagram from the heartbeat port.
type Packet struct {
	From netip.Addr
	Data []byte
}

// Transport carries heartbeats: Send goes to the partner on every link
// (public, and private when there is one); Packets yields what arrives.
type Transport interface {
	Send(b []byte) error
	Packets() <-chan Packet
	Close() error
}

// Effects is what becoming active and standby does to the system. Test
// runs (--test-start) and tests use one that only tells.
type Effects interface {
	// Activate raises the VIPs, announces them and starts lvsd.
	Activate(ctx context.Context) error
	// Deactivate stops lvsd and drops the VIPs.
	Deactivate() error
	// Announce sends one round of gratuitous ARP for every VIP.
	Announce()
	// Exited yields how lvsd ended when it ended on its own.
	Exited() <-chan string
	// Arbitrate reports whether the arbitration gateway answers.
	Arbitrate(ctx context.Context) bool
	// LinksUp reports whether the links of this director's heartbeat
	// addresses are up (monitor_links).
	LinksUp() bool
	// Reconfigure takes the settings of a reload (the VIPs may change).
	Reconfigure(*Settings)
	// Reload forwards a reload to lvsd.
	Reload()
}

// director is one pulse at work: the machine, its transport and effects.
type director struct {
	set        *Settings
	m          *Machine
	conn       Transport
	fx         Effects
	log        *daemonlog.Logger
	now        func() time.Time
	epoch      uint64
	seq        uint64
	guard      Guard
	count      Counters
	silent     bool // --test-start: heartbeats are not sent
	arb        chan arbResult
	lastRej    map[string]time.Time // per kind of rejection: last logged
	partnerSum [8]byte
	sumWarned  bool
	// With a private link: when each link last carried a valid
	// heartbeat, and whether its silence was reported.
	linkSeen map[netip.Addr]time.Time
	linkLost map[netip.Addr]bool
	// piranhaServed: the Piranha partner said "running" last.
	piranhaServed bool
}

type arbResult struct {
	ticket uint64
	ok     bool
}

// linkPoll is how often monitor_links looks at the links.
const linkPoll = 250 * time.Millisecond

func newDirector(set *Settings, conn Transport, fx Effects, log *daemonlog.Logger, epoch uint64, now func() time.Time) *director {
	return &director{set: set, m: NewMachine(set.Policy), conn: conn, fx: fx, log: log, now: now, epoch: epoch,
		arb: make(chan arbResult, 4), lastRej: map[string]time.Time{},
		linkSeen: map[netip.Addr]time.Time{}, linkLost: map[netip.Addr]bool{}}
}

// run drives the machine until ctx ends or a terminating signal comes;
// reload is called on SIGHUP and returns the new settings, or nil to
// keep the old ones.
func (d *director) run(ctx context.Context, force bool, sigs <-chan os.Signal, reload func() *Settings) {
	// A director starts standby, as Piranha's (which ran inactive_cmd
	// first). VIPs left by a pulse that was killed go too: with them
	// up here and on the partner, neighbours would flap between two
	// MACs.
	if err := d.fx.Deactivate(); err != nil {
		d.log.Warnf("clearing up at start: %v", err)
	}
	d.do(ctx, d.m.Start(d.now(), force))
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	// The links are looked at only with monitor_links, which a reload
	// may turn on or off.
	links := time.NewTicker(linkPoll)
	defer links.Stop()
	for {
		if next := d.m.Next(); !next.IsZero() {
			timer.Reset(max(next.Sub(d.now()), 0))
		} else {
			timer.Reset(time.Hour)
		}
		select {
		case <-ctx.Done():
			d.stop(ctx)
			return
		case <-timer.C:
			// Heartbeats that arrived while this process was stalled
			// count before the deadline they would have met: select
			// picks at random among ready cases.
			for drained := false; !drained; {
				select {
				case p := <-d.conn.Packets():
					d.receive(ctx, p)
				default:
					drained = true
				}
			}
			d.do(ctx, d.m.Tick(d.now()))
		case p := <-d.conn.Packets():
			d.receive(ctx, p)
		case how := <-d.fx.Exited():
			d.do(ctx, d.m.ChildExited(d.now(), how))
		case r := <-d.arb:
			d.do(ctx, d.m.Arbitrated(d.now(), r.ticket, r.ok))
		case <-links.C:
			if d.set.MonitorLinks || !d.m.healthy() {
				up := !d.set.MonitorLinks || d.fx.LinksUp()
				d.do(ctx, d.m.LinkChanged(d.now(), up))
			}
		case s := <-sigs:
			switch s {
			case syscall.SIGHUP:
				d.log.Infof("rereading configuration file")
				if set := reload(); set != nil {
					d.reconfigure(ctx, set)
				}
				d.fx.Reload()
			case syscall.SIGUSR1:
				d.log.Infof("heartbeats: %s", d.count.String())
			default:
				d.log.Infof("Terminating due to signal %d", s.(syscall.Signal))
				d.stop(ctx)
				return
			}
		}
	}
}

func (d *director) stop(ctx context.Context) {
	d.do(ctx, d.m.Stop(d.now()))
	d.log.Infof("heartbeats: %s", d.count.String())
}

// reconfigure applies what a reload may change without a restart: the
// timers and policy, and the VIPs (through Effects, which the caller
// rebuilt). Addresses, the port and the mode need a restart.
func (d *director) reconfigure(ctx context.Context, set *Settings) {
	old := d.set
	if set.Own != old.Own || set.Partner != old.Partner || set.Private != old.Private ||
		set.PrivatePartner != old.PrivatePartner || set.Port != old.Port || set.Piranha != old.Piranha || set.Master != old.Master {
		d.log.Warnf("heartbeat addresses, port or mode changed: restart pulse to apply them; keeping the old ones")
		set.Own, set.Partner, set.Private, set.PrivatePartner = old.Own, old.Partner, old.Private, old.PrivatePartner
		set.Port, set.Piranha, set.Master = old.Port, old.Piranha, old.Master
		set.Policy.Master = old.Master
	}
	d.set = set
	d.m.SetPolicy(set.Policy)
	d.sumWarned = false
	d.do(ctx, d.m.Tick(d.now()))
}

// do carries out the machine's actions in order.
func (d *director) do(ctx context.Context, acts []Action) {
	for _, a := range acts {
		switch a.Kind {
		case Activate:
			d.log.Infof("%s", a.Reason)
			if err := d.fx.Activate(ctx); err != nil {
				d.do(ctx, d.m.Failed(d.now(), err)) // the machine logs it
			}
		case Deactivate:
			if a.Reason != "" {
				d.log.Infof("%s", a.Reason)
			}
			if err := d.fx.Deactivate(); err != nil {
				d.log.Errf("deactivation: %v", err)
			}
		case Announce:
			if a.Reason != "" {
				d.log.Infof("%s", a.Reason)
			} else {
				d.log.Debugf("refreshing gratuitous arps")
			}
			d.fx.Announce()
		case Send:
			d.send()
		case Arbitrate:
			if a.Reason != "" {
				d.log.Infof("%s", a.Reason)
			} else {
				d.log.Debugf("partner still silent: asking the arbitration gateway again")
			}
			go func(ticket uint64) {
				ok := d.fx.Arbitrate(ctx)
				select {
				case d.arb <- arbResult{ticket, ok}:
				case <-ctx.Done():
				}
			}(a.Ticket)
		case Note:
			d.log.Infof("%s", a.Reason)
		}
	}
}

// send sends this director's heartbeat.
func (d *director) send() {
	if d.silent {
		return
	}
	st := d.m.Status()
	var b []byte
	if d.set.Piranha {
		m := LVSStopped
		if st.State == StateActive {
			m = LVSRunning
		}
		b = EncodePiranha(m)
	} else {
		d.seq++
		h := Heartbeat{State: st.State, Priority: st.Priority, Node: d.set.Own, Epoch: d.epoch, Seq: d.seq, Checksum: d.set.Checksum}
		if st.Master {
			h.Flags |= FlagMaster
		}
		if st.Preempt {
			h.Flags |= FlagPreempt
		}
		if st.LinkFail {
			h.Flags |= FlagLinkFail
		}
		if st.ChildFail {
			h.Flags |= FlagChildFail
		}
		var err error
		if b, err = h.Marshal(d.set.Key); err != nil {
			d.log.Errf("heartbeat: %v", err) // a bug: the fields are ours
			return
		}
	}
	if err := d.conn.Send(b); err != nil {
		d.log.Debugf("Warning -- failed to send heartbeat: %v", err)
	}
}

// receive checks a datagram and hands a valid heartbeat to the machine.
func (d *director) receive(ctx context.Context, p Packet) {
	from := p.From.Unmap()
	if from != d.set.Partner && (!d.set.PrivatePartner.IsValid() || from != d.set.PrivatePartner) {
		d.count.Count(errStranger)
		d.reject("stranger", fmt.Sprintf("Unexpected heartbeat from %s", from))
		return
	}
	st, err := d.decode(p.Data)
	if err == errDuplicate {
		d.watchLinks(from) // the copy over the other link
		return
	}
	d.count.Count(err)
	if err != nil {
		d.reject(kindOf(err), fmt.Sprintf("heartbeat from %s rejected: %v", from, err))
		return
	}
	d.log.Debugf("DEBUG -- Received Heartbeat from partner (%s)", st.State)
	d.watchLinks(from)
	d.do(ctx, d.m.Heartbeat(d.now(), st))
}

// watchLinks reports a link that stopped carrying heartbeats while the
// other still does: no failover is due, but the next fault of the
// other link will be one.
func (d *director) watchLinks(from netip.Addr) {
	if !d.set.PrivatePartner.IsValid() {
		return
	}
	now := d.now()
	d.linkSeen[from] = now
	name := map[netip.Addr]string{d.set.Partner: "public", d.set.PrivatePartner: "private"}
	if d.linkLost[from] {
		d.linkLost[from] = false
		d.log.Infof("heartbeats over the %s link (%s) are back", name[from], from)
	}
	other := d.set.Partner
	if from == d.set.Partner {
		other = d.set.PrivatePartner
	}
	seen, ok := d.linkSeen[other]
	if !ok {
		// Not heard yet: count its silence from the first heartbeat.
		d.linkSeen[other] = now
		return
	}
	if !d.linkLost[other] && now.Sub(seen) > d.set.Policy.Deadtime {
		d.linkLost[other] = true
		d.log.Warnf("no heartbeat over the %s link (%s) for %s; the %s link still carries them", name[other], other, d.set.Policy.Deadtime, name[from])
	}
}

var (
	errStranger  = errors.New("not from the partner")
	errDuplicate = errors.New("duplicate")
)

func (d *director) decode(b []byte) (Status, error) {
	if d.set.Piranha {
		if len(b) == PacketSize && bytes.HasPrefix(b, []byte("LVSH")) {
			return Status{}, fmt.Errorf("%w: an lvskit heartbeat (the partner runs heartbeat_mode = lvskit)", ErrIncompatible)
		}
		m, err := DecodePiranha(b)
		if err != nil {
			return Status{}, err
		}
		st := Status{Priority: d.set.PartnerPriority, Master: !d.set.Master}
		switch m {
		case LVSRunning:
			st.State = StateActive
			d.piranhaServed = true
		case LVSStopped:
			// A Piranha pulse cannot say why it stopped serving (lvsd
			// died, a link, a shutdown): a partner that served and
			// stops is taken at its word, as Piranha's pulse would, and
			// succeeded at once; one that never served is a standby.
			st.State = StateStandby
			if d.piranhaServed {
				st.State = StateFault
				d.piranhaServed = false
			}
		default:
			// FOS magics, or HOLD/HELD: not an lvs peer's word.
			return Status{}, fmt.Errorf("%w (%s)", ErrIncompatible, m)
		}
		return st, nil
	}
	h, err := Unmarshal(b, d.set.Key)
	if err != nil {
		return Status{}, err
	}
	if h.Node != d.set.Partner {
		return Status{}, fmt.Errorf("%w: node %s is not the partner %s", ErrMalformed, h.Node, d.set.Partner)
	}
	if partnerMaster := h.Flags&FlagMaster != 0; partnerMaster == d.set.Master {
		return Status{}, fmt.Errorf("%w: both directors claim the same role", ErrMalformed)
	}
	if e, s, ok := d.guard.Last(); ok && h.Epoch == e && h.Seq == s {
		// The same heartbeat over the other link: not a replay.
		return Status{}, errDuplicate
	}
	if err := d.guard.Check(h); err != nil {
		return Status{}, err
	}
	if h.Checksum != d.set.Checksum && (!d.sumWarned || h.Checksum != d.partnerSum) {
		d.sumWarned, d.partnerSum = true, h.Checksum
		d.log.Warnf("the partner runs another configuration (checksum %x, ours %x): copy lvs.cf to both directors", h.Checksum, d.set.Checksum)
	}
	return Status{State: h.State, Priority: h.Priority, Master: h.Flags&FlagMaster != 0, Preempt: h.Flags&FlagPreempt != 0,
		LinkFail: h.Flags&FlagLinkFail != 0, ChildFail: h.Flags&FlagChildFail != 0}, nil
}

func kindOf(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{{ErrForged, "forged"}, {ErrReplay, "replay"}, {ErrStale, "stale"}, {ErrIncompatible, "incompatible"}} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "malformed"
}

// reject logs a rejected datagram, at most once a minute per kind: a
// flood of forgeries must not flood the log (they are counted).
func (d *director) reject(kind, msg string) {
	now := d.now()
	if last, ok := d.lastRej[kind]; ok && now.Sub(last) < time.Minute {
		return
	}
	d.lastRej[kind] = now
	d.log.Warnf("%s (%s)", msg, d.count.String())
}
