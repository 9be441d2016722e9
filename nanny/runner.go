package nanny

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"syscall"
	"time"

	"lvskit/internal/daemonlog"
)

// reconcileEvery is how often nanny compares the table with what it
// should hold even when nothing changed, so that an entry someone
// removed (ipvsadm -d, a service recreated) comes back. Each comparison
// lists the service's real servers; with a thousand monitors on one
// service, a short period would make that listing the director's main
// load.
const reconcileEvery = 30 * time.Second

// repeatEvery is how often an unchanged failure of a server already out
// of service is logged again.
const repeatEvery = 5 * time.Minute

// maxBackoff bounds the wait between two tries of a failed kernel call;
// maxServiceWait, between two looks for a missing virtual service.
const (
	maxBackoff     = time.Minute
	maxServiceWait = 5 * time.Second
)

// runner checks one server at an interval and acts on the verdict.
type runner struct {
	cfg    *Config
	log    *daemonlog.Logger
	health *health
	srv    *server // nil: nothing to change in the table (--fos)

	// forced is an operator's order: +1 in service (SIGUSR2), -1 out
	// (SIGUSR1); checks stop until SIGHUP.
	forced  int
	upSince time.Time // when the server last entered service (slow start)

	reconcileEvery time.Duration
	applied        *placement // what the table was last made to hold
	backoff        time.Duration
	retryAt        time.Time // zero: no retry pending
	failed         placement // what the last failed change was to make

	// Failure reports of a server out of service: the last reason
	// logged, when, and how many identical ones went unlogged since.
	lastReason string
	lastLogged time.Time
	unlogged   int

	fosSeen  bool
	fosFails int

	// mu guards what the signal watcher shares with the loop: the
	// running probe's context, and whether nanny is stopping.
	mu          sync.Mutex
	probing     *probeContext
	terminating bool
}

func newRunner(cfg *Config, log *daemonlog.Logger) *runner {
	return &runner{cfg: cfg, log: log, health: newHealth(cfg.Fall, cfg.Rise)}
}

// exit is a reason to stop the loop, with nanny's exit status.
type exit struct{ status int }

func (r *runner) run(sigs <-chan os.Signal) int {
	cfg := r.cfg
	if cfg.Mission == fosMission {
		r.log.Infof("Failover service monitor for %s started", cfg.Target)
	} else {
		r.log.Infof("starting LVS client monitor for %s -> %s", r.serviceName(), cfg.Target)
	}
	for _, n := range cfg.Notes {
		r.log.Infof("%s", n)
	}
	r.log.Infof("checking with %s every %s (timeout %s, fall %d, rise %d)", cfg.Check, seconds(cfg.Interval), seconds(cfg.Timeout), cfg.Fall, cfg.Rise)
	if cfg.Feedback != nil {
		r.log.Infof("weight follows the %s every %s, from 0 to %d", cfg.Feedback.src, seconds(cfg.Feedback.every), int64(cfg.Weight)*int64(cfg.Scale))
	}
	r.adopt()

	alarm := newAlarm()
	defer alarm.stop()
	sigs = r.watch(sigs, alarm.poke)
	now := time.Now()
	nextCheck := now.Add(jitter(cfg.Jitter))
	nextReconcile := now.Add(r.reconcileEvery)
	nextFeedback := nextCheck
	for {
		next := nextReconcile
		if r.forced == 0 {
			next = earliest(next, nextCheck)
		}
		if !r.retryAt.IsZero() {
			next = earliest(next, r.retryAt)
		}
		if r.ramping(now) {
			next = earliest(next, now.Add(max(cfg.SlowStart/10, 100*time.Millisecond)))
		}
		if cfg.Feedback != nil && r.health.up && r.forced == 0 {
			next = earliest(next, nextFeedback)
		}
		if sig := alarm.sleep(next, sigs); sig != nil {
			if x := r.signal(sig.(syscall.Signal)); x != nil {
				return x.status
			}
		}
		now = time.Now()
		if r.forced == 0 && !now.Before(nextCheck) {
			err := r.probe(now.Add(cfg.Timeout), r.cfg.Check.Check)
			if err == errTerminated {
				continue
			}
			if x := r.observe(err); x != nil {
				return x.status
			}
			// The next check is an interval after this one was due,
			// however long it took: never two at once, and no burst
			// to catch up after a slow one.
			now = time.Now()
			nextCheck = nextCheck.Add(cfg.Interval)
			if nextCheck.Before(now) {
				nextCheck = now
			}
		}
		if cfg.Feedback != nil && r.health.up && r.forced == 0 && !now.Before(nextFeedback) {
			var pct float64
			err := r.probe(now.Add(cfg.Timeout), func(ctx context.Context) (err error) {
				pct, err = cfg.Feedback.src.sample(ctx)
				return err
			})
			if err == errTerminated {
				continue
			}
			if err != nil {
				r.log.Warnf("%v; weight unchanged", err)
			} else {
				cfg.Feedback.add(pct)
				r.log.Debugf("%s says %g%%; weight now %g%%", cfg.Feedback.src, pct, cfg.Feedback.pct)
			}
			now = time.Now()
			nextFeedback = now.Add(cfg.Feedback.every)
		}
		reconcile := !now.Before(nextReconcile)
		if reconcile {
			nextReconcile = now.Add(r.reconcileEvery)
		}
		r.syncTable(now, reconcile)
	}
}

var errTerminated = errors.New("terminated")

// probe runs one check (or load sample) with a deadline, on the loop's
// own goroutine: a thousand monitors are cheaper without a goroutine
// and its stack made for each check. SIGTERM and SIGINT end a probe at
// once (see watch): a hung server must not delay nanny's exit by a
// whole timeout.
func (r *runner) probe(deadline time.Time, fn func(context.Context) error) error {
	ctx := newProbeContext(deadline)
	defer ctx.cancel(context.Canceled)
	r.mu.Lock()
	if r.terminating {
		r.mu.Unlock()
		return errTerminated
	}
	r.probing = ctx
	r.mu.Unlock()
	err := fn(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.probing = nil
	if r.terminating {
		return errTerminated
	}
	return err
}

// watch passes the signals on to the loop, ending a running probe first
// when one asks nanny to stop, and calls poke after each.
func (r *runner) watch(sigs <-chan os.Signal, poke func()) <-chan os.Signal {
	out := make(chan os.Signal, 8)
	go func() {
		for s := range sigs {
			if s == syscall.SIGTERM || s == syscall.SIGINT {
				r.mu.Lock()
				r.terminating = true
				if r.probing != nil {
					r.probing.cancel(context.Canceled)
				}
				r.mu.Unlock()
			}
			out <- s
			poke()
		}
	}()
	return out
}

// adopt takes the table as it finds it: a real server already in
// service (lvsd restarted, or replaced this monitor) stays in until
// checks fail, without a moment out.
func (r *runner) adopt() {
	if r.srv == nil || r.srv.test {
		return
	}
	cur, err := r.srv.lookup()
	if err != nil {
		r.log.Warnf("%v", err)
		return
	}
	switch {
	case cur == nil:
	case cur.Weight > 0 || r.cfg.Weight == 0:
		r.health.set(true)
		r.log.Infof("%s is in service with weight %d; keeping it while checks pass", r.cfg.Target, cur.Weight)
	default:
		r.log.Infof("%s is in the table with weight 0", r.cfg.Target)
	}
}

// observe takes a check's result.
func (r *runner) observe(err error) *exit {
	h := r.health
	wasUp := h.up
	n := h.fails + 1
	changed := h.observe(err == nil)
	r.log.Debugf("avail: %d active: %d: count: %d", b2i(err == nil), b2i(h.up), h.oks)
	if err != nil {
		r.reportFailure(err, wasUp, n)
	} else {
		r.lastReason, r.unlogged = "", 0
	}
	if r.cfg.Mission == fosMission {
		return r.fos(err, changed)
	}
	if !changed {
		return nil
	}
	if h.up {
		r.log.Infof("[ active ] making %s available", r.cfg.Target)
		r.upSince = time.Now()
	} else {
		r.log.Infof("[inactive] shutting down %s due to connection failure", r.cfg.Target)
		if fb := r.cfg.Feedback; fb != nil {
			// What the load source said of a failed server is stale
			// by the time it returns.
			fb.pct = 100
		}
	}
	return nil
}

// reportFailure logs why a check failed: every failure of a server in
// service, counted against fall; for a server already out, a reason that
// changed, and an unchanged one again every repeatEvery (all of them
// with -v).
func (r *runner) reportFailure(err error, wasUp bool, n int) {
	reason := err.Error()
	now := time.Now()
	switch {
	case wasUp && r.cfg.Fall > 1:
		r.log.Warnf("%s (failure %d of %d)", reason, n, r.cfg.Fall)
	case wasUp, reason != r.lastReason:
		r.log.Warnf("%s", reason)
	case now.Sub(r.lastLogged) >= repeatEvery:
		r.log.Warnf("%s (and %d times since %s)", reason, r.unlogged, r.lastLogged.Format(time.TimeOnly))
	default:
		r.unlogged++
		r.log.Debugf("%s", reason)
		return
	}
	r.lastReason, r.lastLogged, r.unlogged = reason, now, 0
}

// fos is the failover-services mission: report the partner's service
// when it comes up, and end when it fails, for pulse to take over.
func (r *runner) fos(err error, changed bool) *exit {
	switch {
	case changed && r.health.up:
		r.fosSeen = true
		r.log.Infof("Remote service %s is available", r.cfg.Target)
	case changed && r.fosSeen:
		r.log.Infof("Exiting due to connection failure of %s", r.cfg.Target)
		return &exit{exitOK}
	case err != nil && !r.fosSeen:
		r.fosFails++
		if r.fosFails >= 2 {
			r.log.Infof("Timeout waiting for remote service -- triggering failover!")
			return &exit{exitUsage}
		}
	}
	return nil
}

// signal acts on an operator's signal (nanny(8), SIGNALS).
func (r *runner) signal(s syscall.Signal) *exit {
	switch s {
	case syscall.SIGTERM, syscall.SIGINT:
		r.log.Infof("Terminating due to signal %d", int(s))
		if r.srv == nil || !r.inService() {
			return &exit{exitOK}
		}
		if err := r.srv.sync(placement{in: false}); err != nil {
			r.log.Errf("%v", err)
			return &exit{exitCleanup}
		}
		return &exit{exitOK}
	case syscall.SIGUSR1:
		r.log.Infof("opaque glasses on")
		r.forced = -1
	case syscall.SIGUSR2:
		r.log.Infof("rose-colored glasses on")
		r.forced = +1
	case syscall.SIGHUP:
		r.log.Infof("DEBUG -- removing glasses")
		switch r.forced {
		case +1:
			// In service at full weight already: no ramp to start.
			r.health.set(true)
			r.upSince = time.Time{}
		case -1:
			// Back on the next good check, as Piranha's nanny was.
			r.health = newHealth(r.cfg.Fall, r.cfg.Rise)
		}
		r.forced = 0
	}
	r.syncTable(time.Now(), false)
	return nil
}

// inService reports whether the server is, or should be, in service.
func (r *runner) inService() bool {
	return r.want(time.Now()).in || r.applied != nil && r.applied.in
}

// want is where the server should be now.
func (r *runner) want(now time.Time) placement {
	switch {
	case r.forced > 0:
		// An operator's order is the configured weight, no ramp.
		return placement{in: true, weight: r.cfg.Weight}
	case r.forced < 0 || !r.health.up:
		return placement{}
	}
	return placement{in: true, weight: r.weight(now)}
}

// weight is the weight of a server in service: the configured one, on
// its slow-start ramp, times the load source's percentage.
func (r *runner) weight(now time.Time) int32 {
	w := float64(r.cfg.Weight)
	if r.ramping(now) {
		w *= 0.1 + 0.9*float64(now.Sub(r.upSince))/float64(r.cfg.SlowStart)
	}
	if fb := r.cfg.Feedback; fb != nil {
		if fb.pct == 0 {
			return 0
		}
		w *= fb.pct / 100
	}
	if r.cfg.Weight > 0 && w < 1 {
		return 1
	}
	return int32(math.Min(math.Round(w), math.MaxInt32))
}

func (r *runner) ramping(now time.Time) bool {
	return r.cfg.SlowStart > 0 && !r.upSince.IsZero() && now.Sub(r.upSince) < r.cfg.SlowStart
}

// syncTable makes the table hold what it should when that changed, a
// retry is due, or reconcile asks for a look anyway. A failure is logged
// and retried later, with a growing delay; it never ends nanny.
func (r *runner) syncTable(now time.Time, reconcile bool) {
	if r.srv == nil {
		return
	}
	want := r.want(now)
	pending := !r.retryAt.IsZero()
	retry := pending && !now.Before(r.retryAt)
	switch {
	case pending && !retry && want == r.failed:
		// The retry that is due later will try it again.
		return
	case !pending && !reconcile && r.applied != nil && *r.applied == want:
		return
	}
	if err := r.srv.sync(want); err != nil {
		limit := maxBackoff
		if errors.Is(err, errNoService) {
			// lvsd creates services before it starts their monitors;
			// one missing is there again soon after a reload.
			limit = maxServiceWait
		}
		r.backoff = min(max(2*r.backoff, time.Second), limit)
		r.retryAt, r.failed, r.applied = now.Add(r.backoff), want, nil
		if errors.Is(err, errNoService) {
			r.log.Warnf("virtual service %s is not in the table; retrying in %s", r.cfg.Service.Option(), r.backoff)
		} else {
			r.log.Errf("%v; retrying in %s", err, r.backoff)
		}
		return
	}
	r.applied, r.backoff, r.retryAt = &want, 0, time.Time{}
}

func (r *runner) serviceName() string {
	if r.cfg.Service.Fwmark != 0 {
		return fmt.Sprintf("fwmark %d", r.cfg.Service.Fwmark)
	}
	return r.cfg.Service.Option()[3:]
}

func jitter(d time.Duration) time.Duration {
	if d <= 0 {
		return 0
	}
	return rand.N(d)
}

func earliest(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// seconds prints a duration as nanny's options take it.
func seconds(d time.Duration) string {
	return fmt.Sprintf("%gs", d.Seconds())
}
