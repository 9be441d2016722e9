package pulse

import (
	"fmt"
	"time"
)

// Failback is what the better director does when it is healthy and its
// partner serves.
type Failback int

const (
	// FailbackNever leaves the service where it is, as Piranha did.
	FailbackNever Failback = iota
	// FailbackPreempt takes it back after Policy.FailbackDelay: the
	// better director asks, the partner lets go, and only then does the
	// better director take the VIPs, so that they are never on both.
	FailbackPreempt
)

// Policy is what the state machine is told once, from lvs.cf and the
// command line.
type Policy struct {
	Master   bool  // this director is the primary; it wins a tie of priorities
	Priority uint8 // this director's priority
	// Solo: no backup (backup_active = 0). The primary serves at once
	// and sends no heartbeats.
	Solo          bool
	Keepalive     time.Duration // between two heartbeats
	Deadtime      time.Duration // silence after which the partner is dead
	Failback      Failback
	FailbackDelay time.Duration
	GARPRefresh   time.Duration // announce the VIPs again while active; 0: never
	// Arbitrate: before taking over from a silent partner, ask the
	// driver to check that this director is not the one cut off.
	Arbitrate bool
	// FaultRetry is how long a director whose lvsd died (or whose
	// activation failed) stays out before it may serve again while no
	// partner serves; zero is 30 s.
	FaultRetry time.Duration
}

// Status is what a heartbeat says about its sender, in either wire
// format (a Piranha peer's is "running" or "stopped", its priority
// taken equal to ours).
type Status struct {
	State     State
	Priority  uint8
	Master    bool
	Preempt   bool // asks the partner to let go (failback)
	LinkFail  bool
	ChildFail bool
}

// outranks reports whether a director of priority p (primary if master)
// is the better one against a partner of priority q: the higher
// priority, the primary on a tie.
func outranks(p uint8, master bool, q uint8) bool {
	return p > q || (p == q && master)
}

// ActionKind is something the driver must do.
type ActionKind int

const (
	// Activate: raise the VIPs, announce them, start lvsd. The driver
	// reports a failure with Machine.Failed.
	Activate ActionKind = iota + 1
	// Deactivate: stop lvsd, drop the VIPs; the reverse order.
	Deactivate
	// Announce: gratuitous ARP for every VIP again.
	Announce
	// Send: a heartbeat now, with Machine.Status.
	Send
	// Arbitrate: check whether this director can reach the arbitration
	// gateway, and report with Machine.Arbitrated and Action.Ticket.
	Arbitrate
	// Note: only a log line.
	Note
)

func (k ActionKind) String() string {
	switch k {
	case Activate:
		return "activate"
	case Deactivate:
		return "deactivate"
	case Announce:
		return "announce"
	case Send:
		return "send"
	case Arbitrate:
		return "arbitrate"
	case Note:
		return "note"
	}
	return fmt.Sprintf("action(%d)", int(k))
}

// Action is one step for the driver, with the reason to log (empty for
// routine heartbeats).
type Action struct {
	Kind   ActionKind
	Reason string
	Ticket uint64 // Arbitrate: to hand back to Machine.Arbitrated
}

func (a Action) String() string {
	if a.Reason == "" {
		return a.Kind.String()
	}
	return a.Kind.String() + ": " + a.Reason
}

// Machine decides which of the two directors serves. It is pure: every
// event comes with the time it happened, every decision is returned as
// Actions, and Next says when Tick is due. The driver (Run) feeds it
// heartbeats, timers, lvsd's death and arbitration results, and does
// what it returns, in order.
//
// The rules, for this director D and its partner P:
//   - D serves only while it is healthy (its lvsd runs and, with
//     monitor_links, its links are up).
//   - P silent for Deadtime: D takes over (after arbitration, if asked).
//   - P at fault: D takes over at once.
//   - Both standby: the better one takes over, the other waits for it
//     (and takes over itself if the better one has not after Deadtime).
//     This is the cold start: both listen first, only one serves.
//   - Both active (a healed split, or a forced start): the worse one
//     lets go at once, the better one announces its VIPs again, so that
//     neighbours that learnt the other MAC come back.
//   - P serves, D is better and healthy: with FailbackPreempt, after
//     FailbackDelay D asks (Preempt); P lets go; D, seeing P standby,
//     takes over. With FailbackNever nothing happens.
type Machine struct {
	pol Policy

	active    bool
	linkFail  bool
	childFail bool
	faultAt   time.Time // when childFail was set
	stopping  bool

	heard    bool // a heartbeat arrived since start
	deadline time.Time
	partner  Status

	bothStandbySince time.Time // zero unless both are standby
	betterSince      time.Time // preempt: D better, healthy and standby since
	preempt          bool

	arbTicket  uint64
	arbPending bool
	arbDone    bool // the gateway answered since the partner fell silent
	arbNext    time.Time
	arbNoted   bool // the gateway's silence was logged in this episode

	contested    bool // both active, and this director stays
	silenceNoted bool

	nextSend     time.Time
	nextAnnounce time.Time
	now          time.Time // of the latest event
}

// NewMachine returns a machine for pol; Start begins its life.
func NewMachine(pol Policy) *Machine {
	if pol.FaultRetry == 0 {
		pol.FaultRetry = 30 * time.Second
	}
	return &Machine{pol: pol}
}

// SetPolicy changes the policy (a reload). Role and timers take effect
// from now; the partner's deadline is kept.
func (m *Machine) SetPolicy(pol Policy) {
	if pol.FaultRetry == 0 {
		pol.FaultRetry = 30 * time.Second
	}
	m.pol = pol
	if !m.nextSend.IsZero() && m.nextSend.After(m.now.Add(pol.Keepalive)) {
		m.nextSend = m.now.Add(pol.Keepalive)
	}
	if m.active && pol.GARPRefresh > 0 && m.nextAnnounce.After(m.now.Add(pol.GARPRefresh)) {
		m.nextAnnounce = m.now.Add(pol.GARPRefresh)
	}
}

// Active reports whether this director serves (or has been told to).
func (m *Machine) Active() bool { return m.active }

// Status is this director's heartbeat.
func (m *Machine) Status() Status {
	s := Status{
		State:     StateStandby,
		Priority:  m.pol.Priority,
		Master:    m.pol.Master,
		Preempt:   m.preempt,
		LinkFail:  m.linkFail,
		ChildFail: m.childFail,
	}
	switch {
	case m.active:
		s.State = StateActive
	case !m.healthy() || m.stopping:
		s.State = StateFault
	}
	return s
}

func (m *Machine) healthy() bool { return !m.linkFail && !m.childFail }

// Start begins: the first heartbeat goes at once, so that a partner
// already up learns of this director before it decides anything, and
// the partner has Deadtime to answer. force activates at once
// (--forceactive); a solo primary always does.
func (m *Machine) Start(now time.Time, force bool) []Action {
	m.deadline = now.Add(m.pol.Deadtime)
	m.nextSend = now
	var acts []Action
	switch {
	case m.pol.Solo:
		acts = m.activate(now, acts, "no backup director: activating lvs")
	case force:
		acts = m.activate(now, acts, "Forced active on startup: activating lvs")
	}
	return append(acts, m.Tick(now)...)
}

// Heartbeat is a valid heartbeat from the partner.
func (m *Machine) Heartbeat(now time.Time, p Status) []Action {
	var acts []Action
	if back := !m.heard || !now.Before(m.deadline); back {
		acts = append(acts, Action{Kind: Note, Reason: "partner alive (" + p.State.String() + ")"})
		if m.active && p.State != StateActive {
			// The partner may have served while it was silent, and
			// neighbours may have learnt its MAC: announce ours.
			acts = append(acts, Action{Kind: Announce, Reason: "partner back: resending arps"})
		}
	}
	m.heard = true
	// A quarter keepalive of grace: with deadtime a whole number of
	// keepalives, the heartbeat after as many lost ones would otherwise
	// race the deadline, and a late one lose.
	m.deadline = now.Add(m.pol.Deadtime + m.pol.Keepalive/4)
	m.arbPending, m.arbDone, m.arbNoted = false, false, false
	if p.State == StateActive && m.childFail && !m.active {
		// Piranha's rule: a director whose lvsd died stays out until
		// the partner serves; then it is a healthy standby again.
		m.childFail = false
		acts = append(acts, Action{Kind: Note, Reason: "partner active: lvsd failure cleared"})
	}
	m.partner = p
	return append(acts, m.decide(now)...)
}

// Tick handles the timers; call it at Next, or any time.
func (m *Machine) Tick(now time.Time) []Action {
	var acts []Action
	if m.childFail && !now.Before(m.faultAt.Add(m.pol.FaultRetry)) {
		m.childFail = false
		acts = append(acts, Action{Kind: Note, Reason: "retrying after the lvsd failure"})
	}
	acts = append(acts, m.decide(now)...)
	if m.active && m.pol.GARPRefresh > 0 && !now.Before(m.nextAnnounce) {
		m.nextAnnounce = now.Add(m.pol.GARPRefresh)
		acts = append(acts, Action{Kind: Announce})
	}
	if !m.pol.Solo && !now.Before(m.nextSend) {
		acts = append(acts, m.sendRoutine(now))
	}
	return acts
}

// Next is when Tick is next due. Conditions that have already come
// (a partner silent past its deadline) are not timers: they hold until
// an event changes them.
func (m *Machine) Next() time.Time {
	var next time.Time
	at := func(t time.Time, future bool) {
		if t.IsZero() || (future && !t.After(m.now)) {
			return
		}
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	if !m.pol.Solo {
		at(m.nextSend, false)
		at(m.deadline, true)
	}
	if m.active && m.pol.GARPRefresh > 0 {
		at(m.nextAnnounce, false)
	}
	if m.childFail {
		at(m.faultAt.Add(m.pol.FaultRetry), false)
	}
	if !m.bothStandbySince.IsZero() {
		at(m.bothStandbySince.Add(m.pol.Deadtime), true)
	}
	if !m.betterSince.IsZero() && !m.preempt {
		at(m.betterSince.Add(m.pol.FailbackDelay), true)
	}
	if !m.arbPending {
		at(m.arbNext, true)
	}
	return next
}

// ChildExited: lvsd died. Piranha's answer, kept: let go, and advertise
// a fault so that the partner takes over.
func (m *Machine) ChildExited(now time.Time, how string) []Action {
	return m.fail(now, "lvsd "+how)
}

// Failed: activating did not work; as a dead lvsd.
func (m *Machine) Failed(now time.Time, err error) []Action {
	return m.fail(now, "activation failed: "+err.Error())
}

func (m *Machine) fail(now time.Time, why string) []Action {
	m.childFail, m.faultAt = true, now
	var acts []Action
	if m.active {
		acts = m.deactivate(now, acts, why+": deactivating LVS")
	} else {
		acts = append(acts, Action{Kind: Note, Reason: why})
	}
	return append(acts, m.decide(now)...)
}

// LinkChanged reports the monitored links (monitor_links).
func (m *Machine) LinkChanged(now time.Time, up bool) []Action {
	if up == !m.linkFail {
		return nil
	}
	m.linkFail = !up
	var acts []Action
	if up {
		acts = append(acts, Action{Kind: Note, Reason: "Local NIC link(s) restored: Pulse enabled"})
	} else {
		acts = append(acts, Action{Kind: Note, Reason: "Local NIC link failure: Pulse disabled"})
		if m.active {
			acts = m.deactivate(now, acts, "local link failure: deactivating LVS")
		}
	}
	return append(acts, m.decide(now)...)
}

// Arbitrated is the answer to Arbitrate: whether the gateway answered.
func (m *Machine) Arbitrated(now time.Time, ticket uint64, reachable bool) []Action {
	if !m.arbPending || ticket != m.arbTicket {
		return nil // the partner spoke meanwhile, or an older question
	}
	m.arbPending = false
	if !reachable {
		m.arbNext = now.Add(m.pol.Deadtime)
		if m.arbNoted {
			return nil
		}
		m.arbNoted = true
		return []Action{{Kind: Note, Reason: "partner silent, but the arbitration gateway does not answer either: staying standby (this director may be the one cut off)"}}
	}
	m.arbDone = true
	return m.decide(now)
}

// Stop: pulse is told to end. Let go, and tell the partner at once,
// as a fault, so that it takes over without waiting for Deadtime.
func (m *Machine) Stop(now time.Time) []Action {
	m.stopping = true
	var acts []Action
	if m.active {
		acts = m.deactivate(now, acts, "")
	}
	if !m.pol.Solo {
		acts = append(acts, m.send(now))
	}
	return acts
}

// decide applies the rules of Machine and returns what changes.
func (m *Machine) decide(now time.Time) []Action {
	m.now = now
	if m.stopping {
		return nil
	}
	var acts []Action
	better := outranks(m.pol.Priority, m.pol.Master, m.partner.Priority)
	silent := m.pol.Solo || !now.Before(m.deadline)
	if silent {
		if m.heard && !m.silenceNoted && !m.pol.Solo {
			m.silenceNoted = true
			acts = append(acts, Action{Kind: Note, Reason: "no heartbeat from the partner for " + m.pol.Deadtime.String()})
		}
	} else {
		m.silenceNoted = false
		m.arbNext, m.arbDone = time.Time{}, false
	}
	standby := !silent && m.heard && !m.active && m.healthy()

	// Both standby: since when (the better one should take over).
	if standby && m.partner.State == StateStandby {
		if m.bothStandbySince.IsZero() {
			m.bothStandbySince = now
		}
	} else {
		m.bothStandbySince = time.Time{}
	}

	// Failback: ask once better, healthy and standby for FailbackDelay
	// while the partner serves; keep asking while it lets go.
	if m.pol.Failback == FailbackPreempt && standby && better {
		if m.partner.State == StateActive {
			if m.betterSince.IsZero() {
				m.betterSince = now
			}
			if !m.preempt && !now.Before(m.betterSince.Add(m.pol.FailbackDelay)) {
				m.preempt = true
				acts = append(acts, Action{Kind: Note, Reason: "failback: asking the partner to let go"}, m.send(now))
			}
		}
	} else {
		m.betterSince, m.preempt = time.Time{}, false
	}

	// Both active: the better one stays, and announces its VIPs when
	// the contest starts and again when the partner has let go, so that
	// neighbours that learnt the partner's MAC meanwhile come back.
	if m.active && better && !silent {
		switch {
		case m.partner.State == StateActive && !m.contested:
			m.contested = true
			acts = append(acts, Action{Kind: Announce, Reason: "partner active: resending arps"})
		case m.partner.State != StateActive && m.contested:
			m.contested = false
			acts = append(acts, Action{Kind: Announce, Reason: "partner let go: resending arps"})
		}
	} else if !m.active {
		m.contested = false
	}

	if !m.healthy() {
		return acts
	}
	switch {
	case m.pol.Solo:
		if !m.active {
			return m.activate(now, acts, "no backup director: activating lvs")
		}
	case silent:
		if m.active {
			return acts
		}
		if m.pol.Arbitrate && !m.arbDone {
			return m.arbitrate(now, acts)
		}
		return m.activate(now, acts, "partner dead: activating lvs")
	case m.partner.State == StateFault:
		if !m.active {
			// Piranha's words when the partner says it stopped.
			why := "backup inactive: activating lvs"
			if !m.pol.Master {
				why = "primary inactive: activating lvs"
			}
			switch {
			case m.partner.ChildFail:
				why = "partner's lvsd failed: activating lvs"
			case m.partner.LinkFail:
				why = "partner's link failed: activating lvs"
			}
			return m.activate(now, acts, why)
		}
	case m.partner.State == StateStandby:
		switch {
		case m.active && m.partner.Preempt && !better:
			return m.deactivate(now, acts, "failback: the partner takes over: deactivating LVS")
		case !m.active && better:
			who := "backup"
			if !m.pol.Master {
				who = "primary"
			}
			return m.activate(now, acts, who+" inactive: activating lvs")
		case !m.active && !m.bothStandbySince.IsZero() && !now.Before(m.bothStandbySince.Add(m.pol.Deadtime)):
			return m.activate(now, acts, "partner standby but not taking over: activating lvs")
		}
	case m.partner.State == StateActive:
		if m.active && !better {
			return m.deactivate(now, acts, "partner active: deactivating LVS")
		}
	}
	return acts
}

func (m *Machine) arbitrate(now time.Time, acts []Action) []Action {
	if m.arbPending || (!m.arbNext.IsZero() && now.Before(m.arbNext)) {
		return acts
	}
	m.arbTicket++
	m.arbPending = true
	a := Action{Kind: Arbitrate, Ticket: m.arbTicket}
	if !m.arbNoted {
		// Said once while the partner stays silent: it is asked
		// again every Deadtime, which would flood the log.
		a.Reason = "partner silent: checking the arbitration gateway before taking over"
	}
	return append(acts, a)
}

// activate and deactivate change state and tell the partner at once:
// a change waits for no keepalive.
func (m *Machine) activate(now time.Time, acts []Action, why string) []Action {
	m.active = true
	m.preempt, m.betterSince, m.bothStandbySince = false, time.Time{}, time.Time{}
	m.nextAnnounce = now.Add(m.pol.GARPRefresh)
	acts = append(acts, Action{Kind: Activate, Reason: why})
	if !m.pol.Solo {
		acts = append(acts, m.send(now))
	}
	return acts
}

func (m *Machine) deactivate(now time.Time, acts []Action, why string) []Action {
	m.active = false
	acts = append(acts, Action{Kind: Deactivate, Reason: why})
	if !m.pol.Solo && !m.stopping {
		acts = append(acts, m.send(now))
	}
	return acts
}

// send is a heartbeat now; the next routine one is a keepalive later.
func (m *Machine) send(now time.Time) Action {
	m.nextSend = now.Add(m.pol.Keepalive)
	return Action{Kind: Send}
}

// sendRoutine is the keepalive's heartbeat: on a fixed grid, so that
// the time Tick runs late does not stretch every interval (the partner
// would see deadtime pass after fewer lost heartbeats).
func (m *Machine) sendRoutine(now time.Time) Action {
	next := m.nextSend.Add(m.pol.Keepalive)
	if !next.After(now) {
		next = now.Add(m.pol.Keepalive) // far behind: start a new grid
	}
	m.nextSend = next
	return Action{Kind: Send}
}
