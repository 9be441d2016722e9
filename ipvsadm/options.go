package ipvsadm

import (
	"fmt"
	"strings"

	"lvskit/internal/ipvs"
)

// argKind is how an option takes its value, as in ipvsadm's popt table.
type argKind uint8

const (
	argNone     argKind = iota // POPT_ARG_NONE
	argRequired                // POPT_ARG_STRING
	argOptional                // POPT_ARG_STRING|POPT_ARGFLAG_OPTIONAL (-p only)
)

// optionSpec is one row of the option table.
type optionSpec struct {
	short byte    // short name, 0 if none
	long  string  // long name without "--", "" if none
	arg   argKind // whether and how a value is taken
	// cmd is the command this option selects; CmdNone for the others.
	cmd Cmd
	// bit is the option recorded for the duplicate check and the matrix;
	// 0 for commands, -6 and --sort, which ipvsadm does not record.
	bit Opt
	// handle applies the option to the state (nil: the bit says it all).
	// given is false only for a -p without a value.
	handle func(st *parseState, value string, given bool) *Error
}

// optionTable is ipvsadm 1.31's popt table, in its order; popt takes the
// first row matching a name. Long names match exactly: popt does no
// abbreviation.
var optionTable = []optionSpec{
	{short: 'A', long: "add-service", cmd: CmdAddService},
	{short: 'E', long: "edit-service", cmd: CmdEditService},
	{short: 'D', long: "delete-service", cmd: CmdDelService},
	{short: 'C', long: "clear", cmd: CmdFlush},
	{short: 'L', long: "list", cmd: CmdList},
	{short: 'l', cmd: CmdList}, // ipvsadm's second "list" row is never reached by name
	{short: 'Z', long: "zero", cmd: CmdZero},
	{short: 'a', long: "add-server", cmd: CmdAddServer},
	{short: 'e', long: "edit-server", cmd: CmdEditServer},
	{short: 'd', long: "delete-server", cmd: CmdDelServer},
	{long: "set", cmd: CmdSet},
	{short: 'h', long: "help", cmd: CmdHelp},
	{short: 'v', long: "version", cmd: CmdVersion},
	{short: 'R', long: "restore", cmd: CmdRestore},
	{short: 'S', long: "save", cmd: CmdSave},
	{long: "start-daemon", arg: argRequired, cmd: CmdStartDaemon, handle: (*parseState).startDaemon},
	{long: "stop-daemon", arg: argRequired, cmd: CmdStopDaemon, handle: (*parseState).stopDaemon},

	{short: 't', long: "tcp-service", arg: argRequired, bit: OptService, handle: (*parseState).tcpService},
	{short: 'u', long: "udp-service", arg: argRequired, bit: OptService, handle: (*parseState).udpService},
	{long: "sctp-service", arg: argRequired, bit: OptService, handle: (*parseState).sctpService},
	{short: 'f', long: "fwmark-service", arg: argRequired, bit: OptService, handle: (*parseState).fwmarkService},
	{short: 's', long: "scheduler", arg: argRequired, bit: OptScheduler, handle: (*parseState).scheduler},
	{short: 'p', long: "persistent", arg: argOptional, bit: OptPersistent, handle: (*parseState).persistent},
	{short: 'M', long: "netmask", arg: argRequired, bit: OptNetmask, handle: (*parseState).netmask},
	{short: 'r', long: "real-server", arg: argRequired, bit: OptRealServer, handle: (*parseState).realServer},
	{short: 'm', long: "masquerading", bit: OptForward, handle: (*parseState).masquerading},
	{short: 'i', long: "ipip", bit: OptForward, handle: (*parseState).ipip},
	{short: 'g', long: "gatewaying", bit: OptForward, handle: (*parseState).gatewaying},
	{short: 'w', long: "weight", arg: argRequired, bit: OptWeight, handle: (*parseState).weight},
	{short: 'x', long: "u-threshold", arg: argRequired, bit: OptUThreshold, handle: (*parseState).uThreshold},
	{short: 'y', long: "l-threshold", arg: argRequired, bit: OptLThreshold, handle: (*parseState).lThreshold},
	{short: 'n', long: "numeric", bit: OptNumeric},
	{short: 'c', long: "connection", bit: OptConnection},
	{long: "mcast-interface", arg: argRequired, bit: OptMcastInterface, handle: (*parseState).mcastInterface},
	{long: "syncid", arg: argRequired, bit: OptSyncID, handle: (*parseState).syncID}, // no short name: -I is unknown
	{long: "timeout", bit: OptTimeout},
	{long: "daemon", bit: OptDaemon},
	{long: "stats", bit: OptStats},
	{long: "rate", bit: OptRate},
	{long: "thresholds", bit: OptThresholds},
	{long: "persistent-conn", bit: OptPersistentConn},
	{long: "nosort", bit: OptNoSort},
	{long: "sort"}, // sorting is the default; kept as a no-op that may repeat
	{short: 'X', long: "exact", bit: OptExact},
	{short: '6', long: "ipv6", handle: (*parseState).ipv6}, // not an option bit: may repeat, never in the matrix
	{short: 'o', long: "ops", bit: OptOps, handle: (*parseState).ops},
	{long: "pe", arg: argRequired, bit: OptPE, handle: (*parseState).persistenceEngine},
	{short: 'b', long: "sched-flags", arg: argRequired, bit: OptSchedFlags, handle: (*parseState).schedFlags},
	{long: "mcast-group", arg: argRequired, bit: OptMcastGroup, handle: (*parseState).mcastGroup},
	{long: "mcast-port", arg: argRequired, bit: OptMcastPort, handle: (*parseState).mcastPort},
	{long: "mcast-ttl", arg: argRequired, bit: OptMcastTTL, handle: (*parseState).mcastTTL},
	{long: "sync-maxlen", arg: argRequired, bit: OptSyncMaxLen, handle: (*parseState).syncMaxLen},
	{long: "tun-info", bit: OptTunInfo},
	{long: "tun-type", arg: argRequired, bit: OptTunType, handle: (*parseState).tunType},
	{long: "tun-port", arg: argRequired, bit: OptTunPort, handle: (*parseState).tunPort},
	{long: "tun-nocsum", bit: OptTunNoCsum}, // the no-checksum flag value is 0: nothing to set
	{long: "tun-csum", bit: OptTunCsum, handle: (*parseState).tunCsum},
	{long: "tun-remcsum", bit: OptTunRemCsum, handle: (*parseState).tunRemCsum},
}

func findShort(c byte) *optionSpec {
	for i := range optionTable {
		if optionTable[i].short == c && c != 0 {
			return &optionTable[i]
		}
	}
	return nil
}

func findLong(name string) *optionSpec {
	for i := range optionTable {
		if optionTable[i].long == name && name != "" {
			return &optionTable[i]
		}
	}
	return nil
}

// Limits and defaults of ipvsadm 1.31 (Debian's build).
const (
	maxTimeout         = 86400 * 31 // -p and --set: 31 days
	defaultPersistence = 360        // -p without a value; the man page's 300 is wrong
	maxWeight          = 2147483647 // Debian raised -w's upper limit from 65535 to INT_MAX
	maxThreshold       = 2147483647
	maxSyncMaxLen      = 65535 - 20 - 8 // largest UDP payload
	schedNameMax       = 15             // IP_VS_SCHEDNAME_MAXLEN - 1, strncpy'd
	ifNameMax          = 15             // IP_VS_IFNAME_MAXLEN - 1, strncpy'd
	peNameMax          = 16             // IP_VS_PENAME_MAXLEN, strncpy'd
	schedFlagsArgMax   = 127            // -b is snprintf'd into a 128-byte buffer
)

// parseFail is ipvsadm's fail(2, ...): a validation error, exit status 2.
func parseFail(format string, args ...any) *Error {
	return &Error{Status: 2, Text: fmt.Sprintf(format, args...)}
}

// truncate cuts s to n bytes, as strncpy into a fixed buffer does.
func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// parseState is ipvsadm's command entry while the command line is read:
// options are applied in command-line order, each seeing what the ones
// before it set (a -r takes the protocol and port of a -t before it, -M
// reads its value by the family known so far).
type parseState struct {
	res  Resolver
	cmd  Cmd
	opts Opt

	// svc is ipvsadm's service: Family is 0 until an address or -f sets
	// it, and Protocol is ipvsadm's (TCP for a fwmark service) until the
	// Command is built.
	svc           ipvs.Service
	dest          ipvs.Dest
	daemon        ipvs.Daemon
	timeouts      ipvs.Timeouts
	schedFlagsArg string // the -b argument, checked against the final -s after the scan
}

func newParseState(r Resolver) *parseState {
	return &parseState{
		res: r,
		svc: ipvs.Service{Netmask: 0xffffffff}, // /32 persistence granularity
		dest: ipvs.Dest{
			Fwd:         ipvs.Route, // -g is the default
			Weight:      1,
			TunnelType:  ipvs.TunnelIPIP,
			TunnelFlags: ipvs.TunnelNoCsum,
		},
	}
}

// daemonState reads the argument of --start-daemon and --stop-daemon,
// which must be exactly "master" or "backup".
func daemonState(v string) (ipvs.DaemonState, bool) {
	switch v {
	case "master":
		return ipvs.Master, true
	case "backup":
		return ipvs.Backup, true
	}
	return 0, false
}

func (st *parseState) startDaemon(v string, _ bool) *Error {
	s, ok := daemonState(v)
	if !ok {
		return parseFail("illegal start-daemon parameter specified")
	}
	st.daemon.State = s
	return nil
}

func (st *parseState) stopDaemon(v string, _ bool) *Error {
	s, ok := daemonState(v)
	if !ok {
		return parseFail("illegal start_daemon specified") // sic: ipvsadm's text
	}
	st.daemon.State = s
	return nil
}

func (st *parseState) tcpService(v string, _ bool) *Error  { return st.service(v, ipvs.TCP) }
func (st *parseState) udpService(v string, _ bool) *Error  { return st.service(v, ipvs.UDP) }
func (st *parseState) sctpService(v string, _ bool) *Error { return st.service(v, ipvs.SCTP) }

func (st *parseState) service(v string, proto ipvs.Protocol) *Error {
	st.svc.Protocol = proto
	hp, ok := parseHostPort(v, proto, st.res)
	if !ok {
		return parseFail("illegal virtual server address[:port] specified")
	}
	st.svc.Addr = hp.addr
	st.svc.Family = ipvs.FamilyOf(hp.addr)
	if st.svc.Family == ipvs.INET6 {
		// An IPv6 address resets the mask, losing a -M given before it.
		st.svc.Netmask = 128
	}
	if hp.hasPort {
		st.svc.Port = hp.port
	}
	return nil
}

func (st *parseState) fwmarkService(v string, _ bool) *Error {
	// parse_fwmark: strtol into an unsigned long, so a negative value
	// wraps above UINT_MAX and is refused with the others.
	n, rest, digits, overflow := cStrtol(v)
	if !digits || rest != "" || overflow || n <= 0 || n > 0xffffffff {
		return parseFail("invalid fwmark value `%s' specified", v)
	}
	// ipvsadm sets the protocol to TCP "to a sane value" (so a later -r
	// looks service names up as tcp) and the family to IPv4 until -6.
	st.svc.Family = ipvs.INET
	st.svc.Protocol = ipvs.TCP
	st.svc.Fwmark = uint32(n)
	return nil
}

func (st *parseState) scheduler(v string, _ bool) *Error {
	st.svc.Scheduler = truncate(v, schedNameMax) // not validated: the kernel loads ip_vs_<name>
	return nil
}

func (st *parseState) persistent(v string, given bool) *Error {
	st.svc.Flags |= ipvs.FlagPersistent
	if !given {
		st.svc.Timeout = defaultPersistence
		return nil
	}
	n, ok := stringToNumber(v, 1, maxTimeout)
	if !ok {
		return parseFail("invalid timeout value `%s' specified", v)
	}
	st.svc.Timeout = uint32(n)
	return nil
}

func (st *parseState) netmask(v string, _ bool) *Error {
	// The family is the one known now: before an IPv6 -t (or -6) the
	// value is read as an IPv4 mask.
	if st.svc.Family != ipvs.INET6 {
		m, ok := parseNetmask4(v, st.res)
		if !ok {
			return parseFail("illegal virtual server persistent mask specified")
		}
		st.svc.Netmask = m
		return nil
	}
	m := uint32(cAtoi(v)) // the C field is unsigned: a negative atoi is huge
	if m < 1 || m > 128 {
		return parseFail("illegal ipv6 netmask specified")
	}
	st.svc.Netmask = m
	return nil
}

func (st *parseState) realServer(v string, _ bool) *Error {
	// ipvsadm parses -r into a copy of the service so far: the protocol
	// for service names and the default port are those of a -t before it.
	hp, ok := parseHostPort(v, st.svc.Protocol, st.res)
	if !ok {
		return parseFail("illegal real server address[:port] specified")
	}
	st.dest.Addr = hp.addr
	st.dest.Port = st.svc.Port
	if hp.hasPort {
		st.dest.Port = hp.port
	}
	return nil
}

func (st *parseState) masquerading(string, bool) *Error { st.dest.Fwd = ipvs.Masq; return nil }
func (st *parseState) ipip(string, bool) *Error         { st.dest.Fwd = ipvs.Tunnel; return nil }
func (st *parseState) gatewaying(string, bool) *Error   { st.dest.Fwd = ipvs.Route; return nil }

func (st *parseState) weight(v string, _ bool) *Error {
	n, ok := stringToNumber(v, 0, maxWeight)
	if !ok {
		return parseFail("illegal weight specified")
	}
	st.dest.Weight = int32(n)
	return nil
}

func (st *parseState) uThreshold(v string, _ bool) *Error {
	n, ok := stringToNumber(v, 0, maxThreshold)
	if !ok {
		return parseFail("illegal u_threshold specified")
	}
	st.dest.UpperThreshold = uint32(n)
	return nil
}

func (st *parseState) lThreshold(v string, _ bool) *Error {
	n, ok := stringToNumber(v, 0, maxThreshold)
	if !ok {
		return parseFail("illegal l_threshold specified")
	}
	st.dest.LowerThreshold = uint32(n)
	return nil
}

func (st *parseState) mcastInterface(v string, _ bool) *Error {
	st.daemon.Interface = truncate(v, ifNameMax)
	return nil
}

func (st *parseState) syncID(v string, _ bool) *Error {
	n, ok := stringToNumber(v, 0, 255)
	if !ok {
		return parseFail("illegal syncid specified")
	}
	st.daemon.SyncID = uint32(n)
	return nil
}

func (st *parseState) ipv6(string, bool) *Error {
	if st.svc.Fwmark == 0 {
		// ipvsadm's text ends in "\n" and fail() adds another: an empty
		// line follows the message. Debian later reworded it to "-6 must
		// follow -f"; bookworm's binary still says this.
		return parseFail("-6 used before -f\n")
	}
	st.svc.Family = ipvs.INET6
	st.svc.Netmask = 128
	return nil
}

func (st *parseState) ops(string, bool) *Error {
	st.svc.Flags |= ipvs.FlagOnePacket
	return nil
}

func (st *parseState) persistenceEngine(v string, _ bool) *Error {
	st.svc.PE = truncate(v, peNameMax) // not validated; only "sip" exists
	return nil
}

func (st *parseState) schedFlags(v string, _ bool) *Error {
	st.schedFlagsArg = truncate(v, schedFlagsArgMax)
	return nil
}

func (st *parseState) mcastGroup(v string, _ bool) *Error {
	a, v6, ok := parseMcastGroup(v)
	if !ok {
		if v6 {
			return parseFail("invalid IPv6 mcast-group `%s'", v)
		}
		return parseFail("invalid IPv4 mcast-group `%s'", v)
	}
	st.daemon.Group = a
	return nil
}

func (st *parseState) mcastPort(v string, _ bool) *Error {
	n, ok := stringToNumber(v, 1, 65535)
	if !ok {
		return parseFail("illegal mcast-port specified")
	}
	st.daemon.Port = uint16(n)
	return nil
}

func (st *parseState) mcastTTL(v string, _ bool) *Error {
	n, ok := stringToNumber(v, 1, 255)
	if !ok {
		return parseFail("illegal mcast-ttl specified")
	}
	st.daemon.TTL = uint8(n)
	return nil
}

func (st *parseState) syncMaxLen(v string, _ bool) *Error {
	n, ok := stringToNumber(v, 1, maxSyncMaxLen)
	if !ok {
		return parseFail("illegal sync-maxlen specified")
	}
	st.daemon.MaxLen = uint16(n)
	return nil
}

func (st *parseState) tunType(v string, _ bool) *Error {
	for t, name := range tunnelTypeNames {
		if v == name {
			st.dest.TunnelType = ipvs.TunnelType(t)
			return nil
		}
	}
	return parseFail("illegal tunnel type specified")
}

func (st *parseState) tunPort(v string, _ bool) *Error {
	n, ok := stringToNumber(v, 1, 65535)
	if !ok {
		return parseFail("illegal tunnel port specified")
	}
	st.dest.TunnelPort = uint16(n)
	return nil
}

func (st *parseState) tunCsum(string, bool) *Error {
	st.dest.TunnelFlags |= ipvs.TunnelCsum
	return nil
}

func (st *parseState) tunRemCsum(string, bool) *Error {
	st.dest.TunnelFlags |= ipvs.TunnelRemCsum
	return nil
}

// schedFlagSpec is one name -b accepts.
type schedFlagSpec struct {
	name  string
	flag  ipvs.ServiceFlags
	sched string // the only scheduler it is valid with; "" for any
}

var schedFlagTable = []schedFlagSpec{
	{"flag-1", ipvs.FlagSched1, ""},
	{"flag-2", ipvs.FlagSched2, ""},
	{"flag-3", ipvs.FlagSched3, ""},
	{"sh-fallback", ipvs.FlagSHFallback, "sh"},
	{"sh-port", ipvs.FlagSHPort, "sh"},
	{"mh-fallback", ipvs.FlagMHFallback, "mh"},
	{"mh-port", ipvs.FlagMHPort, "mh"},
}

// applySchedFlags checks the -b list against the final scheduler (wlc if
// none was given) and sets the flags. Empty items are skipped ("a,,b"),
// and an empty argument means no flags.
//
// Deliberate difference: ipvsadm 1.31 dereferences a NULL token and
// crashes on a list made only of commas ("-b ,"); lvskit treats it like
// the empty list.
func (st *parseState) applySchedFlags() *Error {
	sched := st.svc.Scheduler
	if sched == "" {
		sched = defaultScheduler
	}
	var flags ipvs.ServiceFlags
	for _, item := range strings.FieldsFunc(st.schedFlagsArg, func(r rune) bool { return r == ',' }) {
		known := false
		for _, f := range schedFlagTable {
			if item != f.name {
				continue
			}
			if f.sched != "" && f.sched != sched {
				return parseFail("incompatible scheduler flag `%s'", item)
			}
			flags |= f.flag
			known = true
			break
		}
		if !known {
			return parseFail("invalid scheduler flag `%s'", item)
		}
	}
	st.svc.Flags = st.svc.Flags&^(ipvs.FlagSched1|ipvs.FlagSched2|ipvs.FlagSched3) | flags
	return nil
}

// defaultScheduler is what -A and -E send without -s.
const defaultScheduler = "wlc"
