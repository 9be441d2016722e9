package check

import (
	"context"
	"net"
	"net/netip"
	"os"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Helpers for the DNS, SMTP, UDP and ICMP tests; "probe" keeps their
// names apart from the other checks' tests.

// probeTarget is the Target a test server listens on.
func probeTarget(t testing.TB, a net.Addr) Target {
	t.Helper()
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		t.Fatal(err)
	}
	return Target{Addr: ap.Addr(), Port: ap.Port()}
}

// probeCtx is a context with deadline d from now, ended with the test.
func probeCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// probeClosedUDP is a loopback UDP port nothing listens on: the kernel
// answers a datagram to it with ICMP port unreachable.
func probeClosedUDP(t testing.TB, network, addr string) Target {
	t.Helper()
	pc, err := net.ListenPacket(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	tg := probeTarget(t, pc.LocalAddr())
	pc.Close()
	return tg
}

// probeClosedTCP is a loopback TCP port nothing listens on.
func probeClosedTCP(t testing.TB) Target {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tg := probeTarget(t, l.Addr())
	l.Close()
	return tg
}

// probeFDs counts the process's open descriptors, to show a check
// leaves none behind.
func probeFDs(t testing.TB) int {
	t.Helper()
	des, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip("no /proc/self/fd:", err)
	}
	return len(des)
}

// probeNoLeak fails t unless the count of descriptors comes back to
// before; the test servers' ends of the connections close a moment
// after the checks' ends, so it waits a little for them.
func probeNoLeak(t testing.TB, before int) {
	t.Helper()
	var after int
	for range 100 {
		if after = probeFDs(t); after <= before {
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Errorf("%d descriptors before, %d after", before, after)
}

// probeWant fails t unless err's text is want ("" for no error).
func probeWant(t testing.TB, err error, want string) {
	t.Helper()
	switch {
	case want == "" && err != nil:
		t.Errorf("got error %q, want none", err)
	case want != "" && err == nil:
		t.Errorf("got no error, want %q", want)
	case want != "" && err.Error() != want:
		t.Errorf("got error\n\t%q\nwant\n\t%q", err, want)
	}
}

func TestProbeCause(t *testing.T) {
	ctx := context.Background()
	c1, c2 := net.Pipe()
	c2.Close()
	_, err := c1.Read(make([]byte, 1))
	if got := probeCause(ctx, err); got != "connection closed" {
		t.Errorf("EOF: got %q", got)
	}
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	pc.Close()
	_, _, err = pc.ReadFrom(make([]byte, 1))
	if got := probeCause(cctx, err); got != "context canceled" {
		t.Errorf("closed by a cancelled ctx: got %q", got)
	}
	if probeTimedOut(cctx, err) {
		t.Error("a cancelled ctx is taken for a timeout")
	}
	if got := probeQuote([]byte("ab\x00")); got != `"ab\x00"` {
		t.Errorf("probeQuote: got %s", got)
	}
	long := make([]byte, 100)
	for i := range long {
		long[i] = 'x'
	}
	if got, want := probeQuote(long), `"`+string(long[:64])+`"...`; got != want {
		t.Errorf("probeQuote: got %s, want %s", got, want)
	}
}

// probeFullBacklog is a loopback TCP port whose listener never accepts
// and whose accept queue is full: the kernel drops further SYNs, so a
// connect to it hangs until the caller's deadline, as to a host that
// has gone away, without a packet leaving the loopback.
func probeFullBacklog(t testing.TB) Target {
	t.Helper()
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		t.Fatal(err)
	}
	if err := unix.Listen(fd, 0); err != nil {
		t.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		t.Fatal(err)
	}
	tg := Target{Addr: netip.AddrFrom4([4]byte{127, 0, 0, 1}), Port: uint16(sa.(*unix.SockaddrInet4).Port)}
	for range 16 {
		c, err := net.DialTimeout("tcp", tg.String(), 50*time.Millisecond)
		if err != nil {
			return tg
		}
		t.Cleanup(func() { c.Close() })
	}
	t.Skip("the listener's accept queue does not fill")
	return tg
}

// probeRun is one check of a table test and its outcome.
type probeRun struct {
	name    string
	check   Checker
	d       time.Duration // ctx's deadline, from the start
	want    string        // the error's text, "" for none
	maxTook time.Duration // when not 0, the longest the check may take
	err     error
	took    time.Duration
}

// probeRunAll runs every check at once, then asserts each one's outcome
// in a subtest of its name, followed by then's assertions when then is
// not nil. Most of these checks wait for a deadline, not for a CPU, so
// running them together, not -test.parallel at a time, keeps the tests
// fast on a small machine.
func probeRunAll(t *testing.T, runs []probeRun, then func(t *testing.T, i int)) {
	t.Helper()
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() {
			r := &runs[i]
			ctx, cancel := context.WithTimeout(context.Background(), r.d)
			defer cancel()
			start := time.Now()
			r.err = r.check.Check(ctx)
			r.took = time.Since(start)
		})
	}
	wg.Wait()
	for i, r := range runs {
		t.Run(r.name, func(t *testing.T) {
			probeWant(t, r.err, r.want)
			if r.maxTook > 0 && r.took > r.maxTook {
				t.Errorf("took %v, want at most %v", r.took, r.maxTook)
			}
			if then != nil {
				then(t, i)
			}
		})
	}
}
