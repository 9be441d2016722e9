package sendarp

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"syscall"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/net/bpf"
)

// Options say how to announce: how many frames, how far apart, and for
// IPv4 of which kind. The zero value sends one frame in Piranha's style.
type Options struct {
	// Count is the number of frames; below 1 means 1. Piranha's pulse
	// sent 5 per takeover.
	Count int
	// Interval is the time between frames; zero or less sends them back
	// to back. Piranha's pulse waited 1s.
	Interval time.Duration
	// Style is the kind of ARP frame. It does not apply to IPv6, which
	// has one kind of announcement.
	Style Style
}

// Announce tells the hosts on ifi's link that vip is at ifi's MAC
// address: o.Count gratuitous ARP frames for an IPv4 vip, or unsolicited
// Neighbor Advertisements for an IPv6 one, o.Interval apart, the first
// at once. It opens the interface's sockets for the call and closes them
// after; to announce repeatedly, keep a Sender. When ctx is cancelled it
// returns ctx.Err() without sending the rest. Errors name the interface.
//
// Announce needs CAP_NET_RAW. It does not need vip, or any address, to
// be configured on ifi.
func Announce(ctx context.Context, ifi *net.Interface, vip netip.Addr, o Options) error {
	s, err := Open(ifi)
	if err != nil {
		return err
	}
	err = s.Announce(ctx, vip, o)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	return err
}

// A Sender writes Ethernet frames on one interface. It is opened once
// and sends any number of frames, so that pulse can re-announce its VIPs
// periodically without a socket per announcement; Close it when done.
// A Sender is safe for concurrent use.
//
// It holds two AF_PACKET raw sockets, one for ARP and one for IPv6, so
// that the kernel sees each frame with its own protocol, as traffic
// control and bonding expect. They only send: a filter that accepts
// nothing keeps the kernel from queueing received frames on them.
type Sender struct {
	ifi   net.Interface
	conns map[uint16]frameConn // by EtherType; not changed after open

	closeOnce sync.Once
	closeErr  error
}

// frameConn is the part of *packet.Conn a Sender uses; tests replace it.
type frameConn interface {
	WriteTo(b []byte, addr net.Addr) (int, error)
	Close() error
}

// dropAll is a classic BPF program that accepts no packet ("ret #0").
var dropAll = func() []bpf.RawInstruction {
	raw, err := bpf.Assemble([]bpf.Instruction{bpf.RetConstant{Val: 0}})
	if err != nil {
		panic(err)
	}
	return raw
}()

// Open opens a Sender on ifi. It needs CAP_NET_RAW; the interface must
// exist, but need not be up or have an address. Errors name the
// interface and keep the failed system call (*os.SyscallError, socket,
// setsockopt or bind) and its errno reachable.
func Open(ifi *net.Interface) (*Sender, error) {
	return open(ifi, func(ifi *net.Interface, etherType uint16) (frameConn, error) {
		// The filter is attached before bind(2), so not even a frame
		// arriving in between is queued.
		return packet.Listen(ifi, packet.Raw, int(etherType), &packet.Config{Filter: dropAll})
	})
}

// open opens a Sender whose sockets come from listen.
func open(ifi *net.Interface, listen func(*net.Interface, uint16) (frameConn, error)) (*Sender, error) {
	if ifi == nil {
		return nil, errors.New("sendarp: no interface")
	}
	s := &Sender{ifi: *ifi, conns: map[uint16]frameConn{}}
	for _, et := range []uint16{etherTypeARP, etherTypeIPv6} {
		c, err := listen(ifi, et)
		if err != nil {
			s.Close()
			return nil, s.wrap(err)
		}
		s.conns[et] = c
	}
	return s, nil
}

// Interface returns the interface the Sender sends on, as given to Open.
func (s *Sender) Interface() *net.Interface {
	ifi := s.ifi
	return &ifi
}

// Send writes one complete Ethernet frame, as the frame builders return
// it, to the Ethernet destination in its first 6 bytes. Only ARP and
// IPv6 frames can be sent.
func (s *Sender) Send(frame []byte) error {
	if len(frame) < 14 {
		return fmt.Errorf("sendarp: %s: frame of %d bytes is shorter than an Ethernet header", s.ifi.Name, len(frame))
	}
	et := binary.BigEndian.Uint16(frame[12:14])
	c, ok := s.conns[et]
	if !ok {
		return fmt.Errorf("sendarp: %s: cannot send EtherType %#04x: %w", s.ifi.Name, et, errors.ErrUnsupported)
	}
	dst := make(net.HardwareAddr, 6)
	copy(dst, frame[0:6])
	if _, err := c.WriteTo(frame, &packet.Addr{HardwareAddr: dst}); err != nil {
		return s.wrap(err)
	}
	return nil
}

// Announce sends the announcement of vip from the interface's MAC
// address, as the package-level Announce does, on the open sockets.
func (s *Sender) Announce(ctx context.Context, vip netip.Addr, o Options) error {
	var frame []byte
	var err error
	if vip.Unmap().Is4() {
		frame, err = ARPFrame(o.Style, s.ifi.HardwareAddr, vip, nil)
	} else {
		frame, err = NAFrame(s.ifi.HardwareAddr, vip)
	}
	if err != nil {
		return fmt.Errorf("sendarp: %s: %w", s.ifi.Name, err)
	}
	return s.Repeat(ctx, frame, o.Count, o.Interval)
}

// Repeat sends frame count times (below 1 means once), interval apart,
// the first at once. It stops at the first error, and returns ctx.Err()
// as soon as ctx is cancelled, before or between frames.
func (s *Sender) Repeat(ctx context.Context, frame []byte, count int, interval time.Duration) error {
	return repeat(ctx, count, interval, func() error { return s.Send(frame) })
}

// Close closes the sockets. Sends after Close fail; a second Close
// does nothing.
func (s *Sender) Close() error {
	s.closeOnce.Do(func() {
		var errs []error
		for _, c := range s.conns {
			if err := c.Close(); err != nil {
				errs = append(errs, s.wrap(err))
			}
		}
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// wrap names the interface in err. It drops the *net.OpError that
// mdlayher/packet wraps around a failed write ("write packet
// ff:ff:ff:ff:ff:ff: sendto: ..."), whose addresses say nothing the
// caller does not know, and keeps the *os.SyscallError beneath it, so
// that the message reads "sendarp: eth0: sendto: network is down" and
// the errno stays reachable.
func (s *Sender) wrap(err error) error {
	var oe *net.OpError
	if errors.As(err, &oe) && oe.Err != nil {
		err = oe.Err
	}
	return fmt.Errorf("sendarp: %s: %w", s.ifi.Name, err)
}

// repeat calls send count times (at least once), interval apart; see
// Sender.Repeat.
func repeat(ctx context.Context, count int, interval time.Duration, send func() error) error {
	count = max(count, 1)
	var timer *time.Timer
	for i := range count {
		if i > 0 && interval > 0 {
			if timer == nil {
				timer = time.NewTimer(interval)
				defer timer.Stop()
			} else {
				timer.Reset(interval)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-timer.C:
			}
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := send(); err != nil {
			return err
		}
	}
	return nil
}

// InterfaceByName returns the network interface called name, as
// net.InterfaceByName does, but reports a missing interface as
// syscall.ENODEV ("sendarp: eth9: no such device"), the errno the kernel
// gives for one, rather than net's errno-less text.
func InterfaceByName(name string) (*net.Interface, error) {
	// net.InterfaceByName lists every interface and picks one; listing
	// them here costs the same and tells "absent" from "cannot list".
	ifs, err := net.Interfaces()
	if err != nil {
		return nil, fmt.Errorf("sendarp: %s: %w", name, err)
	}
	for i := range ifs {
		if ifs[i].Name == name {
			return &ifs[i], nil
		}
	}
	return nil, fmt.Errorf("sendarp: %s: %w", name, syscall.ENODEV)
}
