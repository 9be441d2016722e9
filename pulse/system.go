package pulse

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"golang.org/x/net/icmp"
	"golang.org/x/net/ipv4"

	"lvskit/internal/daemonlog"
	"lvskit/internal/ipvs"
	ipvsnl "lvskit/internal/ipvs/netlink"
	"lvskit/sendarp"
)

// udpTransport is the heartbeat over UDP: from own:port to partner:port
// on the public link, and on the private one when there is one, as
// Piranha's pulse (source port = destination port = heartbeat_port).
type udpTransport struct {
	conns   []*net.UDPConn
	to      []netip.AddrPort
	packets chan Packet
}

// ListenUDP opens pulse's heartbeat sockets for set.
func ListenUDP(set *Settings) (Transport, error) {
	t := &udpTransport{packets: make(chan Packet, 64)}
	pairs := [][2]netip.Addr{{set.Own, set.Partner}}
	if set.Private.IsValid() {
		pairs = append(pairs, [2]netip.Addr{set.Private, set.PrivatePartner})
	}
	for _, p := range pairs {
		c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(p[0], set.Port)))
		if err != nil {
			t.Close()
			return nil, fmt.Errorf("failed to bind to heartbeat address: %w", err)
		}
		t.conns = append(t.conns, c)
		t.to = append(t.to, netip.AddrPortFrom(p[1], set.Port))
		go t.read(c)
	}
	return t, nil
}

func (t *udpTransport) read(c *net.UDPConn) {
	buf := make([]byte, 2048)
	for {
		n, from, err := c.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Piranha ignores ECONNREFUSED (an ICMP error for an
			// earlier send); so does this, and any other transient.
			time.Sleep(10 * time.Millisecond)
			continue
		}
		select {
		case t.packets <- Packet{From: from.Addr(), Data: append([]byte(nil), buf[:n]...)}:
		default: // the loop is behind; a heartbeat more or less is no matter
		}
	}
}

func (t *udpTransport) Send(b []byte) error {
	var errs []error
	for i, c := range t.conns {
		if _, err := c.WriteToUDPAddrPort(b, t.to[i]); err != nil {
			errs = append(errs, fmt.Errorf("to %s: %w", t.to[i], err))
		}
	}
	return errors.Join(errs...)
}

func (t *udpTransport) Packets() <-chan Packet { return t.packets }

func (t *udpTransport) Close() error {
	for _, c := range t.conns {
		c.Close()
	}
	return nil
}

// sysEffects changes the system: VIPs by netlink, gratuitous ARP by
// AF_PACKET, lvsd as a child process.
type sysEffects struct {
	set      *Settings
	log      *daemonlog.Logger
	lvsdArgv []string // lvsd and its arguments

	mu       sync.Mutex
	lvsd     *exec.Cmd
	lvsdDone chan struct{}
	garp     context.CancelFunc // the takeover's announcements
	senders  map[string]*sendarp.Sender
	exited   chan string
	active   bool // the VIPs are up
}

func newSysEffects(set *Settings, log *daemonlog.Logger, lvsdArgv []string) *sysEffects {
	return &sysEffects{set: set, log: log, lvsdArgv: lvsdArgv, senders: map[string]*sendarp.Sender{}, exited: make(chan string, 1)}
}

// Activate does Piranha's steps, in its order: active_cmd, lvsd, the
// VIPs and their announcements. lvsd is not waited for: the VIPs go up
// at once, and lvsd adopts whatever IPVS table it finds.
func (e *sysEffects) Activate(ctx context.Context) error {
	runCommand(e.log, "active_cmd", e.set.ActiveCmd)
	e.syncBackup(false) // lvsd starts the master
	if err := e.startLvsd(); err != nil {
		return err
	}
	e.mu.Lock()
	e.active = true
	vips := e.set.VIPs
	e.mu.Unlock()
	for _, v := range vips {
		if err := addVIP(v); err != nil {
			return err
		}
		e.log.Debugf("raised %s", v)
	}
	e.mu.Lock()
	gctx, cancel := context.WithCancel(ctx)
	e.garp = cancel
	e.mu.Unlock()
	go func() {
		var wg sync.WaitGroup
		for _, v := range vips {
			wg.Add(1)
			go func(v VIP) {
				defer wg.Done()
				e.announce(gctx, v, e.set.GARPCount, e.set.GARPEvery)
			}(v)
		}
		wg.Wait()
		if gctx.Err() == nil {
			e.log.Infof("gratuitous lvs arps finished")
		}
	}()
	return nil
}

func (e *sysEffects) announce(ctx context.Context, v VIP, count int, every time.Duration) {
	s, err := e.sender(v.Device)
	if err == nil {
		err = s.Announce(ctx, v.Addr.Addr(), sendarp.Options{Count: count, Interval: every, Style: sendarp.Reply})
	}
	if err != nil && ctx.Err() == nil {
		e.log.Warnf("gratuitous arp for %s: %v", v, err)
		// The interface may have gone and come back with another
		// index: the next announcement opens new sockets.
		e.mu.Lock()
		if s != nil && e.senders[v.Device] == s {
			delete(e.senders, v.Device)
			s.Close()
		}
		e.mu.Unlock()
	}
}

// sender opens a device's ARP sockets once and keeps them: announcing
// must not depend on opening sockets at the moment it matters.
func (e *sysEffects) sender(dev string) (*sendarp.Sender, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if s, ok := e.senders[dev]; ok {
		return s, nil
	}
	ifi, err := sendarp.InterfaceByName(dev)
	if err != nil {
		return nil, err
	}
	s, err := sendarp.Open(ifi)
	if err != nil {
		return nil, err
	}
	e.senders[dev] = s
	return s, nil
}

// Deactivate undoes Activate in the reverse order: announcements
// stopped, the VIPs dropped, lvsd stopped, then inactive_cmd. Every step
// is tried whatever the others did.
func (e *sysEffects) Deactivate() error {
	defer runCommand(e.log, "inactive_cmd", e.set.InactiveCmd)
	e.mu.Lock()
	if e.garp != nil {
		e.garp()
		e.garp = nil
	}
	e.active = false
	vips := e.set.VIPs
	e.mu.Unlock()
	// Once the VIPs are down no traffic comes here, and the partner may
	// take them while lvsd takes its time to stop.
	var errs []error
	for _, v := range vips {
		if err := delVIP(v); err != nil {
			errs = append(errs, err)
		} else {
			e.log.Debugf("dropped %s", v)
		}
	}
	if err := e.stopLvsd(); err != nil {
		errs = append(errs, err)
	}
	e.syncBackup(true)
	return errors.Join(errs...)
}

// Reconfigure takes a reloaded configuration: while active, VIPs that
// appeared are raised and announced, those that went are dropped.
func (e *sysEffects) Reconfigure(set *Settings) {
	e.mu.Lock()
	old, active := e.set.VIPs, e.active
	e.set = set
	e.mu.Unlock()
	if !active {
		return
	}
	has := func(vs []VIP, v VIP) bool {
		for _, x := range vs {
			if x == v {
				return true
			}
		}
		return false
	}
	for _, v := range old {
		if !has(set.VIPs, v) {
			if err := delVIP(v); err != nil {
				e.log.Warnf("reload: %v", err)
			} else {
				e.log.Infof("reload: dropped %s", v)
			}
		}
	}
	for _, v := range set.VIPs {
		if !has(old, v) {
			if err := addVIP(v); err != nil {
				e.log.Errf("reload: %v", err)
				continue
			}
			e.log.Infof("reload: raised %s", v)
			go e.announce(context.Background(), v, set.GARPCount, set.GARPEvery)
		}
	}
}

func (e *sysEffects) Announce() {
	e.mu.Lock()
	vips := e.set.VIPs
	e.mu.Unlock()
	for _, v := range vips {
		go e.announce(context.Background(), v, 1, 0)
	}
}

func (e *sysEffects) Exited() <-chan string { return e.exited }

func (e *sysEffects) Reload() {
	e.mu.Lock()
	defer e.mu.Unlock()
	// Piranha sent SIGHUP to "lvsd" even when there was none, that is
	// to its own process group; only a running lvsd is told here.
	if e.lvsd != nil {
		e.lvsd.Process.Signal(syscall.SIGHUP)
	}
}

func (e *sysEffects) startLvsd() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lvsd != nil {
		return nil
	}
	cmd := exec.Command(e.lvsdArgv[0], e.lvsdArgv[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
	// lvsd ends with pulse, even a pulse killed with SIGKILL: a new
	// pulse would otherwise find an lvsd it does not know holding the
	// pid file, and the director would serve without a heartbeat.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot start lvsd: %w", err)
	}
	e.log.Debugf("started %s as pid %d", strings.Join(e.lvsdArgv, " "), cmd.Process.Pid)
	done := make(chan struct{})
	e.lvsd, e.lvsdDone = cmd, done
	go func() {
		err := cmd.Wait()
		close(done)
		e.mu.Lock()
		mine := e.lvsd == cmd
		if mine {
			e.lvsd = nil
		}
		e.mu.Unlock()
		if mine { // not stopped by Deactivate
			e.exited <- describeExit(cmd.Process.Pid, err)
		}
	}()
	return nil
}

// describeExit words a child's end as Piranha's pulse did.
func describeExit(pid int, err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("(pid %d) terminated with signal %d", pid, ws.Signal())
		}
		return fmt.Sprintf("(pid %d) exited with status %d", pid, ee.ExitCode())
	}
	return fmt.Sprintf("(pid %d) exited with status 0", pid)
}

// stopLvsd sends SIGTERM and waits; Piranha waited forever, this waits
// 10 s and then kills: a stuck lvsd must not keep a director active.
func (e *sysEffects) stopLvsd() error {
	e.mu.Lock()
	cmd, done := e.lvsd, e.lvsdDone
	e.lvsd = nil
	e.mu.Unlock()
	if cmd == nil {
		return nil
	}
	cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-done:
		return nil
	case <-time.After(10 * time.Second):
		cmd.Process.Kill()
		<-done
		return fmt.Errorf("lvsd (pid %d) ignored SIGTERM for 10s: killed", cmd.Process.Pid)
	}
}

// syncBackup starts (run) or stops the backup connection sync daemon,
// as Piranha's pulse did with ipvsadm --start-daemon backup: the
// standby learns the active director's connections, so that they
// survive a failover. Already in that state is fine; a failure is
// logged and is no reason to fail over.
func (e *sysEffects) syncBackup(run bool) {
	if !e.set.SyncDaemon {
		return
	}
	t, err := ipvsnl.Open()
	if err != nil {
		e.log.Warnf("backup sync daemon: %v", err)
		return
	}
	defer t.Close()
	if run {
		err = t.StartDaemon(ipvs.Daemon{State: ipvs.Backup, Interface: e.set.SyncdIface, SyncID: e.set.SyncdID})
		if errors.Is(err, syscall.EEXIST) {
			err = nil
		}
	} else if err = t.StopDaemon(ipvs.Backup); errors.Is(err, syscall.ESRCH) {
		err = nil // none ran
	}
	if err != nil {
		e.log.Warnf("backup sync daemon: %v", err)
	}
}

// Arbitrate pings the gateway: up to three echo requests, spread over
// at most the deadtime (and never more than 1.5 s), the first answer
// wins.
func (e *sysEffects) Arbitrate(ctx context.Context) bool {
	per := min(max(e.set.Policy.Deadtime/3, 100*time.Millisecond), 500*time.Millisecond)
	c, err := icmp.ListenPacket("ip4:icmp", "0.0.0.0")
	if err != nil {
		e.log.Warnf("arbitration: %v", err)
		return false
	}
	defer c.Close()
	id := os.Getpid() & 0xffff
	for seq := 1; seq <= 3 && ctx.Err() == nil; seq++ {
		msg := icmp.Message{Type: ipv4.ICMPTypeEcho, Body: &icmp.Echo{ID: id, Seq: seq, Data: []byte("lvskit pulse")}}
		b, _ := msg.Marshal(nil)
		if _, err := c.WriteTo(b, &net.IPAddr{IP: e.set.Gateway.AsSlice()}); err != nil {
			e.log.Debugf("arbitration: %v", err)
			time.Sleep(per)
			continue
		}
		deadline := time.Now().Add(per)
		c.SetReadDeadline(deadline)
		buf := make([]byte, 1500)
		for {
			n, from, err := c.ReadFrom(buf)
			if err != nil {
				break
			}
			if a, ok := netip.AddrFromSlice(from.(*net.IPAddr).IP); !ok || a.Unmap() != e.set.Gateway {
				continue
			}
			if m, err := icmp.ParseMessage(1, buf[:n]); err == nil && m.Type == ipv4.ICMPTypeEchoReply {
				if echo, ok := m.Body.(*icmp.Echo); ok && echo.ID == id {
					return true
				}
			}
		}
	}
	return false
}

// LinksUp looks at the interfaces holding this director's heartbeat
// addresses: down when one is not up. An address no interface holds is
// no link failure (Piranha's rule).
func (e *sysEffects) LinksUp() bool {
	for _, a := range []netip.Addr{e.set.Own, e.set.Private} {
		if !a.IsValid() {
			continue
		}
		dev := deviceOf(a)
		if dev == "" {
			continue
		}
		state, err := os.ReadFile(filepath.Join("/sys/class/net", dev, "operstate"))
		if err != nil {
			continue
		}
		switch strings.TrimSpace(string(state)) {
		case "down", "lowerlayerdown", "notpresent":
			return false
		}
	}
	return true
}

func deviceOf(a netip.Addr) string {
	ifs, err := net.Interfaces()
	if err != nil {
		return ""
	}
	for _, ifi := range ifs {
		addrs, _ := ifi.Addrs()
		for _, x := range addrs {
			if n, ok := x.(*net.IPNet); ok {
				if b, ok := netip.AddrFromSlice(n.IP); ok && b.Unmap() == a {
					return ifi.Name
				}
			}
		}
	}
	return ""
}

// addVIP raises v; already there is fine (a restart while active).
func addVIP(v VIP) error {
	link, err := netlink.LinkByName(v.Device)
	if err != nil {
		return fmt.Errorf("%s: %w", v, err)
	}
	if err := netlink.AddrReplace(link, vipAddr(v)); err != nil {
		return fmt.Errorf("cannot raise %s: %w", v, err)
	}
	return nil
}

// delVIP drops v; already gone is fine.
func delVIP(v VIP) error {
	link, err := netlink.LinkByName(v.Device)
	if err != nil {
		return fmt.Errorf("%s: %w", v, err)
	}
	if err := netlink.AddrDel(link, vipAddr(v)); err != nil && !errors.Is(err, syscall.EADDRNOTAVAIL) {
		return fmt.Errorf("cannot drop %s: %w", v, err)
	}
	return nil
}

func vipAddr(v VIP) *netlink.Addr {
	a := &netlink.Addr{IPNet: &net.IPNet{IP: v.Addr.Addr().AsSlice(), Mask: net.CIDRMask(v.Addr.Bits(), v.Addr.Addr().BitLen())}}
	if strings.Contains(v.Label, ":") {
		a.Label = v.Label
	}
	return a
}

// runCommand starts active_cmd or inactive_cmd, split at blanks and
// without a shell, as Piranha did; it is not waited for, only reaped.
func runCommand(log *daemonlog.Logger, what, line string) {
	argv := strings.Fields(line)
	if len(argv) == 0 {
		return
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	if err := cmd.Start(); err != nil {
		log.Warnf("%s: %v", what, err)
		return
	}
	log.Debugf("%s: started %s as pid %d", what, line, cmd.Process.Pid)
	go func() {
		if err := cmd.Wait(); err != nil {
			log.Warnf("%s %q: %v", what, line, err)
		}
	}()
}

// dryEffects is --test-start: it tells what it would do and does
// nothing.
type dryEffects struct {
	set  *Settings
	log  *daemonlog.Logger
	argv []string
}

func (e *dryEffects) Activate(context.Context) error {
	if e.set.ActiveCmd != "" {
		e.log.Infof("test start: would run %s", e.set.ActiveCmd)
	}
	if e.set.SyncDaemon {
		e.log.Infof("test start: would stop the backup sync daemon")
	}
	e.log.Infof("test start: would run %s", strings.Join(e.argv, " "))
	for _, v := range e.set.VIPs {
		e.log.Infof("test start: would raise %s and send %d gratuitous arps %s apart", v, e.set.GARPCount, e.set.GARPEvery)
	}
	return nil
}

func (e *dryEffects) Deactivate() error {
	for _, v := range e.set.VIPs {
		e.log.Infof("test start: would drop %s", v)
	}
	e.log.Infof("test start: would stop lvsd")
	if e.set.SyncDaemon {
		e.log.Infof("test start: would start the backup sync daemon on %s (syncid %d)", e.set.SyncdIface, e.set.SyncdID)
	}
	if e.set.InactiveCmd != "" {
		e.log.Infof("test start: would run %s", e.set.InactiveCmd)
	}
	return nil
}

// nullTransport is --test-start's when the heartbeat port is taken (by
// the pulse that runs): it hears nothing and sends nothing.
type nullTransport struct{}

func (nullTransport) Send([]byte) error      { return nil }
func (nullTransport) Packets() <-chan Packet { return nil }
func (nullTransport) Close() error           { return nil }

func (e *dryEffects) Reconfigure(set *Settings) { e.set = set }

func (e *dryEffects) Announce()                      { e.log.Infof("test start: would send gratuitous arps") }
func (e *dryEffects) Exited() <-chan string          { return nil }
func (e *dryEffects) Arbitrate(context.Context) bool { return true }
func (e *dryEffects) LinksUp() bool                  { return true }
func (e *dryEffects) Reload()                        {}

// localAddrs are the addresses of this host's interfaces.
func localAddrs() ([]netip.Addr, error) {
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return nil, err
	}
	var out []netip.Addr
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok {
			if b, ok := netip.AddrFromSlice(n.IP); ok {
				out = append(out, b.Unmap())
			}
		}
	}
	return out, nil
}

// nextEpoch reads the last epoch from file, returns the next and
// stores it: a restarted pulse's heartbeats must look newer than its
// last run's even if the clock went back.
func nextEpoch(file string, now time.Time) (uint64, error) {
	var last uint64
	if data, err := os.ReadFile(file); err == nil {
		last, _ = strconv.ParseUint(strings.TrimSpace(string(data)), 10, 64)
	}
	epoch := NextEpoch(now, last)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		return epoch, err
	}
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.FormatUint(epoch, 10)+"\n"), 0o644); err != nil {
		return epoch, err
	}
	return epoch, os.Rename(tmp, file)
}
