package netlink

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"syscall"
	"testing"

	"github.com/mdlayher/genetlink"
	"github.com/mdlayher/netlink"

	"lvskit/internal/ipvs"
)

// destServer answers GET_DEST dumps for services 10.0.0.1:P with P%5
// destinations on ports 10P+j, except that the dump of port failPort
// fails with ENOMEM and that of port badPort has a reply that does not
// decode. It counts the dumps.
type destServer struct {
	failPort, badPort uint16
	mu                sync.Mutex
	dumps             int
}

func (s *destServer) serve(greq genetlink.Message, _ netlink.Message) ([]genetlink.Message, error) {
	if greq.Header.Command != cmdGetDest {
		return nil, syscall.EOPNOTSUPP
	}
	s.mu.Lock()
	s.dumps++
	s.mu.Unlock()
	svc, err := nest("service", greq.Data, attrService)
	if err != nil {
		return nil, err
	}
	var port uint16
	a := newAttrs("service", svc)
	for a.next() {
		if a.typ == svcPort {
			port = a.be16()
		}
	}
	switch port {
	case s.failPort:
		return nil, syscall.ENOMEM
	case s.badPort:
		return []genetlink.Message{reply(cmdNewDest, knest(attrDest, kernelDest(map[uint16]bool{destWeight: true})...))}, nil
	}
	var msgs []genetlink.Message
	for j := range int(port % 5) {
		msgs = append(msgs, reply(cmdNewDest, knest(attrDest, kernelDest(map[uint16]bool{destPort: true},
			attr(destPort, u16be(port*10+uint16(j))))...)))
	}
	return msgs, nil
}

func (s *destServer) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dumps
}

// portKeys are the keys of 10.0.0.1:1 to :n.
func portKeys(n int) []ipvs.ServiceKey {
	keys := make([]ipvs.ServiceKey, n)
	for i := range keys {
		keys[i] = ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.0.0.1"), uint16(i+1))
	}
	return keys
}

// listPorts runs ListDests and returns, for each service passed, the
// ports of its destinations as a string, checking that the services
// come in order.
func listPorts(t *testing.T, c *Client, keys []ipvs.ServiceKey, stopAt int) ([]string, error) {
	t.Helper()
	var got []string
	err := c.ListDests(keys, func(i int, ds []ipvs.Dest) error {
		if i != len(got) {
			t.Errorf("service %d passed after %d services", i, len(got))
		}
		var ports []string
		for _, d := range ds {
			ports = append(ports, fmt.Sprint(d.Port))
		}
		got = append(got, strings.Join(ports, ","))
		if i == stopAt {
			return errStop
		}
		return nil
	})
	return got, err
}

var errStop = errors.New("stop")

// wantPorts is what destServer lists for service i of portKeys.
func wantPorts(i int) string {
	p := uint16(i + 1)
	var ports []string
	for j := range int(p % 5) {
		ports = append(ports, fmt.Sprint(p*10+uint16(j)))
	}
	return strings.Join(ports, ",")
}

func TestListDests(t *testing.T) {
	// More services than fit the chunks in flight, and a count that is
	// not a multiple of a chunk.
	n := listChunk*(listChunks+3) + 7
	s := &destServer{}
	c := framedClient(t, s.serve)
	keys := portKeys(n)
	// A key the kernel would misread is an empty list, not a dump.
	keys[3] = ipvs.ServiceKey{Family: ipvs.INET6, Protocol: ipvs.TCP, Addr: netip.MustParseAddr("10.0.0.1"), Port: 4}
	got, err := listPorts(t, c, keys, -1)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != n {
		t.Fatalf("%d services passed, want %d", len(got), n)
	}
	for i := range n {
		want := wantPorts(i)
		if i == 3 {
			want = ""
		}
		if got[i] != want {
			t.Errorf("service %d: ports %q, want %q", i, got[i], want)
		}
	}
	if d := s.count(); d != n-1 {
		t.Errorf("%d dumps, want %d", d, n-1)
	}
}

func TestListDestsNone(t *testing.T) {
	s := &destServer{}
	c := framedClient(t, s.serve)
	got, err := listPorts(t, c, nil, -1)
	if err != nil || len(got) != 0 || s.count() != 0 {
		t.Fatalf("ListDests(nil) passed %d services, dumped %d, error %v", len(got), s.count(), err)
	}
}

// A failed dump or a reply that does not decode ends the listing after
// the services before it, with the error Dests would return, and
// nothing after it is dumped.
func TestListDestsFails(t *testing.T) {
	n := listChunk*3 + 10
	for _, tt := range []struct {
		name   string
		s      *destServer
		at     int
		errno  syscall.Errno
		dumped int // at most, counting the one that failed
	}{
		{"dump fails in the first chunk", &destServer{failPort: 6}, 5, syscall.ENOMEM, 6},
		{"dump fails at a chunk boundary", &destServer{failPort: listChunk + 1}, listChunk, syscall.ENOMEM, listChunk + 1},
		// Fetching runs ahead of decoding by at most the chunks in
		// flight.
		{"reply does not decode", &destServer{badPort: listChunk*2 + 3}, listChunk*2 + 2, syscall.EINVAL, n},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := framedClient(t, tt.s.serve)
			got, err := listPorts(t, c, portKeys(n), -1)
			if !errors.Is(err, tt.errno) {
				t.Fatalf("error %v, want %v", err, tt.errno)
			}
			if !strings.HasPrefix(err.Error(), "ipvs: GET_DEST: ") {
				t.Errorf("error %q does not name the command", err)
			}
			if len(got) != tt.at {
				t.Errorf("%d services passed, want %d", len(got), tt.at)
			}
			if d := tt.s.count(); d > tt.dumped || d < tt.at+1 {
				t.Errorf("%d dumps, want %d to %d", d, tt.at+1, tt.dumped)
			}
			// The client works on.
			if ds, err := c.Dests(portKeys(3)[2]); err != nil || len(ds) != 3 {
				t.Errorf("Dests after the failure = %d destinations, %v", len(ds), err)
			}
		})
	}
}

// An error from the callback ends the listing with it; the fetching
// stops too and has ended when ListDests returns.
func TestListDestsStopped(t *testing.T) {
	n := listChunk * 20
	s := &destServer{}
	c := framedClient(t, s.serve)
	got, err := listPorts(t, c, portKeys(n), 10)
	if !errors.Is(err, errStop) {
		t.Fatalf("error %v, want the callback's", err)
	}
	if len(got) != 11 {
		t.Errorf("%d services passed, want 11", len(got))
	}
	// The fetching ran ahead by at most the chunks in flight, the one
	// being filled and the one being decoded.
	dumped := s.count()
	if limit := listChunk * (listChunks + 2); dumped > limit {
		t.Errorf("%d dumps after a stop at service 10, want at most %d", dumped, limit)
	}
	if _, err := c.Dests(portKeys(1)[0]); err != nil {
		t.Fatal(err)
	}
	if d := s.count(); d != dumped+1 {
		t.Errorf("%d dumps after one more Dests, want %d: the fetching went on", d, dumped+1)
	}
}

// The lists passed are the caller's: appending to one, even after the
// listing, leaves the others as they were.
func TestListDestsListsAreIndependent(t *testing.T) {
	c := framedClient(t, (&destServer{}).serve)
	keys := portKeys(listChunk + 10)
	var lists [][]ipvs.Dest
	if err := c.ListDests(keys, func(i int, ds []ipvs.Dest) error {
		lists = append(lists, ds)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for i := range lists {
		lists[i] = append(lists[i], ipvs.Dest{Port: 1})
	}
	for i, ds := range lists {
		var ports []string
		for _, d := range ds[:len(ds)-1] {
			ports = append(ports, fmt.Sprint(d.Port))
		}
		if got, want := strings.Join(ports, ","), wantPorts(i); got != want {
			t.Errorf("service %d: ports %q after the appends, want %q", i, got, want)
		}
	}
}
