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

// Substitute replaces %h and %p in each word of argv with t's address
// and port.
func Substitute(argv []string, t Target) []string {
	r := strings.NewReplacer("%h", t.Host(), "%p", t.PortString())
	out := make([]string, len(argv))
	for i, a := range argv {
		out[i] = r.Replace(a)
	}
	return out
}

func (c *Program) argv() []string { return Substitute(c.Argv, c.Target) }

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
	out, err := RunProgram(ctx, argv)
	if err != nil {
		return fmt.Errorf("%s for %s: %v", argv[0], c.Target, err)
	}
	if c.Expect.IsZero() {
		return nil
	}
	got := bytes.TrimSuffix(out, []byte("\n"))
	got = bytes.TrimSuffix(got, []byte("\r"))
	if c.Expect.Regex != nil && c.Expect.Regex.Match(got) || c.Expect.Any || c.Expect.Prefix != nil && bytes.Equal(got, c.Expect.Prefix) {
		return nil
	}
	// Piranha's words, with what came instead.
	return fmt.Errorf("Trouble. Received results are not what we expected from (%s): got %s, want %s", c.Target, probeQuote(got), c.Expect)
}

// ProgramError is why a program run by RunProgram gave no output to
// read: it could not start, ran past its deadline, or failed.
type ProgramError struct{ msg string }

func (e *ProgramError) Error() string { return e.msg }

// RunProgram runs argv, with no shell, until it exits or ctx is done,
// and returns the start of its output. At ctx's end its process group
// is killed, so that what it started dies with it; a program that ends
// in any way but exit status 0 is an error that says how, with the
// first line it wrote.
func RunProgram(ctx context.Context, argv []string) ([]byte, error) {
	var out, errOut capped
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = &out, &errOut
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	// A grandchild that keeps the pipes open must not hold the check
	// past its deadline.
	cmd.WaitDelay = 100 * time.Millisecond
	if err := cmd.Start(); err != nil {
		var ee *exec.Error
		if errors.As(err, &ee) {
			err = ee.Err
		}
		return nil, &ProgramError{fmt.Sprintf("cannot be run: %s", probeCause(ctx, err))}
	}
	stop := context.AfterFunc(ctx, func() { syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) })
	err := cmd.Wait()
	killed := !stop()
	// The group may outlive a program that exited on its own.
	syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	var ee *exec.ExitError
	switch {
	case killed:
		return nil, &ProgramError{"timed out; killed"}
	case errors.As(err, &ee) && ee.Exited():
		return nil, &ProgramError{fmt.Sprintf("exited with status %d%s", ee.ExitCode(), tail(&out, &errOut))}
	case err != nil:
		return nil, &ProgramError{fmt.Sprintf("%v%s", err, tail(&out, &errOut))}
	}
	return out.Bytes(), nil
}

// tail is the first line of what the program said, for the log.
func tail(out, errOut *capped) string {
	for _, b := range []*capped{errOut, out} {
		line, _, _ := bytes.Cut(bytes.TrimSpace(b.Bytes()), []byte("\n"))
		if len(line) > 0 {
			return ": " + probeQuote(line)
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
