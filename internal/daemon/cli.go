package daemon

import (
	"context"
	"fmt"
	"io"

	"github.com/urfave/cli/v2"
)

// Command is the command line lvskit's daemons (lvsd, pulse) share:
// their own options, then --color, --version and --help (also -? and
// --usage, Piranha's popt names), answered here with the same words and
// exit statuses for both.
type Command struct {
	Name      string
	Usage     string // one line: what the daemon does
	UsageText string // its synopsis
	Flags     []cli.Flag
	// Usage errors, a stray argument and a bad --color exit with
	// BadUsage (Piranha's 1).
	BadUsage       int
	Stdout, Stderr io.Writer
}

// Flags common to the daemons, after their own.
func commonFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "color", Value: "auto", Usage: "colour messages on a terminal: `WHEN` is auto, always or never"},
		&cli.BoolFlag{Name: "version", DisableDefaultText: true, Usage: "print the version and exit"},
		&cli.BoolFlag{Name: "help", DisableDefaultText: true, Aliases: []string{"?", "usage"}, Usage: "print this help and exit"},
	}
}

// AllFlags are cmd's options as the daemon takes them (for its man-page
// test).
func (cmd Command) AllFlags() []cli.Flag {
	return append(append([]cli.Flag{}, cmd.Flags...), commonFlags()...)
}

// Run parses args and answers --help, --version, stray arguments and a
// bad --color itself; otherwise it runs action with the parsed options
// and the --color choice (auto, always or never), and returns its exit
// status.
func (cmd Command) Run(args []string, action func(c *cli.Context, color string) int) int {
	status := 0
	app := &cli.App{
		Name:                   cmd.Name,
		Usage:                  cmd.Usage,
		UsageText:              cmd.UsageText,
		Flags:                  cmd.AllFlags(),
		HideHelp:               true,
		HideHelpCommand:        true,
		HideVersion:            true,
		UseShortOptionHandling: true,
		Writer:                 cmd.Stdout,
		ErrWriter:              cmd.Stderr,
		OnUsageError: func(_ *cli.Context, err error, _ bool) error {
			return err
		},
		ExitErrHandler: func(*cli.Context, error) {},
		Action: func(c *cli.Context) error {
			status = cmd.answer(c, action)
			return nil
		},
	}
	if err := app.RunContext(context.Background(), args); err != nil {
		fmt.Fprintf(cmd.Stderr, "%s: bad argument: %v\nTry '%s --help' for more information.\n", cmd.Name, err, cmd.Name)
		return cmd.BadUsage
	}
	return status
}

func (cmd Command) answer(c *cli.Context, action func(*cli.Context, string) int) int {
	switch {
	case c.Bool("help"):
		cli.ShowAppHelp(c)
		return 0
	case c.Bool("version"):
		fmt.Fprint(cmd.Stdout, VersionText(cmd.Name))
		return 0
	case c.NArg() > 0:
		fmt.Fprintf(cmd.Stderr, "%s: unexpected arguments: %s\n", cmd.Name, c.Args().First())
		return cmd.BadUsage
	}
	when := c.String("color")
	if when != "auto" && when != "always" && when != "never" {
		fmt.Fprintf(cmd.Stderr, "%s: bad argument --color %q: auto, always or never\n", cmd.Name, when)
		return cmd.BadUsage
	}
	return action(c, when)
}
