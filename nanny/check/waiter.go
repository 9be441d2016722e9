package check

import (
	"context"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// A waiter waits for a socket that is not an os.File: an epoll set of
// our own, whose descriptor Go's poller watches (an epoll descriptor
// is readable while a descriptor in its set is ready). Sockets join and
// leave the set, and the set is asked, by raw system calls.
//
// This is what lets a TCP check make no system call through the
// runtime's entersyscall. An os.File for each connection costs three
// (fcntl in os.NewFile, and close, both from the syscall package, and
// any setsockopt): when the process is idle, the runtime's monitor
// thread (sysmon) sleeps in sysmonwait, each entersyscall wakes it, and
// it then polls every 20 µs until the process is idle again, several
// thread wake-ups a check that cost a thousand monitors more than the
// checks themselves.
//
// A waiter serves one wait at a time; getWaiter hands them out.
type waiter struct {
	f  *os.File // the epoll descriptor
	rc syscall.RawConn

	// mu orders a cancellation (from ctx's AfterFunc, on another
	// goroutine) with the end of the wait it is for: gen counts waits,
	// and a cancellation of one that is over does nothing.
	mu  sync.Mutex
	gen uint64
}

var waiters struct {
	sync.Mutex
	free []*waiter
}

// getWaiter takes an idle waiter, or makes one; a nanny needs just one,
// for the life of the process. putWaiter gives it back.
func getWaiter() (*waiter, error) {
	waiters.Lock()
	if n := len(waiters.free); n > 0 {
		w := waiters.free[n-1]
		waiters.free = waiters.free[:n-1]
		waiters.Unlock()
		return w, nil
	}
	waiters.Unlock()
	fd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, os.NewSyscallError("epoll_create1", err)
	}
	// Go's poller takes only a non-blocking descriptor; epoll_wait
	// never blocks here anyway, for it is asked with a zero timeout.
	if err := unix.SetNonblock(fd, true); err != nil {
		unix.Close(fd)
		return nil, os.NewSyscallError("fcntl", err)
	}
	w := &waiter{f: os.NewFile(uintptr(fd), "epoll")}
	if w.rc, err = w.f.SyscallConn(); err != nil {
		w.f.Close()
		return nil, err
	}
	return w, nil
}

func putWaiter(w *waiter) {
	waiters.Lock()
	waiters.free = append(waiters.free, w)
	waiters.Unlock()
}

// add puts fd in the set, for the events given (level-triggered); del
// takes it out again, as a descriptor that is closed leaves by itself.
func (w *waiter) add(fd int, events uint32) error {
	return w.ctl(unix.EPOLL_CTL_ADD, fd, events)
}

func (w *waiter) del(fd int) {
	w.ctl(unix.EPOLL_CTL_DEL, fd, 0)
}

func (w *waiter) ctl(op, fd int, events uint32) error {
	ev := unix.EpollEvent{Events: events, Fd: int32(fd)}
	var errno syscall.Errno
	err := w.rc.Control(func(epfd uintptr) {
		_, _, errno = unix.RawSyscall6(unix.SYS_EPOLL_CTL, epfd, uintptr(op), uintptr(fd), uintptr(unsafe.Pointer(&ev)), 0, 0)
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError("epoll_ctl", errno)
	}
	return err
}

// aLongTimeAgo is a deadline that has passed: setting it ends a wait.
var aLongTimeAgo = time.Unix(1, 0)

// wait returns when a descriptor in the set is ready, with nil, or at
// ctx's deadline, with os.ErrDeadlineExceeded, or once ctx is
// cancelled, with an error of no meaning beyond that (callers look at
// ctx.Err()).
func (w *waiter) wait(ctx context.Context) error {
	dl, _ := ctx.Deadline()
	w.f.SetReadDeadline(dl)
	w.mu.Lock()
	w.gen++
	gen := w.gen
	w.mu.Unlock()
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		if w.gen == gen {
			w.f.SetReadDeadline(aLongTimeAgo)
		}
	})
	var events [4]unix.EpollEvent
	var errno syscall.Errno
	err := w.rc.Read(func(epfd uintptr) bool {
		for {
			var n uintptr
			n, _, errno = unix.RawSyscall6(unix.SYS_EPOLL_PWAIT, epfd, uintptr(unsafe.Pointer(&events[0])), uintptr(len(events)), 0, 0, 0)
			if errno != unix.EINTR {
				return n > 0 || errno != 0
			}
		}
	})
	if err == nil && errno != 0 {
		err = os.NewSyscallError("epoll_wait", errno)
	}
	stop()
	w.mu.Lock()
	w.gen++
	w.mu.Unlock()
	// No deadline left behind: a pending one is a runtime timer, which
	// wakes the idle process when it expires.
	w.f.SetReadDeadline(time.Time{})
	return err
}
