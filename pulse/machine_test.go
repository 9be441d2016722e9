package pulse

import (
	"errors"
	"fmt"
	"math/rand"
	"slices"
	"strings"
	"testing"
	"time"
)

// The machines are driven by a simulated pair: a fake clock, and a fake
// link that carries each director's Status to the other after a delay,
// losing what it is told to lose. Every action is recorded with its
// time, and so is every moment both directors are active.

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

type simNode struct {
	name    string
	m       *Machine
	up      bool // the process runs (kill -9 sets it false)
	actions []string
	// arbitration: what the gateway check answers, if the node asks.
	gateway bool
	arbAsk  []uint64
}

type delivery struct {
	at   time.Time
	to   *simNode
	from Status
}

type sim struct {
	t        *testing.T
	now      time.Time
	a, b     *simNode // a is the primary
	inFlight []delivery
	delay    time.Duration
	loss     float64 // share of heartbeats lost, each way
	cut      bool    // the heartbeat link is down
	rnd      *rand.Rand
	// both: total time both were active, and the longest stretch.
	both, bothMax, bothRun time.Duration
	sent                   int
}

func testPolicy(master bool) Policy {
	return Policy{Master: master, Priority: 100, Keepalive: 100 * time.Millisecond, Deadtime: 500 * time.Millisecond,
		FailbackDelay: 2 * time.Second, GARPRefresh: 10 * time.Second}
}

func newSim(t *testing.T, pa, pb Policy) *sim {
	return &sim{t: t, now: t0, delay: time.Millisecond, rnd: rand.New(rand.NewSource(1)),
		a: &simNode{name: "primary", m: NewMachine(pa)},
		b: &simNode{name: "backup", m: NewMachine(pb)}}
}

func (s *sim) other(n *simNode) *simNode {
	if n == s.a {
		return s.b
	}
	return s.a
}

// do carries out n's actions the way Run does.
func (s *sim) do(n *simNode, acts []Action) {
	for _, a := range acts {
		n.actions = append(n.actions, fmt.Sprintf("%v %s", s.now.Sub(t0), a))
		switch a.Kind {
		case Send:
			s.sent++
			if s.cut || s.rnd.Float64() < s.loss {
				continue
			}
			s.inFlight = append(s.inFlight, delivery{at: s.now.Add(s.delay), to: s.other(n), from: n.m.Status()})
		case Arbitrate:
			n.arbAsk = append(n.arbAsk, a.Ticket)
		}
	}
}

func (s *sim) start(n *simNode, force bool) {
	n.up = true
	s.do(n, n.m.Start(s.now, force))
}

// kill stops n as kill -9 would: no last word.
func (s *sim) kill(n *simNode) { n.up = false }

// run advances the clock by d, delivering heartbeats and ticking both
// machines when they are due.
func (s *sim) run(d time.Duration) {
	end := s.now.Add(d)
	for {
		next := end
		for _, n := range []*simNode{s.a, s.b} {
			if t := n.m.Next(); n.up && !t.IsZero() && t.Before(next) {
				next = t
			}
		}
		for _, f := range s.inFlight {
			if f.at.Before(next) {
				next = f.at
			}
		}
		if next.Before(s.now) {
			next = s.now
		}
		s.account(next)
		s.now = next
		// Arbitration answers come back at once.
		for _, n := range []*simNode{s.a, s.b} {
			for len(n.arbAsk) > 0 && n.up {
				tk := n.arbAsk[0]
				n.arbAsk = n.arbAsk[1:]
				s.do(n, n.m.Arbitrated(s.now, tk, n.gateway))
			}
		}
		var due, later []delivery
		for _, f := range s.inFlight {
			if f.at.After(s.now) {
				later = append(later, f)
			} else {
				due = append(due, f)
			}
		}
		s.inFlight = later
		for _, f := range due {
			if f.to.up {
				s.do(f.to, f.to.m.Heartbeat(s.now, f.from))
			}
		}
		for _, n := range []*simNode{s.a, s.b} {
			if t := n.m.Next(); n.up && !t.IsZero() && !t.After(s.now) {
				s.do(n, n.m.Tick(s.now))
			}
		}
		if !s.now.Before(end) {
			return
		}
	}
}

// account adds the time up to next to the both-active tallies. A
// killed director counts as not active: its VIPs are gone with it in
// the network tests (its namespace's addresses remain, but it answers
// nothing, like a dead host).
func (s *sim) account(next time.Time) {
	d := next.Sub(s.now)
	if s.a.up && s.b.up && s.a.m.Active() && s.b.m.Active() {
		s.both += d
		s.bothRun += d
		s.bothMax = max(s.bothMax, s.bothRun)
	} else {
		s.bothRun = 0
	}
}

func (s *sim) has(n *simNode, want string) bool {
	for _, a := range n.actions {
		if strings.Contains(a, want) {
			return true
		}
	}
	return false
}

func (s *sim) expect(n *simNode, active bool) {
	s.t.Helper()
	if n.m.Active() != active {
		s.t.Fatalf("at %v: %s active = %v, want %v\nprimary: %q\nbackup: %q", s.now.Sub(t0), n.name, n.m.Active(), active, s.a.actions, s.b.actions)
	}
}

func count(actions []string, kind string) int {
	n := 0
	for _, a := range actions {
		if strings.Contains(a, " "+kind) {
			n++
		}
	}
	return n
}

func TestColdStartTogether(t *testing.T) {
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(10 * time.Second)
	s.expect(s.a, true)
	s.expect(s.b, false)
	if s.both != 0 || count(s.b.actions, "activate") != 0 {
		t.Errorf("both active for %v; backup: %q", s.both, s.b.actions)
	}
	if !s.has(s.a, "activate: backup inactive: activating lvs") {
		t.Errorf("primary: %q", s.a.actions)
	}
	// The primary decided on the backup's first heartbeat, not after
	// Deadtime.
	if first := s.a.actions[0]; !strings.HasPrefix(first, "0s send") {
		t.Errorf("first action %q, want an immediate heartbeat", first)
	}
}

func TestColdStartStaggered(t *testing.T) {
	// Either may come up first, at any moment of the other's wait: the
	// VIPs are never on both.
	for _, gap := range []time.Duration{0, 50 * time.Millisecond, 300 * time.Millisecond, 499 * time.Millisecond,
		500 * time.Millisecond, 501 * time.Millisecond, 700 * time.Millisecond, 3 * time.Second} {
		for _, primaryFirst := range []bool{true, false} {
			s := newSim(t, testPolicy(true), testPolicy(false))
			first, second := s.a, s.b
			if !primaryFirst {
				first, second = s.b, s.a
			}
			s.start(first, false)
			s.run(gap)
			s.start(second, false)
			s.run(10 * time.Second)
			if s.both != 0 {
				t.Errorf("gap %v, primary first %v: both active for %v\nprimary %q\nbackup %q", gap, primaryFirst, s.both, s.a.actions, s.b.actions)
			}
			if s.a.m.Active() == s.b.m.Active() {
				t.Errorf("gap %v, primary first %v: active %v and %v", gap, primaryFirst, s.a.m.Active(), s.b.m.Active())
			}
		}
	}
}

func TestPrimaryDies(t *testing.T) {
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(2 * time.Second)
	s.kill(s.a)
	killed := s.now
	s.run(2 * time.Second)
	s.expect(s.b, true)
	var took time.Duration
	for _, a := range s.b.actions {
		if strings.Contains(a, "activate: partner dead: activating lvs") {
			d, _ := time.ParseDuration(strings.Fields(a)[0])
			took = t0.Add(d).Sub(killed)
		}
	}
	// Silence is noticed Deadtime and a quarter keepalive after the
	// last heartbeat heard, which left at most one keepalive before the
	// kill.
	if took <= 425*time.Millisecond || took > 525*time.Millisecond {
		t.Errorf("backup took over %v after the kill; want within deadtime + keepalive/4 (525ms)\n%q", took, s.b.actions)
	}
}

func TestFailbackNever(t *testing.T) {
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(time.Second)
	s.kill(s.a)
	s.run(time.Second)
	s.a.m = NewMachine(testPolicy(true)) // a new process
	s.start(s.a, false)
	s.run(time.Minute)
	s.expect(s.a, false)
	s.expect(s.b, true)
	if s.both != 0 || s.has(s.a, "preempt") {
		t.Errorf("both %v; primary %q", s.both, s.a.actions)
	}
}

func TestFailbackPreempt(t *testing.T) {
	pa, pb := testPolicy(true), testPolicy(false)
	pa.Failback, pb.Failback = FailbackPreempt, FailbackPreempt
	s := newSim(t, pa, pb)
	s.start(s.b, false)
	s.run(time.Second) // the backup alone serves
	s.expect(s.b, true)
	s.start(s.a, false)
	s.run(time.Second)
	s.expect(s.a, false) // not before the delay
	s.expect(s.b, true)
	s.run(3 * time.Second)
	s.expect(s.a, true)
	s.expect(s.b, false)
	if s.both != 0 {
		t.Errorf("both active for %v during the handover", s.both)
	}
	for _, want := range []string{"note: failback: asking the partner to let go", "activate: backup inactive: activating lvs"} {
		if !s.has(s.a, want) {
			t.Errorf("primary lacks %q: %q", want, s.a.actions)
		}
	}
	if !s.has(s.b, "deactivate: failback: the partner takes over: deactivating LVS") {
		t.Errorf("backup: %q", s.b.actions)
	}
	// And it stays so.
	s.run(time.Minute)
	s.expect(s.a, true)
	s.expect(s.b, false)
}

func TestPreemptNeedsTheBetterNode(t *testing.T) {
	// With the backup's priority higher, the backup is the better one:
	// the primary returning does not take over, the backup keeps it.
	pa, pb := testPolicy(true), testPolicy(false)
	pa.Failback, pb.Failback = FailbackPreempt, FailbackPreempt
	pb.Priority = 150
	s := newSim(t, pa, pb)
	pa.Priority = 100
	s.start(s.a, false)
	s.run(time.Second)
	s.expect(s.a, true)
	s.start(s.b, false)
	s.run(5 * time.Second)
	s.expect(s.b, true) // the better node preempts the primary
	s.expect(s.a, false)
	if s.both != 0 {
		t.Errorf("both active for %v", s.both)
	}
}

func TestSplitBrainHeals(t *testing.T) {
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(time.Second)
	s.cut = true
	s.run(2 * time.Second)
	s.expect(s.a, true)
	s.expect(s.b, true) // no arbitration: both serve
	s.cut = false
	s.both, s.bothMax, s.bothRun = 0, 0, 0
	s.run(time.Second)
	s.expect(s.a, true)
	s.expect(s.b, false)
	if s.bothMax > 100*time.Millisecond+2*s.delay {
		t.Errorf("after the link healed both stayed active for %v, more than one keepalive", s.bothMax)
	}
	// Whichever heartbeat crossed the healed link first, the primary
	// announced its VIPs again after the backup had let go.
	if !s.has(s.a, "announce: partner back: resending arps") && !s.has(s.a, "announce: partner let go: resending arps") {
		t.Errorf("primary did not announce after the split: %q", s.a.actions)
	}
	if !s.has(s.b, "deactivate: partner active: deactivating LVS") {
		t.Errorf("backup: %q", s.b.actions)
	}
}

func TestArbitration(t *testing.T) {
	pa, pb := testPolicy(true), testPolicy(false)
	pa.Arbitrate, pb.Arbitrate = true, true
	s := newSim(t, pa, pb)
	s.a.gateway, s.b.gateway = true, false // the backup is the one cut off
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(time.Second)
	s.cut = true
	s.run(5 * time.Second)
	s.expect(s.a, true)
	s.expect(s.b, false)
	if !s.has(s.b, "arbitrate: partner silent") || !s.has(s.b, "note: partner silent, but the arbitration gateway does not answer") {
		t.Errorf("backup: %q", s.b.actions)
	}
	// It keeps asking, once per deadtime, not in a loop.
	if n := count(s.b.actions, "arbitrate"); n < 5 || n > 12 {
		t.Errorf("%d arbitrations in 5s", n)
	}
	// The gateway comes back while the partner is still silent (the
	// primary died meanwhile): now it takes over.
	s.kill(s.a)
	s.b.gateway = true
	s.run(time.Second)
	s.expect(s.b, true)
}

func TestArbitrationAnswerAfterHeartbeat(t *testing.T) {
	p := testPolicy(false)
	p.Arbitrate = true
	m := NewMachine(p)
	m.Start(t0, false)
	acts := m.Tick(t0.Add(600 * time.Millisecond))
	var ticket uint64
	for _, a := range acts {
		if a.Kind == Arbitrate {
			ticket = a.Ticket
		}
	}
	if ticket == 0 {
		t.Fatalf("no arbitration: %v", acts)
	}
	m.Heartbeat(t0.Add(700*time.Millisecond), Status{State: StateActive, Priority: 100, Master: true})
	if acts := m.Arbitrated(t0.Add(800*time.Millisecond), ticket, true); len(acts) != 0 || m.Active() {
		t.Errorf("a stale arbitration answer acted: %v", acts)
	}
}

func TestChildFailure(t *testing.T) {
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(time.Second)
	s.do(s.a, s.a.m.ChildExited(s.now, "exited with status 1"))
	s.expect(s.a, false)
	if st := s.a.m.Status(); st.State != StateFault || !st.ChildFail {
		t.Errorf("status after lvsd died: %+v", st)
	}
	s.run(20 * time.Millisecond)
	s.expect(s.b, true) // at once, not after deadtime
	if !s.has(s.b, "activate: partner's lvsd failed: activating lvs") {
		t.Errorf("backup: %q", s.b.actions)
	}
	s.run(time.Second)
	if st := s.a.m.Status(); st.State != StateStandby || st.ChildFail {
		t.Errorf("primary after the backup took over: %+v, want a healthy standby", st)
	}
	s.expect(s.a, false)
}

func TestFaultRetry(t *testing.T) {
	p := testPolicy(true)
	p.FaultRetry = 5 * time.Second
	p.Solo = true
	m := NewMachine(p)
	if acts := m.Start(t0, false); !m.Active() || acts[0].Kind != Activate {
		t.Fatalf("solo start: %v", acts)
	}
	m.Failed(t0.Add(time.Second), errors.New("eth0: no such device"))
	if m.Active() {
		t.Fatal("active after a failed activation")
	}
	if next := m.Next(); !next.Equal(t0.Add(6 * time.Second)) {
		t.Errorf("Next = %v, want the retry at 6s", next.Sub(t0))
	}
	if acts := m.Tick(t0.Add(3 * time.Second)); m.Active() {
		t.Errorf("retried early: %v", acts)
	}
	acts := m.Tick(t0.Add(6 * time.Second))
	if !m.Active() {
		t.Errorf("no retry: %v", acts)
	}
}

func TestStopHandsOver(t *testing.T) {
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(time.Second)
	s.do(s.a, s.a.m.Stop(s.now))
	s.expect(s.a, false)
	s.kill(s.a)
	s.run(20 * time.Millisecond)
	s.expect(s.b, true)
	if !s.has(s.b, "activate: primary inactive: activating lvs") {
		t.Errorf("backup: %q", s.b.actions)
	}
}

func TestLinkFailure(t *testing.T) {
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(time.Second)
	s.do(s.a, s.a.m.LinkChanged(s.now, false))
	s.run(20 * time.Millisecond)
	s.expect(s.a, false)
	s.expect(s.b, true)
	if !s.has(s.a, "deactivate: local link failure: deactivating LVS") || !s.has(s.b, "activate: partner's link failed") {
		t.Errorf("primary %q\nbackup %q", s.a.actions, s.b.actions)
	}
	s.do(s.a, s.a.m.LinkChanged(s.now, true))
	s.run(time.Second)
	s.expect(s.a, false) // failback never
	if !s.has(s.a, "Local NIC link(s) restored") {
		t.Errorf("primary %q", s.a.actions)
	}
	if acts := s.a.m.LinkChanged(s.now, true); acts != nil {
		t.Errorf("no change, yet %v", acts)
	}
}

func TestForceActiveOnBackup(t *testing.T) {
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.start(s.a, false)
	s.run(time.Second)
	s.start(s.b, true)
	s.expect(s.b, true)
	s.run(time.Second)
	s.expect(s.b, false) // the primary wins the tie
	s.expect(s.a, true)
	if s.bothMax > 100*time.Millisecond {
		t.Errorf("both active for %v", s.bothMax)
	}
}

func TestSolo(t *testing.T) {
	p := testPolicy(true)
	p.Solo = true
	m := NewMachine(p)
	acts := m.Start(t0, false)
	if !m.Active() || len(acts) != 1 || acts[0].Reason != "no backup director: activating lvs" {
		t.Errorf("solo start: %v", acts)
	}
	// No heartbeats, only the GARP refresh.
	if next := m.Next(); !next.Equal(t0.Add(10 * time.Second)) {
		t.Errorf("Next = %v", next.Sub(t0))
	}
	if acts := m.Tick(t0.Add(10 * time.Second)); len(acts) != 1 || acts[0].Kind != Announce {
		t.Errorf("refresh: %v", acts)
	}
}

func TestGARPRefresh(t *testing.T) {
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(35 * time.Second)
	if n := count(s.a.actions, "announce"); n != 3 {
		t.Errorf("%d refreshes in 35 s at 10 s: %q", n, s.a.actions)
	}
	if n := count(s.b.actions, "announce"); n != 0 {
		t.Errorf("standby announced: %q", s.b.actions)
	}
}

func TestNoFalseFailoverUnderLoss(t *testing.T) {
	// 10 minutes at 5% loss each way, keepalive 100 ms, deadtime 500 ms:
	// five heartbeats in a row must be lost for a failover.
	s := newSim(t, testPolicy(true), testPolicy(false))
	s.loss = 0.05
	s.start(s.a, false)
	s.start(s.b, false)
	s.run(10 * time.Minute)
	if count(s.b.actions, "activate") != 0 || count(s.a.actions, "deactivate") != 0 {
		t.Errorf("false failover: backup %q", s.b.actions)
	}
	if s.sent < 11000 {
		t.Errorf("only %d heartbeats in 10 minutes", s.sent)
	}
}

func TestHeavyLossEndsWithOneServing(t *testing.T) {
	// With heavy loss failovers and contests happen, as often as the
	// loss makes the partner look dead; whatever happened, once the
	// loss stops exactly one director serves within a second.
	for seed := int64(1); seed <= 20; seed++ {
		s := newSim(t, testPolicy(true), testPolicy(false))
		s.rnd = rand.New(rand.NewSource(seed))
		s.loss = 0.6
		s.start(s.a, false)
		s.start(s.b, false)
		s.run(2 * time.Minute)
		s.loss = 0
		s.bothRun = 0
		s.run(time.Second)
		if s.a.m.Active() == s.b.m.Active() {
			t.Errorf("seed %d: after the loss stopped, active %v and %v", seed, s.a.m.Active(), s.b.m.Active())
		}
	}
}

func TestNextNeverSpins(t *testing.T) {
	// After a condition has come (the partner is dead), Next must not
	// keep returning the past.
	p := testPolicy(false)
	m := NewMachine(p)
	m.Start(t0, false)
	now := t0
	for i := 0; i < 100; i++ {
		next := m.Next()
		if !next.After(now) {
			t.Fatalf("step %d: Next %v is not after %v", i, next.Sub(t0), now.Sub(t0))
		}
		now = next
		m.Tick(now)
	}
	if !m.Active() {
		t.Error("never took over")
	}
}

func TestStatus(t *testing.T) {
	m := NewMachine(testPolicy(true))
	if got, want := m.Status(), (Status{State: StateStandby, Priority: 100, Master: true}); got != want {
		t.Errorf("Status = %+v, want %+v", got, want)
	}
	m.Start(t0, true)
	if got := m.Status().State; got != StateActive {
		t.Errorf("forced: %v", got)
	}
	acts := m.Stop(t0.Add(time.Second))
	kinds := []ActionKind{}
	for _, a := range acts {
		kinds = append(kinds, a.Kind)
	}
	if !slices.Equal(kinds, []ActionKind{Deactivate, Send}) || m.Status().State != StateFault {
		t.Errorf("Stop: %v, status %v", acts, m.Status())
	}
	if acts := m.Heartbeat(t0.Add(2*time.Second), Status{State: StateStandby, Priority: 100}); len(acts) != 1 || acts[0].Kind != Note {
		t.Errorf("after Stop a heartbeat did %v", acts)
	}
}

func TestBothActiveAnnounces(t *testing.T) {
	m := NewMachine(testPolicy(true))
	m.Start(t0, true)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	var got []string
	for i, st := range []State{StateActive, StateActive, StateStandby, StateStandby} {
		for _, a := range m.Heartbeat(at(10+i*100), Status{State: st, Priority: 100}) {
			got = append(got, a.String())
		}
	}
	want := []string{"note: partner alive (active)", "announce: partner active: resending arps", "announce: partner let go: resending arps"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q\nwant %q", got, want)
	}
}

func TestLostHeartbeatsAtTheDeadline(t *testing.T) {
	// deadtime = 5 keepalives: four lost heartbeats in a row are no
	// failover, even when every heartbeat leaves a little late; five are.
	for lost, want := range map[int]bool{3: false, 4: false, 5: true} {
		pb := testPolicy(false)
		m := NewMachine(pb)
		m.Start(t0, false)
		primary := Status{State: StateActive, Priority: 100, Master: true}
		at := t0
		m.Heartbeat(at, primary)
		late := 3 * time.Millisecond // the sender's scheduling delay
		for i := 1; i <= lost; i++ {
			m.Tick(t0.Add(time.Duration(i) * 100 * time.Millisecond))
		}
		next := t0.Add(time.Duration(lost+1)*100*time.Millisecond + late)
		m.Tick(next)
		if lost < 5 {
			m.Heartbeat(next, primary)
		}
		if m.Active() != want {
			t.Errorf("%d heartbeats lost: active %v, want %v", lost, m.Active(), want)
		}
	}
}

func TestSendsKeepTheirGrid(t *testing.T) {
	m := NewMachine(testPolicy(true))
	m.Start(t0, false)
	var sent []time.Duration
	// Four ticks: before the partner's deadline, which would change the
	// state and send at once, off the grid.
	for i := 1; i <= 4; i++ {
		now := t0.Add(time.Duration(i)*100*time.Millisecond + 7*time.Millisecond) // each Tick 7 ms late
		for _, a := range m.Tick(now) {
			if a.Kind == Send {
				sent = append(sent, now.Sub(t0))
			}
		}
		if next := m.Next(); next.Sub(t0) != time.Duration(i+1)*100*time.Millisecond {
			t.Errorf("after the tick at %v, next send at %v, want %v", now.Sub(t0), next.Sub(t0), time.Duration(i+1)*100*time.Millisecond)
		}
	}
	if len(sent) != 4 {
		t.Errorf("sent at %v", sent)
	}
}
