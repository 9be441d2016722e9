package ipvsadm

import (
	"math/bits"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// completionScript is the bash completion that make install installs
// (README, "Installing"). These tests keep it in step with the option
// table and the matrix, so that an option added to the parser cannot be
// forgotten there.
const completionScript = "../dist/bash-completion/ipvsadm"

// optionNamesOf returns the names of row as typed: "-s", "--scheduler".
func optionNamesOf(o optionSpec) []string {
	var names []string
	if o.short != 0 {
		names = append(names, "-"+string(o.short))
	}
	if o.long != "" {
		names = append(names, "--"+o.long)
	}
	return names
}

// TestCompletionNamesEveryOption reads the script: every short and long
// name of the option table must stand in it as a word of its own.
func TestCompletionNamesEveryOption(t *testing.T) {
	data, err := os.ReadFile(completionScript)
	if err != nil {
		t.Fatal(err)
	}
	text := string(data)
	for _, o := range optionTable {
		for _, name := range optionNamesOf(o) {
			re := regexp.MustCompile(`(^|[\s'"|(])` + regexp.QuoteMeta(name) + `($|[\s'")|=*])`)
			if !re.MatchString(text) {
				t.Errorf("%s: %s is not listed", completionScript, name)
			}
		}
	}
}

// complete runs the completion function in bash for each line (the
// cursor at its end, bash's default COMP_WORDBREAKS unless breaks is
// given) and returns the replies of each.
func complete(t *testing.T, breaks string, lines ...string) [][]string {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("bash is not installed")
	}
	const harness = `set -f
. "$1" || exit 1
[ -n "$2" ] && COMP_WORDBREAKS=$2
while IFS= read -r line; do
	COMP_LINE=$line COMP_POINT=${#line}
	COMP_WORDS=($line) COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
	[[ -z $line || $line == *' ' ]] && COMP_WORDS+=("") && COMP_CWORD=$((COMP_CWORD + 1))
	COMPREPLY=()
	_ipvsadm
	printf '%s\n' "${COMPREPLY[*]}"
done`
	if breaks == "" {
		breaks = " \t\n\"'><=;|&(:"
	}
	cmd := exec.Command(bash, "--norc", "--noprofile", "-c", harness, "harness", completionScript, breaks)
	cmd.Stdin = strings.NewReader(strings.Join(lines, "\n") + "\n")
	cmd.Env = append(os.Environ(), "_IPVSADM_PROC_FILE=/nonexistent")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("bash: %v", err)
	}
	got := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(got) != len(lines) {
		t.Fatalf("bash answered %d lines for %d", len(got), len(lines))
	}
	replies := make([][]string, len(got))
	for i, l := range got {
		replies[i] = strings.Fields(l)
		slices.Sort(replies[i])
	}
	return replies
}

// legalOptions is what the completion must offer after cmd: the names
// of every option whose matrix cell for cmd is not illegal, -6 where a
// service may be given, --sort (which ipvsadm takes anywhere as a
// no-op) after -L only.
func legalOptions(cmd Cmd) []string {
	var want []string
	if int(cmd) >= len(commandMatrix) {
		return nil
	}
	row := commandMatrix[cmd]
	serviceOK := row[bits.TrailingZeros64(uint64(OptService))] != cellIllegal
	for _, o := range optionTable {
		if o.cmd != CmdNone {
			continue
		}
		var ok bool
		switch {
		case o.bit != 0:
			ok = row[bits.TrailingZeros64(uint64(o.bit))] != cellIllegal
		case o.long == "ipv6":
			ok = serviceOK
		case o.long == "sort":
			ok = cmd == CmdList
		default:
			panic("option without a bit: " + o.long)
		}
		if ok {
			want = append(want, optionNamesOf(o)...)
		}
	}
	slices.Sort(want)
	return want
}

// TestCompletionFollowsMatrix completes the first word (the commands)
// and, after each name of each command, the options: exactly those the
// matrix allows.
func TestCompletionFollowsMatrix(t *testing.T) {
	var allCommands []string
	lines := []string{"ipvsadm ", "ipvsadm -"}
	var wants [][]string
	for _, o := range optionTable {
		if o.cmd == CmdNone {
			continue
		}
		allCommands = append(allCommands, optionNamesOf(o)...)
		for _, name := range optionNamesOf(o) {
			if o.arg == argRequired { // --start-daemon and --stop-daemon
				name += " master"
			}
			lines = append(lines, "ipvsadm "+name+" -")
			wants = append(wants, legalOptions(o.cmd))
		}
	}
	slices.Sort(allCommands)
	got := complete(t, "", lines...)
	for i, g := range got[:2] {
		if !slices.Equal(g, allCommands) {
			t.Errorf("%q: got %q, want the commands %q", lines[i], g, allCommands)
		}
	}
	for i, want := range wants {
		if g := got[i+2]; !slices.Equal(g, want) {
			t.Errorf("%q: got %q, want %q", lines[i+2], g, want)
		}
	}
}

// TestCompletionValues checks the values offered after the options that
// take a name from a fixed set, against the parser's own sets.
func TestCompletionValues(t *testing.T) {
	schedFlags := func(sched string) []string {
		var names []string
		for _, f := range schedFlagTable {
			if f.sched == "" || f.sched == sched {
				names = append(names, f.name)
			}
		}
		slices.Sort(names)
		return names
	}
	// The schedulers the help text names (-s is not validated: the
	// kernel loads ip_vs_NAME).
	m := regexp.MustCompile(`--scheduler NAME +([a-z ]+);`).FindStringSubmatch(usage)
	if m == nil {
		t.Fatal("no scheduler list in the help text")
	}
	helpScheds := strings.Fields(m[1])
	tunnels := slices.Clone(tunnelTypeNames[:])
	slices.Sort(tunnels)

	cases := []struct {
		line string
		want []string // exactly
		has  []string // at least
	}{
		{line: "ipvsadm -A -t 192.0.2.1:80 --sch", want: []string{"--sched-flags", "--scheduler"}},
		{line: "ipvsadm -A -t 192.0.2.1:80 -s ", has: helpScheds},
		{line: "ipvsadm -E -t 192.0.2.1:80 --scheduler ", has: helpScheds},
		{line: "ipvsadm -A -t 192.0.2.1:80 --scheduler=wl", want: []string{"wlc"}},
		{line: "ipvsadm -A -t 192.0.2.1:80 -b ", want: schedFlags("wlc")},
		{line: "ipvsadm -A -t 192.0.2.1:80 -s sh -b ", want: schedFlags("sh")},
		{line: "ipvsadm -A -t 192.0.2.1:80 --scheduler=mh --sched-flags ", want: schedFlags("mh")},
		{line: "ipvsadm -A -t 192.0.2.1:80 -s sh -b sh-port,sh-", want: []string{"sh-port,sh-fallback"}},
		{line: "ipvsadm -A -t 192.0.2.1:80 --pe ", want: []string{"sip"}},
		{line: "ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -i --tun-type ", want: tunnels},
		{line: "ipvsadm --start-daemon ", want: []string{"backup", "master"}},
		{line: "ipvsadm --stop-daemon b", want: []string{"backup"}},
		// Each option once; a service, -c, --timeout and --daemon are
		// one choice of -L.
		{line: "ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -m -w 2 --w", want: nil},
		{line: "ipvsadm -a -t 192.0.2.1:80 -r 10.0.0.1 -m -", has: []string{"-x", "--tun-type"}},
		{line: "ipvsadm -L -n --timeout --", want: []string{"--exact", "--ipv6", "--nosort", "--persistent-conn", "--rate", "--sort", "--stats", "--syncid", "--thresholds", "--tun-info"}},
		// Only commands come first; --set takes numbers, not options.
		{line: "ipvsadm --sch", want: nil},
		{line: "ipvsadm --set 10 ", want: nil},
	}
	lines := make([]string, len(cases))
	for i, c := range cases {
		lines[i] = c.line
	}
	for _, breaks := range []string{"", " \t\n"} {
		got := complete(t, breaks, lines...)
		for i, c := range cases {
			g := got[i]
			if c.has != nil {
				for _, h := range c.has {
					if !slices.Contains(g, h) {
						t.Errorf("%q (COMP_WORDBREAKS %q): %q missing from %q", c.line, breaks, h, g)
					}
				}
				continue
			}
			// With '=' in COMP_WORDBREAKS bash replaces what follows it
			// ("wlc"); without, the whole word ("--scheduler=wlc").
			want := slices.Clone(c.want)
			word := c.line[strings.LastIndex(c.line, " ")+1:]
			if eq := strings.Index(word, "="); eq >= 0 && breaks != "" {
				for k := range want {
					want[k] = word[:eq+1] + want[k]
				}
			}
			if !slices.Equal(g, want) && !(len(g) == 0 && len(want) == 0) {
				t.Errorf("%q (COMP_WORDBREAKS %q): got %q, want %q", c.line, breaks, g, want)
			}
		}
	}
}
