package netlink

import (
	"encoding/binary"
	"errors"
	"os"
	"syscall"
	"testing"
	"time"

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
	n := 0
	err = s.Execute(genlIDCtrl, ctrlCmdGetFam, netlink.Request|netlink.Dump, nil, func([]byte) error { n++; return nil })
	if err != nil || n < 1 {
		t.Fatalf("dump of families: %d messages, %v", n, err)
	}
	// A failing handler stops nothing: the dump is read to its end, the
	// handler's first error is returned, and the socket is in step.
	calls := 0
	stop := errors.New("stop")
	err = s.Execute(genlIDCtrl, ctrlCmdGetFam, netlink.Request|netlink.Dump, nil, func([]byte) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("dump with a failing handler: %d calls, %v; want 1 call and its error", calls, err)
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
		fail      bool // the handler fails
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
		{name: "handler error kept to the end", in: cat(msg(0x20, 2, 7, data(1)), msg(0x20, 2, 7, data(1)), msg(3, 2, 7, []byte{0, 0, 0, 0})), dump: true, done: true, n: 1, fail: true, errno: syscall.E2BIG},
		{name: "kernel error wins over handler error", in: cat(msg(0x20, 2, 7, data(1)), msg(3, 2, 7, errBody(-int32(syscall.EINTR))[:4])), dump: true, done: true, n: 1, fail: true, errno: syscall.EINTR},
		{name: "handler error of a plain reply", in: msg(0x20, 0, 7, data(1)), done: true, n: 1, fail: true, errno: syscall.E2BIG},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			n := 0
			r := replies{seq: 7, dump: tt.dump, ack: tt.ack, each: func(b []byte) error {
				n++
				if len(b) != 1 && tt.name == "plain reply" {
					t.Errorf("payload %x, want the attributes after the generic netlink header", b)
				}
				if tt.fail {
					return syscall.E2BIG
				}
				return nil
			}}
			done, err := r.parse(tt.in)
			if done != tt.done || n != tt.n {
				t.Errorf("done %v, %d messages; want %v, %d", done, n, tt.done, tt.n)
			}
			if tt.errno != 0 && !errors.Is(err, tt.errno) || tt.errno == 0 && err != nil {
				t.Errorf("error %v, want %v", err, tt.errno)
			}
		})
	}
}

// BenchmarkSockRoundTrip is one request and its reply through the real
// socket, against the generic netlink controller (present on any
// kernel): the per-command cost of the client's I/O, which should not
// allocate beyond the decoded reply.
func BenchmarkSockRoundTrip(b *testing.B) {
	s, err := openSock(0, time.Second)
	if err != nil {
		b.Skipf("no generic netlink socket here: %v", err)
	}
	defer s.Close()
	var e encoder
	e.str(ctrlAttrFamName, "nlctrl")
	attrs, _ := e.bytes()
	var id uint16
	each := func(p []byte) error {
		a := newAttrs("family", p)
		for a.next() {
			if a.typ == ctrlAttrFamID {
				id = a.u16()
			}
		}
		return a.err
	}
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Execute(genlIDCtrl, ctrlCmdGetFam, netlink.Request, attrs, each); err != nil || id != genlIDCtrl {
			b.Fatal(id, err)
		}
	}
}
