package pulsenet

import (
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// The network tests run pulse for real in namespaces and time it, so
// they run on their own, without -race and without other packages'
// tests beside them: `make test-net` sets envNetTest. `go test ./...`
// (make test-host) skips them.
const envNetTest = "LVSKIT_NETTEST"

// The timers of the tests' lvs.cf (Public): keepalive 0.1 s, deadtime
// 0.5 s, as in the manual check.
const (
	keepalive = 100 * time.Millisecond
	deadtime  = 500 * time.Millisecond
	// poll is the watcher's period: times it reports are late by up to
	// this much.
	poll = 5 * time.Millisecond
	// slack covers what is not protocol: pulse starting the stand-in
	// lvsd and raising the VIP by netlink, the scheduling of three
	// processes on a busy 2-core machine, and the watcher's poll.
	// Measured here, activation after the decision took 2 to 15 ms and
	// the whole takeover varied by about 100 ms (the phase of the kill
	// against the heartbeats); 300 ms is far from both.
	slack = 300 * time.Millisecond
)

var pulseBuild struct {
	once sync.Once
	dir  string
	bin  string
	err  error
}

func TestMain(m *testing.M) {
	code := m.Run()
	if pulseBuild.dir != "" {
		os.RemoveAll(pulseBuild.dir)
	}
	os.Exit(code)
}

// rig is one test's lab, watcher and pulses, cleaned up when the test
// ends, with everything they said logged if it failed.
type rig struct {
	t     *testing.T
	l     *Lab
	w     *Watcher
	bin   string
	t0    time.Time
	procs []*Proc
}

func newRig(t *testing.T) *rig {
	t.Helper()
	if os.Getenv(envNetTest) != "1" {
		t.Skipf("network test: run by `make test-net` (%s=1, as root), not by go test ./...", envNetTest)
	}
	if err := Usable(); err != nil {
		t.Skip(err)
	}
	pulseBuild.once.Do(func() {
		pulseBuild.dir, pulseBuild.err = os.MkdirTemp("", "pulsenet-bin-")
		if pulseBuild.err == nil {
			pulseBuild.bin, pulseBuild.err = BuildPulse(pulseBuild.dir)
		}
	})
	if pulseBuild.err != nil {
		t.Fatal(pulseBuild.err)
	}
	dir := t.TempDir()
	l, err := NewLab(dir)
	if err != nil {
		t.Fatal(err)
	}
	r := &rig{t: t, l: l, bin: pulseBuild.bin}
	t.Cleanup(func() {
		if r.w != nil {
			r.w.Stop()
		}
		if t.Failed() {
			if r.w != nil {
				t.Logf("what the kernel showed (s since the start):\n%s", r.w.Record(r.t0))
			}
			for _, p := range r.procs {
				t.Logf("%s in %s:\n%s", p.Name, p.NS, indent(p.Log()))
			}
		}
		if err := l.Close(); err != nil {
			t.Errorf("cleaning up the lab: %v", err)
		}
	})
	if r.w, err = l.Watch(poll); err != nil {
		t.Fatal(err)
	}
	r.t0 = time.Now()
	return r
}

func indent(s string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(strings.TrimRight(s, "\n"), "\n") {
		// Each heartbeat is a line with -v: they say nothing here.
		if !strings.Contains(line, "Received Heartbeat") {
			b.WriteString("    " + line)
		}
	}
	return b.String()
}

func (r *rig) config(name string, c Config) string {
	r.t.Helper()
	path, err := r.l.Write(name, c)
	if err != nil {
		r.t.Fatal(err)
	}
	return path
}

// pulse starts pulse in ns, verbose, logging as name.
func (r *rig) pulse(ns, name, cfg string) *Proc {
	r.t.Helper()
	p, err := r.l.StartPulse(r.bin, ns, name, cfg, true)
	if err != nil {
		r.t.Fatal(err)
	}
	r.procs = append(r.procs, p)
	return p
}

// until waits for cond, seen at or after since, and fails the test
// when it does not come within timeout.
func (r *rig) until(what string, since time.Time, timeout time.Duration, cond func(State) bool) State {
	r.t.Helper()
	s, ok := r.w.Until(since, timeout, cond)
	if !ok {
		r.t.Fatalf("%s: not within %s (now: %s)", what, timeout, s)
	}
	if err := r.w.Err(); err != nil {
		r.t.Fatalf("watching: %v", err)
	}
	return s
}

// held fails the test unless cond held from from to to.
func (r *rig) held(what string, from, to time.Time, cond func(State) bool) {
	r.t.Helper()
	if s, ok := r.w.Held(from, to, cond); !ok {
		r.t.Errorf("%s: broken %.3fs after it should have held from (%s)", what, s.At.Sub(from).Seconds(), s)
	}
}

// coldStart starts pulse on both directors and waits until the
// primary alone holds the VIP and the backup has stayed out for two
// deadtimes: both listen first, and only the better one serves.
func (r *rig) coldStart(cfg string) (a, b *Proc) {
	r.t.Helper()
	start := time.Now()
	a = r.pulse(r.l.A, "pulse-a", cfg)
	b = r.pulse(r.l.B, "pulse-b", cfg)
	s := r.until("cold start: the VIP on the primary", start, 5*time.Second, func(s State) bool { return s.A })
	time.Sleep(2 * deadtime)
	r.held("cold start: the primary alone holds the VIP", s.At, time.Time{}, func(s State) bool { return s.A && !s.B })
	if longest, _, _ := r.w.Overlap(start, time.Time{}); longest > 0 {
		r.t.Errorf("cold start: the VIP was on both directors for %s", longest)
	}
	r.t.Logf("cold start: VIP on the primary %s after the start", ms(s.At.Sub(start)))
	return a, b
}

// learn has the client talk to the VIP and waits until its neighbour
// table holds the MAC of want ("A" or "B"): it must know the VIP before
// a gratuitous ARP can change its mind (arp_accept = 0: an unsolicited
// ARP only updates an existing entry).
func (r *rig) learn(want string) time.Time {
	r.t.Helper()
	at := time.Now()
	if err := r.l.Touch(); err != nil {
		r.t.Fatal(err)
	}
	s := r.until("the client learns the VIP", at, 2*time.Second, func(s State) bool { return s.Client == want })
	return s.At
}

// randomPhase waits a random part of a keepalive. The tests' steps
// are whole keepalives apart, and would otherwise always kill or cut
// at the same point of the heartbeat cycle.
func randomPhase() { time.Sleep(rand.N(keepalive)) }

func ms(d time.Duration) string { return fmt.Sprintf("%.0f ms", float64(d)/float64(time.Millisecond)) }

func heldBy(who string) func(State) bool {
	return func(s State) bool {
		switch who {
		case "A":
			return s.A && !s.B
		case "B":
			return s.B && !s.A
		}
		return !s.A && !s.B
	}
}

func clientAt(who string) func(State) bool { return func(s State) bool { return s.Client == who } }
