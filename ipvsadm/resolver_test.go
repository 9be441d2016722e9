package ipvsadm

import (
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// resolverHosts and resolverServices exercise the corners of glibc's
// files parsers; the answers expected below are what glibc 2.36 (Debian
// bookworm) gave for the same files, with "hosts: files" and "services:
// files", through gethostbyaddr, gethostbyname, getservbyport and
// getservbyname. During development the services part also ran against
// the whole of Debian's /etc/services (every port for tcp, udp, sctp and
// ddp, every name and alias) without a difference.
const resolverHosts = `# test hosts
::1      localhost6 ip6-localhost ip6-loopback
127.0.0.1	localhost   # comment
127.0.1.1 Vm.Example vm
10.0.0.1 web1 www
10.0.0.1 web1b
::ffff:10.0.0.2 mapped
2001:db8::1 v6host v6alias
2001:db8::2
0.0.0.0 zero
01.2.3.4 leadingzero
fe80::1%eth0 zoned
   10.0.0.9    spaced	tabbed
10.0.0.10#nocomment-space
bad line here
::  unspec
`

const resolverServices = `# test services
http		80/tcp		www		# WorldWideWeb HTTP
http		80/udp
alt		80/tcp
domain		53/tcp
domain		53/udp
weird		+81/tcp
neg		-1/tcp
big		70000/tcp
noslash 82 tcp
trail		83/
sip		5060/tcp
sip		5060/udp
Case		84/tcp
dup		85/tcp	first
dup		86/tcp	second
`

func newTestResolver(t *testing.T) *SystemResolver {
	t.Helper()
	dir := t.TempDir()
	hosts, services := filepath.Join(dir, "hosts"), filepath.Join(dir, "services")
	if err := os.WriteFile(hosts, []byte(resolverHosts), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(services, []byte(resolverServices), 0o644); err != nil {
		t.Fatal(err)
	}
	return &SystemResolver{HostsPath: hosts, ServicesPath: services}
}

func TestResolverHostName(t *testing.T) {
	r := newTestResolver(t)
	// "(none)" is a failed lookup; "" an official name that is empty (a
	// line with an address only), which glibc returns as found.
	tests := []struct{ addr, want string }{
		{"127.0.0.1", "localhost6"},
		{"127.0.1.1", "Vm.Example"},
		{"10.0.0.1", "web1"},
		{"10.0.0.2", "mapped"},
		{"10.0.0.9", "spaced"},
		{"10.0.0.10", ""},
		{"0.0.0.0", "zero"},
		{"1.2.3.4", "(none)"},
		{"9.9.9.9", "(none)"},
		{"::1", "localhost6"},
		{"2001:db8::1", "v6host"},
		{"2001:db8::2", ""},
		{"::ffff:10.0.0.2", "mapped"},
		{"::ffff:127.0.0.1", "(none)"},
		{"::", "(none)"},
		{"fe80::1", "(none)"},
		{"::127.0.0.1", "(none)"},
	}
	for _, tt := range tests {
		got, ok := r.HostName(netip.MustParseAddr(tt.addr))
		if !ok {
			got = "(none)"
		}
		if got != tt.want {
			t.Errorf("HostName(%s) = %q, want %q", tt.addr, got, tt.want)
		}
	}
}

func TestResolverLookupHost4(t *testing.T) {
	r := newTestResolver(t)
	tests := []struct{ name, want string }{
		{"localhost", "127.0.0.1"},
		{"LOCALHOST", "127.0.0.1"},
		{"localhost6", "127.0.0.1"},
		{"ip6-localhost", "127.0.0.1"},
		{"vm", "127.0.1.1"},
		{"vm.example", "127.0.1.1"},
		{"web1", "10.0.0.1"},
		{"www", "10.0.0.1"},
		{"web1b", "10.0.0.1"},
		{"mapped", "10.0.0.2"},
		{"v6host", "(none)"},
		{"zero", "0.0.0.0"},
		{"leadingzero", "(none)"},
		{"zoned", "(none)"},
		{"spaced", "10.0.0.9"},
		{"tabbed", "10.0.0.9"},
		{"nosuch", "(none)"},
		{"1.2.3", "1.2.0.3"},
		{"010.1", "8.0.0.1"},
		{"08.1", "(none)"},
		{"1.2.3.4.", "(none)"},
		{"::1", "(none)"},
		{"unspec", "(none)"},
	}
	for _, tt := range tests {
		got := "(none)"
		if a, ok := r.LookupHost4(tt.name); ok {
			got = a.String()
		}
		if got != tt.want {
			t.Errorf("LookupHost4(%s) = %s, want %s", tt.name, got, tt.want)
		}
	}
}

func TestResolverPortName(t *testing.T) {
	r := newTestResolver(t)
	tests := []struct {
		port        uint16
		proto, want string
	}{
		{80, "tcp", "http"},
		{80, "udp", "http"},
		{53, "tcp", "domain"},
		{53, "sctp", "(none)"},
		{81, "tcp", "weird"},
		{65535, "tcp", "(none)"},
		{4464, "tcp", "big"},
		{82, "tcp", "(none)"},
		{83, "tcp", "(none)"},
		{0, "tcp", "(none)"},
		{5060, "udp", "sip"},
		{85, "tcp", "dup"},
		{86, "tcp", "dup"},
	}
	for _, tt := range tests {
		got, ok := r.PortName(tt.port, tt.proto)
		if !ok {
			got = "(none)"
		}
		if got != tt.want {
			t.Errorf("PortName(%d, %s) = %q, want %q", tt.port, tt.proto, got, tt.want)
		}
	}
}

func TestResolverLookupPort(t *testing.T) {
	r := newTestResolver(t)
	tests := []struct {
		name, proto string
		want        int // -1: none
	}{
		{"http", "tcp", 80},
		{"www", "tcp", 80},
		{"www", "udp", -1},
		{"alt", "tcp", 80},
		{"weird", "tcp", 81},
		{"neg", "tcp", -1},
		{"big", "tcp", 4464},
		{"noslash", "tcp", -1},
		{"trail", "tcp", -1},
		{"case", "tcp", -1},
		{"Case", "tcp", 84},
		{"first", "tcp", 85},
		{"second", "tcp", 86},
		{"dup", "tcp", 85},
		{"80", "tcp", -1},
	}
	for _, tt := range tests {
		got, ok := r.LookupPort(tt.name, tt.proto)
		if want := tt.want; !ok && want != -1 || ok && int(got) != want {
			t.Errorf("LookupPort(%s, %s) = %d, %v, want %d", tt.name, tt.proto, got, ok, want)
		}
	}
}

// The port field is one strtoul number in base 0, at most 2^32-1, kept
// modulo 2^16 (glibc 2.36's rules, checked against it).
func TestServicesPort(t *testing.T) {
	tests := []struct {
		text string
		port uint16
		ok   bool
	}{
		{"80", 80, true}, {"+81", 81, true}, {"-0", 0, true}, {"010", 8, true}, {"0X1f", 31, true},
		{"65536", 0, true}, {"70000", 4464, true}, {"4294967295", 65535, true},
		{"4294967296", 0, false}, {"18446744073709551616", 0, false}, {"-1", 0, false},
		{"08", 0, false}, {"0x", 0, false}, {"1e", 0, false}, {"+", 0, false}, {"", 0, false},
	}
	for _, tt := range tests {
		if port, ok := servicesPort(tt.text); port != tt.port || ok != tt.ok {
			t.Errorf("servicesPort(%q) = %d, %v, want %d, %v", tt.text, port, ok, tt.port, tt.ok)
		}
	}
}

// Each file is read once, on first use: later changes are not seen, and
// a missing file answers nothing.
func TestResolverReadsOnce(t *testing.T) {
	r := newTestResolver(t)
	if _, ok := r.PortName(80, "tcp"); !ok {
		t.Fatal("no http")
	}
	if err := os.WriteFile(r.ServicesPath, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.PortName(80, "tcp"); !ok {
		t.Error("services file read again")
	}

	missing := &SystemResolver{HostsPath: filepath.Join(t.TempDir(), "none"), ServicesPath: filepath.Join(t.TempDir(), "none")}
	if _, ok := missing.HostName(netip.MustParseAddr("127.0.0.1")); ok {
		t.Error("missing hosts file answered")
	}
	if _, ok := missing.LookupPort("http", "tcp"); ok {
		t.Error("missing services file answered")
	}
	// Numeric names need no file.
	if a, ok := missing.LookupHost4("167772161"); !ok || a != netip.MustParseAddr("10.0.0.1") {
		t.Errorf("numeric name: %v %v", a, ok)
	}
}

func TestResolverConcurrent(t *testing.T) {
	r := newTestResolver(t)
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r.HostName(netip.MustParseAddr("10.0.0.1"))
			r.LookupHost4("web1")
			r.PortName(80, "tcp")
			r.LookupPort("http", "tcp")
		}()
	}
	wg.Wait()
}
