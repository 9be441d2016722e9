package sendarp

import (
	"testing"

	"lvskit/internal/mancheck"
)

// man/send_arp.8 follows the convention of internal/mancheck: options on
// tag lines under OPTIONS.
const manPage = "../man/send_arp.8"

// Every option of send_arp has an entry in send_arp(8), and the page
// documents no option send_arp does not have. send_arp's command line is
// parsed by hand (see parseArgs), so its options come from the parser's
// own table rather than from urfave/cli flags, which mancheck.Flags
// takes.
func TestManpageDocumentsEveryOption(t *testing.T) {
	documented := map[string]int{}
	for word, line := range mancheck.Tags(t, manPage, "OPTIONS") {
		if len(word) > 1 && word[0] == '-' {
			documented[word] = line
		}
	}
	known := map[string]bool{}
	for _, o := range options {
		known[o.name] = true
		if _, ok := documented[o.name]; !ok {
			t.Errorf("option %s is not documented in %s: add an entry with it on its tag line under OPTIONS", o.name, manPage)
		}
	}
	for opt, line := range documented {
		if !known[opt] {
			t.Errorf("%s:%d: OPTIONS documents %s, which send_arp does not have", manPage, line, opt)
		}
	}
}

func TestManpageRendersCleanly(t *testing.T) { mancheck.Renders(t, manPage) }
