package ipvsadm

import (
	"errors"
	"fmt"
	"os"

	"lvskit/internal/ipvs"
)

// runner executes commands against one open table. Its error context
// outlives a command, as ipvsadm's does across the lines of a restore.
type runner struct {
	env  *Env
	tb   ipvs.Table
	info ipvs.Info
	prog string
	ctx  ctx
}

// line parses and executes one command line (argv with the program name
// first) and returns its exit status.
func (r *runner) line(argv []string) int {
	cmd, err := Parse(argv, r.env.Resolver)
	if err != nil {
		return r.fail(err)
	}
	return r.exec(cmd)
}

// fail prints a parse or validation failure and returns its status.
func (r *runner) fail(err error) int {
	var e *Error
	if !errors.As(err, &e) {
		e = &Error{Status: 2, Text: err.Error()}
	}
	// Some failures end ipvsadm without a word (a blank line in the
	// connection table).
	if e.Text != "" {
		fmt.Fprintln(r.env.Stderr, e.Text)
	}
	return e.Status
}

// kernel reports a failed kernel operation in context c: ipvsadm's text
// for the errno, exit 255.
func (r *runner) kernel(c ctx, err error) int {
	if err == nil {
		return 0
	}
	if c != ctxNone {
		r.ctx = c
	}
	fmt.Fprintln(r.env.Stderr, strerror(r.ctx, err))
	return 255
}

// set records the context of an operation about to be tried and returns
// the status of its outcome.
func (r *runner) set(c ctx, err error) int {
	r.ctx = c
	return r.kernel(ctxNone, err)
}

// exec executes one parsed command.
func (r *runner) exec(c *Command) int {
	switch c.Cmd {
	case CmdHelp:
		writeHelp(r.env.Stdout, r.prog)
		return 0
	case CmdVersion:
		fmt.Fprintln(r.env.Stdout, versionLine)
		return 0
	case CmdAddService:
		return r.set(ctxAddService, r.tb.AddService(c.Service))
	case CmdEditService:
		return r.set(ctxEditService, r.tb.EditService(c.Service))
	case CmdDelService:
		return r.set(ctxDelService, r.tb.DelService(c.Service.Key()))
	case CmdFlush:
		// ipvsadm 1.31's flush leaves the error context as it was, so a
		// failed flush after a failed add-service in one -R run read
		// "Service already exists". lvskit reports the flush's own
		// errno (man/ipvsadm.8, COMPATIBILITY). On a real kernel a flush
		// by root does not fail.
		return r.set(ctxNone, r.tb.Flush())
	case CmdZero:
		if !c.Has(OptService) || zeroKey(c.Service.Key()) {
			return r.set(ctxZero, r.tb.ZeroAll())
		}
		return r.set(ctxZero, r.tb.ZeroService(c.Service.Key()))
	case CmdAddServer:
		return r.set(ctxAddDest, r.tb.AddDest(c.Service.Key(), c.Dest))
	case CmdEditServer:
		return r.set(ctxEditDest, r.tb.EditDest(c.Service.Key(), c.Dest))
	case CmdDelServer:
		return r.set(ctxDelDest, r.tb.DelDest(c.Service.Key(), c.Dest.Key()))
	case CmdSet:
		return r.set(ctxSetTimeout, r.tb.SetTimeouts(c.Timeouts))
	case CmdStartDaemon:
		return r.set(ctxStartDaemon, r.tb.StartDaemon(c.Daemon))
	case CmdStopDaemon:
		return r.set(ctxStopDaemon, r.tb.StopDaemon(c.Daemon.State))
	case CmdList:
		return r.list(c)
	case CmdSave:
		return r.save(c)
	case CmdRestore:
		return r.restore()
	}
	return r.fail(&Error{Status: 2, Text: "no command specified"})
}

// zeroKey reports whether k is the all-zero address with port 0 and no
// fwmark, which ipvsadm sends as "zero everything".
func zeroKey(k ipvs.ServiceKey) bool {
	return k.Fwmark == 0 && k.Port == 0 && (!k.Addr.IsValid() || k.Addr.IsUnspecified())
}

// list runs -L: connections, one service, the timeouts, the daemons or
// the whole table.
func (r *runner) list(c *Command) int {
	w := r.env.Stdout
	switch {
	case c.Has(OptConnection):
		return r.conns(c)
	case c.Has(OptService):
		r.ctx = ctxGetService
		svc, err := r.tb.Service(c.Service.Key())
		if err != nil {
			return r.listFailed(err)
		}
		l := newLister(w, c, r.env.Resolver)
		l.title()
		return r.stream(l, []ipvs.Service{svc}, c)
	case c.Has(OptTimeout):
		r.ctx = ctxGetTimeout
		t, err := r.tb.Timeouts()
		if err != nil {
			return 1 // ipvsadm prints nothing when this fails
		}
		WriteTimeouts(w, t)
		return 0
	case c.Has(OptDaemon):
		r.ctx = ctxGetDaemon
		ds, err := r.tb.Daemons()
		if err != nil {
			return 1 // nothing printed, as in ipvsadm
		}
		WriteDaemons(w, ds)
		return 0
	}
	l := newLister(w, c, r.env.Resolver)
	l.version(&r.info)
	svcs, err := r.tb.Services()
	if err != nil {
		l.flush()
		return r.listFailed(err)
	}
	l.title()
	return r.stream(l, svcs, c)
}

// save runs -S.
func (r *runner) save(c *Command) int {
	svcs, err := r.tb.Services()
	if err != nil {
		return r.listFailed(err)
	}
	return r.stream(newSaver(r.env.Stdout, c.Has(OptNumeric), r.env.Resolver), svcs, c)
}

// tableWriter writes a listing (-L or -S) one service at a time.
type tableWriter interface {
	entry(e *Entry)
	flush() error
}

// stream sorts the services (unless --nosort), then fetches, sorts and
// writes each one's destinations in that order, as ipvsadm does. Like
// ipvsadm, which prints each service as soon as it has its destinations
// and exits when a fetch fails, a failure ends the listing after what
// was written so far.
func (r *runner) stream(tw tableWriter, svcs []ipvs.Service, c *Command) int {
	sorted := !c.Has(OptNoSort)
	if sorted {
		SortServices(svcs)
	}
	keys := make([]ipvs.ServiceKey, len(svcs))
	for i := range svcs {
		keys[i] = svcs[i].Key()
	}
	r.ctx = ctxGetDests
	err := r.tb.ListDests(keys, func(i int, ds []ipvs.Dest) error {
		if sorted {
			SortDests(ds)
		}
		tw.entry(&Entry{Service: svcs[i], Dests: ds})
		return nil
	})
	if err != nil {
		tw.flush()
		return r.listFailed(err)
	}
	if err := tw.flush(); err != nil {
		return r.listFailed(err)
	}
	return 0
}

// listFailed reports a failed listing: ipvsadm's text for the errno, exit
// 1. An *Error from a formatter carries its own text and status.
func (r *runner) listFailed(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return r.fail(e)
	}
	fmt.Fprintln(r.env.Stderr, strerror(r.ctx, err))
	return 1
}

// conns runs -c from the kernel's connection table file.
func (r *runner) conns(c *Command) int {
	f, err := os.Open(r.env.ConnPath)
	if err != nil {
		fmt.Fprintf(r.env.Stderr, "cannot open file %s\n", r.env.ConnPath)
		return 1
	}
	defer f.Close()
	if err := WriteConns(r.env.Stdout, f, r.env.ConnPath, c, r.env.Resolver); err != nil {
		return r.listFailed(err)
	}
	return 0
}
