package testscripts

import (
	"context"
	"encoding/hex"
	"fmt"
	"net/netip"
	"os"
	"slices"
	"strings"
	"syscall"

	"lvskit/internal/ipvs/fake"
	"lvskit/ipvsadm"
	"lvskit/sendarp"
)

// Test-only environment of send_arp. Scripts never send a frame: the
// interfaces are make-believe, and what would be sent is written to a
// file instead.
const (
	// envFrames names the file that gets one line per frame sent,
	// "DEV HEX"; unset, frames are discarded.
	envFrames = "LVSKIT_TEST_FRAMES"
	// envLinks lists the interfaces that exist, blank-separated;
	// default "eth0".
	envLinks = "LVSKIT_TEST_LINKS"
	// envSendFault makes a system call fail: "socket EPERM" when the
	// interface is opened, "sendto ENETDOWN" when a frame is sent.
	envSendFault = "LVSKIT_TEST_SENDARP_FAULT"
)

// runSendArp runs send_arp with host names from the script's hosts file
// (IPv4 only, as the other tools resolve them) and make-believe
// interfaces.
func runSendArp(args []string) int {
	r := &ipvsadm.SystemResolver{HostsPath: os.Getenv(envHosts), ServicesPath: os.Getenv(envServices)}
	fs := &fakeLinks{frames: os.Getenv(envFrames), links: strings.Fields(os.Getenv(envLinks))}
	if len(fs.links) == 0 {
		fs.links = []string{"eth0"}
	}
	if f := strings.Fields(os.Getenv(envSendFault)); len(f) > 0 {
		errno, err := fake.ParseErrno(f[len(f)-1])
		if len(f) != 2 || err != nil || f[0] != "socket" && f[0] != "sendto" {
			fmt.Fprintf(os.Stderr, "test wiring: %s=%q: want \"socket|sendto ERRNO\"\n", envSendFault, os.Getenv(envSendFault))
			return 125
		}
		fs.fault, fs.faultErr = f[0], os.NewSyscallError(f[0], errno)
	}
	env := &sendarp.Env{
		Stdout: os.Stdout,
		Stderr: os.Stderr,
		LookupHost: func(_ context.Context, host string) ([]netip.Addr, error) {
			if a, ok := r.LookupHost4(host); ok {
				return []netip.Addr{a}, nil
			}
			return nil, fmt.Errorf("%s: no such host", host)
		},
		Open: fs.open,
	}
	return env.Run(args)
}

// fakeLinks opens make-believe interfaces.
type fakeLinks struct {
	frames   string
	links    []string
	fault    string
	faultErr error
}

func (f *fakeLinks) open(name string) (sendarp.FrameSender, error) {
	if !slices.Contains(f.links, name) {
		// What sendarp.InterfaceByName returns.
		return nil, fmt.Errorf("sendarp: %s: %w", name, syscall.ENODEV)
	}
	if f.fault == "socket" {
		return nil, fmt.Errorf("sendarp: %s: %w", name, f.faultErr)
	}
	return &fakeLink{f: f, name: name}, nil
}

type fakeLink struct {
	f    *fakeLinks
	name string
}

func (l *fakeLink) Send(frame []byte) error {
	if l.f.fault == "sendto" {
		return fmt.Errorf("sendarp: %s: %w", l.name, l.f.faultErr)
	}
	if l.f.frames == "" {
		return nil
	}
	out, err := os.OpenFile(l.f.frames, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o666)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out, "%s %s\n", l.name, hex.EncodeToString(frame))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

func (l *fakeLink) Close() error { return nil }
