package ipvsadm

import (
	"bufio"
	"io"
	"strconv"

	"lvskit/internal/ipvs"
)

// listFormat is the table layout -L uses. ipvsadm accepts several format
// options together and uses the first of --stats, --rate, --thresholds,
// --persistent-conn and --tun-info.
type listFormat int

const (
	formatDefault listFormat = iota
	formatStats
	formatRate
	formatThresholds
	formatPersistentConn
	formatTunInfo
)

func listFormatOf(c *Command) listFormat {
	switch {
	case c.Has(OptStats):
		return formatStats
	case c.Has(OptRate):
		return formatRate
	case c.Has(OptThresholds):
		return formatThresholds
	case c.Has(OptPersistentConn):
		return formatPersistentConn
	case c.Has(OptTunInfo):
		return formatTunInfo
	}
	return formatDefault
}

// WriteList writes the -L listing of es, which the caller has sorted (or
// not, for --nosort). c.Opts selects the layout (--stats, --rate,
// --thresholds, --persistent-conn, --tun-info, in that priority), -n
// (numeric addresses and ports, otherwise names come from r) and
// --exact. info is the kernel's IPVS version and connection table size
// for the version line of a full listing; nil means a single-service
// listing (-L -t …), which ipvsadm prints with the two title lines only.
func WriteList(w io.Writer, info *ipvs.Info, es []Entry, c *Command, r Resolver) error {
	l := newLister(w, c, r)
	if info != nil {
		l.version(info)
	}
	l.title()
	for i := range es {
		l.entry(&es[i])
	}
	return l.flush()
}

// lister writes one -L listing, a service at a time.
type lister struct {
	w       *bufio.Writer
	format  listFormat
	numeric bool
	exact   bool
	r       Resolver
	scratch []byte // the current service or server column, reused
}

func newLister(w io.Writer, c *Command, r Resolver) *lister {
	if c == nil {
		c = &Command{Cmd: CmdList}
	}
	return &lister{
		w:       bufio.NewWriter(w),
		format:  listFormatOf(c),
		numeric: c.Has(OptNumeric),
		exact:   c.Has(OptExact),
		r:       r,
	}
}

func (l *lister) flush() error { return l.w.Flush() }

// version writes the first line of a full listing.
func (l *lister) version(info *ipvs.Info) {
	l.w.WriteString("IP Virtual Server version ")
	l.w.WriteString(info.VersionString())
	l.w.WriteString(" (size=")
	l.w.WriteString(itoa(int32(info.ConnTabSize)))
	l.w.WriteString(")\n")
}

// title writes the two column-title lines. The --thresholds and
// --persistent-conn titles end in a space, as ipvsadm's do.
func (l *lister) title() {
	w := l.w
	switch l.format {
	case formatStats, formatRate:
		names := [5]string{"Conns", "InPkts", "OutPkts", "InBytes", "OutBytes"}
		if l.format == formatRate {
			names = [5]string{"CPS", "InPPS", "OutPPS", "InBPS", "OutBPS"}
		}
		pad(w, "Prot LocalAddress:Port", 33)
		for _, n := range names {
			w.WriteByte(' ')
			padLeft(w, n, 8)
		}
		w.WriteString("\n  -> RemoteAddress:Port\n")
	case formatThresholds:
		pad(w, "Prot LocalAddress:Port", 33)
		for _, n := range []string{"Uthreshold", "Lthreshold", "ActiveConn", "InActConn"} {
			w.WriteByte(' ')
			pad(w, n, 10)
		}
		w.WriteString("\n  -> RemoteAddress:Port\n")
	case formatPersistentConn:
		pad(w, "Prot LocalAddress:Port", 33)
		w.WriteByte(' ')
		pad(w, "Weight", 9)
		w.WriteByte(' ')
		pad(w, "PersistConn", 11)
		w.WriteByte(' ')
		pad(w, "ActiveConn", 10)
		w.WriteByte(' ')
		pad(w, "InActConn", 10)
		w.WriteString("\n  -> RemoteAddress:Port\n")
	case formatTunInfo:
		w.WriteString("Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward TunnelInfo    Weight ActiveConn InActConn\n")
	default:
		w.WriteString("Prot LocalAddress:Port Scheduler Flags\n" +
			"  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn\n")
	}
}

// serviceID is the service column: "FWM  <mark>" (the mark printed as a
// signed int, " IPv6" appended for IPv6) or the protocol padded to 4 and
// the address:port, cut to 33 bytes unless the service is IPv6. It is
// valid until the next call of serviceID or destName.
func (l *lister) serviceID(s *ipvs.Service) []byte {
	id := l.scratch[:0]
	if s.Fwmark != 0 {
		id = append(id, "FWM  "...)
		id = strconv.AppendInt(id, int64(int32(s.Fwmark)), 10)
		if s.Family == ipvs.INET6 {
			id = append(id, " IPv6"...)
		}
	} else {
		label := protoLabel(s.Protocol)
		id = append(id, label...)
		for i := len(label); i < 4; i++ {
			id = append(id, ' ')
		}
		id = append(id, ' ')
		id = appendAddrPort(id, s.Family, s.Addr, s.Port, s.Protocol, l.numeric, l.r)
		if s.Family != ipvs.INET6 {
			id = cutBytes(id, 0, serviceColumnMax)
		}
	}
	l.scratch = id
	return id
}

func (l *lister) entry(e *Entry) {
	w := l.w
	s := &e.Service
	id := l.serviceID(s)
	switch l.format {
	case formatStats:
		padBytes(w, id, 33)
		st := &s.Stats
		for _, v := range []uint64{st.Conns, st.InPkts, st.OutPkts, st.InBytes, st.OutBytes} {
			w.WriteString(largeNum(v, l.exact))
		}
	case formatRate:
		padBytes(w, id, 33)
		st := &s.Stats
		for _, v := range []uint64{st.CPS, st.InPPS, st.OutPPS, st.InBPS, st.OutBPS} {
			w.WriteString(largeNum(v, l.exact))
		}
	default:
		w.Write(id)
		w.WriteByte(' ')
		w.WriteString(s.Scheduler)
		w.WriteString(serviceFlagsText(s))
	}
	w.WriteByte('\n')
	for i := range e.Dests {
		l.dest(s, &e.Dests[i])
	}
}

// serviceFlagsText is what follows the scheduler in the default service
// line: the scheduler flags in parentheses, then persistence with its
// netmask (when not a single host) and persistence engine, then "ops".
// The engine is shown only for persistent services, unlike in -S.
func serviceFlagsText(s *ipvs.Service) string {
	t := ""
	if hasSchedFlags(s) {
		t += " (" + schedFlagNames(s) + ")"
	}
	if s.Flags&ipvs.FlagPersistent != 0 {
		t += " persistent " + utoa(uint64(s.Timeout))
		switch s.Family {
		case ipvs.INET:
			if s.Netmask != 0xffffffff {
				t += " mask " + maskText(s.Netmask)
			}
		case ipvs.INET6:
			if s.Netmask != 128 {
				t += " mask " + itoa(int32(s.Netmask))
			}
		}
		if s.PE != "" {
			t += " pe " + s.PE
		}
	}
	if s.Flags&ipvs.FlagOnePacket != 0 {
		t += " ops"
	}
	return t
}

// destStats32 is what ipvsadm 1.31 shows of a destination's counters. It
// reads the destination's 64-bit stats nest with its 32-bit parser, so
// every counter but the two byte counts keeps only its low 32 bits (on
// little-endian machines, which is where that parser's 4-byte read of an
// 8-byte attribute lands). Listings are lvskit's compatibility interface
// and the truncation is visible in them, so it is reproduced; it changes
// nothing until a destination's counters pass 2^32. Services are read
// correctly upstream and are not truncated.
func destStats32(st ipvs.Stats) ipvs.Stats {
	const low = 0xffffffff
	st.Conns &= low
	st.InPkts &= low
	st.OutPkts &= low
	st.CPS &= low
	st.InPPS &= low
	st.OutPPS &= low
	st.InBPS &= low
	st.OutBPS &= low
	return st
}

// destName is a real server's address:port for the table listings, cut
// to 28 bytes unless the server is IPv6 (whatever the service's family).
// Ports are named for the service's protocol. It is valid until the next
// call of serviceID or destName.
func (l *lister) destName(s *ipvs.Service, d *ipvs.Dest) []byte {
	f := d.Family()
	name := appendAddrPort(l.scratch[:0], f, d.Addr, d.Port, s.Protocol, l.numeric, l.r)
	if f != ipvs.INET6 {
		name = cutBytes(name, 0, destColumnMax)
	}
	l.scratch = name
	return name
}

func (l *lister) dest(s *ipvs.Service, d *ipvs.Dest) {
	w := l.w
	w.WriteString("  -> ")
	padBytes(w, l.destName(s, d), 28)
	switch l.format {
	case formatStats:
		st := destStats32(d.Stats)
		for _, v := range []uint64{st.Conns, st.InPkts, st.OutPkts, st.InBytes, st.OutBytes} {
			w.WriteString(largeNum(v, l.exact))
		}
	case formatRate:
		st := destStats32(d.Stats)
		// The three rates before the byte rates are plain "%8llu"
		// columns, never scaled.
		for _, v := range []uint64{st.CPS, st.InPPS, st.OutPPS} {
			w.WriteByte(' ')
			padLeft(w, utoa(v), 8)
		}
		w.WriteString(largeNum(st.InBPS, l.exact))
		w.WriteString(largeNum(st.OutBPS, l.exact))
	case formatThresholds:
		for _, v := range []uint32{d.UpperThreshold, d.LowerThreshold, d.ActiveConns, d.InactiveConns} {
			w.WriteByte(' ')
			pad(w, utoa(uint64(v)), 10)
		}
	case formatPersistentConn:
		// ipvsadm prints the weight here with %u.
		w.WriteByte(' ')
		pad(w, utoa(uint64(uint32(d.Weight))), 9)
		w.WriteByte(' ')
		pad(w, utoa(uint64(d.PersistentConns)), 11)
		w.WriteByte(' ')
		pad(w, utoa(uint64(d.ActiveConns)), 10)
		w.WriteByte(' ')
		pad(w, utoa(uint64(d.InactiveConns)), 10)
	case formatTunInfo:
		w.WriteByte(' ')
		pad(w, fwdName(d.Fwd), 7)
		w.WriteByte(' ')
		pad(w, tunnelInfo(d), 13)
		l.weightConns(d)
	default:
		w.WriteByte(' ')
		pad(w, fwdName(d.Fwd), 7)
		l.weightConns(d)
	}
	w.WriteByte('\n')
}

// weightConns writes the " %-6d %-10u %-10u" tail of the default and
// --tun-info rows; its padding leaves trailing spaces, as ipvsadm's does.
func (l *lister) weightConns(d *ipvs.Dest) {
	w := l.w
	w.WriteByte(' ')
	pad(w, itoa(d.Weight), 6)
	w.WriteByte(' ')
	pad(w, utoa(uint64(d.ActiveConns)), 10)
	w.WriteByte(' ')
	pad(w, utoa(uint64(d.InactiveConns)), 10)
}

// tunnelInfo is the TunnelInfo column: "n/a" unless the server is
// tunnelled; then "ipip", "gue:<port>:<csum>" or "gre:<csum>".
func tunnelInfo(d *ipvs.Dest) string {
	if d.Fwd&fwdMask != ipvs.Tunnel {
		return "n/a"
	}
	switch d.TunnelType {
	case ipvs.TunnelIPIP:
		return "ipip"
	case ipvs.TunnelGUE:
		return "gue:" + utoa(uint64(d.TunnelPort)) + ":" + csumTag(d.TunnelFlags)
	case ipvs.TunnelGRE:
		return "gre:" + csumTag(d.TunnelFlags)
	}
	return "n/a"
}

// csumIndex maps tunnel flags to the index of ipvsadm's three-entry
// name tables (no checksum, checksum, remote checksum), which it indexes
// with the raw flags value. The kernel stores whatever flags it is given,
// and upstream reads past its tables for other values; lvskit lets remote
// checksum win over checksum, as the kernel's GUE transmit path does.
func csumIndex(f ipvs.TunnelFlags) int {
	switch {
	case f&ipvs.TunnelRemCsum != 0:
		return 2
	case f&ipvs.TunnelCsum != 0:
		return 1
	}
	return 0
}

// csumTag is the checksum part of the TunnelInfo column.
func csumTag(f ipvs.TunnelFlags) string {
	return [...]string{"-c", "+c", "r+c"}[csumIndex(f)]
}

// WriteTimeouts writes the -L --timeout line. The values are printed
// with %d, as ipvsadm does.
func WriteTimeouts(w io.Writer, t ipvs.Timeouts) error {
	_, err := io.WriteString(w, "Timeout (tcp tcpfin udp): "+
		itoa(int32(t.TCP))+" "+itoa(int32(t.TCPFin))+" "+itoa(int32(t.UDP))+"\n")
	return err
}

// WriteDaemons writes the -L --daemon lines for the first two daemons of
// the kernel's answer, in its order (master first on a real kernel).
// ipvsadm keeps room for two and skips an entry that is neither master
// nor backup. The optional fields appear only when the kernel reported
// them: maxlen, port and ttl when non-zero, the group when it has an
// address family (the legacy interface reports none of them).
func WriteDaemons(w io.Writer, ds []ipvs.Daemon) error {
	bw := bufio.NewWriter(w)
	for i := 0; i < len(ds) && i < 2; i++ {
		d := &ds[i]
		var role string
		switch {
		case d.State&ipvs.Master != 0:
			role = "master"
		case d.State&ipvs.Backup != 0:
			role = "backup"
		default:
			continue
		}
		bw.WriteString(role + " sync daemon (mcast=" + d.Interface + ", syncid=" + itoa(int32(d.SyncID)))
		if d.MaxLen != 0 {
			bw.WriteString(", maxlen=" + utoa(uint64(d.MaxLen)))
		}
		if d.Group.IsValid() {
			f := ipvs.INET6
			if d.Group.Is4() {
				f = ipvs.INET
			}
			bw.WriteString(", group=" + addrText(f, d.Group))
		}
		if d.Port != 0 {
			bw.WriteString(", port=" + utoa(uint64(d.Port)))
		}
		if d.TTL != 0 {
			bw.WriteString(", ttl=" + utoa(uint64(d.TTL)))
		}
		bw.WriteString(")\n")
	}
	return bw.Flush()
}
