package pulsenet

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/mdlayher/packet"
	"golang.org/x/sys/unix"
)

// Forwarder is the heartbeat link: a two-port Ethernet bridge in user
// space, between two veths in the switch namespace, that drops each
// frame with a set probability, independently in each direction: what
// `tc qdisc add dev X root netem loss P` does on both veths, for a
// kernel built without sch_netem (as is this project's CI machine's).
// Loss 1 cuts the link, with the carrier up on both directors, as a
// failed switch between them would.
type Forwarder struct {
	conns  [2]*packet.Conn
	loss   atomic.Uint64 // math.Float64bits of the probability
	closed atomic.Bool
	wg     sync.WaitGroup
	dirs   [2]direction
}

type direction struct {
	forwarded, dropped atomic.Uint64
	dropBeats          atomic.Int64 // heartbeats still to drop (DropHeartbeats)
	// Of which heartbeats (UDP datagrams to port 539).
	beats, beatsDropped atomic.Uint64
	// The longest time between two heartbeats that went through.
	mu       sync.Mutex
	lastBeat time.Time
	maxGap   time.Duration
	maxGapAt time.Time
}

// heartbeatPort is lvs.cf's default heartbeat_port, which the lab uses.
const heartbeatPort = 539

func startForwarder(ns, ifA, ifB string) (*Forwarder, error) {
	f := &Forwarder{}
	err := InNS(ns, func() error {
		for i, name := range []string{ifA, ifB} {
			ifi, err := net.InterfaceByName(name)
			if err != nil {
				return err
			}
			c, err := packet.Listen(ifi, packet.Raw, unix.ETH_P_ALL, nil)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			f.conns[i] = c
			// The frames this forwarder sends out of a port must not
			// come back to it as received ones.
			rc, err := c.SyscallConn()
			if err != nil {
				return err
			}
			var serr error
			if err := rc.Control(func(fd uintptr) {
				serr = unix.SetsockoptInt(int(fd), unix.SOL_PACKET, unix.PACKET_IGNORE_OUTGOING, 1)
			}); err != nil {
				return err
			}
			if serr != nil {
				return fmt.Errorf("%s: PACKET_IGNORE_OUTGOING: %w", name, serr)
			}
			// Frames for the other director's MAC are not for this
			// veth; a bridge port sees them all.
			if err := c.SetPromiscuous(true); err != nil {
				return fmt.Errorf("%s: promiscuous: %w", name, err)
			}
		}
		return nil
	})
	if err != nil {
		f.Close()
		return nil, err
	}
	for i := range 2 {
		f.wg.Add(1)
		go f.copy(f.conns[i], f.conns[1-i], &f.dirs[i])
	}
	return f, nil
}

// SetLoss sets the probability, 0 to 1, that a frame is dropped.
func (f *Forwarder) SetLoss(p float64) { f.loss.Store(math.Float64bits(p)) }

// Cut drops every frame from now on; Heal forwards them all again.
func (f *Forwarder) Cut()  { f.SetLoss(1) }
func (f *Forwarder) Heal() { f.SetLoss(0) }

// DropHeartbeats drops the next n heartbeats of direction dir (0: A to
// B, 1: B to A), and nothing else.
func (f *Forwarder) DropHeartbeats(dir, n int) { f.dirs[dir].dropBeats.Store(int64(n)) }

// ForwarderStats is what went through one direction (0: A to B, 1: B
// to A).
type ForwarderStats struct {
	Forwarded, Dropped uint64 // frames
	// Heartbeats among them, through and dropped.
	Heartbeats, HeartbeatsDropped uint64
	// MaxHeartbeatGap is the longest time between two heartbeats that
	// went through, since ResetGaps.
	MaxHeartbeatGap time.Duration
	MaxGapEnded     time.Time // when the longest gap ended
}

// Stats reports direction dir.
func (f *Forwarder) Stats(dir int) ForwarderStats {
	d := &f.dirs[dir]
	d.mu.Lock()
	defer d.mu.Unlock()
	return ForwarderStats{Forwarded: d.forwarded.Load(), Dropped: d.dropped.Load(),
		Heartbeats: d.beats.Load(), HeartbeatsDropped: d.beatsDropped.Load(), MaxHeartbeatGap: d.maxGap, MaxGapEnded: d.maxGapAt}
}

// ResetGaps starts the heartbeat-gap measurement afresh.
func (f *Forwarder) ResetGaps() {
	for i := range f.dirs {
		d := &f.dirs[i]
		d.mu.Lock()
		d.lastBeat, d.maxGap, d.maxGapAt = time.Time{}, 0, time.Time{}
		d.mu.Unlock()
	}
}

func (f *Forwarder) copy(from, to *packet.Conn, d *direction) {
	defer f.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, _, err := from.ReadFrom(buf)
		if err != nil {
			if f.closed.Load() {
				return
			}
			time.Sleep(time.Millisecond) // a transient error: no busy loop
			continue
		}
		frame := buf[:n]
		beat := fixUDP(frame)
		if beat && d.dropBeats.Load() > 0 && d.dropBeats.Add(-1) >= 0 {
			d.dropped.Add(1)
			d.beatsDropped.Add(1)
			continue
		}
		if p := math.Float64frombits(f.loss.Load()); p > 0 && rand.Float64() < p {
			d.dropped.Add(1)
			if beat {
				d.beatsDropped.Add(1)
			}
			continue
		}
		if len(frame) < 14 {
			continue
		}
		if _, err := to.WriteTo(frame, &packet.Addr{HardwareAddr: net.HardwareAddr(frame[0:6])}); err != nil {
			continue
		}
		d.forwarded.Add(1)
		if beat {
			d.beats.Add(1)
			now := time.Now()
			d.mu.Lock()
			if !d.lastBeat.IsZero() && now.Sub(d.lastBeat) > d.maxGap {
				d.maxGap, d.maxGapAt = now.Sub(d.lastBeat), now
			}
			d.lastBeat = now
			d.mu.Unlock()
		}
	}
}

// fixUDP clears the checksum of an IPv4 UDP datagram and reports
// whether it is a heartbeat. A veth leaves the UDP checksum for the
// receiver's "hardware" (CHECKSUM_PARTIAL): the captured frame holds
// only the pseudo-header's sum, and sent on as it is the receiver would
// drop it as corrupt. Zero means "no checksum" in IPv4 (RFC 768).
func fixUDP(frame []byte) bool {
	if len(frame) < 14+20+8 || binary.BigEndian.Uint16(frame[12:14]) != unix.ETH_P_IP {
		return false
	}
	ihl := int(frame[14]&0x0f) * 4
	if frame[14+9] != unix.IPPROTO_UDP || ihl < 20 || len(frame) < 14+ihl+8 {
		return false
	}
	udp := frame[14+ihl:]
	udp[6], udp[7] = 0, 0
	return binary.BigEndian.Uint16(udp[2:4]) == heartbeatPort
}

// Close stops forwarding.
func (f *Forwarder) Close() {
	f.closed.Store(true)
	for _, c := range f.conns {
		if c != nil {
			c.Close()
		}
	}
	f.wg.Wait()
}
