// Package netlink is lvskit's client for the kernel's IPVS table: an
// ipvs.Table spoken over the generic netlink family "IPVS".
//
// A Client owns one netlink socket, bound to one network namespace, and
// resolves the family once when it is dialled; every method but ListDests
// is one kernel command on that socket. Unlike ipvsadm, which opens a
// socket and looks up the family for every request, a listing of
// thousands of services costs no more than its messages, and ListDests
// decodes them while the kernel prepares the next ones.
//
// Errors keep the kernel's errno reachable (errors.Is(err, syscall.ESRCH));
// a reply that cannot be parsed is an error wrapping syscall.EINVAL, which
// is what ipvsadm reports in that case. The client never loads modules and
// never logs.
package netlink

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"time"

	"github.com/mdlayher/netlink"

	"lvskit/internal/ipvs"
)

// Config configures Dial.
type Config struct {
	// NetNS is an open file descriptor of the network namespace whose
	// table the client manages (a /proc/PID/ns/net or /run/netns/NAME
	// file). Zero means the namespace of the calling thread. The
	// descriptor is only used during Dial.
	NetNS int
	// Timeout bounds the wait for the kernel's reply to one command
	// (DefaultTimeout if zero). The kernel handles a command while it is
	// being sent, so this only fires when it sends no reply at all; a
	// director tool must not hang on that.
	Timeout time.Duration
}

// DefaultTimeout is the reply timeout when Config.Timeout is zero.
const DefaultTimeout = 5 * time.Second

// Client is the IPVS table of one network namespace, reached through the
// kernel. It implements ipvs.Table and is safe for concurrent use: requests
// on its socket are serialised.
type Client struct {
	// mu serialises commands on the socket.
	mu     sync.Mutex
	tr     transport
	family uint16
}

var _ ipvs.Table = (*Client)(nil)

// Request flags. Commands that change the table ask for an
// acknowledgement, so that success is confirmed and not just assumed;
// commands that list ask for a dump; the other reads are plain requests,
// answered by one message.
const (
	setFlags  = netlink.Request | netlink.Acknowledge
	dumpFlags = netlink.Request | netlink.Dump
	getFlags  = netlink.Request
)

// Open is Dial with the default configuration, as the Table the tools
// take: a failure is a nil Table, not a nil *Client in one.
func Open() (ipvs.Table, error) {
	c, err := Dial(nil)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// Dial opens a netlink socket in the namespace cfg names (nil: the calling
// thread's) and resolves the family "IPVS" there. When the kernel has no
// IPVS the error satisfies errors.Is(err, ipvs.ErrNotAvailable).
//
// A dump needs no enlarged socket receive buffer: the kernel fills the next
// part of a dump only when the previous one has been read
// (netlink_recvmsg calls netlink_dump), so a long listing cannot overflow
// it.
func Dial(cfg *Config) (*Client, error) {
	netns, timeout := 0, DefaultTimeout
	if cfg != nil {
		netns = cfg.NetNS
		if cfg.Timeout > 0 {
			timeout = cfg.Timeout
		}
	}
	s, err := openSock(netns, timeout)
	if err != nil {
		return nil, fmt.Errorf("ipvs: open generic netlink socket: %w", err)
	}
	id, err := s.family(familyName)
	if err != nil {
		s.Close()
		return nil, familyError(err)
	}
	return &Client{tr: s, family: id}, nil
}

// familyError reports a failed family lookup. The controller answers
// ENOENT for an unknown family. That errno is deliberately not wrapped: a
// caller must not mistake a kernel without IPVS for a command's ENOENT
// (unknown scheduler).
func familyError(err error) error {
	if errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("ipvs: %w (generic netlink family %q: %v)", ipvs.ErrNotAvailable, familyName, err)
	}
	return fmt.Errorf("ipvs: resolve generic netlink family %q: %w", familyName, err)
}

// Close closes the client's socket.
func (c *Client) Close() error { return c.tr.Close() }

// execute sends one command and passes the attributes of each reply to
// each; a failure is wrapped with the command's name.
func (c *Client) execute(cmd uint8, flags netlink.HeaderFlags, attrs []byte, each func([]byte) error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.tr.Execute(c.family, cmd, flags, attrs, each); err != nil {
		return cmdError(cmd, err)
	}
	return nil
}

func cmdError(cmd uint8, err error) error {
	return fmt.Errorf("ipvs: %s: %w", cmdName(cmd), err)
}

// set sends a command that changes the table.
func (c *Client) set(cmd uint8, attrs []byte, err error) error {
	if err != nil {
		return err
	}
	// The kernel answers with an acknowledgement only.
	return c.execute(cmd, setFlags, attrs, func([]byte) error { return nil })
}

// get sends a command answered by a single message and decodes it.
func (c *Client) get(cmd uint8, attrs []byte, decode func([]byte) error) error {
	got := false
	err := c.execute(cmd, getFlags, attrs, func(b []byte) error {
		got = true
		return decode(b)
	})
	if err == nil && !got {
		err = cmdError(cmd, invalid("empty reply"))
	}
	return err
}

// Info returns the IPVS version and connection table size.
func (c *Client) Info() (info ipvs.Info, err error) {
	err = c.get(cmdGetInfo, nil, func(b []byte) (err error) {
		info, err = decodeInfo(b)
		return err
	})
	return info, err
}

// Services dumps every virtual service in the kernel's order.
func (c *Client) Services() ([]ipvs.Service, error) {
	var svcs []ipvs.Service
	err := c.execute(cmdGetService, dumpFlags, nil, func(b []byte) error {
		s, err := decodeServiceMsg(b)
		svcs = append(svcs, s)
		return err
	})
	if err != nil {
		return nil, err
	}
	if svcs == nil {
		svcs = []ipvs.Service{}
	}
	return svcs, nil
}

// Service returns the service k; the kernel answers ESRCH if it does not
// exist.
func (c *Client) Service(k ipvs.ServiceKey) (s ipvs.Service, err error) {
	attrs, err := serviceKeyAttrs(k)
	if err != nil {
		return ipvs.Service{}, err
	}
	err = c.get(cmdGetService, attrs, func(b []byte) (err error) {
		s, err = decodeServiceMsg(b)
		return err
	})
	return s, err
}

// AddService creates the service s.
func (c *Client) AddService(s ipvs.Service) error {
	attrs, err := serviceAttrs(s)
	return c.set(cmdNewService, attrs, err)
}

// EditService changes the scheduler, persistence engine, flags, timeout
// and netmask of the existing service s.
func (c *Client) EditService(s ipvs.Service) error {
	attrs, err := serviceAttrs(s)
	return c.set(cmdSetService, attrs, err)
}

// DelService removes the service k and its destinations.
func (c *Client) DelService(k ipvs.ServiceKey) error {
	attrs, err := serviceKeyAttrs(k)
	return c.set(cmdDelService, attrs, err)
}

// Flush removes every service.
func (c *Client) Flush() error { return c.set(cmdFlush, nil, nil) }

// ZeroAll zeroes the counters of every service and destination: the
// kernel does that for a ZERO without a service.
func (c *Client) ZeroAll() error { return c.set(cmdZero, nil, nil) }

// ZeroService zeroes the counters of the service k and its destinations.
func (c *Client) ZeroService(k ipvs.ServiceKey) error {
	attrs, err := serviceKeyAttrs(k)
	return c.set(cmdZero, attrs, err)
}

// Dests dumps the destinations of the service k. The kernel answers an
// empty dump, not an error, when the key is malformed or names no service
// (ip_vs_genl_dump_dests).
func (c *Client) Dests(k ipvs.ServiceKey) ([]ipvs.Dest, error) {
	if misread(k) != nil {
		// Such a key names no service the kernel has.
		return []ipvs.Dest{}, nil
	}
	attrs, err := serviceKeyAttrs(k)
	if err != nil {
		return nil, err
	}
	dests := []ipvs.Dest{}
	err = c.execute(cmdGetDest, dumpFlags, attrs, func(b []byte) error {
		d, err := decodeDestMsg(b, k.Family)
		dests = append(dests, d)
		return err
	})
	if err != nil {
		return nil, err
	}
	return dests, nil
}

// AddDest adds the destination d to the service k.
func (c *Client) AddDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	attrs, err := destAttrs(k, d)
	return c.set(cmdNewDest, attrs, err)
}

// EditDest changes the existing destination d of the service k.
func (c *Client) EditDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	attrs, err := destAttrs(k, d)
	return c.set(cmdSetDest, attrs, err)
}

// DelDest removes the destination dk from the service k.
func (c *Client) DelDest(k ipvs.ServiceKey, dk ipvs.DestKey) error {
	attrs, err := destKeyAttrs(k, dk)
	return c.set(cmdDelDest, attrs, err)
}

// Timeouts returns the TCP, TCP FIN and UDP connection timeouts.
func (c *Client) Timeouts() (t ipvs.Timeouts, err error) {
	err = c.get(cmdGetConfig, nil, func(b []byte) (err error) {
		t, err = decodeTimeouts(b)
		return err
	})
	return t, err
}

// SetTimeouts sets the timeouts; the kernel leaves a zero one unchanged.
func (c *Client) SetTimeouts(t ipvs.Timeouts) error {
	attrs, err := timeoutAttrs(t)
	return c.set(cmdSetConfig, attrs, err)
}

// Daemons lists the running sync daemons, master first.
func (c *Client) Daemons() ([]ipvs.Daemon, error) {
	ds := []ipvs.Daemon{}
	err := c.execute(cmdGetDaemon, dumpFlags, nil, func(b []byte) error {
		d, err := decodeDaemonMsg(b)
		ds = append(ds, d)
		return err
	})
	if err != nil {
		return nil, err
	}
	return ds, nil
}

// StartDaemon starts the sync daemon d.
func (c *Client) StartDaemon(d ipvs.Daemon) error {
	attrs, err := daemonAttrs(d)
	return c.set(cmdNewDaemon, attrs, err)
}

// StopDaemon stops the sync daemon in state s.
//
// When the daemon's kernel thread is stopped before it first ran (a stop
// right after the start), kthread_stop returns EINTR, stop_sync_thread
// passes it on after having stopped the daemon, and netlink_rcv_skb sends
// no reply at all for EINTR. The command then times out; the daemon list
// says whether the stop took effect.
func (c *Client) StopDaemon(s ipvs.DaemonState) error {
	attrs, err := daemonStateAttrs(s)
	err = c.set(cmdDelDaemon, attrs, err)
	if !errors.Is(err, os.ErrDeadlineExceeded) {
		return err
	}
	ds, lerr := c.Daemons()
	if lerr != nil {
		return err
	}
	for _, d := range ds {
		if d.State == s {
			return err
		}
	}
	return nil
}
