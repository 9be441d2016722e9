package lvsconf

import (
	"errors"
	"fmt"
	"net/netip"
	"strings"
)

// Error is a located parse or validation error.
type Error struct {
	File      string
	Line, Col int    // 1-based; Col 0 when it concerns the whole line
	Key       string // the key or block concerned, if any
	Msg       string
	Hint      string // how to fix it, if there is something to say
}

func (e *Error) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s:%d", e.File, e.Line)
	if e.Col > 0 {
		fmt.Fprintf(&b, ":%d", e.Col)
	}
	b.WriteString(": ")
	if e.Key != "" {
		b.WriteString(e.Key + ": ")
	}
	b.WriteString(e.Msg)
	if e.Hint != "" {
		b.WriteString(" (" + e.Hint + ")")
	}
	return b.String()
}

// Warning is a located remark on a file that parsed: an unknown key, a
// key no daemon reads, a number read as octal.
type Warning Error

func (w *Warning) String() string { return (*Error)(w).Error() }

// Options are what Parse needs from the system.
type Options struct {
	// LookupHost resolves a hostname given where an address is
	// expected, as Piranha did once, at parse time. Nil refuses
	// hostnames.
	LookupHost func(name string) (netip.Addr, error)
	// LookupPort resolves a TCP service name (http) given where a port
	// is expected. Nil refuses service names.
	LookupPort func(name string) (int, error)
}

var errQuote = errors.New("quotation mismatch")

// scope is where a key may appear.
type scope int

const (
	global scope = iota
	virtualBlock
	serverBlock
)

func (s scope) String() string {
	return [...]string{"at the top level", "in a virtual block", "in a server block"}[s]
}

// parser holds the state of one Parse.
type parser struct {
	file     string
	opt      Options
	cfg      Config
	warnings []Warning
	// The open blocks: vs (a virtual or failover block) and rs (a
	// server block in it), with the lines they were opened on.
	vs             *Virtual
	failover       bool
	rs             *Server
	vsLine, rsLine int
	blockLines     map[string]int // "NAME", "NAME/SERVER": the line that opened the block
	keyLines       map[string]int // global keys: the line that set them
	primaryPrivate bool           // primary_private was given
	primarySet     bool
	line           int
	sc             scanner
}

// Parse reads lvs.cf from data; file names it in errors and warnings.
func Parse(file string, data []byte, opt Options) (*Config, []Warning, error) {
	p := &parser{file: file, opt: opt, cfg: Defaults(), blockLines: map[string]int{}, keyLines: map[string]int{}}
	if len(data) == 0 {
		return nil, nil, &Error{File: file, Line: 0, Msg: "Empty configuration", Hint: "the file is empty"}
	}
	lines, crLine, crCol := splitLines(string(data))
	if crLine > 0 {
		return nil, nil, &Error{File: file, Line: crLine, Col: crCol, Msg: "carriage return inside a line",
			Hint: "lines end with LF or CRLF; a lone CR is not allowed"}
	}
	for i, l := range lines {
		p.line = i + 1
		p.sc = scanner{line: l}
		if err := p.statement(); err != nil {
			return nil, nil, err
		}
	}
	if p.rs != nil {
		return nil, nil, p.errAt(p.rsLine, 0, "server "+p.rs.Name, "block is not closed", "add a line with } before the end of the file")
	}
	if p.vs != nil {
		return nil, nil, p.errAt(p.vsLine, 0, p.blockKind()+" "+p.vs.Name, "block is not closed", "add a line with } before the end of the file")
	}
	// Piranha's fix-up: without primary_private, both private
	// addresses are the public ones (backup_private is overwritten even
	// when it was given, as in Piranha).
	if p.primarySet && !p.primaryPrivate {
		p.cfg.PrimaryPrivate = p.cfg.Primary
		p.cfg.BackupPrivate = p.cfg.Backup
	}
	if err := p.validate(); err != nil {
		return nil, nil, err
	}
	return &p.cfg, p.warnings, nil
}

func (p *parser) errAt(line, col int, key, msg, hint string) *Error {
	return &Error{File: p.file, Line: line, Col: col, Key: key, Msg: msg, Hint: hint}
}

func (p *parser) err(col int, key, msg, hint string) *Error {
	return p.errAt(p.line, col, key, msg, hint)
}

func (p *parser) warn(col int, key, msg, hint string) {
	p.warnings = append(p.warnings, Warning{File: p.file, Line: p.line, Col: col, Key: key, Msg: msg, Hint: hint})
}

func (p *parser) blockKind() string {
	if p.failover {
		return "failover"
	}
	return "virtual"
}

func (p *parser) scope() scope {
	switch {
	case p.rs != nil:
		return serverBlock
	case p.vs != nil:
		return virtualBlock
	}
	return global
}

// statement reads one line.
func (p *parser) statement() error {
	if p.sc.done() {
		return nil // blank or comment
	}
	col := p.sc.col()
	if strings.HasPrefix(p.sc.line[p.sc.pos:], "}") {
		p.sc.pos++
		return p.closeBlock(col)
	}
	// The key, up to a blank or "=" (key=value needs no blanks).
	kt := p.sc.word("={")
	key := kt.text
	if key == "" {
		return p.err(col, "", "unknown command", "a line starts with a key, a block (virtual, failover, server) or }")
	}
	switch key {
	case "virtual", "failover", "server":
		if p.sc.done() || p.sc.line[p.sc.pos] != '=' {
			return p.openBlock(key, col)
		}
	}
	def, ok := keys[key]
	if !ok {
		p.warn(col, key, "unknown command, ignored", p.unknownHint(key))
		return nil
	}
	if !def.in(p.scope()) {
		return p.err(col, key, "unknown command "+p.scope().String(), "it belongs "+def.where())
	}
	p.sc.skipBlanks()
	if p.sc.pos == len(p.sc.line) {
		return p.err(p.sc.col(), key, "missing arguments", "write "+key+" = VALUE")
	}
	if p.sc.line[p.sc.pos] != '=' {
		return p.err(p.sc.col(), key, "equal (=) expected after command", "write "+key+" = VALUE")
	}
	p.sc.pos++
	vals, err := p.values(key, def)
	if err != nil {
		return err
	}
	if err := def.set(p, key, vals); err != nil {
		return err
	}
	if p.scope() == global {
		p.keyLines[key] = p.line
	}
	return nil
}

// values reads the values of a key: def.args tokens, or a [ list ].
func (p *parser) values(key string, def keyDef) ([]token, error) {
	var vals []token
	if def.list {
		t, ok, err := p.sc.next()
		if err != nil {
			return nil, p.err(t.col, key, "quotation mismatch", "a quoted value needs its closing quote")
		}
		if !ok || t.text != "[" || t.quote != 0 {
			col := p.sc.col()
			if ok {
				col = t.col
			}
			return nil, p.err(col, key, "list expected", "write "+key+" = [ a b c ]")
		}
		for {
			t, ok, err := p.sc.next()
			if err != nil {
				return nil, p.err(t.col, key, "quotation mismatch", "a quoted value needs its closing quote")
			}
			if !ok {
				return nil, p.err(p.sc.col(), key, "list expected", "the list ends with ]")
			}
			if t.text == "]" && t.quote == 0 {
				break
			}
			vals = append(vals, t)
		}
	} else {
		for len(vals) < def.argc(key, p.scope()) {
			t, ok, err := p.sc.next()
			if err != nil {
				return nil, p.err(t.col, key, "quotation mismatch", "a quoted value needs its closing quote")
			}
			if !ok {
				return nil, p.err(p.sc.col(), key, "missing arguments", def.usage(key, p.scope()))
			}
			vals = append(vals, t)
		}
	}
	if !p.sc.done() {
		hint := def.usage(key, p.scope())
		if def.argc(key, p.scope()) == 1 && !def.list {
			hint = "a value with blanks must be in double quotes"
		}
		return nil, p.err(p.sc.col(), key, "unexpected arguments", hint)
	}
	return vals, nil
}

// openBlock reads "virtual NAME {", "failover NAME {" or "server NAME {".
func (p *parser) openBlock(kind string, col int) error {
	name, ok, err := p.sc.next()
	if err != nil {
		return p.err(name.col, kind, "quotation mismatch", "a quoted value needs its closing quote")
	}
	// "virtual web{": the brace may touch the name.
	brace := false
	if ok && name.quote == 0 && len(name.text) > 1 && strings.HasSuffix(name.text, "{") {
		name.text, brace = strings.TrimSuffix(name.text, "{"), true
	}
	if !ok || name.text == "" || name.text == "{" && name.quote == 0 {
		return p.err(p.sc.col(), kind, "missing arguments", "write "+kind+" NAME {")
	}
	if !brace {
		t, ok, err := p.sc.next()
		if err != nil || !ok || t.text != "{" || t.quote != 0 {
			return p.err(p.sc.col(), kind+" "+name.text, "missing arguments", "the { must end the line that opens the block")
		}
	}
	if !p.sc.done() {
		return p.err(p.sc.col(), kind+" "+name.text, "unexpected arguments", "nothing may follow the { of a block")
	}
	switch kind {
	case "server":
		if p.rs != nil {
			return p.err(col, kind, "blocks cannot nest this way", "close server "+p.rs.Name+" with } first")
		}
		if p.vs == nil {
			return p.err(col, kind, "unknown command at the top level", "server blocks go inside virtual blocks")
		}
		for _, s := range p.vs.Servers {
			if s.Name == name.text {
				return p.err(name.col, "server "+name.text, "duplicate server name in "+p.blockKind()+" "+p.vs.Name, "give each server of a virtual service its own name")
			}
		}
		s := newServer(name.text, p.vs)
		p.rs, p.rsLine = &s, p.line
		p.blockLines[p.vs.Name+"/"+name.text] = p.line
	default:
		if p.vs != nil {
			return p.err(col, kind, "blocks cannot nest this way", "close "+p.blockKind()+" "+p.vs.Name+" with } first")
		}
		for _, list := range [][]Virtual{p.cfg.Virtuals, p.cfg.Failovers} {
			for _, v := range list {
				if v.Name == name.text {
					return p.err(name.col, kind+" "+name.text, "duplicate name", "give each virtual and failover block its own name")
				}
			}
		}
		v := newVirtual(name.text)
		p.vs, p.vsLine, p.failover = &v, p.line, kind == "failover"
		p.blockLines[name.text] = p.line
	}
	return nil
}

// closeBlock reads "}".
func (p *parser) closeBlock(col int) error {
	if !p.sc.done() {
		// Piranha ignored what follows a }.
		p.warn(p.sc.col(), "}", "text after } ignored", "")
	}
	switch {
	case p.rs != nil:
		p.vs.Servers = append(p.vs.Servers, *p.rs)
		p.rs = nil
	case p.vs != nil:
		if p.failover {
			p.cfg.Failovers = append(p.cfg.Failovers, *p.vs)
		} else {
			p.cfg.Virtuals = append(p.cfg.Virtuals, *p.vs)
		}
		p.vs = nil
	default:
		return p.err(col, "}", "no block to close", "")
	}
	return nil
}

func (p *parser) unknownHint(key string) string {
	for k, def := range keys {
		if strings.EqualFold(k, key) {
			return "keys are lower case: " + k + ", " + def.where()
		}
	}
	return "not a key Piranha or lvskit reads"
}
