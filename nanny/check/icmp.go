package check

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// ICMP passes when the target answers one echo request: a host check,
// for a real server whose service is checked otherwise or not at all.
// The Target's port is not used.
type ICMP struct {
	Target Target

	// seq numbers the checks, so that a late reply to the previous
	// one is not taken for this one's.
	seq uint16
}

func (c *ICMP) String() string { return "ICMP echo to " + c.Target.Host() }

// icmpDataLen is the echo's payload, ping's default size.
const icmpDataLen = 56

// icmpSocket is the kind of socket a check uses.
type icmpSocket int

const (
	// icmpAny prefers the unprivileged datagram socket, which the
	// kernel allows to the groups in net.ipv4.ping_group_range, and
	// falls back on a raw one, which needs CAP_NET_RAW.
	icmpAny icmpSocket = iota
	icmpDgram
	icmpRaw
)

func (c *ICMP) Check(ctx context.Context) error { return c.check(ctx, icmpAny) }

func (c *ICMP) check(ctx context.Context, kind icmpSocket) error {
	host := c.Target.Host()
	addr := c.Target.Addr.Unmap()
	if !addr.IsValid() {
		return fmt.Errorf("PING %s failed: no address", host)
	}
	c.seq++
	p := &icmpProbe{
		target: addr.WithZone(""),
		v6:     addr.Is6(),
		id:     uint16(rand.Uint32()),
		seq:    c.seq,
		data:   make([]byte, icmpDataLen),
	}
	for i := range p.data {
		p.data[i] = byte(rand.Uint32())
	}
	sa, err := icmpSockaddr(addr)
	if err != nil {
		return fmt.Errorf("PING %s failed: %v", host, err)
	}
	f, raw, err := icmpOpen(p.v6, kind)
	if err != nil {
		return fmt.Errorf("PING %s failed: %v", host, err)
	}
	p.raw = raw
	release := probeTie(ctx, f)
	defer release()
	rc, err := f.SyscallConn()
	if err != nil {
		return fmt.Errorf("PING %s failed: %v", host, err)
	}
	failed := func(op string, err error) error {
		if probeTimedOut(ctx, err) {
			return fmt.Errorf("PING %s timed out", host)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("PING %s failed: %v", host, ctx.Err())
		}
		var errno unix.Errno
		if errors.As(err, &errno) {
			return fmt.Errorf("PING %s failed: %s: %v", host, op, errno)
		}
		return fmt.Errorf("PING %s failed: %v", host, err)
	}

	req := p.request()
	var serr error
	if err := rc.Write(func(fd uintptr) bool {
		serr = unix.Sendto(int(fd), req, 0, sa)
		return serr != unix.EAGAIN
	}); err != nil {
		return failed("sendto", err)
	}
	if serr != nil {
		return failed("sendto", serr)
	}

	buf := make([]byte, 4096)
	oob := make([]byte, 512)
	for {
		var (
			n, oobn int
			from    unix.Sockaddr
			queued  bool
			requeue bool
			rerr    error
		)
		err := rc.Read(func(fd uintptr) bool {
			if !raw {
				// A datagram socket gets the ICMP errors about its
				// echo on its error queue (IP_RECVERR), not as reads.
				n, oobn, _, _, rerr = unix.Recvmsg(int(fd), buf, oob, unix.MSG_ERRQUEUE)
				if rerr == nil {
					queued = true
					return true
				}
			}
			n, from, rerr = unix.Recvfrom(int(fd), buf, 0)
			if !raw && rerr != nil && rerr != unix.EAGAIN {
				// An error queued between the two calls is also
				// reported, once, as the socket's pending error:
				// the queue has it in full.
				requeue = true
				return true
			}
			return rerr != unix.EAGAIN
		})
		if requeue && err == nil {
			continue
		}
		if err == nil {
			err = rerr
		}
		if err != nil {
			return failed("recvfrom", err)
		}
		var v icmpVerdict
		var typ, code uint8
		var errno unix.Errno
		if queued {
			v, typ, code, errno = p.judgeQueued(buf[:n], oob[:oobn])
		} else {
			v, typ, code = p.judge(buf[:n], icmpFrom(from))
		}
		switch v {
		case icmpEchoed:
			return nil
		case icmpAnswered:
			return fmt.Errorf("PING %s answered %d/%d", host, typ, code)
		case icmpLocalError:
			return fmt.Errorf("PING %s failed: %v", host, errno)
		}
	}
}

// icmpOpen opens a socket of kind for ICMP (IPv4) or ICMPv6, and tells
// whether it is raw. It is non-blocking, so that the runtime's poller
// waits on it and a deadline or a close ends the wait.
func icmpOpen(v6 bool, kind icmpSocket) (f *os.File, raw bool, err error) {
	family, proto := unix.AF_INET, unix.IPPROTO_ICMP
	level, recverr := unix.SOL_IP, unix.IP_RECVERR
	if v6 {
		family, proto = unix.AF_INET6, unix.IPPROTO_ICMPV6
		level, recverr = unix.SOL_IPV6, unix.IPV6_RECVERR
	}
	const flags = unix.SOCK_NONBLOCK | unix.SOCK_CLOEXEC
	if kind != icmpRaw {
		fd, err := unix.Socket(family, unix.SOCK_DGRAM|flags, proto)
		if err == nil {
			if err := unix.SetsockoptInt(fd, level, recverr, 1); err != nil {
				unix.Close(fd)
				return nil, false, fmt.Errorf("setsockopt: %v", err)
			}
			return os.NewFile(uintptr(fd), "icmp"), false, nil
		}
		// EACCES: not in ping_group_range; the others: a kernel
		// without ping sockets.
		denied := err == unix.EACCES || err == unix.EPERM || err == unix.EPROTONOSUPPORT || err == unix.ESOCKTNOSUPPORT
		if kind == icmpDgram || !denied {
			return nil, false, fmt.Errorf("socket: %v", err)
		}
	}
	fd, err := unix.Socket(family, unix.SOCK_RAW|flags, proto)
	if err != nil {
		return nil, false, fmt.Errorf("socket: %v", err)
	}
	return os.NewFile(uintptr(fd), "icmp"), true, nil
}

func icmpSockaddr(a netip.Addr) (unix.Sockaddr, error) {
	if a.Is4() {
		return &unix.SockaddrInet4{Addr: a.As4()}, nil
	}
	sa := &unix.SockaddrInet6{Addr: a.As16()}
	if z := a.Zone(); z != "" {
		if n, err := strconv.Atoi(z); err == nil {
			sa.ZoneId = uint32(n)
		} else {
			ifi, err := net.InterfaceByName(z)
			if err != nil {
				return nil, err
			}
			sa.ZoneId = uint32(ifi.Index)
		}
	}
	return sa, nil
}

func icmpFrom(sa unix.Sockaddr) netip.Addr {
	switch sa := sa.(type) {
	case *unix.SockaddrInet4:
		return netip.AddrFrom4(sa.Addr)
	case *unix.SockaddrInet6:
		return netip.AddrFrom16(sa.Addr)
	}
	return netip.Addr{}
}

// icmpProbe is one echo request and what its answers must match.
type icmpProbe struct {
	target netip.Addr // without a zone
	v6     bool
	// raw: reads from an IPv4 raw socket start with the IP header, and
	// every ICMP message the host gets comes in, checksum unchecked.
	// A datagram socket gets the replies to its own id only (the
	// kernel sets the id), without the header, checksum checked.
	raw  bool
	id   uint16
	seq  uint16
	data []byte
}

const (
	icmpEchoRequest   = 8
	icmpEchoReply     = 0
	icmpv6EchoRequest = 128
	icmpv6EchoReply   = 129
)

// request is the echo request. The kernel fills the checksum in for a
// datagram socket and for ICMPv6 (whose checksum covers a pseudo-header
// only it knows), so only a raw IPv4 socket needs one here.
func (p *icmpProbe) request() []byte {
	b := make([]byte, 8+len(p.data))
	b[0] = icmpEchoRequest
	if p.v6 {
		b[0] = icmpv6EchoRequest
	}
	binary.BigEndian.PutUint16(b[4:], p.id)
	binary.BigEndian.PutUint16(b[6:], p.seq)
	copy(b[8:], p.data)
	if p.raw && !p.v6 {
		binary.BigEndian.PutUint16(b[2:], icmpChecksum(b))
	}
	return b
}

// icmpChecksum is RFC 1071's Internet checksum of b.
func icmpChecksum(b []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(b); i += 2 {
		sum += uint32(b[i])<<8 | uint32(b[i+1])
	}
	if len(b)%2 == 1 {
		sum += uint32(b[len(b)-1]) << 8
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}

type icmpVerdict int

const (
	icmpIgnored    icmpVerdict = iota // not about this probe
	icmpEchoed                        // the echo reply
	icmpAnswered                      // an ICMP error about the echo request
	icmpLocalError                    // the kernel's own error about it
)

// icmpIsError tells the ICMP errors that say the target cannot be
// reached: destination unreachable, time exceeded and parameter
// problem, and for ICMPv6 packet too big as well. A redirect or a
// source quench is advice to the sender, not a failure.
func icmpIsError(v6 bool, typ uint8) bool {
	if v6 {
		return typ >= 1 && typ <= 4
	}
	return typ == 3 || typ == 11 || typ == 12
}

// judge reads b, read from the socket and sent by from, as an answer
// to p. An echo reply must come from the target with p's sequence
// number and data, and p's id on a raw socket. An error must quote p's
// request to the target.
func (p *icmpProbe) judge(b []byte, from netip.Addr) (v icmpVerdict, typ, code uint8) {
	if p.raw && !p.v6 {
		hl, ok := icmpIPv4Header(b)
		if !ok {
			return icmpIgnored, 0, 0
		}
		b = b[hl:]
		// A raw socket gets packets before the kernel checks them.
		if len(b) < 8 || icmpChecksum(b) != 0 {
			return icmpIgnored, 0, 0
		}
	}
	if len(b) < 8 {
		return icmpIgnored, 0, 0
	}
	typ, code = b[0], b[1]
	reply := uint8(icmpEchoReply)
	if p.v6 {
		reply = icmpv6EchoReply
	}
	switch {
	case typ == reply && code == 0:
		if from.WithZone("") != p.target || !p.matches(b) || !bytes.Equal(b[8:], p.data) {
			return icmpIgnored, 0, 0
		}
		return icmpEchoed, 0, 0
	case icmpIsError(p.v6, typ):
		if !p.quoted(b[8:]) {
			return icmpIgnored, 0, 0
		}
		return icmpAnswered, typ, code
	}
	return icmpIgnored, 0, 0
}

// matches tells whether the ICMP header h has p's id (when the socket is
// raw: a datagram socket's id is the kernel's) and sequence number.
func (p *icmpProbe) matches(h []byte) bool {
	return (!p.raw || binary.BigEndian.Uint16(h[4:]) == p.id) && binary.BigEndian.Uint16(h[6:]) == p.seq
}

// quoted tells whether q, the body of an ICMP error, is the start of
// p's request to the target: its IP header, then at least the 8 bytes
// of the ICMP header (RFC 792).
func (p *icmpProbe) quoted(q []byte) bool {
	var dst netip.Addr
	var proto uint8
	if p.v6 {
		if len(q) < 40 || q[0]>>4 != 6 {
			return false
		}
		proto, dst = q[6], netip.AddrFrom16([16]byte(q[24:40]))
		q = q[40:]
	} else {
		hl, ok := icmpIPv4Header(q)
		if !ok {
			return false
		}
		proto, dst = q[9], netip.AddrFrom4([4]byte(q[16:20]))
		q = q[hl:]
	}
	want := uint8(icmpEchoRequest)
	wantProto := uint8(unix.IPPROTO_ICMP)
	if p.v6 {
		want, wantProto = icmpv6EchoRequest, unix.IPPROTO_ICMPV6
	}
	return proto == wantProto && dst == p.target && len(q) >= 8 && q[0] == want && p.matches(q)
}

// icmpIPv4Header checks the IPv4 header b starts with and says its
// length.
func icmpIPv4Header(b []byte) (int, bool) {
	if len(b) < 20 || b[0]>>4 != 4 {
		return 0, false
	}
	hl := int(b[0]&0x0f) * 4
	if hl < 20 || len(b) < hl {
		return 0, false
	}
	return hl, true
}

// judgeQueued reads an entry of a datagram socket's error queue: the
// kernel's sock_extended_err in the control message oob and, in b, the
// ICMP header of the request it is about (for an ICMP error) or
// nothing to judge by (for the kernel's own error).
func (p *icmpProbe) judgeQueued(b, oob []byte) (v icmpVerdict, typ, code uint8, errno unix.Errno) {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return icmpIgnored, 0, 0, 0
	}
	for _, m := range msgs {
		ok := (m.Header.Level == unix.SOL_IP && m.Header.Type == unix.IP_RECVERR) ||
			(m.Header.Level == unix.SOL_IPV6 && m.Header.Type == unix.IPV6_RECVERR)
		// struct sock_extended_err: ee_errno (u32), ee_origin, ee_type,
		// ee_code, ee_pad (u8), ee_info, ee_data (u32).
		if !ok || len(m.Data) < 16 {
			continue
		}
		errno = unix.Errno(binary.NativeEndian.Uint32(m.Data))
		origin, typ, code := m.Data[4], m.Data[5], m.Data[6]
		switch origin {
		case unix.SO_EE_ORIGIN_LOCAL:
			return icmpLocalError, 0, 0, errno
		case unix.SO_EE_ORIGIN_ICMP, unix.SO_EE_ORIGIN_ICMP6:
			if (origin == unix.SO_EE_ORIGIN_ICMP6) != p.v6 || !icmpIsError(p.v6, typ) {
				return icmpIgnored, 0, 0, 0
			}
			want := uint8(icmpEchoRequest)
			if p.v6 {
				want = icmpv6EchoRequest
			}
			if len(b) < 8 || b[0] != want || !p.matches(b) {
				return icmpIgnored, 0, 0, 0
			}
			return icmpAnswered, typ, code, 0
		}
	}
	return icmpIgnored, 0, 0, 0
}
