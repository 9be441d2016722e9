package check

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// This file holds what the checks share: connecting, deadlines, and
// the words for what went wrong.

// probeConnect connects to t over TCP and ties the connection to ctx as
// probeDial does, failing in Piranha's words: "CONNECT to 10.0.0.2:80
// timed out", or "... failed: connection refused".
//
// It connects with a non-blocking socket (connectFD), rather than with
// net.Dialer: a thousand monitors each connect every few seconds, and
// the dialer's goroutine per connect, its resolver path and its
// half-dozen socket options (keep-alive, no-delay) made up most of a
// TCP check's cost. The connection is an os.File once connected, for
// the checks that talk over it.
func probeConnect(ctx context.Context, t Target) (net.Conn, func(), error) {
	c, err := tcpConnect(ctx, t)
	if err != nil {
		return nil, nil, connectError(ctx, t, err)
	}
	return c, probeTie(ctx, c), nil
}

// connectError words a failed connect to t.
func connectError(ctx context.Context, t Target, err error) error {
	if probeTimedOut(ctx, err) {
		return fmt.Errorf("CONNECT to %s timed out", t)
	}
	return fmt.Errorf("CONNECT to %s failed: %s", t, probeCause(ctx, err))
}

func tcpConnect(ctx context.Context, t Target) (*fileConn, error) {
	fd, err := connectFD(ctx, t)
	if err != nil {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "tcp")
	return &fileConn{File: f, remote: &net.TCPAddr{IP: t.Addr.AsSlice(), Port: int(t.Port)}}, nil
}

// connectFD connects a non-blocking TCP socket to t, by ctx's deadline,
// and returns its descriptor, which the caller closes. Every system
// call in it is raw, and a connect that is not over at once is waited
// for with a waiter: see there why neither the syscall package nor an
// os.File is used.
func connectFD(ctx context.Context, t Target) (int, error) {
	var sa sockaddr
	sa.set(t)
	fd, err := startConnect(&sa)
	switch {
	case err == nil:
		return fd, nil
	case err != unix.EINPROGRESS:
		return -1, err
	}
	// The connect is over at once on loopback, and otherwise when the
	// socket becomes writable; until then a waiter waits for that.
	var w *waiter
	for {
		var done bool
		if done, err = connectDone(fd, &sa); done || err != nil {
			break
		}
		if w == nil {
			if w, err = getWaiter(); err != nil {
				break
			}
			if err = w.add(fd, unix.EPOLLOUT); err != nil {
				putWaiter(w)
				w = nil
				break
			}
		}
		if err = w.wait(ctx); err != nil {
			break
		}
	}
	if w != nil {
		w.del(fd)
		putWaiter(w)
	}
	if err != nil {
		closeFD(fd)
		return -1, err
	}
	return fd, nil
}

// closeFD closes a descriptor of connectFD's that no os.File holds,
// raw as the calls that made it.
func closeFD(fd int) {
	unix.RawSyscall(unix.SYS_CLOSE, uintptr(fd), 0, 0)
}

// fileConn is a connected socket as a net.Conn: an os.File that
// tcpConnect made of connectFD's descriptor, read and written through
// Go's poller with deadlines.
type fileConn struct {
	*os.File
	remote net.Addr
}

func (c *fileConn) LocalAddr() net.Addr  { return &net.TCPAddr{} }
func (c *fileConn) RemoteAddr() net.Addr { return c.remote }

// probeDial connects to t and ties the connection to ctx: its deadline
// is ctx's, and cancelling ctx closes it, so a blocked read returns at
// once. release undoes the tie and closes the connection; call it once.
func probeDial(ctx context.Context, network string, t Target) (conn net.Conn, release func(), err error) {
	var d net.Dialer
	conn, err = d.DialContext(ctx, network, t.String())
	if err != nil {
		return nil, nil, err
	}
	release = probeTie(ctx, conn)
	return conn, release, nil
}

// probeTie sets c's deadline to ctx's and closes c when ctx is done
// before release is called. Closing is what interrupts a read when ctx
// is cancelled without a deadline, and it needs no goroutine of ours.
func probeTie(ctx context.Context, c interface {
	SetDeadline(time.Time) error
	Close() error
}) (release func()) {
	if dl, ok := ctx.Deadline(); ok {
		c.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { c.Close() })
	return func() {
		stop()
		c.Close()
	}
}

// probeTimedOut tells whether err comes from ctx's deadline passing:
// the connection's own deadline, or ctx closing it at that moment.
// A cancelled ctx is not a timeout; probeCause names it.
func probeTimedOut(ctx context.Context, err error) bool {
	// ctx.Err() once: ctx's deadline may pass between two looks.
	switch cerr := ctx.Err(); {
	case errors.Is(cerr, context.DeadlineExceeded):
		return true
	case cerr != nil:
		return false
	}
	if errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// Cause is probeCause for nanny's load sources.
func Cause(ctx context.Context, err error) string { return probeCause(ctx, err) }

// probeCause is the reason for a network failure in an operator's
// words: the errno's text ("connection refused") without Go's "read udp
// 127.0.0.1:4242->127.0.0.1:53:" decoration, "connection closed" for
// an end of stream, and ctx's error once ctx is done, for then it is
// ctx that broke off the exchange, whatever err says.
func probeCause(ctx context.Context, err error) string {
	if ctx.Err() != nil {
		return ctx.Err().Error()
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "connection closed"
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno.Error()
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err.Error()
	}
	return err.Error()
}

// probeQuote quotes the start of a reply for a log line: 64 bytes at
// most, then "..." when there was more.
func probeQuote(b []byte) string {
	const max = 64
	if len(b) > max {
		return strconv.Quote(string(b[:max])) + "..."
	}
	return strconv.Quote(string(b))
}

// sockaddr is a Target as connect(2) takes it.
type sockaddr struct {
	family int
	sa4    unix.RawSockaddrInet4
	sa6    unix.RawSockaddrInet6
}

func (sa *sockaddr) set(t Target) {
	if t.Addr.Is4() || t.Addr.Is4In6() {
		sa.family = unix.AF_INET
		sa.sa4.Family = unix.AF_INET
		sa.sa4.Addr = t.Addr.Unmap().As4()
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.sa4.Port))[:], t.Port)
		return
	}
	sa.family = unix.AF_INET6
	sa.sa6.Family = unix.AF_INET6
	sa.sa6.Addr = t.Addr.As16()
	binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa.sa6.Port))[:], t.Port)
}

// connect calls connect(2) on fd, raw.
func (sa *sockaddr) connect(fd int) syscall.Errno {
	var e syscall.Errno
	if sa.family == unix.AF_INET {
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa.sa4)), unsafe.Sizeof(sa.sa4))
	} else {
		_, _, e = unix.RawSyscall(unix.SYS_CONNECT, uintptr(fd), uintptr(unsafe.Pointer(&sa.sa6)), unsafe.Sizeof(sa.sa6))
	}
	return e
}

// startConnect makes a non-blocking TCP socket and starts its connect
// to sa. These system calls do not block, so they are made raw, without
// the runtime's bookkeeping for a call that might (which wakes its
// monitor thread and may hand the processor to another thread): a
// thousand monitors make them every few seconds.
func startConnect(sa *sockaddr) (int, error) {
	fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, uintptr(sa.family), unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		return -1, os.NewSyscallError("socket", e)
	}
	switch e = sa.connect(int(fd)); e {
	case 0:
		return int(fd), nil
	case unix.EINPROGRESS:
		return int(fd), unix.EINPROGRESS
	}
	closeFD(int(fd))
	return -1, os.NewSyscallError("connect", e)
}

// connectDone tells whether a connect that startConnect started is
// over, and how it ended. It asks by connecting again, one system call
// where SO_ERROR and getpeername are two: Linux answers EALREADY while
// the connect is under way, 0 (or EISCONN) once it is made, and the
// error that ended it otherwise. Raw, as in startConnect.
func connectDone(fd int, sa *sockaddr) (done bool, err error) {
	for {
		switch e := sa.connect(fd); e {
		case unix.EINTR:
			continue
		case unix.EALREADY, unix.EINPROGRESS:
			return false, nil
		case 0, unix.EISCONN:
			return true, nil
		default:
			return true, os.NewSyscallError("connect", e)
		}
	}
}
