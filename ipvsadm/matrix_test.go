package ipvsadm

import (
	"fmt"
	"strings"
	"testing"
)

// referenceMatrix is the table of ipvsadm-reference.md §3.1, transcribed
// with its cells as they are there (only the command column shortened),
// kept apart from commandMatrix so that the tests below check the parser
// against the reference and not against itself.
const referenceMatrix = `
| add-service | x | x | + |  |  |  | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |  |  |  | x | x | x | x | x | x | x | x | x | x |
| edit-service | x | x | + |  |  |  | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |  |  |  | x | x | x | x | x | x | x | x | x | x |
| delete-service | x | x | + | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |
| flush | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |
| list |  | 1 | 1 | x | x | x | x | x | x | x | x | x | 1 | 1 |  |  |  |  |  |  |  | x | x | x | x | x | x | x |  | x | x | x | x | x |
| add-server | x | x | + | x | x | x | + |  |  |  |  | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |  |  |  |  |  |
| delete-server | x | x | + | x | x | x | + | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |
| edit-server | x | x | + | x | x | x | + |  |  |  |  | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |  |  |  |  |  |
| set | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |
| start-daemon | x | x | x | x | x | x | x | x | x | x | x |  | x | x | x | x | x | x | x |  | x | x | x | x |  |  |  |  | x | x | x | x | x | x |
| stop-daemon | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |  | x | x | x | x | x | x | x | x | x | x | x | x | x | x |
| restore | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |
| save |  | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |
| zero | x | x |  | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x | x |
`

// matrixCommands gives, for each command name of the reference, its
// command and the words that select it.
var matrixCommands = map[string]struct {
	cmd  Cmd
	head string
}{
	"add-service":    {CmdAddService, "-A"},
	"edit-service":   {CmdEditService, "-E"},
	"delete-service": {CmdDelService, "-D"},
	"flush":          {CmdFlush, "-C"},
	"list":           {CmdList, "-L"},
	"add-server":     {CmdAddServer, "-a"},
	"delete-server":  {CmdDelServer, "-d"},
	"edit-server":    {CmdEditServer, "-e"},
	"set":            {CmdSet, "--set 1 2 3"},
	"start-daemon":   {CmdStartDaemon, "--start-daemon master"},
	"stop-daemon":    {CmdStopDaemon, "--stop-daemon master"},
	"restore":        {CmdRestore, "-R"},
	"save":           {CmdSave, "-S"},
	"zero":           {CmdZero, "-Z"},
}

// matrixFragments set exactly one option each, with a valid value, by bit
// index.
var matrixFragments = [numOpts]string{
	"-n", "-c", "-t 10.0.0.1:80", "-s rr", "-p",
	"-M 255.255.255.0", "-r 1.1.1.1", "-m", "-w 2", "-x 1",
	"-y 1", "--mcast-interface eth1", "--timeout", "--daemon", "--stats",
	"--rate", "--thresholds", "--persistent-conn", "--nosort", "--syncid 1",
	"--exact", "-o", "--pe sip", "-b flag-1", "--mcast-group 224.0.0.81",
	"--mcast-port 8848", "--mcast-ttl 1", "--sync-maxlen 1400", "--tun-info", "--tun-type ipip",
	"--tun-port 1", "--tun-nocsum", "--tun-csum", "--tun-remcsum",
}

// parseReferenceMatrix returns the reference's rows by command name, as
// 34 cells with ' ' for an empty one.
func parseReferenceMatrix(t *testing.T) map[string]string {
	t.Helper()
	rows := map[string]string{}
	for _, line := range strings.Split(strings.TrimSpace(referenceMatrix), "\n") {
		cells := strings.Split(line, "|")
		cells = cells[1 : len(cells)-1] // outside the outer bars
		name := strings.Fields(cells[0])[0]
		var row strings.Builder
		for _, c := range cells[1:] {
			c = strings.TrimSpace(c)
			if c == "" {
				c = " "
			}
			row.WriteString(c)
		}
		if row.Len() != numOpts {
			t.Fatalf("reference row %s has %d cells", name, row.Len())
		}
		rows[name] = row.String()
	}
	if len(rows) != len(matrixCommands) {
		t.Fatalf("reference has %d rows, want %d", len(rows), len(matrixCommands))
	}
	return rows
}

func TestMatrixTable(t *testing.T) {
	for name, row := range parseReferenceMatrix(t) {
		want := strings.ReplaceAll(row, " ", string(cellOptional))
		if got := commandMatrix[matrixCommands[name].cmd]; got != want {
			t.Errorf("%s:\n got %s\nwant %s", name, got, want)
		}
	}
}

// isMatrixMessage reports whether text is one of the three matrix
// messages for the command named cmd.
func isMatrixMessage(text, cmd string) bool {
	suffix := fmt.Sprintf(" the '%s' command", cmd)
	return strings.HasSuffix(text, suffix) &&
		(strings.HasPrefix(text, "You need to supply") || strings.HasPrefix(text, "Illegal '") || strings.HasPrefix(text, "The option '"))
}

// TestMatrix drives Parse through every cell of the reference matrix:
// each '+' left out, each 'x' added, each blank and '1' added alone, and
// each pair of '1's (in reverse command-line order, since the matrix goes
// by bit order).
func TestMatrix(t *testing.T) {
	for name, row := range parseReferenceMatrix(t) {
		mc := matrixCommands[name]
		// base gives the command and its required options, leaving out
		// bit skip (-1 for none).
		base := func(skip int) string {
			words := []string{mc.head}
			for i := 0; i < numOpts; i++ {
				if row[i] == '+' && i != skip {
					words = append(words, matrixFragments[i])
				}
			}
			return strings.Join(words, " ")
		}
		for i := 0; i < numOpts; i++ {
			opt := optionNames[i]
			var line, want string
			switch row[i] {
			case '+':
				line = base(i)
				want = fmt.Sprintf("You need to supply the '%s' option for the '%s' command", opt, name)
			case 'x':
				line = base(-1) + " " + matrixFragments[i]
				want = fmt.Sprintf("Illegal '%s' option with the '%s' command", opt, name)
			case ' ', '1':
				line = base(-1) + " " + matrixFragments[i]
			}
			t.Run(fmt.Sprintf("%s/%s/%c", name, opt, row[i]), func(t *testing.T) {
				_, err := Parse(argv(line), parseTestResolver{})
				switch {
				case want != "":
					if err == nil || err.Error() != want {
						t.Errorf("%s: got %v, want %q", line, err, want)
					}
				case err != nil && isMatrixMessage(err.Error(), name):
					t.Errorf("%s: unexpected matrix error %q", line, err)
				}
			})
		}
		for i := 0; i < numOpts; i++ {
			for j := i + 1; j < numOpts; j++ {
				if row[i] != '1' || row[j] != '1' {
					continue
				}
				line := base(-1) + " " + matrixFragments[j] + " " + matrixFragments[i]
				want := fmt.Sprintf("The option '%s' conflicts with the '%s' option in the '%s' command", optionNames[j], optionNames[i], name)
				t.Run(fmt.Sprintf("%s/%s+%s", name, optionNames[i], optionNames[j]), func(t *testing.T) {
					_, err := Parse(argv(line), parseTestResolver{})
					if err == nil || err.Error() != want {
						t.Errorf("%s: got %v, want %q", line, err, want)
					}
				})
			}
		}
	}
}

// TestMatrixFirstViolation: with several violations, the lowest bit wins,
// whatever the command-line order.
func TestMatrixFirstViolation(t *testing.T) {
	for _, tc := range []struct{ line, want string }{
		{"-C --tun-remcsum -n", "Illegal 'numeric' option with the 'flush' command"},
		{"-D --nosort -s rr", "You need to supply the 'service-address' option for the 'delete-service' command"},
		{"-D -t 10.0.0.1:80 --nosort -s rr", "Illegal 'scheduler' option with the 'delete-service' command"},
		{"-L --daemon --timeout -c -t 10.0.0.1:80", "The option 'service-address' conflicts with the 'connection' option in the 'list' command"},
		{"-L --daemon --timeout -s rr", "Illegal 'scheduler' option with the 'list' command"},
		{"-L --tun-type gue --daemon --timeout", "The option 'daemon' conflicts with the 'timeout' option in the 'list' command"},
	} {
		_, err := Parse(argv(tc.line), parseTestResolver{})
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s: got %v, want %q", tc.line, err, tc.want)
		}
	}
}

// TestTunnelMatrix drives the tunnel-type table of reference §3.3.5.
func TestTunnelMatrix(t *testing.T) {
	reference := map[string]string{ // tun-port, tun-nocsum, tun-csum, tun-remcsum
		"ipip": "xxxx",
		"gue":  "+111",
		"gre":  "x11x",
	}
	cols := []int{30, 31, 32, 33}
	for typ, row := range reference {
		base := "-a -t 10.0.0.1:80 -r 1.1.1.1 -i --tun-type " + typ
		required := ""
		for k, c := range row {
			if c == '+' {
				required += " " + matrixFragments[cols[k]]
			}
		}
		for k, c := range row {
			opt := optionNames[cols[k]]
			var line, want string
			switch c {
			case '+':
				line = base
				want = fmt.Sprintf("You need to supply the '%s' option for the '%s' tunnel type", opt, typ)
			case 'x':
				line = base + required + " " + matrixFragments[cols[k]]
				want = fmt.Sprintf("Illegal '%s' option with the '%s' tunnel type", opt, typ)
			case '1':
				line = base + required + " " + matrixFragments[cols[k]]
			}
			_, err := Parse(argv(line), parseTestResolver{})
			if want == "" && err != nil || want != "" && (err == nil || err.Error() != want) {
				t.Errorf("%s: got %v, want %q", line, err, want)
			}
		}
		for k := range row {
			for l := k + 1; l < len(row); l++ {
				if row[k] != '1' || row[l] != '1' {
					continue
				}
				line := base + required + " " + matrixFragments[cols[l]] + " " + matrixFragments[cols[k]]
				want := fmt.Sprintf("The option '%s' conflicts with the '%s' option in the '%s' tunnel type",
					optionNames[cols[l]], optionNames[cols[k]], typ)
				_, err := Parse(argv(line), parseTestResolver{})
				if err == nil || err.Error() != want {
					t.Errorf("%s: got %v, want %q", line, err, want)
				}
			}
		}
	}
}

// TestOptionTable checks the option table's invariants: unique names, and
// one option name per bit matching what the duplicate check prints.
func TestOptionTable(t *testing.T) {
	shorts, longs := map[byte]bool{}, map[string]bool{}
	bits := Opt(0)
	for _, o := range optionTable {
		if o.short != 0 {
			if shorts[o.short] {
				t.Errorf("short -%c twice", o.short)
			}
			shorts[o.short] = true
		}
		if o.long != "" {
			if longs[o.long] {
				t.Errorf("long --%s twice", o.long)
			}
			longs[o.long] = true
		}
		if (o.cmd != CmdNone) == (o.bit != 0) {
			if o.cmd != CmdNone || (o.long != "sort" && o.long != "ipv6") {
				t.Errorf("-%c/--%s: cmd %d bit %#x", o.short, o.long, o.cmd, o.bit)
			}
		}
		bits |= o.bit
	}
	if bits != Opt(1)<<numOpts-1 {
		t.Errorf("options cover bits %#x", bits)
	}
	for i, fragment := range matrixFragments {
		line := "-L " + fragment + " " + fragment
		want := fmt.Sprintf("multiple '%s' options specified", optionNames[i])
		_, err := Parse(argv(line), parseTestResolver{})
		if err == nil || err.Error() != want {
			t.Errorf("%s: got %v, want %q", line, err, want)
		}
	}
}
