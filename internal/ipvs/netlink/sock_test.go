package netlink

import (
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/netlink/nstest"
)

// The generic netlink controller exists on every kernel, IPVS or not, so
// the socket is tested against it on any host.

func TestSockController(t *testing.T) {
	s, err := openSock(0, time.Second)
	if err != nil {
		t.Skipf("no generic netlink socket here: %v", err)
	}
	defer s.Close()

	id, err := s.family("nlctrl")
	if err != nil || id != genlIDCtrl {
		t.Fatalf("family(nlctrl) = %#x, %v; want %#x", id, err, genlIDCtrl)
	}
	// An unknown family is the controller's ENOENT, which Dial reports as
	// ipvs.ErrNotAvailable.
	if _, err := s.family("no-such-family"); !errors.Is(err, syscall.ENOENT) {
		t.Fatalf("family(no-such-family): %v, want ENOENT", err)
	}
	if err := familyError(syscall.ENOENT); !errors.Is(err, ipvs.ErrNotAvailable) || errors.Is(err, syscall.ENOENT) || errors.Is(err, syscall.EPERM) {
		t.Fatalf("familyError(ENOENT) = %v: want ErrNotAvailable only", err)
	}
	// A dump of every family comes in parts ended by NLMSG_DONE; the
	// socket is still in step afterwards.
	msgs, err := s.Execute(genetlink.Message{Header: genetlink.Header{Command: ctrlCmdGetFam, Version: 1}}, genlIDCtrl, netlink.Request|netlink.Dump)
	if err != nil || len(msgs) < 1 {
		t.Fatalf("dump of families: %d messages, %v", len(msgs), err)
	}
	if id, err := s.family("nlctrl"); err != nil || id != genlIDCtrl {
		t.Fatalf("family(nlctrl) after a dump = %#x, %v", id, err)
	}
}

func TestDialWithoutIPVS(t *testing.T) {
	if _, err := os.Stat("/proc/net/ip_vs"); err == nil {
		t.Skip("this kernel has IPVS")
	}
	_, err := Dial(nil)
	if !errors.Is(err, ipvs.ErrNotAvailable) || errors.Is(err, syscall.EPERM) {
		t.Fatalf("Dial on a kernel without IPVS: %v; want ErrNotAvailable", err)
	}
	// The same in another network namespace, through Config.NetNS.
	ns, err := nstest.Open()
	if err != nil {
		t.Skipf("no network namespaces here: %v", err)
	}
	defer ns.Close()
	if _, err := Dial(&Config{NetNS: ns.FD()}); !errors.Is(err, ipvs.ErrNotAvailable) {
		t.Fatalf("Dial in a namespace: %v; want ErrNotAvailable", err)
	}
}

// msg builds one netlink message for parse.
func msg(typ uint16, flags uint16, seq uint32, body []byte) []byte {
	b := make([]byte, nlmsgHdrLen+len(body), nlmAlign(nlmsgHdrLen+len(body)))
	binary.NativeEndian.PutUint32(b[0:], uint32(len(b)))
	binary.NativeEndian.PutUint16(b[4:], typ)
	binary.NativeEndian.PutUint16(b[6:], flags)
	binary.NativeEndian.PutUint32(b[8:], seq)
	copy(b[nlmsgHdrLen:], body)
	return b[:cap(b)]
}

func errBody(errno int32) []byte {
	b := make([]byte, 4+nlmsgHdrLen)
	binary.NativeEndian.PutUint32(b, uint32(errno))
	return b
}

func TestSockParse(t *testing.T) {
	s := &sock{}
	data := func(cmd byte, payload ...byte) []byte { return append([]byte{cmd, 1, 0, 0}, payload...) }
	cat := func(parts ...[]byte) (b []byte) {
		for _, p := range parts {
			b = append(b, p...)
		}
		return b
	}
	tests := []struct {
		name      string
		in        []byte
		dump, ack bool
		done      bool
		n         int
		errno     syscall.Errno
	}{
		{name: "plain reply", in: msg(0x20, 0, 7, data(1, 0xaa)), done: true, n: 1},
		{name: "late reply skipped", in: cat(msg(0x20, 0, 6, data(1)), msg(0x20, 0, 7, data(1))), done: true, n: 1},
		{name: "late error skipped", in: cat(msg(2, 0, 5, errBody(-3)), msg(2, 0, 7, errBody(0))), ack: true, done: true},
		{name: "ack", in: msg(2, 0, 7, errBody(0)), ack: true, done: true},
		{name: "error", in: msg(2, 0, 7, errBody(-int32(syscall.EEXIST))), ack: true, done: true, errno: syscall.EEXIST},
		{name: "dump part", in: cat(msg(0x20, 2, 7, data(1)), msg(0x20, 2, 7, data(1))), dump: true, n: 2},
		{name: "dump end", in: cat(msg(0x20, 2, 7, data(1)), msg(3, 2, 7, []byte{0, 0, 0, 0})), dump: true, done: true, n: 1},
		{name: "dump error", in: msg(3, 2, 7, errBody(-int32(syscall.EINTR))[:4]), dump: true, done: true, errno: syscall.EINTR},
		{name: "malformed length", in: []byte{200, 0, 0, 0, 0x20, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0}, done: true, errno: syscall.EINVAL},
		{name: "no genl header", in: msg(0x20, 0, 7, []byte{1}), done: true, errno: syscall.EINVAL},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out []genetlink.Message
			done, err := s.parse(tt.in, 7, tt.dump, tt.ack, &out)
			if done != tt.done || len(out) != tt.n {
				t.Errorf("done %v, %d messages; want %v, %d", done, len(out), tt.done, tt.n)
			}
			if tt.errno != 0 && !errors.Is(err, tt.errno) || tt.errno == 0 && err != nil {
				t.Errorf("error %v, want %v", err, tt.errno)
			}
		})
	}
}
