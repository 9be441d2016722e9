package ipvsadm

import (
	"bufio"
	"bytes"
	"math"
	"net/netip"
	"os"
	"strings"
	"sync"
)

// SystemResolver is the Resolver of a machine whose name service is
// "hosts: files" and "services: files": it answers from the hosts and
// services files the way glibc 2.36's files backend does, which is what
// ipvsadm 1.31 sees on Debian without DNS. Each file is read once, on
// first use, into maps that keep the first line's answer, as glibc's
// scan from the top of the file does; a missing or unreadable file
// answers nothing. The zero value reads /etc/hosts and /etc/services and
// is safe for concurrent use.
type SystemResolver struct {
	// HostsPath is the hosts file; empty means /etc/hosts.
	HostsPath string
	// ServicesPath is the services file; empty means /etc/services.
	ServicesPath string

	hostsOnce sync.Once
	hosts     hostsIndex
	servOnce  sync.Once
	services  servicesIndex
}

var _ Resolver = (*SystemResolver)(nil)

// hostsIndex is what the hosts file answers.
type hostsIndex struct {
	// addr4 maps an ASCII-lowercased name or alias to the address an
	// IPv4 query sees on the first line carrying it: the line's IPv4
	// address, or for IPv6 text the unmapped address of a v4-mapped one
	// and 127.0.0.1 for ::1, as glibc's line parser converts them for
	// AF_INET (other IPv6 lines are invisible to IPv4 queries).
	addr4 map[string]netip.Addr
	// name4 and name6 map an address to the official name of the first
	// line with it, for IPv4 queries (with the same conversions) and for
	// IPv6 queries (IPv6 lines only). The name may be empty (a line with
	// an address only), as glibc allows.
	name4, name6 map[netip.Addr]string
}

type servKey struct {
	name, proto string
}

type portKey struct {
	port  uint16
	proto string
}

// servicesIndex is what the services file answers.
type servicesIndex struct {
	port map[servKey]uint16 // by name or alias
	name map[portKey]string // the official name
}

func (r *SystemResolver) hostsTable() *hostsIndex {
	r.hostsOnce.Do(func() {
		path := r.HostsPath
		if path == "" {
			path = "/etc/hosts"
		}
		r.hosts = parseHosts(readLines(path))
	})
	return &r.hosts
}

func (r *SystemResolver) servicesTable() *servicesIndex {
	r.servOnce.Do(func() {
		path := r.ServicesPath
		if path == "" {
			path = "/etc/services"
		}
		r.services = parseServices(readLines(path))
	})
	return &r.services
}

// LookupHost4 is gethostbyname(name) for IPv4: a name of digits and dots
// is an address only (inet_aton's forms, none of the files consulted), an
// IPv6 literal has no IPv4 address, and anything else is the address of
// the first hosts line naming it (ASCII case ignored, as strcasecmp).
func (r *SystemResolver) LookupHost4(name string) (netip.Addr, bool) {
	if a, numeric, ok := numericHost4(name); numeric {
		return a, ok
	}
	a, ok := r.hostsTable().addr4[asciiLower(name)]
	return a, ok
}

// HostName is gethostbyaddr: the official name of the first hosts line
// with that address. IPv4 lines answer IPv4 queries (with ::1 and
// v4-mapped lines counting as IPv4), IPv6 lines answer IPv6 queries, and
// the unspecified IPv6 address is never looked up.
func (r *SystemResolver) HostName(a netip.Addr) (string, bool) {
	var name string
	var ok bool
	switch {
	case a.Is4():
		name, ok = r.hostsTable().name4[a]
	case a.IsValid() && a != netip.IPv6Unspecified():
		name, ok = r.hostsTable().name6[a]
	}
	return name, ok
}

// LookupPort is getservbyname(name, proto): the port of the first line
// of the services file for proto whose name or alias is name (case
// matters).
func (r *SystemResolver) LookupPort(name, proto string) (uint16, bool) {
	p, ok := r.servicesTable().port[servKey{name, proto}]
	return p, ok
}

// PortName is getservbyport(port, proto): the name on the first line of
// the services file for that port and protocol.
func (r *SystemResolver) PortName(port uint16, proto string) (string, bool) {
	n, ok := r.servicesTable().name[portKey{port, proto}]
	return n, ok
}

// readLines returns the file's lines, or none if it cannot be read.
func readLines(path string) []string {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil
	}
	var lines []string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, len(data)+1)
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	return lines
}

// nssFields strips a comment (from "#" on) and splits the rest at C
// white space, as glibc's files parsers do. It returns nil for lines
// they skip.
func nssFields(line string) []string {
	if i := strings.IndexByte(line, '#'); i >= 0 {
		line = line[:i]
	}
	return strings.FieldsFunc(line, func(c rune) bool { return c < 0x80 && cIsSpace(byte(c)) })
}

// parseHosts indexes the lines glibc can use: an address inet_pton
// accepts as IPv4 or IPv6 (no zone), then names.
func parseHosts(lines []string) hostsIndex {
	x := hostsIndex{addr4: map[string]netip.Addr{}, name4: map[netip.Addr]string{}, name6: map[netip.Addr]string{}}
	for _, line := range lines {
		f := nssFields(line)
		if len(f) == 0 {
			continue
		}
		var v4 netip.Addr
		if a, ok := inetPton4(f[0]); ok {
			v4 = a
		} else if a, ok := inetPton6(f[0]); ok {
			if _, seen := x.name6[a]; !seen {
				x.name6[a] = official(f)
			}
			switch {
			case a.Is4In6():
				v4 = a.Unmap()
			case a == netip.IPv6Loopback():
				v4 = netip.AddrFrom4([4]byte{127, 0, 0, 1})
			}
		}
		if !v4.IsValid() {
			continue
		}
		if _, seen := x.name4[v4]; !seen {
			x.name4[v4] = official(f)
		}
		names := f[1:]
		if len(names) == 0 {
			names = []string{""}
		}
		for _, n := range names {
			n = asciiLower(n)
			if _, seen := x.addr4[n]; !seen {
				x.addr4[n] = v4
			}
		}
	}
	return x
}

// official is the official name of a hosts line split into fields.
func official(f []string) string {
	if len(f) < 2 {
		return ""
	}
	return f[1]
}

// parseServices indexes the lines glibc can use: a name, then
// "port/proto" (see servicesPort), then aliases.
func parseServices(lines []string) servicesIndex {
	x := servicesIndex{port: map[servKey]uint16{}, name: map[portKey]string{}}
	for _, line := range lines {
		f := nssFields(line)
		if len(f) < 2 {
			continue
		}
		portText, proto, ok := strings.Cut(f[1], "/")
		if !ok {
			continue
		}
		port, ok := servicesPort(portText)
		if !ok {
			continue
		}
		if _, seen := x.name[portKey{port, proto}]; !seen {
			x.name[portKey{port, proto}] = f[0]
		}
		for i, n := range f {
			if i == 1 {
				continue
			}
			if _, seen := x.port[servKey{n, proto}]; !seen {
				x.port[servKey{n, proto}] = port
			}
		}
	}
	return x
}

// servicesPort reads the port before the slash as glibc 2.36 does: all
// of it must be one strtoul number in base 0 (decimal, 0 octal, 0x hex,
// an optional sign), at most 2^32-1 after a minus negates it modulo
// 2^64; the port is its low 16 bits, as htons keeps them.
func servicesPort(t string) (uint16, bool) {
	neg := false
	if t != "" && (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-'
		t = t[1:]
	}
	base := 10
	switch {
	case len(t) > 2 && t[0] == '0' && (t[1] == 'x' || t[1] == 'X') && digitIn(t[2], 16):
		base, t = 16, t[2:]
	case len(t) > 1 && t[0] == '0':
		base = 8
	}
	if t == "" {
		return 0, false
	}
	var v uint64
	for i := 0; i < len(t); i++ {
		d := hexDigit(t[i])
		if d < 0 || d >= base {
			return 0, false
		}
		v = v*uint64(base) + uint64(d)
		if v > math.MaxUint32 {
			return 0, false
		}
	}
	if neg {
		v = -v
	}
	if v > math.MaxUint32 {
		return 0, false
	}
	return uint16(v), true
}

// numericHost4 is what gethostbyname does with a name that starts with a
// digit and has only digits and dots, not ending in a dot: it is parsed
// with inet_aton (decimal or, with a leading 0, octal parts; a, a.b,
// a.b.c or a.b.c.d) and never looked up. numeric is false for other
// names, true with ok false for an IPv6 literal, which has no IPv4
// address.
func numericHost4(name string) (a netip.Addr, numeric, ok bool) {
	if name == "" {
		return netip.Addr{}, false, false
	}
	if c := name[0]; '0' <= c && c <= '9' && strings.Trim(name, "0123456789.") == "" && !strings.HasSuffix(name, ".") {
		a, ok := inetAton(name)
		return a, true, ok
	}
	if (hexDigit(name[0]) >= 0 && strings.IndexByte(name, ':') >= 0 || name[0] == ':') &&
		strings.Trim(name, "0123456789abcdefABCDEF:.") == "" && !strings.HasSuffix(name, ".") {
		return netip.Addr{}, true, false
	}
	return netip.Addr{}, false, false
}

// asciiLower folds ASCII letters only, as strcasecmp does in the C
// locale.
func asciiLower(s string) string {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if 'A' <= b[j] && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}
