package testscripts

import (
	"fmt"
	"io"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/rogpeppe/go-internal/testscript"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
	"lvskit/internal/lvsconf"
	"lvskit/internal/lvsd"
	"lvskit/ipvsadm"
)

// withFake runs fn on the script's fake table, loaded from its state file
// under an exclusive lock on a file beside it and saved afterwards
// whatever fn returned, so that processes that run at once (lvsd, the
// monitors it starts, ipvsadm) never lose each other's changes.
func withFake(path string, fn func(*fake.Table) error) error {
	lock, err := os.OpenFile(path+".lock", os.O_RDWR|os.O_CREATE, 0o666)
	if err != nil {
		return err
	}
	defer lock.Close()
	if err := syscall.Flock(int(lock.Fd()), syscall.LOCK_EX); err != nil {
		return err
	}
	ft, err := fake.Load(path)
	if err != nil {
		return err
	}
	ferr := fn(ft)
	if err := ft.Save(path); err != nil {
		return err
	}
	return ferr
}

// fileTable is the fake table of a script's state file as a long-lived
// ipvs.Table: each call is one withFake, as each kernel command is one
// atomic change of the kernel's table.
type fileTable struct{ path string }

func openFileTable(path string) (ipvs.Table, error) {
	err := withFake(path, func(ft *fake.Table) error {
		_, err := ft.Open()
		return err
	})
	if err != nil {
		return nil, err
	}
	return fileTable{path}, nil
}

func (f fileTable) do(fn func(ipvs.Table) error) error {
	return withFake(f.path, func(ft *fake.Table) error {
		t, err := ft.Open()
		if err != nil {
			return err
		}
		return fn(t)
	})
}

func (f fileTable) Info() (i ipvs.Info, err error) {
	err = f.do(func(t ipvs.Table) (e error) { i, e = t.Info(); return })
	return
}

func (f fileTable) Services() (s []ipvs.Service, err error) {
	err = f.do(func(t ipvs.Table) (e error) { s, e = t.Services(); return })
	return
}

func (f fileTable) Service(k ipvs.ServiceKey) (s ipvs.Service, err error) {
	err = f.do(func(t ipvs.Table) (e error) { s, e = t.Service(k); return })
	return
}

func (f fileTable) AddService(s ipvs.Service) error {
	return f.do(func(t ipvs.Table) error { return t.AddService(s) })
}

func (f fileTable) EditService(s ipvs.Service) error {
	return f.do(func(t ipvs.Table) error { return t.EditService(s) })
}

func (f fileTable) DelService(k ipvs.ServiceKey) error {
	return f.do(func(t ipvs.Table) error { return t.DelService(k) })
}

func (f fileTable) Flush() error   { return f.do(func(t ipvs.Table) error { return t.Flush() }) }
func (f fileTable) ZeroAll() error { return f.do(func(t ipvs.Table) error { return t.ZeroAll() }) }

func (f fileTable) ZeroService(k ipvs.ServiceKey) error {
	return f.do(func(t ipvs.Table) error { return t.ZeroService(k) })
}

func (f fileTable) Dests(k ipvs.ServiceKey) (d []ipvs.Dest, err error) {
	err = f.do(func(t ipvs.Table) (e error) { d, e = t.Dests(k); return })
	return
}

func (f fileTable) ListDests(keys []ipvs.ServiceKey, each func(int, []ipvs.Dest) error) error {
	return f.do(func(t ipvs.Table) error { return t.ListDests(keys, each) })
}

func (f fileTable) AddDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	return f.do(func(t ipvs.Table) error { return t.AddDest(k, d) })
}

func (f fileTable) EditDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	return f.do(func(t ipvs.Table) error { return t.EditDest(k, d) })
}

func (f fileTable) DelDest(k ipvs.ServiceKey, d ipvs.DestKey) error {
	return f.do(func(t ipvs.Table) error { return t.DelDest(k, d) })
}

func (f fileTable) Timeouts() (to ipvs.Timeouts, err error) {
	err = f.do(func(t ipvs.Table) (e error) { to, e = t.Timeouts(); return })
	return
}

func (f fileTable) SetTimeouts(to ipvs.Timeouts) error {
	return f.do(func(t ipvs.Table) error { return t.SetTimeouts(to) })
}

func (f fileTable) Daemons() (d []ipvs.Daemon, err error) {
	err = f.do(func(t ipvs.Table) (e error) { d, e = t.Daemons(); return })
	return
}

func (f fileTable) StartDaemon(d ipvs.Daemon) error {
	return f.do(func(t ipvs.Table) error { return t.StartDaemon(d) })
}

func (f fileTable) StopDaemon(s ipvs.DaemonState) error {
	return f.do(func(t ipvs.Table) error { return t.StopDaemon(s) })
}

func (f fileTable) Close() error { return nil }

// runLvsd runs lvsd in the foreground against the script's fake table,
// with a housekeeping tick of LVSKIT_TEST_TICK (default 200ms) so that
// sorry servers and retries show within a script's patience.
func runLvsd(args []string) int {
	path := os.Getenv(envState)
	tick := 200 * time.Millisecond
	if s := os.Getenv("LVSKIT_TEST_TICK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "test wiring:", err)
			return 125
		}
		tick = d
	}
	env := &lvsd.Env{
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Open:     func() (ipvs.Table, error) { return openFileTable(path) },
		Terminal: func(io.Writer) bool { return false },
		Tick:     tick,
		Parse:    testLookups(),
	}
	return env.Run(args)
}

// testLookups resolve names in lvs.cf from the test's hosts and services
// files, as ipvsadm's do.
func testLookups() lvsconf.Options {
	r := &ipvsadm.SystemResolver{HostsPath: os.Getenv(envHosts), ServicesPath: os.Getenv(envServices)}
	return lvsconf.Options{
		LookupHost: func(name string) (netip.Addr, error) {
			if a, ok := r.LookupHost4(name); ok {
				return a, nil
			}
			return netip.Addr{}, fmt.Errorf("%s: no such host", name)
		},
		LookupPort: func(name string) (int, error) {
			if p, ok := r.LookupPort(name, "tcp"); ok {
				return int(p), nil
			}
			return 0, fmt.Errorf("%s: no such service", name)
		},
	}
}

// cmdSignal sends a signal to the process whose pid a file holds (lvsd's
// pid file): testscript's kill knows only INT and KILL.
//
//	signal HUP|TERM|INT|KILL|USR1|USR2 PIDFILE
func cmdSignal(ts *testscript.TestScript, neg bool, args []string) {
	sigs := map[string]syscall.Signal{"HUP": syscall.SIGHUP, "TERM": syscall.SIGTERM, "INT": syscall.SIGINT,
		"KILL": syscall.SIGKILL, "USR1": syscall.SIGUSR1, "USR2": syscall.SIGUSR2}
	if neg || len(args) != 2 || sigs[args[0]] == 0 {
		ts.Fatalf("usage: signal HUP|TERM|INT|KILL|USR1|USR2 PIDFILE")
	}
	data, err := os.ReadFile(ts.MkAbs(args[1]))
	ts.Check(err)
	pid, err := strconv.Atoi(strings.TrimSpace(string(data)))
	ts.Check(err)
	ts.Check(syscall.Kill(pid, sigs[args[0]]))
}

// cmdWaitFor waits until a file has at least COUNT lines (default 1)
// that match a regular expression, for up to 20 seconds; with !, until
// the file exists and has none for half a second.
//
//	waitfor FILE REGEXP [COUNT]
func cmdWaitFor(ts *testscript.TestScript, neg bool, args []string) {
	if len(args) != 2 && len(args) != 3 {
		ts.Fatalf("usage: waitfor FILE REGEXP [COUNT]")
	}
	re, err := regexp.Compile("(?m)" + args[1])
	ts.Check(err)
	want := 1
	if len(args) == 3 {
		want, err = strconv.Atoi(args[2])
		ts.Check(err)
	}
	path := ts.MkAbs(args[0])
	count := func() int {
		data, _ := os.ReadFile(path)
		return len(re.FindAllIndex(data, -1))
	}
	if neg {
		time.Sleep(500 * time.Millisecond)
		if n := count(); n > 0 {
			ts.Fatalf("%s: %d lines match %q", args[0], n, args[1])
		}
		return
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		n := count()
		if n >= want {
			return
		}
		if time.Now().After(deadline) {
			data, _ := os.ReadFile(path)
			ts.Logf("%s:\n%s", filepath.Base(path), data)
			ts.Fatalf("%s: %d lines match %q after 20s, want %d", args[0], n, args[1], want)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
