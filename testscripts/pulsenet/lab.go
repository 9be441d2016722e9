// Package pulsenet is a small network of Linux network namespaces for
// running pulse for real: two directors, a client and a switch, with
// pulse raising the VIP by netlink and announcing it with gratuitous
// ARP, and a watcher that sees what the kernel sees. The network tests
// (this directory's tests, `make test-net`) and the failover benchmark
// (./pulsebench, `make bench-pulse`) are built on it.
//
// The network, all in namespaces made for one lab and deleted with it.
// Each interface is a veth whose other end is in the switch namespace
// SW:
//
//	namespace      interface  address            other end, in SW
//	A (primary)    eth0       192.0.2.1/24       swa, a port of bridge br0
//	B (backup)     eth0       192.0.2.2/24       swb, a port of br0
//	C (client)     eth0       192.0.2.3/24       swc, a port of br0
//	A              hb0        198.51.100.1/24    ha  \ joined by the Forwarder
//	B              hb0        198.51.100.2/24    hb  /
//
// eth0 is the public network, where the VIP (192.0.2.100 on eth0:1)
// lives and the client talks to it. hb0 is a dedicated heartbeat link
// whose frames a Forwarder in this process copies from one side to the
// other, dropping a chosen share of them: lossy or cut, without netem,
// which not every kernel has. An lvs.cf whose primary and backup are
// the eth0 addresses sends heartbeats over the public network, as most
// Piranha pairs did; one with the hb0 addresses sends them over the
// dedicated link.
//
// It needs root (namespaces, raw sockets) and iproute2's ip.
package pulsenet

import (
	"bytes"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
)

// The lab's addresses.
var (
	PublicA = netip.MustParseAddr("192.0.2.1")
	PublicB = netip.MustParseAddr("192.0.2.2")
	ClientC = netip.MustParseAddr("192.0.2.3")
	VIP     = netip.MustParseAddr("192.0.2.100")
	HBA     = netip.MustParseAddr("198.51.100.1")
	HBB     = netip.MustParseAddr("198.51.100.2")
)

// namePrefix starts every namespace a lab makes; the process id and a
// counter follow, so that labs of parallel test binaries never meet.
const namePrefix = "lvskit-pn-"

// Lab is one network. Its fields are read-only after NewLab.
type Lab struct {
	Dir          string // scratch directory: lvs.cf files, logs, the fake lvsd
	A, B, C, SW  string // namespace names
	MACA, MACB   net.HardwareAddr
	Fwd          *Forwarder // the heartbeat link between A's and B's hb0
	FakeLvsd     string     // a stand-in for lvsd: sleeps until SIGTERM
	handles      map[string]*netlink.Handle
	clientIfx    int // C's eth0
	mu           sync.Mutex
	procs        []*Proc
	closed       bool
	cleanupNames []string
}

var labSeq struct {
	sync.Mutex
	n int
}

// Usable reports why labs cannot be built here, or nil.
func Usable() error {
	if os.Geteuid() != 0 {
		return errors.New("the pulse network tests need root, to create network namespaces (CAP_SYS_ADMIN) and raw sockets (CAP_NET_RAW)")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return errors.New("the pulse network tests need iproute2's ip command, which is not installed")
	}
	return nil
}

// NewLab builds a lab with its scratch files in dir. Close removes it,
// also after a failure half way.
func NewLab(dir string) (l *Lab, err error) {
	if err := Usable(); err != nil {
		return nil, err
	}
	removeOrphans()
	labSeq.Lock()
	labSeq.n++
	n := labSeq.n
	labSeq.Unlock()
	base := fmt.Sprintf("%s%d-%d-", namePrefix, os.Getpid(), n)
	l = &Lab{Dir: dir, A: base + "a", B: base + "b", C: base + "c", SW: base + "sw", handles: map[string]*netlink.Handle{}}
	defer func() {
		if err != nil {
			l.Close()
			l = nil
		}
	}()
	for _, ns := range []string{l.SW, l.A, l.B, l.C} {
		if err := ip("netns", "add", ns); err != nil {
			return l, err
		}
		l.cleanupNames = append(l.cleanupNames, ns)
		// No IPv6: its link-local chatter (DAD, MLD, router
		// solicitations) has no part in what is measured.
		if err := InNS(ns, func() error {
			for _, k := range []string{"all", "default"} {
				if err := os.WriteFile("/proc/sys/net/ipv6/conf/"+k+"/disable_ipv6", []byte("1\n"), 0o644); err != nil && !errors.Is(err, os.ErrNotExist) {
					return err
				}
			}
			return nil
		}); err != nil {
			return l, fmt.Errorf("%s: disabling IPv6: %w", ns, err)
		}
	}
	steps := [][]string{
		{"-n", l.SW, "link", "set", "lo", "up"},
		{"-n", l.SW, "link", "add", "name", "br0", "type", "bridge"},
		{"-n", l.SW, "link", "set", "br0", "up"},
	}
	public := []struct {
		ns, port string
		addr     netip.Addr
	}{{l.A, "swa", PublicA}, {l.B, "swb", PublicB}, {l.C, "swc", ClientC}}
	for _, p := range public {
		steps = append(steps,
			[]string{"-n", p.ns, "link", "set", "lo", "up"},
			[]string{"-n", l.SW, "link", "add", "name", p.port, "type", "veth", "peer", "name", "eth0", "netns", p.ns},
			[]string{"-n", l.SW, "link", "set", p.port, "master", "br0"},
			[]string{"-n", l.SW, "link", "set", p.port, "up"},
			[]string{"-n", p.ns, "addr", "add", p.addr.String() + "/24", "dev", "eth0"},
			[]string{"-n", p.ns, "link", "set", "eth0", "up"})
	}
	for _, p := range []struct {
		ns, port string
		addr     netip.Addr
	}{{l.A, "ha", HBA}, {l.B, "hb", HBB}} {
		steps = append(steps,
			[]string{"-n", l.SW, "link", "add", "name", p.port, "type", "veth", "peer", "name", "hb0", "netns", p.ns},
			[]string{"-n", l.SW, "link", "set", p.port, "up"},
			[]string{"-n", p.ns, "addr", "add", p.addr.String() + "/24", "dev", "hb0"},
			[]string{"-n", p.ns, "link", "set", "hb0", "up"})
	}
	for _, s := range steps {
		if err := ip(s...); err != nil {
			return l, err
		}
	}
	for _, ns := range []string{l.SW, l.A, l.B, l.C} {
		h, err := handleAt(ns)
		if err != nil {
			return l, err
		}
		l.handles[ns] = h
	}
	for ns, mac := range map[string]*net.HardwareAddr{l.A: &l.MACA, l.B: &l.MACB} {
		link, err := l.handles[ns].LinkByName("eth0")
		if err != nil {
			return l, fmt.Errorf("%s: eth0: %w", ns, err)
		}
		*mac = link.Attrs().HardwareAddr
	}
	link, err := l.handles[l.C].LinkByName("eth0")
	if err != nil {
		return l, fmt.Errorf("%s: eth0: %w", l.C, err)
	}
	l.clientIfx = link.Attrs().Index
	if l.Fwd, err = startForwarder(l.SW, "ha", "hb"); err != nil {
		return l, fmt.Errorf("heartbeat link: %w", err)
	}
	// pulse waits for lvsd to end when it lets go, so the stand-in must
	// end promptly on SIGTERM: exec makes sleep the process pulse
	// signals.
	l.FakeLvsd = filepath.Join(dir, "fake-lvsd")
	if err := os.WriteFile(l.FakeLvsd, []byte("#!/bin/sh\nexec sleep infinity\n"), 0o755); err != nil {
		return l, err
	}
	return l, nil
}

func handleAt(ns string) (*netlink.Handle, error) {
	nsh, err := netns.GetFromName(ns)
	if err != nil {
		return nil, fmt.Errorf("namespace %s: %w", ns, err)
	}
	defer nsh.Close()
	h, err := netlink.NewHandleAt(nsh)
	if err != nil {
		return nil, fmt.Errorf("netlink in %s: %w", ns, err)
	}
	return h, nil
}

// Close stops every process the lab started, the forwarder, and
// deletes the namespaces (with their links and the bridge).
func (l *Lab) Close() error {
	l.mu.Lock()
	if l.closed {
		l.mu.Unlock()
		return nil
	}
	l.closed = true
	procs := l.procs
	l.mu.Unlock()
	var errs []error
	for _, p := range procs {
		p.Kill()
	}
	if l.Fwd != nil {
		l.Fwd.Close()
	}
	for _, h := range l.handles {
		h.Close()
	}
	for _, ns := range l.cleanupNames {
		if err := ip("netns", "del", ns); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// removeOrphans deletes the namespaces of labs whose process is gone (a
// test binary killed by its timeout cannot clean up after itself).
func removeOrphans() {
	ents, err := os.ReadDir("/run/netns")
	if err != nil {
		return
	}
	for _, e := range ents {
		rest, ok := strings.CutPrefix(e.Name(), namePrefix)
		if !ok {
			continue
		}
		pidStr, _, _ := strings.Cut(rest, "-")
		pid, err := strconv.Atoi(pidStr)
		if err != nil || pid == os.Getpid() {
			continue
		}
		if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
			ip("netns", "del", e.Name())
		}
	}
}

func ip(args ...string) error {
	out, err := exec.Command("ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// IP runs an ip command (the lab's namespaces are the caller's to name).
func (l *Lab) IP(args ...string) error { return ip(args...) }

// CutPublic takes a director's port out of the bridge (ns is l.A or
// l.B): its eth0 stays up, with carrier, but reaches nobody, as when a
// switch port or the cable behind it fails. RestorePublic puts it back.
func (l *Lab) CutPublic(ns string) error {
	return ip("-n", l.SW, "link", "set", l.port(ns), "nomaster")
}

// RestorePublic undoes CutPublic.
func (l *Lab) RestorePublic(ns string) error {
	return ip("-n", l.SW, "link", "set", l.port(ns), "master", "br0")
}

func (l *Lab) port(ns string) string {
	switch ns {
	case l.A:
		return "swa"
	case l.B:
		return "swb"
	}
	return "swc"
}

// InNS runs fn on an OS thread in the named namespace. Sockets fn opens
// stay in that namespace for their whole life, whichever goroutine
// uses them later. The thread returns to its namespace afterwards; if
// it cannot, it is never reused (the goroutine ends locked to it).
func InNS(name string, fn func() error) error {
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
		target, err := netns.GetFromName(name)
		if err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("namespace %s: %w", name, err)
			return
		}
		defer target.Close()
		if err := netns.Set(target); err != nil {
			runtime.UnlockOSThread()
			errc <- fmt.Errorf("entering %s: %w", name, err)
			return
		}
		ferr := fn()
		if err := netns.Set(orig); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("leaving %s: %w", name, err))
			return // still locked: the thread goes with the goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// ListenUDP opens a UDP socket in namespace ns, bound to addr.
func (l *Lab) ListenUDP(ns string, addr netip.AddrPort) (*net.UDPConn, error) {
	var c *net.UDPConn
	err := InNS(ns, func() error {
		var err error
		c, err = net.ListenUDP("udp4", net.UDPAddrFromAddrPort(addr))
		return err
	})
	return c, err
}

// Touch sends one UDP datagram from the client to the VIP (the discard
// port; nobody needs to listen). It is real traffic: the client's
// kernel resolves the VIP by ARP, as it would for a connection, and
// keeps the answer in its neighbour table.
func (l *Lab) Touch() error {
	return InNS(l.C, func() error {
		c, err := net.DialUDP("udp4", nil, net.UDPAddrFromAddrPort(netip.AddrPortFrom(VIP, 9)))
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.Write([]byte("lvskit pulsenet"))
		return err
	})
}

// HasVIP reports whether namespace ns holds the VIP.
func (l *Lab) HasVIP(ns string) (bool, error) {
	addrs, err := l.handles[ns].AddrList(nil, netlink.FAMILY_V4)
	if err != nil {
		return false, err
	}
	for _, a := range addrs {
		if b, ok := netip.AddrFromSlice(a.IP); ok && b.Unmap() == VIP {
			return true, nil
		}
	}
	return false, nil
}

// ClientNeigh is the client's neighbour entry for the VIP: the MAC it
// would send to, "" when it has none (no entry, or one still
// resolving or failed).
func (l *Lab) ClientNeigh() (string, error) {
	ns, err := l.handles[l.C].NeighList(l.clientIfx, netlink.FAMILY_V4)
	if err != nil {
		return "", err
	}
	for _, n := range ns {
		if a, ok := netip.AddrFromSlice(n.IP); !ok || a.Unmap() != VIP {
			continue
		}
		if n.State&(netlink.NUD_INCOMPLETE|netlink.NUD_FAILED|netlink.NUD_NOARP) != 0 || len(n.HardwareAddr) == 0 {
			return "", nil
		}
		return n.HardwareAddr.String(), nil
	}
	return "", nil
}

// Who names the holder of a MAC: "A", "B", "" for none, or the MAC.
func (l *Lab) Who(mac string) string {
	switch mac {
	case "":
		return ""
	case l.MACA.String():
		return "A"
	case l.MACB.String():
		return "B"
	}
	return mac
}

// Proc is a process the lab started in one of its namespaces, in a
// process group of its own (so that a kill takes its children, such as
// the fake lvsd, too), with stdout and stderr going to a log file.
type Proc struct {
	Name    string
	NS      string
	LogPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error
}

// Start runs argv in namespace ns, logging to Dir/name.log.
func (l *Lab) Start(ns, name string, argv ...string) (*Proc, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, errors.New("lab closed")
	}
	logPath := filepath.Join(l.Dir, name+".log")
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	cmd := exec.Command("ip", append([]string{"netns", "exec", ns}, argv...)...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	p := &Proc{Name: name, NS: ns, LogPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	l.procs = append(l.procs, p)
	return p, nil
}

// Pid is the process's id (ip netns exec execs the command, so this is
// pulse's own).
func (p *Proc) Pid() int { return p.cmd.Process.Pid }

// Kill sends SIGKILL to the whole process group and waits for the
// process: a director that dies, with its lvsd. It returns the moment
// the signal went.
func (p *Proc) Kill() time.Time {
	at := time.Now()
	syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
	return at
}

// Signal sends sig to the process alone.
func (p *Proc) Signal(sig syscall.Signal) error { return p.cmd.Process.Signal(sig) }

// Stop sends SIGTERM and waits up to timeout for the process to end;
// then it kills the group. It reports whether the process ended on its
// own.
func (p *Proc) Stop(timeout time.Duration) bool {
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL) // stray children
		return true
	case <-time.After(timeout):
		p.Kill()
		return false
	}
}

// Done is closed when the process has ended.
func (p *Proc) Done() <-chan struct{} { return p.done }

// Log is what the process has written so far.
func (p *Proc) Log() string {
	b, _ := os.ReadFile(p.LogPath)
	return string(b)
}

// WaitLog waits up to timeout for a line containing substr past offset
// bytes of the log, and returns the log's length after that line, or
// -1 when it did not come.
func (p *Proc) WaitLog(offset int, substr string, timeout time.Duration) int {
	deadline := time.Now().Add(timeout)
	for {
		log := p.Log()
		if offset < len(log) {
			if i := strings.Index(log[offset:], substr); i >= 0 {
				end := offset + i + len(substr)
				if j := strings.IndexByte(log[end:], '\n'); j >= 0 {
					end += j + 1
				}
				return end
			}
		}
		if time.Now().After(deadline) {
			return -1
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// BuildPulse builds cmd/pulse into dir and returns the binary's path.
func BuildPulse(dir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", errors.New("no go command on PATH to build pulse")
	}
	out := filepath.Join(dir, "pulse")
	cmd := exec.Command(goTool, "build", "-o", out, "lvskit/cmd/pulse")
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build pulse: %v\n%s", err, b)
	}
	return out, nil
}
