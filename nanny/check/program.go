package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"syscall"
	"time"
)

// Program runs an external check program (nanny -e, lvs.cf's
// send_program). It passes when the program exits with status 0 and, if
// Expect is set, its output (less a final newline) matches: equals the
// expect string, or matches the regular expression. A program that
// fails, is killed or outlives the check's deadline means down; Piranha
// took all three for up, so that a hung script kept a dead server in
// service.
type Program struct {
	Target Target
	// Argv is the command, already split into words; %h and %p in any
	// word become the target's address and port. No shell is involved.
	Argv   []string
	Expect Expect
}

// maxOutput bounds what is kept of a program's output.
const maxOutput = 4096

// SplitCommand splits send_program's value into words at runs of
// blanks. Piranha split at single spaces, so that two spaces made an
// empty argument; no check program wants one.
func SplitCommand(s string) []string { return strings.Fields(s) }

func (c *Program) argv() []string {
	r := strings.NewReplacer("%h", c.Target.Host(), "%p", c.Target.PortString())
	out := make([]string, len(c.Argv))
	for i, a := range c.Argv {
		out[i] = r.Replace(a)
	}
	return out
}

func (c *Program) String() string {
	s := "program " + strings.Join(c.argv(), " ")
	if !c.Expect.IsZero() {
		s += " expecting " + c.Expect.String()
	}
	return s
}

func (c *Program) Check(ctx context.Context) error {
	argv := c.argv()
	if len(argv) == 0 {
		return errors.New("no check program given")
	}
	var out, errOut capped
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	// Its own process group, so that what it started dies with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("cannot run %s: %v", argv[0], reason(err))
	}
	stop := context.AfterFunc(ctx, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	// A grandchild that keeps the pipes open must not hold the check
	// past its deadline.
	cmd.WaitDelay = 100 * time.Millisecond
	err := cmd.Wait()
	killed := !stop()
	// The group may outlive a program that exited on its own.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	name := argv[0]
	switch {
	case killed:
		return fmt.Errorf("timeout running %s for %s; killed", name, c.Target)
	case err != nil:
		var ee *exec.ExitError
		if errors.As(err, &ee) && ee.Exited() {
			return fmt.Errorf("%s for %s exited with status %d%s", name, c.Target, ee.ExitCode(), tail(&out, &errOut))
		}
		return fmt.Errorf("%s for %s: %v%s", name, c.Target, err, tail(&out, &errOut))
	}
	if c.Expect.IsZero() {
		return nil
	}
	got := bytes.TrimSuffix(out.Bytes(), []byte("\n"))
	got = bytes.TrimSuffix(got, []byte("\r"))
	if c.Expect.Regex != nil && c.Expect.Regex.Match(got) || c.Expect.Any || c.Expect.Prefix != nil && bytes.Equal(got, c.Expect.Prefix) {
		return nil
	}
	// Piranha's words, with what came instead.
	return fmt.Errorf("Trouble. Received results are not what we expected from (%s): got %s, want %s", c.Target, quoteCut(got), c.Expect)
}

// tail is the first line of what the program said, for the log.
func tail(out, errOut *capped) string {
	for _, b := range []*capped{errOut, out} {
		line, _, _ := bytes.Cut(bytes.TrimSpace(b.Bytes()), []byte("\n"))
		if len(line) > 0 {
			return ": " + quoteCut(line)
		}
	}
	return ""
}

// capped keeps the first maxOutput bytes written to it and discards the
// rest, so that a chatty program cannot grow nanny.
type capped struct{ buf bytes.Buffer }

func (c *capped) Write(p []byte) (int, error) {
	if room := maxOutput - c.buf.Len(); room > 0 {
		c.buf.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}

func (c *capped) Bytes() []byte { return c.buf.Bytes() }
