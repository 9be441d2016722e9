package ipvsadm

import (
	"bufio"
	"bytes"
	"net/netip"
	"strings"
	"testing"

	"lvskit/internal/ipvs"
)

// Every branch boundary of print_largenum, scaled and with --exact.
func TestLargeNum(t *testing.T) {
	tests := []struct {
		v            uint64
		scaled, full string
	}{
		{0, "        0", "        0"},
		{99_999_999, " 99999999", " 99999999"},
		{100_000_000, "  100000K", " 100000000"},
		{999_999_999, "  999999K", " 999999999"},
		{1_000_000_000, "    1000M", " 1000000000"},
		{99_999_999_999, "   99999M", " 99999999999"},
		{100_000_000_000, "     100G", " 100000000000"},
		{99_999_999_999_999, "   99999G", " 99999999999999"},
		{100_000_000_000_000, "     100T", " 100000000000000"},
		{12_345_691_256_913_469_400, "12345691T", " 12345691256913469400"},
		{18_446_744_073_709_551_615, "18446744T", " 18446744073709551615"},
	}
	for _, tt := range tests {
		if got := largeNum(tt.v, false); got != tt.scaled {
			t.Errorf("largeNum(%d) = %q, want %q", tt.v, got, tt.scaled)
		}
		if got := largeNum(tt.v, true); got != tt.full {
			t.Errorf("largeNum(%d, exact) = %q, want %q", tt.v, got, tt.full)
		}
	}
}

// The expected texts are glibc 2.36's inet_ntop output for the same
// addresses; Go's netip differs for several of them.
func TestNtop6(t *testing.T) {
	tests := map[string]string{
		"::":                   "::",
		"::1":                  "::1",
		"::2:3":                "::0.2.0.3",
		"::1:2":                "::0.1.0.2",
		"::ffff:1.2.3.4":       "::ffff:1.2.3.4",
		"0:0:0:0:0:ffff:0:0":   "::ffff:0.0.0.0",
		"::ffff:0:1.2.3.4":     "::ffff:0:102:304",
		"1:0:0:2:0:0:0:3":      "1:0:0:2::3",
		"1:0:0:2:0:0:3:4":      "1::2:0:0:3:4",
		"2001:db8:0:0:1:0:0:1": "2001:db8::1:0:0:1",
		"1:0:2:0:3:0:4:0":      "1:0:2:0:3:0:4:0",
		"fe80::1:0:0:0":        "fe80::1:0:0:0",
		"0:0:1::":              "0:0:1::",
		"::a:b:c:d:e":          "::a:b:c:d:e",
		"::1:0":                "::0.1.0.0",
		"::0.0.1.0":            "::100",
		"2001:0db8:0000:0000:0000:0000:0000:a0a0": "2001:db8::a0a0",
		"ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff": "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff",
		"::ffff:ffff":     "::255.255.255.255",
		"::fffe:1.2.3.4":  "::fffe:102:304",
		"1:2:3:4:5:6:7:8": "1:2:3:4:5:6:7:8",
		"0:0:0:0:0:1:0:0": "::1:0:0",
	}
	for in, want := range tests {
		if got := string(appendNtop6(nil, netip.MustParseAddr(in).As16())); got != want {
			t.Errorf("appendNtop6(%s) = %q, want %q", in, got, want)
		}
	}
}

// longNameResolver names every address and port with long names.
type longNameResolver struct{ host, port string }

func (r longNameResolver) LookupHost4(string) (netip.Addr, bool)    { return netip.Addr{}, false }
func (r longNameResolver) HostName(netip.Addr) (string, bool)       { return r.host, r.host != "" }
func (r longNameResolver) LookupPort(string, string) (uint16, bool) { return 0, false }
func (r longNameResolver) PortName(uint16, string) (string, bool)   { return r.port, r.port != "" }

func TestAddrPort(t *testing.T) {
	v4, v6 := netip.MustParseAddr("10.0.0.1"), netip.MustParseAddr("2001:db8::1")
	long := strings.Repeat("h", 70)
	tests := []struct {
		name    string
		f       ipvs.Family
		a       netip.Addr
		port    uint16
		proto   ipvs.Protocol
		numeric bool
		r       Resolver
		want    string
	}{
		{"IPv4 numeric", ipvs.INET, v4, 80, ipvs.TCP, true, listResolver{}, "10.0.0.1:80"},
		{"IPv6 numeric", ipvs.INET6, v6, 80, ipvs.TCP, true, listResolver{}, "[2001:db8::1]:80"},
		{"IPv6 port named", ipvs.INET6, v6, 80, ipvs.TCP, false, listResolver{}, "[2001:db8::1]:http"},
		{"IPv6 host named keeps brackets", ipvs.INET6, v6, 443, ipvs.TCP, false, longNameResolver{host: "ip6-localhost"}, "[ip6-localhost]:443"},
		{"port 0 numeric unless named", ipvs.INET, v4, 0, ipvs.TCP, false, listResolver{}, "10.0.0.1:0"},
		{"port of an unknown protocol stays numeric", ipvs.INET, v4, 80, 0, false, listResolver{}, "10.0.0.1:80"},
		{"udp name", ipvs.INET, v4, 53, ipvs.UDP, false, listResolver{}, "10.0.0.1:domain"},
		{"no sctp entry", ipvs.INET, v4, 5060, ipvs.SCTP, false, listResolver{}, "10.0.0.1:5060"},
		{"cut to 59 bytes", ipvs.INET, v4, 80, ipvs.TCP, false, longNameResolver{host: long, port: "http"}, long[:59]},
		{"cut to 59 bytes, IPv6", ipvs.INET6, v6, 80, ipvs.TCP, false, longNameResolver{host: long[:55], port: "http"}, "[" + long[:55] + "]:h"},
		{"IPv4-mapped stays IPv6 text", ipvs.INET6, netip.MustParseAddr("::ffff:10.0.0.1"), 1, 0, true, nil, "[::ffff:10.0.0.1]:1"},
		{"invalid address reads as zero", ipvs.INET, netip.Addr{}, 1, 0, true, nil, "0.0.0.0:1"},
		{"unknown family", 7, v4, 1, 0, true, nil, "[(null)]:1"},
	}
	for _, tt := range tests {
		if got := addrPort(tt.f, tt.a, tt.port, tt.proto, tt.numeric, tt.r); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

// printf pads by bytes, so a name with multi-byte characters takes fewer
// columns than its byte count suggests, exactly as upstream prints it.
func TestPadCountsBytes(t *testing.T) {
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	pad(w, "é", 4)
	w.WriteByte('|')
	padLeft(w, "é", 4)
	w.Flush()
	if got, want := b.String(), "é  |  é"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := string(cutBytes([]byte("x:aéb"), 2, 2)); got != "x:a\xc3" {
		t.Errorf("cutBytes splits bytes: got %q", got)
	}
}

func TestSchedFlagNames(t *testing.T) {
	tests := []struct {
		sched string
		flags ipvs.ServiceFlags
		want  string
	}{
		{"rr", ipvs.FlagSched1 | ipvs.FlagSched2 | ipvs.FlagSched3, "flag-1,flag-2,flag-3"},
		{"wlc", ipvs.FlagSched2, "flag-2"},
		{"sh", ipvs.FlagSched1 | ipvs.FlagSched2 | ipvs.FlagSched3, "sh-fallback,sh-port"},
		{"sh", ipvs.FlagSched3, ""},
		{"mh", ipvs.FlagSched2, "mh-port"},
		{"mh", ipvs.FlagSched3, ""},
		{"shx", ipvs.FlagSched1, "flag-1"},
	}
	for _, tt := range tests {
		s := &ipvs.Service{Scheduler: tt.sched, Flags: tt.flags}
		if got := schedFlagNames(s); got != tt.want {
			t.Errorf("%s %#x: got %q, want %q", tt.sched, tt.flags, got, tt.want)
		}
	}
}
