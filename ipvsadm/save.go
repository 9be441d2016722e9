package ipvsadm

import (
	"bufio"
	"io"
	"strconv"

	"lvskit/internal/ipvs"
)

// WriteSave writes the -S listing of es (which the caller has sorted):
// one -A line per service followed by one -a line per real server, in
// ipvsadm 1.31's rule format. Unless numeric, addresses and ports are
// names from r. Nothing is cut but the 59-byte address:port limit.
//
// The format loses what ipvsadm's does, on purpose of compatibility:
// thresholds are not saved, Local servers are saved as -g, fwmarks of
// 2^31 and more are printed negative, and an sh or mh service whose only
// scheduler flag is flag-3 gets a dangling "-b ".
func WriteSave(w io.Writer, es []Entry, numeric bool, r Resolver) error {
	sv := newSaver(w, numeric, r)
	for i := range es {
		sv.entry(&es[i])
	}
	return sv.flush()
}

// saver writes one -S listing, a service at a time. id and line are
// scratch buffers: a saved table of thousands of services allocates
// nothing per line.
type saver struct {
	w        *bufio.Writer
	numeric  bool
	r        Resolver
	id, line []byte
}

func newSaver(w io.Writer, numeric bool, r Resolver) *saver {
	return &saver{w: bufio.NewWriter(w), numeric: numeric, r: r}
}

func (sv *saver) flush() error { return sv.w.Flush() }

// appendRuleServiceID appends a service as -S names it: "-f <mark>"
// (signed, "-6" appended for IPv6) or the protocol's option and
// address:port. An unknown protocol gets ipvsadm's placeholder option,
// which no parser accepts.
func appendRuleServiceID(out []byte, s *ipvs.Service, numeric bool, r Resolver) []byte {
	if s.Fwmark != 0 {
		out = append(out, "-f "...)
		out = strconv.AppendInt(out, int64(int32(s.Fwmark)), 10)
		if s.Family == ipvs.INET6 {
			out = append(out, " -6"...)
		}
		return out
	}
	switch s.Protocol {
	case ipvs.TCP:
		out = append(out, "-t "...)
	case ipvs.UDP:
		out = append(out, "-u "...)
	case ipvs.SCTP:
		out = append(out, "--sctp-service "...)
	default:
		out = append(out, "--xxx-service "...)
	}
	return appendAddrPort(out, s.Family, s.Addr, s.Port, s.Protocol, numeric, r)
}

// entry writes one service's rules.
func (sv *saver) entry(e *Entry) {
	w, numeric, r := sv.w, sv.numeric, sv.r
	s := &e.Service
	id := appendRuleServiceID(sv.id[:0], s, numeric, r)
	line := sv.line[:0]
	w.WriteString("-A ")
	w.Write(id)
	w.WriteString(" -s ")
	w.WriteString(s.Scheduler)
	if s.Flags&ipvs.FlagPersistent != 0 {
		w.WriteString(" -p " + utoa(uint64(s.Timeout)))
		switch s.Family {
		case ipvs.INET:
			if s.Netmask != 0xffffffff {
				w.WriteString(" -M " + maskText(s.Netmask))
			}
		case ipvs.INET6:
			if s.Netmask != 128 {
				w.WriteString(" -M " + itoa(int32(s.Netmask)))
			}
		}
	}
	// Unlike -L, -S saves the persistence engine of any service.
	if s.PE != "" {
		w.WriteString(" --pe " + s.PE)
	}
	if s.Flags&ipvs.FlagOnePacket != 0 {
		w.WriteString(" -o")
	}
	if hasSchedFlags(s) {
		w.WriteString(" -b " + schedFlagNames(s))
	}
	w.WriteByte('\n')

	for i := range e.Dests {
		d := &e.Dests[i]
		line = append(line[:0], "-a "...)
		line = append(line, id...)
		line = append(line, " -r "...)
		line = appendAddrPort(line, d.Family(), d.Addr, d.Port, s.Protocol, numeric, r)
		line = append(line, ' ')
		line = append(line, fwdSwitch(d.Fwd)...)
		line = append(line, " -w "...)
		line = strconv.AppendInt(line, int64(d.Weight), 10)
		if d.Fwd&fwdMask == ipvs.Tunnel {
			line = append(line, tunnelRule(d)...)
		}
		line = append(line, '\n')
		w.Write(line)
	}
	sv.id, sv.line = id, line
}

// fwdSwitch is the forwarding option of a saved real server. Local
// servers are saved as -g (ipvsadm has no option for them); methods
// without an option print as glibc prints a NULL string.
func fwdSwitch(m ipvs.FwdMethod) string {
	switch m & fwdMask {
	case ipvs.Masq:
		return "-m"
	case ipvs.Tunnel:
		return "-i"
	case ipvs.LocalNode, ipvs.Route:
		return "-g"
	}
	return "(null)"
}

// tunnelRule is the suffix of a tunnelled server's -a line. Kernels and
// interfaces without tunnel attributes report type ipip, so such servers
// are saved with "--tun-type ipip" too; an unknown type gets no suffix.
func tunnelRule(d *ipvs.Dest) string {
	csum := [...]string{"--tun-nocsum", "--tun-csum", "--tun-remcsum"}[csumIndex(d.TunnelFlags)]
	switch d.TunnelType {
	case ipvs.TunnelIPIP:
		return " --tun-type ipip"
	case ipvs.TunnelGUE:
		return " --tun-type gue --tun-port " + utoa(uint64(d.TunnelPort)) + " " + csum
	case ipvs.TunnelGRE:
		return " --tun-type gre " + csum
	}
	return ""
}
