package netlink

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"github.com/mdlayher/netlink"
	"golang.org/x/sys/unix"
)

// transport carries generic netlink commands. Production uses sock;
// the wire tests adapt a genltest connection.
//
// Execute sends the command cmd of the family with flags and the
// attributes attrs, then calls each with the attributes of every reply
// message (the payload after the generic netlink header) in order. The
// slice is only valid during the call. When each fails, the remaining
// replies are still read, so that the socket stays in step, and the
// first such error is returned.
type transport interface {
	Execute(family uint16, cmd uint8, flags netlink.HeaderFlags, attrs []byte, each func(attrs []byte) error) error
	Close() error
}

// sock is a blocking generic netlink socket, used by one goroutine at a
// time (the Client serialises commands).
//
// It exists for speed: the general-purpose netlink library goes through
// the runtime's network poller and starts a cancellation watcher
// goroutine for every send and receive, which made a listing of
// thousands of services slower than ipvsadm's socket per request. Plain
// blocking system calls cost a fifth of that. For the same reason a
// command allocates nothing here: the request is built in a reused
// buffer, and replies are decoded in place in the receive buffer.
// Replies are matched by sequence number, so a reply that arrives after
// its command timed out is skipped rather than taken for the next
// command's.
type sock struct {
	fd      int
	seq     uint32
	timeout time.Duration
	req     []byte
	buf     []byte
	kernel  unix.SockaddrNetlink
}

// recvBufSize holds any message part the kernel sends: it sizes dump parts
// by the reader's buffer, up to 32 KiB (netlink_recvmsg, netlink_dump).
const recvBufSize = 64 * 1024

// genlVersion is the generic netlink header's version of every request:
// IPVS is at version 1, and the controller does not check it.
const genlVersion = 1

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
	return &sock{fd: fd, timeout: timeout, buf: make([]byte, recvBufSize), kernel: unix.SockaddrNetlink{Family: unix.AF_NETLINK}}, nil
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
	var e encoder
	e.str(ctrlAttrFamName, name)
	attrs, err := e.bytes()
	if err != nil {
		return 0, err
	}
	var id uint16
	found := false
	err = s.Execute(genlIDCtrl, ctrlCmdGetFam, netlink.Request, attrs, func(b []byte) error {
		a := newAttrs("family", b)
		for a.next() {
			if a.typ == ctrlAttrFamID {
				id, found = a.u16(), true
			}
		}
		return a.err
	})
	if err != nil {
		return 0, err
	}
	if !found {
		return 0, errors.New("controller reply without a family id")
	}
	return id, nil
}

// Execute implements transport. A kernel error comes back as its
// syscall.Errno; no reply within the timeout as an error wrapping
// os.ErrDeadlineExceeded.
func (s *sock) Execute(family uint16, cmd uint8, flags netlink.HeaderFlags, attrs []byte, each func([]byte) error) error {
	s.seq++
	seq := s.seq
	n := nlmsgHdrLen + genlHdrLen + len(attrs)
	req := append(s.req[:0], make([]byte, nlmsgHdrLen+genlHdrLen)...)
	binary.NativeEndian.PutUint32(req[0:], uint32(n))
	binary.NativeEndian.PutUint16(req[4:], family)
	binary.NativeEndian.PutUint16(req[6:], uint16(flags))
	binary.NativeEndian.PutUint32(req[8:], seq)
	req[16] = cmd
	req[17] = genlVersion
	req = append(req, attrs...)
	s.req = req
	if err := unix.Sendto(s.fd, req, 0, &s.kernel); err != nil {
		return fmt.Errorf("netlink send: %w", err)
	}

	r := replies{seq: seq, dump: flags&netlink.Dump != 0, ack: flags&netlink.Acknowledge != 0, each: each}
	for {
		n, err := s.recv()
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if errors.Is(err, unix.EAGAIN) {
			return fmt.Errorf("no reply from the kernel within %v: %w", s.timeout, os.ErrDeadlineExceeded)
		}
		if err != nil {
			return fmt.Errorf("netlink receive: %w", err)
		}
		if n > len(s.buf) {
			return fmt.Errorf("netlink receive: a message of %d bytes does not fit the %d byte buffer: %w", n, len(s.buf), syscall.EMSGSIZE)
		}
		if done, err := r.parse(s.buf[:n]); done {
			return err
		}
	}
}

// recv receives one datagram into s.buf and returns its full length,
// which is more than the buffer holds if it was truncated (MSG_TRUNC).
// Unlike unix.Recvfrom it does not allocate the sender's address, which
// is always the kernel.
func (s *sock) recv() (int, error) {
	n, _, errno := unix.Syscall6(unix.SYS_RECVFROM, uintptr(s.fd), uintptr(unsafe.Pointer(&s.buf[0])), uintptr(len(s.buf)), unix.MSG_TRUNC, 0, 0)
	if errno != 0 {
		return 0, errno
	}
	return int(n), nil
}

// replies collects the answer to one request: the messages carrying its
// sequence number, up to the end of a dump, an acknowledgement or
// error, or the one message of a plain request.
type replies struct {
	seq       uint32
	dump, ack bool
	each      func([]byte) error
	err       error // the first error of each
}

// parse reads the netlink messages of one datagram, passing the replies
// to r.each. It reports whether the exchange is complete, and then its
// outcome: the kernel's error, else the first error of each.
func (r *replies) parse(b []byte) (bool, error) {
	for len(b) >= nlmsgHdrLen {
		l := int(binary.NativeEndian.Uint32(b[0:]))
		if l < nlmsgHdrLen || l > len(b) {
			return true, fmt.Errorf("netlink receive: malformed message length %d: %w", l, syscall.EINVAL)
		}
		typ := binary.NativeEndian.Uint16(b[4:])
		mseq := binary.NativeEndian.Uint32(b[8:])
		body := b[nlmsgHdrLen:l]
		b = b[min(nlmAlign(l), len(b)):]
		if mseq != r.seq {
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
			return true, r.err // the acknowledgement
		case unix.NLMSG_DONE:
			if len(body) >= 4 {
				if code := int32(binary.NativeEndian.Uint32(body)); code < 0 {
					return true, syscall.Errno(-code)
				}
			}
			return true, r.err
		case unix.NLMSG_NOOP:
			continue
		}
		if len(body) < genlHdrLen {
			return true, fmt.Errorf("netlink receive: message without a generic netlink header: %w", syscall.EINVAL)
		}
		if r.err == nil {
			r.err = r.each(body[genlHdrLen:])
		}
		if !r.dump && !r.ack {
			return true, r.err // a plain request has one reply
		}
	}
	return false, nil
}

func nlmAlign(n int) int { return (n + 3) &^ 3 }
