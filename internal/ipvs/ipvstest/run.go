package ipvstest

import (
	"errors"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"syscall"
	"testing"

	"lvskit/internal/ipvs"
)

// Run runs the contract suite against the backend behind h, one subtest
// per behaviour, each on a fresh table from h.Open.
func Run(t *testing.T, h Harness) {
	for _, chk := range allChecks() {
		t.Run(chk.name, func(t *testing.T) {
			chk.run(&tc{reporter: t, t: t, h: h, tb: h.Open(t)})
		})
	}
}

// check is one behaviour of the contract.
type check struct {
	name string
	run  func(c *tc)
}

func allChecks() []check {
	return slices.Concat(serviceChecks, destChecks, configChecks, statsChecks)
}

// reporter is the part of testing.TB the checks report through. The suite
// passes its *testing.T; the self-test passes a recorder, to prove that a
// check fails on a broken table.
type reporter interface {
	Helper()
	Errorf(format string, args ...any)
	Fatalf(format string, args ...any)
	Skipf(format string, args ...any)
	Logf(format string, args ...any)
}

// tc is what a check works with.
type tc struct {
	reporter
	t  *testing.T // for the Harness, which takes a *testing.T
	h  Harness
	tb ipvs.Table
}

// ok stops the check if err is not nil.
func (c *tc) ok(err error, format string, args ...any) {
	c.Helper()
	if err != nil {
		c.Fatalf("%s: unexpected error: %v", fmt.Sprintf(format, args...), err)
	}
}

// errno reports whether err is want, and says so if it is not.
func (c *tc) errno(err error, want syscall.Errno, format string, args ...any) bool {
	c.Helper()
	if !errors.Is(err, want) {
		c.Errorf("%s: got error %v, want %s (%v)", fmt.Sprintf(format, args...), err, errnoName(want), want)
		return false
	}
	return true
}

// fails checks that op fails with want and leaves the table as it was.
func (c *tc) fails(want syscall.Errno, what string, op func() error) {
	c.Helper()
	before := c.snapshot()
	if c.errno(op(), want, "%s", what) {
		c.unchanged(before, what)
	}
}

// snapshot is everything a client can read back from a table.
type snapshot struct {
	services map[ipvs.ServiceKey]ipvs.Service
	dests    map[ipvs.ServiceKey][]ipvs.Dest
	timeouts ipvs.Timeouts
	daemons  []ipvs.Daemon
}

func (c *tc) snapshot() snapshot {
	c.Helper()
	s := snapshot{services: map[ipvs.ServiceKey]ipvs.Service{}, dests: map[ipvs.ServiceKey][]ipvs.Dest{}}
	for _, svc := range c.services() {
		s.services[svc.ServiceKey] = svc
		s.dests[svc.ServiceKey] = c.dests(svc.ServiceKey)
	}
	var err error
	s.timeouts, err = c.tb.Timeouts()
	c.ok(err, "Timeouts")
	s.daemons, err = c.tb.Daemons()
	c.ok(err, "Daemons")
	return s
}

// unchanged reports a difference between the table and before.
func (c *tc) unchanged(before snapshot, what string) {
	c.Helper()
	after := c.snapshot()
	if !equalSnapshots(before, after) {
		c.Errorf("%s changed the table:\nbefore %+v\nafter  %+v", what, before, after)
	}
}

func equalSnapshots(a, b snapshot) bool { return reflect.DeepEqual(a, b) }

// services dumps the services.
func (c *tc) services() []ipvs.Service {
	c.Helper()
	list, err := c.tb.Services()
	c.ok(err, "Services")
	return list
}

// dests dumps the destinations of k.
func (c *tc) dests(k ipvs.ServiceKey) []ipvs.Dest {
	c.Helper()
	list, err := c.tb.Dests(k)
	c.ok(err, "Dests(%s)", k)
	return list
}

// addService adds s, stopping the check on failure.
func (c *tc) addService(s ipvs.Service) {
	c.Helper()
	c.ok(c.tb.AddService(s), "AddService(%s)", s.ServiceKey)
}

// addDest adds d to k, stopping the check on failure.
func (c *tc) addDest(k ipvs.ServiceKey, d ipvs.Dest) {
	c.Helper()
	c.ok(c.tb.AddDest(k, d), "AddDest(%s, %s)", k, d.Key())
}

// wantService checks that Service and the dump both show want.
func (c *tc) wantService(want ipvs.Service) {
	c.Helper()
	got, err := c.tb.Service(want.ServiceKey)
	c.ok(err, "Service(%s)", want.ServiceKey)
	if got != want {
		c.Errorf("Service(%s):\n got %+v\nwant %+v", want.ServiceKey, got, want)
	}
	found := 0
	for _, s := range c.services() {
		if s.ServiceKey == want.ServiceKey {
			found++
			if s != want {
				c.Errorf("Services() entry for %s:\n got %+v\nwant %+v", want.ServiceKey, s, want)
			}
		}
	}
	if found != 1 {
		c.Errorf("Services() lists %s %d times, want once", want.ServiceKey, found)
	}
}

// wantDests checks that the dump of k's destinations is want, in order.
func (c *tc) wantDests(k ipvs.ServiceKey, want ...ipvs.Dest) {
	c.Helper()
	got := c.dests(k)
	if !slices.Equal(got, want) {
		c.Errorf("Dests(%s):\n got %s\nwant %s", k, fmtDests(got), fmtDests(want))
	}
}

// wantDaemons checks that Daemons lists want, in order.
func (c *tc) wantDaemons(want ...ipvs.Daemon) {
	c.Helper()
	got, err := c.tb.Daemons()
	c.ok(err, "Daemons")
	if !slices.Equal(got, want) {
		c.Errorf("Daemons():\n got %+v\nwant %+v", got, want)
	}
}

func fmtDests(ds []ipvs.Dest) string {
	if len(ds) == 0 {
		return "[]"
	}
	s := ""
	for _, d := range ds {
		s += fmt.Sprintf("\n  %+v", d)
	}
	return s
}

func errnoName(e syscall.Errno) string {
	names := map[syscall.Errno]string{
		syscall.EPERM: "EPERM", syscall.ENOENT: "ENOENT", syscall.ESRCH: "ESRCH",
		syscall.EEXIST: "EEXIST", syscall.ENODEV: "ENODEV", syscall.EINVAL: "EINVAL",
		syscall.ERANGE: "ERANGE", syscall.EAFNOSUPPORT: "EAFNOSUPPORT", syscall.ENETUNREACH: "ENETUNREACH",
	}
	if n, ok := names[e]; ok {
		return n
	}
	return fmt.Sprintf("errno %d", uint(e))
}

// Helpers to build requests.

var addr = netip.MustParseAddr

// key returns the key of the service proto addr:port.
func key(proto ipvs.Protocol, a string, port uint16) ipvs.ServiceKey {
	return ipvs.AddrKey(proto, addr(a), port)
}

// fullMask is the netmask ipvsadm sends by default: all ones for IPv4, a
// 128-bit prefix for IPv6.
func fullMask(f ipvs.Family) uint32 {
	if f == ipvs.INET6 {
		return 128
	}
	return 0xffffffff
}

// newService returns the request for a service with only a key and a
// scheduler: flags 0, timeout 0, full netmask.
func newService(k ipvs.ServiceKey, sched string) ipvs.Service {
	return ipvs.Service{ServiceKey: k, Scheduler: sched, Netmask: fullMask(k.Family)}
}

// stored returns what the kernel reports for a service created from req:
// the request with HASHED set.
func stored(req ipvs.Service) ipvs.Service {
	req.Flags |= ipvs.FlagHashed
	req.Stats = ipvs.Stats{}
	return req
}

// dest returns a destination request.
func dest(a string, port uint16, fwd ipvs.FwdMethod, weight int32) ipvs.Dest {
	return ipvs.Dest{Addr: addr(a), Port: port, Fwd: fwd, Weight: weight}
}
