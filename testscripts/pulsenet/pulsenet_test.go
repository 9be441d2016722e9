package pulsenet

import (
	"bytes"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lvskit/pulse"
)

// The director dies (kill -9 of pulse and its lvsd): the backup takes
// the VIP after deadtime and its gratuitous ARP moves the client.
func TestKillPrimary(t *testing.T) {
	r := newRig(t)
	cfg := r.config("lvs", Public())
	a, b := r.coldStart(cfg)
	learned := r.learn("A")

	// Killed soon after the client learnt the VIP, so that the
	// backup's gratuitous ARP reaches the client's entry within
	// locktime (1 s) of its last update: Linux ignores a plain ARP
	// reply then, but not a gratuitous one (arp_process: override =
	// locktime passed || is_garp), which is what pulse sends. And at a
	// random point of the heartbeat cycle: the takeover comes deadtime
	// after the last heartbeat, not after the kill.
	randomPhase()
	kill := a.Kill()
	vip := r.until("the backup holds the VIP", kill, 5*time.Second, func(s State) bool { return s.B })
	client := r.until("the client sends to the backup", kill, 5*time.Second, clientAt("B"))
	toVIP, toClient := vip.At.Sub(kill), client.At.Sub(kill)
	t.Logf("kill -9 of the primary: VIP on the backup after %s, client's neighbour entry on the backup's MAC after %s (entry last updated %s before the kill)",
		ms(toVIP), ms(toClient), ms(kill.Sub(learned)))

	// The backup waits deadtime from the last heartbeat, sent at most
	// a keepalive before the kill (a second keepalive allows for a late
	// timer on either side).
	if lo, hi := deadtime-2*keepalive, deadtime+2*keepalive+slack; toVIP < lo || toVIP > hi {
		t.Errorf("VIP on the backup %s after the kill, want between %s and %s", ms(toVIP), ms(lo), ms(hi))
	}
	if toClient > 1500*time.Millisecond {
		t.Errorf("client updated %s after the kill, want within 1.5 s", ms(toClient))
	}
	if b.WaitLog(0, "partner dead: activating lvs", time.Second) < 0 {
		t.Errorf("the backup did not log why it took over")
	}
}

// The primary comes back after a kill -9. Its restarted pulse first
// drops the VIP the killed one left; then, with failback = never, the
// backup keeps the service; with preempt, after failback_delay the
// primary asks, the backup lets go, and only then the primary takes
// the VIP: in no case is it on both for longer than a keepalive.
func TestFailback(t *testing.T) {
	for _, tc := range []struct {
		failback string
		delay    time.Duration
	}{{"", 0}, {"preempt", time.Second}} {
		name := "never"
		if tc.failback != "" {
			name = tc.failback
		}
		t.Run(name, func(t *testing.T) {
			r := newRig(t)
			c := Public()
			c.Failback, c.FailbackDelay = tc.failback, tc.delay
			cfg := r.config("lvs", c)
			a, _ := r.coldStart(cfg)
			r.learn("A")
			randomPhase()
			kill := a.Kill()
			r.until("the backup holds the VIP", kill, 5*time.Second, func(s State) bool { return s.B })
			r.until("the client sends to the backup", kill, 5*time.Second, clientAt("B"))

			restart := time.Now()
			r.pulse(r.l.A, "pulse-a2", cfg)
			// The killed pulse left the VIP on the primary (nothing
			// removes addresses when a process dies): the new one
			// drops it before it does anything else.
			clear := r.until("the restarted primary drops the VIP left by the killed one", restart, 2*time.Second, func(s State) bool { return !s.A })
			t.Logf("restarted primary dropped the leftover VIP %s after its start", ms(clear.At.Sub(restart)))

			if tc.failback == "" {
				watch := 2*deadtime + 2*time.Second
				time.Sleep(watch)
				r.held("failback = never: the backup keeps the VIP", clear.At, time.Time{}, heldBy("B"))
				r.held("failback = never: the client stays with the backup", clear.At, time.Time{}, clientAt("B"))
				t.Logf("failback = never: the backup kept the VIP for the %s watched", watch)
			} else {
				back := r.until("failback: the primary holds the VIP", clear.At, tc.delay+5*time.Second, func(s State) bool { return s.A })
				// From the moment the new pulse was at work (it drops
				// the leftover first): how long a process takes to start
				// is no part of the protocol. It hears the backup within
				// a keepalive, waits the delay, asks; the backup lets go
				// at once and tells it.
				took := back.At.Sub(clear.At)
				if lo, hi := tc.delay, tc.delay+2*keepalive+slack; took < lo || took > hi {
					t.Errorf("failback after %s, want between %s and %s (failback_delay %s)", ms(took), ms(lo), ms(hi), tc.delay)
				}
				// The handover's gap: the backup dropped the VIP, then
				// told the primary, which raised it.
				gap := fmt.Sprintf("less than the watcher's %s poll", poll)
				if prev := r.w.Before(back.At); !prev.A && !prev.B {
					gap = ms(back.At.Sub(prev.At))
				}
				t.Logf("failback = preempt, delay %s: the primary holds the VIP %s after its restarted pulse began; nobody held it for %s",
					tc.delay, ms(took), gap)
				cl := r.until("failback: the client sends to the primary", back.At, time.Second, clientAt("A"))
				t.Logf("failback: client's entry on the primary %s after it took the VIP", ms(cl.At.Sub(back.At)))
				time.Sleep(2 * deadtime)
				r.held("failback: the primary keeps the VIP", back.At, time.Time{}, heldBy("A"))
			}
			longest, total, n := r.w.Overlap(clear.At, time.Time{})
			t.Logf("VIP on both directors after the leftover went: longest %s, %d times, %s in all", ms(longest), n, ms(total))
			if longest > keepalive {
				t.Errorf("the VIP was on both directors for %s, more than a keepalive (%s)", ms(longest), keepalive)
			}
		})
	}
}

// The heartbeat link is cut with an arbitration gateway set (the
// client's address; heartbeats go over the public network, so a
// director cut off from its partner is cut off from the gateway too).
func TestArbitration(t *testing.T) {
	cfgOf := func(r *rig) string {
		c := Public()
		c.Gateway = ClientC
		return r.config("lvs", c)
	}

	// The standby director loses its link: its partner falls silent,
	// but so does the gateway, so it stays standby. The primary keeps
	// serving.
	t.Run("standby cut off", func(t *testing.T) {
		r := newRig(t)
		_, b := r.coldStart(cfgOf(r))
		randomPhase()
		cut := time.Now()
		if err := r.l.CutPublic(r.l.B); err != nil {
			t.Fatal(err)
		}
		// Silent for deadtime, then up to three pings of deadtime/3.
		if b.WaitLog(0, "partner silent, but the arbitration gateway does not answer either: staying standby", deadtime+2*time.Second) < 0 {
			t.Fatalf("the cut-off backup did not log that the gateway is unreachable")
		}
		t.Logf("cut-off backup: gateway unreachable, staying standby (logged %s after the cut)", ms(time.Since(cut)))
		time.Sleep(2 * deadtime)
		r.held("cut-off backup: the primary alone holds the VIP", cut, time.Time{}, heldBy("A"))
		heal := time.Now()
		if err := r.l.RestorePublic(r.l.B); err != nil {
			t.Fatal(err)
		}
		if b.WaitLog(0, "partner alive (active)", 2*time.Second) < 0 {
			t.Errorf("the backup did not hear the primary again")
		}
		time.Sleep(2 * deadtime)
		r.held("after the cut heals: the primary alone holds the VIP", cut, time.Time{}, heldBy("A"))
		t.Logf("link back: the backup heard the primary and stayed standby (watched %s)", ms(time.Since(heal)))
	})

	// The active director loses its link: the backup still reaches the
	// gateway, so it takes over, and the client follows it. The cut-off
	// primary keeps its VIP where nobody sees it (no rule makes an
	// active director let go for silence). When the link heals, both
	// are active: the backup lets go at once and the primary announces
	// the VIP again, so the client comes back.
	t.Run("active cut off", func(t *testing.T) {
		r := newRig(t)
		a, b := r.coldStart(cfgOf(r))
		r.learn("A")
		randomPhase()
		cut := time.Now()
		if err := r.l.CutPublic(r.l.A); err != nil {
			t.Fatal(err)
		}
		vip := r.until("the backup, reaching the gateway, takes the VIP", cut, 5*time.Second, func(s State) bool { return s.B })
		took := vip.At.Sub(cut)
		// The gateway answers the first ping at once.
		if hi := deadtime + 2*keepalive + slack; took > hi {
			t.Errorf("backup took over %s after the cut, want within %s", ms(took), ms(hi))
		}
		if b.WaitLog(0, "checking the arbitration gateway", 0) < 0 || b.WaitLog(0, "partner dead: activating lvs", 0) < 0 {
			t.Errorf("the backup did not log the arbitration and the takeover")
		}
		cl := r.until("the client follows the backup", cut, 3*time.Second, clientAt("B"))
		t.Logf("primary cut off: backup took the VIP %s after the cut (gateway checked first), client followed after %s", ms(took), ms(cl.At.Sub(cut)))
		if !r.w.Now().A {
			t.Errorf("the cut-off primary dropped its VIP; pulse's rules keep an active director serving through silence")
		}
		time.Sleep(deadtime)

		randomPhase()
		heal := time.Now()
		if err := r.l.RestorePublic(r.l.A); err != nil {
			t.Fatal(err)
		}
		gone := r.until("the backup lets go when the link heals", heal, 3*time.Second, heldBy("A"))
		back := r.until("the client returns to the primary", heal, 3*time.Second, clientAt("A"))
		letGo := gone.At.Sub(heal)
		t.Logf("link healed: backup let go after %s, client back on the primary after %s", ms(letGo), ms(back.At.Sub(heal)))
		if hi := keepalive + slack/2; letGo > hi {
			t.Errorf("the backup let go %s after the heal, want within a keepalive (%s, + %s slack)", ms(letGo), keepalive, slack/2)
		}
		if a.WaitLog(0, "resending arps", time.Second) < 0 {
			t.Errorf("the primary did not log that it announced the VIP again")
		}
		time.Sleep(deadtime)
		r.held("healed: the primary serves, the client sends to it", maxTime(back.At, gone.At), time.Time{}, func(s State) bool { return heldBy("A")(s) && s.Client == "A" })
	})
}

// Without arbitration, a cut of the heartbeat link alone (the
// dedicated one; both directors still on the public network) is
// Piranha's split brain: the backup takes over too, and the client
// follows the last gratuitous ARP. When the link heals the backup lets
// go within a keepalive and the primary announces the VIP again.
func TestSplitBrain(t *testing.T) {
	r := newRig(t)
	c := Public()
	c.Primary, c.Backup = HBA, HBB
	a, b := r.coldStart(r.config("lvs", c))
	r.learn("A")
	randomPhase()
	cut := time.Now()
	r.l.Fwd.Cut()
	both := r.until("split brain: both directors hold the VIP", cut, 5*time.Second, func(s State) bool { return s.A && s.B })
	took := both.At.Sub(cut)
	if hi := deadtime + 2*keepalive + slack; took > hi {
		t.Errorf("backup took over %s after the cut, want within %s", ms(took), ms(hi))
	}
	r.until("split brain: the client follows the backup's announcement", cut, 3*time.Second, clientAt("B"))
	time.Sleep(deadtime)
	r.held("split brain: both hold the VIP while the link is cut", both.At, time.Time{}, func(s State) bool { return s.A && s.B })

	randomPhase()
	heal := time.Now()
	r.l.Fwd.Heal()
	gone := r.until("healed: the backup lets go", heal, 3*time.Second, heldBy("A"))
	back := r.until("healed: the client returns to the primary", heal, 3*time.Second, clientAt("A"))
	letGo := gone.At.Sub(heal)
	t.Logf("split brain: both active %s after the cut; healed: backup let go after %s, client back on the primary after %s",
		ms(took), ms(letGo), ms(back.At.Sub(heal)))
	if hi := keepalive + slack/2; letGo > hi {
		t.Errorf("the backup let go %s after the heal, want within a keepalive (%s, + %s slack)", ms(letGo), keepalive, slack/2)
	}
	if b.WaitLog(0, "partner active: deactivating LVS", 0) < 0 {
		t.Errorf("the backup did not log why it let go")
	}
	if a.WaitLog(0, "resending arps", time.Second) < 0 {
		t.Errorf("the primary did not log that it announced the VIP again")
	}
	time.Sleep(deadtime)
	r.held("healed: the primary serves, the client sends to it", maxTime(back.At, gone.At), time.Time{}, func(s State) bool { return heldBy("A")(s) && s.Client == "A" })
}

// Piranha's heartbeat, from the reference (§4.3): 4 bytes, the magic in
// x86 (little-endian) order.
var (
	piranhaRunning = []byte{0xda, 0xdb, 0xad, 0xbd} // 0xbdaddbda
	piranhaStopped = []byte{0xbd, 0xda, 0xbd, 0xad} // 0xadbddabd
)

// piranhaPeer is a Piranha pulse, as far as its heartbeats go: from
// primary:539 to backup:539 every keepalive, "running" or "stopped",
// or nothing; and it records what it receives.
type piranhaPeer struct {
	conn *net.UDPConn
	say  atomic.Value // []byte, or nil for silence
	mu   sync.Mutex
	got  []received
	done chan struct{}
}

type received struct {
	at   time.Time
	from netip.AddrPort
	data []byte
}

func startPiranhaPeer(t *testing.T, l *Lab) *piranhaPeer {
	conn, err := l.ListenUDP(l.A, netip.AddrPortFrom(PublicA, heartbeatPort))
	if err != nil {
		t.Fatal(err)
	}
	p := &piranhaPeer{conn: conn, done: make(chan struct{})}
	p.say.Store([]byte(nil))
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(PublicB, heartbeatPort))
	go func() {
		buf := make([]byte, 2048)
		for {
			n, from, err := conn.ReadFromUDPAddrPort(buf)
			if err != nil {
				return
			}
			p.mu.Lock()
			p.got = append(p.got, received{time.Now(), from, append([]byte(nil), buf[:n]...)})
			p.mu.Unlock()
		}
	}()
	go func() {
		tick := time.NewTicker(keepalive)
		defer tick.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-tick.C:
			}
			if b := p.say.Load().([]byte); b != nil {
				conn.WriteTo(b, to)
			}
		}
	}()
	t.Cleanup(func() { close(p.done); conn.Close() })
	return p
}

// tell switches what the peer says, and says it at once.
func (p *piranhaPeer) tell(b []byte) {
	p.say.Store(b)
	if b != nil {
		p.conn.WriteTo(b, net.UDPAddrFromAddrPort(netip.AddrPortFrom(PublicB, heartbeatPort)))
	}
}

// since returns what the peer received from from on.
func (p *piranhaPeer) since(from time.Time) []received {
	p.mu.Lock()
	defer p.mu.Unlock()
	var out []received
	for _, r := range p.got {
		if !r.at.Before(from) {
			out = append(out, r)
		}
	}
	return out
}

// checkBeats fails unless every datagram is pulse's, from backup:539,
// exactly 4 bytes of want, and there are at least min of them.
func checkBeats(t *testing.T, what string, got []received, want []byte, min int) {
	t.Helper()
	if len(got) < min {
		t.Errorf("%s: %d heartbeats from pulse, want at least %d", what, len(got), min)
	}
	for _, r := range got {
		if r.from != netip.AddrPortFrom(PublicB, heartbeatPort) || !bytes.Equal(r.data, want) {
			t.Errorf("%s: pulse sent % x from %s, want exactly % x from %s:%d", what, r.data, r.from, want, PublicB, heartbeatPort)
			return
		}
	}
}

// An lvskit backup in heartbeat_mode = piranha beside a Piranha
// primary: standby while the peer runs, active when it falls silent,
// standby again when the peer runs again (the master wins a tie).
func TestPiranhaPeer(t *testing.T) {
	r := newRig(t)
	c := Public()
	c.Mode, c.Secret = "piranha", false
	cfg := r.config("lvs", c)
	peer := startPiranhaPeer(t, r.l)
	peer.tell(piranhaRunning)

	start := time.Now()
	b := r.pulse(r.l.B, "pulse-b", cfg)
	watch := 3 * deadtime
	time.Sleep(watch)
	r.held("peer running: the lvskit backup stays standby", start, time.Time{}, heldBy(""))
	// One heartbeat at the start, then one a keepalive; half of them
	// is a floor no scheduling delay reaches.
	checkBeats(t, "standby", peer.since(start), piranhaStopped, int(watch/keepalive)/2)
	t.Logf("peer running: backup standby for %s, sending %d × \"stopped\" (% x)", watch, len(peer.since(start)), piranhaStopped)

	randomPhase()
	silent := time.Now()
	peer.tell(nil)
	vip := r.until("peer silent: the backup takes over", silent, 5*time.Second, func(s State) bool { return s.B })
	took := vip.At.Sub(silent)
	if lo, hi := deadtime-2*keepalive, deadtime+2*keepalive+slack; took < lo || took > hi {
		t.Errorf("backup took over %s after the peer fell silent, want between %s and %s", ms(took), ms(lo), ms(hi))
	}
	time.Sleep(5 * keepalive)
	// Activation sends a heartbeat at once; the first after vip.At may
	// have been sent just before the poll saw the VIP.
	active := peer.since(vip.At.Add(keepalive / 2))
	checkBeats(t, "active", active, piranhaRunning, 2)
	t.Logf("peer silent: backup took the VIP after %s, sending \"running\" (% x)", ms(took), piranhaRunning)

	again := time.Now()
	peer.tell(piranhaRunning)
	gone := r.until("peer running again: the backup lets go", again, 3*time.Second, heldBy(""))
	letGo := gone.At.Sub(again)
	if hi := keepalive + slack/2; letGo > hi {
		t.Errorf("the backup let go %s after the peer's first \"running\", want within %s", ms(letGo), ms(hi))
	}
	if b.WaitLog(0, "partner active: deactivating LVS", 0) < 0 {
		t.Errorf("the backup did not log why it let go")
	}
	time.Sleep(5 * keepalive)
	checkBeats(t, "standby again", peer.since(gone.At.Add(keepalive/2)), piranhaStopped, 2)
	t.Logf("peer running again: backup let go after %s and says \"stopped\" again", ms(letGo))
	if counts, err := Counters(b, 2*time.Second); err != nil {
		t.Error(err)
	} else if counts["incompatible"] != 0 || counts["malformed"] != 0 || counts["accepted"] == 0 {
		t.Errorf("counters: %v, want only accepted heartbeats", counts)
	}
}

// forge sends n lvskit heartbeats of state st from the partner's
// address (A's namespace, another port: pulse checks the address, not
// the port), signed with the wrong secret, 10 ms apart.
func forge(t *testing.T, l *Lab, st pulse.State, flags pulse.Flags, n int) {
	t.Helper()
	conn, err := l.ListenUDP(l.A, netip.AddrPortFrom(PublicA, 0))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	to := net.UDPAddrFromAddrPort(netip.AddrPortFrom(PublicB, heartbeatPort))
	epoch := uint64(time.Now().UnixNano()) + 1<<40 // newer than any real one
	for i := range n {
		h := pulse.Heartbeat{State: st, Priority: 255, Flags: flags, Node: PublicA, Epoch: epoch, Seq: uint64(i + 1)}
		b, err := h.Marshal([]byte("not the secret"))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.WriteTo(b, to); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// Heartbeats from the partner's address with a wrong HMAC are counted
// as forged and change nothing: not a standby backup (told "the
// primary is at fault"), not an active one (told "the primary serves
// and wants the service back").
func TestForgery(t *testing.T) {
	r := newRig(t)
	cfg := r.config("lvs", Public())
	a, b := r.coldStart(cfg)
	const n = 20

	before, err := Counters(b, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	from := time.Now()
	forge(t, r.l, pulse.StateFault, pulse.FlagMaster|pulse.FlagChildFail, n)
	time.Sleep(deadtime)
	r.held("forged \"primary at fault\": the backup stays standby", from, time.Time{}, heldBy("A"))
	after, err := Counters(b, 2*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if got := after["forged"] - before["forged"]; got != n {
		t.Errorf("forged counter rose by %d, want %d (%v)", got, n, after)
	}
	if after["accepted"] <= before["accepted"] {
		t.Errorf("no real heartbeat accepted meanwhile (%v)", after)
	}
	if b.WaitLog(0, "heartbeat from 192.0.2.1 rejected: heartbeat: authentication failed", 0) < 0 {
		t.Errorf("the backup did not log the forgery")
	}
	t.Logf("standby backup: %d forged \"fault\" heartbeats rejected (counters %v)", n, after)

	kill := a.Kill()
	vip := r.until("the backup takes over from the killed primary", kill, 5*time.Second, func(s State) bool { return s.B })
	if before, err = Counters(b, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	forge(t, r.l, pulse.StateActive, pulse.FlagMaster|pulse.FlagPreempt, n)
	time.Sleep(deadtime)
	r.held("forged \"primary active\": the backup keeps the VIP", vip.At, time.Time{}, func(s State) bool { return s.B })
	if after, err = Counters(b, 2*time.Second); err != nil {
		t.Fatal(err)
	}
	if got := after["forged"] - before["forged"]; got != n {
		t.Errorf("forged counter rose by %d, want %d (%v)", got, n, after)
	}
	if after["accepted"] != before["accepted"] {
		t.Errorf("accepted rose from %d to %d with the primary dead", before["accepted"], after["accepted"])
	}
	t.Logf("active backup: %d forged \"active, preempt\" heartbeats rejected, VIP kept (counters %v)", n, after)
}

// TestLostHeartbeats: deadtime is five keepalives. Four heartbeats lost
// in a row are no failover, whatever the phase (pulse allows a quarter
// keepalive of grace and sends on a fixed beat); six are.
func TestLostHeartbeats(t *testing.T) {
	r := newRig(t)
	c := Public()
	c.Primary, c.Backup = HBA, HBB
	r.coldStart(r.config("lvs", c))
	for trial := 0; trial < 5; trial++ {
		randomPhase()
		from := time.Now()
		r.l.Fwd.DropHeartbeats(0, 4)
		time.Sleep(deadtime + 3*keepalive)
		r.held("4 heartbeats lost in a row: the primary keeps the VIP", from, time.Time{}, heldBy("A"))
	}
	if st := r.l.Fwd.Stats(0); st.HeartbeatsDropped != 20 {
		t.Fatalf("the forwarder dropped %d heartbeats, want 20", st.HeartbeatsDropped)
	}
	from := time.Now()
	r.l.Fwd.DropHeartbeats(0, 6)
	r.until("6 heartbeats lost in a row: the backup takes over", from, 2*time.Second, func(s State) bool { return s.B })
}
