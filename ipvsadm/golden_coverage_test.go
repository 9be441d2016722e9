package ipvsadm

import (
	"bytes"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"net/netip"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"lvskit/internal/ipvs"
	"lvskit/internal/ipvs/fake"
)

// goldenDir holds the golden scripts, searched recursively.
const goldenDir = "../testscripts/testdata"

// keyNoArgs is the key of ipvsadm run without arguments, which Parse
// turns into a bare list.
const keyNoArgs = "(no arguments)"

// exemptMessages are message sites that no command line can reach, by
// their text, with the reason. An exemption that matches no site fails
// the test, so the list cannot go stale.
var exemptMessages = map[string]string{
	"no command specified": "exec's default case: Parse never returns a Command without a command",
}

// otherErrno stands for every errno ipvsadm has no text of its own for,
// whose message is the C library's: ERANGE is one the kernel returns
// (l_threshold above u_threshold). It cannot be derived: the set is
// open.
const otherErrno = syscall.ERANGE

// initMethod is the Table method Env.Run calls first for every command;
// its failure ("Can't initialize ipvs") does not depend on the command,
// so each of its messages is needed once, not per command.
const initMethod = "Info"

// TestGoldenCoverage makes "the testscript goldens cover every command,
// option, listing format and error message" checkable. It reads every
// testscripts/testdata/**/*.txtar and fails, naming what is missing,
// unless:
//
//   - options: every short and long name of optionTable is used in some
//     ipvsadm command line of a script (a direct exec or a line of -R
//     input);
//   - commands: every command of optionTable is run, each list mode (the
//     exclusive '1' columns of the command's commandMatrix row) on its
//     own, and ipvsadm without arguments;
//   - listings: every option -L accepts (by commandMatrix, plus the
//     options without a matrix bit) is used in a successful -L whose
//     stdout is compared, and every list mode is so compared with and
//     without -n;
//   - messages: every message site of the package's source (parseFail, an
//     Error's Text, a write to Stderr) is in an expected stderr (a file a
//     script compares with cmp or cmpenv), its format read as a pattern
//     in which a %s of user input matches any text and a table
//     (optionName, poptMessages, ...) stands for each of its entries;
//   - matrix: every message of the command/option matrix and of the
//     tunnel-type matrix that a command line can reach is in an expected
//     stderr; they are made by calling checkMatrix and checkTunnel for
//     every cell of commandMatrix and tunnelMatrix;
//   - kernel: every kernel failure message, per command and list mode, is
//     in an expected stderr of a golden run of that command and mode.
//     Each command is run (a command line taken from the goldens) against
//     a fake table that fails each Table method it calls with each errno
//     of ctxMessages and anyMessages and one errno without a text of
//     ipvsadm's own, and against a kernel without IPVS. A failing Info,
//     the start of every run, is needed once, not per command.
//
// Nothing is listed by hand except what cannot be derived, each with its
// reason where it is declared: exemptMessages (sites no command line
// reaches; a stale one fails), otherErrno, initMethod, matrixFuncs, the
// tables a message may index (sourceEval.tables; a message indexing
// another one fails the test), and the -n axis of the listing check.
//
// Messages are matched as whole lines of an expected output, from the
// start of a line; the kernel simulation runs with the privileges the
// golden wiring has (Env.Privileged), as a script cannot change them.
func TestGoldenCoverage(t *testing.T) {
	g := loadGoldens(t)
	res := &SystemResolver{
		HostsPath:    filepath.Join(goldenDir, "hosts"),
		ServicesPath: filepath.Join(goldenDir, "services"),
	}

	t.Run("options", func(t *testing.T) { checkOptionNames(t, g) })
	t.Run("commands", func(t *testing.T) { checkCommands(t, g) })
	t.Run("listings", func(t *testing.T) { checkListings(t, g) })
	t.Run("messages", func(t *testing.T) { checkMessageSites(t, g) })
	t.Run("matrix", func(t *testing.T) { checkMatrixMessages(t, g) })
	t.Run("kernel", func(t *testing.T) { checkKernelMessages(t, g, res) })
}

// ---------------------------------------------------------------------
// The golden scripts.

// goldenRun is one ipvsadm command line of a script.
type goldenRun struct {
	pos       string   // file:line
	argv      []string // argv[0] is "ipvsadm"
	inRestore bool     // a line of -R input, not a command of the script
	ok        bool     // run with exec (not "! exec") or "status 0"
	// outputs are the expected contents the script compares the run's
	// stdout and stderr with, by stream.
	outputs map[string][]string
}

type goldens struct {
	files int
	runs  []*goldenRun
}

func loadGoldens(t *testing.T) *goldens {
	t.Helper()
	g := &goldens{}
	err := filepath.WalkDir(goldenDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(path, ".txtar") {
			return nil
		}
		a, err := txtar.ParseFile(path)
		if err != nil {
			return err
		}
		g.files++
		g.addScript(path, a)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if g.files == 0 || len(g.runs) == 0 {
		t.Fatalf("no golden scripts with ipvsadm runs under %s", goldenDir)
	}
	return g
}

// addScript reads the script of one archive as testscript does: a
// "stdin" file feeds the next exec, "cmp" and "cmpenv" compare the
// last exec's output with a file of the archive.
func (g *goldens) addScript(path string, a *txtar.Archive) {
	files := map[string]string{}
	for _, f := range a.Files {
		files[f.Name] = string(f.Data)
	}
	var last *goldenRun
	stdin := ""
	for i, line := range strings.Split(string(a.Comment), "\n") {
		args := scriptWords(line)
		for len(args) > 0 && strings.HasPrefix(args[0], "[") {
			args = args[1:] // a condition
		}
		neg := false
		if len(args) > 0 && (args[0] == "!" || args[0] == "?") {
			neg = args[0] == "!"
			args = args[1:]
		}
		if len(args) == 0 {
			continue
		}
		switch args[0] {
		case "stdin":
			if len(args) == 2 {
				stdin = args[1]
			}
		case "exec", "status":
			prog, rest, ok := "", []string(nil), !neg
			switch {
			case args[0] == "exec" && len(args) >= 2:
				prog, rest = args[1], args[2:]
			case args[0] == "status" && len(args) >= 3:
				prog, rest, ok = args[2], args[3:], args[1] == "0"
			}
			last = nil
			if prog == "ipvsadm" {
				r := &goldenRun{
					pos:     fmt.Sprintf("%s:%d", filepath.Base(path), i+1),
					argv:    append([]string{"ipvsadm"}, rest...),
					ok:      ok,
					outputs: map[string][]string{},
				}
				g.runs = append(g.runs, r)
				last = r
				if cmdOf(r.argv) == CmdRestore {
					g.addRestoreLines(r.pos, files[stdin])
				}
			}
			stdin = ""
		case "cmp", "cmpenv":
			if last != nil && len(args) == 3 && (args[1] == "stdout" || args[1] == "stderr") {
				if data, ok := files[args[2]]; ok {
					last.outputs[args[1]] = append(last.outputs[args[1]], data)
				}
			}
		}
	}
}

// addRestoreLines adds the command lines of -R input, split as restore
// splits them.
func (g *goldens) addRestoreLines(pos, input string) {
	for _, line := range strings.Split(input, "\n") {
		argv := []string{"ipvsadm"}
		for _, w := range strings.FieldsFunc(line, func(c rune) bool {
			return c == ' ' || c == '\t' || c == '\r' || c == '\n'
		}) {
			if w != "ipvsadm" {
				argv = append(argv, w)
			}
		}
		if len(argv) > 1 {
			g.runs = append(g.runs, &goldenRun{pos: pos + " (-R input)", argv: argv, inRestore: true, outputs: map[string][]string{}})
		}
	}
}

// scriptWords splits a script line as testscript does: blanks separate
// words, single quotes quote (a doubled one inside stands for itself),
// an unquoted # ends the line. Environment variables are left
// unexpanded.
func scriptWords(line string) []string {
	var words []string
	var cur strings.Builder
	inWord, quoted := false, false
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case quoted && c == '\'':
			if i+1 < len(line) && line[i+1] == '\'' {
				cur.WriteByte('\'')
				i++
			} else {
				quoted = false
			}
		case quoted:
			cur.WriteByte(c)
		case c == '\'':
			quoted, inWord = true, true
		case c == ' ' || c == '\t' || c == '\r' || c == '#':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
			if c == '#' {
				return words
			}
		default:
			cur.WriteByte(c)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}

// hasOutput reports whether a run with the given key (any run for "")
// is compared, on stream, with an expected content that re matches.
func (g *goldens) hasOutput(key, stream string, re *regexp.Regexp) bool {
	for _, r := range g.runs {
		if key != "" && runKey(r.argv) != key {
			continue
		}
		for _, out := range r.outputs[stream] {
			if re.MatchString(out) {
				return true
			}
		}
	}
	return false
}

// ---------------------------------------------------------------------
// Command lines, read with the parser's own option table.

// usedOption is an option of a command line and the name it was given by
// ("-t" or "--tcp-service").
type usedOption struct {
	spec *optionSpec
	name string
}

// scanOptions lists the options of argv in order, looked up in
// optionTable as popt does (bundled short options, a value attached or
// in the next word, -p's optional value, "--" ending the options).
// Words that are not options are skipped.
func scanOptions(argv []string) []usedOption {
	var used []usedOption
	takesNext := func(spec *optionSpec, i int) bool {
		if spec.arg == argNone || i+1 >= len(argv) {
			return false
		}
		return spec.arg != argOptional || !strings.HasPrefix(argv[i+1], "-")
	}
	for i := 1; i < len(argv); i++ {
		w := argv[i]
		if w == "--" {
			break
		}
		if strings.HasPrefix(w, "--") {
			name, _, hasValue := strings.Cut(w[2:], "=")
			spec := findLong(name)
			if spec == nil {
				continue
			}
			used = append(used, usedOption{spec, "--" + name})
			if !hasValue && takesNext(spec, i) {
				i++
			}
			continue
		}
		if len(w) < 2 || w[0] != '-' {
			continue
		}
		for bundle := w[1:]; bundle != ""; {
			spec := findShort(bundle[0])
			if spec == nil {
				break
			}
			used = append(used, usedOption{spec, "-" + bundle[:1]})
			bundle = bundle[1:]
			if spec.arg != argNone {
				if bundle == "" && takesNext(spec, i) {
					i++
				}
				break
			}
		}
	}
	return used
}

// cmdOf is the command of argv: its first option's, CmdNone if that is
// not a command. Without arguments it is CmdList.
func cmdOf(argv []string) Cmd {
	if len(argv) <= 1 {
		return CmdList
	}
	used := scanOptions(argv)
	if len(used) == 0 {
		return CmdNone
	}
	return used[0].spec.cmd
}

// cmdName is the command's name in ipvsadm's messages, or its long
// option name for -h and -v, which have none.
func cmdName(c Cmd) string {
	if int(c) < len(commandNames) && commandNames[c] != "" {
		return commandNames[c]
	}
	for _, o := range optionTable {
		if o.cmd == c && o.long != "" {
			return o.long
		}
	}
	return "command " + strconv.Itoa(int(c))
}

// matrixRow is c's row of commandMatrix, "" if it has none.
func matrixRow(c Cmd) string {
	if int(c) < len(commandMatrix) {
		return commandMatrix[c]
	}
	return ""
}

// bitIndex is the matrix column of the single option o.
func bitIndex(o Opt) int {
	for i := 0; i < numOpts; i++ {
		if o == Opt(1)<<i {
			return i
		}
	}
	return -1
}

// runKey names what a command line does for the kernel: the command's
// name, then the list mode (the exclusive options of its matrix row)
// given, if any. "" for a line whose first option is not a command.
func runKey(argv []string) string {
	if len(argv) <= 1 {
		return keyNoArgs
	}
	used := scanOptions(argv)
	if len(used) == 0 || used[0].spec.cmd == CmdNone {
		return ""
	}
	c := used[0].spec.cmd
	row := matrixRow(c)
	var modes []string
	for _, u := range used[1:] {
		if b := u.spec.bit; b != 0 && row != "" && row[bitIndex(b)] == cellExclusive {
			modes = append(modes, optionName(b))
		}
	}
	slices.Sort(modes)
	modes = slices.Compact(modes)
	if len(modes) == 0 {
		return cmdName(c)
	}
	return cmdName(c) + " " + strings.Join(modes, "+")
}

// allKeys are the keys every command and list mode must be run with.
func allKeys() []string {
	keys := []string{keyNoArgs}
	seen := map[Cmd]bool{}
	for _, o := range optionTable {
		if o.cmd == CmdNone || seen[o.cmd] {
			continue
		}
		seen[o.cmd] = true
		keys = append(keys, cmdName(o.cmd))
		for i, cell := range matrixRow(o.cmd) {
			if cell == cellExclusive {
				keys = append(keys, cmdName(o.cmd)+" "+optionNames[i])
			}
		}
	}
	return keys
}

func reportMissing(t *testing.T, what string, missing []string) {
	t.Helper()
	if len(missing) > 0 {
		t.Errorf("%d %s missing from the goldens in %s:\n\t%s", len(missing), what, goldenDir, strings.Join(missing, "\n\t"))
	}
}

// ---------------------------------------------------------------------
// (a) Option names.

func checkOptionNames(t *testing.T, g *goldens) {
	used := map[string]bool{}
	for _, r := range g.runs {
		for _, u := range scanOptions(r.argv) {
			used[u.name] = true
		}
	}
	var names, missing []string
	for _, o := range optionTable {
		if o.short != 0 {
			names = append(names, "-"+string(o.short))
		}
		if o.long != "" {
			names = append(names, "--"+o.long)
		}
	}
	for _, n := range names {
		if !used[n] {
			missing = append(missing, n)
		}
	}
	if len(names) == 0 {
		t.Fatal("optionTable has no names")
	}
	reportMissing(t, "option names (in no ipvsadm command line)", missing)
}

// ---------------------------------------------------------------------
// (b) Commands and list modes.

func checkCommands(t *testing.T, g *goldens) {
	run := map[string]bool{}
	for _, r := range g.runs {
		if !r.inRestore {
			run[runKey(r.argv)] = true
		}
	}
	var missing []string
	for _, k := range allKeys() {
		if !run[k] {
			missing = append(missing, k)
		}
	}
	reportMissing(t, "commands and list modes (never run directly)", missing)
}

// ---------------------------------------------------------------------
// (d) Listing formats.

// listOptions are the options -L accepts: those whose matrix cell in the
// list row is not illegal, and those without a matrix bit that select no
// command (--sort, -6).
func listOptions() []*optionSpec {
	row := matrixRow(CmdList)
	var specs []*optionSpec
	for i := range optionTable {
		o := &optionTable[i]
		if o.cmd != CmdNone {
			continue
		}
		if o.bit == 0 || row[bitIndex(o.bit)] != cellIllegal {
			specs = append(specs, o)
		}
	}
	return specs
}

func specName(o *optionSpec) string {
	if o.long != "" {
		return "--" + o.long
	}
	return "-" + string(o.short)
}

func checkListings(t *testing.T, g *goldens) {
	// compared reports whether a successful list run with stdout
	// compared satisfies match.
	compared := func(match func(r *goldenRun, used []usedOption) bool) bool {
		for _, r := range g.runs {
			if r.inRestore || !r.ok || len(r.outputs["stdout"]) == 0 || cmdOf(r.argv) != CmdList {
				continue
			}
			if match(r, scanOptions(r.argv)) {
				return true
			}
		}
		return false
	}
	var missing []string
	specs := listOptions()
	if len(specs) == 0 {
		t.Fatal("no list options derived")
	}
	for _, o := range specs {
		if !compared(func(_ *goldenRun, used []usedOption) bool {
			return slices.ContainsFunc(used, func(u usedOption) bool { return u.spec == o })
		}) {
			missing = append(missing, "-L "+specName(o))
		}
	}
	// Every list mode, with names and with -n (addresses and ports are
	// the one formatting axis every mode has; chosen by hand).
	for _, k := range allKeys() {
		if k != keyNoArgs && !strings.HasPrefix(k, cmdName(CmdList)) {
			continue
		}
		for _, numeric := range []bool{false, true} {
			if k == keyNoArgs && numeric {
				continue // no arguments means no -n
			}
			if !compared(func(r *goldenRun, used []usedOption) bool {
				n := slices.ContainsFunc(used, func(u usedOption) bool { return u.spec.bit == OptNumeric })
				return runKey(r.argv) == k && n == numeric
			}) {
				missing = append(missing, fmt.Sprintf("%s (numeric=%v)", k, numeric))
			}
		}
	}
	reportMissing(t, "listings (a successful -L with stdout compared)", missing)
}

// ---------------------------------------------------------------------
// (c) Message sites in the source.

// part is a piece of a message pattern: literal text or any text.
type part struct {
	lit  string
	wild bool
}

type pattern []part

func (p pattern) wildOnly() bool {
	for _, x := range p {
		if !x.wild && strings.Trim(x.lit, "\n") != "" {
			return false
		}
	}
	return true
}

// String is the message with "…" for any text, without its final
// newline.
func (p pattern) String() string {
	var b strings.Builder
	for _, x := range p {
		if x.wild {
			b.WriteString("…")
		} else {
			b.WriteString(x.lit)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// regexp matches the message at the start of a line of an expected
// output, as whole lines: a message printed with its newline must be
// followed by it, one without must end a line.
func (p pattern) regexp() *regexp.Regexp {
	var b strings.Builder
	b.WriteString("(?m)^")
	s := ""
	for _, x := range p {
		if x.wild {
			s += "\x00"
		} else {
			s += x.lit
		}
	}
	for i, chunk := range strings.Split(s, "\x00") {
		if i > 0 {
			b.WriteString(`[^\n]*`)
		}
		b.WriteString(regexp.QuoteMeta(chunk))
	}
	if !strings.HasSuffix(s, "\n") {
		b.WriteString("$")
	}
	return regexp.MustCompile(b.String())
}

func concat(a, b []pattern) []pattern {
	var out []pattern
	for _, x := range a {
		for _, y := range b {
			out = append(out, append(slices.Clone(x), y...))
		}
	}
	return out
}

func literal(s string) []pattern { return []pattern{{{lit: s}}} }
func wildcard() []pattern        { return []pattern{{{wild: true}}} }

// site is a place in the source that prints a message on stderr.
type site struct {
	pos      string
	fn       string // enclosing function
	patterns []pattern
}

// sourceEval turns message expressions of the package's source into
// patterns.
type sourceEval struct {
	t      *testing.T
	consts map[string]string // package-level string constants
	vars   map[string]bool   // package-level variables
	// tables are the package-level string tables a message may index,
	// and, under "optionName", what that function returns.
	tables map[string][]string
}

func nonEmpty(ss []string) []string {
	var out []string
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

func (ev *sourceEval) eval(e ast.Expr) []pattern {
	switch e := e.(type) {
	case *ast.BasicLit:
		if e.Kind == token.STRING {
			if s, err := strconv.Unquote(e.Value); err == nil {
				return literal(s)
			}
		}
	case *ast.ParenExpr:
		return ev.eval(e.X)
	case *ast.BinaryExpr:
		if e.Op == token.ADD {
			return concat(ev.eval(e.X), ev.eval(e.Y))
		}
	case *ast.Ident:
		if s, ok := ev.consts[e.Name]; ok {
			return literal(s)
		}
	case *ast.IndexExpr:
		if id, ok := e.X.(*ast.Ident); ok && ev.vars[id.Name] {
			tab, ok := ev.tables[id.Name]
			if !ok {
				ev.t.Errorf("a message indexes the table %s: teach TestGoldenCoverage its entries (sourceEval.tables)", id.Name)
				return wildcard()
			}
			var out []pattern
			for _, s := range tab {
				out = append(out, literal(s)...)
			}
			return out
		}
	case *ast.CallExpr:
		switch fn := e.Fun.(type) {
		case *ast.Ident:
			if tab, ok := ev.tables[fn.Name]; ok {
				var out []pattern
				for _, s := range tab {
					out = append(out, literal(s)...)
				}
				return out
			}
		case *ast.SelectorExpr:
			if x, ok := fn.X.(*ast.Ident); ok && x.Name == "fmt" && fn.Sel.Name == "Sprintf" && len(e.Args) > 0 {
				return ev.format(e.Args[0], e.Args[1:], e.Ellipsis.IsValid())
			}
		}
	}
	return wildcard()
}

// format is the patterns of a printf call: each verb takes the patterns
// of its argument.
func (ev *sourceEval) format(f ast.Expr, args []ast.Expr, ellipsis bool) []pattern {
	fs := ev.eval(f)
	if len(fs) != 1 || len(fs[0]) != 1 || fs[0][0].wild {
		return wildcard() // not a constant format
	}
	s := fs[0][0].lit
	out := literal("")
	next := 0
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			out = concat(out, literal(s[i:i+1]))
			continue
		}
		j := i + 1
		for j < len(s) && strings.IndexByte("+-# 0123456789.*", s[j]) >= 0 {
			j++
		}
		if j >= len(s) {
			break
		}
		if s[j] == '%' {
			out = concat(out, literal("%"))
		} else if next < len(args) && !(ellipsis && next == len(args)-1) {
			out = concat(out, ev.eval(args[next]))
			next++
		} else {
			out = concat(out, wildcard())
		}
		i = j
	}
	return out
}

// stderrWriter reports whether e is the standard error of an Env or
// runner (x.Stderr) or a variable named stderr.
func stderrWriter(e ast.Expr) bool {
	switch e := e.(type) {
	case *ast.SelectorExpr:
		return e.Sel.Name == "Stderr"
	case *ast.Ident:
		return e.Name == "stderr"
	}
	return false
}

// messageSites finds every place in the package's (non-test) source that
// prints on stderr or builds an Error text, with its patterns. Sites
// that print text made elsewhere (wildcards only) are left out.
func messageSites(t *testing.T) []site {
	t.Helper()
	fset := token.NewFileSet()
	entries, err := os.ReadDir(".")
	if err != nil {
		t.Fatal(err)
	}
	var files []*ast.File
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	ev := &sourceEval{
		t:      t,
		consts: map[string]string{},
		vars:   map[string]bool{},
		tables: map[string][]string{
			"optionName":      nonEmpty(optionNames[:]),
			"optionNames":     nonEmpty(optionNames[:]),
			"commandNames":    nonEmpty(commandNames[:]),
			"poptMessages":    nonEmpty(poptMessages[:]),
			"tunnelTypeNames": nonEmpty(tunnelTypeNames[:]),
		},
	}
	for _, f := range files {
		for _, d := range f.Decls {
			gd, ok := d.(*ast.GenDecl)
			if !ok {
				continue
			}
			for _, s := range gd.Specs {
				vs, ok := s.(*ast.ValueSpec)
				if !ok {
					continue
				}
				for i, n := range vs.Names {
					if gd.Tok == token.VAR {
						ev.vars[n.Name] = true
					}
					if gd.Tok == token.CONST && i < len(vs.Values) {
						if lit, ok := vs.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							s, _ := strconv.Unquote(lit.Value)
							ev.consts[n.Name] = s
						}
					}
				}
			}
		}
	}

	var sites []site
	for _, f := range files {
		for _, d := range f.Decls {
			fd, ok := d.(*ast.FuncDecl)
			if !ok || fd.Body == nil {
				continue
			}
			ast.Inspect(fd.Body, func(n ast.Node) bool {
				var ps []pattern
				switch n := n.(type) {
				case *ast.CallExpr:
					switch fn := n.Fun.(type) {
					case *ast.Ident:
						if fn.Name == "parseFail" && len(n.Args) > 0 {
							// runner.fail prints an Error's text with a
							// newline.
							ps = concat(ev.format(n.Args[0], n.Args[1:], n.Ellipsis.IsValid()), literal("\n"))
						}
					case *ast.SelectorExpr:
						x, ok := fn.X.(*ast.Ident)
						if !ok || x.Name != "fmt" || len(n.Args) < 2 || !stderrWriter(n.Args[0]) {
							break
						}
						switch fn.Sel.Name {
						case "Fprintf":
							ps = ev.format(n.Args[1], n.Args[2:], n.Ellipsis.IsValid())
						case "Fprintln", "Fprint":
							ps = literal("")
							for i, a := range n.Args[1:] {
								if i > 0 && fn.Sel.Name == "Fprintln" {
									ps = concat(ps, literal(" "))
								}
								ps = concat(ps, ev.eval(a))
							}
							if fn.Sel.Name == "Fprintln" {
								ps = concat(ps, literal("\n"))
							}
						}
					}
				case *ast.CompositeLit:
					if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Error" {
						for _, el := range n.Elts {
							if kv, ok := el.(*ast.KeyValueExpr); ok {
								if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Text" {
									ps = concat(ev.eval(kv.Value), literal("\n"))
								}
							}
						}
					}
				}
				var kept []pattern
				for _, p := range ps {
					if !p.wildOnly() {
						kept = append(kept, p)
					}
				}
				if len(kept) > 0 {
					sites = append(sites, site{pos: fset.Position(n.Pos()).String(), fn: fd.Name.Name, patterns: kept})
				}
				return true
			})
		}
	}
	if len(sites) == 0 {
		t.Fatal("no message sites found in the package source")
	}
	return sites
}

// matrixFuncs are the functions whose messages depend on a matrix cell
// and are enumerated by checkMatrixMessages instead.
var matrixFuncs = map[string]bool{"checkRow": true}

func checkMessageSites(t *testing.T, g *goldens) {
	sites := messageSites(t)
	exemptUsed := map[string]bool{}
	var missing []string
	for _, s := range sites {
		if matrixFuncs[s.fn] {
			continue
		}
		for _, p := range s.patterns {
			if reason, ok := exemptMessages[p.String()]; ok {
				exemptUsed[p.String()] = true
				t.Logf("exempt: %q (%s): %s", p.String(), s.pos, reason)
				continue
			}
			if !g.hasOutput("", "stderr", p.regexp()) {
				missing = append(missing, fmt.Sprintf("%q (%s)", p.String(), s.pos))
			}
		}
	}
	for m := range exemptMessages {
		if !exemptUsed[m] {
			t.Errorf("exemptMessages[%q] matches no message site any more: remove it", m)
		}
	}
	reportMissing(t, "messages (in no expected stderr)", missing)
}

// ---------------------------------------------------------------------
// (c) Matrix messages.

// matrixMessages are the messages checkMatrix and checkTunnel give for
// every reachable cell: each required option missing (the others
// given), each illegal option given (with the required ones), each pair
// of exclusive options given together (with the required ones).
func matrixMessages() []string {
	seen := map[string]bool{}
	var msgs []string
	add := func(e *Error) {
		if e != nil && !seen[e.Text] {
			seen[e.Text] = true
			msgs = append(msgs, e.Text)
		}
	}
	walk := func(row string, cols []Opt, check func(Opt) *Error) {
		var required Opt
		for i, cell := range row {
			if cell == cellRequired {
				required |= cols[i]
			}
		}
		for i, cell := range row {
			switch cell {
			case cellRequired:
				add(check(required &^ cols[i]))
			case cellIllegal:
				add(check(required | cols[i]))
			case cellExclusive:
				for j := i + 1; j < len(row); j++ {
					if row[j] == cellExclusive {
						add(check(required | cols[i] | cols[j]))
					}
				}
			}
		}
	}
	for c, row := range commandMatrix {
		if row == "" {
			continue
		}
		walk(row, allOptions, func(o Opt) *Error { return checkMatrix(Cmd(c), o) })
	}
	for tt, row := range tunnelMatrix {
		walk(row, tunnelOptions[:], func(o Opt) *Error { return checkTunnel(ipvs.TunnelType(tt), o) })
	}
	return msgs
}

func checkMatrixMessages(t *testing.T, g *goldens) {
	msgs := matrixMessages()
	if len(msgs) == 0 {
		t.Fatal("no matrix messages enumerated")
	}
	// Each matrix template of the source must have been enumerated.
	for _, s := range messageSites(t) {
		if !matrixFuncs[s.fn] {
			continue
		}
		found := false
		for _, p := range s.patterns {
			re := p.regexp()
			for _, m := range msgs {
				if re.MatchString(m + "\n") {
					found = true
				}
			}
		}
		if !found {
			t.Errorf("%s: no enumerated matrix message comes from this site", s.pos)
		}
	}
	var missing []string
	for _, m := range msgs {
		if !g.hasOutput("", "stderr", literalRegexp(m+"\n")) {
			missing = append(missing, strconv.Quote(m))
		}
	}
	t.Logf("%d matrix messages", len(msgs))
	reportMissing(t, "matrix messages (in no expected stderr)", missing)
}

// literalRegexp matches text as whole lines of an expected output.
func literalRegexp(text string) *regexp.Regexp {
	return pattern{{lit: text}}.regexp()
}

// ---------------------------------------------------------------------
// (c) Kernel failures per command.

// probeTable passes every call to a fake table, records the method
// called, and fails the method failAt with errno. It implements every
// Table method by hand, so a new method fails to compile here until it
// is probed too.
type probeTable struct {
	tb     ipvs.Table
	calls  *[]string
	failAt string
	errno  syscall.Errno
}

var _ ipvs.Table = (*probeTable)(nil)

func (p *probeTable) hit(m string) error {
	*p.calls = append(*p.calls, m)
	if m == p.failAt {
		return p.errno
	}
	return nil
}

func (p *probeTable) Info() (ipvs.Info, error) {
	if err := p.hit("Info"); err != nil {
		return ipvs.Info{}, err
	}
	return p.tb.Info()
}

func (p *probeTable) Services() ([]ipvs.Service, error) {
	if err := p.hit("Services"); err != nil {
		return nil, err
	}
	return p.tb.Services()
}

func (p *probeTable) Service(k ipvs.ServiceKey) (ipvs.Service, error) {
	if err := p.hit("Service"); err != nil {
		return ipvs.Service{}, err
	}
	return p.tb.Service(k)
}

func (p *probeTable) AddService(s ipvs.Service) error {
	if err := p.hit("AddService"); err != nil {
		return err
	}
	return p.tb.AddService(s)
}

func (p *probeTable) EditService(s ipvs.Service) error {
	if err := p.hit("EditService"); err != nil {
		return err
	}
	return p.tb.EditService(s)
}

func (p *probeTable) DelService(k ipvs.ServiceKey) error {
	if err := p.hit("DelService"); err != nil {
		return err
	}
	return p.tb.DelService(k)
}

func (p *probeTable) Flush() error {
	if err := p.hit("Flush"); err != nil {
		return err
	}
	return p.tb.Flush()
}

func (p *probeTable) ZeroAll() error {
	if err := p.hit("ZeroAll"); err != nil {
		return err
	}
	return p.tb.ZeroAll()
}

func (p *probeTable) ZeroService(k ipvs.ServiceKey) error {
	if err := p.hit("ZeroService"); err != nil {
		return err
	}
	return p.tb.ZeroService(k)
}

func (p *probeTable) Dests(k ipvs.ServiceKey) ([]ipvs.Dest, error) {
	if err := p.hit("Dests"); err != nil {
		return nil, err
	}
	return p.tb.Dests(k)
}

// ListDests fails only when it has a service to dump, as a kernel's
// dump can only fail then.
func (p *probeTable) ListDests(keys []ipvs.ServiceKey, each func(int, []ipvs.Dest) error) error {
	if len(keys) > 0 {
		if err := p.hit("ListDests"); err != nil {
			return err
		}
	}
	return p.tb.ListDests(keys, each)
}

func (p *probeTable) AddDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	if err := p.hit("AddDest"); err != nil {
		return err
	}
	return p.tb.AddDest(k, d)
}

func (p *probeTable) EditDest(k ipvs.ServiceKey, d ipvs.Dest) error {
	if err := p.hit("EditDest"); err != nil {
		return err
	}
	return p.tb.EditDest(k, d)
}

func (p *probeTable) DelDest(k ipvs.ServiceKey, dk ipvs.DestKey) error {
	if err := p.hit("DelDest"); err != nil {
		return err
	}
	return p.tb.DelDest(k, dk)
}

func (p *probeTable) Timeouts() (ipvs.Timeouts, error) {
	if err := p.hit("Timeouts"); err != nil {
		return ipvs.Timeouts{}, err
	}
	return p.tb.Timeouts()
}

func (p *probeTable) SetTimeouts(to ipvs.Timeouts) error {
	if err := p.hit("SetTimeouts"); err != nil {
		return err
	}
	return p.tb.SetTimeouts(to)
}

func (p *probeTable) Daemons() ([]ipvs.Daemon, error) {
	if err := p.hit("Daemons"); err != nil {
		return nil, err
	}
	return p.tb.Daemons()
}

func (p *probeTable) StartDaemon(d ipvs.Daemon) error {
	if err := p.hit("StartDaemon"); err != nil {
		return err
	}
	return p.tb.StartDaemon(d)
}

func (p *probeTable) StopDaemon(s ipvs.DaemonState) error {
	if err := p.hit("StopDaemon"); err != nil {
		return err
	}
	return p.tb.StopDaemon(s)
}

func (p *probeTable) Close() error { return p.tb.Close() }

// kernelErrnos are the errnos every kernel call is failed with: those
// ipvsadm has a text for (in some context or in any), and otherErrno.
func kernelErrnos() []syscall.Errno {
	set := map[syscall.Errno]bool{otherErrno: true}
	for _, m := range ctxMessages {
		for e := range m {
			set[e] = true
		}
	}
	for e := range anyMessages {
		set[e] = true
	}
	var out []syscall.Errno
	for e := range set {
		out = append(out, e)
	}
	slices.Sort(out)
	return out
}

// simulation runs command lines against a fresh fake table each time.
type simulation struct {
	t        *testing.T
	res      Resolver
	connPath string
}

// run runs argv on a fake table holding a service (and the service argv
// names), failing the method failAt with errno, or on a kernel without
// IPVS. It returns what was printed on stderr and the methods called.
func (s *simulation) run(argv []string, unavailable bool, failAt string, errno syscall.Errno) (string, []string) {
	ft := fake.New()
	base := ipvs.Service{ServiceKey: ipvs.AddrKey(ipvs.TCP, netip.MustParseAddr("10.0.0.1"), 80), Scheduler: defaultScheduler, Netmask: 0xffffffff}
	if err := ft.AddService(base); err != nil {
		s.t.Fatal(err)
	}
	// The service the command names exists, so that a listing of it
	// goes on to its servers.
	if c, err := Parse(argv, s.res); err == nil && c.Has(OptService) {
		svc := c.Service
		if svc.Scheduler == "" {
			svc.Scheduler = defaultScheduler
		}
		if err := ft.AddService(svc); err != nil && !errors.Is(err, syscall.EEXIST) {
			s.t.Fatalf("%q: seeding the fake with its service: %v", argv, err)
		}
	}
	var calls []string
	probe := &probeTable{tb: ft, calls: &calls, failAt: failAt, errno: errno}
	var stdout, stderr bytes.Buffer
	env := &Env{
		Stdin:  strings.NewReader(""),
		Stdout: &stdout,
		Stderr: &stderr,
		Open: func() (ipvs.Table, error) {
			if unavailable {
				return nil, fmt.Errorf("simulated: %w", ipvs.ErrNotAvailable)
			}
			return probe, nil
		},
		Resolver:   s.res,
		ConnPath:   s.connPath,
		Privileged: true, // as the golden scripts' wiring
	}
	env.Run(argv)
	return stderr.String(), calls
}

// kernelRequirement is a message a command (key) prints when the kernel
// fails it; key "" for the start of any command.
type kernelRequirement struct {
	key, text, how string
}

func kernelRequirements(t *testing.T, g *goldens, res Resolver) []kernelRequirement {
	t.Helper()
	conn := filepath.Join(t.TempDir(), "ip_vs_conn")
	if err := os.WriteFile(conn, []byte("Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sim := &simulation{t: t, res: res, connPath: conn}

	var reqs []kernelRequirement
	seen := map[[2]string]bool{}
	add := func(key, text, how string) {
		if text == "" || seen[[2]string{key, text}] {
			return
		}
		seen[[2]string{key, text}] = true
		reqs = append(reqs, kernelRequirement{key, text, how})
	}
	var noSample []string
	for _, key := range allKeys() {
		argv, from := []string{"ipvsadm"}, "no arguments"
		if key != keyNoArgs {
			argv = nil
			for _, r := range g.runs {
				if !r.inRestore && runKey(r.argv) == key {
					if _, err := Parse(r.argv, res); err == nil {
						argv, from = r.argv, r.pos
						break
					}
				}
			}
			if argv == nil {
				noSample = append(noSample, key)
				continue
			}
		}
		line := fmt.Sprintf("%s (as in %s)", strings.Join(argv, " "), from)
		text, _ := sim.run(argv, true, "", 0)
		add(key, text, fmt.Sprintf("%s: a kernel without IPVS (ipvsfake unavailable)", line))
		_, calls := sim.run(argv, false, "", 0)
		methods := slices.Compact(slices.Sorted(slices.Values(calls)))
		for _, m := range methods {
			for _, e := range kernelErrnos() {
				text, _ := sim.run(argv, false, m, e)
				k := key
				if m == initMethod {
					k = ""
				}
				add(k, text, fmt.Sprintf("%s: %s fails with %s", line, m, fake.ErrnoName(e)))
			}
		}
	}
	reportMissing(t, "commands with no golden command line to simulate (a run that parses)", noSample)
	return reqs
}

func checkKernelMessages(t *testing.T, g *goldens, res Resolver) {
	reqs := kernelRequirements(t, g, res)
	if len(reqs) == 0 {
		t.Fatal("no kernel failure messages enumerated")
	}
	var missing []string
	for _, r := range reqs {
		if !g.hasOutput(r.key, "stderr", literalRegexp(r.text)) {
			key := r.key
			if key == "" {
				key = "any command"
			}
			missing = append(missing, fmt.Sprintf("[%s] %q: %s", key, strings.TrimSuffix(r.text, "\n"), r.how))
		}
	}
	t.Logf("%d kernel failure messages", len(reqs))
	reportMissing(t, "kernel failure messages (in no expected stderr of that command)", missing)
}
