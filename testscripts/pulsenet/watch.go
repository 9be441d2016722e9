package pulsenet

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// State is what the kernel shows at one moment: which director holds
// the VIP, and whose MAC the client would send to for it ("A", "B", ""
// for none, or a foreign MAC).
type State struct {
	At     time.Time
	A, B   bool
	Client string
}

func (s State) same(o State) bool { return s.A == o.A && s.B == o.B && s.Client == o.Client }

func (s State) String() string {
	var held []string
	if s.A {
		held = append(held, "A")
	}
	if s.B {
		held = append(held, "B")
	}
	h := strings.Join(held, "+")
	if h == "" {
		h = "nobody"
	}
	c := s.Client
	if c == "" {
		c = "-"
	}
	return fmt.Sprintf("VIP on %s, client -> %s", h, c)
}

// Watcher polls both directors' addresses and the client's neighbour
// table by netlink, every few milliseconds, and keeps every change.
// Times are those of the poll that saw a change: up to one period
// after it happened.
type Watcher struct {
	l       *Lab
	every   time.Duration
	mu      sync.Mutex
	cur     State
	changes []State
	err     error
	polls   int
	stop    chan struct{}
	done    chan struct{}
}

// Watch starts a watcher polling every period (5 ms in the tests).
func (l *Lab) Watch(every time.Duration) (*Watcher, error) {
	w := &Watcher{l: l, every: every, stop: make(chan struct{}), done: make(chan struct{})}
	s, err := w.poll()
	if err != nil {
		return nil, err
	}
	w.cur, w.changes = s, []State{s}
	go w.run()
	return w, nil
}

func (w *Watcher) poll() (State, error) {
	s := State{At: time.Now()}
	var err error
	if s.A, err = w.l.HasVIP(w.l.A); err != nil {
		return s, err
	}
	if s.B, err = w.l.HasVIP(w.l.B); err != nil {
		return s, err
	}
	mac, err := w.l.ClientNeigh()
	s.Client = w.l.Who(mac)
	return s, err
}

func (w *Watcher) run() {
	defer close(w.done)
	t := time.NewTicker(w.every)
	defer t.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-t.C:
		}
		s, err := w.poll()
		w.mu.Lock()
		w.polls++
		if err != nil {
			if w.err == nil {
				w.err = err
			}
		} else if !s.same(w.cur) {
			w.changes = append(w.changes, s)
		}
		if err == nil {
			w.cur = s
		}
		w.mu.Unlock()
	}
}

// Stop ends the polling; the record stays readable.
func (w *Watcher) Stop() {
	select {
	case <-w.stop:
	default:
		close(w.stop)
	}
	<-w.done
}

// Err is the first polling error, if any.
func (w *Watcher) Err() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// Now is the latest state.
func (w *Watcher) Now() State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.cur
}

// Changes is the record: the first state, then every change.
func (w *Watcher) Changes() []State {
	w.mu.Lock()
	defer w.mu.Unlock()
	return append([]State(nil), w.changes...)
}

// Until waits up to timeout for a state that satisfies cond, seen at
// or after since, and returns it (its At is when it was first seen).
func (w *Watcher) Until(since time.Time, timeout time.Duration, cond func(State) bool) (State, bool) {
	deadline := time.Now().Add(timeout)
	for {
		if s, ok := w.First(since, cond); ok {
			return s, true
		}
		if time.Now().After(deadline) {
			return w.Now(), false
		}
		time.Sleep(w.every)
	}
}

// First is the first recorded state at or after since that satisfies
// cond; a state that began before since and still held then counts,
// as seen at since.
func (w *Watcher) First(since time.Time, cond func(State) bool) (State, bool) {
	ch := w.Changes()
	for i, s := range ch {
		end := time.Time{}
		if i+1 < len(ch) {
			end = ch[i+1].At
		}
		if !end.IsZero() && !end.After(since) {
			continue // over before since
		}
		if cond(s) {
			if s.At.Before(since) {
				s.At = since
			}
			return s, true
		}
	}
	return State{}, false
}

// Held reports whether cond held throughout [from, to] (to zero: up to
// now), and if not, the first state that broke it.
func (w *Watcher) Held(from, to time.Time, cond func(State) bool) (State, bool) {
	ch := w.Changes()
	for i, s := range ch {
		end := time.Time{}
		if i+1 < len(ch) {
			end = ch[i+1].At
		}
		if !end.IsZero() && !end.After(from) {
			continue
		}
		if !to.IsZero() && s.At.After(to) {
			break
		}
		if !cond(s) {
			return s, false
		}
	}
	return State{}, true
}

// Overlap is the longest and the total time the VIP was seen on both
// directors in [from, to] (to zero: up to now), and how many times.
func (w *Watcher) Overlap(from, to time.Time) (longest, total time.Duration, times int) {
	ch := w.Changes()
	if to.IsZero() {
		to = w.Now().At
	}
	for i, s := range ch {
		if !(s.A && s.B) {
			continue
		}
		start, end := s.At, to
		if i+1 < len(ch) {
			end = ch[i+1].At
		}
		start, end = maxTime(start, from), minTime(end, to)
		if !end.After(start) {
			continue // outside [from, to]
		}
		d := end.Sub(start)
		times++
		total += d
		longest = max(longest, d)
	}
	return longest, total, times
}

// Before is the last recorded state before t.
func (w *Watcher) Before(t time.Time) State {
	ch := w.Changes()
	last := ch[0]
	for _, s := range ch {
		if !s.At.Before(t) {
			break
		}
		last = s
	}
	return last
}

// Record formats the changes since from, with times relative to it.
func (w *Watcher) Record(from time.Time) string {
	var b strings.Builder
	for _, s := range w.Changes() {
		fmt.Fprintf(&b, "  %+8.3fs  %s\n", s.At.Sub(from).Seconds(), s)
	}
	return b.String()
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
