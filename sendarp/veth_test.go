//go:build linux

package sendarp

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mdlayher/packet"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// The network test: two fresh network namespaces joined by a veth pair,
// frames sent on one end by send_arp (the command, run in its
// namespace) and by Announce, and captured on the other end with an
// AF_PACKET socket. What arrives must be the golden bytes of
// frame_test.go, as many frames as asked, about as far apart as asked.
//
// It needs root (creating namespaces takes CAP_SYS_ADMIN, raw sockets
// CAP_NET_RAW) and iproute2's ip; CI has both.

// envRunMain makes the test binary run send_arp's Main instead of the
// tests: the fallback command when no go tool is at hand to build
// cmd/send_arp.
const envRunMain = "LVSKIT_SENDARP_TEST_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(envRunMain) == "1" {
		os.Exit(Main(os.Args, os.Stdin, os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// vethLab is the pair of namespaces: va in A sends, vb in B captures.
type vethLab struct {
	nsA, nsB string
}

const (
	labSender   = "va"
	labReceiver = "vb"
)

var labSeq struct {
	sync.Mutex
	n int
}

func newVethLab(t *testing.T) *vethLab {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("the veth test needs root, to create network namespaces (CAP_SYS_ADMIN) and send raw frames (CAP_NET_RAW); CI runs it as root")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("the veth test needs iproute2's ip command, which is not installed")
	}
	labSeq.Lock()
	labSeq.n++
	n := labSeq.n
	labSeq.Unlock()
	// Unique per process and per lab, so that parallel test binaries (go
	// test ./... runs packages at once) never share a namespace.
	l := &vethLab{
		nsA: fmt.Sprintf("lvskit-sendarp-%d-%d-a", os.Getpid(), n),
		nsB: fmt.Sprintf("lvskit-sendarp-%d-%d-b", os.Getpid(), n),
	}
	for _, ns := range []string{l.nsA, l.nsB} {
		ipCmd(t, "netns", "add", ns)
		t.Cleanup(func() {
			if out, err := exec.Command("ip", "netns", "del", ns).CombinedOutput(); err != nil {
				t.Errorf("ip netns del %s: %v\n%s", ns, err, out)
			}
		})
	}
	// The sender gets testMAC, the address of the golden frames.
	ipCmd(t, "-n", l.nsA, "link", "add", labSender, "address", testMAC.String(),
		"type", "veth", "peer", "name", labReceiver, "netns", l.nsB)
	// No duplicate address detection and no router solicitations: the
	// kernel's own IPv6 traffic on the link is kept small. What remains
	// (MLD reports) the IPv6 capture filters out. Best effort: a kernel
	// without IPv6 has no such settings, and still carries the frames.
	for ns, dev := range map[string]string{l.nsA: labSender, l.nsB: labReceiver} {
		l.do(t, ns, func() error {
			for _, key := range []string{"accept_dad", "router_solicitations"} {
				path := filepath.Join("/proc/sys/net/ipv6/conf", dev, key)
				if err := os.WriteFile(path, []byte("0\n"), 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
			}
			return nil
		})
	}
	ipCmd(t, "-n", l.nsA, "link", "set", labSender, "up")
	ipCmd(t, "-n", l.nsB, "link", "set", labReceiver, "up")
	return l
}

func ipCmd(t *testing.T, args ...string) {
	t.Helper()
	if out, err := exec.Command("ip", args...).CombinedOutput(); err != nil {
		t.Fatalf("ip %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// do runs fn on an OS thread in the named namespace. The thread returns
// to its own namespace afterwards; if it cannot, it stays locked, and the
// runtime ends it with its goroutine instead of reusing it. Sockets fn
// opens stay in the namespace for their whole life.
func (l *vethLab) do(t *testing.T, ns string, fn func() error) {
	t.Helper()
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := netns.Get()
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer orig.Close()
		target, err := netns.GetFromName(ns)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target), unix.CLONE_NEWNET); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("setns back: %w", err))
			return // still locked: the thread dies with the goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	if err := <-errc; err != nil {
		t.Fatalf("in namespace %s: %v", ns, err)
	}
}

// captured is a frame read on the receiving end, and when.
type captured struct {
	frame []byte
	at    time.Time
}

// capture reads the frames of one EtherType arriving on vb.
type capture struct {
	c      *packet.Conn
	frames chan captured
}

func (l *vethLab) capture(t *testing.T, etherType int) *capture {
	t.Helper()
	var c *packet.Conn
	l.do(t, l.nsB, func() error {
		ifi, err := net.InterfaceByName(labReceiver)
		if err != nil {
			return err
		}
		c, err = packet.Listen(ifi, packet.Raw, etherType, nil)
		return err
	})
	cp := &capture{c: c, frames: make(chan captured, 256)}
	done := make(chan struct{})
	go func() {
		defer close(done)
		buf := make([]byte, 2048)
		for {
			n, _, err := c.ReadFrom(buf)
			if err != nil {
				return // closed
			}
			cp.frames <- captured{append([]byte(nil), buf[:n]...), time.Now()}
		}
	}()
	t.Cleanup(func() {
		c.Close()
		<-done
	})
	return cp
}

// expect waits for want frames that keep accepts, then a little longer
// to see that no more come, and returns them. Frames keep rejects (the
// kernel's own traffic) are dropped.
func (cp *capture) expect(t *testing.T, want int, keep func([]byte) bool) []captured {
	t.Helper()
	var got []captured
	deadline := time.NewTimer(10 * time.Second)
	defer deadline.Stop()
	for len(got) < want {
		select {
		case f := <-cp.frames:
			if keep(f.frame) {
				got = append(got, f)
			}
		case <-deadline.C:
			t.Fatalf("captured %d frames, want %d", len(got), want)
		}
	}
	quiet := time.After(300 * time.Millisecond)
	for {
		select {
		case f := <-cp.frames:
			if keep(f.frame) {
				t.Errorf("an extra frame: %x", f.frame)
			}
		case <-quiet:
			return got
		}
	}
}

// isARPFor keeps the ARP frames whose sender is the test VIP.
func isARPFor(f []byte) bool {
	return len(f) >= 42 && f[12] == 0x08 && f[13] == 0x06 && bytes.Equal(f[28:32], testVIP4.AsSlice())
}

// isNAFor keeps the Neighbor Advertisements for the test VIP, not the
// MLD reports and whatever else the kernel sends.
func isNAFor(f []byte) bool {
	return len(f) >= NAFrameLen && f[12] == 0x86 && f[13] == 0xdd && f[20] == protoICMPv6 &&
		f[54] == icmpv6NeighborAdvert && bytes.Equal(f[62:78], testVIP6.AsSlice())
}

// checkFrames requires every frame to be golden, and consecutive frames
// at least half an interval and at most an interval and three seconds
// apart: generous, since only a sender that ignores the interval, or
// stalls, is wrong.
func checkFrames(t *testing.T, got []captured, golden []byte, interval time.Duration) {
	t.Helper()
	for i, f := range got {
		if !bytes.Equal(f.frame, golden) {
			t.Errorf("frame %d:\n got %x\nwant %x", i, f.frame, golden)
		}
		if i == 0 {
			continue
		}
		gap := f.at.Sub(got[i-1].at)
		if gap < interval/2 || gap > interval+3*time.Second {
			t.Errorf("frames %d and %d are %v apart, want about %v", i-1, i, gap, interval)
		}
	}
}

// sendArpCommand returns the send_arp command to run: cmd/send_arp built
// with the go tool, or, without one, this test binary running Main.
func sendArpCommand(t *testing.T) (path string, env []string) {
	t.Helper()
	if gotool, err := exec.LookPath("go"); err == nil {
		bin := filepath.Join(t.TempDir(), "send_arp")
		out, err := exec.Command(gotool, "build", "-o", bin, "lvskit/cmd/send_arp").CombinedOutput()
		if err != nil {
			t.Fatalf("go build lvskit/cmd/send_arp: %v\n%s", err, out)
		}
		return bin, nil
	}
	t.Log("no go tool on PATH: running send_arp's Main in the test binary")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	return exe, []string{envRunMain + "=1"}
}

func TestVethCapture(t *testing.T) {
	l := newVethLab(t)
	bin, env := sendArpCommand(t)
	arpCap := l.capture(t, etherTypeARP)
	ipv6Cap := l.capture(t, etherTypeIPv6)

	// send_arp runs in namespace A, as "ip netns exec" starts it.
	sendArp := func(t *testing.T, args ...string) {
		t.Helper()
		cmd := exec.Command("ip", append([]string{"netns", "exec", l.nsA, bin}, args...)...)
		cmd.Env = append(os.Environ(), env...)
		if out, err := cmd.CombinedOutput(); err != nil || len(out) > 0 {
			t.Fatalf("send_arp %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}

	t.Run("command/pulse's call, three times", func(t *testing.T) {
		// As Piranha's pulse ran it (MAC in capitals without colons,
		// the broadcast address as targ_ip), with lvskit's repeat.
		mac := strings.ToUpper(strings.ReplaceAll(testMAC.String(), ":", ""))
		sendArp(t, "--count", "3", "--interval", "0.2", "-i", labSender, testVIP4.String(), mac, "192.0.2.255", "ffffffffffff")
		checkFrames(t, arpCap.expect(t, 3, isARPFor), goldenReply, 200*time.Millisecond)
	})
	t.Run("command/request style", func(t *testing.T) {
		sendArp(t, "-i", labSender, "--style", "request", testVIP4.String(), testMAC.String(), "0.0.0.0", "ff:ff:ff:ff:ff:ff")
		checkFrames(t, arpCap.expect(t, 1, isARPFor), goldenRequest, 0)
	})
	t.Run("command/IPv6", func(t *testing.T) {
		sendArp(t, "-i", labSender, "--count", "2", "--interval", "100ms", testVIP6.String(), testMAC.String(), "::", "ffffffffffff")
		checkFrames(t, ipv6Cap.expect(t, 2, isNAFor), goldenNA, 100*time.Millisecond)
	})

	// Announce, from namespace A: the interface is looked up and the
	// sockets opened there; sending can then happen anywhere.
	openSender := func(t *testing.T) *Sender {
		t.Helper()
		var s *Sender
		l.do(t, l.nsA, func() error {
			ifi, err := InterfaceByName(labSender)
			if err != nil {
				return err
			}
			s, err = Open(ifi)
			return err
		})
		t.Cleanup(func() { s.Close() })
		return s
	}
	t.Run("Announce/request style", func(t *testing.T) {
		s := openSender(t)
		if err := s.Announce(context.Background(), testVIP4, Options{Count: 3, Interval: 150 * time.Millisecond, Style: Request}); err != nil {
			t.Fatal(err)
		}
		checkFrames(t, arpCap.expect(t, 3, isARPFor), goldenRequest, 150*time.Millisecond)
	})
	t.Run("Announce/IPv6", func(t *testing.T) {
		s := openSender(t)
		if err := s.Announce(context.Background(), testVIP6, Options{Count: 2, Interval: 100 * time.Millisecond}); err != nil {
			t.Fatal(err)
		}
		checkFrames(t, ipv6Cap.expect(t, 2, isNAFor), goldenNA, 100*time.Millisecond)
	})
	t.Run("Announce/refresh on one Sender", func(t *testing.T) {
		// pulse's periodic refresh: one Sender, several announcements.
		s := openSender(t)
		for range 2 {
			if err := s.Announce(context.Background(), testVIP4, Options{}); err != nil {
				t.Fatal(err)
			}
			checkFrames(t, arpCap.expect(t, 1, isARPFor), goldenReply, 0)
		}
	})
	t.Run("Announce/package function", func(t *testing.T) {
		l.do(t, l.nsA, func() error {
			ifi, err := net.InterfaceByName(labSender)
			if err != nil {
				return err
			}
			return Announce(context.Background(), ifi, testVIP4, Options{Count: 2, Interval: 50 * time.Millisecond})
		})
		checkFrames(t, arpCap.expect(t, 2, isARPFor), goldenReply, 50*time.Millisecond)
	})
	t.Run("command/interface down", func(t *testing.T) {
		ipCmd(t, "-n", l.nsA, "link", "set", labSender, "down")
		defer ipCmd(t, "-n", l.nsA, "link", "set", labSender, "up")
		cmd := exec.Command("ip", "netns", "exec", l.nsA, bin, "-i", labSender, testVIP4.String(), testMAC.String(), "x", "ffffffffffff")
		cmd.Env = append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() != 1 || string(out) != "sendto: Network is down\n" {
			t.Errorf("send_arp on a down interface: %v, %q; want exit 1 and Piranha's perror text", err, out)
		}
	})
}
