package lvsd

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// The man page convention (stated at the top of man/lvsd.8): an option is
// documented by a .TP or .TQ tag line under OPTIONS that shows it as
// \fB\-x\fR or \fB\-\-name\fR. An option merely mentioned in running text
// does not count, so a flag added to flags() without an entry fails.
const manPage = "../../man/lvsd.8"

// manOption is a bold option on a tag line: \fB\-\-test\-start\fR.
var manOption = regexp.MustCompile(`\\fB((?:\\-|[A-Za-z0-9?])+)\\fR`)

// manOptions returns the options on the tag lines of the OPTIONS section,
// as typed ("-c", "--configfile"), with the line each stands on.
func manOptions(t *testing.T) map[string]int {
	t.Helper()
	data, err := os.ReadFile(manPage)
	if err != nil {
		t.Fatal(err)
	}
	opts := map[string]int{}
	section, tag, seen := "", false, false
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, ".SH "):
			section = strings.Trim(strings.TrimPrefix(line, ".SH "), `"`)
			seen = seen || section == "OPTIONS"
			tag = false
			continue
		case line == ".TP" || line == ".TQ":
			tag = true
			continue
		}
		isTag := tag
		tag = false
		if section != "OPTIONS" || !isTag {
			continue
		}
		for _, m := range manOption.FindAllStringSubmatch(line, -1) {
			opt := strings.ReplaceAll(m[1], `\-`, "-")
			if strings.HasPrefix(opt, "-") {
				opts[opt] = i + 1
			}
		}
	}
	if !seen {
		t.Fatalf("%s: no section OPTIONS", manPage)
	}
	return opts
}

// optionName is how a flag's name is typed: -x for one letter, --name
// otherwise.
func optionName(name string) string {
	if len(name) == 1 {
		return "-" + name
	}
	return "--" + name
}

// Every flag of lvsd, and each alias, has an entry in lvsd(8), and the
// page documents no option lvsd does not have.
func TestManPageDocumentsEveryFlag(t *testing.T) {
	opts := manOptions(t)
	known := map[string]bool{}
	for _, f := range flags() {
		for _, name := range f.Names() {
			opt := optionName(name)
			known[opt] = true
			if _, ok := opts[opt]; !ok {
				t.Errorf("option %s is not documented in %s: add \\fB%s\\fR to the tag line of its entry under OPTIONS",
					opt, manPage, strings.ReplaceAll(opt, "-", `\-`))
			}
		}
	}
	for opt, line := range opts {
		if !known[opt] {
			t.Errorf("%s:%d: OPTIONS documents %s, which lvsd does not have", manPage, line, opt)
		}
	}
}
