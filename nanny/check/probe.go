package check

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
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
// It connects with a non-blocking socket that Go's poller waits on,
// rather than with net.Dialer: a thousand monitors each connect every
// few seconds, and the dialer's goroutine per connect, its resolver
// path and its half-dozen socket options (keep-alive, no-delay) made up
// most of a TCP check's cost.
func probeConnect(ctx context.Context, t Target) (net.Conn, func(), error) {
	c, err := tcpConnect(ctx, t)
	if err != nil {
		if probeTimedOut(ctx, err) {
			return nil, nil, fmt.Errorf("CONNECT to %s timed out", t)
		}
		return nil, nil, fmt.Errorf("CONNECT to %s failed: %s", t, probeCause(ctx, err))
	}
	return c, probeTie(ctx, c), nil
}

func tcpConnect(ctx context.Context, t Target) (*fileConn, error) {
	fd, err := startConnect(t)
	if err != nil && err != unix.EINPROGRESS {
		return nil, err
	}
	f := os.NewFile(uintptr(fd), "tcp")
	c := &fileConn{File: f, remote: &net.TCPAddr{IP: t.Addr.AsSlice(), Port: int(t.Port)}}
	if err == nil {
		return c, nil
	}
	if dl, ok := ctx.Deadline(); ok {
		f.SetDeadline(dl)
	}
	stop := context.AfterFunc(ctx, func() { f.Close() })
	rc, err := f.SyscallConn()
	if err != nil {
		stop()
		f.Close()
		return nil, err
	}
	// The connect is over when the socket has an error or a peer; until
	// then the poller waits for it to become writable. (Asking before
	// the first wait matters: the poller forgets a readiness that came
	// before it was asked to wait.)
	var soerr int
	var gerr error
	err = rc.Write(func(fd uintptr) bool {
		var done bool
		soerr, done, gerr = connectDone(int(fd))
		return done
	})
	stop()
	switch {
	case err == nil && gerr != nil:
		err = os.NewSyscallError("connect", gerr)
	case err == nil && soerr != 0:
		err = os.NewSyscallError("connect", unix.Errno(soerr))
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return c, nil
}

// fileConn is a connected socket as a net.Conn: the os.File that
// tcpConnect made, read and written through Go's poller with deadlines.
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
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return true
	}
	if ctx.Err() != nil {
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

// startConnect makes a non-blocking TCP socket and starts its connect.
// These system calls do not block, so they are made raw, without the
// runtime's bookkeeping for a call that might (which wakes its monitor
// thread and may hand the processor to another thread): a thousand
// monitors make them every few seconds.
func startConnect(t Target) (int, error) {
	var sa unsafe.Pointer
	var salen uintptr
	family := uintptr(unix.AF_INET)
	var sa4 unix.RawSockaddrInet4
	var sa6 unix.RawSockaddrInet6
	if t.Addr.Is4() || t.Addr.Is4In6() {
		sa4.Family = unix.AF_INET
		sa4.Addr = t.Addr.Unmap().As4()
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa4.Port))[:], t.Port)
		sa, salen = unsafe.Pointer(&sa4), unsafe.Sizeof(sa4)
	} else {
		family = unix.AF_INET6
		sa6.Family = unix.AF_INET6
		sa6.Addr = t.Addr.As16()
		binary.BigEndian.PutUint16((*[2]byte)(unsafe.Pointer(&sa6.Port))[:], t.Port)
		sa, salen = unsafe.Pointer(&sa6), unsafe.Sizeof(sa6)
	}
	fd, _, e := unix.RawSyscall(unix.SYS_SOCKET, family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if e != 0 {
		return -1, os.NewSyscallError("socket", e)
	}
	_, _, e = unix.RawSyscall(unix.SYS_CONNECT, fd, uintptr(sa), salen)
	runtime.KeepAlive(&sa4)
	runtime.KeepAlive(&sa6)
	switch e {
	case 0:
		return int(fd), nil
	case unix.EINPROGRESS:
		return int(fd), unix.EINPROGRESS
	}
	unix.Close(int(fd))
	return -1, os.NewSyscallError("connect", e)
}

// connectDone tells whether a started connect is over: with the
// socket's error (SO_ERROR), or connected (it has a peer). Raw, as in
// startConnect.
func connectDone(fd int) (soerr int, done bool, err error) {
	var v int32
	l := uint32(4)
	if _, _, e := unix.RawSyscall6(unix.SYS_GETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_ERROR,
		uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&l)), 0); e != 0 {
		return 0, true, e
	}
	if v != 0 {
		return int(v), true, nil
	}
	var rsa unix.RawSockaddrAny
	rl := uint32(unsafe.Sizeof(rsa))
	_, _, e := unix.RawSyscall(unix.SYS_GETPEERNAME, uintptr(fd), uintptr(unsafe.Pointer(&rsa)), uintptr(unsafe.Pointer(&rl)))
	switch e {
	case 0:
		return 0, true, nil
	case unix.ENOTCONN:
		return 0, false, nil
	}
	return 0, true, e
}
