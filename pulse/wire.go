// The heartbeat codec: Piranha's 4-byte magic for interoperating with an
// old pulse, and lvskit's own versioned, authenticated packet (the default).
// Everything here is pure: no sockets, no clock, no logging.

package pulse

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Errors of the codec. All are sentinels for errors.Is; the returned errors
// wrap them with the details (lengths, values).
//
// ErrLength is shared by both modes: a receiver knows which mode it speaks, and
// "wrong size" means the same thing in both. Its text is the line Piranha logs.
// ErrIncompatible's text is Piranha's too, so operators' log watchers keep
// matching.
var (
	ErrLength       = errors.New("bad heartbeat packet")
	ErrIncompatible = errors.New("Incompatible heartbeat received -- other system not using identical services")

	ErrNotLvskit = errors.New("heartbeat: not an lvskit heartbeat")
	ErrVersion   = errors.New("heartbeat: unsupported protocol version")
	ErrForged    = errors.New("heartbeat: authentication failed")
	ErrMalformed = errors.New("heartbeat: invalid field")
)

// ---- Piranha mode ----

// PiranhaMagic is the whole of a Piranha heartbeat: one 32-bit word that
// Piranha's pulse sends in host byte order. Every Piranha director ran on x86,
// so the wire order is little-endian.
type PiranhaMagic uint32

// The magics Piranha's pulse knows. Separate running/stopped values for the
// lvs and fos missions keep an lvs pulse from pairing with a fos pulse.
const (
	LVSRunning PiranhaMagic = 0xbdaddbda // sender active, lvs mission
	LVSStopped PiranhaMagic = 0xadbddabd // sender standby, lvs mission
	FOSRunning PiranhaMagic = 0xbeefbabe // sender active, fos mission
	FOSStopped PiranhaMagic = 0xdeadbeef // sender standby, fos mission
	FOSStopMe  PiranhaMagic = 0xdeaddada // fos backup taking over: "go inactive"
	Hold       PiranhaMagic = 0xdeafbabe // accepted and ignored by Piranha (unfinished feature)
	Held       PiranhaMagic = 0xdeafdada // likewise
)

var piranhaNames = map[PiranhaMagic]string{
	LVSRunning: "LVS running",
	LVSStopped: "LVS stopped",
	FOSRunning: "FOS running",
	FOSStopped: "FOS stopped",
	FOSStopMe:  "FOS stop-me",
	Hold:       "HOLD",
	Held:       "HELD",
}

// String returns the name the Piranha reference uses ("LVS running"), or the
// hexadecimal value for a word that is not a Piranha magic.
func (m PiranhaMagic) String() string {
	if s, ok := piranhaNames[m]; ok {
		return s
	}
	return fmt.Sprintf("PiranhaMagic(%#08x)", uint32(m))
}

// EncodePiranha returns the 4-byte datagram for m, little-endian as an x86
// Piranha pulse sends it. Any value is encoded, known or not.
func EncodePiranha(m PiranhaMagic) []byte {
	return binary.LittleEndian.AppendUint32(make([]byte, 0, 4), uint32(m))
}

// DecodePiranha decodes a Piranha heartbeat the way Piranha's pulse validates
// one: exactly 4 bytes (else ErrLength), and one of the seven known magics
// (else ErrIncompatible). All seven are returned; what HOLD, HELD and the fos
// values mean is the caller's decision. On error the magic is 0.
func DecodePiranha(b []byte) (PiranhaMagic, error) {
	if len(b) != 4 {
		return 0, fmt.Errorf("%w: length %d, want 4", ErrLength, len(b))
	}
	m := PiranhaMagic(binary.LittleEndian.Uint32(b))
	if _, ok := piranhaNames[m]; !ok {
		return 0, fmt.Errorf("%w (magic %#08x)", ErrIncompatible, uint32(m))
	}
	return m, nil
}

// ---- lvskit mode ----

// PacketSize is the length of an lvskit heartbeat datagram.
//
//	off len field
//	0   4   magic "LVSH"
//	4   1   version (1)
//	5   1   state
//	6   1   priority, 1..255
//	7   1   flags
//	8   16  node id: sender's public heartbeat address, IPv6 or IPv4-mapped
//	24  8   epoch
//	32  8   sequence, from 1 in each epoch
//	40  8   config checksum
//	48  32  HMAC-SHA256 over bytes 0..47
//
// Integers are big-endian, so mixed-endian pairs can talk (Piranha's could not).
const PacketSize = 80

const (
	wireVersion = 1
	wireMACOff  = 48 // the MAC covers everything before it
)

var wireMagic = [4]byte{'L', 'V', 'S', 'H'}

// State is what the sender is doing. Standby and fault are both "not
// serving"; fault says the sender could not serve if asked (link or child
// failure), so the partner must not hand the VIPs back to it.
type State uint8

const (
	StateStandby State = 1 // healthy, not serving, ready to take over
	StateActive  State = 2 // holds the VIPs
	StateFault   State = 3 // unable to serve
)

// String returns "standby", "active" or "fault", or "State(n)" for an
// unknown value.
func (s State) String() string {
	switch s {
	case StateStandby:
		return "standby"
	case StateActive:
		return "active"
	case StateFault:
		return "fault"
	}
	return fmt.Sprintf("State(%d)", uint8(s))
}

func (s State) valid() bool { return s >= StateStandby && s <= StateFault }

// Flags qualify the sender's state.
type Flags uint8

const (
	FlagMaster    Flags = 1 << 0 // the sender is the primary (lvs.cf "primary")
	FlagPreempt   Flags = 1 << 1 // the sender asks to take over (failback)
	FlagLinkFail  Flags = 1 << 2 // a monitored link of the sender is down
	FlagChildFail Flags = 1 << 3 // the sender's lvsd died

	flagsKnown = FlagMaster | FlagPreempt | FlagLinkFail | FlagChildFail
)

var flagNames = [...]string{"master", "preempt", "linkfail", "childfail"}

// String lists the set flags joined by "|" ("master|preempt"), "" for none.
// Unknown bits appear as one hexadecimal value at the end.
func (f Flags) String() string {
	var parts []string
	for i, name := range flagNames {
		if f&(1<<i) != 0 {
			parts = append(parts, name)
		}
	}
	if rest := f &^ flagsKnown; rest != 0 {
		parts = append(parts, fmt.Sprintf("%#02x", uint8(rest)))
	}
	return strings.Join(parts, "|")
}

// Heartbeat is the content of an lvskit heartbeat packet.
type Heartbeat struct {
	State    State
	Priority uint8 // 1..255; 0 is invalid
	Flags    Flags
	// Node is the sender's public heartbeat address. It is sent as 16 bytes
	// (IPv4 as IPv4-mapped IPv6) and decoded unmapped; a zone is not sent.
	Node     netip.Addr
	Epoch    uint64 // grows on every start of the sender; see NextEpoch
	Seq      uint64 // from 1 in each epoch, +1 per packet
	Checksum [8]byte
}

// Marshal encodes h and signs it with HMAC-SHA256 under key. A nil or empty
// key is the "no secret configured" key; it authenticates nothing but keeps
// one packet format. Marshal refuses what Unmarshal would reject (ErrMalformed):
// an unknown state, priority 0, unknown flag bits, an invalid, unspecified or
// multicast node, or sequence 0. The node's zone is dropped.
func (h Heartbeat) Marshal(key []byte) ([]byte, error) {
	h.Node = h.Node.Unmap().WithZone("")
	if err := h.validate(); err != nil {
		return nil, err
	}
	b := make([]byte, PacketSize)
	copy(b[0:4], wireMagic[:])
	b[4] = wireVersion
	b[5] = byte(h.State)
	b[6] = h.Priority
	b[7] = byte(h.Flags)
	node := h.Node.As16()
	copy(b[8:24], node[:])
	binary.BigEndian.PutUint64(b[24:32], h.Epoch)
	binary.BigEndian.PutUint64(b[32:40], h.Seq)
	copy(b[40:48], h.Checksum[:])
	wireSign(b, key)
	return b, nil
}

// Unmarshal authenticates and decodes an lvskit heartbeat. The checks run in
// this order, each with its own sentinel:
//
//  1. length PacketSize, else ErrLength;
//  2. magic "LVSH", else ErrNotLvskit;
//  3. version 1, else ErrVersion;
//  4. HMAC-SHA256 under key, compared in constant time, else ErrForged;
//  5. field validity (as Marshal's), else ErrMalformed.
//
// Nothing past the version is looked at before the MAC is verified. Two
// refinements of step 1 help an operator who mixes modes or versions: a
// datagram of the wrong size that carries our magic and another version is
// reported as ErrVersion (a later version may have another size), and a
// 4-byte Piranha heartbeat is reported as ErrLength wrapping ErrNotLvskit
// too, naming the Piranha magic. On error the Heartbeat is the zero value.
func Unmarshal(b []byte, key []byte) (Heartbeat, error) {
	if len(b) != PacketSize {
		if len(b) > 4 && [4]byte(b[0:4]) == wireMagic && b[4] != wireVersion {
			return Heartbeat{}, fmt.Errorf("%w: version %d (%d bytes), want %d", ErrVersion, b[4], len(b), wireVersion)
		}
		if m, err := DecodePiranha(b); err == nil {
			return Heartbeat{}, fmt.Errorf("%w: wrong length %d, want %d (%w: Piranha %q heartbeat)",
				ErrLength, len(b), PacketSize, ErrNotLvskit, m.String())
		}
		return Heartbeat{}, fmt.Errorf("%w: wrong length %d, want %d", ErrLength, len(b), PacketSize)
	}
	if [4]byte(b[0:4]) != wireMagic {
		return Heartbeat{}, fmt.Errorf("%w: magic % x, want % x", ErrNotLvskit, b[0:4], wireMagic[:])
	}
	if b[4] != wireVersion {
		return Heartbeat{}, fmt.Errorf("%w: version %d, want %d", ErrVersion, b[4], wireVersion)
	}
	if !hmac.Equal(b[wireMACOff:], wireMAC(b[:wireMACOff], key)) {
		return Heartbeat{}, fmt.Errorf("%w: HMAC mismatch (different secret, or tampered)", ErrForged)
	}
	h := Heartbeat{
		State:    State(b[5]),
		Priority: b[6],
		Flags:    Flags(b[7]),
		Node:     netip.AddrFrom16([16]byte(b[8:24])).Unmap(),
		Epoch:    binary.BigEndian.Uint64(b[24:32]),
		Seq:      binary.BigEndian.Uint64(b[32:40]),
		Checksum: [8]byte(b[40:48]),
	}
	if err := h.validate(); err != nil {
		return Heartbeat{}, err
	}
	return h, nil
}

// validate is the one definition of a well-formed heartbeat, shared by Marshal
// and Unmarshal so that whatever one side can send the other accepts.
func (h Heartbeat) validate() error {
	switch {
	case !h.State.valid():
		return fmt.Errorf("%w: unknown state %d", ErrMalformed, uint8(h.State))
	case h.Priority == 0:
		return fmt.Errorf("%w: priority 0, want 1..255", ErrMalformed)
	case h.Flags&^flagsKnown != 0:
		return fmt.Errorf("%w: unknown flag bits %#02x", ErrMalformed, uint8(h.Flags&^flagsKnown))
	case !h.Node.IsValid():
		return fmt.Errorf("%w: no node address", ErrMalformed)
	case h.Node.IsUnspecified() || h.Node.IsMulticast() || h.Node == netip.AddrFrom4([4]byte{255, 255, 255, 255}):
		return fmt.Errorf("%w: node %s is not a unicast address", ErrMalformed, h.Node)
	case h.Seq == 0:
		return fmt.Errorf("%w: sequence 0, sequences start at 1", ErrMalformed)
	}
	return nil
}

// ConfigChecksum returns the first 8 bytes of the SHA-256 of the canonical
// config, the value a node puts in its heartbeats so that the partner can warn
// when the two lvs.cf files differ (Piranha needed them identical and never
// checked).
func ConfigChecksum(canonical []byte) [8]byte {
	sum := sha256.Sum256(canonical)
	return [8]byte(sum[:8])
}

func wireMAC(msg, key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return m.Sum(nil)
}

// wireSign writes the MAC of b[:48] into b[48:].
func wireSign(b, key []byte) {
	copy(b[wireMACOff:], wireMAC(b[:wireMACOff], key))
}
