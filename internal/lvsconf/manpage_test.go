package lvsconf

import (
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"
)

// The man page convention (stated at the top of man/lvs.cf.5): in the key
// sections, a key is documented by a .TP or .TQ tag line that shows it as
// \fBkey\fR, or by a table row whose first cell is \fBkey\fR. Keys merely
// mentioned in running text do not count, so a key added to the parser
// without an entry of its own fails this test.
const manPage = "../../man/lvs.cf.5"

// keySections are the sections that document keys, by the scopes whose
// keys they hold. Failover blocks take the keys of virtual blocks, so a
// virtual key may be documented under either.
var keySections = map[string][]scope{
	"GLOBAL KEYS":           {global},
	"VIRTUAL SERVICE KEYS":  {virtualBlock},
	"FAILOVER SERVICE KEYS": {virtualBlock},
	"REAL SERVER KEYS":      {serverBlock},
	"LVSKIT EXTENSIONS":     nil, // the keys of Extensions, whatever their scope
}

var boldWord = regexp.MustCompile(`\\fB([a-z_]+)\\fR`)

// manEntry is one place a key is documented.
type manEntry struct {
	section string
	line    int
	text    string // the tag line or table row
}

// manEntries returns, by key, where the page documents it, and the
// first bold word of every tag line and table row of the key sections.
func manEntries(t *testing.T) (map[string][]manEntry, []manEntry) {
	t.Helper()
	data, err := os.ReadFile(manPage)
	if err != nil {
		t.Fatal(err)
	}
	docs := map[string][]manEntry{}
	var heads []manEntry
	section, tag, table := "", false, false
	seen := map[string]bool{}
	row, rowLine := "", 0 // a table row continued in a T{ text block
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case table && row != "": // inside a T{ text block
			row += "\n" + line
			if !strings.HasPrefix(line, "T}") || strings.HasSuffix(line, "T{") {
				continue
			}
			line, row = row, ""
		case table && strings.HasSuffix(line, "T{"):
			row, rowLine = line, i+1
			continue
		default:
			rowLine = i + 1
		}
		switch {
		case strings.HasPrefix(line, ".SH "):
			section = strings.Trim(strings.TrimPrefix(line, ".SH "), `"`)
			seen[section] = true
			continue
		case line == ".TP" || line == ".TQ":
			tag = true
			continue
		case line == ".TS":
			table = true
			continue
		case line == ".TE":
			table = false
			continue
		}
		isTag := tag
		tag = false
		if _, ok := keySections[section]; !ok {
			continue
		}
		text := ""
		switch {
		case isTag:
			text = line
		case table && strings.Contains(line, "|"):
			text, _, _ = strings.Cut(line, "|")
		default:
			continue
		}
		e := manEntry{section: section, line: rowLine, text: line}
		words := boldWord.FindAllStringSubmatch(text, -1)
		if len(words) > 0 {
			heads = append(heads, manEntry{section: section, line: rowLine, text: words[0][1]})
		}
		for _, w := range words {
			docs[w[1]] = append(docs[w[1]], e)
		}
	}
	for s := range keySections {
		if !seen[s] {
			t.Errorf("%s: no section %q", manPage, s)
		}
	}
	return docs, heads
}

// Every key the parser reads has an entry in lvs.cf(5), in the section
// of its scope, and every extension's table row names its nanny option.
func TestManPageDocumentsEveryKey(t *testing.T) {
	docs, heads := manEntries(t)
	ext := map[string]Extension{}
	for _, e := range Extensions {
		ext[e.Key] = e
	}
	for key, def := range keys {
		var want []string
		if _, ok := ext[key]; ok {
			want = []string{"LVSKIT EXTENSIONS"}
		} else {
			for section, scopes := range keySections {
				for _, s := range scopes {
					if def.in(s) {
						want = append(want, section)
					}
				}
			}
		}
		sort.Strings(want)
		found := false
		for _, e := range docs[key] {
			for _, s := range want {
				found = found || e.section == s
			}
		}
		if !found {
			t.Errorf("key %s (%s) is not documented in %s: add \\fB%s\\fR to the tag line of an entry, or first in a table row, under %s",
				key, def.where(), manPage, key, strings.Join(want, " or "))
		}
	}
	for _, e := range Extensions {
		flag := `\(em`
		if e.NannyFlag != "" {
			flag = strings.ReplaceAll(e.NannyFlag, "-", `\-`)
		}
		ok := false
		for _, d := range docs[e.Key] {
			ok = ok || d.section == "LVSKIT EXTENSIONS" && strings.Contains(d.text, "|"+flag)
		}
		if !ok {
			t.Errorf("extension %s: no table row in %s with its nanny option %s", e.Key, manPage, flag)
		}
	}
	// The converse: an entry for a key the parser no longer reads.
	for _, h := range heads {
		if _, ok := keys[h.text]; !ok {
			t.Errorf("%s:%d: %s documents %s, which is not a key", manPage, h.line, h.section, h.text)
		}
	}
}
