package main

import (
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// watch logs, for each network namespace named, which of the watched
// addresses it holds on an interface that is up (administratively up
// and not down or lower-layer-down: an address on a link that is down
// answers nobody), and the MAC address its neighbour table has for each
// of them. Each change is one line of FILE, at the moment it is seen:
//
//	MS NETNS hold ADDR     NETNS has ADDR on an interface that is up
//	MS NETNS drop ADDR     no longer
//	MS NETNS neigh ADDR MAC
//	                       its neighbour entry for ADDR now has MAC
//	                       ("none": no usable entry)
//
// MS is milliseconds of CLOCK_BOOTTIME; the first lines give the state
// at the start. A namespace is looked at again whenever the kernel
// reports a change of its links, addresses or neighbours, and at least
// every -every (default 1s) in case a report was lost.
func watch(args []string) error {
	fs := flag.NewFlagSet("watch", flag.ContinueOnError)
	logPath := fs.String("log", "", "log the changes in `FILE`")
	addrList := fs.String("addr", "", "the addresses to watch, `A,B,...`")
	every := fs.Duration("every", time.Second, "look at every namespace at least every `D`")
	if err := fs.Parse(args); err != nil {
		return err
	}
	names := fs.Args()
	if *logPath == "" || *addrList == "" || len(names) == 0 || *every <= 0 {
		return fmt.Errorf("usage: labhttp watch [-every D] -log FILE -addr A,B,... NETNS...")
	}
	watched := map[string]bool{}
	var order []string
	for _, a := range strings.Split(*addrList, ",") {
		ip := net.ParseIP(a)
		if ip == nil || ip.To4() == nil {
			return fmt.Errorf("watch: %q is not an IPv4 address", a)
		}
		watched[ip.String()] = true
		order = append(order, ip.String())
	}
	f, err := os.OpenFile(*logPath, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()

	type space struct {
		name    string
		h       *netlink.Handle
		pending atomic.Bool
		held    map[string]bool
		mac     map[string]string
	}
	done := make(chan struct{})
	defer close(done)
	wake := make(chan struct{}, 1)
	poke := func(s *space) {
		s.pending.Store(true)
		select {
		case wake <- struct{}{}:
		default:
		}
	}
	spaces := make([]*space, len(names))
	for i, name := range names {
		ns, err := netns.GetFromName(name)
		if err != nil {
			return fmt.Errorf("watch: netns %s: %w", name, err)
		}
		h, err := netlink.NewHandleAt(ns, unix.NETLINK_ROUTE)
		if err != nil {
			return fmt.Errorf("watch: netns %s: %w", name, err)
		}
		s := &space{name: name, h: h, held: map[string]bool{}, mac: map[string]string{}}
		spaces[i] = s
		onErr := func(err error) { fmt.Fprintf(os.Stderr, "labhttp watch: %s: %v\n", name, err) }
		lch := make(chan netlink.LinkUpdate, 64)
		ach := make(chan netlink.AddrUpdate, 64)
		nch := make(chan netlink.NeighUpdate, 64)
		if err := netlink.LinkSubscribeWithOptions(lch, done, netlink.LinkSubscribeOptions{Namespace: &ns, ErrorCallback: onErr}); err != nil {
			return fmt.Errorf("watch: netns %s: links: %w", name, err)
		}
		if err := netlink.AddrSubscribeWithOptions(ach, done, netlink.AddrSubscribeOptions{Namespace: &ns, ErrorCallback: onErr}); err != nil {
			return fmt.Errorf("watch: netns %s: addresses: %w", name, err)
		}
		if err := netlink.NeighSubscribeWithOptions(nch, done, netlink.NeighSubscribeOptions{Namespace: &ns, ErrorCallback: onErr}); err != nil {
			return fmt.Errorf("watch: netns %s: neighbours: %w", name, err)
		}
		// Only reports that may concern a watched address count: a
		// neighbour table changes all the time under traffic.
		go func() {
			for range lch {
				poke(s)
			}
		}()
		go func() {
			for u := range ach {
				if watched[u.LinkAddress.IP.String()] {
					poke(s)
				}
			}
		}()
		go func() {
			for u := range nch {
				if watched[u.IP.String()] {
					poke(s)
				}
			}
		}()
	}

	look := func(s *space) {
		addrs, err := s.h.AddrList(nil, netlink.FAMILY_V4)
		if err != nil {
			fmt.Fprintf(os.Stderr, "labhttp watch: %s: addresses: %v\n", s.name, err)
			return
		}
		// Only the links of watched addresses are looked at: a
		// namespace of the lab has a dozen (the tunnels' fallback
		// devices), and decoding them all is not cheap when emulated.
		up := map[int]bool{}
		held := map[string]bool{}
		for _, a := range addrs {
			ip := a.IP.String()
			if !watched[ip] {
				continue
			}
			u, ok := up[a.LinkIndex]
			if !ok {
				l, err := s.h.LinkByIndex(a.LinkIndex)
				if err != nil {
					fmt.Fprintf(os.Stderr, "labhttp watch: %s: link %d: %v\n", s.name, a.LinkIndex, err)
					return
				}
				la := l.Attrs()
				u = la.Flags&net.FlagUp != 0 && la.OperState != netlink.OperDown &&
					la.OperState != netlink.OperLowerLayerDown && la.OperState != netlink.OperNotPresent
				up[a.LinkIndex] = u
			}
			if u {
				held[ip] = true
			}
		}
		neighs, err := s.h.NeighList(0, netlink.FAMILY_V4)
		if err != nil {
			fmt.Fprintf(os.Stderr, "labhttp watch: %s: neighbours: %v\n", s.name, err)
			return
		}
		mac := map[string]string{}
		for _, n := range neighs {
			ip := n.IP.String()
			if watched[ip] && len(n.HardwareAddr) > 0 && n.State&(netlink.NUD_FAILED|netlink.NUD_INCOMPLETE) == 0 {
				mac[ip] = n.HardwareAddr.String()
			}
		}
		now := bootMs()
		var b strings.Builder
		for _, ip := range order {
			if held[ip] != s.held[ip] {
				verb := "drop"
				if held[ip] {
					verb = "hold"
				}
				fmt.Fprintf(&b, "%d %s %s %s\n", now, s.name, verb, ip)
			}
			if mac[ip] != s.mac[ip] {
				m := mac[ip]
				if m == "" {
					m = "none"
				}
				fmt.Fprintf(&b, "%d %s neigh %s %s\n", now, s.name, ip, m)
			}
		}
		s.held, s.mac = held, mac
		if b.Len() > 0 {
			f.WriteString(b.String())
		}
	}
	for _, s := range spaces {
		look(s)
	}

	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT)
	tick := time.NewTicker(*every)
	defer tick.Stop()
	for {
		select {
		case <-wake:
			for _, s := range spaces {
				if s.pending.Swap(false) {
					look(s)
				}
			}
		case <-tick.C:
			for _, s := range spaces {
				s.pending.Store(false)
				look(s)
			}
		case <-sigs:
			return nil
		}
	}
}
