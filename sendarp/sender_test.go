package sendarp

import (
	"bytes"
	"context"
	"errors"
	"net"
	"net/netip"
	"os"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mdlayher/packet"
)

// fakeConn records what a Sender writes on one socket.
type fakeConn struct {
	etherType uint16
	log       *sendLog
	fail      error // returned by every write
	closed    bool
}

type sent struct {
	etherType uint16
	frame     []byte
	dst       net.HardwareAddr
	at        time.Time
}

type sendLog struct {
	mu     sync.Mutex
	frames []sent
}

func (l *sendLog) all() []sent {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]sent(nil), l.frames...)
}

func (c *fakeConn) WriteTo(b []byte, addr net.Addr) (int, error) {
	if c.closed {
		return 0, &net.OpError{Op: "write", Net: "packet", Err: os.NewSyscallError("sendto", syscall.EBADF)}
	}
	if c.fail != nil {
		return 0, c.fail
	}
	a, ok := addr.(*packet.Addr)
	if !ok {
		return 0, errors.New("not a packet address")
	}
	c.log.mu.Lock()
	defer c.log.mu.Unlock()
	c.log.frames = append(c.log.frames, sent{c.etherType, append([]byte(nil), b...), a.HardwareAddr, time.Now()})
	return len(b), nil
}

func (c *fakeConn) Close() error {
	if c.closed {
		return os.NewSyscallError("close", syscall.EBADF)
	}
	c.closed = true
	return nil
}

var testIfi = &net.Interface{Index: 7, MTU: 1500, Name: "veth-test", HardwareAddr: testMAC}

// fakeSender is a Sender on testIfi whose sockets are fakeConns; a write
// fails with writeErr.
func fakeSender(t *testing.T, writeErr error) (*Sender, *sendLog, map[uint16]*fakeConn) {
	t.Helper()
	log := &sendLog{}
	conns := map[uint16]*fakeConn{}
	s, err := open(testIfi, func(ifi *net.Interface, et uint16) (frameConn, error) {
		c := &fakeConn{etherType: et, log: log, fail: writeErr}
		conns[et] = c
		return c, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return s, log, conns
}

func TestAnnounceFrames(t *testing.T) {
	for _, tc := range []struct {
		name string
		vip  string
		o    Options
		et   uint16
		want []byte
	}{
		{"IPv4, zero Options: one reply", "192.0.2.10", Options{}, etherTypeARP, goldenReply},
		{"IPv4 request", "192.0.2.10", Options{Style: Request, Count: 2}, etherTypeARP, goldenRequest},
		{"IPv4-mapped", "::ffff:192.0.2.10", Options{Count: 1}, etherTypeARP, goldenReply},
		{"IPv6: NA whatever the style", "2001:db8::10", Options{Style: Request, Count: 3}, etherTypeIPv6, goldenNA},
		{"negative count: once", "192.0.2.10", Options{Count: -4, Interval: -time.Second}, etherTypeARP, goldenReply},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, log, _ := fakeSender(t, nil)
			defer s.Close()
			if err := s.Announce(context.Background(), netipMust(tc.vip), tc.o); err != nil {
				t.Fatal(err)
			}
			got := log.all()
			if n := max(tc.o.Count, 1); len(got) != n {
				t.Fatalf("%d frames, want %d", len(got), n)
			}
			for i, f := range got {
				if f.etherType != tc.et || !bytes.Equal(f.frame, tc.want) || !bytes.Equal(f.dst, tc.want[0:6]) {
					t.Errorf("frame %d on socket %#04x to %v:\n got %x\nwant %x", i, f.etherType, f.dst, f.frame, tc.want)
				}
			}
		})
	}
}

// Count frames, Interval apart, the first at once. The bounds are loose:
// a slow machine may wait longer, never shorter.
func TestAnnounceInterval(t *testing.T) {
	s, log, _ := fakeSender(t, nil)
	defer s.Close()
	const interval = 30 * time.Millisecond
	start := time.Now()
	if err := s.Announce(context.Background(), testVIP4, Options{Count: 4, Interval: interval}); err != nil {
		t.Fatal(err)
	}
	got := log.all()
	if len(got) != 4 {
		t.Fatalf("%d frames, want 4", len(got))
	}
	if d := got[0].at.Sub(start); d > interval/2+time.Second {
		t.Errorf("first frame after %v, want at once", d)
	}
	for i := 1; i < len(got); i++ {
		if gap := got[i].at.Sub(got[i-1].at); gap < interval {
			t.Errorf("gap %d-%d is %v, want at least %v", i-1, i, gap, interval)
		}
	}
}

func TestAnnounceCancel(t *testing.T) {
	s, log, _ := fakeSender(t, nil)
	defer s.Close()

	// Cancelled before: nothing is sent.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := s.Announce(ctx, testVIP4, Options{Count: 3}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled before: %v", err)
	}
	if n := len(log.all()); n != 0 {
		t.Errorf("cancelled before: %d frames sent", n)
	}

	// Cancelled while waiting an hour for the second frame: it returns
	// at once, with one frame sent.
	ctx, cancel = context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Announce(ctx, testVIP4, Options{Count: 3, Interval: time.Hour}) }()
	deadline := time.Now().Add(10 * time.Second)
	for len(log.all()) == 0 && time.Now().Before(deadline) {
		time.Sleep(time.Millisecond)
	}
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled between frames: %v", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Announce did not return after cancel")
	}
	if n := len(log.all()); n != 1 {
		t.Errorf("cancelled between frames: %d frames sent, want 1", n)
	}
}

// A failed write stops the announcement; the error names the interface
// and the system call, and keeps the errno.
func TestSendError(t *testing.T) {
	fail := &net.OpError{Op: "write", Net: "packet", Addr: &packet.Addr{HardwareAddr: broadcast},
		Err: os.NewSyscallError("sendto", syscall.ENETDOWN)}
	s, _, _ := fakeSender(t, fail)
	defer s.Close()
	err := s.Announce(context.Background(), testVIP4, Options{Count: 3})
	if !errors.Is(err, syscall.ENETDOWN) {
		t.Errorf("errno lost: %v", err)
	}
	var se *os.SyscallError
	if !errors.As(err, &se) || se.Syscall != "sendto" {
		t.Errorf("syscall lost: %v", err)
	}
	if want := "sendarp: veth-test: sendto: network is down"; err == nil || err.Error() != want {
		t.Errorf("error %q, want %q", err, want)
	}
}

func TestAnnounceBadInterface(t *testing.T) {
	ifi := *testIfi
	ifi.HardwareAddr = nil // a tunnel: no MAC
	s, err := open(&ifi, func(*net.Interface, uint16) (frameConn, error) { return &fakeConn{log: &sendLog{}}, nil })
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	err = s.Announce(context.Background(), testVIP4, Options{})
	if !errors.Is(err, ErrHardwareAddr) || !strings.Contains(err.Error(), "veth-test") {
		t.Errorf("interface without a MAC: %v", err)
	}

	good, log, _ := fakeSender(t, nil)
	defer good.Close()
	for _, vip := range []netip.Addr{netipMust("ff02::1"), {}} {
		err := good.Announce(context.Background(), vip, Options{})
		if !errors.Is(err, ErrAddr) || !strings.Contains(err.Error(), "veth-test") {
			t.Errorf("VIP %v: %v", vip, err)
		}
	}
	if n := len(log.all()); n != 0 {
		t.Errorf("%d frames sent for bad VIPs", n)
	}
}

func TestSenderSend(t *testing.T) {
	s, log, conns := fakeSender(t, nil)
	if err := s.Send(goldenNA); err != nil {
		t.Fatal(err)
	}
	if got := log.all(); len(got) != 1 || got[0].etherType != etherTypeIPv6 || !bytes.Equal(got[0].dst, allNodesMAC) {
		t.Errorf("NA sent as %+v", got)
	}
	if err := s.Send(goldenReply[:13]); err == nil {
		t.Error("a 13-byte frame was sent")
	}
	ipv4 := append([]byte(nil), goldenReply...)
	ipv4[12], ipv4[13] = 0x08, 0x00
	if err := s.Send(ipv4); !errors.Is(err, errors.ErrUnsupported) || !strings.Contains(err.Error(), "veth-test") {
		t.Errorf("an IPv4 frame: %v", err)
	}
	if s.Interface().Name != "veth-test" {
		t.Errorf("Interface() = %v", s.Interface())
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	for et, c := range conns {
		if !c.closed {
			t.Errorf("socket %#04x not closed", et)
		}
	}
	if err := s.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if err := s.Send(goldenReply); !errors.Is(err, syscall.EBADF) {
		t.Errorf("Send after Close: %v", err)
	}
}

// When the second socket cannot be opened, the first is closed, and the
// error is the system call's, naming the interface.
func TestOpenError(t *testing.T) {
	var opened []*fakeConn
	_, err := open(testIfi, func(ifi *net.Interface, et uint16) (frameConn, error) {
		if et == etherTypeIPv6 {
			return nil, os.NewSyscallError("socket", syscall.EPERM)
		}
		c := &fakeConn{etherType: et, log: &sendLog{}}
		opened = append(opened, c)
		return c, nil
	})
	if !errors.Is(err, syscall.EPERM) || err.Error() != "sendarp: veth-test: socket: operation not permitted" {
		t.Errorf("error %v", err)
	}
	for _, c := range opened {
		if !c.closed {
			t.Error("a socket stayed open")
		}
	}
	if _, err := open(nil, nil); err == nil {
		t.Error("open(nil) succeeded")
	}
}

func TestInterfaceByName(t *testing.T) {
	_, err := InterfaceByName("lvskit-none0")
	if !errors.Is(err, syscall.ENODEV) || err.Error() != "sendarp: lvskit-none0: no such device" {
		t.Errorf("missing interface: %v", err)
	}
	ifs, err := net.Interfaces()
	if err != nil || len(ifs) == 0 {
		t.Skipf("no interfaces to look up: %v", err)
	}
	got, err := InterfaceByName(ifs[0].Name)
	if err != nil || got.Index != ifs[0].Index {
		t.Errorf("InterfaceByName(%q) = %v, %v", ifs[0].Name, got, err)
	}
}

func netipMust(s string) netip.Addr { return netip.MustParseAddr(s) }
