package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/txtar"
)

// formatVersion goes into every golden's inputs digest: bump it when the
// generated form changes, so that the freshness test asks for a
// regeneration.
const formatVersion = 1

// connTable stands in for /proc/net/ip_vs_conn in every golden: nothing
// flows through the lab's tables, so the kernel's connection table is
// empty and the file is its title line only (ip_vs_conn_seq_show).
const connTable = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"

// Names the golden uses for its own sections.
const (
	connSection  = "ip_vs_conn" // the file LVSKIT_TEST_CONN names
	emptySection = "empty"
)

// inputs is everything a golden is made from.
type inputs struct {
	Scenario *scenario
	Raw      []byte            // the scenario file
	Fixtures map[string][]byte // scenarios/fixtures/NAME, those the scenario uses
	Upstream map[int]*result   // upstream's dumped transcript, by line
	Ours     map[int]*result   // ours
}

// fixturesUsed returns the names of the fixtures a scenario feeds on
// stdin, sorted.
func fixturesUsed(sc *scenario) []string {
	var names []string
	for _, it := range sc.Items {
		if it.Kind == itemCommand && it.Stdin == stdinFixture && !slices.Contains(names, it.Source) {
			names = append(names, it.Source)
		}
	}
	sort.Strings(names)
	return names
}

// digest is the inputs digest a golden records: the scenario file, the
// fixtures it uses, the special cases that apply to it and the format
// version. The recorded outputs are not part of it: they come from a lab
// run and are checked by running the golden.
func digest(sc *scenario, raw []byte, fixtures map[string][]byte) string {
	h := sha256.New()
	fmt.Fprintf(h, "diffgolden format %d\n", formatVersion)
	fmt.Fprintf(h, "scenario %s %d\n", sc.Name, len(raw))
	h.Write(raw)
	for _, name := range fixturesUsed(sc) {
		fmt.Fprintf(h, "fixture %s %d\n", name, len(fixtures[name]))
		h.Write(fixtures[name])
	}
	rules := rulesFor(sc.Name)
	lines := make([]int, 0, len(rules))
	for n := range rules {
		lines = append(lines, n)
	}
	sort.Ints(lines)
	for _, n := range lines {
		fmt.Fprintf(h, "rule %s\n", rules[n])
	}
	for _, it := range sc.Items {
		if it.Kind == itemSetup {
			m := setups[it.Text]
			fmt.Fprintf(h, "setup %q %q %q\n", it.Text, m.Cmds, m.Why)
		}
	}
	return hex.EncodeToString(h.Sum(nil))
}

// digestRE finds the digest line in a golden.
var digestRE = regexp.MustCompile(`(?m)^# inputs: sha256 ([0-9a-f]{64})$`)

// markerRE matches what txtar would take for a file marker.
var markerRE = regexp.MustCompile(`(?m)^-- .* --$`)

// golden builds the text of one golden script.
type golden struct {
	in       inputs
	rules    map[int]lineRule
	script   bytes.Buffer
	files    []txtar.File
	names    map[string]bool // section names in use
	trimmed  map[string]bool // sections whose final newline is removed already
	saved    map[string]bool // >@NAME seen
	commands int
	stepEnd  bool           // the script's last line ends a step
	reasons  map[string]int // special-case reasons given so far: first line
}

// generate returns the golden script of a scenario.
func generate(in inputs) ([]byte, error) {
	sc := in.Scenario
	g := &golden{
		in:      in,
		rules:   rulesFor(sc.Name),
		names:   map[string]bool{},
		trimmed: map[string]bool{},
		saved:   map[string]bool{},
		reasons: map[string]int{},
	}
	if err := checkRules(sc, g.rules); err != nil {
		return nil, err
	}
	g.header()
	if err := g.addFile(connSection, []byte(connTable)); err != nil {
		return nil, err
	}
	if err := g.addFile(emptySection, nil); err != nil {
		return nil, err
	}
	for _, it := range sc.Items {
		var err error
		if g.stepEnd && it.Kind != itemBlank {
			// A blank line after every step; a scenario comment stays
			// next to the step it explains.
			g.printf("\n")
		}
		g.stepEnd = it.Kind == itemSetup || it.Kind == itemCommand
		switch it.Kind {
		case itemComment:
			g.printf("%s\n", it.Text)
		case itemBlank:
			g.printf("\n")
		case itemSameNamespace:
			g.printf("# @same-namespace: in the lab both sides ran in one network namespace.\n")
		case itemSetup:
			err = g.setup(it)
		case itemCommand:
			err = g.command(it)
		}
		if err != nil {
			return nil, fmt.Errorf("%s.txt:%d: %w", sc.Name, it.Line, err)
		}
	}
	if g.commands == 0 {
		return nil, fmt.Errorf("%s: no command lines", sc.Name)
	}
	for side, res := range map[string]map[int]*result{"upstream": in.Upstream, "ours": in.Ours} {
		for n := range res {
			if !slices.ContainsFunc(sc.Items, func(it item) bool {
				return it.Line == n && (it.Kind == itemCommand || it.Kind == itemSetup)
			}) {
				return nil, fmt.Errorf("%s: the %s transcript has line %d, which the scenario does not run", sc.Name, side, n)
			}
		}
	}
	return txtar.Format(&txtar.Archive{Comment: g.script.Bytes(), Files: g.files}), nil
}

func (g *golden) printf(format string, args ...any) {
	fmt.Fprintf(&g.script, format, args...)
}

// note explains a special case in a comment, wrapped; a reason given
// before is referred to by its first line.
func (g *golden) note(line int, what, why string) {
	if first, ok := g.reasons[why]; ok {
		g.printf("# (%s: as on line %d)\n", what, first)
		return
	}
	g.reasons[why] = line
	text := "(" + what + ": " + strings.TrimSpace(why) + ")"
	const width = 76
	var l string
	for _, w := range strings.Fields(text) {
		if l != "" && len(l)+1+len(w) > width {
			g.printf("# %s\n", l)
			l = ""
		}
		if l != "" {
			l += " "
		}
		l += w
	}
	g.printf("# %s\n", l)
}

// generatedLine starts every golden.
const generatedLine = "# Code generated by testscripts/internal/diffgolden. DO NOT EDIT.\n"

func (g *golden) header() {
	name := g.in.Scenario.Name
	g.printf(generatedLine+`#
# Scenario %[1]s of the ipvsadm differential test
# (testscripts/vm/ipvsadm-diff/scenarios/%[1]s.txt), replayed with our
# ipvsadm against the fake table. Every command line expects the stdout,
# stderr and exit status that upstream ipvsadm 1.31 had on Debian's 6.1
# kernel in the kernel lab, except the lines marked "#@ ID" (deliberate
# differences, expected-differences.txt), which expect what ours did there.
# Regenerate with "make goldens-upstream"; the freshness test of
# testscripts/internal/diffgolden fails while the scenario, its fixtures or
# the generator's special cases differ from what this file was made from.
# inputs: sha256 %[2]s
#
# "cmp stdout empty" checks that there was no output at all ("! stdout ."
# would miss a lone newline); "chomp FILE" removes the final newline that
# txtar adds to every file, where the recorded bytes had none; %[3]s
# stands in for /proc/net/ip_vs_conn: no traffic flows in the lab, so the
# connection table is empty.

`, name, digest(g.in.Scenario, g.in.Raw, g.in.Fixtures), connSection)
}

// addFile adds a txtar section. Sections are extracted into $WORK.
func (g *golden) addFile(name string, data []byte) error {
	if g.names[name] {
		return fmt.Errorf("section %s twice", name)
	}
	if markerRE.Match(data) {
		return fmt.Errorf("section %s holds a line that txtar would read as a file marker", name)
	}
	g.names[name] = true
	g.files = append(g.files, txtar.File{Name: name, Data: data})
	return nil
}

// chomp removes the final newline of a section where its bytes have none
// (txtar ends every file with one), once.
func (g *golden) chomp(name string, data []byte) {
	if len(data) > 0 && data[len(data)-1] != '\n' && !g.trimmed[name] {
		g.printf("chomp %s\n", name)
		g.trimmed[name] = true
	}
}

func (g *golden) setup(it item) error {
	m, ok := setups[it.Text]
	if !ok {
		return fmt.Errorf("setup line %q: the generator has no mapping for it (special.go)", it.Text)
	}
	for side, res := range map[string]map[int]*result{"upstream": g.in.Upstream, "ours": g.in.Ours} {
		r, err := lookup(res, it, side)
		if err != nil {
			return err
		}
		if r.Exit != 0 || len(r.Stdout) > 0 || len(r.Stderr) > 0 {
			return fmt.Errorf("setup line failed on the %s side (exit %d)", side, r.Exit)
		}
	}
	g.printf("# line %d: %s\n", it.Line, it.Text)
	g.note(it.Line, "setup", m.Why)
	for _, c := range m.Cmds {
		g.printf("%s\n", c)
	}
	return nil
}

// lookup finds a line's result and checks that the transcript ran the
// line the scenario has there.
func lookup(res map[int]*result, it item, side string) (*result, error) {
	r, ok := res[it.Line]
	if !ok {
		return nil, fmt.Errorf("the %s transcript has no block for this line", side)
	}
	if r.Header != it.header() {
		return nil, fmt.Errorf("the %s transcript ran %q here, the scenario has %q", side, r.Header, it.header())
	}
	return r, nil
}

func (g *golden) command(it item) error {
	g.commands++
	up, err := lookup(g.in.Upstream, it, "upstream")
	if err != nil {
		return err
	}
	ours, err := lookup(g.in.Ours, it, "ours")
	if err != nil {
		return err
	}
	want := up
	g.printf("# line %d: %s\n", it.Line, it.Text)
	if it.ID != "" {
		// A deliberate difference: the lab did not compare these outputs
		// (or anything, where upstream crashes); the golden holds ours
		// to what it did there.
		want = ours
		g.printf("# (expected difference %s: what our ipvsadm did in the lab)\n", it.ID)
	}
	if want.Exit > 128 && want.Exit < 255 {
		return fmt.Errorf("exit status %d: killed by a signal in the lab", want.Exit)
	}
	rule, special := g.rules[it.Line]
	if special {
		g.note(it.Line, string(rule.Mode), rule.Why)
	}

	switch it.Stdin {
	case stdinFixture:
		data, ok := g.in.Fixtures[it.Source]
		if !ok {
			return fmt.Errorf("no fixture %s", it.Source)
		}
		if !g.names[it.Source] {
			if err := g.addFile(it.Source, data); err != nil {
				return err
			}
		}
		g.chomp(it.Source, data)
		g.printf("stdin %s\n", it.Source)
	case stdinHeredoc:
		name := fmt.Sprintf("line%d.stdin", it.Line)
		if err := g.addFile(name, it.Input); err != nil {
			return err
		}
		g.printf("stdin %s\n", name)
	case stdinSaved:
		if !g.saved[it.Source] {
			return fmt.Errorf("< @%s before any >@%s", it.Source, it.Source)
		}
		g.printf("stdin saved.%s\n", it.Source)
	}

	argv := []string{"status", strconv.Itoa(want.Exit), "ipvsadm"}
	for _, a := range it.Args {
		q, err := quoteWord(a)
		if err != nil {
			return err
		}
		argv = append(argv, q)
	}
	g.printf("%s\n", strings.Join(argv, " "))

	if special {
		if err := g.compareSpecial(it, rule, want); err != nil {
			return err
		}
	} else if err := g.compare(it, "stdout", want.Stdout); err != nil {
		return err
	}
	if err := g.compare(it, "stderr", want.Stderr); err != nil {
		return err
	}
	if it.Save != "" {
		// The lab feeds a side's own saved output back, and so does the
		// golden: the cmp above has checked it is upstream's.
		g.printf("cp stdout saved.%s\n", it.Save)
		g.saved[it.Save] = true
	}
	return nil
}

// compare checks one output stream exactly.
func (g *golden) compare(it item, stream string, data []byte) error {
	if len(data) == 0 {
		g.printf("cmp %s %s\n", stream, emptySection)
		return nil
	}
	name := fmt.Sprintf("line%d.%s", it.Line, stream)
	if err := g.addFile(name, data); err != nil {
		return err
	}
	g.chomp(name, data)
	g.printf("cmp %s %s\n", stream, name)
	return nil
}

// compareSpecial checks stdout as a special-case rule says.
func (g *golden) compareSpecial(it item, r lineRule, want *result) error {
	switch r.Mode {
	case modeAnyServiceOrder:
		// Only a listing with more than one group can come in another
		// order; a rule on anything else is a mistake.
		if serviceLines(want.Stdout) < 2 {
			return fmt.Errorf("rule %s: the recorded stdout is not a listing of several services", r)
		}
		name := fmt.Sprintf("line%d.stdout", it.Line)
		if err := g.addFile(name, want.Stdout); err != nil {
			return err
		}
		g.chomp(name, want.Stdout)
		g.printf("cmpgroups stdout %s\n", name)
		return nil
	}
	return fmt.Errorf("rule %s: unknown mode %q", r, r.Mode)
}

// serviceLines counts the service lines of a listing, in -L or -S form.
func serviceLines(out []byte) int {
	n := 0
	for _, l := range strings.Split(string(out), "\n") {
		for _, p := range []string{"TCP ", "UDP ", "SCTP ", "FWM ", "-A "} {
			if strings.HasPrefix(l, p) {
				n++
			}
		}
	}
	return n
}
