// Package fake is an in-memory ipvs.Table that behaves like the IPVS of
// the kernel lvskit targets, Debian 12's Linux 6.1: the same errnos,
// checked in the same order, the same defaults and the same quirks (the
// HASHED flag, destinations listed newest first, services listed in
// hash-bucket order, persistence timeouts kept in jiffies).
//
// Behaviour copied from the kernel names the kernel function it comes from;
// unless said otherwise that function is in net/netfilter/ipvs/ip_vs_ctl.c.
// The contract suite in package ipvstest holds the fake and the kernel to
// the same expectations, and where they differ the kernel is right.
//
// Beyond ipvs.Table a Table offers fixtures (counters, connection counts,
// interfaces, local networks, loadable schedulers), fault injection, a log
// of the commands it received, and persistence to a JSON file so that the
// several processes of one test script share one table. Only tests wire
// the file up; nothing in this package reads the environment.
package fake

import (
	"fmt"
	"net/netip"
	"slices"
	"sync"
	"syscall"

	"lvskit/internal/ipvs"
)

const (
	// hz is CONFIG_HZ of Debian's amd64 kernels. The kernel keeps
	// persistence and connection timeouts in jiffies.
	hz = 250

	// defaultVersion is IP_VS_VERSION_CODE (1.2.1), unchanged for years.
	defaultVersion = 0x010201
	// defaultConnTabSize is 1 << CONFIG_IP_VS_TAB_BITS with Debian's 12.
	defaultConnTabSize = 4096

	// The connection timeouts a fresh namespace starts with: the TCP
	// ESTABLISHED and FIN_WAIT entries of tcp_timeouts (ip_vs_proto_tcp.c)
	// and the UDP NORMAL entry of udp_timeouts (ip_vs_proto_udp.c).
	defaultTCPTimeout    = 900
	defaultTCPFinTimeout = 120
	defaultUDPTimeout    = 300
)

// defaultSchedulers are the scheduler modules Debian's 6.1 kernel ships.
// ("twos" only appeared in 6.2.)
var defaultSchedulers = []string{
	"dh", "fo", "lblc", "lblcr", "lc", "mh", "nq", "ovf", "rr", "sed", "sh", "wlc", "wrr",
}

// defaultPEs are the persistence engine modules Debian's 6.1 kernel ships.
var defaultPEs = []string{"sip"}

// defaultLocal are the addresses of "lo" once it is up, which is all a
// fresh network namespace has.
var defaultLocal = []netip.Prefix{
	netip.MustParsePrefix("127.0.0.0/8"),
	netip.MustParsePrefix("::1/128"),
}

// Table is an in-memory IPVS table. The zero value is not usable; call
// New or Load. A Table is safe for concurrent use, and every slice or
// value it returns is a copy.
type Table struct {
	mu sync.Mutex

	info     ipvs.Info
	timeouts ipvs.Timeouts
	services map[ipvs.ServiceKey]*service
	seq      uint64 // order of creation, for the dump order
	master   *ipvs.Daemon
	backup   *ipvs.Daemon

	interfaces map[string]int // name → MTU
	local      []netip.Prefix
	schedulers map[string]bool
	pes        map[string]bool

	faults faults
	oplog  []string
}

var _ ipvs.Table = (*Table)(nil)

// New returns a table in the state of a fresh network namespace: no
// services, no sync daemons, default timeouts (900 120 300), version
// 1.2.1 with a 4096-entry connection table, and one interface, "lo", with
// MTU 65536 and the local addresses 127.0.0.0/8 and ::1.
func New() *Table {
	t := &Table{
		info:       ipvs.Info{Version: defaultVersion, ConnTabSize: defaultConnTabSize},
		timeouts:   ipvs.Timeouts{TCP: defaultTCPTimeout, TCPFin: defaultTCPFinTimeout, UDP: defaultUDPTimeout},
		services:   map[ipvs.ServiceKey]*service{},
		interfaces: map[string]int{"lo": 65536},
		local:      slices.Clone(defaultLocal),
		faults:     faults{ops: map[Op]opFault{}},
	}
	t.schedulers = set(defaultSchedulers)
	t.pes = set(defaultPEs)
	return t
}

func set(names []string) map[string]bool {
	m := make(map[string]bool, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

// Open returns t as an ipvs.Table, the way a production opener returns the
// kernel client. It fails with ipvs.ErrNotAvailable while t simulates a
// kernel without IPVS (SetUnavailable).
func (t *Table) Open() (ipvs.Table, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.faults.unavailable {
		return nil, fmt.Errorf("fake ipvs: open: %w", ipvs.ErrNotAvailable)
	}
	return t, nil
}

// Close does nothing: the table outlives its users, as the kernel's does.
func (t *Table) Close() error { return nil }

// SetInfo sets what Info reports.
func (t *Table) SetInfo(i ipvs.Info) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.info = i
}

// SetInterface adds or changes a network interface that sync daemons can
// bind to.
func (t *Table) SetInterface(name string, mtu int) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.interfaces[name] = mtu
}

// RemoveInterface removes a network interface.
func (t *Table) RemoveInterface(name string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	delete(t.interfaces, name)
}

// SetLocalPrefixes replaces the networks whose addresses are local to the
// host (by default lo's: 127.0.0.0/8 and ::1/128). They decide which
// destination addresses the kernel accepts (ip_vs_new_dest).
func (t *Table) SetLocalPrefixes(prefixes ...netip.Prefix) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.local = slices.Clone(prefixes)
}

// SetSchedulers replaces the scheduler modules the kernel can find. Any
// other name, except "none", makes AddService and EditService fail with
// ENOENT.
func (t *Table) SetSchedulers(names ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.schedulers = set(names)
}

// SetPEs replaces the persistence engine modules the kernel can find.
func (t *Table) SetPEs(names ...string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.pes = set(names)
}

// Info returns the configured version and connection table size.
func (t *Table) Info() (ipvs.Info, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fault(OpGetInfo); err != nil {
		return ipvs.Info{}, err
	}
	return t.info, nil
}

// Timeouts returns the TCP, TCP FIN and UDP timeouts.
func (t *Table) Timeouts() (ipvs.Timeouts, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if err := t.fault(OpGetConfig); err != nil {
		return ipvs.Timeouts{}, err
	}
	return t.timeouts, nil
}

// maxTimeout is the largest timeout ip_vs_set_timeout accepts: the value
// is kept in an int of jiffies, so it must not exceed INT_MAX / HZ.
const maxTimeout = (1<<31 - 1) / hz

// SetTimeouts sets the non-zero timeouts.
func (t *Table) SetTimeouts(to ipvs.Timeouts) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	err := t.setTimeouts(to)
	t.record(OpSetConfig, fmt.Sprintf("tcp=%d tcpfin=%d udp=%d", to.TCP, to.TCPFin, to.UDP), err)
	return err
}

func (t *Table) setTimeouts(to ipvs.Timeouts) error {
	if err := t.fault(OpSetConfig); err != nil {
		return err
	}
	// ip_vs_set_timeout checks all three before setting any; a u32 above
	// INT_MAX arrives negative and fails the same test.
	for _, v := range []uint32{to.TCP, to.TCPFin, to.UDP} {
		if v > maxTimeout {
			return fail(OpSetConfig, syscall.EINVAL, fmt.Sprintf("timeout %d above %d", v, maxTimeout))
		}
	}
	// ip_vs_genl_set_config starts from the current values, and
	// ip_vs_set_timeout leaves a zero one alone.
	if to.TCP != 0 {
		t.timeouts.TCP = to.TCP
	}
	if to.TCPFin != 0 {
		t.timeouts.TCPFin = to.TCPFin
	}
	if to.UDP != 0 {
		t.timeouts.UDP = to.UDP
	}
	return nil
}

// fail builds the error of a failed command: the errno, with the command
// and what it was about as context.
func fail(op Op, errno syscall.Errno, what string) error {
	return fmt.Errorf("fake ipvs: %s %s: %w", op, what, errno)
}
