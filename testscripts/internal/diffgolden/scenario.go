package main

import (
	"fmt"
	"strings"
)

// A scenario is an ipvsadm-diff scenario file, read the way run.sh reads
// it (see testscripts/vm/ipvsadm-diff/README.md for the syntax).
type scenario struct {
	Name  string // "05-fwmark"
	Items []item
}

// itemKind says what a scenario line is.
type itemKind int

const (
	itemComment       itemKind = iota // "# text"
	itemBlank                         // nothing but blanks
	itemCommand                       // an ipvsadm command line
	itemSetup                         // "! COMMAND"
	itemSameNamespace                 // "@same-namespace"
)

// stdinKind says where a command line's stdin comes from.
type stdinKind int

const (
	stdinNone    stdinKind = iota // /dev/null
	stdinFixture                  // < FILE (scenarios/fixtures/FILE)
	stdinSaved                    // < @NAME
	stdinHeredoc                  // <<WORD
)

// item is one scenario line (a heredoc's body belongs to its command).
type item struct {
	Kind itemKind
	Line int    // 1-based line number in the scenario file
	Text string // the line as written (a comment or setup line in full)

	// Command lines.
	Cmd    string   // the part run.sh splits into words ("@noargs" too)
	NoArgs bool     // @noargs
	Args   []string // argv after "ipvsadm"
	Stdin  stdinKind
	Source string // fixture or saved name; heredoc end word
	Input  []byte // heredoc body
	Save   string // >@NAME
	ID     string // #@ ID
}

// parseScenario reads a scenario file as run.sh's side() and parse_line
// do. It is stricter than the shell only where the shell would have
// interpreted something (see splitWords) or run.sh reports a harness
// error.
func parseScenario(name string, data []byte) (*scenario, error) {
	sc := &scenario{Name: name}
	text := string(data)
	text = strings.TrimSuffix(text, "\n")
	if text == "" {
		return nil, fmt.Errorf("%s: empty scenario", name)
	}
	lines := strings.Split(text, "\n")
	var heredoc *item
	for i, line := range lines {
		n := i + 1
		errorf := func(format string, args ...any) error {
			return fmt.Errorf("%s.txt:%d: %s", name, n, fmt.Sprintf(format, args...))
		}
		if heredoc != nil {
			if line == heredoc.Source {
				sc.Items = append(sc.Items, *heredoc)
				heredoc = nil
			} else {
				heredoc.Input = append(heredoc.Input, line+"\n"...)
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "#"):
			sc.Items = append(sc.Items, item{Kind: itemComment, Line: n, Text: line})
		case strings.Trim(line, " \t") == "":
			sc.Items = append(sc.Items, item{Kind: itemBlank, Line: n})
		case strings.HasPrefix(line, "!"):
			sc.Items = append(sc.Items, item{Kind: itemSetup, Line: n, Text: line})
		case line == "@same-namespace":
			sc.Items = append(sc.Items, item{Kind: itemSameNamespace, Line: n, Text: line})
		default:
			it, err := parseCommand(line)
			if err != nil {
				return nil, errorf("%v", err)
			}
			it.Line = n
			if it.Stdin == stdinHeredoc {
				heredoc = &it
				continue
			}
			sc.Items = append(sc.Items, it)
		}
	}
	if heredoc != nil {
		return nil, fmt.Errorf("%s.txt:%d: heredoc <<%s never ends", name, heredoc.Line, heredoc.Source)
	}
	return sc, nil
}

// parseCommand splits a command line into its parts, like parse_line:
//
//	ARGS [>@NAME] [< FILE | < @NAME | <<WORD] [#@ ID]
//
// Each suffix is cut at its last occurrence, as ${CMD% ...*} does.
func parseCommand(line string) (item, error) {
	it := item{Kind: itemCommand, Text: line}
	cmd := line
	if i := strings.LastIndex(cmd, " #@ "); i >= 0 {
		it.ID = strings.TrimRight(cmd[i+len(" #@ "):], " \t")
		cmd = cmd[:i]
		if it.ID == "" || strings.ContainsAny(it.ID, " \t") {
			return it, fmt.Errorf("bad difference marker %q", "#@ "+it.ID)
		}
	}
	if i := strings.LastIndex(cmd, " <<"); i >= 0 {
		it.Source = cmd[i+len(" <<"):]
		cmd = cmd[:i]
		it.Stdin = stdinHeredoc
		if it.Source == "" || strings.Trim(it.Source, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_") != "" {
			return it, fmt.Errorf("bad heredoc word %q", "<<"+it.Source)
		}
	} else if i := strings.LastIndex(cmd, " <"); i >= 0 {
		src := strings.TrimLeft(cmd[i+len(" <"):], " ")
		cmd = cmd[:i]
		if name, ok := strings.CutPrefix(src, "@"); ok {
			it.Stdin, it.Source = stdinSaved, name
		} else {
			it.Stdin, it.Source = stdinFixture, src
		}
		if it.Source == "" || strings.ContainsAny(it.Source, "/ \t") {
			return it, fmt.Errorf("bad stdin source %q", src)
		}
	}
	if i := strings.LastIndex(cmd, " >@"); i >= 0 {
		it.Save = cmd[i+len(" >@"):]
		cmd = cmd[:i]
		if it.Save == "" || strings.Trim(it.Save, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-") != "" {
			return it, fmt.Errorf("bad save name %q", ">@"+it.Save)
		}
	}
	it.Cmd = strings.TrimRight(cmd, " \t")
	switch {
	case it.Cmd == "@noargs":
		it.NoArgs = true
	case strings.HasPrefix(it.Cmd, "@"):
		return it, fmt.Errorf("unknown directive %q", it.Cmd)
	default:
		args, err := splitWords(it.Cmd)
		if err != nil {
			return it, err
		}
		it.Args = args
	}
	return it, nil
}

// header is the transcript's block header of a command or setup line.
func (it *item) header() string {
	switch {
	case it.Kind == itemSetup:
		return fmt.Sprintf("=== line %d: %s", it.Line, it.Text)
	case it.NoArgs:
		return fmt.Sprintf("=== line %d: ipvsadm", it.Line)
	default:
		return fmt.Sprintf("=== line %d: ipvsadm %s", it.Line, it.Cmd)
	}
}
