package check

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
)

// TCP passes when a TCP connection to the target is accepted; it is
// Piranha's check without send or expect, and keepalived's TCP_CHECK.
type TCP struct {
	Target Target
}

func (c *TCP) String() string { return "TCP connect to " + c.Target.String() }

func (c *TCP) Check(ctx context.Context) error {
	conn, err := dial(ctx, "tcp", c.Target)
	if err != nil {
		return err
	}
	return conn.Close()
}

// dial connects to t, failing by ctx's deadline with Piranha's
// "CONNECT to ... timed out" or the reason the connection was refused.
// The connection's deadline is ctx's.
func dial(ctx context.Context, network string, t Target) (net.Conn, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, network, t.String())
	if err != nil {
		if timedOut(ctx, err) {
			return nil, fmt.Errorf("CONNECT to %s timed out", t)
		}
		return nil, fmt.Errorf("CONNECT to %s failed: %v", t, reason(err))
	}
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	return conn, nil
}

// timedOut tells a deadline from other failures.
func timedOut(ctx context.Context, err error) bool {
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) {
		return true
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return true
	}
	return ctx.Err() != nil
}

// reason is the cause of a network error without Go's "dial tcp
// 1.2.3.4:80: connect:" decoration: the errno's text when there is one,
// as Piranha's logs have it ("connection refused").
func reason(err error) error {
	var errno syscall.Errno
	if errors.As(err, &errno) {
		return errno
	}
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		return oe.Err
	}
	return err
}
