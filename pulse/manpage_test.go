package pulse

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"unicode"

	"lvskit/internal/mancheck"
)

// man/pulse.8 follows the convention of internal/mancheck: options on
// tag lines under OPTIONS; log messages, in bold, on the tag lines of
// LOG MESSAGES.
const manPage = "../man/pulse.8"

// Every flag of pulse, and each alias (--fos too, hidden from --help),
// has an entry in pulse(8), and the page documents no option pulse
// does not have.
func TestManPageDocumentsEveryFlag(t *testing.T) {
	mancheck.Flags(t, manPage, "pulse", (&Env{}).command().AllFlags())
}

func TestManPageRendersCleanly(t *testing.T) { mancheck.Renders(t, manPage) }

// Every message the page lists under LOG MESSAGES is one pulse can log:
// each bold part of a tag line (the italic parts are placeholders) is
// part of a string of pulse's source, its %-verbs standing for
// anything. A message reworded in the code and not in the page fails.
func TestManPageLogMessagesExist(t *testing.T) {
	lits := sourceStrings(t)
	n := 0
	for _, e := range logTags(t) {
		for _, frag := range e.bold {
			frag = strings.TrimSpace(frag)
			if frag == "" {
				continue
			}
			n++
			if !inSource(frag, lits) {
				t.Errorf("%s:%d: LOG MESSAGES lists %q, which pulse's source does not have", manPage, e.line, frag)
			}
		}
	}
	if n < 40 {
		t.Errorf("%s: only %d bold parts under LOG MESSAGES: is the section parsed?", manPage, n)
	}
}

type logTag struct {
	line int
	bold []string
}

// logTags returns the bold parts of the tag lines under LOG MESSAGES.
func logTags(t *testing.T) []logTag {
	data, err := os.ReadFile(manPage)
	if err != nil {
		t.Fatal(err)
	}
	var tags []logTag
	section, tag := "", false
	for i, line := range strings.Split(string(data), "\n") {
		switch {
		case strings.HasPrefix(line, ".SH "):
			section = strings.Trim(strings.TrimPrefix(line, ".SH "), `"`)
			tag = false
			continue
		case line == ".TP" || line == ".TQ":
			tag = true
			continue
		}
		isTag := tag
		tag = false
		if section != "LOG MESSAGES" || !isTag {
			continue
		}
		tags = append(tags, logTag{line: i + 1, bold: boldParts(line)})
	}
	return tags
}

// boldParts returns the bold text of one roff line: the arguments of
// .B, the alternate arguments of .BR and .BI, or \fB...\fR in text;
// inside them \fI...\fP is not bold.
func boldParts(line string) []string {
	var parts []string
	add := func(s string, bold bool) {
		// Track font changes inside the text.
		for len(s) > 0 {
			i := strings.Index(s, `\f`)
			if i < 0 || i+2 >= len(s) {
				if bold {
					parts = append(parts, unescape(s))
				}
				return
			}
			if bold && i > 0 {
				parts = append(parts, unescape(s[:i]))
			}
			switch s[i+2] {
			case 'B', 'P':
				bold = true
			default:
				bold = false
			}
			s = s[i+3:]
		}
	}
	macro, rest, _ := strings.Cut(line, " ")
	args := roffArgs(rest)
	switch macro {
	case ".B":
		add(strings.Join(args, " "), true)
	case ".BR", ".BI":
		for i, a := range args {
			add(a, i%2 == 0)
		}
	default:
		add(line, false)
	}
	return parts
}

// roffArgs splits a macro's arguments, double quotes grouping.
func roffArgs(s string) []string {
	var args []string
	for s = strings.TrimLeft(s, " "); s != ""; s = strings.TrimLeft(s, " ") {
		if s[0] == '"' {
			end := strings.Index(s[1:], `"`)
			if end < 0 {
				args = append(args, s[1:])
				break
			}
			args = append(args, s[1:end+1])
			s = s[end+2:]
			continue
		}
		word, after, _ := strings.Cut(s, " ")
		args = append(args, word)
		s = after
	}
	return args
}

func unescape(s string) string {
	return strings.NewReplacer(`\-`, "-", `\e`, `\`, `\(lq`, `"`, `\(rq`, `"`, `\&`, "").Replace(s)
}

// sourceStrings returns the string literals of pulse's non-test source.
func sourceStrings(t *testing.T) []string {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	var lits []string
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, parser.SkipObjectResolution)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.BasicLit:
				if s, ok := stringLit(n); ok {
					lits = append(lits, s)
				}
			case *ast.BinaryExpr:
				// who + " inactive: activating lvs": a string built
				// with +, whatever is not a literal printing anything.
				if s, ok := concat(n); ok {
					lits = append(lits, s)
				}
			}
			return true
		})
	}
	return lits
}

func stringLit(e ast.Expr) (string, bool) {
	lit, ok := e.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := strconv.Unquote(lit.Value)
	return s, err == nil
}

// concat flattens a + b + ... that has a string literal in it, with
// "%v" for what is not one.
func concat(e *ast.BinaryExpr) (string, bool) {
	if e.Op != token.ADD {
		return "", false
	}
	var out string
	lit := false
	var walk func(ast.Expr)
	walk = func(x ast.Expr) {
		if b, ok := x.(*ast.BinaryExpr); ok && b.Op == token.ADD {
			walk(b.X)
			walk(b.Y)
			return
		}
		if s, ok := stringLit(x); ok {
			out += s
			lit = true
			return
		}
		out += "%v"
	}
	walk(e)
	return out, lit
}

var verb = regexp.MustCompile(`%[-+# 0-9.]*[a-zA-Z]`)

// inSource reports whether frag is part of what some literal can
// print, a %-verb printing anything.
func inSource(frag string, lits []string) bool {
	for _, lit := range lits {
		fixed := verb.Split(lit, -1)
		if letters(strings.Join(fixed, "")) < 4 {
			continue // "%v", "%s: %w": these print anything
		}
		for _, f := range fixed {
			if strings.Contains(f, frag) {
				return true
			}
		}
		// frag runs from a suffix of fixed[i], through whatever the
		// verbs print and the fixed parts between, to a prefix of
		// fixed[j]. It starts and ends in fixed text (unless the
		// literal starts or ends with a verb), and most of it must be
		// fixed text: "partner " and anything is no message.
		for i := 0; i < len(fixed); i++ {
			for j := i + 1; j < len(fixed); j++ {
				expr := "^" + suffixes(fixed[i]) + "((?s:.*?))"
				for _, mid := range fixed[i+1 : j] {
					expr += regexp.QuoteMeta(mid) + "((?s:.*?))"
				}
				expr += prefixes(fixed[j]) + "$"
				m := regexp.MustCompile(expr).FindStringSubmatch(frag)
				if m == nil {
					continue
				}
				printed := 0
				for _, g := range m[1:] {
					printed += len(g)
				}
				if 2*printed < len(frag) {
					return true
				}
			}
		}
	}
	return false
}

func letters(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) {
			n++
		}
	}
	return n
}

// suffixes is a regular expression that matches every suffix of s but
// the empty one; for an empty s, the empty string.
func suffixes(s string) string {
	expr := ""
	for _, r := range s {
		expr = "(?:" + expr + ")?" + regexp.QuoteMeta(string(r))
	}
	return expr
}

// prefixes is a regular expression that matches every prefix of s but
// the empty one; for an empty s, the empty string.
func prefixes(s string) string {
	rs := []rune(s)
	expr := ""
	for i := len(rs) - 1; i >= 0; i-- {
		expr = regexp.QuoteMeta(string(rs[i])) + "(?:" + expr + ")?"
	}
	return expr
}

// The matcher itself: parts of what a format can print, and only those.
func TestInSource(t *testing.T) {
	lits := []string{"STARTING PULSE AS %s", "heartbeat from %s rejected: %v", "partner alive (", "lvsd (pid %d) exited",
		"%v", "%s: %w", "%s (%s)"}
	for frag, want := range map[string]bool{
		"STARTING PULSE AS MASTER":    true,
		"heartbeat from":              true,
		"rejected: forged":            true,
		"from 10.0.0.1 rejected":      true,
		"partner alive (":             true,
		") exited":                    true,
		"lvsd (pid 1) exited":         true,
		"STARTING PULSE AT":           false,
		"partner alive (active)":      false,
		"heartbeat rejected":          false,
		"lvsd exited":                 false,
		"partner gone: activating":    false,
		"rejected: forged by someone": false,
	} {
		if got := inSource(frag, lits); got != want {
			t.Errorf("inSource(%q) = %v, want %v", frag, got, want)
		}
	}
	for line, want := range map[string][]string{
		`.B "partner dead: activating lvs"`:                           {"partner dead: activating lvs"},
		`.BR "a \-\- b" ", " "c"`:                                     {"a -- b", "c"},
		`.BI "heartbeat from " address " rejected: " "reason " ( x )`: {"heartbeat from ", " rejected: ", "(", ")"},
		`.BI "in " file`:                                              {"in "},
		`.B "set x in \fIfile\fP now"`:                                {"set x in ", " now"},
		`\fBplain\fR text`:                                            {"plain"},
	} {
		got := boldParts(line)
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("boldParts(%s) = %q, want %q", line, got, want)
		}
	}
}
