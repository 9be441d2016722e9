package nanny

import (
	"io"
	"testing"

	"github.com/urfave/cli/v2"

	"lvskit/internal/lvsconf"
	"lvskit/internal/mancheck"
)

// man/nanny.8 follows the convention of internal/mancheck: options on
// tag lines under OPTIONS, check kinds on tag lines under CHECKS.
const manPage = "../man/nanny.8"

// Every flag of nanny, and each alias, has an entry in nanny(8), and the
// page documents no option nanny does not have.
func TestManpageDocumentsEveryFlag(t *testing.T) {
	mancheck.Flags(t, manPage, "nanny", flags())
}

// Every check kind has an entry under CHECKS, and every kind the page
// documents is one nanny accepts for --check.
func TestManpageDocumentsEveryCheck(t *testing.T) {
	kinds := mancheck.Tags(t, manPage, "CHECKS")
	known := map[string]bool{}
	for _, kind := range lvsconf.Checks {
		known[kind] = true
		if _, ok := kinds[kind]; !ok {
			t.Errorf("check kind %s is not documented in %s: add an entry with \\fB%s\\fR on its tag line under CHECKS",
				kind, manPage, kind)
		}
	}
	for kind, line := range kinds {
		if !known[kind] {
			t.Errorf("%s:%d: CHECKS documents %s, which is not a check kind (lvsconf.Checks)", manPage, line, kind)
		}
		// The kind must also be one that nanny builds: the send string
		// and program satisfy the kinds that need them.
		args := []string{"nanny", "-h", "192.0.2.1", "-V", "192.0.2.100", "--lvs",
			"-e", "/bin/true", "-s", "x", "--check", kind}
		var cerr error
		app := newApp(io.Discard, io.Discard, func(c *cli.Context) error {
			_, cerr = configure(c)
			return nil
		})
		if err := app.Run(args); err != nil {
			t.Fatalf("%v: %v", args[1:], err)
		}
		if cerr != nil {
			t.Errorf("%s:%d: CHECKS documents %s, but nanny --check %s fails: %v", manPage, line, kind, kind, cerr)
		}
	}
}

func TestManpageRendersCleanly(t *testing.T) { mancheck.Renders(t, manPage) }
