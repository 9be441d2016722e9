package check

import (
	"context"

	"golang.org/x/sys/unix"
)

// TCP passes when a TCP connection to the target is accepted; it is
// Piranha's check without send or expect, and keepalived's TCP_CHECK.
type TCP struct {
	Target Target
}

func (c *TCP) String() string { return "TCP connect to " + c.Target.String() }

func (c *TCP) Check(ctx context.Context) error {
	conn, release, err := probeConnect(ctx, c.Target)
	if err != nil {
		return err
	}
	// Nothing was said, so nothing is lost by ending with a reset, as
	// HAProxy's checks do: no FIN exchange, and no socket left in
	// TIME_WAIT on the director for each check (a thousand servers
	// checked every second would keep 60,000 of them).
	if rc, err := conn.(*fileConn).SyscallConn(); err == nil {
		rc.Control(func(fd uintptr) {
			unix.SetsockoptLinger(int(fd), unix.SOL_SOCKET, unix.SO_LINGER, &unix.Linger{Onoff: 1, Linger: 0})
		})
	}
	release()
	return nil
}
