package ipvsadm

import (
	"math"
	"net/netip"
	"strings"

	"lvskit/internal/ipvs"
)

// This file holds the C-library parsing ipvsadm 1.31 relies on: strtol,
// atoi, glibc's inet_aton and inet_pton, and ipvsadm's own parse_service
// built on them. Every quirk kept here is observable on the command line
// (see ipvsadm-reference.md §2.3 and §4), so none of it is "cleaned up".

// cIsSpace is isspace in the C locale, which ipvsadm never changes.
func cIsSpace(c byte) bool { return c == ' ' || c >= '\t' && c <= '\r' }

func cIsDigit(c byte) bool { return c >= '0' && c <= '9' }

// cStrtol is glibc's strtol(s, &end, 10) on a 64-bit long: leading
// whitespace and one sign are skipped, then decimal digits are taken. It
// returns the value (clamped to the int64 range on overflow, as strtol
// does), the text after the digits, whether any digit was found (strtol
// sets end back to s when none was) and whether it overflowed (ERANGE).
func cStrtol(s string) (v int64, rest string, digits, overflow bool) {
	i := 0
	for i < len(s) && cIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	var mag uint64 // magnitude, saturating just past MaxInt64+1
	for i < len(s) && cIsDigit(s[i]) {
		d := uint64(s[i] - '0')
		if mag > (math.MaxUint64-d)/10 {
			mag = math.MaxUint64
		} else {
			mag = mag*10 + d
		}
		i++
	}
	if i == start {
		return 0, s, false, false
	}
	switch {
	case !neg && mag > math.MaxInt64:
		return math.MaxInt64, s[i:], true, true
	case neg && mag > math.MaxInt64+1:
		return math.MinInt64, s[i:], true, true
	case neg:
		return int64(-mag), s[i:], true, false // -(MaxInt64+1) wraps to MinInt64, as wanted
	}
	return int64(mag), s[i:], true, false
}

// stringToNumber is ipvsadm's string_to_number: the whole string must be
// a base-10 strtol number without overflow, within [lo, hi]. So "080" is
// 80, " +5" is 5, and "0x50", "10x", "5 " and "" are rejected.
func stringToNumber(s string, lo, hi int64) (int64, bool) {
	v, rest, digits, overflow := cStrtol(s)
	if !digits || rest != "" || overflow || v < lo || v > hi {
		return 0, false
	}
	return v, true
}

// cAtoi is glibc's atoi, which is (int)strtol(s, NULL, 10): trailing
// garbage is ignored ("64abc" is 64), no digits give 0, and an
// out-of-range value is truncated to its low 32 bits after strtol's
// clamping. ipvsadm reads an IPv6 -M with it.
func cAtoi(s string) int32 {
	v, _, _, _ := cStrtol(s)
	return int32(v) // keeps the low 32 bits, as the C cast does
}

// cStrtoul0 is the part of strtoul(s, &end, 0) that inet_aton uses on a
// string known to start with a digit: "0x"/"0X" followed by a hex digit
// selects hex, a leading 0 octal, anything else decimal. It returns the
// value, the index after the digits, and false if the value does not fit
// in 32 bits (inet_aton rejects those, and strtoul's ERANGE with them).
func cStrtoul0(s string, i int) (uint64, int, bool) {
	base := uint64(10)
	if s[i] == '0' {
		base = 8
		if i+2 < len(s) && (s[i+1] == 'x' || s[i+1] == 'X') && hexDigit(s[i+2]) >= 0 {
			base = 16
			i += 2
		}
	}
	var v uint64
	fits := true
	for ; i < len(s); i++ {
		d := hexDigit(s[i])
		if d < 0 || uint64(d) >= base {
			break
		}
		v = v*base + uint64(d)
		if v > math.MaxUint32 {
			fits = false
			v = math.MaxUint32 + 1 // keep accumulating without overflow
		}
	}
	return v, i, fits
}

func hexDigit(c byte) int {
	switch {
	case c >= '0' && c <= '9':
		return int(c - '0')
	case c >= 'a' && c <= 'f':
		return int(c-'a') + 10
	case c >= 'A' && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// inetAton is glibc's inet_aton: one to four parts separated by dots,
// each decimal, octal (leading 0) or hex (0x); the last part fills the
// remaining bytes, so "1.2.3" is 1.2.0.3, "167772161" and "0x0a000001"
// are 10.0.0.1 and "16" is 0.0.0.16. glibc's inet_aton (unlike
// getaddrinfo) accepts anything after a whitespace character following
// the address: "10.0.0.1 junk" is 10.0.0.1.
func inetAton(s string) (netip.Addr, bool) {
	var lead [3]uint64 // the parts before the last one, one byte each
	n := 0
	i := 0
	var last uint64
	for {
		if i >= len(s) || !cIsDigit(s[i]) {
			return netip.Addr{}, false
		}
		v, end, fits := cStrtoul0(s, i)
		if !fits {
			return netip.Addr{}, false
		}
		i = end
		if i < len(s) && s[i] == '.' {
			if n > 2 || v > 0xff {
				return netip.Addr{}, false
			}
			lead[n] = v
			n++
			i++
			continue
		}
		last = v
		break
	}
	if i < len(s) && !cIsSpace(s[i]) {
		return netip.Addr{}, false
	}
	if last > [4]uint64{0xffffffff, 0xffffff, 0xffff, 0xff}[n] {
		return netip.Addr{}, false
	}
	u := uint32(lead[0]<<24 | lead[1]<<16 | lead[2]<<8 | last)
	return netip.AddrFrom4([4]byte{byte(u >> 24), byte(u >> 16), byte(u >> 8), byte(u)}), true
}

// inetPton4 is inet_pton(AF_INET): exactly four decimal octets without
// leading zeros. net/netip's IPv4 syntax is the same.
func inetPton4(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is4() {
		return netip.Addr{}, false
	}
	return a, true
}

// inetPton6 is inet_pton(AF_INET6). net/netip accepts the same syntax
// plus a "%zone" suffix, which inet_pton rejects (so ipvsadm refuses
// fe80::1%eth0).
func inetPton6(s string) (netip.Addr, bool) {
	if !strings.Contains(s, ":") || strings.Contains(s, "%") {
		return netip.Addr{}, false
	}
	a, err := netip.ParseAddr(s)
	if err != nil || !a.Is6() {
		return netip.Addr{}, false
	}
	return a, true
}

// lookupHost4 is ipvsadm's host_to_addr: gethostbyname, IPv4 only, the
// first address. gethostbyname answers a name made only of digits and
// dots (not ending in a dot) itself, without a lookup, and such a name
// has already failed inet_aton; an empty name never matches. Neither
// reaches the resolver.
func lookupHost4(name string, r Resolver) (netip.Addr, bool) {
	if name == "" || r == nil || digitsAndDots(name) {
		return netip.Addr{}, false
	}
	a, ok := r.LookupHost4(name)
	if !ok || !a.Is4() {
		return netip.Addr{}, false
	}
	return a, true
}

func digitsAndDots(s string) bool {
	if s[len(s)-1] == '.' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !cIsDigit(s[i]) && s[i] != '.' {
			return false
		}
	}
	return true
}

// protoName is the /etc/services protocol ipvsadm's service_to_port
// looks names up in. IPPROTO_IP (a -r given before -t/-u) has none, so
// service names fail there.
func protoName(p ipvs.Protocol) string {
	switch p {
	case ipvs.TCP:
		return "tcp"
	case ipvs.UDP:
		return "udp"
	case ipvs.SCTP:
		return "sctp"
	}
	return ""
}

// parsePort reads the port of a host:port argument: a decimal 0..65535,
// else a service name for the protocol known at this point.
func parsePort(s string, proto ipvs.Protocol, r Resolver) (uint16, bool) {
	if n, ok := stringToNumber(s, 0, 65535); ok {
		return uint16(n), true
	}
	pn := protoName(proto)
	if s == "" || pn == "" || r == nil {
		return 0, false
	}
	return r.LookupPort(s, pn)
}

// hostPort is what ipvsadm's parse_service found in an argument.
type hostPort struct {
	addr    netip.Addr
	port    uint16
	hasPort bool // a port was given; otherwise the caller's default applies
}

// parseHostPort is ipvsadm's parse_service, for -t, -u, --sctp-service
// and -r, with proto the service protocol known when the option is
// parsed (0 for a -r before -t/-u). Its observable rules:
//   - an empty argument or one made only of digits is refused (-t 80);
//   - "[text]:port": the text inside the brackets is the address, and
//     "[x]", "[x]80" and "[x" are refused;
//   - an IPv6 literal (bracketed or not) is taken as IPv6; unbracketed it
//     has no port at all ("::1:80" is the address ::1:80, port 0);
//   - otherwise the last ':' splits host and port, and the host goes to
//     inet_aton, then gethostbyname. For a bracketed IPv4 text that
//     split runs inside the brackets, so "[10.0.0.1]:80" has no port
//     (and "[10.0.0.1:90]:80" has port 90);
//   - the port is a decimal 0..65535 or a service name.
func parseHostPort(arg string, proto ipvs.Protocol, r Resolver) (hostPort, bool) {
	if arg == "" || allDigits(arg) {
		return hostPort{}, false
	}
	host := arg
	var port string
	hasPort := false
	if arg[0] == '[' {
		inner := arg[1:]
		end := strings.IndexByte(inner, ']')
		if end < 0 {
			return hostPort{}, false
		}
		after := inner[end+1:]
		if after == "" || after[0] != ':' {
			return hostPort{}, false
		}
		host, port, hasPort = inner[:end], after[1:], true
	}
	var hp hostPort
	if a, ok := inetPton6(host); ok {
		hp.addr = a
	} else {
		hasPort = false
		if i := strings.LastIndexByte(host, ':'); i >= 0 {
			host, port, hasPort = host[:i], host[i+1:], true
		}
		a, ok := inetAton(host)
		if !ok {
			if a, ok = lookupHost4(host, r); !ok {
				return hostPort{}, false
			}
		}
		hp.addr = a
	}
	if hasPort {
		p, ok := parsePort(port, proto, r)
		if !ok {
			return hostPort{}, false
		}
		hp.port, hp.hasPort = p, true
	}
	return hp, true
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !cIsDigit(s[i]) {
			return false
		}
	}
	return true
}

// parseNetmask4 is ipvsadm's parse_netmask for an IPv4 service: inet_aton,
// then gethostbyname, so "-M 16" is 0.0.0.16 and "-M localhost" is
// 127.0.0.1; contiguity is not checked. The result follows
// ipvs.Service.Netmask: the mask as a big-endian number.
func parseNetmask4(s string, r Resolver) (uint32, bool) {
	a, ok := inetAton(s)
	if !ok {
		if a, ok = lookupHost4(s, r); !ok {
			return 0, false
		}
	}
	b := a.As4()
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]), true
}

// parseMcastGroup reads --mcast-group: with a ':' it must be an IPv6
// multicast address, otherwise a dotted-quad IPv4 multicast address
// (inet_pton, not inet_aton). The bool reports which family was tried,
// for the message.
func parseMcastGroup(s string) (a netip.Addr, ipv6, ok bool) {
	if strings.Contains(s, ":") {
		a, ok := inetPton6(s)
		// IN6_IS_ADDR_MULTICAST looks at the first byte only, so unlike
		// netip's IsMulticast it refuses ::ffff:224.0.0.1.
		return a, true, ok && a.As16()[0] == 0xff
	}
	a, ok = inetPton4(s)
	return a, false, ok && a.IsMulticast()
}
