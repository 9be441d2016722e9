package lvsd

import (
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"time"

	"lvskit/internal/daemonlog"
	"lvskit/internal/ipvs"
)

// director is a running lvsd: it owns the table's managed part and the
// monitors, and one goroutine (run) changes them.
type director struct {
	env   *Env
	opt   Options
	file  string // lvs.cf
	keep  bool   // leave the table as it is at exit
	test  bool   // --test-start: change nothing, start nothing
	table ipvs.Table
	log   *daemonlog.Logger
	spawn *spawner
	now   func() time.Time

	want    State
	applied *State            // the state last applied in full, nil before
	managed []ipvs.ServiceKey // the services lvsd owns, as in the state file
	dirty   bool              // the last reconcile failed somewhere: retry
	// retryAt is when to retry; retryWait doubles while retries fail.
	retryAt   time.Time
	retryWait time.Duration
	started   map[ipvs.ServiceKey]time.Time // when each virtual service was first wanted
	stateFile string

	monitors map[monKey]*monitor
	exited   chan *monitor
	restart  chan *monitor
}

// reconcile brings the table to d.want, and the monitors with it.
func (d *director) reconcile() {
	want := d.want
	desired := map[monKey]*monitor{}
	for _, v := range want.Virtuals {
		for _, r := range v.Servers {
			k := monKey{v.Service.ServiceKey, r.Dest.Key()}
			desired[k] = &monitor{key: k, vs: v.Name, rs: r.Name, argv: r.Monitor, backoff: minBackoff}
		}
	}
	// Monitors of real servers that go away, or whose command line
	// changes, stop first, so that none adds back what lvsd deletes.
	var stop []*monitor
	for k, m := range d.monitors {
		if n, ok := desired[k]; !ok || !slices.Equal(n.argv, m.argv) {
			stop = append(stop, m)
			delete(d.monitors, k)
		}
	}
	d.stopMonitors(stop)

	changes, failed, missing := d.apply(want)
	for _, v := range want.Virtuals {
		if _, ok := d.started[v.Service.ServiceKey]; !ok {
			d.started[v.Service.ServiceKey] = d.now()
		}
	}
	for k := range d.started {
		if !slices.ContainsFunc(want.Virtuals, func(v Virtual) bool { return v.Service.ServiceKey == k }) {
			delete(d.started, k)
		}
	}
	for _, v := range want.Virtuals {
		// A monitor would only fail to add its server to a service
		// that could not be created; it starts when a retry creates it.
		if missing[v.Service.ServiceKey] {
			continue
		}
		for _, r := range v.Servers {
			k := monKey{v.Service.ServiceKey, r.Dest.Key()}
			if _, ok := d.monitors[k]; !ok {
				m := desired[k]
				d.monitors[k] = m
				d.launch(m)
			}
		}
	}
	nservers := len(d.monitors)
	d.log.Infof("reconciled %s (%s%s); monitoring %s", plural(len(want.Virtuals), "virtual service"),
		plural(changes, "change"), failedText(failed), plural(nservers, "real server"))
}

func failedText(n int) string {
	if n == 0 {
		return ""
	}
	return fmt.Sprintf(", %d failed", n)
}

// apply plans and makes the table changes, and returns how many were
// made and how many failed, and the services it failed to create. A
// failure is logged and retried later (see tick); it never stops lvsd.
func (d *director) apply(want State) (changes, failed int, missing map[ipvs.ServiceKey]bool) {
	missing = map[ipvs.ServiceKey]bool{}
	act, err := readActual(d.table, want)
	if err != nil {
		d.log.Errf("cannot read the IPVS table: %v", err)
		d.failed()
		for _, v := range want.Virtuals {
			missing[v.Service.ServiceKey] = true
		}
		return 0, 1, missing
	}
	managed := union(d.managed, keysOf(want))
	for _, op := range Plan(d.applied, want, d.managed, act) {
		if op.Kind == AddService {
			// Piranha's text, with the virtual port even for a
			// firewall-mark service.
			d.log.Infof("starting virtual service %s active: %d", op.Virtual, want.port(op.Service.ServiceKey))
		}
		if op.Kind == DelService {
			if op.Virtual != "" {
				d.log.Infof("shutting down virtual service %s", op.Virtual)
			} else {
				d.log.Infof("shutting down virtual service %s, which lvsd managed and lvs.cf no longer has", op.Service.ServiceKey.Option())
			}
		}
		if d.test {
			d.log.Infof("test-start, not run: %s", op)
			continue
		}
		if err := op.Apply(d.table); err != nil {
			failed++
			if op.Kind == AddService {
				missing[op.Service.ServiceKey] = true
			}
			if op.Virtual != "" {
				d.log.Errf("ipvsadm failed for virtual server %s!: %s: %v", op.Virtual, op, err)
			} else {
				d.log.Errf("%s: %v", op, err)
			}
			continue
		}
		changes++
		d.log.Infof("%s", op)
	}
	d.managed = managed
	if failed > 0 {
		d.failed()
	} else {
		d.dirty, d.retryWait = false, 0
		st := want
		d.applied = &st
		d.managed = keysOf(want)
	}
	if !d.test {
		if err := writeManaged(d.stateFile, d.managed); err != nil {
			d.log.Errf("%v", err)
		}
	}
	return changes, failed, missing
}

// failed schedules a retry: after one tick, then twice as long each time
// it fails again, up to five minutes, so that a lasting failure is not
// logged every few seconds.
func (d *director) failed() {
	d.dirty = true
	d.retryWait = min(max(2*d.retryWait, d.env.tick()), 5*time.Minute)
	d.retryAt = d.now().Add(d.retryWait)
}

// readActual reads the part of the table want concerns.
func readActual(t ipvs.Table, want State) (Actual, error) {
	var act Actual
	var err error
	if act.Timeouts, err = t.Timeouts(); err != nil {
		return act, err
	}
	if act.Daemons, err = t.Daemons(); err != nil {
		return act, err
	}
	svcs, err := t.Services()
	if err != nil {
		return act, err
	}
	act.Services = map[ipvs.ServiceKey]ipvs.Service{}
	for _, s := range svcs {
		act.Services[s.ServiceKey] = s
	}
	var keys []ipvs.ServiceKey
	for _, v := range want.Virtuals {
		if _, ok := act.Services[v.Service.ServiceKey]; ok {
			keys = append(keys, v.Service.ServiceKey)
		}
	}
	act.Dests = map[ipvs.ServiceKey][]ipvs.Dest{}
	err = t.ListDests(keys, func(i int, dests []ipvs.Dest) error {
		act.Dests[keys[i]] = dests
		return nil
	})
	return act, err
}

func keysOf(s State) []ipvs.ServiceKey {
	var keys []ipvs.ServiceKey
	for _, v := range s.Virtuals {
		keys = append(keys, v.Service.ServiceKey)
	}
	return keys
}

func union(a, b []ipvs.ServiceKey) []ipvs.ServiceKey {
	out := slices.Clone(a)
	for _, k := range b {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// launch starts a monitor, or schedules its restart if it cannot start.
func (d *director) launch(m *monitor) {
	m.retry = nil
	if d.test {
		d.log.Infof("test-start, not started: %s", shellJoin(m.argv))
		return
	}
	if err := d.startMonitor(m); err != nil {
		d.log.Errf("create_monitor for %s/%s failed: %v; retrying in %s", m.vs, m.rs, err, m.backoff)
		d.scheduleRestart(m)
		return
	}
	d.log.Infof("create_monitor for %s/%s running as pid %d", m.vs, m.rs, m.cmd.Process.Pid)
	d.log.Debugf("monitor command: %s", shellJoin(m.argv))
}

func (d *director) scheduleRestart(m *monitor) {
	delay := m.backoff
	m.backoff = min(2*m.backoff, maxBackoff)
	m.retry = time.AfterFunc(delay, func() { d.restart <- m })
}

// died handles the end of a monitor lvsd did not stop: it is logged and
// restarted after a delay that grows while it keeps dying.
func (d *director) died(m *monitor) {
	if m.killed || d.monitors[m.key] != m {
		return
	}
	if d.now().Sub(m.start) >= maxBackoff {
		m.backoff = minBackoff
	}
	d.log.Errf("nanny for child %s/%s died! (%s) restarting it in %s", m.vs, m.rs, exitText(m.err), m.backoff)
	d.scheduleRestart(m)
}

// tick runs every few seconds: it retries a failed reconcile and keeps
// the sorry servers right.
func (d *director) tick() {
	if d.dirty && !d.now().Before(d.retryAt) {
		d.log.Infof("retrying what failed")
		d.reconcile()
	}
	for _, v := range d.want.Virtuals {
		// --test-start adds no sorry server, so it would say so every
		// tick.
		if v.Sorry != nil && !d.test {
			d.sorryCheck(v)
		}
	}
}

// sorryCheck puts v's sorry server into service while none of its real
// servers is (none listed with a weight above zero), and takes it out
// when one is. It waits one tick after the service starts, so that the
// monitors can make their first checks.
func (d *director) sorryCheck(v Virtual) {
	k := v.Service.ServiceKey
	if t, ok := d.started[k]; !ok || d.now().Sub(t) < d.env.tick() {
		return
	}
	dests, err := d.table.Dests(k)
	if err != nil {
		d.log.Errf("cannot list the real servers of %s: %v", v.Name, err)
		return
	}
	up, present := 0, false
	for _, dd := range dests {
		if dd.Key() == v.Sorry.Key() {
			present = true
		} else if dd.Weight > 0 {
			up++
		}
	}
	var op Op
	switch {
	case up == 0 && !present:
		fmt.Fprintf(d.env.Stdout, "Virtual Server %s: No real servers; activate sorry_server %s\n", v.Name, v.Sorry.Addr)
		d.log.Infof("virtual service %s: no real server in service; activating sorry server %s", v.Name, v.Sorry.Addr)
		op = Op{Kind: AddDest, Virtual: v.Name, Service: v.Service, Dest: *v.Sorry}
	case up > 0 && present:
		fmt.Fprintf(d.env.Stdout, "Virtual Server %s: %d real servers; deactivate sorry_server %s\n", v.Name, up, v.Sorry.Addr)
		d.log.Infof("virtual service %s: %s in service; deactivating sorry server %s", v.Name, plural(up, "real server"), v.Sorry.Addr)
		op = Op{Kind: DelDest, Virtual: v.Name, Service: v.Service, Dest: *v.Sorry}
	default:
		return
	}
	if d.test {
		d.log.Infof("test-start, not run: %s", op)
		return
	}
	if err := op.Apply(d.table); err != nil && !errors.Is(err, syscall.EEXIST) && !errors.Is(err, syscall.ENOENT) {
		d.log.Errf("ipvsadm failed for virtual server %s!: %s: %v", v.Name, op, err)
		return
	}
	d.log.Infof("%s", op)
}

// shutdown ends lvsd: unless told to keep the table, it deletes the
// virtual services it manages (their real servers go with them) and
// stops the sync daemon it runs. The monitors stop either way.
func (d *director) shutdown() {
	var all []*monitor
	for _, m := range d.monitors {
		all = append(all, m)
	}
	d.stopMonitors(all)
	if d.keep {
		d.log.Infof("leaving the IPVS table as it is (--keep)")
		return
	}
	// Plan from "what lvs.cf wants is there" to nothing: every managed
	// service goes, and the sync daemon lvs.cf asks for.
	st := d.want
	d.applied = &st
	d.managed = union(d.managed, keysOf(d.want))
	changes, failed, _ := d.apply(State{})
	d.log.Infof("removed what lvsd manages: %s%s", plural(changes, "change"), failedText(failed))
	if failed == 0 && !d.test {
		if err := os.Remove(d.stateFile); err != nil && !errors.Is(err, os.ErrNotExist) {
			d.log.Errf("%v", err)
		}
	}
}
