// Package daemonlog is how lvskit's daemons (lvsd, nanny, pulse) log:
// to syslog (facility daemon, each under its own ident) as Piranha's
// did, or to a stream as "tool: message" when they run in the
// foreground, with failures coloured on a terminal.
package daemonlog

import (
	"fmt"
	"io"
	"log/syslog"
	"os"
	"sync"

	"github.com/fatih/color"
	"golang.org/x/sys/unix"
)

// Level is a message's priority; Piranha logged everything at info,
// lvskit tells failures from routine.
type Level int

const (
	Debug Level = iota
	Info
	Warning
	Failure
)

// Logger writes a daemon's messages. Safe for concurrent use.
type Logger struct {
	mu sync.Mutex
	// Sys is the system log; nil logs to W only.
	Sys *syslog.Writer
	// W receives "Prefix: message" lines when Sys is nil or fails, and
	// always when Tee is set.
	W      io.Writer
	Tee    bool
	Prefix string
	Paint  Painter
	// Verbose lets Debug messages through.
	Verbose bool
}

// Logf logs one message at lv.
func (l *Logger) Logf(lv Level, format string, args ...any) {
	if lv == Debug && !l.Verbose {
		return
	}
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.Sys != nil {
		var err error
		switch lv {
		case Debug:
			err = l.Sys.Debug(msg)
		case Info:
			err = l.Sys.Info(msg)
		case Warning:
			err = l.Sys.Warning(msg)
		default:
			err = l.Sys.Err(msg)
		}
		if err == nil && !l.Tee {
			return
		}
	}
	if l.W == nil {
		return
	}
	switch lv {
	case Warning:
		msg = l.Paint.Warn(msg)
	case Failure:
		msg = l.Paint.Err(msg)
	}
	fmt.Fprintf(l.W, "%s: %s\n", l.Prefix, msg)
}

func (l *Logger) Debugf(format string, args ...any) { l.Logf(Debug, format, args...) }
func (l *Logger) Infof(format string, args ...any)  { l.Logf(Info, format, args...) }
func (l *Logger) Warnf(format string, args ...any)  { l.Logf(Warning, format, args...) }
func (l *Logger) Errf(format string, args ...any)   { l.Logf(Failure, format, args...) }

// Painter colours human-facing text when its destination is a terminal
// (or --color=always), never otherwise.
type Painter struct{ On bool }

func (p Painter) paint(attr color.Attribute, s string) string {
	if !p.On {
		return s
	}
	c := color.New(attr)
	c.EnableColor()
	return c.Sprint(s)
}

func (p Painter) Comment(s string) string { return p.paint(color.FgCyan, s) }
func (p Painter) Command(s string) string { return p.paint(color.Bold, s) }
func (p Painter) Warn(s string) string    { return p.paint(color.FgYellow, s) }
func (p Painter) Err(s string) string     { return p.paint(color.FgRed, s) }

// ColorOn decides whether to colour a stream: always and never are
// orders; auto colours a terminal unless NO_COLOR is set (no-color.org).
func ColorOn(when, noColor string, terminal bool) bool {
	switch when {
	case "always":
		return true
	case "auto":
		return terminal && noColor == ""
	}
	return false
}

// IsTerminal reports whether w is a terminal.
func IsTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	_, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	return err == nil
}
