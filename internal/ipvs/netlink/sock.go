package netlink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// transport carries generic netlink commands. Production uses sock;
// the wire tests use a genltest connection, which is a *genetlink.Conn.
type transport interface {
	Execute(m genetlink.Message, family uint16, flags netlink.HeaderFlags) ([]genetlink.Message, error)
	Close() error
}

// sock is a blocking generic netlink socket, used by one goroutine at a
// time (the Client serialises commands).
//
// It exists for speed: the general-purpose netlink library goes through
// the runtime's network poller and starts a cancellation watcher
// goroutine for every send and receive, which made a listing of
// thousands of services slower than ipvsadm's socket per request. Plain
// blocking system calls cost a fifth of that. Replies are matched by
// sequence number, so a reply that arrives after its command timed out is
// skipped rather than taken for the next command's.
type sock struct {
	fd      int
	seq     uint32
	timeout time.Duration
	buf     []byte
}

// recvBufSize holds any message part the kernel sends: it sizes dump parts
// by the reader's buffer, up to 32 KiB (netlink_recvmsg, netlink_dump).
const recvBufSize = 64 * 1024

// Netlink constants the library does not name.
const (
	nlmsgHdrLen     = 16
	genlHdrLen      = 4
	genlIDCtrl      = 0x10 // GENL_ID_CTRL
	ctrlCmdGetFam   = 3    // CTRL_CMD_GETFAMILY
	ctrlAttrFamID   = 1    // CTRL_ATTR_FAMILY_ID
	ctrlAttrFamName = 2    // CTRL_ATTR_FAMILY_NAME
)

// openSock opens a generic netlink socket in the network namespace netns
// (0: the calling thread's) with the given reply timeout.
func openSock(netns int, timeout time.Duration) (*sock, error) {
	var fd int
	var err error
	if netns == 0 {
		fd, err = newSocket()
	} else {
		fd, err = inNetNS(netns, newSocket)
	}
	if err != nil {
		return nil, err
	}
	tv := unix.NsecToTimeval(timeout.Nanoseconds())
	if err := unix.SetsockoptTimeval(fd, unix.SOL_SOCKET, unix.SO_RCVTIMEO, &tv); err != nil {
		unix.Close(fd)
		return nil, fmt.Errorf("set receive timeout: %w", err)
	}
	return &sock{fd: fd, timeout: timeout, buf: make([]byte, recvBufSize)}, nil
}

func newSocket() (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_GENERIC)
	if err != nil {
		return -1, fmt.Errorf("socket: %w", err)
	}
	if err := unix.Bind(fd, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		unix.Close(fd)
		return -1, fmt.Errorf("bind: %w", err)
	}
	return fd, nil
}

// inNetNS runs fn on an OS thread moved into the namespace netns, on a
// goroutine of its own. A socket keeps the namespace it was created in.
// If the thread cannot be moved back, it stays locked, so that it ends
// with the goroutine instead of running other code in the wrong
// namespace.
func inNetNS(netns int, fn func() (int, error)) (int, error) {
	type result struct {
		fd  int
		err error
	}
	ch := make(chan result, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, err}
			return
		}
		defer orig.Close()
		if err := unix.Setns(netns, unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			ch <- result{-1, fmt.Errorf("enter network namespace: %w", err)}
			return
		}
		fd, err := fn()
		if rerr := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); rerr != nil {
			if fd >= 0 {
				unix.Close(fd)
			}
			ch <- result{-1, fmt.Errorf("return to the original network namespace: %w", rerr)}
			return
		}
		runtime.UnlockOSThread()
		ch <- result{fd, err}
	}()
	r := <-ch
	return r.fd, r.err
}

// Close closes the socket.
func (s *sock) Close() error { return unix.Close(s.fd) }

// family resolves a generic netlink family name to its id. An unknown
// family is ENOENT from the controller.
func (s *sock) family(name string) (uint16, error) {
	ae := netlink.NewAttributeEncoder()
	ae.String(ctrlAttrFamName, name)
	attrs, err := ae.Encode()
	if err != nil {
		return 0, err
	}
	msgs, err := s.Execute(genetlink.Message{Header: genetlink.Header{Command: ctrlCmdGetFam, Version: 1}, Data: attrs}, genlIDCtrl, netlink.Request)
	if err != nil {
		return 0, err
	}
	for _, m := range msgs {
		ad, err := netlink.NewAttributeDecoder(m.Data)
		if err != nil {
			return 0, err
		}
		for ad.Next() {
			if ad.Type() == ctrlAttrFamID {
				return ad.Uint16(), nil
			}
		}
	}
	return 0, errors.New("controller reply without a family id")
}

// Execute sends one generic netlink message and collects the replies
// that carry its sequence number: a single message, the parts of a dump
// up to NLMSG_DONE, or an acknowledgement. A kernel error comes back as
// its syscall.Errno; no reply within the timeout as an error wrapping
// os.ErrDeadlineExceeded.
func (s *sock) Execute(m genetlink.Message, family uint16, flags netlink.HeaderFlags) ([]genetlink.Message, error) {
	s.seq++
	seq := s.seq
	req := make([]byte, nlmsgHdrLen+genlHdrLen+len(m.Data))
	binary.NativeEndian.PutUint32(req[0:], uint32(len(req)))
	binary.NativeEndian.PutUint16(req[4:], family)
	binary.NativeEndian.PutUint16(req[6:], uint16(flags))
	binary.NativeEndian.PutUint32(req[8:], seq)
	req[16] = m.Header.Command
	req[17] = m.Header.Version
	copy(req[20:], m.Data)
	if err := unix.Sendto(s.fd, req, 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return nil, fmt.Errorf("netlink send: %w", err)
	}

	dump := flags&netlink.Dump != 0
	ack := flags&netlink.Acknowledge != 0
	var out []genetlink.Message
	for {
		n, _, err := unix.Recvfrom(s.fd, s.buf, unix.MSG_TRUNC)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			return nil, fmt.Errorf("no reply from the kernel within %v: %w", s.timeout, os.ErrDeadlineExceeded)
		}
		if err != nil {
			return nil, fmt.Errorf("netlink receive: %w", err)
		}
		if n > len(s.buf) {
			return nil, fmt.Errorf("netlink receive: a message of %d bytes does not fit the %d byte buffer: %w", n, len(s.buf), syscall.EMSGSIZE)
		}
		done, err := s.parse(s.buf[:n], seq, dump, ack, &out)
		if err != nil || done {
			return out, err
		}
	}
}

// parse reads the netlink messages of one datagram, appending the replies
// to seq to out. It reports whether the exchange is complete.
func (s *sock) parse(b []byte, seq uint32, dump, ack bool, out *[]genetlink.Message) (bool, error) {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:]))
		if l < nlmsgHdrLen || l > len(b) {
			return true, fmt.Errorf("netlink receive: malformed message length %d: %w", l, syscall.EINVAL)
		}
		typ := binary.NativeEndian.Uint16(b[4:])
		mseq := binary.NativeEndian.Uint32(b[8:])
		body := b[nlmsgHdrLen:l]
		b = b[min(nlmAlign(l), len(b)):]
		if mseq != seq {
			continue // a late reply to an earlier command
		}
		switch typ {
		case unix.NLMSG_ERROR:
			if len(body) < 4 {
				return true, fmt.Errorf("netlink receive: short error message: %w", syscall.EINVAL)
			}
			if code := int32(binary.NativeEndian.Uint32(body)); code != 0 {
				return true, syscall.Errno(-code)
			}
			return true, nil // the acknowledgement
		case unix.NLMSG_DONE:
			if len(body) >= 4 {
				if code := int32(binary.NativeEndian.Uint32(body)); code < 0 {
					return true, syscall.Errno(-code)
				}
			}
			return true, nil
		case unix.NLMSG_NOOP:
			continue
		}
		if len(body) < genlHdrLen {
			return true, fmt.Errorf("netlink receive: message without a generic netlink header: %w", syscall.EINVAL)
		}
		*out = append(*out, genetlink.Message{
			Header: genetlink.Header{Command: body[0], Version: body[1]},
			Data:   append([]byte(nil), body[genlHdrLen:]...),
		})
		if !dump && !ack {
			return true, nil // a plain request has one reply
		}
	}
	return false, nil
}

func nlmAlign(n int) int { return (n + 3) &^ 3 }
