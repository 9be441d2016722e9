package ipvsadm

import (
	"math"
	"net/netip"
	"testing"

	"lvskit/internal/ipvs"
)

// TestInetAton checks glibc inet_aton's forms and limits.
func TestInetAton(t *testing.T) {
	cases := []struct {
		in   string
		want string // "" for rejected
	}{
		{"1.2.3.4", "1.2.3.4"},
		{"1.2.3", "1.2.0.3"},
		{"1.2", "1.0.0.2"},
		{"1", "0.0.0.1"},
		{"00", "0.0.0.0"},
		{"167772161", "10.0.0.1"},
		{"0x0a000001", "10.0.0.1"},
		{"0X0A000001", "10.0.0.1"},
		{"012.0.0.1", "10.0.0.1"},
		{"0x7f.1", "127.0.0.1"},
		{"4294967295", "255.255.255.255"},
		{"0xffffffff", "255.255.255.255"},
		{"037777777777", "255.255.255.255"},
		{"1.16777215", "1.255.255.255"},
		{"1.2.65535", "1.2.255.255"},
		{"1.2.3.4 ", "1.2.3.4"},
		{"1.2.3.4\tjunk", "1.2.3.4"},
		{"1.2.3.4\n", "1.2.3.4"},
		{"1 2", "0.0.0.1"},
		{"4294967296", ""},
		{"0x100000000", ""},
		{"99999999999999999999999", ""},
		{"1.16777216", ""},
		{"1.2.65536", ""},
		{"1.2.3.256", ""},
		{"256.1.1.1", ""},
		{"1.2.3.4.5", ""},
		{"", ""},
		{".", ""},
		{"1.", ""},
		{".1", ""},
		{"1..2", ""},
		{" 1.2.3.4", ""},
		{"+1", ""},
		{"-1", ""},
		{"1.2.3.4x", ""},
		{"1.2.3.4:80", ""},
		{"08", ""},
		{"0x", ""},
		{"0xg", ""},
		{"0x1g", ""},
		{"localhost", ""},
		{"::1", ""},
	}
	for _, tc := range cases {
		a, ok := inetAton(tc.in)
		got := ""
		if ok {
			got = a.String()
			if !a.Is4() {
				t.Errorf("inetAton(%q) = %v, not IPv4", tc.in, a)
			}
		}
		if got != tc.want {
			t.Errorf("inetAton(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestStrtol(t *testing.T) {
	cases := []struct {
		in       string
		v        int64
		rest     string
		digits   bool
		overflow bool
	}{
		{"80", 80, "", true, false},
		{"080", 80, "", true, false},
		{" \t\n\v\f\r+5", 5, "", true, false},
		{"-5x", -5, "x", true, false},
		{"0x50", 0, "x50", true, false},
		{"", 0, "", false, false},
		{"-", 0, "-", false, false},
		{" +", 0, " +", false, false},
		{"abc", 0, "abc", false, false},
		{"9223372036854775807", math.MaxInt64, "", true, false},
		{"9223372036854775808", math.MaxInt64, "", true, true},
		{"-9223372036854775808", math.MinInt64, "", true, false},
		{"-9223372036854775809", math.MinInt64, "", true, true},
		{"999999999999999999999999999 x", math.MaxInt64, " x", true, true},
	}
	for _, tc := range cases {
		v, rest, digits, overflow := cStrtol(tc.in)
		if v != tc.v || rest != tc.rest || digits != tc.digits || overflow != tc.overflow {
			t.Errorf("cStrtol(%q) = %d %q %v %v, want %d %q %v %v", tc.in, v, rest, digits, overflow, tc.v, tc.rest, tc.digits, tc.overflow)
		}
	}
}

func TestStringToNumber(t *testing.T) {
	cases := []struct {
		in     string
		lo, hi int64
		want   int64
		ok     bool
	}{
		{"080", 0, 65535, 80, true},
		{"+5", 0, 10, 5, true},
		{" 5", 0, 10, 5, true},
		{"-0", 0, 10, 0, true},
		{"65535", 0, 65535, 65535, true},
		{"65536", 0, 65535, 0, false},
		{"-1", 0, 65535, 0, false},
		{"0x50", 0, 65535, 0, false},
		{"10x", 0, 65535, 0, false},
		{"5 ", 0, 65535, 0, false},
		{"", 0, 65535, 0, false},
		{"+", 0, 65535, 0, false},
		{"99999999999999999999", 0, math.MaxInt64, 0, false},
	}
	for _, tc := range cases {
		v, ok := stringToNumber(tc.in, tc.lo, tc.hi)
		if v != tc.want || ok != tc.ok {
			t.Errorf("stringToNumber(%q, %d, %d) = %d %v, want %d %v", tc.in, tc.lo, tc.hi, v, ok, tc.want, tc.ok)
		}
	}
}

func TestAtoi(t *testing.T) {
	cases := map[string]int32{
		"64":                    64,
		"64abc":                 64,
		" -5x":                  -5,
		"":                      0,
		"abc":                   0,
		"4294967297":            1,  // low 32 bits
		"99999999999999999999":  -1, // LONG_MAX, then (int)
		"-99999999999999999999": 0,  // LONG_MIN, then (int)
	}
	for in, want := range cases {
		if got := cAtoi(in); got != want {
			t.Errorf("cAtoi(%q) = %d, want %d", in, got, want)
		}
	}
}

func TestInetPton(t *testing.T) {
	v6 := map[string]bool{
		"::1":                 true,
		"::":                  true,
		"2001:db8::1":         true,
		"::ffff:1.2.3.4":      true,
		"1:2:3:4:5:6:7:8":     true,
		"1:2:3:4:5:6:1.2.3.4": true,
		"fe80::1%eth0":        false,
		"1.2.3.4":             false,
		"1::2::3":             false,
		":::":                 false,
		"::01.2.3.4":          false,
		"1:2:3:4:5:6:7:8:9":   false,
		"1:2:3:4:5:6:7::8":    false,
		"12345::":             false,
		"":                    false,
	}
	for in, want := range v6 {
		if _, ok := inetPton6(in); ok != want {
			t.Errorf("inetPton6(%q) = %v, want %v", in, ok, want)
		}
	}
	v4 := map[string]bool{
		"224.0.0.81": true,
		"0.0.0.0":    true,
		"224.1":      false,
		"224.01.0.1": false,
		"1.2.3.4 ":   false,
		"::1":        false,
		"0x0a000001": false,
	}
	for in, want := range v4 {
		if _, ok := inetPton4(in); ok != want {
			t.Errorf("inetPton4(%q) = %v, want %v", in, ok, want)
		}
	}
}

func TestParseHostPort(t *testing.T) {
	r := parseTestResolver{}
	cases := []struct {
		in      string
		proto   ipvs.Protocol
		addr    string // "" for rejected
		port    uint16
		hasPort bool
	}{
		{"10.0.0.1:80", ipvs.TCP, "10.0.0.1", 80, true},
		{"10.0.0.1", ipvs.TCP, "10.0.0.1", 0, false},
		{"10.0.0.1:0", ipvs.TCP, "10.0.0.1", 0, true},
		{"localhost", ipvs.TCP, "127.0.0.1", 0, false},
		{"localhost:http", ipvs.UDP, "127.0.0.1", 80, true},
		{"10.0.0.1:http", 0, "", 0, false}, // no protocol known yet
		{"10.0.0.1:80", 0, "10.0.0.1", 80, true},
		{"10.0.0.1:sip", ipvs.UDP, "10.0.0.1", 5060, true},
		{"10.0.0.1:sip", ipvs.TCP, "", 0, false},
		{"10.0.0.1:http", ipvs.SCTP, "", 0, false},
		{"[::1]:80", ipvs.TCP, "::1", 80, true},
		{"::1", ipvs.TCP, "::1", 0, false},
		{"::1:80", ipvs.TCP, "::1:80", 0, false},
		{"[10.0.0.1]:80", ipvs.TCP, "10.0.0.1", 0, false},
		{"[10.0.0.1:90]:80", ipvs.TCP, "10.0.0.1", 90, true},
		{"[]:80", ipvs.TCP, "", 0, false},
		{"[", ipvs.TCP, "", 0, false},
		{"[::1]", ipvs.TCP, "", 0, false},
		{"80", ipvs.TCP, "", 0, false},
		{"", ipvs.TCP, "", 0, false},
		{"0", ipvs.TCP, "", 0, false},
		{"1:80", ipvs.TCP, "0.0.0.1", 80, true},
	}
	for _, tc := range cases {
		hp, ok := parseHostPort(tc.in, tc.proto, r)
		if tc.addr == "" {
			if ok {
				t.Errorf("parseHostPort(%q, %v) = %+v, want rejected", tc.in, tc.proto, hp)
			}
			continue
		}
		want := hostPort{netip.MustParseAddr(tc.addr), tc.port, tc.hasPort}
		if !ok || hp != want {
			t.Errorf("parseHostPort(%q, %v) = %+v %v, want %+v", tc.in, tc.proto, hp, ok, want)
		}
	}
}

func TestParseNetmask4(t *testing.T) {
	r := parseTestResolver{}
	cases := map[string]uint32{
		"255.255.255.0":   0xffffff00,
		"255.255.255.255": 0xffffffff,
		"16":              0x10,
		"0xffff0000":      0xffff0000,
		"localhost":       0x7f000001,
	}
	for in, want := range cases {
		if got, ok := parseNetmask4(in, r); !ok || got != want {
			t.Errorf("parseNetmask4(%q) = %#x %v, want %#x", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "foo", "255.255.255.256", "v6only", "/24"} {
		if got, ok := parseNetmask4(in, r); ok {
			t.Errorf("parseNetmask4(%q) = %#x, want rejected", in, got)
		}
	}
}
