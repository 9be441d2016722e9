package testscripts

import (
	"io"
	"os"

	"lvskit/internal/ipvs"
	"lvskit/nanny"
)

// runNanny runs nanny against the script's fake table. With no syslog it
// logs to stderr (and to stdout with --nodaemon), which scripts read.
func runNanny(args []string) int {
	path := os.Getenv(envState)
	env := &nanny.Env{
		Stdout:   os.Stdout,
		Stderr:   os.Stderr,
		Open:     func() (ipvs.Table, error) { return openFileTable(path) },
		Terminal: func(io.Writer) bool { return false },
	}
	return env.Run(args)
}
