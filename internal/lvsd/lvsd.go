// Package lvsd is the director daemon: it reads lvs.cf, makes the
// kernel's IPVS table hold the virtual services it describes, and runs
// one monitor (nanny) per real server, as Piranha's lvsd did.
//
// Unlike Piranha's it never flushes the table. It adopts what it finds
// and reconciles: the services lvs.cf describes are compared with the
// kernel's and only what differs is changed, in place where the kernel
// can edit (scheduler, persistence, weight), so established connections
// survive a start, a reload (SIGHUP) or a restart. Services it does not
// manage are never touched. A monitor that dies is restarted with a
// growing delay; nothing a monitor does takes the director down.
//
// Who owns what, so that lvsd and the monitors never fight: lvsd owns
// the timeouts, the master sync daemon, the virtual services, which real
// servers a service may have and how they are forwarded, and the sorry
// server. Each monitor owns its real server's presence and weight as its
// checks dictate: it adds the server after a successful check, as
// Piranha's nanny does, and takes it out (or quiesces it) on failure.
package lvsd

import (
	"errors"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"lvskit/internal/daemon"
	"lvskit/internal/daemonlog"
	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/netlink"
	"lvskit/internal/lvsconf"
)

// Exit statuses (lvsd(8)).
const (
	exitOK      = 0 // stopped by a signal, or --check found no error
	exitUsage   = 1 // bad command line or lvs.cf, as Piranha
	exitSystem  = 2 // IPVS, the pid file or the state file unusable
	exitRunning = 3 // another lvsd holds the pid file
)

// Defaults of Piranha's paths.
const (
	DefaultConfig    = "/etc/sysconfig/ha/lvs.cf"
	DefaultPidFile   = "/var/run/lvs.pid"
	DefaultStateFile = "/var/run/lvsd.managed"
)

// Env is what lvsd needs from the system; tests replace parts of it.
type Env struct {
	Stdout, Stderr io.Writer
	// Open opens the IPVS table.
	Open func() (ipvs.Table, error)
	// Parse resolves hostnames and service names in lvs.cf.
	Parse lvsconf.Options
	// Syslog connects to the system log; nil, or an error, logs to
	// Stderr instead.
	Syslog func() (*syslog.Writer, error)
	// Terminal reports whether a stream is a terminal (for colour).
	Terminal func(io.Writer) bool
	// Tick is the period of lvsd's housekeeping (sorry servers,
	// retries); zero is 5 s, Piranha's.
	Tick time.Duration
	// Detach turns the process into a daemon for --nofork: a new
	// session, standard input and output on /dev/null, and standard
	// error too unless keepStderr (no syslog to log to); nil does
	// nothing.
	Detach func(keepStderr bool) error
	// Daemonize starts lvsd again in the background and returns its
	// exit status once it is ready or has failed; nil runs in the
	// foreground as with --nofork.
	Daemonize func(args []string) int
	// Ready tells whoever started lvsd that it runs (the parent of
	// Daemonize, systemd); nil tells nobody.
	Ready func(err error)
}

func (e *Env) tick() time.Duration {
	if e.Tick > 0 {
		return e.Tick
	}
	return 5 * time.Second
}

// Main runs lvsd with the process's surroundings.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	env := &Env{
		Stdout: stdout,
		Stderr: stderr,
		Open:   openTable,
		Parse:  lvsconf.SystemLookups(),
		Syslog: func() (*syslog.Writer, error) {
			return syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "lvsd")
		},
		Terminal:  daemonlog.IsTerminal,
		Detach:    daemon.Detach,
		Daemonize: func(args []string) int { return daemon.Daemonize("lvsd", args, exitSystem) },
		Ready:     daemon.ReadyNotifier(),
	}
	return env.Run(args)
}

// openTable opens the kernel's table, loading ip_vs first if need be.
func openTable() (ipvs.Table, error) {
	t, err := netlink.Open()
	if errors.Is(err, ipvs.ErrNotAvailable) && modprobe() == nil {
		t, err = netlink.Open()
	}
	return t, err
}

// flags are lvsd's options: Piranha's, then lvskit's.
func flags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "configfile", Aliases: []string{"c"}, Value: DefaultConfig, Usage: "read `FILE` as lvs.cf"},
		&cli.BoolFlag{Name: "verbose", DisableDefaultText: true, Aliases: []string{"v"}, Usage: "log debugging detail, and run every nanny with -v"},
		&cli.BoolFlag{Name: "nodaemon", DisableDefaultText: true, Aliases: []string{"n"}, Usage: "stay in the foreground and log to stderr"},
		&cli.BoolFlag{Name: "test-start", DisableDefaultText: true, Aliases: []string{"t"}, Usage: "change nothing and start no monitor; log what would be done"},
		&cli.BoolFlag{Name: "nofork", DisableDefaultText: true, Usage: "run as a daemon without forking (how pulse and systemd start lvsd)"},
		&cli.StringFlag{Name: "check", Usage: "validate `FILE` and print the ipvsadm commands it implies; touch nothing"},
		&cli.BoolFlag{Name: "keep", DisableDefaultText: true, Usage: "at exit, leave the virtual services and real servers in the table"},
		&cli.StringFlag{Name: "pidfile", Value: DefaultPidFile, Usage: "write the process id to `FILE`"},
		&cli.StringFlag{Name: "statefile", Value: DefaultStateFile, Usage: "remember in `FILE` which virtual services lvsd manages"},
	}
}

// command is lvsd's command line.
func (e *Env) command() daemon.Command {
	return daemon.Command{
		Name:      "lvsd",
		Usage:     "keep the IPVS table as lvs.cf describes it and monitor the real servers",
		UsageText: "lvsd [-c FILE] [-n | --nofork] [-v] [-t] [--keep] | lvsd --check FILE",
		Flags:     flags(),
		BadUsage:  exitUsage,
		Stdout:    e.Stdout,
		Stderr:    e.Stderr,
	}
}

// Run runs one lvsd and returns its exit status.
func (e *Env) Run(args []string) int {
	return e.command().Run(args, func(c *cli.Context, when string) int { return e.action(c, args, when) })
}

func (e *Env) action(c *cli.Context, args []string, when string) int {
	term := func(w io.Writer) bool { return e.Terminal != nil && e.Terminal(w) }
	errPaint := daemonlog.Painter{On: daemonlog.ColorOn(when, os.Getenv("NO_COLOR"), term(e.Stderr))}
	outPaint := daemonlog.Painter{On: daemonlog.ColorOn(when, os.Getenv("NO_COLOR"), term(e.Stdout))}
	opt := Options{Verbose: c.Bool("verbose"), NoDaemon: c.Bool("nodaemon")}

	if file := c.String("check"); file != "" {
		cfg, ok := e.load(file, errPaint)
		if !ok {
			return exitUsage
		}
		writeCheck(e.Stdout, file, cfg, opt, outPaint)
		return exitOK
	}

	file := c.String("configfile")
	// Parse before detaching, so that a bad file is reported where it
	// was started.
	cfg, ok := e.load(file, errPaint)
	if !ok {
		return exitUsage
	}
	if !opt.NoDaemon && !c.Bool("nofork") && e.Daemonize != nil {
		return e.Daemonize(args)
	}

	log := &daemonlog.Logger{W: e.Stderr, Prefix: "lvsd", Paint: errPaint, Verbose: opt.Verbose}
	if !opt.NoDaemon && e.Syslog != nil {
		if w, err := e.Syslog(); err == nil {
			log = &daemonlog.Logger{Sys: w, Prefix: "lvsd", Verbose: opt.Verbose}
		}
	}
	return e.serve(c, file, cfg, opt, log, !opt.NoDaemon)
}

// load reads and parses lvs.cf, reporting its warnings and error on
// stderr.
func (e *Env) load(file string, p daemonlog.Painter) (*lvsconf.Config, bool) {
	cfg, warnings, err := e.parse(file)
	if err != nil {
		fmt.Fprintf(e.Stderr, "lvsd: %s\n", p.Err(err.Error()))
		return nil, false
	}
	for _, w := range warnings {
		fmt.Fprintf(e.Stderr, "lvsd: %s\n", p.Warn("warning: "+w.String()))
	}
	return cfg, true
}

func (e *Env) parse(file string) (*lvsconf.Config, []lvsconf.Warning, error) {
	data, err := os.ReadFile(file)
	if err != nil {
		return nil, nil, fmt.Errorf("failed to open %s: %w", file, unwrapPath(err))
	}
	return lvsconf.Parse(file, data, e.Parse)
}

// unwrapPath drops the path an *os.PathError repeats.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// serve runs the director until SIGTERM or SIGINT. With detach it
// becomes a daemon once it holds the pid file and the table: a failure
// before that is also reported on stderr, where lvsd was started.
func (e *Env) serve(c *cli.Context, file string, cfg *lvsconf.Config, opt Options, log *daemonlog.Logger, detach bool) int {
	ready := func(err error) {
		if e.Ready != nil {
			e.Ready(err)
		}
	}
	fail := func(status int, format string, args ...any) int {
		err := fmt.Errorf(format, args...)
		log.Errf("%v", err)
		if log.Sys != nil {
			fmt.Fprintf(e.Stderr, "lvsd: %v\n", err)
		}
		ready(err)
		return status
	}
	pid, err := daemon.LockPidFile("lvsd", c.String("pidfile"))
	if err != nil {
		var running daemon.ErrRunning
		if errors.As(err, &running) {
			return fail(exitRunning, "%v", err)
		}
		return fail(exitSystem, "%v", err)
	}
	defer pid.Release()

	// Signals are caught before the table is touched, so that none is
	// lost between the first change and the loop.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, syscall.SIGINT)
	defer signal.Stop(sigs)

	table, err := e.Open()
	if err != nil {
		if errors.Is(err, ipvs.ErrNotAvailable) {
			return fail(exitSystem, "cannot open the IPVS table: %v (is the ip_vs module available?)", err)
		}
		return fail(exitSystem, "cannot open the IPVS table: %v", err)
	}
	defer table.Close()
	managed, err := readManaged(c.String("statefile"))
	if err != nil {
		return fail(exitSystem, "%v", err)
	}
	if detach && e.Detach != nil {
		if err := e.Detach(log.Sys == nil); err != nil {
			return fail(exitSystem, "cannot become a daemon: %v", err)
		}
	}

	d := &director{
		env: e, opt: opt, file: file, keep: c.Bool("keep"), test: c.Bool("test-start"),
		table: table, log: log, spawn: newSpawner(), now: time.Now,
		want: StateOf(cfg, opt), managed: managed, stateFile: c.String("statefile"),
		started: map[ipvs.ServiceKey]time.Time{}, monitors: map[monKey]*monitor{},
		exited: make(chan *monitor), restart: make(chan *monitor),
	}
	log.Infof("starting with %s (pid %d)", file, os.Getpid())
	d.reconcile()
	ready(nil)

	tick := time.NewTicker(e.tick())
	defer tick.Stop()
	for {
		select {
		case s := <-sigs:
			switch s {
			case syscall.SIGHUP:
				log.Infof("rereading configuration file")
				d.reload()
			default:
				log.Infof("shutting down due to signal %d", s.(syscall.Signal))
				d.shutdown()
				return exitOK
			}
		case m := <-d.exited:
			d.died(m)
		case m := <-d.restart:
			if d.monitors[m.key] == m && m.retry != nil {
				d.launch(m)
			}
		case <-tick.C:
			d.tick()
		}
	}
}

// reload re-reads lvs.cf; a file that does not parse leaves the running
// configuration in force.
func (d *director) reload() {
	cfg, warnings, err := d.env.parse(d.file)
	if err != nil {
		d.log.Errf("%v; keeping the running configuration", err)
		return
	}
	for _, w := range warnings {
		d.log.Warnf("warning: %s", w.String())
	}
	d.want = StateOf(cfg, d.opt)
	d.reconcile()
}
