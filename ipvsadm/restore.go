package ipvsadm

import (
	"bufio"
	"errors"
	"strings"
)

// restore runs -R: each line of standard input is one ipvsadm command
// line. ipvsadm 1.31's rules, which scripts feeding it depend on:
//   - words are separated by spaces, tabs, CR and LF; a word that is
//     exactly "ipvsadm" is dropped wherever it stands; empty lines are
//     skipped;
//   - there are no comments: "#" is an ordinary word;
//   - a kernel error or a late option-syntax error is printed and the
//     restore goes on;
//   - a validation error, a line whose first word is not a command (the
//     "Try" message, -R among them) or a failed listing ends the restore
//     with that status, the lines before it applied;
//   - otherwise the status is the last line's.
func (r *runner) restore() int {
	sc := bufio.NewScanner(r.env.Stdin)
	sc.Buffer(make([]byte, 64*1024), 1<<20)
	status := 0
	for sc.Scan() {
		argv := []string{r.prog}
		for _, w := range strings.FieldsFunc(sc.Text(), func(c rune) bool {
			return c == ' ' || c == '\t' || c == '\r' || c == '\n'
		}) {
			if w != "ipvsadm" {
				argv = append(argv, w)
			}
		}
		if len(argv) == 1 {
			continue
		}
		cmd, err := Parse(argv, r.env.Resolver)
		if err != nil {
			status = r.fail(err)
			var e *Error
			if status != 255 || errors.As(err, &e) && e.notCommand {
				return status
			}
			continue
		}
		if cmd.Cmd == CmdRestore || cmd.Cmd == CmdHelp || cmd.Cmd == CmdVersion {
			// ipvsadm refuses a nested restore as it refuses a bad first
			// option; -h and -v print and end the run.
			if cmd.Cmd == CmdRestore {
				return r.fail(tryAgain(r.prog))
			}
			return r.exec(cmd)
		}
		status = r.exec(cmd)
		if cmd.Cmd == CmdList || cmd.Cmd == CmdSave {
			if status != 0 {
				return status
			}
		}
	}
	return status
}
