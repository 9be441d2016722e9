// Package mancheck holds the tests that keep lvskit's man pages in step
// with the tools: every flag has an entry, no entry names a flag the tool
// lacks, and the page renders without a warning.
//
// The convention the pages follow (stated at the top of each): an option
// is documented by a .TP or .TQ tag line under OPTIONS that shows it as
// \fB\-x\fR or \fB\-\-name\fR; other lists (nanny's CHECKS) use tag
// lines the same way. A name merely mentioned in running text does not
// count.
package mancheck

import (
	"bytes"
	"io"
	"os"
	"os/exec"
	"regexp"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

// bold is a bold word on a tag line: \fB\-\-send_program\fR, \fBtcp\fR.
var bold = regexp.MustCompile(`\\fB((?:\\-|[A-Za-z0-9?_])+)\\fR`)

// Tags returns the bold words on the tag lines of section in page, as
// typed ("-c", "--send_str", "tcp"), with the line each stands on.
func Tags(t testing.TB, page, section string) map[string]int {
	t.Helper()
	data, err := os.ReadFile(page)
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
		for _, m := range bold.FindAllStringSubmatch(line, -1) {
			words[strings.ReplaceAll(m[1], `\-`, "-")] = i + 1
		}
	}
	if !seen {
		t.Fatalf("%s: no section %s", page, section)
	}
	return words
}

// Flags checks that every flag, and each alias, has an entry under
// OPTIONS in page, and that the page documents no option tool lacks.
func Flags(t testing.TB, page, tool string, flags []cli.Flag) {
	t.Helper()
	opts := map[string]int{}
	for word, line := range Tags(t, page, "OPTIONS") {
		if strings.HasPrefix(word, "-") {
			opts[word] = line
		}
	}
	known := map[string]bool{}
	for _, f := range flags {
		for _, name := range f.Names() {
			opt := "--" + name
			if len(name) == 1 {
				opt = "-" + name
			}
			known[opt] = true
			if _, ok := opts[opt]; !ok {
				t.Errorf("option %s is not documented in %s: add \\fB%s\\fR to the tag line of its entry under OPTIONS",
					opt, page, strings.ReplaceAll(opt, "-", `\-`))
			}
		}
	}
	for opt, line := range opts {
		if !known[opt] {
			t.Errorf("%s:%d: OPTIONS documents %s, which %s does not have", page, line, opt, tool)
		}
	}
}

// Renders checks that page renders without a warning, with groff's
// warnings all on and as man(1) shows it. groff reports some errors on
// standard error and still exits 0, so any output there fails. Each
// check is skipped where its tool is not installed.
func Renders(t *testing.T, page string) {
	for _, tc := range []struct {
		name string
		argv []string
	}{
		{"groff", []string{"groff", "-man", "-ww", "-z", page}},
		{"man", []string{"man", "-l", page}},
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
			if err := cmd.Run(); err != nil || stderr.Len() > 0 {
				t.Errorf("%s: %v\n%s", strings.Join(tc.argv, " "), err, stderr.String())
			}
		})
	}
}
