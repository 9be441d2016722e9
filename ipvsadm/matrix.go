package ipvsadm

import "lvskit/internal/ipvs"

// commandNames are ipvsadm's internal command names, used in its messages.
var commandNames = [...]string{
	CmdAddService:  "add-service",
	CmdEditService: "edit-service",
	CmdDelService:  "delete-service",
	CmdFlush:       "flush",
	CmdList:        "list",
	CmdAddServer:   "add-server",
	CmdDelServer:   "delete-server",
	CmdEditServer:  "edit-server",
	CmdSet:         "set",
	CmdStartDaemon: "start-daemon",
	CmdStopDaemon:  "stop-daemon",
	CmdRestore:     "restore",
	CmdSave:        "save",
	CmdZero:        "zero",
}

// optionNames are ipvsadm's internal option names by bit index, used in
// its duplicate and matrix messages.
var optionNames = [numOpts]string{
	"numeric", "connection", "service-address", "scheduler", "persistent",
	"netmask", "real-server", "forwarding-method", "weight", "u-threshold",
	"l-threshold", "mcast-interface", "timeout", "daemon", "stats",
	"rate", "thresholds", "persistent-conn", "nosort", "syncid",
	"exact", "ops", "pe", "sched-flags", "mcast-group",
	"mcast-port", "mcast-ttl", "sync-maxlen", "tun-info", "tun-type",
	"tun-port", "tun-nocsum", "tun-csum", "tun-remcsum",
}

// optionName is the name of the single option o.
func optionName(o Opt) string {
	for i := range optionNames {
		if o == Opt(1)<<i {
			return optionNames[i]
		}
	}
	return ""
}

// Matrix cells, as in ipvsadm's commands_v_options table.
const (
	cellOptional  = '.' // ipvsadm's ' '
	cellRequired  = '+'
	cellIllegal   = 'x'
	cellExclusive = '1' // at most one of the '1' options of a row
)

// commandMatrix is ipvsadm 1.31's table of legal command/option
// combinations: one cell per option, columns in bit order (the Opt
// constants), so column 0 is -n and column 33 --tun-remcsum:
//
//	0 numeric      7 forwarding   14 stats        21 ops          28 tun-info
//	1 connection   8 weight       15 rate         22 pe           29 tun-type
//	2 service      9 u-threshold  16 thresholds   23 sched-flags  30 tun-port
//	3 scheduler   10 l-threshold  17 persist-conn 24 mcast-group  31 tun-nocsum
//	4 persistent  11 mcast-iface  18 nosort       25 mcast-port   32 tun-csum
//	5 netmask     12 timeout      19 syncid       26 mcast-ttl    33 tun-remcsum
//	6 real-server 13 daemon       20 exact        27 sync-maxlen
//
// Oddities kept: -L --syncid is legal (and ignored); -S allows only -n.
var commandMatrix = [...]string{
	//               0000000000111111111122222222223333
	//               0123456789012345678901234567890123
	CmdAddService:  "xx+...xxxxxxxxxxxxxxx...xxxxxxxxxx",
	CmdEditService: "xx+...xxxxxxxxxxxxxxx...xxxxxxxxxx",
	CmdDelService:  "xx+xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdFlush:       "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdList:        ".11xxxxxxxxx11.......xxxxxxx.xxxxx",
	CmdAddServer:   "xx+xxx+....xxxxxxxxxxxxxxxxxx.....",
	CmdDelServer:   "xx+xxx+xxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdEditServer:  "xx+xxx+....xxxxxxxxxxxxxxxxxx.....",
	CmdSet:         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdStartDaemon: "xxxxxxxxxxx.xxxxxxx.xxxx....xxxxxx",
	CmdStopDaemon:  "xxxxxxxxxxxxxxxxxxx.xxxxxxxxxxxxxx",
	CmdRestore:     "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdSave:        ".xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
	CmdZero:        "xx.xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx",
}

// tunnelTypeNames are the --tun-type names by ipvs.TunnelType value.
var tunnelTypeNames = [...]string{
	ipvs.TunnelIPIP: "ipip",
	ipvs.TunnelGUE:  "gue",
	ipvs.TunnelGRE:  "gre",
}

// tunnelOptions are the columns of tunnelMatrix.
var tunnelOptions = [...]Opt{OptTunPort, OptTunNoCsum, OptTunCsum, OptTunRemCsum}

// tunnelMatrix is ipvsadm's tunnel_types_v_options table: which tunnel
// options each --tun-type needs, allows or forbids.
var tunnelMatrix = [...]string{
	//                tport nocs csum remc
	ipvs.TunnelIPIP: "xxxx",
	ipvs.TunnelGUE:  "+111",
	ipvs.TunnelGRE:  "x11x",
}

// checkRow is ipvsadm's generic_opt_check and tunnel_opt_check: the
// options of row, given as cols, are visited in column order and the
// first violation is reported. kind is "command" or "tunnel type".
func checkRow(row string, cols []Opt, opts Opt, name, kind string) *Error {
	first := Opt(0) // the first exclusive option seen
	for i, o := range cols {
		present := opts&o != 0
		switch row[i] {
		case cellRequired:
			if !present {
				return parseFail("You need to supply the '%s' option for the '%s' %s", optionName(o), name, kind)
			}
		case cellIllegal:
			if present {
				return parseFail("Illegal '%s' option with the '%s' %s", optionName(o), name, kind)
			}
		case cellExclusive:
			if !present {
				continue
			}
			if first == 0 {
				first = o
				continue
			}
			return parseFail("The option '%s' conflicts with the '%s' option in the '%s' %s", optionName(o), optionName(first), name, kind)
		}
	}
	return nil
}

// allOptions are the option bits in matrix column order.
var allOptions = func() []Opt {
	cols := make([]Opt, numOpts)
	for i := range cols {
		cols[i] = Opt(1) << i
	}
	return cols
}()

// checkMatrix checks the options given against cmd's row of the matrix,
// in bit order (not command-line order).
func checkMatrix(cmd Cmd, opts Opt) *Error {
	return checkRow(commandMatrix[cmd], allOptions, opts, commandNames[cmd], "command")
}

// checkTunnel checks the tunnel options against the tunnel type.
func checkTunnel(t ipvs.TunnelType, opts Opt) *Error {
	return checkRow(tunnelMatrix[t], tunnelOptions[:], opts, tunnelTypeNames[t], "tunnel type")
}
