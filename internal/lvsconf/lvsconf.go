// Package lvsconf reads and writes lvs.cf, the configuration Piranha's
// daemons share: the global settings of the director pair, the virtual
// services with their real servers, and the failover services.
//
// Parse accepts every key Piranha 0.8.6 accepts, with Piranha's defaults
// and value syntax (numbers as C's strtol reads them, addresses as
// inet_aton does, hostnames and service names looked up once), so a file
// Piranha reads means the same here. Piranha's traps are fixed where it
// rejected or mangled a file (see the scanner), errors name the file,
// line, column and key, and unknown keys are warnings. Format writes a
// Config as canonical lvs.cf that parses back to the same Config.
package lvsconf

import (
	"net/netip"
	"time"
)

// Network is the forwarding method of every real server.
type Network string

// The networks lvs.cf names.
const (
	NAT    Network = "nat"
	Direct Network = "direct"
	Tunnel Network = "tunnel"
)

// Config is one lvs.cf.
type Config struct {
	SerialNo       int64  // serial_no: bumped by Piranha's GUI on every save; unused
	Service        string // service: "lvs" (virtual services) or "fos" (failover services)
	Primary        netip.Addr
	PrimaryPrivate netip.Addr // primary_private: second heartbeat address of the primary
	PrimaryShared  string     // primary_shared: shared disk of the primary (fos only)
	Backup         netip.Addr
	BackupPrivate  netip.Addr
	BackupShared   string
	BackupActive   bool   // backup_active: a backup director exists
	Heartbeat      bool   // heartbeat: unused, heartbeats follow backup_active
	HeartbeatPort  uint16 // heartbeat_port: UDP port of the heartbeat, both ends
	// keepalive: time between heartbeats. Piranha took whole seconds;
	// lvskit also reads decimals ("0.1"), which Piranha refused.
	Keepalive time.Duration
	// deadtime: silence after which the partner is dead; as keepalive.
	Deadtime     time.Duration
	Network      Network
	NATRouter    netip.Addr // nat_router: floating gateway of NAT real servers...
	NATRouterDev string     // ...and the interface (dev:alias) it is raised on
	NATNetmask   netip.Addr // nat_nmask; 0.0.0.0: the system's choice
	// ReservationConflictAction is "nothing" or "preempt" (fos with a
	// shared disk only), or empty.
	ReservationConflictAction string
	DebugLevel                string // debug_level: unused
	RshCommand                string // rsh_command: how nanny runs "uptime" on a real server
	Sync                      bool   // sync: unused
	Ipvsadm                   string // ipvsadm: path of the ipvsadm binary
	ActiveCmd                 string // active_cmd: run when the director becomes active
	InactiveCmd               string // inactive_cmd: run when it becomes inactive
	MonitorLinks              int64  // monitor_links: non-zero to watch the NICs' links
	HardShutdown              bool   // hard_shutdown: Piranha's "a dead nanny shuts the director down"; unused
	SyncDaemon                bool   // syncdaemon: run the IPVS connection sync daemon
	SyncdIface                string // syncd_iface: its multicast interface
	SyncdID                   int64  // syncd_id: its sync id (0-255)
	TCPTimeout                int64  // tcp_timeout, tcpfin_timeout, udp_timeout: IPVS
	TCPFinTimeout             int64  // connection timeouts in seconds, 0 for the
	UDPTimeout                int64  // kernel's current value

	// pulse's extensions (see Extensions).
	HeartbeatSecretFile string
	HeartbeatMode       string        // "lvskit" or "piranha"
	Failback            string        // "never" or "preempt"
	FailbackDelay       time.Duration // preempt only: how long the better node waits
	PrimaryPriority     int64         // 1-255; equal priorities: the primary wins
	BackupPriority      int64
	GARPCount           int64         // gratuitous ARPs per VIP on activation
	GARPInterval        time.Duration // between two of them
	GARPRefresh         time.Duration // re-announce while active; 0: never
	ArbitrationGateway  netip.Addr    // pinged before a takeover; invalid: no arbitration

	Virtuals  []Virtual // virtual blocks, in file order
	Failovers []Virtual // failover blocks, in file order
}

// Virtual is a virtual block (a virtual service) or a failover block (a
// failover service, which has no real servers).
type Virtual struct {
	Name       string
	Active     bool
	Addr       netip.Addr // address: the VIP...
	Device     string     // ...and the interface alias (eth0:1) it is raised on
	VIPNetmask netip.Addr // vip_nmask; 0.0.0.0: the system's choice
	// SorryServer takes the traffic while no real server is up (none if
	// invalid).
	SorryServer netip.Addr
	Fwmark      uint32 // non-zero: the IPVS service is this firewall mark
	Port        uint16 // the virtual port, and the default real-server port
	Protocol    string // "tcp" or "udp"
	Scheduler   string
	Persistent  int64      // persistence timeout in seconds, 0 for none
	PMask       netip.Addr // persistence netmask; 0.0.0.0: unset
	// Send, Expect and SendProgram are the health check as nanny gets
	// it: a double-quoted value without its quotes, a single-quoted one
	// with them (as Piranha passes it on). Empty is unset.
	Send          string
	Expect        string
	UseRegex      bool
	SendProgram   string
	LoadMonitor   string // none, rup, ruptime, uptime or a program; empty is unset
	Timeout       int64  // seconds between checks, and each check's timeout
	Reentry       int64  // seconds a failed server must pass checks before it returns
	QuiesceServer bool   // a failed server gets weight 0 instead of leaving
	ClientMonitor string // the program run per real server (nanny)
	StartCmd      string // failover services only
	StopCmd       string
	Master        netip.Addr // legacy, unused (none if invalid)
	Dirs          []string   // legacy, unused
	// Check, CheckInterval, Fall and Rise are extensions (see
	// Extensions); zero is unset.
	Check         string
	CheckInterval int64
	Fall, Rise    int64
	// Forward is an extension: this virtual service's forwarding
	// method, where it differs from the global network; empty is unset.
	Forward Network
	Servers []Server
}

// NetworkOf is how v's real servers are forwarded: its own forward key,
// else the global network.
func (c *Config) NetworkOf(v *Virtual) Network {
	if v.Forward != "" {
		return v.Forward
	}
	return c.Network
}

// Server is a server block: a real server of a virtual service.
type Server struct {
	Name   string
	Addr   netip.Addr
	Active bool
	Weight int64
	Port   uint16 // the real port; by default the virtual port at the block
}

// Defaults returns the settings of an empty lvs.cf, Piranha's.
func Defaults() Config {
	return Config{
		Service:        "lvs",
		Primary:        netip.IPv4Unspecified(),
		PrimaryPrivate: netip.IPv4Unspecified(),
		Backup:         netip.IPv4Unspecified(),
		BackupPrivate:  netip.IPv4Unspecified(),
		NATNetmask:     netip.IPv4Unspecified(),
		HeartbeatPort:  539,
		Keepalive:      2 * time.Second,
		Deadtime:       5 * time.Second,
		Network:        NAT,
		DebugLevel:     "NONE",
		RshCommand:     "rsh",
		Ipvsadm:        "/sbin/ipvsadm",
		HardShutdown:   true,
		SyncdIface:     "eth0",

		HeartbeatMode:   "lvskit",
		Failback:        "never",
		FailbackDelay:   30 * time.Second,
		PrimaryPriority: 100,
		BackupPriority:  100,
		GARPCount:       5,
		GARPInterval:    time.Second,
		GARPRefresh:     60 * time.Second,
	}
}

// newVirtual is a virtual or failover block before its keys.
func newVirtual(name string) Virtual {
	return Virtual{
		Name:          name,
		Addr:          netip.IPv4Unspecified(),
		VIPNetmask:    netip.IPv4Unspecified(),
		PMask:         netip.IPv4Unspecified(),
		Port:          80,
		Protocol:      "tcp",
		Scheduler:     "wlc",
		Timeout:       10,
		Reentry:       180,
		ClientMonitor: "/usr/sbin/nanny",
	}
}

// newServer is a server block of v before its keys.
func newServer(name string, v *Virtual) Server {
	return Server{Name: name, Addr: netip.IPv4Unspecified(), Weight: 1, Port: v.Port}
}
