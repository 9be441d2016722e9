package testscripts

import (
	"context"
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"lvskit/internal/daemonlog"
	"lvskit/pulse"
)

// Test-only environment of pulse. Production pulse never reads these:
// they stand in for the host's addresses, the heartbeat socket and what
// activation does to the system, so that scripts run unprivileged and
// change nothing outside their work directory.
const (
	// envLocal lists the addresses the host has, blank-separated (which
	// director am I); unset, none. A word that is not an address makes
	// listing them fail.
	envLocal = "LVSKIT_TEST_LOCAL"
	// envHeartbeat chooses the heartbeat transport: unset, one that
	// binds nothing, swallows what is sent and never delivers anything;
	// "udp", pulse's UDP heartbeat on loopback addresses only, so that
	// two pulses of a script talk to each other.
	envHeartbeat = "LVSKIT_TEST_HEARTBEAT"
	// envFX names the directory (default: the current one) whose files
	// steer the fake effects while pulse runs: lvsd-dies makes the
	// running lvsd exit (the file is removed), gateway-down makes the
	// arbitration gateway silent, link-down reports the links down.
	envFX = "LVSKIT_TEST_FX"
)

// fakeLvsdPid is the pid the fake lvsd dies with, for stable goldens.
const fakeLvsdPid = 4242

// runPulse runs pulse in the foreground (no daemon, no system log)
// with the test environment above. The fake effects write what they
// would do on standard output as "effects: ..." lines, in the order
// pulse asks for it.
func runPulse(args []string) int {
	fxDir := os.Getenv(envFX)
	if fxDir == "" {
		fxDir = "."
	}
	env := pulse.NewEnv(os.Stdout, os.Stderr)
	env.Parse = testLookups()
	env.Terminal = func(io.Writer) bool { return false }
	env.Syslog, env.Detach, env.Daemonize, env.Ready = nil, nil, nil, nil
	env.Local = testLocalAddrs
	env.Listen = func(set *pulse.Settings) (pulse.Transport, error) {
		switch mode := os.Getenv(envHeartbeat); mode {
		case "":
			return newSilentTransport(), nil
		case "udp":
			for _, a := range []netip.Addr{set.Own, set.Partner, set.Private, set.PrivatePartner} {
				if a.IsValid() && !a.IsLoopback() {
					return nil, fmt.Errorf("test wiring: heartbeat address %s is not a loopback address", a)
				}
			}
			return pulse.ListenUDP(set)
		default:
			return nil, fmt.Errorf("test wiring: %s=%q: want unset or \"udp\"", envHeartbeat, mode)
		}
	}
	real := env.Effects
	env.Effects = func(set *pulse.Settings, log *daemonlog.Logger, argv []string, test bool) pulse.Effects {
		if test {
			return real(set, log, argv, test) // --test-start's own, which only logs
		}
		return newFakeEffects(set, argv, test, fxDir)
	}
	return env.Run(args)
}

func testLocalAddrs() ([]netip.Addr, error) {
	var out []netip.Addr
	for _, w := range strings.Fields(os.Getenv(envLocal)) {
		a, err := netip.ParseAddr(w)
		if err != nil {
			return nil, fmt.Errorf("test wiring: %s: %w", envLocal, err)
		}
		out = append(out, a)
	}
	return out, nil
}

// silentTransport binds nothing: a director alone on its network.
type silentTransport struct{ packets chan pulse.Packet }

func newSilentTransport() *silentTransport {
	return &silentTransport{packets: make(chan pulse.Packet)}
}

func (t *silentTransport) Send([]byte) error            { return nil }
func (t *silentTransport) Packets() <-chan pulse.Packet { return t.packets }
func (t *silentTransport) Close() error                 { return nil }

// fakeEffects tells on standard output what activation and
// deactivation would do, and plays lvsd, the arbitration gateway and
// the links as the files of its directory say (see envFX).
type fakeEffects struct {
	set  *pulse.Settings
	argv []string
	dir  string
	// prefix starts every line: "effects" or, under --test-start,
	// "effects (test start)".
	prefix string

	mu     sync.Mutex
	lvsd   bool // the fake lvsd runs
	exited chan string
}

func newFakeEffects(set *pulse.Settings, argv []string, test bool, dir string) *fakeEffects {
	e := &fakeEffects{set: set, argv: argv, dir: dir, prefix: "effects", exited: make(chan string, 1)}
	if test {
		e.prefix = "effects (test start)"
	}
	go e.watchLvsd()
	return e
}

func (e *fakeEffects) say(format string, args ...any) {
	fmt.Fprintf(os.Stdout, e.prefix+": "+format+"\n", args...)
}

func (e *fakeEffects) has(name string) bool {
	_, err := os.Stat(filepath.Join(e.dir, name))
	return err == nil
}

// watchLvsd makes the fake lvsd exit when lvsd-dies appears.
func (e *fakeEffects) watchLvsd() {
	for {
		time.Sleep(20 * time.Millisecond)
		e.mu.Lock()
		running := e.lvsd
		e.mu.Unlock()
		if !running || !e.has("lvsd-dies") {
			continue
		}
		os.Remove(filepath.Join(e.dir, "lvsd-dies"))
		e.mu.Lock()
		e.lvsd = false
		e.mu.Unlock()
		e.say("lvsd exits with status 1")
		e.exited <- fmt.Sprintf("(pid %d) exited with status 1", fakeLvsdPid)
	}
}

// Activate tells in the order of pulse's own: active_cmd, lvsd, the
// VIPs, their announcements.
func (e *fakeEffects) Activate(context.Context) error {
	if e.set.ActiveCmd != "" {
		e.say("run %s", e.set.ActiveCmd)
	}
	e.mu.Lock()
	if !e.lvsd {
		e.lvsd = true
		e.say("start %s", strings.Join(e.argv, " "))
	}
	e.mu.Unlock()
	for _, v := range e.set.VIPs {
		e.say("raise %s", v)
	}
	for _, v := range e.set.VIPs {
		e.say("announce %s: %d gratuitous arps %s apart", v, e.set.GARPCount, e.set.GARPEvery)
	}
	return nil
}

// Deactivate tells in the order of pulse's own: the VIPs dropped, lvsd
// stopped, inactive_cmd.
func (e *fakeEffects) Deactivate() error {
	for _, v := range e.set.VIPs {
		e.say("drop %s", v)
	}
	e.mu.Lock()
	if e.lvsd {
		e.lvsd = false
		e.say("stop lvsd")
	}
	e.mu.Unlock()
	if e.set.InactiveCmd != "" {
		e.say("run %s", e.set.InactiveCmd)
	}
	return nil
}

// Reconfigure takes a reload's settings, as pulse's own: while the VIPs
// are up, those that appeared are raised and those that went dropped.
func (e *fakeEffects) Reconfigure(set *pulse.Settings) {
	e.mu.Lock()
	old, up := e.set.VIPs, e.lvsd
	e.set = set
	e.mu.Unlock()
	if !up {
		return
	}
	for _, v := range old {
		if !slices.Contains(set.VIPs, v) {
			e.say("drop %s", v)
		}
	}
	for _, v := range set.VIPs {
		if !slices.Contains(old, v) {
			e.say("raise %s", v)
		}
	}
}

func (e *fakeEffects) Announce() {
	for _, v := range e.set.VIPs {
		e.say("announce %s: 1 gratuitous arp", v)
	}
}

func (e *fakeEffects) Exited() <-chan string { return e.exited }

func (e *fakeEffects) Arbitrate(context.Context) bool {
	ok := !e.has("gateway-down")
	if ok {
		e.say("ping %s: answered", e.set.Gateway)
	} else {
		e.say("ping %s: no answer", e.set.Gateway)
	}
	return ok
}

func (e *fakeEffects) LinksUp() bool { return !e.has("link-down") }

func (e *fakeEffects) Reload() {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.lvsd {
		e.say("SIGHUP to lvsd")
	}
}
