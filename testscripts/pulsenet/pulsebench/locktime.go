package main

import (
	"encoding/binary"
	"fmt"
	"net"
	"net/netip"
	"os"
	"strings"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"

	"lvskit/testscripts/pulsenet"
)

// arpFrame is a 60-byte Ethernet frame of an ARP packet.
func arpFrame(op uint16, ethDst, sha net.HardwareAddr, spa netip.Addr, tha net.HardwareAddr, tpa netip.Addr) []byte {
	f := make([]byte, 60)
	copy(f[0:6], ethDst)
	copy(f[6:12], sha)
	binary.BigEndian.PutUint16(f[12:14], unix.ETH_P_ARP)
	binary.BigEndian.PutUint16(f[14:16], 1)
	binary.BigEndian.PutUint16(f[16:18], unix.ETH_P_IP)
	f[18], f[19] = 6, 4
	binary.BigEndian.PutUint16(f[20:22], op)
	copy(f[22:28], sha)
	copy(f[28:32], spa.AsSlice())
	copy(f[32:38], tha)
	copy(f[38:42], tpa.AsSlice())
	return f
}

// sendFrame sends a frame out of eth0 in namespace ns.
func sendFrame(ns string, frame []byte) error {
	return pulsenet.InNS(ns, func() error {
		ifi, err := net.InterfaceByName("eth0")
		if err != nil {
			return err
		}
		c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ARP, nil)
		if err != nil {
			return err
		}
		defer c.Close()
		_, err = c.WriteTo(frame, &packet.Addr{HardwareAddr: net.HardwareAddr(frame[0:6])})
		return err
	})
}

// locktime checks, on this kernel, what the client's neighbour table
// does with ARP for the VIP that arrives within locktime of the
// entry's last update, and after it: a gratuitous reply (sender =
// target, as pulse and Piranha send, and a gratuitous request as
// keepalived sends, count the same) and a plain reply (a director
// answering a request).
func (b *bench) locktime() error {
	l, err := b.lab("locktime")
	if err != nil {
		return err
	}
	defer l.Close()
	w, err := l.Watch(5 * time.Millisecond)
	if err != nil {
		return err
	}
	defer w.Stop()
	if err := l.IP("-n", l.A, "addr", "add", pulsenet.VIP.String()+"/32", "dev", "eth0"); err != nil {
		return err
	}
	var lock string
	pulsenet.InNS(l.C, func() error {
		v, err := os.ReadFile("/proc/sys/net/ipv4/neigh/eth0/locktime")
		lock = strings.TrimSpace(string(v))
		return err
	})
	clientMAC := func() net.HardwareAddr {
		var mac net.HardwareAddr
		pulsenet.InNS(l.C, func() error {
			ifi, err := net.InterfaceByName("eth0")
			if err == nil {
				mac = ifi.HardwareAddr
			}
			return err
		})
		return mac
	}()
	bcast := net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}
	garp := func(mac net.HardwareAddr) []byte {
		return arpFrame(2, bcast, mac, pulsenet.VIP, mac, pulsenet.VIP)
	}
	plain := func(mac net.HardwareAddr) []byte {
		return arpFrame(2, clientMAC, mac, pulsenet.VIP, clientMAC, pulsenet.ClientC)
	}

	touched := time.Now()
	if err := l.Touch(); err != nil {
		return err
	}
	learnt, ok := w.Until(touched, 3*time.Second, func(s pulsenet.State) bool { return s.Client == "A" })
	if !ok {
		return fmt.Errorf("locktime: the client did not learn the VIP (%s)", learnt)
	}
	last := learnt.At
	type step struct {
		what  string
		ns    string
		after time.Duration // since the entry's last update
		frame []byte
		want  string // where the entry is if the frame is taken
	}
	steps := []step{
		{"plain reply from B", l.B, 200 * time.Millisecond, plain(l.MACB), "B"},
		{"gratuitous reply from B", l.B, 400 * time.Millisecond, garp(l.MACB), "B"},
		{"plain reply from A", l.A, 200 * time.Millisecond, plain(l.MACA), "A"},
		{"plain reply from A", l.A, 1300 * time.Millisecond, plain(l.MACA), "A"},
	}
	fmt.Printf("the client's ARP locktime (net.ipv4.neigh.eth0.locktime = %s, in 1/100 s), checked on this kernel:\n", lock)
	var results []string
	var took []bool
	for _, s := range steps {
		time.Sleep(time.Until(last.Add(s.after)))
		sent := time.Now()
		if err := sendFrame(s.ns, s.frame); err != nil {
			return err
		}
		st, taken := w.Until(sent, 200*time.Millisecond, func(st pulsenet.State) bool { return st.Client == s.want })
		verdict := "ignored"
		if taken {
			verdict = fmt.Sprintf("taken within %s", (st.At.Sub(sent) + 5*time.Millisecond).Round(5*time.Millisecond))
		}
		results = append(results, fmt.Sprintf("  %s, %.1f s after the entry's last update: %s", s.what, s.after.Seconds(), verdict))
		if taken {
			last = st.At
		}
		took = append(took, taken)
	}
	fmt.Println(strings.Join(results, "\n"))
	if !took[0] && took[1] && !took[2] && took[3] {
		fmt.Println("  so gratuitous ARP (pulse's, Piranha's, keepalived's) moves the client however recent its entry: locktime adds")
		fmt.Println("  nothing to the times above. It holds back plain replies: when both directors answer a request for the VIP (a")
		fmt.Println("  killed director's VIP left behind, a split brain), the client keeps the first answer for locktime.")
	} else {
		fmt.Println("  this kernel does not behave as Linux 4.x to 6.x do (override = locktime passed || gratuitous): read the times above with that in mind")
	}
	fmt.Println()
	return nil
}
