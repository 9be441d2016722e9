// Package ipvsadm is lvskit's ipvsadm: a drop-in replacement for ipvsadm
// 1.31 (Debian's build) that edits the kernel's IPVS table through
// internal/ipvs.Table. Data flows one way: argv → Parse → Command → Table
// calls → formatted output. Output formats, error texts and exit codes are
// ipvsadm 1.31's, byte for byte; the deliberate differences are listed in
// the COMPATIBILITY section of man/ipvsadm.8.
package ipvsadm

import (
	"net/netip"

	"lvskit/internal/ipvs"
)

// Cmd is an ipvsadm command: the first option of a command line.
type Cmd int

// Commands, with the internal names ipvsadm uses in its messages.
const (
	CmdNone        Cmd = iota
	CmdAddService      // -A, "add-service"
	CmdEditService     // -E, "edit-service"
	CmdDelService      // -D, "delete-service"
	CmdFlush           // -C, "flush"
	CmdList            // -L/-l, "list"
	CmdAddServer       // -a, "add-server"
	CmdDelServer       // -d, "delete-server"
	CmdEditServer      // -e, "edit-server"
	CmdSet             // --set, "set"
	CmdStartDaemon     // --start-daemon, "start-daemon"
	CmdStopDaemon      // --stop-daemon, "stop-daemon"
	CmdRestore         // -R, "restore"
	CmdSave            // -S, "save"
	CmdZero            // -Z, "zero"
	CmdHelp            // -h, only as the first option
	CmdVersion         // -v, only as the first option
)

// Opt is a set of options, one bit per option in ipvsadm's order, which
// is the column order of its command/option matrix and the order in which
// the matrix is checked.
type Opt uint64

// Options, with the internal names ipvsadm uses in its messages.
const (
	OptNumeric        Opt = 1 << iota // "numeric" -n
	OptConnection                     // "connection" -c
	OptService                        // "service-address" -t -u -f --sctp-service
	OptScheduler                      // "scheduler" -s
	OptPersistent                     // "persistent" -p
	OptNetmask                        // "netmask" -M
	OptRealServer                     // "real-server" -r
	OptForward                        // "forwarding-method" -g -i -m
	OptWeight                         // "weight" -w
	OptUThreshold                     // "u-threshold" -x
	OptLThreshold                     // "l-threshold" -y
	OptMcastInterface                 // "mcast-interface"
	OptTimeout                        // "timeout"
	OptDaemon                         // "daemon"
	OptStats                          // "stats"
	OptRate                           // "rate"
	OptThresholds                     // "thresholds"
	OptPersistentConn                 // "persistent-conn"
	OptNoSort                         // "nosort"
	OptSyncID                         // "syncid"
	OptExact                          // "exact" -X
	OptOps                            // "ops" -o
	OptPE                             // "pe"
	OptSchedFlags                     // "sched-flags" -b
	OptMcastGroup                     // "mcast-group"
	OptMcastPort                      // "mcast-port"
	OptMcastTTL                       // "mcast-ttl"
	OptSyncMaxLen                     // "sync-maxlen"
	OptTunInfo                        // "tun-info"
	OptTunType                        // "tun-type"
	OptTunPort                        // "tun-port"
	OptTunNoCsum                      // "tun-nocsum"
	OptTunCsum                        // "tun-csum"
	OptTunRemCsum                     // "tun-remcsum"

	numOpts = iota
)

// Command is one parsed and validated ipvsadm command line, with
// ipvsadm's defaults applied: what is sent to the kernel, or what is
// listed and how.
type Command struct {
	Cmd  Cmd
	Opts Opt // the options given

	// Service is the virtual service (-t/-u/-f/--sctp-service) with the
	// scheduler (default wlc for -A/-E), persistence, netmask, one-packet
	// and scheduler flags, and PE applied, as -A/-E send it. For other
	// commands only its key matters. Valid when Opts has OptService.
	Service ipvs.Service
	// Dest is the real server (-r) with forwarding method, weight,
	// thresholds and tunnel settings, its port already forced to the
	// virtual port where ipvsadm does that. Valid when Opts has
	// OptRealServer.
	Dest ipvs.Dest
	// Daemon is what --start-daemon sends (interface default eth0);
	// --stop-daemon uses its State.
	Daemon ipvs.Daemon
	// Timeouts are the --set values.
	Timeouts ipvs.Timeouts
}

// Has reports whether every option in o was given.
func (c *Command) Has(o Opt) bool { return c.Opts&o == o }

// Resolver looks names up the way ipvsadm does through the C library:
// hosts by name (IPv4 only, the first address, as gethostbyname) and by
// address, service ports by name and by number for a protocol ("tcp",
// "udp" or "sctp"). Tests inject a fixed one; production reads the
// system's files and resolvers.
type Resolver interface {
	LookupHost4(name string) (netip.Addr, bool)
	HostName(addr netip.Addr) (string, bool)
	LookupPort(name, proto string) (uint16, bool)
	PortName(port uint16, proto string) (string, bool)
}

// Error is a failure with the exit status and the exact stderr text
// ipvsadm 1.31 gives for it. Text ends without the final newline, which
// the caller adds (some texts carry an extra one of their own).
type Error struct {
	Status int
	Text   string
	// notCommand marks the failure of a line whose first word is not a
	// command (the "Try ..." message): ipvsadm exits at once on it, even
	// inside -R, where other option-syntax errors let the restore go on.
	notCommand bool
}

func (e *Error) Error() string { return e.Text }
