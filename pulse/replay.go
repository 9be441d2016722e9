// Replay and staleness protection for lvskit heartbeats, and the receive
// counters a daemon logs. Pure like the codec: the clock reaches NextEpoch as
// a value.

package pulse

import (
	"errors"
	"fmt"
	"math"
	"sync"
	"time"
)

// Errors of Guard.Check.
var (
	ErrReplay = errors.New("heartbeat: replayed or duplicate packet")
	ErrStale  = errors.New("heartbeat: stale packet from an earlier start of the partner")
)

// Guard rejects authenticated heartbeats that were already seen or that come
// from an earlier incarnation of the partner. The HMAC proves who made a
// packet, not when; (epoch, sequence) orders them. Keep one Guard per partner
// and pass it only packets Unmarshal accepted. The zero value is ready; a
// Guard is safe for concurrent use (one goroutine per heartbeat socket).
//
// Two consequences for the daemon. When the partner sends each heartbeat over
// both the public and the private link, the second copy is reported as
// ErrReplay: count it, don't alarm. And a fresh Guard trusts the first packet
// it sees: after the receiver restarts, a recorded packet of the partner's
// current or an earlier epoch is accepted once, until the partner's next real
// packet (a higher sequence or epoch) supersedes it, one keepalive later.
type Guard struct {
	mu    sync.Mutex
	seen  bool
	epoch uint64
	seq   uint64
}

// Check accepts h and records its (epoch, sequence), or rejects it:
//
//   - the first packet is accepted;
//   - a higher epoch is accepted (the partner restarted) and sequence
//     tracking restarts from h.Seq;
//   - the same epoch with a higher sequence is accepted (gaps are packet loss);
//   - the same epoch with a sequence not above the recorded one is ErrReplay;
//   - a lower epoch is ErrStale.
//
// A rejected packet changes nothing.
func (g *Guard) Check(h Heartbeat) error {
	g.mu.Lock()
	defer g.mu.Unlock()
	switch {
	case !g.seen || h.Epoch > g.epoch:
		// accepted below
	case h.Epoch < g.epoch:
		return fmt.Errorf("%w: epoch %d, partner is at epoch %d", ErrStale, h.Epoch, g.epoch)
	case h.Seq <= g.seq:
		return fmt.Errorf("%w: epoch %d sequence %d, already at sequence %d", ErrReplay, h.Epoch, h.Seq, g.seq)
	}
	g.seen, g.epoch, g.seq = true, h.Epoch, h.Seq
	return nil
}

// Last returns the (epoch, sequence) of the newest accepted packet; ok is
// false before the first.
func (g *Guard) Last() (epoch, seq uint64, ok bool) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.epoch, g.seq, g.seen
}

// NextEpoch returns the epoch for a start of this node at now, given the last
// epoch it used (persisted by the daemon; 0 if none): the wall clock in
// nanoseconds since 1970, but always above last.
//
// The partner's Guard rejects packets whose epoch is below the one it has
// recorded (ErrStale), so a restarted node must never pick a lower epoch than
// its previous run, or its partner would ignore it until the clock caught up.
// The wall clock alone can go back (NTP steps, a dead RTC battery booting in
// 1970), hence the persisted last+1 floor; the clock alone keeps epochs
// increasing across restarts when the state file is lost. A clock before 1970
// counts as 0. At math.MaxUint64 the epoch saturates, which no real clock or
// restart count reaches.
func NextEpoch(now time.Time, last uint64) uint64 {
	var wall uint64
	if ns := now.UnixNano(); ns > 0 {
		wall = uint64(ns)
	}
	next := last + 1
	if last == math.MaxUint64 {
		next = last
	}
	return max(wall, next)
}

// Counters tally heartbeat receive outcomes for logs and status output. Not
// safe for concurrent use: the receive loop owns them.
type Counters struct {
	Accepted     uint64 // decoded, authenticated and fresh
	Forged       uint64 // ErrForged: wrong secret or tampered
	Replayed     uint64 // ErrReplay: duplicate or replay (includes the second copy of a dual-link send)
	Stale        uint64 // ErrStale: an old incarnation's packet
	Malformed    uint64 // ErrLength, ErrMalformed: wrong size, or invalid fields under a valid MAC
	Incompatible uint64 // ErrNotLvskit, ErrVersion, ErrIncompatible: the partner speaks another protocol or mode
	Other        uint64 // any other error
}

// Count classifies err, as returned by Unmarshal, DecodePiranha or
// Guard.Check, and increments its counter; nil counts as accepted. A Piranha
// heartbeat given to Unmarshal wraps both ErrLength and ErrNotLvskit and
// counts as incompatible: it is a mode mismatch, not a damaged packet.
func (c *Counters) Count(err error) {
	switch {
	case err == nil:
		c.Accepted++
	case errors.Is(err, ErrForged):
		c.Forged++
	case errors.Is(err, ErrReplay):
		c.Replayed++
	case errors.Is(err, ErrStale):
		c.Stale++
	case errors.Is(err, ErrNotLvskit), errors.Is(err, ErrVersion), errors.Is(err, ErrIncompatible):
		c.Incompatible++
	case errors.Is(err, ErrLength), errors.Is(err, ErrMalformed):
		c.Malformed++
	default:
		c.Other++
	}
}

// String formats the counters on one line for a log:
// "accepted 12, forged 1, replayed 0, stale 0, malformed 0, incompatible 0, other 0".
func (c Counters) String() string {
	return fmt.Sprintf("accepted %d, forged %d, replayed %d, stale %d, malformed %d, incompatible %d, other %d",
		c.Accepted, c.Forged, c.Replayed, c.Stale, c.Malformed, c.Incompatible, c.Other)
}
