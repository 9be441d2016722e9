package ipvsadm

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"syscall"

	"golang.org/x/sys/unix"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/netlink"
)

// Env is everything ipvsadm takes from its surroundings. Main fills it
// from the process; tests build their own with a fake table, a fixed
// resolver and a connection file of their choosing.
type Env struct {
	Stdin  io.Reader
	Stdout io.Writer
	Stderr io.Writer

	// Open opens the IPVS table. It fails with ipvs.ErrNotAvailable when
	// the kernel has no IPVS.
	Open func() (ipvs.Table, error)
	// Modprobe loads the ip_vs module and reports whether that worked;
	// its own messages go to Stderr. Nil means no module loader.
	Modprobe func(stderr io.Writer) bool
	// Resolver turns names into addresses and ports and back.
	Resolver Resolver
	// ConnPath is the kernel's connection table (-c).
	ConnPath string
	// Privileged reports whether the process may open a raw socket; on a
	// kernel without IPVS, ipvsadm's last attempt (the legacy socket
	// interface) then fails with ENOPROTOOPT rather than EPERM.
	Privileged bool
}

// Main runs ipvsadm with the process's surroundings and returns the exit
// status.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// Like ipvsadm's stdio, buffer standard output unless it is a
	// terminal: a listing of thousands of lines is then a few writes,
	// and in a capture of both streams an error comes before the output
	// buffered so far, as with ipvsadm.
	if !isTerminal(stdout) {
		bw := bufio.NewWriterSize(stdout, 4096)
		defer bw.Flush()
		stdout = bw
	}
	env := &Env{
		Stdin:      stdin,
		Stdout:     stdout,
		Stderr:     stderr,
		Open:       netlink.Open,
		Modprobe:   modprobe,
		Resolver:   &SystemResolver{},
		ConnPath:   "/proc/net/ip_vs_conn",
		Privileged: os.Geteuid() == 0,
	}
	return env.Run(args)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}

// modprobe runs "/sbin/modprobe -- ip_vs" as ipvsadm does, with its
// output passing through.
func modprobe(stderr io.Writer) bool {
	cmd := exec.Command("/sbin/modprobe", "--", "ip_vs")
	cmd.Stdout = os.Stdout
	cmd.Stderr = stderr
	return cmd.Run() == nil
}

// minVersion is the oldest kernel IPVS ipvsadm 1.31 works with, 1.1.4.
const minVersion = 0x010104

// Run runs one ipvsadm invocation and returns its exit status.
func (e *Env) Run(args []string) int {
	if len(args) == 0 {
		args = []string{"ipvsadm"}
	}
	// ipvsadm 1.31 initialises IPVS before it parses anything, so even
	// -h and -v fail on a kernel without IPVS. lvskit answers them
	// without the kernel (a documented difference). This first look
	// needs no names, so it resolves none.
	if len(args) > 1 {
		if cmd, err := Parse(args, nil); err == nil && (cmd.Cmd == CmdHelp || cmd.Cmd == CmdVersion) {
			return e.run(nil, nil, cmd, args[0])
		}
	}

	tb, info, status := e.init()
	if tb == nil {
		return status
	}
	defer tb.Close()

	if len(args) == 1 {
		// No arguments at all: list everything, with names.
		return e.run(tb, &info, &Command{Cmd: CmdList}, args[0])
	}
	r := &runner{env: e, tb: tb, info: info, prog: args[0]}
	return r.line(args)
}

// init opens the table and reads its Info, trying modprobe once as
// ipvsadm does. On failure it prints ipvsadm's two-line message and
// returns status 2.
func (e *Env) init() (ipvs.Table, ipvs.Info, int) {
	tb, info, err := e.open()
	if err != nil && e.Modprobe != nil && e.Modprobe(e.Stderr) {
		tb, info, err = e.open()
	}
	if err != nil {
		errno := syscall.ENOPROTOOPT
		var e2 syscall.Errno
		switch {
		case errors.As(err, &e2):
			errno = e2
		case errors.Is(err, ipvs.ErrNotAvailable) && !e.Privileged:
			// The legacy interface's raw socket needs privilege.
			errno = syscall.EPERM
		}
		fmt.Fprintf(e.Stderr, "Can't initialize ipvs: %s\nAre you sure that IP Virtual Server is built in the kernel or as module?\n", strerror(ctxNone, errno))
		return nil, ipvs.Info{}, 2
	}
	if info.Version < minVersion {
		fmt.Fprintf(e.Stderr, "Warning: IPVS version mismatch: \n  Kernel compiled with IPVS version %s\n  ipvsadm v1.31  requires minimum IPVS version 1.1.4\n\n", info.VersionString())
	}
	return tb, info, 0
}

func (e *Env) open() (ipvs.Table, ipvs.Info, error) {
	tb, err := e.Open()
	if err != nil {
		return nil, ipvs.Info{}, err
	}
	info, err := tb.Info()
	if err != nil {
		tb.Close()
		return nil, ipvs.Info{}, err
	}
	return tb, info, nil
}

// run executes one parsed command outside a restore.
func (e *Env) run(tb ipvs.Table, info *ipvs.Info, cmd *Command, prog string) int {
	r := &runner{env: e, tb: tb, prog: prog}
	if info != nil {
		r.info = *info
	}
	return r.exec(cmd)
}
