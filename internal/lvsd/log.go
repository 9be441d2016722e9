package lvsd

import (
	"bytes"
	"fmt"
	"io"
	"log/syslog"
	"strings"
	"sync"

	"github.com/fatih/color"
)

// level is a message's priority; Piranha logged everything at info,
// lvskit tells failures from routine.
type level int

const (
	lvDebug level = iota
	lvInfo
	lvWarning
	lvFailure
)

// logger writes lvsd's messages to syslog (ident lvsd, facility
// daemon), or, with --nodaemon, to stderr as "lvsd: message", coloured
// on a terminal. Safe for concurrent use: monitors' output arrives from
// their own goroutines.
type logger struct {
	mu      sync.Mutex
	sys     *syslog.Writer // nil: w
	w       io.Writer
	paint   painter
	verbose bool
}

func (l *logger) logf(lv level, format string, args ...any) {
	if lv == lvDebug && !l.verbose {
		return
	}
	msg := fmt.Sprintf(format, args...)
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.sys != nil {
		var err error
		switch lv {
		case lvDebug:
			err = l.sys.Debug(msg)
		case lvInfo:
			err = l.sys.Info(msg)
		case lvWarning:
			err = l.sys.Warning(msg)
		default:
			err = l.sys.Err(msg)
		}
		if err == nil || l.w == nil {
			return
		}
	}
	if l.w == nil {
		return
	}
	switch lv {
	case lvWarning:
		msg = l.paint.warn(msg)
	case lvFailure:
		msg = l.paint.err(msg)
	}
	fmt.Fprintf(l.w, "lvsd: %s\n", msg)
}

func (l *logger) debugf(format string, args ...any) { l.logf(lvDebug, format, args...) }
func (l *logger) infof(format string, args ...any)  { l.logf(lvInfo, format, args...) }
func (l *logger) warnf(format string, args ...any)  { l.logf(lvWarning, format, args...) }
func (l *logger) errf(format string, args ...any)   { l.logf(lvFailure, format, args...) }

// painter colours human-facing text when its destination is a terminal
// (or --color=always), never otherwise.
type painter struct{ on bool }

func (p painter) paint(attr color.Attribute, s string) string {
	if !p.on {
		return s
	}
	c := color.New(attr)
	c.EnableColor()
	return c.Sprint(s)
}

func (p painter) comment(s string) string { return p.paint(color.FgCyan, s) }
func (p painter) command(s string) string { return p.paint(color.Bold, s) }
func (p painter) warn(s string) string    { return p.paint(color.FgYellow, s) }
func (p painter) err(s string) string     { return p.paint(color.FgRed, s) }

// lineWriter passes each complete line written to it to a function; what
// is left without a newline at Close is passed too.
type lineWriter struct {
	mu   sync.Mutex
	buf  []byte
	line func(string)
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.buf = append(w.buf, p...)
	for {
		i := bytes.IndexByte(w.buf, '\n')
		if i < 0 {
			break
		}
		w.line(strings.TrimRight(string(w.buf[:i]), "\r"))
		w.buf = w.buf[i+1:]
	}
	// A monitor that never ends a line cannot make lvsd hoard memory.
	if len(w.buf) > 4096 {
		w.line(string(w.buf))
		w.buf = w.buf[:0]
	}
	return len(p), nil
}

func (w *lineWriter) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if len(w.buf) > 0 {
		w.line(string(w.buf))
		w.buf = nil
	}
	return nil
}
