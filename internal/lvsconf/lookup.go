package lvsconf

import (
	"context"
	"net"
	"net/netip"
)

// SystemLookups resolve names in lvs.cf as Piranha did: hostnames to an
// IPv4 address, service names through /etc/services.
func SystemLookups() Options {
	return Options{
		LookupHost: func(name string) (netip.Addr, error) {
			addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", name)
			if err != nil {
				return netip.Addr{}, err
			}
			return addrs[0], nil
		},
		LookupPort: func(name string) (int, error) { return net.LookupPort("tcp", name) },
	}
}
