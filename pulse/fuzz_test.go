package pulse

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"errors"
	"net/netip"
	"testing"
)

// FuzzUnmarshal: Unmarshal never panics, fails with exactly one of its
// errors (ErrLength may carry ErrNotLvskit), and whatever it accepts
// re-marshals to the same bytes under the same key. Random bytes almost never
// carry a valid MAC, so each input is also tried re-signed under the key,
// which takes the fuzzer into the field checks.
func FuzzUnmarshal(f *testing.F) {
	good, _ := goldenHeartbeat.Marshal(testKey)
	f.Add(good, testKey)
	f.Add(good, []byte(nil))
	noKey, _ := goldenHeartbeat.Marshal(nil)
	f.Add(noKey, []byte{})
	v6 := goldenHeartbeat
	v6.Node, v6.State, v6.Flags = netip.MustParseAddr("2001:db8::2"), StateFault, FlagLinkFail|FlagChildFail
	b6, _ := v6.Marshal([]byte("k"))
	f.Add(b6, []byte("k"))
	f.Add(EncodePiranha(LVSRunning), testKey)
	f.Add([]byte("LVSH\x02"), testKey)
	f.Add(make([]byte, PacketSize), []byte(nil))
	f.Add([]byte{}, []byte("k"))

	f.Fuzz(func(t *testing.T, b, key []byte) {
		check := func(in []byte) {
			orig := bytes.Clone(in)
			h, err := Unmarshal(in, key)
			if !bytes.Equal(in, orig) {
				t.Fatal("Unmarshal modified its input")
			}
			if err != nil {
				if h != (Heartbeat{}) {
					t.Fatalf("non-zero heartbeat with error %v", err)
				}
				n := 0
				for _, s := range []error{ErrLength, ErrNotLvskit, ErrVersion, ErrForged, ErrMalformed} {
					if errors.Is(err, s) {
						n++
					}
				}
				if n != 1 && !(n == 2 && errors.Is(err, ErrLength) && errors.Is(err, ErrNotLvskit) && len(in) == 4) {
					t.Fatalf("error %q matches %d sentinels", err, n)
				}
				if len(in) != PacketSize && !errors.Is(err, ErrLength) && !errors.Is(err, ErrVersion) {
					t.Fatalf("length %d: %v", len(in), err)
				}
				return
			}
			if len(in) != PacketSize {
				t.Fatalf("accepted %d bytes", len(in))
			}
			if h.Node.Is4In6() || h.Node.Zone() != "" {
				t.Fatalf("node %v not unmapped", h.Node)
			}
			out, err := h.Marshal(key)
			if err != nil {
				t.Fatalf("accepted %+v, but Marshal: %v", h, err)
			}
			if !bytes.Equal(out, in) {
				t.Fatalf("re-marshal differs:\n in %x\nout %x", in, out)
			}
		}
		check(b)
		if len(b) == PacketSize {
			m := hmac.New(sha256.New, key)
			m.Write(b[:48])
			signed := append(bytes.Clone(b[:48]), m.Sum(nil)...)
			check(signed)
			if _, err := Unmarshal(signed, key); errors.Is(err, ErrForged) {
				t.Fatalf("correctly signed packet reported forged: %v", err)
			}
		}
	})
}

// FuzzMarshal: any Heartbeat either is refused with ErrMalformed or
// round-trips through Unmarshal, and the packet is always PacketSize bytes.
func FuzzMarshal(f *testing.F) {
	f.Add(uint8(2), uint8(150), uint8(3), []byte{192, 0, 2, 10}, uint64(1), uint64(1), []byte("k"))
	f.Add(uint8(1), uint8(1), uint8(0), []byte(netip.MustParseAddr("2001:db8::1").AsSlice()), uint64(0), uint64(1), []byte(nil))
	f.Add(uint8(0), uint8(0), uint8(0xff), []byte{}, uint64(0), uint64(0), []byte{})
	f.Fuzz(func(t *testing.T, state, prio, flags uint8, addr []byte, epoch, seq uint64, key []byte) {
		node, _ := netip.AddrFromSlice(addr)
		h := Heartbeat{State: State(state), Priority: prio, Flags: Flags(flags), Node: node, Epoch: epoch, Seq: seq,
			Checksum: ConfigChecksum(addr)}
		b, err := h.Marshal(key)
		if err != nil {
			if !errors.Is(err, ErrMalformed) || b != nil {
				t.Fatalf("Marshal: %d bytes, %v", len(b), err)
			}
			return
		}
		if len(b) != PacketSize {
			t.Fatalf("packet of %d bytes", len(b))
		}
		got, err := Unmarshal(b, key)
		if err != nil {
			t.Fatalf("Unmarshal(Marshal(%+v)): %v", h, err)
		}
		want := h
		want.Node = node.Unmap()
		if got != want {
			t.Fatalf("round trip:\n got %+v\nwant %+v", got, want)
		}
	})
}

// FuzzDecodePiranha: never panics; accepts exactly the seven magics in 4
// bytes and then re-encodes to the same bytes; otherwise ErrLength for a
// wrong size, ErrIncompatible for an unknown word.
func FuzzDecodePiranha(f *testing.F) {
	for _, m := range []PiranhaMagic{LVSRunning, LVSStopped, FOSRunning, FOSStopped, FOSStopMe, Hold, Held} {
		f.Add(EncodePiranha(m))
	}
	f.Add([]byte{})
	f.Add([]byte{0, 0, 0, 0})
	f.Add([]byte("LVSH\x01"))
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodePiranha(b)
		switch {
		case len(b) != 4:
			if !errors.Is(err, ErrLength) || errors.Is(err, ErrIncompatible) || m != 0 {
				t.Fatalf("%d bytes: %v, %v", len(b), m, err)
			}
		case err != nil:
			if !errors.Is(err, ErrIncompatible) || errors.Is(err, ErrLength) || m != 0 {
				t.Fatalf("% x: %v, %v", b, m, err)
			}
			if _, known := piranhaNames[PiranhaMagic(uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24)]; known {
				t.Fatalf("% x: known magic rejected: %v", b, err)
			}
		default:
			if _, known := piranhaNames[m]; !known {
				t.Fatalf("% x: accepted unknown magic %v", b, m)
			}
			if !bytes.Equal(EncodePiranha(m), b) {
				t.Fatalf("% x decodes to %v, which encodes to % x", b, m, EncodePiranha(m))
			}
		}
	})
}
