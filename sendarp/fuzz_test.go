package sendarp

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"net/netip"
	"strings"
	"testing"
)

// parseHW never panics, and what it accepts is the address its first
// twelve digits spell, which reads back the same with or without colons.
func FuzzParseHW(f *testing.F) {
	for _, s := range []string{"00:11:22:33:44:55", "001122334455", "00:1122:33:4455", "ffffffffffff", "00:11:22:33:44:5", "0:1:2:3:4:5", "", "::::::", "00:11:22:33:44:55:66:77"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		hw, ok := parseHW(s)
		if !ok {
			if hw != nil {
				t.Fatalf("parseHW(%q) failed but returned %v", s, hw)
			}
			return
		}
		if len(hw) != 6 {
			t.Fatalf("parseHW(%q) = %v: %d bytes", s, hw, len(hw))
		}
		digits := strings.ReplaceAll(s, ":", "")
		if want, err := hex.DecodeString(digits[:12]); err != nil || !bytes.Equal(hw, want) {
			t.Fatalf("parseHW(%q) = %v, want the first 12 digits %q", s, hw, digits[:12])
		}
		for _, again := range []string{hex.EncodeToString(hw), strings.ToUpper(hex.EncodeToString(hw)), hw.String()} {
			if hw2, ok := parseHW(again); !ok || !bytes.Equal(hw2, hw) {
				t.Fatalf("parseHW(%q) = %v, %v; want %v", again, hw2, ok, hw)
			}
		}
	})
}

// The whole command line, up to the socket: no panic, exit status 0 or
// 1, and a success sends count whole frames (no sleeping: the interval
// is dropped) of a builder's length. Arguments are the lines of the
// input.
func FuzzCommandLine(f *testing.F) {
	for _, s := range []string{
		"10.0.0.1\n001122334455\n10.0.0.255\nffffffffffff",
		"-i\neth1\n10.0.0.1\n00:11:22:33:44:55\nx\nffffffffffff",
		"--count\n3\n--style=request\n-i\nv0\n10.1\n001122334455\nx\n010203040506",
		"--interval=0.5\n2001:db8::1\n001122334455\nx\nffffffffffff",
		"vip.lab\n001122334455\nx\nffffffffffff",
		"--help", "--version", "-i", "--count", "--count=0", "--\na\nb\nc\nd", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		args := []string{"send_arp"}
		if in != "" {
			args = append(args, strings.Split(in, "\n")...)
		}
		inv, perr := parseArgs(args[1:])
		if perr == nil && !inv.help && !inv.version && (inv.count < 1 || inv.interval < 0) {
			t.Fatalf("%q: count %d, interval %v", args, inv.count, inv.interval)
		}
		// Run it without the interval: the fuzzer must not sleep.
		var kept []string
		for i := 0; i < len(args); i++ {
			if args[i] == "--interval" && i+1 < len(args) {
				i++
				continue
			}
			if !strings.HasPrefix(args[i], "--interval=") {
				kept = append(kept, args[i])
			}
		}
		kept = append(kept[:1], append([]string{"--interval=0"}, kept[1:]...)...)
		var frames [][]byte
		var out bytes.Buffer
		e := &Env{
			Stdout: io.Discard,
			Stderr: &out,
			LookupHost: func(_ context.Context, host string) ([]netip.Addr, error) {
				if host == "vip.lab" {
					return []netip.Addr{netip.MustParseAddr("10.0.0.1")}, nil
				}
				return nil, errors.New("no such host")
			},
			Open: func(string) (FrameSender, error) { return &recorder{frames: &frames}, nil },
		}
		status := e.Run(kept)
		if status != exitOK && status != exitFail {
			t.Fatalf("%q: exit status %d", kept, status)
		}
		if status == exitFail && out.Len() == 0 {
			t.Fatalf("%q: failed silently", kept)
		}
		if status == exitOK && len(frames) > 0 {
			inv, err := parseArgs(kept[1:])
			if err != nil || len(frames) != inv.count {
				t.Fatalf("%q: %d frames sent (%v)", kept, len(frames), err)
			}
			for _, fr := range frames {
				if len(fr) != ARPFrameLen && len(fr) != NAFrameLen {
					t.Fatalf("%q: a frame of %d bytes", kept, len(fr))
				}
			}
		}
	})
}

type recorder struct{ frames *[][]byte }

func (r *recorder) Send(frame []byte) error { *r.frames = append(*r.frames, frame); return nil }
func (r *recorder) Close() error            { return nil }
