package ipvsadm

import (
	"bytes"
	"io"
	"net/netip"
	"strings"
	"testing"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
)

// modprobeEnv is an Env over a fake kernel without IPVS whose module
// loader is counted and, if it loads, makes IPVS available.
func modprobeEnv(loads bool) (*Env, *fake.Table, *int, *bytes.Buffer, *bytes.Buffer) {
	ft := fake.New()
	ft.SetUnavailable(true)
	calls := 0
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdout:   &stdout,
		Stderr:   &stderr,
		Open:     ft.Open,
		Resolver: &SystemResolver{},
		Modprobe: func(w io.Writer) bool {
			calls++
			if w != &stderr {
				panic("modprobe's messages must go to the Env's Stderr")
			}
			if loads {
				ft.SetUnavailable(false)
			}
			return loads
		},
		Privileged: true,
	}
	return env, ft, &calls, &stdout, &stderr
}

const noIPVS = "Can't initialize ipvs: Protocol not available\nAre you sure that IP Virtual Server is built in the kernel or as module?\n"

// Without IPVS, ipvsadm runs modprobe once and, when the module loads,
// goes on with the command on the table it now finds.
func TestModprobeLoads(t *testing.T) {
	env, ft, calls, stdout, stderr := modprobeEnv(true)
	if st := env.Run([]string{"ipvsadm", "-A", "-t", "10.0.0.1:80"}); st != 0 {
		t.Fatalf("status %d, stderr %q", st, stderr)
	}
	if *calls != 1 {
		t.Errorf("modprobe ran %d times, want once", *calls)
	}
	k := ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.0.0.1"), 80)
	if _, err := ft.Service(k); err != nil {
		t.Errorf("the service was not added after modprobe: %v", err)
	}
	if stdout.Len() != 0 || stderr.Len() != 0 {
		t.Errorf("output %q, %q; want none", stdout, stderr)
	}
	// With IPVS there, modprobe is not tried again.
	if st := env.Run([]string{"ipvsadm", "-Ln"}); st != 0 || *calls != 1 {
		t.Errorf("second run: status %d, modprobe ran %d times in all; want 0, once", st, *calls)
	}
}

// When modprobe fails, the open is not retried a second time: the
// two-line message follows, with status 2 and nothing on stdout.
func TestModprobeFails(t *testing.T) {
	env, _, calls, stdout, stderr := modprobeEnv(false)
	if st := env.Run([]string{"ipvsadm", "-Ln"}); st != 2 {
		t.Errorf("status %d, want 2", st)
	}
	if *calls != 1 {
		t.Errorf("modprobe ran %d times, want once", *calls)
	}
	if stderr.String() != noIPVS || stdout.Len() != 0 {
		t.Errorf("stdout %q, stderr %q; want only %q", stdout, stderr, noIPVS)
	}
}

// -h and -v need no kernel, so they load no module.
func TestModprobeNotForHelpOrVersion(t *testing.T) {
	for _, args := range [][]string{{"ipvsadm", "-h"}, {"ipvsadm", "--version"}, {"ipvsadm", "-v"}} {
		env, _, calls, stdout, _ := modprobeEnv(false)
		if st := env.Run(args); st != 0 || *calls != 0 {
			t.Errorf("%v: status %d, modprobe ran %d times; want 0, never", args, st, *calls)
		}
		if !strings.Contains(stdout.String(), "ipvsadm") {
			t.Errorf("%v: stdout %q", args, stdout)
		}
	}
}

// A -R stream initialises once, so modprobe runs at most once however
// many lines follow.
func TestModprobeOnceForRestore(t *testing.T) {
	env, ft, calls, _, stderr := modprobeEnv(true)
	env.Stdin = strings.NewReader("-A -t 10.0.0.1:80\n-A -t 10.0.0.2:80\n")
	if st := env.Run([]string{"ipvsadm", "-R"}); st != 0 || *calls != 1 {
		t.Fatalf("status %d, modprobe ran %d times, stderr %q; want 0, once", st, *calls, stderr)
	}
	if svcs, _ := ft.Services(); len(svcs) != 2 {
		t.Errorf("%d services restored, want 2", len(svcs))
	}
}
