package check

import (
	"context"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// The connects here are not over at once, so the waiter waits for them:
// to the end, to the deadline, or to a cancellation; and several at
// once, each with a waiter of its own.
func TestConnectWaits(t *testing.T) {
	// A listener with a backlog of 0, filled, drops the SYN; once
	// the queue is emptied, the SYN sent again a second later is
	// answered, and the connect completes.
	fd, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer unix.Close(fd)
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
	slow := Target{Port: uint16(sa.(*unix.SockaddrInet4).Port)}
	slow.Addr = probeTarget(t, &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: int(slow.Port)}).Addr
	var queued []net.Conn
	for range 16 {
		c, err := net.DialTimeout("tcp", slow.String(), 50*time.Millisecond)
		if err != nil {
			break
		}
		queued = append(queued, c)
	}
	if len(queued) == 16 {
		t.Skip("the listener's accept queue does not fill")
	}
	hung := probeFullBacklog(t)

	var wg sync.WaitGroup
	results := make([]error, 3)
	took := make([]time.Duration, 3)
	cctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	checks := []struct {
		ctx context.Context
		tg  Target
	}{
		{probeCtx(t, 5*time.Second), slow},
		{probeCtx(t, 300*time.Millisecond), hung},
		{cctx, hung},
	}
	for i, c := range checks {
		wg.Go(func() {
			start := time.Now()
			results[i] = (&TCP{Target: c.tg}).Check(c.ctx)
			took[i] = time.Since(start)
		})
	}
	time.Sleep(200 * time.Millisecond)
	// Empty the queue: the first check's SYN, sent again, gets in.
	for range len(queued) + 1 {
		nfd, _, err := unix.Accept4(fd, unix.SOCK_CLOEXEC|unix.SOCK_NONBLOCK)
		if err != nil {
			break
		}
		unix.Close(nfd)
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	wg.Wait()
	for _, c := range queued {
		c.Close()
	}

	probeWant(t, results[0], "")
	probeWant(t, results[1], fmt.Sprintf("CONNECT to %s timed out", hung))
	probeWant(t, results[2], fmt.Sprintf("CONNECT to %s failed: context canceled", hung))
	if took[1] > 2*time.Second || took[2] > 2*time.Second {
		t.Errorf("the timeout took %v, the cancelled check %v", took[1], took[2])
	}

	// The waiters, back in the pool, wait again: no deadline or
	// cancellation of a check before is left on them; and the checks
	// leave no descriptor behind.
	up := serve(t, func(net.Conn) {})
	before := probeFDs(t)
	for range 3 {
		probeWant(t, (&TCP{Target: up}).Check(probeCtx(t, time.Second)), "")
	}
	probeWant(t, (&TCP{Target: hung}).Check(probeCtx(t, 100*time.Millisecond)), fmt.Sprintf("CONNECT to %s timed out", hung))
	probeNoLeak(t, before)
	waiters.Lock()
	n := len(waiters.free)
	waiters.Unlock()
	if n < 1 || n > 3 {
		t.Errorf("%d idle waiters, want 1 to 3", n)
	}
}
