package ipvsadm

import (
	"bufio"
	"net/netip"
	"strconv"
	"strings"

	"lvskit/internal/ipvs"
)

// Text helpers shared by the -L, -S and -c formats.
//
// ipvsadm builds its output with C printf, so two Go conveniences are
// avoided on purpose: fmt's widths count runes where printf counts bytes
// (a host name with non-ASCII bytes would shift every later column), and
// netip's IPv6 text is RFC 5952's where glibc's inet_ntop writes
// "::0.1.0.2" for ::1:2. Both are done by hand here.

// addrPortMax is the longest address:port text ipvsadm prints: it formats
// it with snprintf into a 60-byte buffer, in every format including -S.
const addrPortMax = 59

// Column cuts of the table listings (not -S): ipvsadm ends the IPv4
// service column and the IPv4 real-server text with a NUL at these
// offsets. IPv6 text is never cut since ipvsadm 1.28.
const (
	serviceColumnMax = 33
	destColumnMax    = 28
)

// pad writes s left-aligned in a field of n bytes: printf's "%-Ns".
func pad(w *bufio.Writer, s string, n int) {
	w.WriteString(s)
	spaces(w, n-len(s))
}

// padBytes is pad for text in a byte slice.
func padBytes(w *bufio.Writer, b []byte, n int) {
	w.Write(b)
	spaces(w, n-len(b))
}

// padLeft writes s right-aligned in a field of n bytes: printf's "%Ns".
func padLeft(w *bufio.Writer, s string, n int) {
	spaces(w, n-len(s))
	w.WriteString(s)
}

// spaces writes n spaces (none if n < 1).
func spaces(w *bufio.Writer, n int) {
	for ; n > 0; n-- {
		w.WriteByte(' ')
	}
}

// itoa is printf's "%d" of a C int. ipvsadm prints several unsigned
// kernel values (fwmarks, timeouts, sync IDs) with %d, so values of 2^31
// and more come out negative; callers convert to int32 to say so.
func itoa(v int32) string { return strconv.FormatInt(int64(v), 10) }

// utoa is printf's "%u" or "%llu".
func utoa(v uint64) string { return strconv.FormatUint(v, 10) }

// largeNum is ipvsadm's print_largenum: a counter in a 9-byte field,
// scaled to K, M, G or T (integer division, no rounding) once it no
// longer fits, or the exact value with at least one leading space under
// --exact. Nothing separates two full-width fields, so neighbouring
// columns can run together ("447740K12345691T"), as in ipvsadm.
func largeNum(v uint64, exact bool) string {
	if exact {
		s := utoa(v)
		if len(s) <= 8 {
			return strings.Repeat(" ", 9-len(s)) + s
		}
		return " " + s
	}
	var n uint64
	var unit string
	switch {
	case v < 100_000_000:
		s := utoa(v)
		return strings.Repeat(" ", 9-len(s)) + s
	case v < 1_000_000_000:
		n, unit = v/1_000, "K"
	case v < 100_000_000_000:
		n, unit = v/1_000_000, "M"
	case v < 100_000_000_000_000:
		n, unit = v/1_000_000_000, "G"
	default:
		n, unit = v/1_000_000_000_000, "T"
	}
	s := utoa(n)
	if len(s) < 8 {
		s = strings.Repeat(" ", 8-len(s)) + s
	}
	return s + unit
}

// ntop4 is the dotted-quad text of the 4 bytes b.
func ntop4(b [4]byte) string {
	var buf [15]byte
	return string(appendNtop4(buf[:0], b))
}

func appendNtop4(out []byte, b [4]byte) []byte {
	for i, x := range b {
		if i > 0 {
			out = append(out, '.')
		}
		out = strconv.AppendUint(out, uint64(x), 10)
	}
	return out
}

// appendNtop6 appends glibc's inet_ntop text for AF_INET6: lowercase hex
// groups without leading zeros, the first longest run of two or more zero
// groups as "::", and the last 32 bits as a dotted quad when the first 96
// bits are zero (with at least one non-zero group among the last two) or
// are ::ffff. Go's netip differs in that last rule.
func appendNtop6(out []byte, b [16]byte) []byte {
	var words [8]uint16
	for i := range words {
		words[i] = uint16(b[2*i])<<8 | uint16(b[2*i+1])
	}
	bestBase, bestLen := -1, 0
	curBase, curLen := -1, 0
	for i, wd := range words {
		if wd == 0 {
			if curBase == -1 {
				curBase, curLen = i, 1
			} else {
				curLen++
			}
			continue
		}
		if curBase != -1 {
			if bestBase == -1 || curLen > bestLen {
				bestBase, bestLen = curBase, curLen
			}
			curBase = -1
		}
	}
	if curBase != -1 && (bestBase == -1 || curLen > bestLen) {
		bestBase, bestLen = curBase, curLen
	}
	if bestBase != -1 && bestLen < 2 {
		bestBase = -1
	}
	for i := 0; i < 8; i++ {
		if bestBase != -1 && i >= bestBase && i < bestBase+bestLen {
			if i == bestBase {
				out = append(out, ':')
			}
			continue
		}
		if i != 0 {
			out = append(out, ':')
		}
		if i == 6 && bestBase == 0 && (bestLen == 6 || (bestLen == 5 && words[5] == 0xffff)) {
			out = appendNtop4(out, [4]byte{b[12], b[13], b[14], b[15]})
			break
		}
		out = strconv.AppendUint(out, uint64(words[i]), 16)
	}
	if bestBase != -1 && bestBase+bestLen == 8 {
		out = append(out, ':')
	}
	return out
}

// familyAddr returns a as the kernel's address union holds it for family
// f: an IPv4 address is the first 4 bytes of the union (the rest zero),
// so an address of the other family is read the way ipvsadm would read
// that union. The invalid Addr reads as all zeros. ok is false for a
// family that is neither INET nor INET6.
func familyAddr(f ipvs.Family, a netip.Addr) (netip.Addr, bool) {
	var u [16]byte
	switch {
	case a.Is4():
		b := a.As4()
		copy(u[:], b[:])
	case a.IsValid():
		u = a.As16()
	}
	switch f {
	case ipvs.INET:
		return netip.AddrFrom4([4]byte{u[0], u[1], u[2], u[3]}), true
	case ipvs.INET6:
		return netip.AddrFrom16(u), true
	}
	return netip.Addr{}, false
}

// addrText is inet_ntop's text of a in family f. inet_ntop fails for any
// other family, and glibc's printf shows the resulting NULL as "(null)".
func addrText(f ipvs.Family, a netip.Addr) string {
	var buf [46]byte
	return string(appendAddrText(buf[:0], f, a))
}

func appendAddrText(out []byte, f ipvs.Family, a netip.Addr) []byte {
	fa, ok := familyAddr(f, a)
	switch {
	case !ok:
		return append(out, "(null)"...)
	case f == ipvs.INET:
		return appendNtop4(out, fa.As4())
	}
	return appendNtop6(out, fa.As16())
}

// addrPort is ipvsadm's addrport_to_anyname: "ADDR:PORT" for IPv4 and
// "[ADDR]:PORT" for anything else, also when ADDR is a host name. Unless
// numeric, the address is replaced by its host name (gethostbyaddr) and
// the port by its service name for proto (getservbyport), each only when
// the lookup succeeds. The text is cut to 59 bytes.
func addrPort(f ipvs.Family, a netip.Addr, port uint16, proto ipvs.Protocol, numeric bool, r Resolver) string {
	var buf [addrPortMax + 8]byte
	return string(appendAddrPort(buf[:0], f, a, port, proto, numeric, r))
}

// appendAddrPort appends addrPort's text to out.
func appendAddrPort(out []byte, f ipvs.Family, a netip.Addr, port uint16, proto ipvs.Protocol, numeric bool, r Resolver) []byte {
	start := len(out)
	var host, serv string
	var hostOK, servOK bool
	if !numeric && r != nil {
		if fa, ok := familyAddr(f, a); ok {
			host, hostOK = r.HostName(fa)
		}
		// Ports are looked up under the same names ipvsadm parses them
		// with (protoName); other protocols keep their numbers.
		if p := protoName(proto); p != "" {
			serv, servOK = r.PortName(port, p)
		}
	}
	if f != ipvs.INET {
		out = append(out, '[')
	}
	if hostOK {
		out = append(out, host...)
	} else {
		out = appendAddrText(out, f, a)
	}
	if f != ipvs.INET {
		out = append(out, ']')
	}
	out = append(out, ':')
	if servOK {
		out = append(out, serv...)
	} else {
		out = strconv.AppendUint(out, uint64(port), 10)
	}
	return cutBytes(out, start, addrPortMax)
}

// cutBytes shortens what was appended to b after start to at most n
// bytes, as a C string ended early with a NUL: a cut may fall inside a
// multi-byte character, as in C.
func cutBytes(b []byte, start, n int) []byte {
	if len(b)-start > n {
		return b[:start+n]
	}
	return b
}

// protoLabel is the protocol column of the table listings.
func protoLabel(p ipvs.Protocol) string {
	switch p {
	case ipvs.TCP:
		return "TCP"
	case ipvs.UDP:
		return "UDP"
	case ipvs.SCTP:
		return "SCTP"
	}
	return "?"
}

// maskText is inet_ntoa of an IPv4 netmask held, as in ipvs.Service, as
// the mask's big-endian number (255.255.255.0 is 0xffffff00).
func maskText(m uint32) string {
	return ntop4([4]byte{byte(m >> 24), byte(m >> 16), byte(m >> 8), byte(m)})
}

// schedFlagNames is ipvsadm's print_sched_flags: the names of the set
// scheduler flags, comma-joined. Names depend on the scheduler: sh and mh
// have their own names for flags 1 and 2 and none for flag 3, which is
// then silently left out (giving "()" or a dangling "-b " upstream).
func schedFlagNames(s *ipvs.Service) string {
	var names []string
	add := func(f ipvs.ServiceFlags, name string) {
		if s.Flags&f != 0 {
			names = append(names, name)
		}
	}
	switch s.Scheduler {
	case "sh":
		add(ipvs.FlagSHFallback, "sh-fallback")
		add(ipvs.FlagSHPort, "sh-port")
	case "mh":
		add(ipvs.FlagMHFallback, "mh-fallback")
		add(ipvs.FlagMHPort, "mh-port")
	default:
		add(ipvs.FlagSched1, "flag-1")
		add(ipvs.FlagSched2, "flag-2")
		add(ipvs.FlagSched3, "flag-3")
	}
	return strings.Join(names, ",")
}

// hasSchedFlags reports whether any scheduler flag is set, which is what
// decides whether ipvsadm prints the flag list at all.
func hasSchedFlags(s *ipvs.Service) bool {
	return s.Flags&(ipvs.FlagSched1|ipvs.FlagSched2|ipvs.FlagSched3) != 0
}

// fwdMask selects the forwarding method from a destination's connection
// flags (IP_VS_CONN_F_FWD_MASK).
const fwdMask = 7

// fwdName is the Forward column. Methods without a name (bypass, or
// anything the kernel may add) print as glibc prints a NULL string.
func fwdName(m ipvs.FwdMethod) string {
	switch m & fwdMask {
	case ipvs.Masq:
		return "Masq"
	case ipvs.LocalNode:
		return "Local"
	case ipvs.Tunnel:
		return "Tunnel"
	case ipvs.Route:
		return "Route"
	}
	return "(null)"
}
