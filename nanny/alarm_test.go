package nanny

import (
	"os"
	"syscall"
	"testing"
	"time"
)

// The runner's way of sleeping: at a steady interval, late, to a
// sooner time, and cut short by a signal, whether it comes before or
// during the sleep.
func TestAlarm(t *testing.T) {
	a := newAlarm()
	defer a.stop()
	if a.f == nil {
		t.Skip("no timerfd")
	}
	sigs := make(chan os.Signal, 8)
	const every = 30 * time.Millisecond
	sleep := func(until time.Time) os.Signal {
		t.Helper()
		sig := a.sleep(until, sigs)
		if now := time.Now(); sig == nil && now.Before(until) {
			t.Errorf("woke %v early", until.Sub(now))
		} else if late := now.Sub(until); late > 500*time.Millisecond {
			t.Errorf("woke %v late", late)
		}
		return sig
	}

	next := time.Now().Add(every)
	for range 5 {
		if sig := sleep(next); sig != nil {
			t.Fatalf("signal %v from nowhere", sig)
		}
		next = next.Add(every)
	}
	// Late for one: the timer has expired by the next sleep.
	time.Sleep(2 * every)
	if sig := sleep(next); sig != nil {
		t.Fatalf("signal %v from nowhere", sig)
	}
	// Sooner than the timer's period says, then back to it.
	if sig := sleep(time.Now().Add(5 * time.Millisecond)); sig != nil {
		t.Fatalf("signal %v from nowhere", sig)
	}
	next = time.Now().Add(every)
	if sig := sleep(next); sig != nil {
		t.Fatalf("signal %v from nowhere", sig)
	}

	// A signal before the sleep, and one during it.
	sigs <- syscall.SIGHUP
	a.poke()
	start := time.Now()
	if sig := a.sleep(start.Add(time.Hour), sigs); sig != syscall.SIGHUP {
		t.Errorf("got %v, want SIGHUP", sig)
	}
	go func() {
		time.Sleep(20 * time.Millisecond)
		sigs <- syscall.SIGUSR1
		a.poke()
	}()
	if sig := a.sleep(start.Add(time.Hour), sigs); sig != syscall.SIGUSR1 {
		t.Errorf("got %v, want SIGUSR1", sig)
	}
	if took := time.Since(start); took > 5*time.Second {
		t.Errorf("signals took %v to end the sleeps", took)
	}
	// The poke's expiry does not end the next sleep early.
	next = time.Now().Add(every)
	if sig := sleep(next); sig != nil {
		t.Fatalf("signal %v from nowhere", sig)
	}
}
