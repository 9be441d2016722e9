// Package nanny is the monitor of one real server: it checks the server
// at an interval and keeps its destination in the kernel's IPVS table in
// step with the verdict, as Piranha's nanny did for lvsd. Its command
// line is Piranha's, so that the argv lvsd builds (and any script that
// starts a nanny) works unchanged; lvskit's additions are long options.
//
// Where Piranha's was fragile it is not: a server leaves after --fall
// failed checks and returns after --rise good ones; interval and
// timeout are separate; checks start at a random moment so that many
// monitors do not probe in step; an external check that fails, hangs
// or crashes means down; and a kernel call that fails is logged and
// retried, never a reason to exit (Piranha's nanny exited, and lvsd took
// the whole director down after it).
package nanny

import (
	"context"
	"fmt"
	"io"
	"log/syslog"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"lvskit/internal/daemonlog"
	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/netlink"
)

// Exit statuses (nanny(8)).
const (
	exitOK      = 0 // stopped by a signal; --fos: the remote service failed
	exitUsage   = 1 // bad command line; --fos: the remote service never came up
	exitCleanup = 1 // the real server could not be taken out at exit
)

// Env is what nanny needs from the system; tests replace parts of it.
type Env struct {
	Stdout, Stderr io.Writer
	// Open opens the IPVS table.
	Open func() (ipvs.Table, error)
	// Syslog connects to the system log; nil, or an error, logs to
	// Stderr instead (and to Stdout with --nodaemon).
	Syslog func() (*syslog.Writer, error)
	// Terminal reports whether a stream is a terminal (for colour).
	Terminal func(io.Writer) bool
	// Reconcile is how often the table is compared with what it should
	// hold when nothing changed; zero is every 30 s.
	Reconcile time.Duration
}

// Main runs nanny with the process's surroundings.
func Main(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	// A nanny does one thing at a time, and a director runs a thousand
	// of them: one P spares each the threads and hand-offs of several,
	// and, set explicitly, the runtime's periodic re-reading of the CPU
	// limits (Go 1.25). GOMAXPROCS in the environment still wins.
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	env := &Env{
		Stdout: stdout,
		Stderr: stderr,
		Open:   netlink.Open,
		Syslog: func() (*syslog.Writer, error) {
			return syslog.New(syslog.LOG_DAEMON|syslog.LOG_INFO, "nanny")
		},
		Terminal: daemonlog.IsTerminal,
	}
	return env.Run(args)
}

// Run runs one nanny and returns its exit status.
func (e *Env) Run(args []string) int {
	status := exitOK
	app := newApp(e.Stdout, e.Stderr, func(c *cli.Context) error {
		status = e.action(c)
		return nil
	})
	if err := app.RunContext(context.Background(), args); err != nil {
		fmt.Fprintf(e.Stderr, "nanny: %s\n", usageError(err))
		return exitUsage
	}
	return status
}

// newApp is nanny's command line, handing the parsed options to action.
func newApp(stdout, stderr io.Writer, action cli.ActionFunc) *cli.App {
	return &cli.App{
		Name:      "nanny",
		Usage:     "check one real server and keep it in the IPVS table while it passes",
		UsageText: "nanny -h RIP [-p VPORT] [-r RPORT] [-V VIP | -f FWMARK] [-u] [check options] --lvs | --fos",
		Flags:     flags(),
		// -h is the real server, as in Piranha: help is --help or -?.
		HideHelp:               true,
		HideHelpCommand:        true,
		HideVersion:            true,
		UseShortOptionHandling: true,
		Writer:                 stdout,
		ErrWriter:              stderr,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return err
		},
		ExitErrHandler: func(*cli.Context, error) {},
		Action:         action,
	}
}

// usageError words a command-line error as Piranha's nanny (popt) did:
// "bad argument -L: unknown option".
func usageError(err error) string {
	msg := err.Error()
	for _, p := range []struct{ prefix, popt string }{
		{"flag provided but not defined: ", "unknown option"},
		{"flag needs an argument: ", "missing argument"},
	} {
		if opt, ok := strings.CutPrefix(msg, p.prefix); ok {
			return fmt.Sprintf("bad argument %s: %s", opt, p.popt)
		}
	}
	// invalid value "x" for flag -p: parse error
	if rest, ok := strings.CutPrefix(msg, "invalid value "); ok {
		if i := strings.Index(rest, " for flag "); i >= 0 {
			opt, _, _ := strings.Cut(rest[i+len(" for flag "):], ":")
			return fmt.Sprintf("bad argument %s: invalid numeric value %s", opt, rest[:i])
		}
	}
	return "bad argument: " + msg
}

func (e *Env) action(c *cli.Context) int {
	switch {
	case c.Bool("help"):
		cli.ShowAppHelp(c)
		return exitOK
	case c.Bool("version"):
		fmt.Fprintf(e.Stdout, "nanny %s (lvskit)\n", version())
		return exitOK
	case c.NArg() > 0:
		fmt.Fprintf(e.Stderr, "nanny: unexpected arguments\n")
		return exitUsage
	}
	cfg, err := configure(c)
	if err != nil {
		fmt.Fprintf(e.Stderr, "nanny: %v\n", err)
		return exitUsage
	}
	term := func(w io.Writer) bool { return e.Terminal != nil && e.Terminal(w) }
	log := &daemonlog.Logger{Prefix: "nanny", Verbose: cfg.Verbose}
	// Piranha's nanny logs to syslog, and with --nodaemon to stdout as
	// well; with no syslog to reach, to stderr (lvsd logs what its
	// monitors write there).
	if e.Syslog != nil {
		if w, err := e.Syslog(); err == nil {
			log.Sys = w
			defer w.Close()
		}
	}
	switch {
	case cfg.NoDaemon:
		log.W, log.Tee = e.Stdout, true
		log.Paint.On = daemonlog.ColorOn(cfg.Color, os.Getenv("NO_COLOR"), term(e.Stdout))
	case log.Sys == nil:
		log.W = e.Stderr
		log.Paint.On = daemonlog.ColorOn(cfg.Color, os.Getenv("NO_COLOR"), term(e.Stderr))
	}

	sigs := make(chan os.Signal, 8)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP, syscall.SIGUSR1, syscall.SIGUSR2)
	defer signal.Stop(sigs)
	r := newRunner(cfg, log)
	r.reconcileEvery = reconcileEvery
	if e.Reconcile > 0 {
		r.reconcileEvery = e.Reconcile
	}
	if cfg.Mission == lvsMission {
		r.srv = &server{open: e.Open, svc: cfg.Service, dest: cfg.dest(), quiesce: cfg.Quiesce, test: cfg.TestStart, log: log}
		defer r.srv.close()
	}
	return r.run(sigs)
}

// version is the module version nanny was built from.
func version() string {
	if bi, ok := debug.ReadBuildInfo(); ok && bi.Main.Version != "" {
		return bi.Main.Version
	}
	return "(devel)"
}
