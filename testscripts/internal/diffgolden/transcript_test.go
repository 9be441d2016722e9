package main

import (
	"slices"
	"testing"
)

func TestParseTranscript(t *testing.T) {
	data := `=== line 4: ipvsadm -Ln
--- stdout
IP Virtual Server version 1.2.1 (size=4096)

--- exit 0
=== line 5: ipvsadm -A -f 0
--- stderr
Zero firewall mark
--- exit 2
=== line 7: ! ip link add eth0 type dummy
--- exit 0
=== line 9: ipvsadm -R
[stdin <<EOF]
--- stdout
partial
\ no newline at end of stdout
--- stderr
--- stdout
\ no newline at end of stderr
--- exit 255
=== line 10: ipvsadm -h
[stdout and stderr not compared: help-text]
--- stdout
--- stdout
--- exit 0
`
	got, err := parseTranscript([]byte(data))
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]result{
		4:  {Header: "=== line 4: ipvsadm -Ln", Stdout: []byte("IP Virtual Server version 1.2.1 (size=4096)\n\n")},
		5:  {Header: "=== line 5: ipvsadm -A -f 0", Stderr: []byte("Zero firewall mark\n"), Exit: 2},
		7:  {Header: "=== line 7: ! ip link add eth0 type dummy"},
		9:  {Header: "=== line 9: ipvsadm -R", Notes: []string{"[stdin <<EOF]"}, Stdout: []byte("partial"), Stderr: []byte("--- stdout"), Exit: 255},
		10: {Header: "=== line 10: ipvsadm -h", Notes: []string{"[stdout and stderr not compared: help-text]"}, Stdout: []byte("--- stdout\n")},
	}
	if len(got) != len(want) {
		t.Fatalf("got %d blocks, want %d", len(got), len(want))
	}
	for n, w := range want {
		g := got[n]
		if g == nil || g.Header != w.Header || !slices.Equal(g.Notes, w.Notes) || string(g.Stdout) != string(w.Stdout) ||
			string(g.Stderr) != string(w.Stderr) || g.Exit != w.Exit {
			t.Errorf("line %d: got %+v, want %+v", n, g, w)
		}
	}
}

// An output that contains an exit line ends its section early; the
// block that follows is then malformed, which is an error.
func TestParseTranscriptErrors(t *testing.T) {
	for _, data := range []string{
		"=== line 1: ipvsadm\n--- exit 0",
		"garbage\n",
		"=== line 1: ipvsadm\n",
		"=== line 1: ipvsadm\n--- stdout\n--- exit 0\n",
		"=== line 1: ipvsadm\n--- exit x\n",
		"=== line 1: ipvsadm\n--- exit 0\n=== line 1: ipvsadm\n--- exit 0\n",
		"=== line 1: ipvsadm -h\n[not compared at all: x]\n=== line 2: ipvsadm\n--- exit 0\n",
		"=== line 1: ipvsadm\n--- stdout\n--- exit 0\nmore\n--- exit 0\n",
	} {
		if got, err := parseTranscript([]byte(data)); err == nil {
			t.Errorf("parseTranscript(%q) = %v, want an error", data, got)
		}
	}
}
