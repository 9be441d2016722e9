//go:build linux

// Package nstest gives tests throw-away Linux network namespaces, each with
// its loopback interface up, without ever leaving a goroutine or an OS
// thread of the test in the wrong namespace.
//
// A namespace is a per-thread attribute. Every switch here happens on a
// goroutine of its own, locked to its OS thread, which switches back before
// unlocking; if switching back fails, the goroutine exits still locked and
// the Go runtime terminates that thread rather than reuse it. Creating a
// namespace needs CAP_SYS_ADMIN.
package nstest

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"testing"

	"golang.org/x/sys/unix"
)

// threadNS names the network namespace of the calling thread (Linux 3.17).
const threadNS = "/proc/thread-self/ns/net"

// NS is a network namespace that lives as long as its handle is open and
// something (a socket, a process) uses it.
type NS struct {
	f *os.File
}

// Open creates a network namespace and brings its loopback interface up,
// so that 127.0.0.1 and ::1 are local addresses in it.
func Open() (*NS, error) {
	type result struct {
		f   *os.File
		err error
	}
	ch := make(chan result, 1)
	go func() {
		f, err := onThread(func() (*os.File, error) {
			if err := unix.Unshare(unix.CLONE_NEWNET); err != nil {
				return nil, fmt.Errorf("unshare: %w", err)
			}
			f, err := os.Open(threadNS)
			if err != nil {
				return nil, err
			}
			if err := loopbackUp(); err != nil {
				f.Close()
				return nil, err
			}
			return f, nil
		})
		ch <- result{f, err}
	}()
	r := <-ch
	if r.err != nil {
		return nil, fmt.Errorf("nstest: create network namespace: %w", r.err)
	}
	return &NS{f: r.f}, nil
}

// New is Open for a test: it fails tb on error and closes the namespace's
// handle when tb ends. Cleanups registered after New (closing sockets in
// the namespace) run before it.
func New(tb testing.TB) *NS {
	tb.Helper()
	ns, err := Open()
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ns.Close() })
	return ns
}

// FD returns the namespace's file descriptor, valid until Close; this is
// what netlink.Config.NetNS and setns(2) take.
func (ns *NS) FD() int { return int(ns.f.Fd()) }

// Close releases the handle. The kernel destroys the namespace once
// nothing else uses it.
func (ns *NS) Close() error { return ns.f.Close() }

// Do runs fn on an OS thread that is in the namespace, and returns fn's
// error. Sockets fn creates belong to the namespace for their whole life,
// so fn may hand them to other goroutines (a listener's Accept loop). fn
// itself must return on the goroutine Do called it on: no t.FailNow or
// runtime.Goexit.
func (ns *NS) Do(fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		_, err := onThread(func() (*os.File, error) {
			if err := unix.Setns(ns.FD(), unix.CLONE_NEWNET); err != nil {
				return nil, fmt.Errorf("nstest: enter network namespace: %w", err)
			}
			return nil, fn()
		})
		errc <- err
	}()
	return <-errc
}

// onThread runs fn with the calling goroutine locked to its OS thread,
// then moves the thread back to the network namespace it started in. If
// that fails, the thread stays locked, so that it ends with the goroutine
// (always one started for this call) instead of running other goroutines
// in the wrong namespace.
func onThread(fn func() (*os.File, error)) (*os.File, error) {
	runtime.LockOSThread()
	orig, err := os.Open(threadNS)
	if err != nil {
		runtime.UnlockOSThread()
		return nil, err
	}
	defer orig.Close()
	f, err := fn()
	if rerr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); rerr != nil {
		if f != nil {
			f.Close()
		}
		return nil, errors.Join(err, fmt.Errorf("nstest: return to the original network namespace: %w", rerr))
	}
	runtime.UnlockOSThread()
	return f, err
}

// loopbackUp sets IFF_UP on "lo" in the calling thread's namespace; the
// kernel then adds 127.0.0.1/8 and ::1 by itself.
func loopbackUp() error {
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(fd)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("get flags of lo: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(fd, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	return nil
}
