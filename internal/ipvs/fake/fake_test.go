package fake_test

import (
	"errors"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
)

var (
	web  = ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.0.0.1"), 80)
	real = ipvs.Dest{Addr: netip.MustParseAddr("192.168.1.10"), Port: 80, Fwd: ipvs.Masq, Weight: 3}
)

func svc(k ipvs.ServiceKey, sched string) ipvs.Service {
	return ipvs.Service{ServiceKey: k, Scheduler: sched, Netmask: 0xffffffff}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func TestUnavailable(t *testing.T) {
	ft := fake.New()
	ft.SetUnavailable(true)
	if _, err := ft.Open(); !errors.Is(err, ipvs.ErrNotAvailable) {
		t.Errorf("Open() error = %v, want ErrNotAvailable", err)
	}
	if _, err := ft.Services(); !errors.Is(err, ipvs.ErrNotAvailable) {
		t.Errorf("Services() error = %v, want ErrNotAvailable", err)
	}
	err := ft.AddService(svc(web, "rr"))
	if !errors.Is(err, ipvs.ErrNotAvailable) {
		t.Errorf("AddService error = %v, want ErrNotAvailable", err)
	}
	var errno syscall.Errno
	if errors.As(err, &errno) {
		t.Errorf("AddService error %v carries errno %d; ErrNotAvailable must not look like one", err, errno)
	}
	ft.SetUnavailable(false)
	if _, err := ft.Open(); err != nil {
		t.Errorf("Open() after SetUnavailable(false): %v", err)
	}
}

func TestFailAll(t *testing.T) {
	ft := fake.New()
	ft.FailAll(syscall.EPERM)
	calls := map[string]func() error{
		"Info":        func() error { _, err := ft.Info(); return err },
		"Services":    func() error { _, err := ft.Services(); return err },
		"AddService":  func() error { return ft.AddService(svc(web, "rr")) },
		"Flush":       func() error { return ft.Flush() },
		"ZeroAll":     func() error { return ft.ZeroAll() },
		"Timeouts":    func() error { _, err := ft.Timeouts(); return err },
		"SetTimeouts": func() error { return ft.SetTimeouts(ipvs.Timeouts{TCP: 1}) },
		"Daemons":     func() error { _, err := ft.Daemons(); return err },
		"StopDaemon":  func() error { return ft.StopDaemon(ipvs.Master) },
		"Dests":       func() error { _, err := ft.Dests(web); return err },
	}
	for name, call := range calls {
		if err := call(); !errors.Is(err, syscall.EPERM) {
			t.Errorf("%s error = %v, want EPERM", name, err)
		}
	}
	ft.FailAll(0)
	must(t, ft.AddService(svc(web, "rr")))
}

func TestFailOp(t *testing.T) {
	ft := fake.New()
	ft.FailAll(syscall.EPERM)
	ft.FailOp(fake.OpNewService, syscall.ENOMEM, true)
	// A per-command fault wins over FailAll, and a one-shot one is used
	// up by the first call.
	if err := ft.AddService(svc(web, "rr")); !errors.Is(err, syscall.ENOMEM) {
		t.Fatalf("first AddService error = %v, want ENOMEM", err)
	}
	if err := ft.AddService(svc(web, "rr")); !errors.Is(err, syscall.EPERM) {
		t.Fatalf("second AddService error = %v, want EPERM", err)
	}
	ft.FailAll(0)
	must(t, ft.AddService(svc(web, "rr")))

	ft.FailOp(fake.OpNewDest, syscall.EBUSY, false)
	for range 2 {
		if err := ft.AddDest(web, real); !errors.Is(err, syscall.EBUSY) {
			t.Fatalf("AddDest error = %v, want EBUSY every time", err)
		}
	}
	// Other commands are unaffected.
	if _, err := ft.Dests(web); err != nil {
		t.Errorf("Dests: %v", err)
	}
	ft.FailOp(fake.OpNewDest, 0, false)
	must(t, ft.AddDest(web, real))

	ft.FailOp(fake.OpGetService, syscall.EIO, false)
	ft.ClearFaults()
	if _, err := ft.Services(); err != nil {
		t.Errorf("Services after ClearFaults: %v", err)
	}
}

func TestParseOpAndErrno(t *testing.T) {
	for _, s := range []string{"NEW_SERVICE", "new_service", "IPVS_CMD_NEW_SERVICE"} {
		if op, err := fake.ParseOp(s); err != nil || op != fake.OpNewService {
			t.Errorf("ParseOp(%q) = %q, %v", s, op, err)
		}
	}
	if _, err := fake.ParseOp("NEW_THING"); err == nil {
		t.Error("ParseOp(NEW_THING) succeeded")
	}
	for s, want := range map[string]syscall.Errno{"EPERM": syscall.EPERM, "eexist": syscall.EEXIST, "22": syscall.EINVAL, "errno(200)": 200} {
		if e, err := fake.ParseErrno(s); err != nil || e != want {
			t.Errorf("ParseErrno(%q) = %d, %v; want %d", s, e, err, want)
		}
	}
	for _, s := range []string{"", "EWHAT", "0", "-1"} {
		if _, err := fake.ParseErrno(s); err == nil {
			t.Errorf("ParseErrno(%q) succeeded", s)
		}
	}
	if n := fake.ErrnoName(syscall.ESRCH); n != "ESRCH" {
		t.Errorf("ErrnoName(ESRCH) = %q", n)
	}
	if e, err := fake.ParseErrno(fake.ErrnoName(200)); err != nil || e != 200 {
		t.Errorf("ErrnoName(200) does not parse back: %d, %v", e, err)
	}
}

func TestOpLog(t *testing.T) {
	ft := fake.New()
	tun := ipvs.Dest{Addr: netip.MustParseAddr("2001:db8::10"), Port: 80, Fwd: ipvs.Tunnel, Weight: 1, TunnelType: ipvs.TunnelGUE, TunnelPort: 6080, TunnelFlags: ipvs.TunnelCsum}
	sip := ipvs.Service{ServiceKey: ipvs.FwmarkKey(ipvs.INET6, 7), Scheduler: "sh", PE: "sip", Flags: ipvs.FlagPersistent, Timeout: 300, Netmask: 64}
	must(t, ft.AddService(svc(web, "rr")))
	ft.AddService(svc(web, "rr"))
	must(t, ft.AddDest(web, real))
	edited := real
	edited.Weight, edited.UpperThreshold, edited.LowerThreshold = 5, 100, 10
	must(t, ft.EditDest(web, edited))
	must(t, ft.AddDest(web, tun))
	ft.Services() // reads are not logged
	must(t, ft.AddService(sip))
	must(t, ft.EditService(svc(web, "wlc")))
	must(t, ft.ZeroService(web))
	must(t, ft.ZeroAll())
	must(t, ft.SetTimeouts(ipvs.Timeouts{TCP: 60}))
	must(t, ft.DelDest(web, real.Key()))
	must(t, ft.DelDest(web, tun.Key()))
	must(t, ft.StartDaemon(ipvs.Daemon{State: ipvs.Master, Interface: "lo", SyncID: 3}))
	must(t, ft.StopDaemon(ipvs.Master))
	ft.StopDaemon(ipvs.Backup)
	must(t, ft.DelService(web))
	ft.FailAll(syscall.EPERM)
	ft.Flush()
	ft.SetUnavailable(true)
	ft.Flush()

	want := []string{
		"NEW_SERVICE TCP 10.0.0.1:80 sched=rr flags=0x0 timeout=0 netmask=0xffffffff",
		"NEW_SERVICE TCP 10.0.0.1:80 sched=rr flags=0x0 timeout=0 netmask=0xffffffff = EEXIST",
		"NEW_DEST TCP 10.0.0.1:80 -> 192.168.1.10:80 fwd=Masq weight=3 uthresh=0 lthresh=0",
		"SET_DEST TCP 10.0.0.1:80 -> 192.168.1.10:80 fwd=Masq weight=5 uthresh=100 lthresh=10",
		"NEW_DEST TCP 10.0.0.1:80 -> [2001:db8::10]:80 fwd=Tunnel weight=1 uthresh=0 lthresh=0 tun=gue tunport=6080 tunflags=0x1",
		"NEW_SERVICE FWM 7 (inet6) sched=sh pe=sip flags=0x1 timeout=300 netmask=0x40",
		"SET_SERVICE TCP 10.0.0.1:80 sched=wlc flags=0x0 timeout=0 netmask=0xffffffff",
		"ZERO TCP 10.0.0.1:80",
		"ZERO",
		"SET_CONFIG tcp=60 tcpfin=0 udp=0",
		"DEL_DEST TCP 10.0.0.1:80 -> 192.168.1.10:80",
		"DEL_DEST TCP 10.0.0.1:80 -> [2001:db8::10]:80",
		"NEW_DAEMON master ifn=lo syncid=3 maxlen=0 group=- port=0 ttl=0",
		"DEL_DAEMON master",
		"DEL_DAEMON backup = ESRCH",
		"DEL_SERVICE TCP 10.0.0.1:80",
		"FLUSH = EPERM",
		"FLUSH = ErrNotAvailable",
	}
	if got := ft.OpLog(); !slices.Equal(got, want) {
		t.Errorf("OpLog() =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	ft.ResetOpLog()
	if got := ft.OpLog(); len(got) != 0 {
		t.Errorf("OpLog() after ResetOpLog = %q", got)
	}
}

// populate builds a table with something of everything.
func populate(t *testing.T) *fake.Table {
	t.Helper()
	ft := fake.New()
	must(t, ft.AddService(svc(web, "rr")))
	must(t, ft.AddDest(web, real))
	must(t, ft.AddDest(web, ipvs.Dest{Addr: netip.MustParseAddr("192.168.1.11"), Port: 80, Fwd: ipvs.Tunnel, TunnelType: ipvs.TunnelGUE, TunnelPort: 6080}))
	must(t, ft.SetDestStats(web, real.Key(), ipvs.Stats{Conns: 1 << 40, InBytes: 12345}))
	must(t, ft.SetDestConns(web, real.Key(), 1, 2, 3))
	must(t, ft.SetServiceStats(web, ipvs.Stats{Conns: 7, OutBPS: 99}))
	must(t, ft.AddService(ipvs.Service{ServiceKey: ipvs.FwmarkKey(ipvs.INET6, 7), Scheduler: "sh", PE: "sip", Flags: ipvs.FlagPersistent, Timeout: 300, Netmask: 64}))
	must(t, ft.AddService(svc(ipvs.AddrKey(ipvs.UDP, netip.MustParseAddr("10.0.0.2"), 53), "none")))
	must(t, ft.SetTimeouts(ipvs.Timeouts{TCP: 1000}))
	ft.SetInterface("eth0", 9000)
	must(t, ft.StartDaemon(ipvs.Daemon{State: ipvs.Backup, Interface: "eth0", SyncID: 9}))
	ft.SetInfo(ipvs.Info{Version: 0x010200, ConnTabSize: 1 << 20})
	ft.SetSchedulers("rr", "sh", "twos")
	ft.SetLocalPrefixes(netip.MustParsePrefix("10.9.0.0/16"))
	ft.FailAll(syscall.EPERM)
	ft.FailOp(fake.OpFlush, syscall.EBUSY, true)
	ft.FailOp(fake.OpGetInfo, syscall.EIO, false)
	ft.SetUnavailable(true)
	return ft
}

// dump reads everything back through the Table interface, faults aside.
func dump(t *testing.T, ft *fake.Table) string {
	t.Helper()
	var b strings.Builder
	list, err := ft.Services()
	must(t, err)
	for _, s := range list {
		fmt.Fprintf(&b, "%+v\n", s)
		ds, err := ft.Dests(s.ServiceKey)
		must(t, err)
		for _, d := range ds {
			fmt.Fprintf(&b, "  %+v\n", d)
		}
	}
	to, err := ft.Timeouts()
	must(t, err)
	daemons, err := ft.Daemons()
	must(t, err)
	info, err := ft.Info()
	must(t, err)
	fmt.Fprintf(&b, "%+v\n%+v\n%+v\n", to, daemons, info)
	return b.String()
}

func TestSaveLoad(t *testing.T) {
	dir := t.TempDir()
	ft := populate(t)
	must(t, ft.Save(filepath.Join(dir, "first.json")))
	lt, err := fake.Load(filepath.Join(dir, "first.json"))
	must(t, err)
	must(t, lt.Save(filepath.Join(dir, "second.json")))
	first, err := os.ReadFile(filepath.Join(dir, "first.json"))
	must(t, err)
	second, err := os.ReadFile(filepath.Join(dir, "second.json"))
	must(t, err)
	if string(first) != string(second) {
		t.Errorf("Save after Load differs:\n%s\nthen\n%s", first, second)
	}
	if got, want := lt.OpLog(), ft.OpLog(); !slices.Equal(got, want) {
		t.Errorf("OpLog() of the loaded table = %q, want %q", got, want)
	}

	// The faults came back with the table.
	if _, err := lt.Open(); !errors.Is(err, ipvs.ErrNotAvailable) {
		t.Errorf("Open() of the loaded table: %v, want ErrNotAvailable", err)
	}
	lt.SetUnavailable(false)
	if err := lt.Flush(); !errors.Is(err, syscall.EBUSY) {
		t.Errorf("first Flush of the loaded table: %v, want EBUSY", err)
	}
	if err := lt.Flush(); !errors.Is(err, syscall.EPERM) {
		t.Errorf("second Flush of the loaded table: %v, want EPERM", err)
	}
	if _, err := lt.Info(); !errors.Is(err, syscall.EIO) {
		t.Errorf("Info of the loaded table: %v, want EIO", err)
	}

	// Without the faults, it reads back the same through the Table
	// interface, and its configuration came back too.
	lt.ClearFaults()
	ft.ClearFaults()
	if a, b := dump(t, ft), dump(t, lt); a != b {
		t.Errorf("loaded table differs:\n%s\nwant\n%s", b, a)
	}
	if err := lt.AddService(svc(ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.0.0.3"), 80), "twos")); err != nil {
		t.Errorf("scheduler list not restored: %v", err)
	}
	if err := lt.StartDaemon(ipvs.Daemon{State: ipvs.Master, Interface: "eth0"}); err != nil {
		t.Errorf("interfaces not restored: %v", err)
	}
}

func TestLoadMissingFile(t *testing.T) {
	ft, err := fake.Load(filepath.Join(t.TempDir(), "none.json"))
	must(t, err)
	if a, b := dump(t, ft), dump(t, fake.New()); a != b {
		t.Errorf("Load of a missing file:\n%s\nwant the pristine table\n%s", a, b)
	}
}

// A fixture lists only what it needs; the rest keeps New's defaults.
func TestLoadPartialFixture(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ipvs.json")
	fixture := `{"Services": [
	  {"Family": 2, "Protocol": 6, "Addr": "10.0.0.1", "Port": 80, "Scheduler": "rr", "Netmask": 4294967295,
	   "Dests": [{"Addr": "192.168.1.10", "Port": 80, "Weight": 1}]}
	], "Faults": {"Ops": [{"Op": "NEW_DEST", "Errno": "ENOMEM", "Once": true}]}}`
	must(t, os.WriteFile(path, []byte(fixture), 0o666))
	ft, err := fake.Load(path)
	must(t, err)
	s, err := ft.Service(web)
	must(t, err)
	if s.Flags != ipvs.FlagHashed {
		t.Errorf("loaded service flags %#x, want HASHED", s.Flags)
	}
	to, err := ft.Timeouts()
	must(t, err)
	if to != (ipvs.Timeouts{TCP: 900, TCPFin: 120, UDP: 300}) {
		t.Errorf("Timeouts() = %+v, want the defaults", to)
	}
	if err := ft.AddDest(web, real); !errors.Is(err, syscall.ENOMEM) {
		t.Errorf("AddDest = %v, want the fixture's ENOMEM", err)
	}
	must(t, ft.StartDaemon(ipvs.Daemon{State: ipvs.Master, Interface: "lo"}))
}

func TestLoadRejects(t *testing.T) {
	for name, content := range map[string]string{
		"unknown field":   `{"Servics": []}`,
		"not JSON":        `{`,
		"duplicate":       `{"Services": [{"Family": 2, "Fwmark": 1}, {"Family": 2, "Fwmark": 1}]}`,
		"bad errno":       `{"Faults": {"All": "EWHAT"}}`,
		"bad op":          `{"Faults": {"Ops": [{"Op": "FROB", "Errno": "EPERM"}]}}`,
		"two masters":     `{"Daemons": [{"State": 1}, {"State": 1}]}`,
		"dest twice":      `{"Services": [{"Family": 2, "Fwmark": 1, "Dests": [{"Addr": "1.2.3.4"}, {"Addr": "1.2.3.4"}]}]}`,
		"malformed key":   `{"Services": [{"Family": 2}]}`,
		"dest no address": `{"Services": [{"Family": 2, "Fwmark": 1, "Dests": [{"Port": 80}]}]}`,
	} {
		path := filepath.Join(t.TempDir(), "ipvs.json")
		must(t, os.WriteFile(path, []byte(content), 0o666))
		if _, err := fake.Load(path); err == nil {
			t.Errorf("%s: Load succeeded", name)
		}
	}
}

// The dump order imitates the kernel's hash table: not sorted, not
// creation order, but the same every time.
func TestServiceOrder(t *testing.T) {
	ft := fake.New()
	var added []ipvs.ServiceKey
	for i := range 50 {
		k := ipvs.AddrKey(ipvs.TCP, netip.AddrFrom4([4]byte{10, 0, byte(i / 10), byte(i)}), uint16(80+i%3))
		must(t, ft.AddService(svc(k, "rr")))
		added = append(added, k)
	}
	fw := ipvs.FwmarkKey(ipvs.INET, 1)
	must(t, ft.AddService(svc(fw, "rr")))
	list, err := ft.Services()
	must(t, err)
	var got []ipvs.ServiceKey
	for _, s := range list {
		got = append(got, s.ServiceKey)
	}
	if got[len(got)-1] != fw {
		t.Errorf("fwmark service not dumped last: %v", got)
	}
	got = got[:len(got)-1]
	if slices.Equal(got, added) {
		t.Error("services dumped in creation order")
	}
	if slices.IsSortedFunc(got, func(a, b ipvs.ServiceKey) int { return a.Addr.Compare(b.Addr) }) {
		t.Error("services dumped sorted by address")
	}
	again, err := ft.Services()
	must(t, err)
	if !reflect.DeepEqual(list, again) {
		t.Error("two dumps differ")
	}
}

// Zeroing touches counters, not connection counts.
func TestZeroKeepsConns(t *testing.T) {
	ft := fake.New()
	must(t, ft.AddService(svc(web, "rr")))
	must(t, ft.AddDest(web, real))
	must(t, ft.SetDestConns(web, real.Key(), 4, 5, 6))
	must(t, ft.SetDestStats(web, real.Key(), ipvs.Stats{Conns: 9, CPS: 1}))
	must(t, ft.ZeroAll())
	ds, err := ft.Dests(web)
	must(t, err)
	d := ds[0]
	if d.Stats != (ipvs.Stats{}) || d.ActiveConns != 4 || d.InactiveConns != 5 || d.PersistentConns != 6 {
		t.Errorf("after ZeroAll: %+v; want zero stats and conns 4/5/6", d)
	}
	// Requests cannot set what the kernel counts.
	req := real
	req.ActiveConns, req.Stats = 100, ipvs.Stats{Conns: 100}
	must(t, ft.EditDest(web, req))
	ds, _ = ft.Dests(web)
	if ds[0].ActiveConns != 4 || ds[0].Stats != (ipvs.Stats{}) {
		t.Errorf("EditDest set read-only fields: %+v", ds[0])
	}
}

func TestFixtureErrors(t *testing.T) {
	ft := fake.New()
	if err := ft.SetServiceStats(web, ipvs.Stats{}); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("SetServiceStats of a missing service: %v, want ESRCH", err)
	}
	must(t, ft.AddService(svc(web, "rr")))
	if err := ft.SetDestConns(web, real.Key(), 1, 1, 1); !errors.Is(err, syscall.ENOENT) {
		t.Errorf("SetDestConns of a missing destination: %v, want ENOENT", err)
	}
	vip := netip.AddrPortFrom(web.Addr, web.Port)
	if err := ft.Connect(ipvs.TCP, vip); !errors.Is(err, syscall.EHOSTUNREACH) {
		t.Errorf("Connect without destinations: %v, want EHOSTUNREACH", err)
	}
	quiesced := real
	quiesced.Weight = 0
	must(t, ft.AddDest(web, quiesced))
	if err := ft.Connect(ipvs.TCP, vip); !errors.Is(err, syscall.EHOSTUNREACH) {
		t.Errorf("Connect with only a quiesced destination: %v, want EHOSTUNREACH", err)
	}
	if len(ft.OpLog()) != 2 {
		t.Errorf("fixtures were logged: %q", ft.OpLog())
	}
}

// Kernel rules that the contract suite cannot exercise on a kernel
// without setting up the network.
func TestLocalAddresses(t *testing.T) {
	ft := fake.New()
	k6 := ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("2001:db8::1"), 80)
	must(t, ft.AddService(ipvs.Service{ServiceKey: k6, Scheduler: "rr", Netmask: 128}))
	ll := ipvs.Dest{Addr: netip.MustParseAddr("fe80::1"), Port: 80, Fwd: ipvs.Route, Weight: 1}
	if err := ft.AddDest(k6, ll); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("AddDest of a foreign link-local address: %v, want EINVAL", err)
	}
	// A link-local address of the host's own is accepted
	// (__ip_vs_addr_is_local_v6).
	ft.SetLocalPrefixes(netip.MustParsePrefix("fe80::1/128"), netip.MustParsePrefix("10.1.2.3/24"))
	must(t, ft.AddDest(k6, ll))
	// The broadcast address of a local subnet is not unicast.
	k4 := web
	must(t, ft.AddService(svc(k4, "rr")))
	bcast := ipvs.Dest{Addr: netip.MustParseAddr("10.1.2.255"), Port: 80, Fwd: ipvs.Route}
	if err := ft.AddDest(k4, bcast); !errors.Is(err, syscall.EINVAL) {
		t.Errorf("AddDest of a subnet broadcast address: %v, want EINVAL", err)
	}
	// 127.255.255.255 is no longer a broadcast address once lo's
	// prefix is gone.
	must(t, ft.AddDest(k4, ipvs.Dest{Addr: netip.MustParseAddr("127.255.255.255"), Port: 80, Fwd: ipvs.Route}))
}

func TestConcurrentUse(t *testing.T) {
	ft := fake.New()
	dir := t.TempDir()
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			k := ipvs.AddrKey(ipvs.TCP, netip.AddrFrom4([4]byte{10, 0, 0, byte(g)}), 80)
			for i := range 50 {
				if err := ft.AddService(svc(k, "rr")); err != nil {
					t.Error(err)
					return
				}
				d := ipvs.Dest{Addr: netip.AddrFrom4([4]byte{192, 168, byte(g), byte(i)}), Port: 80, Weight: 1}
				if err := ft.AddDest(k, d); err != nil {
					t.Error(err)
					return
				}
				if err := ft.Connect(ipvs.TCP, netip.AddrPortFrom(k.Addr, 80)); err != nil {
					t.Error(err)
					return
				}
				if _, err := ft.Services(); err != nil {
					t.Error(err)
				}
				if ds, err := ft.Dests(k); err != nil || len(ds) != 1 {
					t.Errorf("Dests: %v, %v", ds, err)
				}
				ft.ZeroAll()
				ft.SetTimeouts(ipvs.Timeouts{TCP: uint32(i + 1)})
				if i%10 == 0 {
					if err := ft.Save(filepath.Join(dir, fmt.Sprintf("g%d.json", g))); err != nil {
						t.Error(err)
					}
				}
				_ = ft.OpLog()
				if err := ft.DelService(k); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if list, _ := ft.Services(); len(list) != 0 {
		t.Errorf("%d services left", len(list))
	}
}
