package main

import (
	"slices"
	"testing"
)

func TestSplitWords(t *testing.T) {
	for _, tc := range []struct {
		line string
		want []string
	}{
		{"-A -t 10.0.0.1:80 -s rr", []string{"-A", "-t", "10.0.0.1:80", "-s", "rr"}},
		{"  -L\t-n  ", []string{"-L", "-n"}},
		{"-A -f ''", []string{"-A", "-f", ""}},
		{"--set 080 +90 ' 70'", []string{"--set", "080", "+90", " 70"}},
		{"-b 'flag-1 flag-2'", []string{"-b", "flag-1 flag-2"}},
		{"-s 'r'r", []string{"-s", "rr"}},
		{`-s "r r" a\ b \'`, []string{"-s", "r r", "a b", "'"}},
		{`"a\"b\\c\d"`, []string{`a"b\c\d`}},
		// Pathname expansion is off and busybox sh has no braces.
		{"-A -t [::1]:80 *? {a,b}", []string{"-A", "-t", "[::1]:80", "*?", "{a,b}"}},
		// # and ~ are only special at the start of a word.
		{"a#b c~", []string{"a#b", "c~"}},
		{"''", []string{""}},
		{"", nil},
	} {
		got, err := splitWords(tc.line)
		if err != nil {
			t.Errorf("splitWords(%q): %v", tc.line, err)
			continue
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("splitWords(%q) = %q, want %q", tc.line, got, tc.want)
		}
	}
}

func TestSplitWordsRefuses(t *testing.T) {
	for _, line := range []string{
		"-A 'x", `-A "x`, `-A x\`,
		"-A $HOME", `-A "$HOME"`, "-A `id`", `-A "` + "`id`" + `"`,
		"-A; -C", "-A && -C", "-A | x", "-A > f", "-A < f", "-A (x)",
		"-A ~root", "-A #comment",
	} {
		if got, err := splitWords(line); err == nil {
			t.Errorf("splitWords(%q) = %q, want an error", line, got)
		}
	}
}

// tsParse is testscript's command-line parser (go-internal
// testscript.(*TestScript).parse) without environment expansion, which
// quoteWord avoids by quoting every $.
func tsParse(line string) []string {
	var (
		args   []string
		arg    string
		start  = -1
		quoted = false
	)
	for i := 0; ; i++ {
		if !quoted && (i >= len(line) || line[i] == ' ' || line[i] == '\t' || line[i] == '\r' || line[i] == '#') {
			if start >= 0 {
				arg += line[start:i]
				args = append(args, arg)
				start = -1
				arg = ""
			}
			if i >= len(line) || line[i] == '#' {
				break
			}
			continue
		}
		if i >= len(line) {
			return nil // unterminated quote
		}
		if line[i] == '\'' {
			if !quoted {
				if start >= 0 {
					arg += line[start:i]
				}
				start = i + 1
				quoted = true
				continue
			}
			if i+1 < len(line) && line[i+1] == '\'' {
				arg += line[start:i]
				start = i + 1
				i++
				continue
			}
			arg += line[start:i]
			start = i + 1
			quoted = false
			continue
		}
		if start < 0 {
			start = i
		}
	}
	return args
}

func TestQuoteWordRoundTrip(t *testing.T) {
	words := []string{
		"-A", "10.0.0.1:80", "[::1]:80", "", " 70", "a b", "it's", "''", "'",
		"a#b", "#", "$HOME", "${/}", "tab\there", "cr\rhere", "x'y'z", "-b", "flag-1,flag-2",
	}
	var line string
	for _, w := range words {
		q, err := quoteWord(w)
		if err != nil {
			t.Fatalf("quoteWord(%q): %v", w, err)
		}
		if got := tsParse("status 0 ipvsadm " + q); !slices.Equal(got, []string{"status", "0", "ipvsadm", w}) {
			t.Errorf("quoteWord(%q) = %s, which testscript reads as %q", w, q, got)
		}
		line += " " + q
	}
	if got := tsParse("ipvsadm" + line); !slices.Equal(got[1:], words) {
		t.Errorf("all words on one line read back as %q", got[1:])
	}
	for _, w := range []string{"-A", "10.0.0.1:80", "[::1]:80", "+90"} {
		if q, _ := quoteWord(w); q != w {
			t.Errorf("quoteWord(%q) = %s, want it unquoted", w, q)
		}
	}
	if _, err := quoteWord("a\nb"); err == nil {
		t.Error("quoteWord accepted a newline")
	}
}
