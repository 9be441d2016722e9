package nanny

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"lvskit/internal/lvsconf"
)

// The man page convention (stated at the top of man/nanny.8): an option
// is documented by a .TP or .TQ tag line under OPTIONS that shows it as
// \fB\-x\fR or \fB\-\-name\fR, and a check kind by a tag line under
// CHECKS that shows it as \fBkind\fR. A name merely mentioned in running
// text does not count, so a flag added to flags() or a kind added to
// lvsconf.Checks without an entry fails.
const manPage = "../man/nanny.8"

// manBold is a bold word on a tag line: \fB\-\-send_program\fR, \fBtcp\fR.
var manBold = regexp.MustCompile(`\\fB((?:\\-|[A-Za-z0-9?_])+)\\fR`)

// manTags returns the bold words on the tag lines of section, as typed
// ("-c", "--send_str", "tcp"), with the line each stands on.
func manTags(t *testing.T, section string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(manPage)
	if err != nil {
		t.Fatal(err)
	}
	words := map[string]int{}
	current, tag, seen := "", false, false
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, ".SH "):
			current = strings.Trim(strings.TrimPrefix(line, ".SH "), `"`)
			seen = seen || current == section
			tag = false
			continue
		case line == ".TP" || line == ".TQ":
			tag = true
			continue
		}
		isTag := tag
		tag = false
		if current != section || !isTag {
			continue
		}
		for _, m := range manBold.FindAllStringSubmatch(line, -1) {
			words[strings.ReplaceAll(m[1], `\-`, "-")] = i + 1
		}
	}
	if !seen {
		t.Fatalf("%s: no section %s", manPage, section)
	}
	return words
}

// manOptionName is how a flag's name is typed: -x for one letter,
// --name otherwise.
func manOptionName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// Every flag of nanny, and each alias, has an entry in nanny(8), and the
// page documents no option nanny does not have.
func TestManpageDocumentsEveryFlag(t *testing.T) {
	opts := map[string]int{}
	for word, line := range manTags(t, "OPTIONS") {
		if strings.HasPrefix(word, "-") {
			opts[word] = line
		}
	}
	known := map[string]bool{}
	for _, f := range flags() {
		for _, name := range f.Names() {
			opt := manOptionName(name)
			known[opt] = true
			if _, ok := opts[opt]; !ok {
				t.Errorf("option %s is not documented in %s: add \\fB%s\\fR to the tag line of its entry under OPTIONS",
					opt, manPage, strings.ReplaceAll(opt, "-", `\-`))
			}
		}
	}
	for opt, line := range opts {
		if !known[opt] {
			t.Errorf("%s:%d: OPTIONS documents %s, which nanny does not have", manPage, line, opt)
		}
	}
}

// Every check kind has an entry under CHECKS, and every kind the page
// documents is one nanny accepts for --check.
func TestManpageDocumentsEveryCheck(t *testing.T) {
	kinds := manTags(t, "CHECKS")
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

// The page renders without a warning, with groff's warnings all on and
// as man(1) shows it. groff reports some errors on standard error and
// still exits 0, so any output there fails the test. Skipped where the
// tools are not installed.
func TestManpageRendersCleanly(t *testing.T) {
	for _, tc := range []struct {
		name string
		argv []string
	}{
		{"groff", []string{"groff", "-man", "-ww", "-z", manPage}},
		{"man", []string{"man", "-l", manPage}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := exec.LookPath(tc.argv[0]); err != nil {
				t.Skipf("%s is not installed", tc.argv[0])
			}
			var stderr bytes.Buffer
			cmd := exec.Command(tc.argv[0], tc.argv[1:]...)
			cmd.Stdout = io.Discard
			cmd.Stderr = &stderr
			// A fixed locale and width, and no pager: the output is a
			// pipe, but MANPAGER may still be set.
			cmd.Env = append(os.Environ(), "LC_ALL=C", "MANWIDTH=80", "MANPAGER=cat", "PAGER=cat")
			err := cmd.Run()
			if err != nil || stderr.Len() > 0 {
				t.Errorf("%s: %v\n%s", strings.Join(tc.argv, " "), err, stderr.String())
			}
		})
	}
}
