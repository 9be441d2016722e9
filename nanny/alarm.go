package nanny

import (
	"os"
	"time"

	"golang.org/x/sys/unix"
)

// An alarm wakes the runner when its next task is due. It is a timerfd
// read through Go's poller rather than a Go timer: while a Go timer is
// pending, the runtime's monitor thread (sysmon) wakes when it fires as
// well as the thread that runs it, and with a thousand monitors on a
// director those extra wake-ups were a third of nanny's CPU. Should the
// kernel refuse a timerfd, a Go timer does the job.
type alarm struct {
	f     *os.File    // the timerfd, or nil
	timer *time.Timer // without one
	C     chan struct{}
}

func newAlarm() *alarm {
	a := &alarm{C: make(chan struct{}, 1)}
	fd, err := unix.TimerfdCreate(unix.CLOCK_MONOTONIC, unix.TFD_NONBLOCK|unix.TFD_CLOEXEC)
	if err != nil {
		a.timer = time.AfterFunc(time.Hour, a.ring)
		return a
	}
	a.f = os.NewFile(uintptr(fd), "alarm")
	go a.wait()
	return a
}

func (a *alarm) wait() {
	var buf [8]byte
	for {
		if _, err := a.f.Read(buf[:]); err != nil {
			return // stopped
		}
		a.ring()
	}
}

func (a *alarm) ring() {
	select {
	case a.C <- struct{}{}:
	default:
	}
}

// set makes the alarm ring after d (at once for d ≤ 0), replacing any
// earlier setting. A ring of an earlier setting may still come: the
// runner takes each as a reason to look at the clock, no more.
func (a *alarm) set(d time.Duration) {
	if d <= 0 {
		d = 1 // a zero timerfd value disarms it
	}
	if a.f == nil {
		a.timer.Reset(d)
		return
	}
	spec := unix.ItimerSpec{Value: unix.NsecToTimespec(d.Nanoseconds())}
	if rc, err := a.f.SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) { unix.TimerfdSettime(int(fd), 0, &spec, nil) })
	}
}

func (a *alarm) stop() {
	if a.f == nil {
		a.timer.Stop()
		return
	}
	a.f.Close()
}
