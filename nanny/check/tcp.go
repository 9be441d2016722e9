package check

import (
	"context"
	"unsafe"

	"golang.org/x/sys/unix"
)

// TCP passes when a TCP connection to the target is accepted; it is
// Piranha's check without send or expect, and keepalived's TCP_CHECK.
type TCP struct {
	Target Target
}

func (c *TCP) String() string { return "TCP connect to " + c.Target.String() }

func (c *TCP) Check(ctx context.Context) error {
	// The socket is never an os.File: connectFD says why.
	fd, err := connectFD(ctx, c.Target)
	if err != nil {
		return connectError(ctx, c.Target, err)
	}
	// Nothing was said, so nothing is lost by ending with a reset, as
	// HAProxy's checks do: no FIN exchange, and no socket left in
	// TIME_WAIT on the director for each check (a thousand servers
	// checked every second would keep 60,000 of them).
	l := unix.Linger{Onoff: 1, Linger: 0}
	unix.RawSyscall6(unix.SYS_SETSOCKOPT, uintptr(fd), unix.SOL_SOCKET, unix.SO_LINGER, uintptr(unsafe.Pointer(&l)), unsafe.Sizeof(l), 0)
	closeFD(fd)
	return nil
}
