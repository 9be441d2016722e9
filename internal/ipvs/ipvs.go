// Package ipvs holds the domain types of the Linux IP Virtual Server table
// and the Table interface through which every lvskit tool reads and changes
// it.
//
// The types mirror what the kernel's generic netlink family "IPVS" carries
// (include/uapi/linux/ip_vs.h), expressed with net/netip and named
// constants instead of raw unions and bit masks. The Table methods follow
// kernel commands, not ipvsadm flags: ipvsadm's defaults (scheduler wlc,
// weight 1, netmask 0xffffffff) are applied by ipvsadm, never here.
//
// Errors returned by a Table wrap the kernel's errno as a syscall.Errno, so
// callers test them with errors.Is(err, syscall.ESRCH) and so on. A kernel
// without IPVS is reported as ErrNotAvailable, distinct from EPERM.
package ipvs

import (
	"errors"
	"fmt"
	"net/netip"
)

// ErrNotAvailable reports that the kernel has no IPVS: the generic netlink
// family "IPVS" does not resolve (ip_vs is neither built in nor loaded).
// It is deliberately not an errno, so it cannot be confused with EPERM or
// with an ENOENT returned by a command.
var ErrNotAvailable = errors.New("IPVS is not available in this kernel")

// Table is the IPVS table of one network namespace. Implementations are
// safe for concurrent use.
type Table interface {
	// Info returns the IPVS version and connection hash table size
	// (IPVS_CMD_GET_INFO).
	Info() (Info, error)

	// Services dumps every virtual service, in the kernel's order
	// (IPVS_CMD_GET_SERVICE with NLM_F_DUMP). The order is not sorted.
	Services() ([]Service, error)
	// Service returns one service (IPVS_CMD_GET_SERVICE); ESRCH if absent.
	Service(ServiceKey) (Service, error)
	// AddService creates a service (IPVS_CMD_NEW_SERVICE). EEXIST if it
	// exists, ENOENT for an unknown scheduler or persistence engine.
	AddService(Service) error
	// EditService changes the scheduler, persistence engine, flags,
	// timeout and netmask of an existing service (IPVS_CMD_SET_SERVICE).
	EditService(Service) error
	// DelService removes a service and its destinations
	// (IPVS_CMD_DEL_SERVICE).
	DelService(ServiceKey) error
	// Flush removes every service (IPVS_CMD_FLUSH).
	Flush() error
	// ZeroAll zeroes the counters of every service and destination
	// (IPVS_CMD_ZERO without a service).
	ZeroAll() error
	// ZeroService zeroes the counters of one service and its destinations
	// (IPVS_CMD_ZERO with a service).
	ZeroService(ServiceKey) error

	// Dests dumps the destinations of a service (IPVS_CMD_GET_DEST with
	// NLM_F_DUMP). A missing service yields an empty list, not an error,
	// as in the kernel.
	Dests(ServiceKey) ([]Dest, error)
	// ListDests dumps the destinations of each service of keys, in
	// order, as Dests does, and passes each list to each with the
	// service's index in keys. It stops at the first error, of a dump or
	// of each, and returns it; the services after it are not passed.
	// each runs on the calling goroutine and may keep the lists; the
	// table may fetch ahead of it.
	ListDests(keys []ServiceKey, each func(i int, dests []Dest) error) error
	// AddDest adds a destination to a service (IPVS_CMD_NEW_DEST).
	AddDest(ServiceKey, Dest) error
	// EditDest changes an existing destination (IPVS_CMD_SET_DEST).
	EditDest(ServiceKey, Dest) error
	// DelDest removes a destination (IPVS_CMD_DEL_DEST).
	DelDest(ServiceKey, DestKey) error

	// Timeouts returns the TCP, TCP FIN and UDP connection timeouts
	// (IPVS_CMD_GET_CONFIG).
	Timeouts() (Timeouts, error)
	// SetTimeouts sets the timeouts; a zero field leaves that timeout
	// unchanged (IPVS_CMD_SET_CONFIG).
	SetTimeouts(Timeouts) error

	// Daemons lists the running connection synchronisation daemons,
	// master first (IPVS_CMD_GET_DAEMON with NLM_F_DUMP).
	Daemons() ([]Daemon, error)
	// StartDaemon starts a sync daemon (IPVS_CMD_NEW_DAEMON). EEXIST if
	// one in that state already runs, ENODEV for an unknown interface.
	StartDaemon(Daemon) error
	// StopDaemon stops the sync daemon in the given state
	// (IPVS_CMD_DEL_DAEMON). ESRCH if none runs.
	StopDaemon(DaemonState) error

	// Close releases the table's resources.
	Close() error
}

// Family is an address family, with the values of AF_INET and AF_INET6.
type Family uint16

// Address families.
const (
	INET  Family = 2
	INET6 Family = 10
)

// FamilyOf returns the family of a: INET for a 4-byte address, INET6
// otherwise (an IPv4-mapped IPv6 address is INET6, as the kernel sees it).
func FamilyOf(a netip.Addr) Family {
	if a.Is4() {
		return INET
	}
	return INET6
}

func (f Family) String() string {
	switch f {
	case INET:
		return "inet"
	case INET6:
		return "inet6"
	}
	return fmt.Sprintf("family(%d)", uint16(f))
}

// Protocol is an IP protocol number.
type Protocol uint16

// Protocols a virtual service can balance.
const (
	TCP  Protocol = 6
	UDP  Protocol = 17
	SCTP Protocol = 132
)

func (p Protocol) String() string {
	switch p {
	case TCP:
		return "TCP"
	case UDP:
		return "UDP"
	case SCTP:
		return "SCTP"
	}
	return fmt.Sprintf("protocol(%d)", uint16(p))
}

// ServiceFlags are the IP_VS_SVC_F_* service flags.
type ServiceFlags uint32

// Service flags. The three scheduler flags have per-scheduler meanings;
// the named aliases are those of the sh and mh schedulers.
const (
	FlagPersistent ServiceFlags = 0x0001
	// FlagHashed is set by the kernel on every service it stores; it is
	// never meaningful in a request.
	FlagHashed     ServiceFlags = 0x0002
	FlagOnePacket  ServiceFlags = 0x0004
	FlagSched1     ServiceFlags = 0x0008
	FlagSched2     ServiceFlags = 0x0010
	FlagSched3     ServiceFlags = 0x0020
	FlagSHFallback              = FlagSched1
	FlagSHPort                  = FlagSched2
	FlagMHFallback              = FlagSched1
	FlagMHPort                  = FlagSched2
)

// ServiceKey identifies a virtual service: either a firewall mark, or a
// protocol, address and port. For a firewall-mark service Protocol, Addr
// and Port are zero.
type ServiceKey struct {
	Family   Family
	Protocol Protocol
	Addr     netip.Addr
	Port     uint16
	Fwmark   uint32
}

// AddrKey returns the key of the service proto addr:port.
func AddrKey(proto Protocol, addr netip.Addr, port uint16) ServiceKey {
	return ServiceKey{Family: FamilyOf(addr), Protocol: proto, Addr: addr, Port: port}
}

// FwmarkKey returns the key of the firewall-mark service mark in family f.
func FwmarkKey(f Family, mark uint32) ServiceKey {
	return ServiceKey{Family: f, Fwmark: mark}
}

// Validate reports whether k can name a service: a known family and either
// a non-zero firewall mark or an address of that family.
func (k ServiceKey) Validate() error {
	if k.Family != INET && k.Family != INET6 {
		return fmt.Errorf("ipvs: service key: unknown address family %d", k.Family)
	}
	if k.Fwmark != 0 {
		if k.Addr.IsValid() || k.Port != 0 || k.Protocol != 0 {
			return fmt.Errorf("ipvs: service key: fwmark %d with an address, port or protocol", k.Fwmark)
		}
		return nil
	}
	if !k.Addr.IsValid() {
		return errors.New("ipvs: service key: neither fwmark nor address")
	}
	if FamilyOf(k.Addr) != k.Family {
		return fmt.Errorf("ipvs: service key: address %s is not %s", k.Addr, k.Family)
	}
	return nil
}

func (k ServiceKey) String() string {
	if k.Fwmark != 0 {
		return fmt.Sprintf("FWM %d (%s)", k.Fwmark, k.Family)
	}
	return fmt.Sprintf("%s %s", k.Protocol, netip.AddrPortFrom(k.Addr, k.Port))
}

// Option is the key as ipvsadm's service option names it: "-t
// 10.0.0.1:80", "-u 10.0.0.1:53", "-f 1", "-f 1 -6". lvsd and nanny log
// their changes as ipvsadm command lines an operator can run.
func (k ServiceKey) Option() string {
	if k.Fwmark != 0 {
		if k.Family == INET6 {
			return fmt.Sprintf("-f %d -6", k.Fwmark)
		}
		return fmt.Sprintf("-f %d", k.Fwmark)
	}
	flag := map[Protocol]string{TCP: "-t", UDP: "-u", SCTP: "--sctp-service"}[k.Protocol]
	return flag + " " + netip.AddrPortFrom(k.Addr, k.Port).String()
}

// Service is a virtual service.
type Service struct {
	ServiceKey
	// Scheduler is the scheduler's name ("wlc", "rr", …); the kernel
	// reports "none" for a service created without one.
	Scheduler string
	// PE is the persistence engine's name ("sip"), empty for none.
	PE    string
	Flags ServiceFlags
	// Timeout is the persistence timeout in seconds.
	Timeout uint32
	// Netmask is the persistence granularity. For IPv4 it is the mask as
	// a number (255.255.255.0 is 0xffffff00); for IPv6 it is a prefix
	// length, which the kernel requires to be 1 to 128.
	Netmask uint32
	// Stats are read-only counters, ignored in requests.
	Stats Stats
}

// Key returns the service's identity.
func (s Service) Key() ServiceKey { return s.ServiceKey }

// FwdMethod is a destination's packet-forwarding method
// (IP_VS_CONN_F_FWD_MASK bits).
type FwdMethod uint32

// Forwarding methods.
const (
	Masq      FwdMethod = 0
	LocalNode FwdMethod = 1
	Tunnel    FwdMethod = 2
	Route     FwdMethod = 3
	Bypass    FwdMethod = 4
)

// Flag is ipvsadm's option for the method: -g, -i, or -m (the one
// ipvsadm also lists local and bypass destinations under).
func (m FwdMethod) Flag() string {
	switch m {
	case Route:
		return "-g"
	case Tunnel:
		return "-i"
	}
	return "-m"
}

func (m FwdMethod) String() string {
	switch m {
	case Masq:
		return "Masq"
	case LocalNode:
		return "Local"
	case Tunnel:
		return "Tunnel"
	case Route:
		return "Route"
	case Bypass:
		return "Bypass"
	}
	return fmt.Sprintf("fwd(%d)", uint32(m))
}

// TunnelType is the encapsulation of a tunnel-forwarded destination.
type TunnelType uint8

// Tunnel types (IP_VS_CONN_F_TUNNEL_TYPE_*).
const (
	TunnelIPIP TunnelType = 0
	TunnelGUE  TunnelType = 1
	TunnelGRE  TunnelType = 2
)

func (t TunnelType) String() string {
	switch t {
	case TunnelIPIP:
		return "ipip"
	case TunnelGUE:
		return "gue"
	case TunnelGRE:
		return "gre"
	}
	return fmt.Sprintf("tunnel(%d)", uint8(t))
}

// TunnelFlags are the checksum options of a GUE or GRE tunnel
// (IP_VS_TUNNEL_ENCAP_FLAG_*); zero means no checksum.
type TunnelFlags uint16

// Tunnel flags.
const (
	TunnelNoCsum  TunnelFlags = 0
	TunnelCsum    TunnelFlags = 1 << 0
	TunnelRemCsum TunnelFlags = 1 << 1
)

// DestKey identifies a destination (real server) within a service.
type DestKey struct {
	Addr netip.Addr
	Port uint16
}

func (k DestKey) String() string { return netip.AddrPortFrom(k.Addr, k.Port).String() }

// Dest is a destination (real server) of a virtual service. Its address
// family is that of Addr; it may differ from the service's only with
// tunnel forwarding.
type Dest struct {
	Addr           netip.Addr
	Port           uint16
	Fwd            FwdMethod
	Weight         int32
	UpperThreshold uint32
	LowerThreshold uint32
	TunnelType     TunnelType
	TunnelPort     uint16
	TunnelFlags    TunnelFlags

	// The connection counts and Stats are read-only, ignored in requests.
	ActiveConns     uint32
	InactiveConns   uint32
	PersistentConns uint32
	Stats           Stats
}

// Key returns the destination's identity within its service.
func (d Dest) Key() DestKey { return DestKey{Addr: d.Addr, Port: d.Port} }

// RealPort is the port a destination of svc forwarded with fwd gets when
// port is asked for, as ipvsadm sends it: direct routing and tunnelling
// cannot change the port, so ipvsadm silently sends the virtual port
// instead; a firewall-mark service has no port of its own (0 = the
// packet's port) and keeps the one asked for.
func RealPort(svc ServiceKey, fwd FwdMethod, port uint16) uint16 {
	if svc.Fwmark == 0 && (fwd == Route || fwd == Tunnel) {
		return svc.Port
	}
	return port
}

// Family returns the destination's address family.
func (d Dest) Family() Family { return FamilyOf(d.Addr) }

// Stats are the traffic counters and rate estimates of a service or
// destination. The kernel keeps them as 64-bit values; the older STATS
// attribute truncates all but the byte counters to 32 bits, so clients
// prefer STATS64.
type Stats struct {
	Conns    uint64 // connections scheduled
	InPkts   uint64 // incoming packets
	OutPkts  uint64 // outgoing packets
	InBytes  uint64 // incoming bytes
	OutBytes uint64 // outgoing bytes
	CPS      uint64 // connections per second
	InPPS    uint64 // incoming packets per second
	OutPPS   uint64 // outgoing packets per second
	InBPS    uint64 // incoming bytes per second
	OutBPS   uint64 // outgoing bytes per second
}

// Timeouts are the connection timeouts in seconds. In SetTimeouts a zero
// field means "leave unchanged".
type Timeouts struct {
	TCP    uint32
	TCPFin uint32
	UDP    uint32
}

// DaemonState is the role of a connection synchronisation daemon.
type DaemonState uint32

// Sync daemon states (IP_VS_STATE_*).
const (
	Master DaemonState = 1
	Backup DaemonState = 2
)

func (s DaemonState) String() string {
	switch s {
	case Master:
		return "master"
	case Backup:
		return "backup"
	}
	return fmt.Sprintf("state(%d)", uint32(s))
}

// Daemon is a connection synchronisation daemon. In StartDaemon a zero
// MaxLen, Port or TTL, and an invalid Group, ask for the kernel's default;
// Daemons reports the values in effect.
type Daemon struct {
	State     DaemonState
	Interface string
	SyncID    uint32
	MaxLen    uint16
	Group     netip.Addr
	Port      uint16
	TTL       uint8
}

// Info describes the kernel's IPVS.
type Info struct {
	// Version is encoded as major<<16 | minor<<8 | patch.
	Version uint32
	// ConnTabSize is the size of the connection hash table.
	ConnTabSize uint32
}

// VersionString formats Version as "major.minor.patch".
func (i Info) VersionString() string {
	return fmt.Sprintf("%d.%d.%d", i.Version>>16&0xff, i.Version>>8&0xff, i.Version&0xff)
}
