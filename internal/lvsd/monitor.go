package lvsd

import (
	"errors"
	"fmt"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"lvskit/internal/ipvs"
)

// monKey identifies a monitor: the real server of a virtual service, as
// the table knows them.
type monKey struct {
	svc  ipvs.ServiceKey
	dest ipvs.DestKey
}

// monitor is one running (or restarting) client_monitor process.
type monitor struct {
	key    monKey
	vs, rs string
	argv   []string
	cmd    *exec.Cmd
	done   chan struct{} // closed when the process has exited
	err    error         // its exit, once done
	killed bool          // lvsd stopped it: its exit is not a death
	start  time.Time
	// backoff is the delay before the next restart; retry is the
	// pending restart, if any.
	backoff time.Duration
	retry   *time.Timer
}

// Monitors are restarted after 1 s, then after twice as long each time
// they die again, up to a minute; one that ran a minute starts over.
const (
	minBackoff = time.Second
	maxBackoff = time.Minute
)

// spawner starts processes from one goroutine locked to its OS thread:
// the kernel sends a child's parent-death signal when the thread that
// forked it exits, and Go may otherwise retire threads.
type spawner struct{ req chan spawnReq }

type spawnReq struct {
	cmd   *exec.Cmd
	reply chan error
}

func newSpawner() *spawner {
	s := &spawner{req: make(chan spawnReq)}
	go func() {
		runtime.LockOSThread() // never unlocked: the thread lives as long as lvsd
		for r := range s.req {
			r.reply <- r.cmd.Start()
		}
	}()
	return s
}

func (s *spawner) start(cmd *exec.Cmd) error {
	reply := make(chan error)
	s.req <- spawnReq{cmd, reply}
	return <-reply
}

// startMonitor starts m's process with its output going to out (its
// stdout) and errOut (its stderr). exited receives m when it ends.
func (d *director) startMonitor(m *monitor) error {
	cmd := exec.Command(m.argv[0], m.argv[1:]...)
	cmd.Stdin = nil // /dev/null
	stdout := &lineWriter{line: func(l string) {
		// A nanny writes its log to stdout only with --nodaemon, and
		// to syslog as well; lvsd passes it on when it logs to stderr.
		if d.opt.NoDaemon {
			d.log.Infof("%s", l)
		}
	}}
	stderr := &lineWriter{line: func(l string) { d.log.Warnf("monitor %s/%s: %s", m.vs, m.rs, l) }}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	// Its own process group, so that stopping it stops what it runs;
	// and it dies with lvsd, leaving its real server as it is for the
	// next lvsd to adopt.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	// A check program that outlives its monitor may hold the pipes.
	cmd.WaitDelay = 2 * time.Second
	if err := d.spawn.start(cmd); err != nil {
		return err
	}
	m.cmd, m.done, m.err, m.killed, m.start = cmd, make(chan struct{}), nil, false, d.now()
	done := m.done
	go func() {
		err := cmd.Wait()
		stdout.Close()
		stderr.Close()
		m.err = err
		close(done)
		d.exited <- m
	}()
	return nil
}

// stopMonitors kills monitors with their process groups and waits for
// them. SIGKILL, not Piranha's SIGTERM: a nanny that is terminated takes
// its real server out of the table, and lvsd stops monitors either to
// replace them (the server stays in service) or just before it changes
// the table itself.
func (d *director) stopMonitors(ms []*monitor) {
	var wait []*monitor
	for _, m := range ms {
		if m.retry != nil {
			m.retry.Stop()
			m.retry = nil
		}
		if m.cmd == nil || m.killed {
			continue
		}
		m.killed = true
		select {
		case <-m.done:
			continue
		default:
		}
		if err := syscall.Kill(-m.cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
			d.log.Errf("cannot stop monitor for %s/%s (pid %d): %v", m.vs, m.rs, m.cmd.Process.Pid, err)
		}
		wait = append(wait, m)
	}
	deadline := time.After(10 * time.Second)
	for _, m := range wait {
		select {
		case <-m.done:
		case <-deadline:
			d.log.Errf("monitor for %s/%s (pid %d) did not exit", m.vs, m.rs, m.cmd.Process.Pid)
			return
		}
	}
}

// exitText describes how a process ended.
func exitText(err error) string {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return fmt.Sprintf("killed by signal %d", ws.Signal())
		}
		return fmt.Sprintf("exit status %d", ee.ExitCode())
	}
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}
