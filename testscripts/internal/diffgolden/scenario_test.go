package main

import (
	"slices"
	"strings"
	"testing"
)

func TestParseScenario(t *testing.T) {
	src := `@same-namespace
# A comment.
  	
@noargs
-A -t 10.0.0.1:80 -s rr
-Sn >@saved
-R <<EOF
-A -t 10.0.0.2:80
# kept, like the blank line
  
EOF
-R < @saved
-R <@saved
-R < rules.txt #@ help-text
-Sn >@a <<END #@ some-id  
x
END
! ip link add eth0 type dummy
-A -t '10.0.0.2: 444'`
	sc, err := parseScenario("99-test", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	type want struct {
		kind   itemKind
		line   int
		args   []string
		stdin  stdinKind
		source string
		input  string
		save   string
		id     string
	}
	wants := []want{
		{kind: itemSameNamespace, line: 1},
		{kind: itemComment, line: 2},
		{kind: itemBlank, line: 3},
		{kind: itemCommand, line: 4},
		{kind: itemCommand, line: 5, args: []string{"-A", "-t", "10.0.0.1:80", "-s", "rr"}},
		{kind: itemCommand, line: 6, args: []string{"-Sn"}, save: "saved"},
		{kind: itemCommand, line: 7, args: []string{"-R"}, stdin: stdinHeredoc, source: "EOF",
			input: "-A -t 10.0.0.2:80\n# kept, like the blank line\n  \n"},
		{kind: itemCommand, line: 12, args: []string{"-R"}, stdin: stdinSaved, source: "saved"},
		{kind: itemCommand, line: 13, args: []string{"-R"}, stdin: stdinSaved, source: "saved"},
		{kind: itemCommand, line: 14, args: []string{"-R"}, stdin: stdinFixture, source: "rules.txt", id: "help-text"},
		{kind: itemCommand, line: 15, args: []string{"-Sn"}, stdin: stdinHeredoc, source: "END", input: "x\n", save: "a", id: "some-id"},
		{kind: itemSetup, line: 18},
		{kind: itemCommand, line: 19, args: []string{"-A", "-t", "10.0.0.2: 444"}},
	}
	if len(sc.Items) != len(wants) {
		t.Fatalf("got %d items, want %d: %+v", len(sc.Items), len(wants), sc.Items)
	}
	for i, w := range wants {
		it := sc.Items[i]
		if it.Kind != w.kind || it.Line != w.line || !slices.Equal(it.Args, w.args) || it.Stdin != w.stdin ||
			it.Source != w.source || string(it.Input) != w.input || it.Save != w.save || it.ID != w.id {
			t.Errorf("item %d = %+v, want %+v", i, it, w)
		}
	}
	if !sc.Items[3].NoArgs || sc.Items[3].header() != "=== line 4: ipvsadm" {
		t.Errorf("@noargs: %+v, header %q", sc.Items[3], sc.Items[3].header())
	}
	// The header is what run.sh prints: the command without its suffixes.
	if h := sc.Items[10].header(); h != "=== line 15: ipvsadm -Sn" {
		t.Errorf("header %q", h)
	}
	if h := sc.Items[11].header(); h != "=== line 18: ! ip link add eth0 type dummy" {
		t.Errorf("setup header %q", h)
	}
}

func TestParseScenarioErrors(t *testing.T) {
	for _, src := range []string{
		"",
		"-R <<EOF\n-A -t 10.0.0.1:80\n",
		"-R <<E-F\nE-F",
		"-R <<\n",
		"-Sn >@",
		"-Sn >@a.b",
		"-L #@ ",
		"-L #@ a b",
		"-R < ",
		"-R < a/b",
		"@bogus",
		"-A -t $X",
	} {
		if _, err := parseScenario("x", []byte(src)); err == nil {
			t.Errorf("parseScenario(%q): no error", src)
		} else if !strings.HasPrefix(err.Error(), "x") {
			t.Errorf("parseScenario(%q): error %q does not name the scenario", src, err)
		}
	}
}
