package testscripts

import (
	"fmt"
	"io"
	"os"
	"time"

	"lvskit/internal/ipvs"
	"lvskit/nanny"
)

// runNanny runs nanny against the script's fake table. With no syslog it
// logs to stderr (and to stdout with --nodaemon), which scripts read.
// It compares the table with what it should hold every
// LVSKIT_TEST_RECONCILE (default 500ms), not every 30 s, so that a
// script sees it repair the table.
func runNanny(args []string) int {
	path := os.Getenv(envState)
	reconcile := 500 * time.Millisecond
	if s := os.Getenv("LVSKIT_TEST_RECONCILE"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			fmt.Fprintln(os.Stderr, "test wiring:", err)
			return 125
		}
		reconcile = d
	}
	env := &nanny.Env{
		Stdout:    os.Stdout,
		Stderr:    os.Stderr,
		Open:      func() (ipvs.Table, error) { return openFileTable(path) },
		Terminal:  func(io.Writer) bool { return false },
		Reconcile: reconcile,
	}
	return env.Run(args)
}
