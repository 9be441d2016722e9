package nanny

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"strconv"
	"strings"
	"time"

	"lvskit/nanny/check"
)

// A loadSource tells how much of its configured weight a real server
// should get, in percent: dynamic feedback load balancing, where the
// director's weights follow the real servers' own view of their load.
type loadSource interface {
	sample(ctx context.Context) (percent float64, err error)
	String() string
}

// agent asks a program on the real server, over TCP, as HAProxy's
// agent-check does: it answers one line of words such as "75%",
// "ready", "drain", "down" or "maint", separated by blanks or commas.
type agent struct{ target check.Target }

func (a agent) String() string { return "agent at " + a.target.String() }

func (a agent) sample(ctx context.Context) (float64, error) {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", a.target.String())
	if err != nil {
		return 0, fmt.Errorf("agent at %s: %v", a.target, check.Cause(ctx, err))
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	}
	line, err := bufio.NewReaderSize(io.LimitReader(conn, 512), 512).ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		return 0, fmt.Errorf("agent at %s: no answer: %v", a.target, check.Cause(ctx, err))
	}
	pct, err := parseAgentReply(line)
	if err != nil {
		return 0, fmt.Errorf("agent at %s: %v", a.target, err)
	}
	return pct, nil
}

// parseAgentReply reads an agent's line. A percentage sets the weight;
// drain, down, fail, stopped and maint set it to 0 (taking the server
// out stays the health check's business); up and ready alone mean 100%.
// Other words are ignored, as HAProxy ignores them.
func parseAgentReply(line string) (float64, error) {
	pct, set := 0.0, false
	zero := false
	for _, w := range strings.FieldsFunc(line, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n' }) {
		lw := strings.ToLower(w)
		switch {
		case strings.HasSuffix(lw, "%"):
			v, err := strconv.ParseFloat(lw[:len(lw)-1], 64)
			if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
				return 0, fmt.Errorf("bad percentage %q", w)
			}
			pct, set = v, true
		case lw == "drain" || lw == "down" || lw == "fail" || lw == "stopped" || lw == "maint":
			zero = true
		case lw == "up" || lw == "ready":
			if !set {
				pct, set = 100, true
			}
		}
	}
	switch {
	case zero:
		return 0, nil
	case !set:
		return 0, fmt.Errorf("no weight in %q", strings.TrimSpace(line))
	}
	return pct, nil
}

// feedbackProgram runs a program whose first line of output is read as
// an agent's answer.
type feedbackProgram struct {
	target check.Target
	argv   []string
}

func (p feedbackProgram) String() string { return "feedback program " + strings.Join(p.argv, " ") }

func (p feedbackProgram) sample(ctx context.Context) (float64, error) {
	out, err := check.RunProgram(ctx, check.Substitute(p.argv, p.target))
	if err != nil {
		return 0, fmt.Errorf("%s: %v", p.argv[0], err)
	}
	line, _, _ := strings.Cut(string(out), "\n")
	pct, err := parseAgentReply(line)
	if err != nil {
		return 0, fmt.Errorf("%s: %v", p.argv[0], err)
	}
	return pct, nil
}

// loadCommand is Piranha's load monitor (-U): rup or ruptime on the
// real server's address, or rsh/ssh running uptime there, read for the
// 1-minute load average L. Piranha raised an idle server's weight step
// by step up to scale × weight and brought it back to weight as its
// load reached 1; as a target that is 100% at L ≥ 1, rising to
// scale × 100% as L falls to 0.
type loadCommand struct {
	argv  []string
	scale int
}

func newLoadCommand(cmd string, target check.Target, scale int) loadCommand {
	argv := []string{cmd, target.Host()}
	if cmd == "rsh" || cmd == "ssh" {
		argv = append(argv, "uptime")
	}
	return loadCommand{argv: argv, scale: scale}
}

func (l loadCommand) String() string { return "load monitor " + strings.Join(l.argv, " ") }

func (l loadCommand) sample(ctx context.Context) (float64, error) {
	out, err := check.RunProgram(ctx, l.argv)
	if err != nil {
		return 0, fmt.Errorf("failed to read remote load: %s: %v", l.argv[0], err)
	}
	load, err := parseLoad(string(out))
	if err != nil {
		return 0, err
	}
	return loadPercent(load, l.scale), nil
}

// parseLoad finds the 1-minute load average in uptime's or rup's
// output as Piranha did: after the first "load", the first colon, then
// the number.
func parseLoad(out string) (float64, error) {
	i := strings.Index(out, "load")
	if i < 0 {
		return 0, fmt.Errorf("bad load average returned: %q", firstLine(out))
	}
	j := strings.IndexByte(out[i:], ':')
	if j < 0 {
		return 0, fmt.Errorf("bad load average returned: %q", firstLine(out))
	}
	rest := strings.TrimLeft(out[i+j+1:], " \t")
	end := strings.IndexFunc(rest, func(r rune) bool { return !(r >= '0' && r <= '9' || r == '.') })
	if end < 0 {
		end = len(rest)
	}
	v, err := strconv.ParseFloat(rest[:end], 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("bad load average returned: %q", firstLine(out))
	}
	return v, nil
}

func loadPercent(load float64, scale int) float64 {
	if load >= 1 {
		return 100
	}
	return 100 + float64(scale-1)*100*math.Cbrt(1-load)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return l
}

// feedback smooths a load source's samples: each moves the weight's
// percentage half way from where it is toward the sample, so that one
// odd answer cannot swing the weight, and bounds it to 0 ..
// scale × 100%.
type feedback struct {
	src   loadSource
	every time.Duration
	max   float64
	pct   float64
}

func newFeedback(src loadSource, every time.Duration, scale int) *feedback {
	return &feedback{src: src, every: every, max: float64(scale) * 100, pct: 100}
}

func (f *feedback) add(sample float64) {
	sample = math.Max(0, math.Min(sample, f.max))
	// Draining is an order, not a measurement: it takes effect at once.
	if sample == 0 {
		f.pct = 0
		return
	}
	f.pct += (sample - f.pct) / 2
	if math.Abs(f.pct-sample) < 0.5 {
		f.pct = sample
	}
}
