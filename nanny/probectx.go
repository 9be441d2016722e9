package nanny

import (
	"context"
	"sync"
	"time"
)

// probeContext is a probe's context: what context.WithTimeout makes,
// but with no runtime timer until something waits for the deadline.
//
// A TCP check that connects at once never looks at its context, and
// a Go timer made and stopped for each check was a fifth of the Go
// code's time in nanny (allocating the context, its timer and the
// timer's heap entry), which a thousand monitors pay a thousand times
// a second. Deadline tells the deadline without a timer; Done, and
// AfterFunc (by which context.AfterFunc and child contexts attach
// without a goroutine of their own), make one the first time they are
// called; Err looks at the clock.
type probeContext struct {
	deadline time.Time

	mu    sync.Mutex
	err   error
	done  chan struct{} // made by Done or AfterFunc
	timer *time.Timer   // made with done; ends c at the deadline
	funcs map[*func()]struct{}
}

func newProbeContext(deadline time.Time) *probeContext {
	return &probeContext{deadline: deadline}
}

func (c *probeContext) Deadline() (time.Time, bool) { return c.deadline, true }

func (c *probeContext) Value(any) any { return nil }

func (c *probeContext) Done() <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.arm()
	return c.done
}

// arm makes done, and the timer that ends c at its deadline.
func (c *probeContext) arm() {
	if c.done != nil {
		return
	}
	c.done = make(chan struct{})
	switch {
	case c.err != nil:
		close(c.done)
	case !time.Now().Before(c.deadline):
		c.end(context.DeadlineExceeded)
	default:
		c.timer = time.AfterFunc(time.Until(c.deadline), func() { c.cancel(context.DeadlineExceeded) })
	}
}

func (c *probeContext) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil && !time.Now().Before(c.deadline) {
		c.end(context.DeadlineExceeded)
	}
	return c.err
}

func (c *probeContext) String() string { return "nanny.probeContext" }

// cancel ends c with err, unless it has ended; the probe's cancel, the
// watcher on a signal to stop, and the timer call it.
func (c *probeContext) cancel(err error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.err == nil {
		c.end(err)
	}
}

// end ends c, with c.mu held: Done closes, and the AfterFunc functions
// start.
func (c *probeContext) end(err error) {
	c.err = err
	if c.done != nil {
		close(c.done)
	}
	if c.timer != nil {
		c.timer.Stop()
	}
	for f := range c.funcs {
		go (*f)()
	}
	c.funcs = nil
}

// AfterFunc arranges for f to run in its own goroutine once c has
// ended, as context.AfterFunc does; stop undoes that, and tells
// whether it did.
func (c *probeContext) AfterFunc(f func()) (stop func() bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.arm()
	if c.err != nil {
		go f()
		return func() bool { return false }
	}
	if c.funcs == nil {
		c.funcs = map[*func()]struct{}{}
	}
	key := &f
	c.funcs[key] = struct{}{}
	return func() bool {
		c.mu.Lock()
		defer c.mu.Unlock()
		_, ok := c.funcs[key]
		delete(c.funcs, key)
		return ok
	}
}
