package lvsconf

import (
	"errors"
	"math"
	"net/netip"
	"strconv"
	"strings"
)

// errSyntax and errRange are what the number readers report; the parser
// turns them into located messages.
var (
	errSyntax = errors.New("syntax")
	errRange  = errors.New("range")
)

// parseInt reads an integer as C's strtol with base 0 does, which is
// how Piranha reads every number: an optional sign, then 0x or 0X and
// hex digits, or a leading 0 and octal digits (so 010 is 8 and 08 is an
// error), or decimal digits; nothing may follow. Unlike strtol, a value
// beyond 64 bits is an error rather than clamped.
func parseInt(s string) (int64, error) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	u, err := parseUint(s)
	if err != nil {
		return 0, err
	}
	if neg {
		if u > 1<<63 {
			return 0, errRange
		}
		return -int64(u), nil
	}
	if u > math.MaxInt64 {
		return 0, errRange
	}
	return int64(u), nil
}

// parseUint reads an unsigned number in strtoul's base 0 without a sign.
func parseUint(s string) (uint64, error) {
	base := 10
	switch {
	case len(s) > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X'):
		base, s = 16, s[2:]
	case len(s) > 1 && s[0] == '0':
		base, s = 8, s[1:]
	}
	if s == "" || s[0] == '+' || s[0] == '-' || s[0] == '_' || strings.Contains(s, "_") {
		return 0, errSyntax
	}
	u, err := strconv.ParseUint(s, base, 64)
	if err != nil {
		if errors.Is(err, strconv.ErrRange) {
			return 0, errRange
		}
		return 0, errSyntax
	}
	return u, nil
}

// octal reports whether s is written with a leading zero, which strtol
// reads as octal: worth a warning, since 010 is 8.
func octal(s string) bool {
	s = strings.TrimLeft(s, "+-")
	return len(s) > 1 && s[0] == '0' && s[1] != 'x' && s[1] != 'X'
}

// ParseInetAton reads an IPv4 address as inet_aton does, which is how
// Piranha reads addresses: one to four parts separated by dots, each a
// number in strtoul's base 0 (decimal, 0 octal, 0x hex), the last part
// filling the remaining bytes (10.1 is 10.0.0.1, 167772161 is
// 10.0.0.1).
func ParseInetAton(s string) (netip.Addr, bool) {
	parts := strings.Split(s, ".")
	if len(parts) > 4 {
		return netip.Addr{}, false
	}
	var v [4]uint64
	for i, p := range parts {
		if p == "" || p[0] == '+' || p[0] == '-' {
			return netip.Addr{}, false
		}
		u, err := parseUint(p)
		if err != nil {
			return netip.Addr{}, false
		}
		v[i] = u
	}
	n := len(parts)
	// Each leading part is one byte; the last fills what is left.
	for i := 0; i < n-1; i++ {
		if v[i] > 0xff {
			return netip.Addr{}, false
		}
	}
	if v[n-1] >= 1<<(8*(5-n)) {
		return netip.Addr{}, false
	}
	var a uint32
	for i := 0; i < n-1; i++ {
		a |= uint32(v[i]) << (24 - 8*i)
	}
	a |= uint32(v[n-1])
	return netip.AddrFrom4([4]byte{byte(a >> 24), byte(a >> 16), byte(a >> 8), byte(a)}), true
}
