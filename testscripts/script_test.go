// Package testscripts runs the golden scripts in testdata/ with every
// lvskit tool registered as a command, all sharing one fake IPVS table.
//
// Each exec is a process of its own, so the fake table lives in a JSON
// file named by LVSKIT_FAKE_STATE, which only this test wiring reads:
// production binaries never look at it. Scripts can also ship a state
// file, or inspect and steer the fake with the ipvsfake command.
//
// Run with -update to rewrite the golden sections of the scripts.
package testscripts

import (
	"errors"
	"flag"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/diff"
	"github.com/rogpeppe/go-internal/testscript"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
	"lvskit/ipvsadm"
)

var update = flag.Bool("update", false, "rewrite the golden sections of the scripts")

// Test-only environment: the fake's state file, and the files that stand
// in for /etc/hosts, /etc/services and /proc/net/ip_vs_conn.
const (
	envState    = "LVSKIT_FAKE_STATE"
	envHosts    = "LVSKIT_TEST_HOSTS"
	envServices = "LVSKIT_TEST_SERVICES"
	envConn     = "LVSKIT_TEST_CONN"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"ipvsadm":  func() { os.Exit(runIpvsadm(os.Args)) },
		"ipvsfake": func() { os.Exit(runIpvsfake(os.Args[1:])) },
		"lvsd":     func() { os.Exit(runLvsd(os.Args)) },
		"nanny":    func() { os.Exit(runNanny(os.Args)) },
		"pulse":    func() { os.Exit(runPulse(os.Args)) },
		"realsrv":  func() { os.Exit(runRealsrv(os.Args[1:])) },
		"send_arp": func() { os.Exit(runSendArp(os.Args)) },
	})
}

func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		UpdateScripts:       *update,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"status":  cmdStatus,
			"signal":  cmdSignal,
			"waitfor": cmdWaitFor,
		},
		Setup:     setupEnv(t),
		Condition: condition,
	})
}

// condition adds [root] to testscript's conditions: raw sockets (nanny's
// ICMP check) need it, or a ping group.
func condition(cond string) (bool, error) {
	if cond == "root" {
		return os.Geteuid() == 0, nil
	}
	return false, fmt.Errorf("unknown condition %q", cond)
}

// TestUpstreamScripts runs the goldens generated from the ipvsadm
// differential test (testscripts/internal/diffgolden): their expected
// outputs are upstream ipvsadm's on a real kernel, so -update never
// rewrites them; "make goldens-upstream" regenerates them from a lab run.
func TestUpstreamScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "testdata/upstream",
		RequireExplicitExec: true,
		RequireUniqueNames:  true,
		Cmds: map[string]func(*testscript.TestScript, bool, []string){
			"status":    cmdStatus,
			"chomp":     cmdChomp,
			"cmpgroups": cmdCmpGroups,
		},
		Setup: setupEnv(t),
	})
}

// setupEnv points the test-only environment at the script's fake table
// and at the name files of testdata.
func setupEnv(t *testing.T) func(*testscript.Env) error {
	testdata, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	// The shell scripts shipped beside the binaries (ipvsadm-save, ...).
	scripts, err := filepath.Abs("../scripts")
	if err != nil {
		t.Fatal(err)
	}
	return func(env *testscript.Env) error {
		env.Setenv(envState, filepath.Join(env.WorkDir, ".ipvs.json"))
		env.Setenv(envHosts, filepath.Join(testdata, "hosts"))
		env.Setenv(envServices, filepath.Join(testdata, "services"))
		env.Setenv(envConn, filepath.Join(env.WorkDir, "ip_vs_conn"))
		env.Setenv("LVSKIT_SCRIPTS", scripts)
		// Under -race every command of a script is a race-enabled
		// binary, which sleeps a second at exit by default (GORACE
		// atexit_sleep_ms=1000) so that goroutines still running can
		// report; the commands end with their work done, and the
		// upstream goldens alone run over a thousand of them.
		env.Setenv("GORACE", strings.TrimSpace(os.Getenv("GORACE")+" atexit_sleep_ms=0"))
		return nil
	}
}

// cmdChomp removes the final newline of each file: txtar ends every file
// with one, and some recorded inputs and outputs have none.
//
//	chomp FILE...
func cmdChomp(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: chomp FILE...")
	}
	for _, name := range args {
		path := ts.MkAbs(name)
		data, err := os.ReadFile(path)
		ts.Check(err)
		s, ok := strings.CutSuffix(string(data), "\n")
		if !ok {
			ts.Fatalf("chomp: %s does not end in a newline", name)
		}
		ts.Check(os.WriteFile(path, []byte(s), 0o666))
	}
}

// cmdStatus runs a command and checks its exact exit status, which
// testscript's exec cannot (it only tells zero from non-zero); its output
// is then checked with stdout, stderr and cmp as after exec.
//
//	status N PROG [ARGS...]
func cmdStatus(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: status N PROG [ARGS...]")
	}
	want, err := strconv.Atoi(args[0])
	if err != nil {
		ts.Fatalf("status: %v", err)
	}
	got := 0
	if err := ts.Exec(args[1], args[2:]...); err != nil {
		var ee *exec.ExitError
		if !errors.As(err, &ee) {
			ts.Fatalf("status: %v", err)
		}
		got = ee.ExitCode()
	}
	if got != want {
		ts.Fatalf("exit status %d, want %d", got, want)
	}
}

// cmdCmpGroups compares an output with a file up to the order of their
// groups: a group is a line that does not start with a blank or "-a ",
// with the lines after it that do (a service and its real servers, in -L
// and in -S form). Both must have the same groups, each as often. The
// upstream goldens use it only where the kernel lists services in hash
// order, which is salted per network namespace (see
// testscripts/internal/diffgolden/special.go).
//
//	cmpgroups stdout|stderr FILE
func cmdCmpGroups(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) != 2 || args[0] != "stdout" && args[0] != "stderr" {
		ts.Fatalf("usage: cmpgroups stdout|stderr FILE")
	}
	got, want := ts.ReadFile(args[0]), ts.ReadFile(args[1])
	g, w := sortedGroups(got), sortedGroups(want)
	if !slices.Equal(g, w) {
		ts.Logf("%s", diff.Diff(args[0]+" (groups sorted)", []byte(strings.Join(g, "")), args[1]+" (groups sorted)", []byte(strings.Join(w, ""))))
		ts.Fatalf("%s and %s differ in more than the order of their groups", args[0], args[1])
	}
}

// sortedGroups cuts a listing into groups (see cmdCmpGroups) and sorts
// them.
func sortedGroups(s string) []string {
	var groups []string
	for _, l := range strings.SplitAfter(s, "\n") {
		if l == "" {
			continue
		}
		if len(groups) > 0 && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "-a ")) {
			groups[len(groups)-1] += l
			continue
		}
		groups = append(groups, l)
	}
	slices.Sort(groups)
	return groups
}

func TestSortedGroups(t *testing.T) {
	list := "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port\n" +
		"TCP  1.0.0.1:80 rr\n  -> 1.0.0.2:80\n  -> 1.0.0.3:80\nTCP  2.0.0.1:80 rr\nFWM  1 rr\n"
	same := "IP Virtual Server version 1.2.1 (size=4096)\nProt LocalAddress:Port Scheduler Flags\n  -> RemoteAddress:Port\n" +
		"FWM  1 rr\nTCP  2.0.0.1:80 rr\nTCP  1.0.0.1:80 rr\n  -> 1.0.0.2:80\n  -> 1.0.0.3:80\n"
	save := "-A -t 1.0.0.1:80 -s rr\n-a -t 1.0.0.1:80 -r 1.0.0.2:80\n-a -t 1.0.0.1:80 -r 1.0.0.3:80\n-A -f 1 -s rr\n"
	for _, tc := range []struct {
		a, b string
		same bool
	}{
		{list, same, true},
		{save, "-A -f 1 -s rr\n-A -t 1.0.0.1:80 -s rr\n-a -t 1.0.0.1:80 -r 1.0.0.2:80\n-a -t 1.0.0.1:80 -r 1.0.0.3:80\n", true},
		// Real servers keep their order, and their service.
		{list, strings.Replace(same, "  -> 1.0.0.2:80\n  -> 1.0.0.3:80\n", "  -> 1.0.0.3:80\n  -> 1.0.0.2:80\n", 1), false},
		{list, strings.Replace(list, "TCP  2.0.0.1:80 rr\nFWM  1 rr\n", "FWM  1 rr\nTCP  2.0.0.1:80 rr\n", 1), true},
		{list, strings.Replace(list, "  -> 1.0.0.3:80\nTCP  2.0.0.1:80 rr\n", "TCP  2.0.0.1:80 rr\n  -> 1.0.0.3:80\n", 1), false},
		{save, strings.Replace(save, "-a -t 1.0.0.1:80 -r 1.0.0.3:80\n-A -f 1 -s rr\n", "-A -f 1 -s rr\n-a -t 1.0.0.1:80 -r 1.0.0.3:80\n", 1), false},
		// Every byte counts, a group given twice too.
		{list, strings.Replace(list, "rr\nFWM", "rr \nFWM", 1), false},
		{list, list + "FWM  1 rr\n", false},
	} {
		if got := slices.Equal(sortedGroups(tc.a), sortedGroups(tc.b)); got != tc.same {
			t.Errorf("same groups: %v, want %v:\n%s---\n%s", got, tc.same, tc.a, tc.b)
		}
	}
}

// runIpvsadm runs ipvsadm against the fake table of the script, saving
// the table afterwards whatever happened.
func runIpvsadm(args []string) int {
	path := os.Getenv(envState)
	status := 125
	err := withFake(path, func(ft *fake.Table) error {
		status = ipvsadmEnv(ft).Run(args)
		return nil
	})
	if err != nil {
		fmt.Fprintln(os.Stderr, "test wiring:", err)
		return 125
	}
	return status
}

func ipvsadmEnv(ft *fake.Table) *ipvsadm.Env {
	return &ipvsadm.Env{
		Stdin:      os.Stdin,
		Stdout:     os.Stdout,
		Stderr:     os.Stderr,
		Open:       ft.Open,
		Resolver:   &ipvsadm.SystemResolver{HostsPath: os.Getenv(envHosts), ServicesPath: os.Getenv(envServices)},
		ConnPath:   os.Getenv(envConn),
		Privileged: true,
	}
}

// ipvsfake steers the fake table of a script. Usage:
//
//	ipvsfake unavailable                 the kernel has no IPVS
//	ipvsfake fail OP ERRNO [once]        make one kernel command fail
//	ipvsfake fail-all ERRNO              make every kernel command fail
//	ipvsfake clear-faults
//	ipvsfake ops                         print the operation log
//	ipvsfake reset-ops
//	ipvsfake info VERSION SIZE           e.g. 1.2.1 4096
//	ipvsfake iface NAME MTU              add a network interface
//	ipvsfake stats SVC [DEST] N×10       counters: conns inpkts outpkts inbytes outbytes cps inpps outpps inbps outbps
//	ipvsfake conns SVC DEST ACTIVE INACTIVE PERSISTENT
//
// SVC is PROTO:ADDR:PORT (tcp:10.0.0.1:80, udp:[2001:db8::1]:53) or
// fwm:MARK or fwm6:MARK; DEST is ADDR:PORT.
func runIpvsfake(args []string) int {
	if err := ipvsfake(args); err != nil {
		fmt.Fprintln(os.Stderr, "ipvsfake:", err)
		return 2
	}
	return 0
}

func ipvsfake(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("no command")
	}
	return withFake(os.Getenv(envState), func(ft *fake.Table) error { return steerFake(ft, args) })
}

func steerFake(ft *fake.Table, args []string) error {
	cmd, args := args[0], args[1:]
	switch {
	case cmd == "unavailable" && len(args) == 0:
		ft.SetUnavailable(true)
	case cmd == "fail" && (len(args) == 2 || len(args) == 3 && args[2] == "once"):
		op, err := fake.ParseOp(args[0])
		if err != nil {
			return err
		}
		errno, err := fake.ParseErrno(args[1])
		if err != nil {
			return err
		}
		ft.FailOp(op, errno, len(args) == 3)
	case cmd == "fail-all" && len(args) == 1:
		errno, err := fake.ParseErrno(args[0])
		if err != nil {
			return err
		}
		ft.FailAll(errno)
	case cmd == "clear-faults" && len(args) == 0:
		ft.ClearFaults()
	case cmd == "ops" && len(args) == 0:
		for _, l := range ft.OpLog() {
			fmt.Println(l)
		}
		return nil
	case cmd == "reset-ops" && len(args) == 0:
		ft.ResetOpLog()
	case cmd == "info" && len(args) == 2:
		v, err := parseVersion(args[0])
		if err != nil {
			return err
		}
		size, err := strconv.ParseUint(args[1], 10, 32)
		if err != nil {
			return err
		}
		ft.SetInfo(ipvs.Info{Version: v, ConnTabSize: uint32(size)})
	case cmd == "iface" && len(args) == 2:
		mtu, err := strconv.Atoi(args[1])
		if err != nil {
			return err
		}
		ft.SetInterface(args[0], mtu)
	case cmd == "stats" && (len(args) == 11 || len(args) == 12):
		k, err := parseSvc(args[0])
		if err != nil {
			return err
		}
		rest := args[1:]
		var dest *ipvs.DestKey
		if len(args) == 12 {
			d, err := netip.ParseAddrPort(args[1])
			if err != nil {
				return err
			}
			dest = &ipvs.DestKey{Addr: d.Addr(), Port: d.Port()}
			rest = args[2:]
		}
		var n [10]uint64
		for i, s := range rest {
			if n[i], err = strconv.ParseUint(s, 10, 64); err != nil {
				return err
			}
		}
		st := ipvs.Stats{Conns: n[0], InPkts: n[1], OutPkts: n[2], InBytes: n[3], OutBytes: n[4], CPS: n[5], InPPS: n[6], OutPPS: n[7], InBPS: n[8], OutBPS: n[9]}
		if dest == nil {
			err = ft.SetServiceStats(k, st)
		} else {
			err = ft.SetDestStats(k, *dest, st)
		}
		if err != nil {
			return err
		}
	case cmd == "conns" && len(args) == 5:
		k, err := parseSvc(args[0])
		if err != nil {
			return err
		}
		d, err := netip.ParseAddrPort(args[1])
		if err != nil {
			return err
		}
		var n [3]uint32
		for i, s := range args[2:] {
			v, err := strconv.ParseUint(s, 10, 32)
			if err != nil {
				return err
			}
			n[i] = uint32(v)
		}
		if err := ft.SetDestConns(k, ipvs.DestKey{Addr: d.Addr(), Port: d.Port()}, n[0], n[1], n[2]); err != nil {
			return err
		}
	default:
		return fmt.Errorf("usage: see testscripts/script_test.go (got %q)", strings.Join(append([]string{cmd}, args...), " "))
	}
	return nil
}

// parseSvc reads PROTO:ADDR:PORT, fwm:MARK or fwm6:MARK.
func parseSvc(s string) (ipvs.ServiceKey, error) {
	proto, rest, ok := strings.Cut(s, ":")
	if !ok {
		return ipvs.ServiceKey{}, fmt.Errorf("service %q: want PROTO:ADDR:PORT or fwm:MARK", s)
	}
	switch proto {
	case "fwm", "fwm6":
		mark, err := strconv.ParseUint(rest, 10, 32)
		if err != nil {
			return ipvs.ServiceKey{}, err
		}
		f := ipvs.INET
		if proto == "fwm6" {
			f = ipvs.INET6
		}
		return ipvs.FwmarkKey(f, uint32(mark)), nil
	}
	protos := map[string]ipvs.Protocol{"tcp": ipvs.TCP, "udp": ipvs.UDP, "sctp": ipvs.SCTP}
	p, ok := protos[proto]
	if !ok {
		return ipvs.ServiceKey{}, fmt.Errorf("service %q: unknown protocol", s)
	}
	ap, err := netip.ParseAddrPort(rest)
	if err != nil {
		return ipvs.ServiceKey{}, err
	}
	return ipvs.AddrKey(p, ap.Addr(), ap.Port()), nil
}

// parseVersion reads "major.minor.patch" into the kernel's encoding.
func parseVersion(s string) (uint32, error) {
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return 0, fmt.Errorf("version %q: want major.minor.patch", s)
	}
	var v uint32
	for _, p := range parts {
		n, err := strconv.ParseUint(p, 10, 8)
		if err != nil {
			return 0, fmt.Errorf("version %q: %w", s, err)
		}
		v = v<<8 | uint32(n)
	}
	return v, nil
}
