// Package daemon is what lvskit's daemons (lvsd, pulse) share to run
// as daemons the way init scripts and systemd expect: started in the
// background with the failure to start reported where they were
// started, detached, readiness told to systemd, one instance per pid
// file.
package daemon

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"runtime/debug"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// readyFD names the pipe through which a daemonized process tells the
// process that started it that it runs, or why it could not start.
const readyFD = "LVSKIT_READY_FD"

// Daemonize starts the program again as a daemon (in a new session,
// with --nofork added to args) and waits until it is ready or has
// failed: a daemon that cannot start says so where it was started,
// with its exit status, or failStatus when it has none.
func Daemonize(name string, args []string, failStatus int) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot daemonize: %v\n", name, err)
		return failStatus
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot daemonize: %v\n", name, err)
		return failStatus
	}
	cmd := exec.Command(self, append(append([]string{}, args[1:]...), "--nofork")...)
	cmd.Args[0] = args[0]
	cmd.Env = append(os.Environ(), readyFD+"=3")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: cannot daemonize: %v\n", name, err)
		return failStatus
	}
	w.Close()
	line, _ := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if line == "ok\n" {
		cmd.Process.Release()
		return 0
	}
	if msg := strings.TrimSpace(line); msg != "" {
		fmt.Fprintf(os.Stderr, "%s: %s\n", name, msg)
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
	}
	return failStatus
}

// ReadyNotifier returns the function that tells the parent of
// Daemonize, and systemd (Type=notify), that the daemon runs, or the
// parent why it stopped. It takes the pipe and the socket out of the
// environment at once, so that no child inherits them.
func ReadyNotifier() func(error) {
	var pipe *os.File
	if fd, err := strconv.Atoi(os.Getenv(readyFD)); err == nil && fd > 2 {
		unix.CloseOnExec(fd)
		pipe = os.NewFile(uintptr(fd), "ready")
	}
	os.Unsetenv(readyFD)
	sock := os.Getenv("NOTIFY_SOCKET")
	os.Unsetenv("NOTIFY_SOCKET")
	return func(err error) {
		if pipe != nil {
			if err != nil {
				fmt.Fprintf(pipe, "%v\n", err)
			} else {
				fmt.Fprint(pipe, "ok\n")
			}
			pipe.Close()
			pipe = nil
		}
		if sock != "" && err == nil {
			addr := sock
			if strings.HasPrefix(addr, "@") {
				addr = "\x00" + addr[1:]
			}
			if c, e := net.DialUnix("unixgram", nil, &net.UnixAddr{Name: addr, Net: "unixgram"}); e == nil {
				fmt.Fprintf(c, "READY=1\nMAINPID=%d\n", os.Getpid())
				c.Close()
			}
		}
		// Told once: a daemon that failed to start never says ready.
		sock = ""
	}
}

// Detach makes the process a daemon without forking: its own session,
// standard streams on /dev/null (standard error kept if asked).
func Detach(keepStderr bool) error {
	if _, err := unix.Setsid(); err != nil && !errors.Is(err, unix.EPERM) {
		return fmt.Errorf("setsid: %w", err)
	}
	null, err := os.OpenFile(os.DevNull, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	defer null.Close()
	fds := []int{0, 1, 2}
	if keepStderr {
		fds = fds[:2]
	}
	for _, fd := range fds {
		if err := unix.Dup2(int(null.Fd()), fd); err != nil {
			return fmt.Errorf("dup2: %w", err)
		}
	}
	return nil
}

// PidFile is a locked pid file: the lock, not the number in it, says
// that the daemon runs, so a stale file from a crash is no obstacle.
type PidFile struct {
	f    *os.File
	path string
}

// ErrRunning is LockPidFile's error when another process holds the
// file.
type ErrRunning struct {
	Name string // the program, as LockPidFile was told
	Path string
	Pid  string // as the file says
}

func (e ErrRunning) Error() string {
	return fmt.Sprintf("another %s is running (pid %s, pid file %s)", e.Name, e.Pid, e.Path)
}

// LockPidFile takes path for the program name, writing its pid in it.
func LockPidFile(name, path string) (*PidFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pid file: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		data, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, ErrRunning{Name: name, Path: path, Pid: strings.TrimSpace(string(data))}
		}
		return nil, fmt.Errorf("pid file %s: %w", path, err)
	}
	if err := f.Truncate(0); err != nil {
		f.Close()
		return nil, fmt.Errorf("pid file %s: %w", path, err)
	}
	if _, err := fmt.Fprintf(f, "%d\n", os.Getpid()); err != nil {
		f.Close()
		return nil, fmt.Errorf("pid file %s: %w", path, err)
	}
	return &PidFile{f: f, path: path}, nil
}

// Release removes the file while still holding the lock, so that a new
// daemon never locks a file about to disappear.
func (p *PidFile) Release() {
	os.Remove(p.path)
	p.f.Close()
}

// VersionText is what --version prints for the daemon name: its module
// version and when it was built (the commit time when the build
// recorded one, else the Go version that built it).
func VersionText(name string) string {
	v, built := "(devel)", "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		if bi.Main.Version != "" {
			v = bi.Main.Version
		}
		built = bi.GoVersion
		for _, s := range bi.Settings {
			if s.Key == "vcs.time" {
				built = s.Value
			}
		}
	}
	return fmt.Sprintf("Program Version:\t%s %s\nBuilt:\t\t\t%s\nA component of:\t\tlvskit\n", name, v, built)
}
