// Package pulse is the heartbeat and failover daemon of a director pair,
// a successor of Piranha's pulse: it reads lvs.cf, exchanges heartbeats
// with the partner director, and on the director that should serve it
// raises the virtual IPs, announces them with gratuitous ARP and starts
// lvsd; on the other it keeps them down.
//
// Where Piranha's was fragile it is not: heartbeats are versioned,
// authenticated (HMAC-SHA256) and protected against replay; the cold
// start lets only one director serve; failback is a policy, never or
// preempt after a delay, with a handover in which the VIPs are never on
// both; the active director re-announces its VIPs periodically and
// after any contest; arbitration through a gateway ping can keep a
// director that is cut off from taking over. Piranha's 4-byte heartbeat
// is kept as a mode, to run beside a Piranha pulse during a migration.
//
// The decisions are made by Machine, which is pure; the daemon feeds it
// heartbeats, timers and lvsd's death, and carries out what it returns.
package pulse

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"net/netip"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"lvskit/internal/daemon"
	"lvskit/internal/daemonlog"
	"lvskit/internal/lvsconf"
)

// Exit statuses (pulse(8)).
const (
	exitOK             = 0   // stopped by a signal
	exitUsage          = 1   // bad command line or lvs.cf, as Piranha
	exitSystem         = 2   // heartbeat socket, pid file or state unusable
	exitRunning        = 3   // another pulse holds the pid file
	exitBackupInactive = 255 // Piranha's: a backup with backup_active = 0
)

// Defaults of Piranha's paths, and lvskit's state directory.
const (
	DefaultConfig   = "/etc/sysconfig/ha/lvs.cf"
	DefaultPidFile  = "/var/run/pulse.pid"
	DefaultLvsd     = "/usr/sbin/lvsd"
	DefaultStateDir = "/var/lib/lvskit"
)

// Env is what pulse needs from the system; tests replace parts of it.
type Env struct {
	Stdout, Stderr io.Writer
	Parse          lvsconf.Options
	Syslog         func() (*syslog.Writer, error)
	Terminal       func(io.Writer) bool
	// Local lists this host's addresses (which director am I).
	Local func() ([]netip.Addr, error)
	// Listen opens the heartbeat transport.
	Listen func(*Settings) (Transport, error)
	// Effects returns what activation does: real unless test.
	Effects   func(set *Settings, log *daemonlog.Logger, lvsdArgv []string, test bool) Effects
	Secret    func(path string) ([]byte, error)
	Detach    func(keepStderr bool) error
	Daemonize func(args []string) int
	Ready     func(err error)
	Now       func() time.Time
}

// Main runs pulse with the process's surroundings.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return NewEnv(stdout, stderr).Run(args)
}

// NewEnv returns the production surroundings, writing to stdout and
// stderr; tests replace what they must (Local, Listen, Effects...).
func NewEnv(stdout, stderr io.Writer) *Env {
	return &Env{
		Stdout: stdout,
		Stderr: stderr,
		Parse:  lvsconf.SystemLookups(),
		Syslog: func() (*syslog.Writer, error) {
			return syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "pulse")
		},
		Terminal: daemonlog.IsTerminal,
		Local:    localAddrs,
		Listen:   ListenUDP,
		Effects: func(set *Settings, log *daemonlog.Logger, argv []string, test bool) Effects {
			if test {
				return &dryEffects{set: set, log: log, argv: argv}
			}
			return newSysEffects(set, log, argv)
		},
		Secret:    ReadSecret,
		Detach:    daemon.Detach,
		Daemonize: func(args []string) int { return daemon.Daemonize("pulse", args, exitSystem) },
		Ready:     daemon.ReadyNotifier(),
		Now:       time.Now,
	}
}

func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "configfile", Aliases: []string{"c"}, Value: DefaultConfig, Usage: "read `FILE` as lvs.cf"},
		&cli.BoolFlag{Name: "nodaemon", DisableDefaultText: true, Aliases: []string{"n"}, Usage: "stay in the foreground and log to stdout"},
		&cli.BoolFlag{Name: "test-start", DisableDefaultText: true, Aliases: []string{"t", "norun"}, Usage: "change nothing and send no heartbeat; log what would be done"},
		&cli.BoolFlag{Name: "verbose", DisableDefaultText: true, Aliases: []string{"v"}, Usage: "log debugging detail, and run lvsd with -v"},
		&cli.BoolFlag{Name: "forceactive", DisableDefaultText: true, Usage: "start active (the better director still wins a contest)"},
		&cli.StringFlag{Name: "lvsd", Aliases: []string{"lvs"}, Value: DefaultLvsd, Usage: "run `PATH` as lvsd"},
		&cli.StringFlag{Name: "fos", Usage: "accepted for Piranha's command line; failover services are not supported", Hidden: true},
		&cli.BoolFlag{Name: "nofork", DisableDefaultText: true, Usage: "run as a daemon without forking (how systemd starts pulse)"},
		&cli.StringFlag{Name: "pidfile", Value: DefaultPidFile, Usage: "write the process id to `FILE`"},
		&cli.StringFlag{Name: "state-dir", Value: DefaultStateDir, Usage: "keep the heartbeat epoch in `DIR`"},
	}
}

// command is pulse's command line.
func (e *Env) command() daemon.Command {
	return daemon.Command{
		Name:      "pulse",
		Usage:     "heartbeat between two directors; the one that should serve holds the VIPs and runs lvsd",
		UsageText: "pulse [-c FILE] [-n | --nofork] [-v] [-t] [--forceactive] [--lvsd PATH]",
		Flags:     flags(),
		BadUsage:  exitUsage,
		Stdout:    e.Stdout,
		Stderr:    e.Stderr,
	}
}

// Run runs one pulse and returns its exit status.
func (e *Env) Run(args []string) int {
	return e.command().Run(args, func(c *cli.Context, when string) int { return e.action(c, args, when) })
}

func (e *Env) action(c *cli.Context, args []string, when string) int {
	term := func(w io.Writer) bool { return e.Terminal != nil && e.Terminal(w) }
	errPaint := daemonlog.Painter{On: daemonlog.ColorOn(when, os.Getenv("NO_COLOR"), term(e.Stderr))}
	file := c.String("configfile")
	verbose, nodaemon, test := c.Bool("verbose"), c.Bool("nodaemon"), c.Bool("test-start")

	set, status := e.load(file, errPaint)
	if set == nil {
		return status
	}
	if !nodaemon && !c.Bool("nofork") && e.Daemonize != nil {
		return e.Daemonize(args)
	}

	// -n: messages to stdout as "pulse: <msg>", as Piranha's.
	log := &daemonlog.Logger{W: e.Stdout, Prefix: "pulse", Paint: daemonlog.Painter{On: daemonlog.ColorOn(when, os.Getenv("NO_COLOR"), term(e.Stdout))}, Verbose: verbose}
	if !nodaemon && e.Syslog != nil {
		if w, err := e.Syslog(); err == nil {
			log = &daemonlog.Logger{Sys: w, Prefix: "pulse", Verbose: verbose}
		} else {
			log = &daemonlog.Logger{W: e.Stderr, Prefix: "pulse", Paint: errPaint, Verbose: verbose}
		}
	}
	ready := func(err error) {
		if e.Ready != nil {
			e.Ready(err)
		}
	}
	fail := func(status int, format string, args ...any) int {
		// A failure to start is told where pulse was started, on
		// stderr (with -n too, whose log is stdout), and logged.
		err := fmt.Errorf(format, args...)
		if log.Sys != nil || log.W == e.Stderr {
			log.Errf("%v", err)
		}
		if log.W != e.Stderr {
			fmt.Fprintf(e.Stderr, "pulse: %v\n", err)
		}
		ready(err)
		return status
	}

	// A test start takes no pid file: it must not keep the real pulse
	// from starting, nor be kept from running beside it.
	if !test {
		pid, err := daemon.LockPidFile("pulse", c.String("pidfile"))
		if err != nil {
			var running daemon.ErrRunning
			if errors.As(err, &running) {
				return fail(exitRunning, "%v", err)
			}
			return fail(exitSystem, "%v", err)
		}
		defer pid.Release()
	}

	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT, syscall.SIGUSR1)
	defer signal.Stop(sigs)

	conn, err := e.Listen(set)
	switch {
	case err != nil && test:
		log.Warnf("test start: not listening: %v", err)
		conn = nullTransport{}
	case err != nil:
		return fail(exitSystem, "cannot create heartbeat socket: %v (running as root?)", err)
	}
	defer conn.Close()
	var epoch uint64
	if test {
		epoch = NextEpoch(e.Now(), 0) // sends nothing: nothing to store
	} else if epoch, err = nextEpoch(filepath.Join(c.String("state-dir"), "pulse.epoch"), e.Now()); err != nil {
		log.Warnf("heartbeat epoch not stored (%v): after a restart with the clock set back, the partner would take this director's heartbeats for old ones", err)
	}
	if !nodaemon && e.Detach != nil {
		if err := e.Detach(log.Sys == nil); err != nil {
			return fail(exitSystem, "cannot become a daemon: %v", err)
		}
	}

	lvsdArgv := []string{c.String("lvsd"), "--nofork", "-c", file}
	if nodaemon {
		lvsdArgv[1] = "--nodaemon"
	}
	if verbose {
		lvsdArgv = append(lvsdArgv, "-v")
	}
	fx := e.Effects(set, log, lvsdArgv, test)
	d := newDirector(set, conn, fx, log, epoch, e.Now)
	d.silent = test

	role := "BACKUP"
	if set.Master {
		role = "MASTER"
	}
	log.Infof("STARTING PULSE AS %s", role)
	if set.Key == nil && !set.Piranha && !set.Policy.Solo {
		log.Warnf("heartbeats are not authenticated: set heartbeat_secret_file in %s", file)
	}
	if test {
		log.Infof("test start: no heartbeat is sent and nothing is changed")
	}
	ready(nil)

	reload := func() *Settings {
		// Detached, stderr is /dev/null: the reasons go to the log.
		s, _ := e.loadTo(file, func(msg string, bad bool) {
			if bad {
				log.Errf("%s", msg)
			} else {
				log.Warnf("%s", msg)
			}
		})
		if s == nil {
			log.Errf("keeping the running configuration: %s does not load", file)
			return nil
		}
		d.fx.Reconfigure(s)
		return s
	}
	d.run(context.Background(), c.Bool("forceactive"), sigs, reload)
	return exitOK
}

// load reads lvs.cf and derives this director's settings, reporting
// problems on stderr; nil and the exit status when it fails.
func (e *Env) load(file string, p daemonlog.Painter) (*Settings, int) {
	return e.loadTo(file, func(msg string, bad bool) {
		if bad {
			fmt.Fprintf(e.Stderr, "pulse: %s\n", p.Err(msg))
		} else {
			fmt.Fprintf(e.Stderr, "pulse: %s\n", p.Warn(msg))
		}
	})
}

// loadTo is load with its messages (bad: an error, else a warning) told
// to report.
func (e *Env) loadTo(file string, report func(msg string, bad bool)) (*Settings, int) {
	data, err := os.ReadFile(file)
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		report(fmt.Sprintf("failed to open %s: %v", file, err), true)
		return nil, exitUsage
	}
	cfg, warnings, err := lvsconf.Parse(file, data, e.Parse)
	if err != nil {
		report(err.Error(), true)
		return nil, exitUsage
	}
	for _, w := range warnings {
		report("warning: "+w.String(), false)
	}
	local, err := e.Local()
	if err != nil {
		report("cannot list this host's addresses: "+err.Error(), true)
		return nil, exitSystem
	}
	set, err := settings(cfg, file, local, e.Secret)
	if errors.Is(err, errBackupInactive) {
		report(err.Error(), true)
		return nil, exitBackupInactive
	}
	if err != nil {
		report(err.Error(), true)
		return nil, exitUsage
	}
	if set.Piranha && cfg.HeartbeatSecretFile != "" {
		report(fmt.Sprintf("warning: %s: heartbeat_secret_file is not used with heartbeat_mode = piranha: Piranha's heartbeat has no authentication", file), false)
	}
	return set, exitOK
}
