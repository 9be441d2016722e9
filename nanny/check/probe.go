package check

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"syscall"
	"time"
)

// This file holds what the checks share: connecting, deadlines, and
// the words for what went wrong.

// probeConnect is probeDial for the TCP checks, failing in Piranha's
// words: "CONNECT to 10.0.0.2:80 timed out", or "... failed: connection
// refused".
func probeConnect(ctx context.Context, t Target) (net.Conn, func(), error) {
	conn, release, err := probeDial(ctx, "tcp", t)
	if err != nil {
		if probeTimedOut(ctx, err) {
			return nil, nil, fmt.Errorf("CONNECT to %s timed out", t)
		}
		return nil, nil, fmt.Errorf("CONNECT to %s failed: %s", t, probeCause(ctx, err))
	}
	return conn, release, nil
}

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
