package pulse

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"net/netip"
	"strings"
	"testing"
)

// testKey is the shared secret of the golden packet.
var testKey = []byte("lvskit test secret")

// allSentinels are the codec's and the guard's errors; an error must match
// exactly the ones a test names.
var allSentinels = []error{
	ErrLength, ErrIncompatible, ErrNotLvskit, ErrVersion, ErrForged, ErrMalformed, ErrReplay, ErrStale,
}

// wantOnly fails unless err matches every sentinel in want and no other.
func wantOnly(t *testing.T, err error, want ...error) {
	t.Helper()
	if err == nil {
		t.Fatalf("err = nil, want %v", want)
	}
	for _, s := range allSentinels {
		got := errors.Is(err, s)
		exp := false
		for _, w := range want {
			exp = exp || w == s
		}
		if got != exp {
			t.Errorf("errors.Is(%q, %q) = %v, want %v", err, s, got, exp)
		}
	}
}

// sign is the test's own HMAC: it proves Marshal and Unmarshal authenticate
// bytes 0..47 with HMAC-SHA256, independently of wireSign.
func sign(b, key []byte) []byte {
	m := hmac.New(sha256.New, key)
	m.Write(b[:48])
	return append(b[:48:48], m.Sum(nil)...)
}

func mustHex(t *testing.T, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// ---- Piranha mode ----

func TestPiranhaWire(t *testing.T) {
	// Bytes from the reference's table (x86 host order); HOLD and HELD have no
	// bytes there and follow from their values.
	tests := []struct {
		m    PiranhaMagic
		val  uint32
		wire string
		name string
	}{
		{LVSRunning, 0xbdaddbda, "da db ad bd", "LVS running"},
		{LVSStopped, 0xadbddabd, "bd da bd ad", "LVS stopped"},
		{FOSRunning, 0xBeefBabe, "be ba ef be", "FOS running"},
		{FOSStopped, 0xDeadBeef, "ef be ad de", "FOS stopped"},
		{FOSStopMe, 0xDeadDaDa, "da da ad de", "FOS stop-me"},
		{Hold, 0xDeafBabe, "be ba af de", "HOLD"},
		{Held, 0xDeafDaDa, "da da af de", "HELD"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if uint32(tt.m) != tt.val {
				t.Errorf("value %#x, want %#x", uint32(tt.m), tt.val)
			}
			wire := mustHex(t, tt.wire)
			if got := EncodePiranha(tt.m); !bytes.Equal(got, wire) {
				t.Errorf("EncodePiranha = % x, want % x", got, wire)
			}
			got, err := DecodePiranha(wire)
			if err != nil || got != tt.m {
				t.Errorf("DecodePiranha(% x) = %v, %v; want %v", wire, got, err, tt.m)
			}
			if s := tt.m.String(); s != tt.name {
				t.Errorf("String = %q, want %q", s, tt.name)
			}
		})
	}
}

// The capture in the reference: a Piranha peer's "stopped" and "running".
func TestDecodePiranhaCapture(t *testing.T) {
	for in, want := range map[string]PiranhaMagic{"bddabdad": LVSStopped, "dadbadbd": LVSRunning} {
		got, err := DecodePiranha(mustHex(t, in))
		if err != nil || got != want {
			t.Errorf("DecodePiranha(%s) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestDecodePiranhaErrors(t *testing.T) {
	tests := []struct {
		name string
		in   []byte
		want error
		msg  string
	}{
		{"nil", nil, ErrLength, "bad heartbeat packet: length 0, want 4"},
		{"3 bytes", []byte{0xda, 0xdb, 0xad}, ErrLength, "bad heartbeat packet: length 3, want 4"},
		{"5 bytes", []byte{0xda, 0xdb, 0xad, 0xbd, 0}, ErrLength, "bad heartbeat packet: length 5, want 4"},
		{"lvskit packet", make([]byte, PacketSize), ErrLength, "bad heartbeat packet: length 80, want 4"},
		{"zero", []byte{0, 0, 0, 0}, ErrIncompatible,
			"Incompatible heartbeat received -- other system not using identical services (magic 0x00000000)"},
		// A big-endian Piranha host would send this; x86 Piranha rejected it too.
		{"big-endian LVS running", []byte{0xbd, 0xad, 0xdb, 0xda}, ErrIncompatible,
			"Incompatible heartbeat received -- other system not using identical services (magic 0xdadbadbd)"},
		{"lvskit magic", []byte("LVSH"), ErrIncompatible, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := DecodePiranha(tt.in)
			wantOnly(t, err, tt.want)
			if m != 0 {
				t.Errorf("magic = %v on error, want 0", m)
			}
			if tt.msg != "" && err.Error() != tt.msg {
				t.Errorf("message %q, want %q", err, tt.msg)
			}
		})
	}
}

func TestPiranhaMagicStringUnknown(t *testing.T) {
	if got, want := PiranhaMagic(0x1234).String(), "PiranhaMagic(0x00001234)"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}

// ---- lvskit mode ----

func TestStateString(t *testing.T) {
	for s, want := range map[State]string{
		StateStandby: "standby", StateActive: "active", StateFault: "fault", 0: "State(0)", 4: "State(4)",
	} {
		if got := s.String(); got != want {
			t.Errorf("State(%d).String() = %q, want %q", uint8(s), got, want)
		}
	}
}

func TestFlagsString(t *testing.T) {
	for f, want := range map[Flags]string{
		0:                          "",
		FlagMaster:                 "master",
		FlagMaster | FlagPreempt:   "master|preempt",
		FlagLinkFail:               "linkfail",
		FlagChildFail:              "childfail",
		flagsKnown:                 "master|preempt|linkfail|childfail",
		FlagPreempt | 0x10:         "preempt|0x10",
		0xf0:                       "0xf0",
		FlagMaster | FlagChildFail: "master|childfail",
	} {
		if got := f.String(); got != want {
			t.Errorf("Flags(%#x).String() = %q, want %q", uint8(f), got, want)
		}
	}
}

func TestFlagValues(t *testing.T) {
	if FlagMaster != 1 || FlagPreempt != 2 || FlagLinkFail != 4 || FlagChildFail != 8 {
		t.Fatal("flag bits moved: they are wire format")
	}
	if StateStandby != 1 || StateActive != 2 || StateFault != 3 {
		t.Fatal("state values moved: they are wire format")
	}
}

// goldenHeartbeat is fully specified; goldenPacket is its encoding under
// testKey, computed outside Go (Python's hmac) and kept literal so that any
// layout change fails here.
var goldenHeartbeat = Heartbeat{
	State:    StateActive,
	Priority: 150,
	Flags:    FlagMaster | FlagPreempt,
	Node:     netip.MustParseAddr("192.0.2.10"),
	Epoch:    1700000000123456789, // 0x17979cfe3d85cd15
	Seq:      42,
	Checksum: [8]byte{1, 2, 3, 4, 5, 6, 7, 8},
}

const (
	goldenPacket = "" +
		"4c565348" + // "LVSH"
		"01" + // version
		"02" + // state active
		"96" + // priority 150
		"03" + // flags master|preempt
		"00000000000000000000ffffc000020a" + // ::ffff:192.0.2.10
		"17979cfe3d85cd15" + // epoch
		"000000000000002a" + // sequence 42
		"0102030405060708" + // config checksum
		"8c331dfdad58df140c4f8bea9723e0835116487a5527056926dd93b9f634467b" // HMAC-SHA256, key testKey
	goldenEmptyKeyMAC = "2023f28d9e70d9a5bee2dc05dfd6b34813dd4a0b5e86969b5ef342da967bbe5d"
)

func TestGolden(t *testing.T) {
	want := mustHex(t, goldenPacket)
	if len(want) != PacketSize {
		t.Fatalf("golden is %d bytes, PacketSize %d", len(want), PacketSize)
	}
	if !bytes.Equal(sign(bytes.Clone(want), testKey), want) {
		t.Fatal("golden MAC is not HMAC-SHA256(testKey, bytes 0..47)")
	}
	got, err := goldenHeartbeat.Marshal(testKey)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Marshal:\n got %x\nwant %x", got, want)
	}
	h, err := Unmarshal(want, testKey)
	if err != nil || h != goldenHeartbeat {
		t.Fatalf("Unmarshal = %+v, %v; want %+v", h, err, goldenHeartbeat)
	}

	// The "no secret" packet: same fields, HMAC under the empty key.
	wantEmpty := append(bytes.Clone(want[:48]), mustHex(t, goldenEmptyKeyMAC)...)
	for _, key := range [][]byte{nil, {}} {
		got, err := goldenHeartbeat.Marshal(key)
		if err != nil || !bytes.Equal(got, wantEmpty) {
			t.Errorf("Marshal(%q) = %x, %v; want %x", key, got, err, wantEmpty)
		}
		if h, err := Unmarshal(wantEmpty, key); err != nil || h != goldenHeartbeat {
			t.Errorf("Unmarshal(empty-key packet, %q) = %+v, %v", key, h, err)
		}
	}
}

func TestConfigChecksum(t *testing.T) {
	// The first 8 bytes of the FIPS 180-2 test vectors.
	for in, want := range map[string]string{
		"":    "e3b0c44298fc1c14",
		"abc": "ba7816bf8f01cfea",
	} {
		got := ConfigChecksum([]byte(in))
		if hex.EncodeToString(got[:]) != want {
			t.Errorf("ConfigChecksum(%q) = %x, want %s", in, got, want)
		}
	}
}

func TestRoundTripAllStatesAndFlags(t *testing.T) {
	nodes := []struct{ in, want netip.Addr }{
		{netip.MustParseAddr("192.0.2.1"), netip.MustParseAddr("192.0.2.1")},
		{netip.MustParseAddr("::ffff:192.0.2.1"), netip.MustParseAddr("192.0.2.1")}, // mapped in, unmapped out
		{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.1")},
		{netip.MustParseAddr("2001:db8::1"), netip.MustParseAddr("2001:db8::1")},
		{netip.MustParseAddr("fe80::1%eth1"), netip.MustParseAddr("fe80::1")}, // the zone is not sent
		{netip.MustParseAddr("::1"), netip.MustParseAddr("::1")},
	}
	keys := [][]byte{nil, {}, testKey, bytes.Repeat([]byte{0xa5}, 100)} // longer than a SHA-256 block
	n := 0
	for _, state := range []State{StateStandby, StateActive, StateFault} {
		for flags := Flags(0); flags <= flagsKnown; flags++ {
			for i, node := range nodes {
				key := keys[n%len(keys)]
				h := Heartbeat{
					State:    state,
					Priority: []uint8{1, 100, 255}[n%3],
					Flags:    flags,
					Node:     node.in,
					Epoch:    []uint64{0, 1, math.MaxUint64, 1 << 63}[n%4],
					Seq:      []uint64{1, 2, math.MaxUint64}[i%3],
					Checksum: ConfigChecksum([]byte{byte(n)}),
				}
				n++
				b, err := h.Marshal(key)
				if err != nil {
					t.Fatalf("Marshal(%+v): %v", h, err)
				}
				if len(b) != PacketSize {
					t.Fatalf("Marshal length %d", len(b))
				}
				got, err := Unmarshal(b, key)
				if err != nil {
					t.Fatalf("Unmarshal(Marshal(%+v)): %v", h, err)
				}
				want := h
				want.Node = node.want
				if got != want {
					t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
				}
				if again, _ := got.Marshal(key); !bytes.Equal(again, b) {
					t.Fatalf("re-marshal differs:\n%x\n%x", again, b)
				}
			}
		}
	}
	if n != 3*16*len(nodes) {
		t.Fatalf("ran %d cases", n)
	}
}

// Flipping any bit of a valid packet is caught by the first check that looks
// at that byte: magic, version, and from there on the MAC.
func TestUnmarshalCorruptEveryByte(t *testing.T) {
	good, err := goldenHeartbeat.Marshal(testKey)
	if err != nil {
		t.Fatal(err)
	}
	for pos := range PacketSize {
		for _, mask := range []byte{0x01, 0x80, 0xff} {
			b := bytes.Clone(good)
			b[pos] ^= mask
			var want error
			switch {
			case pos < 4:
				want = ErrNotLvskit
			case pos == 4:
				want = ErrVersion
			default:
				want = ErrForged
			}
			h, err := Unmarshal(b, testKey)
			if !errors.Is(err, want) {
				t.Errorf("byte %d ^ %#02x: err %v, want %v", pos, mask, err, want)
				continue
			}
			wantOnly(t, err, want)
			if h != (Heartbeat{}) {
				t.Errorf("byte %d: non-zero heartbeat on error: %+v", pos, h)
			}
		}
	}
}

// malformed builds a packet from the golden one with edit applied to bytes
// 0..47 and a valid MAC under key, to reach the field checks.
func malformed(t *testing.T, key []byte, edit func(b []byte)) []byte {
	t.Helper()
	b := mustHex(t, goldenPacket)
	edit(b)
	return sign(b, key)
}

func setNode(a string) func([]byte) {
	return func(b []byte) {
		n := netip.MustParseAddr(a).As16()
		copy(b[8:24], n[:])
	}
}

func TestUnmarshalErrors(t *testing.T) {
	golden := mustHex(t, goldenPacket)
	v2 := bytes.Clone(golden)
	v2[4] = 2
	tests := []struct {
		name string
		in   []byte
		key  []byte
		want []error
		msg  string // exact text when set
	}{
		{"nil", nil, testKey, []error{ErrLength}, "bad heartbeat packet: wrong length 0, want 80"},
		{"truncated", golden[:79], testKey, []error{ErrLength}, "bad heartbeat packet: wrong length 79, want 80"},
		{"header only", golden[:48], testKey, []error{ErrLength}, ""},
		{"extended", append(bytes.Clone(golden), 0), testKey, []error{ErrLength}, "bad heartbeat packet: wrong length 81, want 80"},
		{"4 bytes LVSH", []byte("LVSH"), testKey, []error{ErrLength}, ""},
		{"4 bytes garbage", []byte{1, 2, 3, 4}, testKey, []error{ErrLength}, ""},
		{"piranha LVS running", EncodePiranha(LVSRunning), testKey, []error{ErrLength, ErrNotLvskit},
			`bad heartbeat packet: wrong length 4, want 80 (heartbeat: not an lvskit heartbeat: Piranha "LVS running" heartbeat)`},
		{"piranha HELD", EncodePiranha(Held), nil, []error{ErrLength, ErrNotLvskit}, ""},
		{"80 bytes of zeros", make([]byte, 80), testKey, []error{ErrNotLvskit},
			"heartbeat: not an lvskit heartbeat: magic 00 00 00 00, want 4c 56 53 48"},
		{"lowercase magic", append([]byte("lvsh"), golden[4:]...), testKey, []error{ErrNotLvskit}, ""},
		{"version 0", func() []byte { b := bytes.Clone(golden); b[4] = 0; return b }(), testKey, []error{ErrVersion},
			"heartbeat: unsupported protocol version: version 0, want 1"},
		{"version 2", v2, testKey, []error{ErrVersion}, "heartbeat: unsupported protocol version: version 2, want 1"},
		{"version 2, longer packet", append(bytes.Clone(v2), make([]byte, 16)...), testKey, []error{ErrVersion},
			"heartbeat: unsupported protocol version: version 2 (96 bytes), want 1"},
		{"version 255, short packet", v2[:5:5], testKey, []error{ErrVersion}, ""},
		{"version 1, short packet", golden[:5], testKey, []error{ErrLength}, ""},
		{"wrong key", golden, []byte("another secret"), []error{ErrForged},
			"heartbeat: authentication failed: HMAC mismatch (different secret, or tampered)"},
		{"key is a prefix", golden, testKey[:len(testKey)-1], []error{ErrForged}, ""},
		{"configured key, peer has none", malformed(t, nil, func([]byte) {}), testKey, []error{ErrForged}, ""},
		{"no key, peer has one", golden, nil, []error{ErrForged}, ""},
		{"empty key, peer has one", golden, []byte{}, []error{ErrForged}, ""},
		{"MAC zeroed", append(bytes.Clone(golden[:48]), make([]byte, 32)...), testKey, []error{ErrForged}, ""},
		{"MAC of the next packet", append(bytes.Clone(golden[:48]), malformed(t, testKey, func(b []byte) { b[39]++ })[48:]...),
			testKey, []error{ErrForged}, ""},
		// A valid MAC over invalid fields: the peer has the key, so this is a
		// bug or a newer peer, not an attack.
		{"state 0", malformed(t, testKey, func(b []byte) { b[5] = 0 }), testKey, []error{ErrMalformed},
			"heartbeat: invalid field: unknown state 0"},
		{"state 4", malformed(t, testKey, func(b []byte) { b[5] = 4 }), testKey, []error{ErrMalformed}, ""},
		{"state 255", malformed(t, testKey, func(b []byte) { b[5] = 255 }), testKey, []error{ErrMalformed}, ""},
		{"priority 0", malformed(t, testKey, func(b []byte) { b[6] = 0 }), testKey, []error{ErrMalformed},
			"heartbeat: invalid field: priority 0, want 1..255"},
		{"flag bit 4", malformed(t, testKey, func(b []byte) { b[7] |= 0x10 }), testKey, []error{ErrMalformed},
			"heartbeat: invalid field: unknown flag bits 0x10"},
		{"flag bit 7", malformed(t, testKey, func(b []byte) { b[7] = 0x80 }), testKey, []error{ErrMalformed}, ""},
		{"node ::", malformed(t, testKey, setNode("::")), testKey, []error{ErrMalformed},
			"heartbeat: invalid field: node :: is not a unicast address"},
		{"node 0.0.0.0", malformed(t, testKey, setNode("::ffff:0.0.0.0")), testKey, []error{ErrMalformed},
			"heartbeat: invalid field: node 0.0.0.0 is not a unicast address"},
		{"node ff02::1", malformed(t, testKey, setNode("ff02::1")), testKey, []error{ErrMalformed}, ""},
		{"node 224.0.0.18", malformed(t, testKey, setNode("::ffff:224.0.0.18")), testKey, []error{ErrMalformed}, ""},
		{"node 255.255.255.255", malformed(t, testKey, setNode("::ffff:255.255.255.255")), testKey, []error{ErrMalformed}, ""},
		{"sequence 0", malformed(t, testKey, func(b []byte) { clear(b[32:40]) }), testKey, []error{ErrMalformed},
			"heartbeat: invalid field: sequence 0, sequences start at 1"},
		// Length, magic and version come before the MAC: a packet that fails
		// two checks reports the earlier one.
		{"bad magic and MAC", append([]byte("XXXX"), golden[4:]...), []byte("other"), []error{ErrNotLvskit}, ""},
		{"bad version and MAC", v2, []byte("other"), []error{ErrVersion}, ""},
		{"bad MAC and field", malformed(t, []byte("other"), func(b []byte) { b[6] = 0 }), testKey, []error{ErrForged}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := bytes.Clone(tt.in)
			h, err := Unmarshal(in, tt.key)
			wantOnly(t, err, tt.want...)
			if h != (Heartbeat{}) {
				t.Errorf("non-zero heartbeat on error: %+v", h)
			}
			if tt.msg != "" && err != nil && err.Error() != tt.msg {
				t.Errorf("message\n got %q\nwant %q", err, tt.msg)
			}
			if !bytes.Equal(in, tt.in) {
				t.Error("Unmarshal modified its input")
			}
		})
	}
}

// Sanity of the malformed helper: unedited, it produces an accepted packet,
// so the failures above come from the edits.
func TestMalformedHelperBaseline(t *testing.T) {
	if _, err := Unmarshal(malformed(t, testKey, func([]byte) {}), testKey); err != nil {
		t.Fatal(err)
	}
}

func TestMarshalValidation(t *testing.T) {
	edit := func(f func(*Heartbeat)) Heartbeat { h := goldenHeartbeat; f(&h); return h }
	tests := []struct {
		name string
		h    Heartbeat
		msg  string
	}{
		{"zero heartbeat", Heartbeat{}, "heartbeat: invalid field: unknown state 0"},
		{"state 0", edit(func(h *Heartbeat) { h.State = 0 }), ""},
		{"state 4", edit(func(h *Heartbeat) { h.State = 4 }), "heartbeat: invalid field: unknown state 4"},
		{"priority 0", edit(func(h *Heartbeat) { h.Priority = 0 }), "heartbeat: invalid field: priority 0, want 1..255"},
		{"unknown flag", edit(func(h *Heartbeat) { h.Flags |= 0x40 }), "heartbeat: invalid field: unknown flag bits 0x40"},
		{"no node", edit(func(h *Heartbeat) { h.Node = netip.Addr{} }), "heartbeat: invalid field: no node address"},
		{"node ::", edit(func(h *Heartbeat) { h.Node = netip.IPv6Unspecified() }), ""},
		{"node 0.0.0.0", edit(func(h *Heartbeat) { h.Node = netip.IPv4Unspecified() }), ""},
		{"node ::ffff:0.0.0.0", edit(func(h *Heartbeat) { h.Node = netip.MustParseAddr("::ffff:0.0.0.0") }),
			"heartbeat: invalid field: node 0.0.0.0 is not a unicast address"},
		{"node multicast", edit(func(h *Heartbeat) { h.Node = netip.MustParseAddr("239.1.1.1") }), ""},
		{"node broadcast", edit(func(h *Heartbeat) { h.Node = netip.MustParseAddr("255.255.255.255") }), ""},
		{"sequence 0", edit(func(h *Heartbeat) { h.Seq = 0 }), "heartbeat: invalid field: sequence 0, sequences start at 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := tt.h.Marshal(testKey)
			wantOnly(t, err, ErrMalformed)
			if b != nil {
				t.Errorf("Marshal returned %d bytes with an error", len(b))
			}
			if tt.msg != "" && err != nil && err.Error() != tt.msg {
				t.Errorf("message\n got %q\nwant %q", err, tt.msg)
			}
		})
	}
}

// Marshal's and Unmarshal's notions of valid are one: a field edit that
// Marshal refuses is, signed by hand, refused by Unmarshal, and vice versa.
func TestMarshalUnmarshalAgreeOnValidity(t *testing.T) {
	for state := range 256 {
		for _, prio := range []byte{0, 1, 255} {
			for _, flags := range []byte{0, 1, 0x0f, 0x10, 0xff} {
				h := goldenHeartbeat
				h.State, h.Priority, h.Flags = State(state), prio, Flags(flags)
				_, merr := h.Marshal(testKey)
				b := malformed(t, testKey, func(b []byte) { b[5], b[6], b[7] = byte(state), prio, flags })
				_, uerr := Unmarshal(b, testKey)
				if (merr == nil) != (uerr == nil) {
					t.Fatalf("state %d prio %d flags %#x: Marshal %v, Unmarshal %v", state, prio, flags, merr, uerr)
				}
			}
		}
	}
}

func TestMarshalFreshSlice(t *testing.T) {
	a, _ := goldenHeartbeat.Marshal(testKey)
	b, _ := goldenHeartbeat.Marshal(testKey)
	a[0] = 'X'
	if b[0] != 'L' {
		t.Fatal("Marshal results share memory")
	}
}

func ExampleUnmarshal() {
	key := []byte("s3cret")
	h := Heartbeat{
		State:    StateActive,
		Priority: 100,
		Flags:    FlagMaster,
		Node:     netip.MustParseAddr("192.0.2.1"),
		Epoch:    1,
		Seq:      1,
	}
	b, _ := h.Marshal(key)
	got, err := Unmarshal(b, key)
	fmt.Println(got.State, got.Flags, got.Node, err)
	_, err = Unmarshal(b, []byte("wrong"))
	fmt.Println(err)
	_, err = Unmarshal(EncodePiranha(LVSRunning), key)
	fmt.Println(errors.Is(err, ErrNotLvskit))
	// Output:
	// active master 192.0.2.1 <nil>
	// heartbeat: authentication failed: HMAC mismatch (different secret, or tampered)
	// true
}
