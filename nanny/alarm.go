package nanny

import (
	"os"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// An alarm is what the runner sleeps on between its tasks: a timerfd
// that the runner's goroutine waits for itself, through Go's poller,
// rather than a Go timer: while a Go timer is pending, the runtime's
// monitor thread (sysmon) wakes when it fires as well as the thread
// that runs it, and with a thousand monitors on a director those extra
// wake-ups were a third of nanny's CPU. Should the kernel refuse a
// timerfd, a Go timer does the job.
//
// Setting and reading the timerfd are raw system calls, without the
// runtime's bookkeeping for one that might block (entersyscall): when
// the process is idle, sysmon sleeps in sysmonwait, every entersyscall
// wakes it, and it then polls every 20 µs until the process is idle
// again. Neither call blocks: the timerfd is non-blocking.
//
// The runner's goroutine sleeps on the timerfd itself, rather than a
// goroutine of the alarm's reading it and ringing a channel: that hand-
// off (a goroutine switch, a select, and one more read) was a fair part
// of what a check cost nanny on a busy director. A signal interrupts the
// sleep by poke, which makes the timerfd expire at once.
type alarm struct {
	f     *os.File        // the timerfd, or nil
	rc    syscall.RawConn // f's
	timer *time.Timer     // without a timerfd
	c     chan struct{}   // timer's rings

	// A moment on both clocks, Go's and the timerfd's (both
	// CLOCK_MONOTONIC underneath), for setting the timerfd to a
	// time.Time without reading the clock again.
	base     time.Time
	baseMono int64

	// sleep's state for wake, which is made once, as a closure made
	// for each sleep would be an allocation a check.
	wakeFn func(uintptr) bool
	spec   unix.ItimerSpec
	armed  bool
	sigs   <-chan os.Signal
	sig    os.Signal
	buf    [8]byte
}

func newAlarm() *alarm {
	a := &alarm{}
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err == nil {
		var ts unix.Timespec
		a.base = time.Now()
		err = unix.ClockGettime(unix.CLOCK_MONOTONIC, &ts)
		a.baseMono = ts.Nano()
		a.f = os.NewFile(uintptr(fd), "alarm")
		if err == nil {
			if a.rc, err = a.f.SyscallConn(); err == nil {
				a.wakeFn = a.wake
				return a
			}
		}
		a.f.Close()
		a.f = nil
	}
	a.c = make(chan struct{}, 1)
	a.timer = time.AfterFunc(time.Hour, a.ring)
	return a
}

func (a *alarm) ring() {
	select {
	case a.c <- struct{}{}:
	default:
	}
}

// sleep returns at t (at once if t has passed), or sooner with a
// signal from sigs. It may return early with none (a ring of an earlier
// setting): the runner takes each return as a reason to look at the
// clock, no more. t must have a monotonic clock reading (from
// time.Now), as the runner's times do.
func (a *alarm) sleep(t time.Time, sigs <-chan os.Signal) os.Signal {
	if a.f == nil {
		a.timer.Reset(time.Until(t))
		select {
		case s := <-sigs:
			return s
		case <-a.c:
			return nil
		}
	}
	// An absolute time: no clock to read for "how long until t".
	a.spec.Value = unix.NsecToTimespec(max(a.baseMono+int64(t.Sub(a.base)), 1)) // 0 disarms
	a.armed, a.sigs, a.sig = false, sigs, nil
	if err := a.rc.Read(a.wakeFn); err != nil {
		// Stopped: cannot be while the runner runs. Wait for a
		// signal rather than spin.
		return <-sigs
	}
	return a.sig
}

// wake is sleep's function for RawConn.Read, which calls it before each
// wait of the poller's and ends the sleep when it returns true.
func (a *alarm) wake(fd uintptr) bool {
	if !a.armed {
		// Armed here, after Read has made the poller ready to wait,
		// rather than before Read: the poller forgets a readiness that
		// came before. Setting the timer also clears an expiry that
		// was not read, such as a poke's that came after a sleep.
		a.armed = true
		unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, unix.TFD_TIMER_ABSTIME, uintptr(unsafe.Pointer(&a.spec)), 0, 0, 0)
		// A signal sent before the timer was set has had its poke
		// undone by it; one sent later pokes again.
		select {
		case a.sig = <-a.sigs:
			return true
		default:
			return false
		}
	}
	for {
		_, _, e := unix.RawSyscall(unix.SYS_READ, fd, uintptr(unsafe.Pointer(&a.buf[0])), uintptr(len(a.buf)))
		switch e {
		case unix.EINTR:
			continue
		case unix.EAGAIN:
			return false // not yet: the poller waits again
		}
		break
	}
	select {
	case a.sig = <-a.sigs:
	default:
	}
	return true
}

// poke ends the runner's sleep, or its next one, at once: called after
// a signal was put on the channel it sleeps with. Any goroutine may.
func (a *alarm) poke() {
	if a.f == nil {
		a.ring()
		return
	}
	spec := unix.ItimerSpec{Value: unix.Timespec{Nsec: 1}}
	a.rc.Control(func(fd uintptr) {
		unix.RawSyscall6(unix.SYS_TIMERFD_SETTIME, fd, 0, uintptr(unsafe.Pointer(&spec)), 0, 0, 0)
	})
}

func (a *alarm) stop() {
	if a.f == nil {
		a.timer.Stop()
		return
	}
	a.f.Close()
}
