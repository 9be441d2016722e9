package ipvsadm

import (
	"strings"

	"lvskit/internal/ipvs"
)

// Parse reads one ipvsadm command line, argv[0] being the program name as
// typed, the way ipvsadm 1.31 does, and returns the command with
// ipvsadm's defaults applied. On failure it returns an *Error with
// ipvsadm's exact text and exit status. r resolves host and service names
// (nil resolves nothing); Parse does no other I/O.
//
// The checks run in ipvsadm's order, and the first failure wins:
//  1. each option as it is read, in command-line order (values,
//     duplicates, -6 before -f, a command after the first option), exit 2;
//  2. a popt error (unknown option, missing or unwanted argument) stops
//     the scan there, exit 255; options before it were already checked;
//  3. the three --set values;
//  4. a leftover word ("unexpected argument");
//  5. the -b list, against the final -s;
//  6. the command/option matrix, in option-bit order;
//  7. the command's own checks (zero port, one-packet, address family,
//     tunnel options, list options).
//
// The first option must be a command, otherwise (or on a popt error
// there) the result is the "Try ... -h" message with status 255. -h and
// -v are commands only there, and everything after them is ignored.
//
// With no arguments at all (argv of length 0 or 1) ipvsadm lists the table
// with names resolved: Parse returns a bare CmdList.
func Parse(argv []string, r Resolver) (*Command, error) {
	if len(argv) <= 1 {
		return &Command{Cmd: CmdList}, nil
	}
	c, err := parseArgs(argv, r)
	if err != nil {
		return nil, err
	}
	return c, nil
}

// popt's error codes, with poptStrerror's texts.
type poptError int

const (
	poptOK poptError = iota
	poptBadOption
	poptNoArg
	poptUnwantedArg
)

var poptMessages = [...]string{
	poptBadOption:   "unknown option",
	poptNoArg:       "missing argument",
	poptUnwantedArg: "option does not take an argument",
}

// poptScanner is the part of libpopt 1.19's poptGetNextOpt ipvsadm's
// table reaches: no aliases, no execs, no POSIXLY_CORRECT.
type poptScanner struct {
	argv      []string
	next      int    // index of the next word
	bundle    string // the rest of a word of short options (popt's nextCharArg)
	rest      bool   // after "--", every word is an argument
	leftovers []string
}

// scanned is one option as popt returns it.
type scanned struct {
	spec  *optionSpec
	value string
	given bool // a value was taken (false only for -p without one)
}

// nextOption returns the next option, nil at the end of argv, or a popt
// error. Words that are not options (including "-" and "" and all words
// after "--") are kept as leftovers: popt permutes them to the end.
func (s *poptScanner) nextOption() (*scanned, poptError) {
	var spec *optionSpec
	var longArg string
	haveLongArg := false
	for spec == nil {
		if s.bundle == "" {
			if s.next == len(s.argv) {
				return nil, poptOK
			}
			w := s.argv[s.next]
			s.next++
			if s.rest || len(w) < 2 || w[0] != '-' {
				s.leftovers = append(s.leftovers, w)
				continue
			}
			if w == "--" {
				s.rest = true
				continue
			}
			if w[1] == '-' {
				name := w[2:]
				if i := strings.IndexByte(name, '='); i >= 0 {
					name, longArg, haveLongArg = name[:i], name[i+1:], true
				}
				if spec = findLong(name); spec == nil {
					return nil, poptBadOption
				}
				break
			}
			// A single dash never names a long option in ipvsadm's table
			// (no POPT_ARGFLAG_ONEDASH): "-list" is -l -i -s t.
			s.bundle = w[1:]
		}
		if spec = findShort(s.bundle[0]); spec == nil {
			return nil, poptBadOption
		}
		s.bundle = s.bundle[1:]
	}

	o := &scanned{spec: spec}
	if spec.arg == argNone {
		// "-n=3" is refused like "--numeric=3".
		if haveLongArg || strings.HasPrefix(s.bundle, "=") {
			return nil, poptUnwantedArg
		}
		return o, poptOK
	}
	switch {
	case haveLongArg:
		o.value, o.given = longArg, true
	case s.bundle != "":
		// The rest of the bundle is the value, one '=' stripped:
		// "-srr", "-s=rr", "-Snx5".
		o.value, o.given = strings.TrimPrefix(s.bundle, "="), true
		s.bundle = ""
	case s.next == len(s.argv):
		if spec.arg != argOptional {
			return nil, poptNoArg
		}
	case spec.arg == argOptional && strings.HasPrefix(s.argv[s.next], "-"):
		// -p's value is the next word only if that does not look like an
		// option: "-p -s rr" keeps the default timeout.
	default:
		o.value, o.given = s.argv[s.next], true
		s.next++
	}
	return o, poptOK
}

// lastWord is popt's poptBadOption: the last word read, which is the
// whole bundle for a short option ("-Lz") and the value for an option
// that took the next word ("--start-daemon master" names "master").
func (s *poptScanner) lastWord() string { return s.argv[s.next-1] }

// cString is what C sees of a Go string: it ends at the first NUL.
func cString(s string) string {
	if i := strings.IndexByte(s, 0); i >= 0 {
		return s[:i]
	}
	return s
}

func parseArgs(argv []string, r Resolver) (*Command, *Error) {
	prog := cString(argv[0])
	words := make([]string, len(argv))
	for i, w := range argv {
		words[i] = cString(w)
	}
	sc := &poptScanner{argv: words, next: 1}
	st := newParseState(r)

	first, perr := sc.nextOption()
	if perr != poptOK || first == nil || first.spec.cmd == CmdNone {
		return nil, tryAgain(prog)
	}
	switch first.spec.cmd {
	case CmdHelp, CmdVersion:
		return &Command{Cmd: first.spec.cmd}, nil
	}
	st.cmd = first.spec.cmd
	if first.spec.handle != nil {
		if e := first.spec.handle(st, first.value, first.given); e != nil {
			return nil, e
		}
	}

	for {
		o, perr := sc.nextOption()
		if perr != poptOK {
			return nil, &Error{Status: 255, Text: sc.lastWord() + ": " + poptMessages[perr]}
		}
		if o == nil {
			break
		}
		if o.spec.cmd != CmdNone {
			// ipvsadm's "multiple commands specified" is unreachable: a
			// second command falls into the default case of its switch.
			return nil, parseFail("invalid option `%s'", sc.lastWord())
		}
		if b := o.spec.bit; b != 0 {
			if st.opts&b != 0 {
				return nil, parseFail("multiple '%s' options specified", optionName(b))
			}
			st.opts |= b
		}
		if o.spec.handle != nil {
			if e := o.spec.handle(st, o.value, o.given); e != nil {
				return nil, e
			}
		}
	}

	args := sc.leftovers
	if st.cmd == CmdSet {
		if len(args) < 3 {
			return nil, parseFail("--set option requires 3 timeout values")
		}
		var t [3]uint32
		for i := range t {
			n, ok := stringToNumber(args[i], 0, maxTimeout)
			if !ok {
				return nil, parseFail("invalid timeout value `%s' specified", args[i])
			}
			t[i] = uint32(n)
		}
		st.timeouts = ipvs.Timeouts{TCP: t[0], TCPFin: t[1], UDP: t[2]}
		args = args[3:]
	}
	if len(args) > 0 {
		return nil, parseFail("unexpected argument %s", args[0])
	}
	if e := st.applySchedFlags(); e != nil {
		return nil, e
	}
	if e := checkMatrix(st.cmd, st.opts); e != nil {
		return nil, e
	}
	if e := st.commandChecks(); e != nil {
		return nil, e
	}
	return st.command(), nil
}

// commandChecks are ipvsadm's checks after the matrix, with the defaults
// it applies on the way, in its order.
func (st *parseState) commandChecks() *Error {
	switch st.cmd {
	case CmdAddService, CmdEditService:
		if st.svc.Fwmark == 0 && st.svc.Port == 0 && st.svc.Flags&ipvs.FlagPersistent == 0 {
			return parseFail("Zero port specified for non-persistent service")
		}
		if st.svc.Flags&ipvs.FlagOnePacket != 0 && st.svc.Fwmark == 0 && st.svc.Protocol != ipvs.UDP {
			return parseFail("One-Packet Scheduling is only for UDP virtual services")
		}
		// -A and -E send a complete service: without -s that is wlc, even
		// when editing a service that has another scheduler.
		if st.svc.Scheduler == "" {
			st.svc.Scheduler = defaultScheduler
		}

	case CmdStartDaemon:
		if st.daemon.Interface == "" {
			st.daemon.Interface = "eth0"
		}

	case CmdAddServer, CmdEditServer:
		st.dest.Port = ipvs.RealPort(st.svc.ServiceKey, st.dest.Fwd, st.dest.Port)
		if ipvs.FamilyOf(st.dest.Addr) != st.svc.Family && st.dest.Fwd != ipvs.Tunnel {
			return parseFail("Different address family is allowed only for tunneling servers")
		}
		tunnelOpts := OptTunType | OptTunPort | OptTunNoCsum | OptTunCsum | OptTunRemCsum
		if st.opts&tunnelOpts != 0 && st.dest.Fwd != ipvs.Tunnel {
			return parseFail("Tunnel options conflict with forward method")
		}
		if e := checkTunnel(st.dest.TunnelType, st.opts); e != nil {
			return e
		}

	case CmdList:
		if st.opts&(OptConnection|OptTimeout|OptDaemon) != 0 && st.opts&(OptStats|OptRate|OptThresholds) != 0 ||
			st.opts&(OptTimeout|OptDaemon) != 0 && st.opts&OptPersistentConn != 0 {
			return parseFail("options conflicts in the list command")
		}
	}
	return nil
}

// command builds the result. The service and destination are filled only
// when -t/-u/-f/--sctp-service and -r were given.
func (st *parseState) command() *Command {
	c := &Command{Cmd: st.cmd, Opts: st.opts, Daemon: st.daemon, Timeouts: st.timeouts}
	if st.opts&OptService != 0 {
		c.Service = st.svc
		if st.svc.Fwmark != 0 {
			// ipvsadm sends TCP for a fwmark service only because its
			// struct has to hold something; the domain key has none.
			c.Service.ServiceKey = ipvs.FwmarkKey(st.svc.Family, st.svc.Fwmark)
		}
	}
	if st.opts&OptRealServer != 0 {
		c.Dest = st.dest
	}
	return c
}
