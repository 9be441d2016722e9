// Command ipvsdump prints the kernel's IPVS table as lvskit's netlink
// client reads it. It is a lab tool: the demo and developers use it beside
// upstream ipvsadm to see that both read the same table. It is not
// installed and its output is not an interface.
package main

import (
	"fmt"
	"io"
	"net/netip"
	"os"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/netlink"
)

func main() {
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "ipvsdump:", err)
		os.Exit(1)
	}
}

func run(w io.Writer) error {
	c, err := netlink.Dial(nil)
	if err != nil {
		return err
	}
	defer c.Close()

	info, err := c.Info()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "IPVS %s, connection table size %d\n", info.VersionString(), info.ConnTabSize)

	svcs, err := c.Services()
	if err != nil {
		return err
	}
	for _, s := range svcs {
		fmt.Fprintf(w, "service %s sched=%s flags=%#x timeout=%d netmask=%#x", s.Key(), s.Scheduler, uint32(s.Flags), s.Timeout, s.Netmask)
		if s.PE != "" {
			fmt.Fprintf(w, " pe=%s", s.PE)
		}
		fmt.Fprintf(w, " conns=%d inpkts=%d\n", s.Stats.Conns, s.Stats.InPkts)
		dests, err := c.Dests(s.Key())
		if err != nil {
			return err
		}
		for _, d := range dests {
			fmt.Fprintf(w, "  dest %s fwd=%s weight=%d thresholds=%d/%d", netip.AddrPortFrom(d.Addr, d.Port), d.Fwd, d.Weight, d.UpperThreshold, d.LowerThreshold)
			if d.Fwd == ipvs.Tunnel {
				fmt.Fprintf(w, " tunnel=%s port=%d flags=%#x", d.TunnelType, d.TunnelPort, uint16(d.TunnelFlags))
			}
			fmt.Fprintf(w, " active=%d inactive=%d persistent=%d\n", d.ActiveConns, d.InactiveConns, d.PersistentConns)
		}
	}

	t, err := c.Timeouts()
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "timeouts tcp=%d tcpfin=%d udp=%d\n", t.TCP, t.TCPFin, t.UDP)

	daemons, err := c.Daemons()
	if err != nil {
		return err
	}
	for _, d := range daemons {
		fmt.Fprintf(w, "daemon %s if=%s syncid=%d maxlen=%d group=%s port=%d ttl=%d\n", d.State, d.Interface, d.SyncID, d.MaxLen, d.Group, d.Port, d.TTL)
	}
	return nil
}
