// Package check holds nanny's health checks: one type per kind of probe
// (TCP connect, send/expect, external program, HTTP and HTTPS, ICMP
// echo, UDP, DNS, SMTP), all behind the Checker interface. A check
// probes once and says why it failed; counting failures and successes
// (fall and rise) and acting on the IPVS table are the runner's
// business, not the checks'.
package check

import (
	"context"
	"net/netip"
	"strconv"
)

// A Checker probes a real server once. Check returns nil when the server
// answered as expected and otherwise an error whose text says why, in
// words an operator reads in the log ("CONNECT to 10.0.0.2:80 timed
// out"). It returns by ctx's deadline whatever the server does, and
// leaves nothing running behind it (no connection, no process).
//
// A runner uses a Checker from one goroutine, one probe at a time.
type Checker interface {
	Check(ctx context.Context) error
	// String describes the check for nanny's start-up log, e.g.
	// "HTTP GET http://10.0.0.2:80/ expecting status 200".
	String() string
}

// Target is the real server a check probes: its address and the port
// checked (nanny's -h and -r).
type Target struct {
	Addr netip.Addr
	Port uint16
}

// String is ADDR:PORT, as Piranha's log lines name a real server.
func (t Target) String() string { return netip.AddrPortFrom(t.Addr, t.Port).String() }

// Host is the address alone, as a program's %h becomes.
func (t Target) Host() string { return t.Addr.String() }

// PortString is the port alone, as a program's %p becomes.
func (t Target) PortString() string { return strconv.Itoa(int(t.Port)) }
