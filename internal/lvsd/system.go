package lvsd

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"

	"lvskit/internal/ipvs"
	"lvskit/internal/lvsconf"
)

// systemLookups resolve names in lvs.cf as Piranha did: hostnames to an
// IPv4 address, service names through /etc/services.
func systemLookups() lvsconf.Options {
	return lvsconf.Options{
		LookupHost: func(name string) (netip.Addr, error) {
			addrs, err := net.DefaultResolver.LookupNetIP(context.Background(), "ip4", name)
			if err != nil {
				return netip.Addr{}, err
			}
			return addrs[0], nil
		},
		LookupPort: func(name string) (int, error) { return net.LookupPort("tcp", name) },
	}
}

// modprobe loads ip_vs, as ipvsadm does when the kernel lacks it.
func modprobe() error {
	return exec.Command("/sbin/modprobe", "-q", "--", "ip_vs").Run()
}

// readyFD names the pipe through which a daemonized lvsd tells the
// process that started it that it runs, or why it could not start.
const readyFD = "LVSKIT_LVSD_READY_FD"

// daemonize starts lvsd again as a daemon (in a new session, with
// --nofork) and waits until it is ready or has failed: a director that
// cannot start says so where it was started, with a non-zero status.
func daemonize(args []string) int {
	self, err := os.Executable()
	if err != nil {
		fmt.Fprintf(os.Stderr, "lvsd: cannot daemonize: %v\n", err)
		return exitSystem
	}
	r, w, err := os.Pipe()
	if err != nil {
		fmt.Fprintf(os.Stderr, "lvsd: cannot daemonize: %v\n", err)
		return exitSystem
	}
	cmd := exec.Command(self, append(append([]string{}, args[1:]...), "--nofork")...)
	cmd.Args[0] = args[0]
	cmd.Env = append(os.Environ(), readyFD+"=3")
	cmd.ExtraFiles = []*os.File{w}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		fmt.Fprintf(os.Stderr, "lvsd: cannot daemonize: %v\n", err)
		return exitSystem
	}
	w.Close()
	line, _ := bufio.NewReader(r).ReadString('\n')
	r.Close()
	if line == "ok\n" {
		cmd.Process.Release()
		return exitOK
	}
	if msg := strings.TrimSpace(line); msg != "" {
		fmt.Fprintf(os.Stderr, "lvsd: %s\n", msg)
	}
	if err := cmd.Wait(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.ExitCode() > 0 {
			return ee.ExitCode()
		}
	}
	return exitSystem
}

// readyNotifier returns the function that tells the parent of
// daemonize, and systemd (Type=notify), that lvsd runs, or the parent
// why it stopped. It takes the pipe and the socket out of the
// environment at once, so that no monitor inherits them.
func readyNotifier() func(error) {
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

// detach makes the process a daemon without forking: its own session,
// standard streams on /dev/null (standard error kept if asked).
func detach(keepStderr bool) error {
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

// pidFile is a locked pid file: the lock, not the number in it, says
// that an lvsd runs, so a stale file from a crash is no obstacle.
type pidFile struct {
	f    *os.File
	path string
}

type errRunning struct {
	path string
	pid  string
}

func (e errRunning) Error() string {
	return fmt.Sprintf("another lvsd is running (pid %s, pid file %s)", e.pid, e.path)
}

func lockPidFile(path string) (*pidFile, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("pid file: %w", err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		data, _ := io.ReadAll(io.LimitReader(f, 32))
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, errRunning{path: path, pid: strings.TrimSpace(string(data))}
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
	return &pidFile{f: f, path: path}, nil
}

// release removes the file while still holding the lock, so that a new
// lvsd never locks a file about to disappear.
func (p *pidFile) release() {
	os.Remove(p.path)
	p.f.Close()
}

// managedFile is the state file: the virtual services lvsd manages, so
// that one removed from lvs.cf while lvsd was stopped with --keep is
// still removed at the next start, and no other service ever is.
type managedFile struct {
	Services []ipvs.ServiceKey
}

func readManaged(path string) ([]ipvs.ServiceKey, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("state file: %w", err)
	}
	var m managedFile
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("state file %s: %v (remove it to start afresh)", path, err)
	}
	for _, k := range m.Services {
		if err := k.Validate(); err != nil {
			return nil, fmt.Errorf("state file %s: %v (remove it to start afresh)", path, err)
		}
	}
	return m.Services, nil
}

// writeManaged replaces the state file in one rename.
func writeManaged(path string, keys []ipvs.ServiceKey) error {
	data, err := json.MarshalIndent(managedFile{Services: keys}, "", "\t")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".lvsd-state-*")
	if err != nil {
		return fmt.Errorf("state file: %w", err)
	}
	_, werr := tmp.Write(append(data, '\n'))
	cerr := tmp.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp.Name(), path)
	}
	if werr != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("state file: %w", werr)
	}
	return nil
}
