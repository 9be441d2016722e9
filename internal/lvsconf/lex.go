package lvsconf

import (
	"strings"
)

// A line is read token by token, as far as its statement needs, by a
// scanner. Tokens are separated by blanks (space, tab). A token that
// starts with a double or single quote is quoted: the value is what lies
// between the quotes, and nothing inside is special (no escapes;
// backslashes are kept for nanny to read).
//
// Where Piranha 0.8.6 reads a line, the scanner reads the same tokens:
// a quoted token ends as Piranha's does (see quotedEnd). Piranha's traps
// are fixed only where Piranha rejects the line, so no file Piranha
// accepts changes meaning:
//   - CRLF line ends are line ends (Piranha kept only the first line);
//   - trailing blanks are ignored (Piranha: "quotation mismatch" after
//     a quoted value);
//   - a quoted value may be followed by a comment (see quotedEnd);
//   - "key=value" and "key =value" need no blanks around "=";
//   - a "#" after a complete statement starts a comment.
type scanner struct {
	line string
	pos  int // byte offset of the next unread byte
}

// token is one token of a line.
type token struct {
	text  string // the value, without quotes
	col   int    // 1-based column of its first byte
	quote byte   // the quote character of a quoted token, else 0
}

func isBlank(c byte) bool { return c == ' ' || c == '\t' }

func (s *scanner) skipBlanks() {
	for s.pos < len(s.line) && isBlank(s.line[s.pos]) {
		s.pos++
	}
}

// done reports whether only blanks or a comment are left.
func (s *scanner) done() bool {
	s.skipBlanks()
	return s.pos == len(s.line) || s.line[s.pos] == '#'
}

// col is the 1-based column of the next unread byte.
func (s *scanner) col() int { return s.pos + 1 }

// next reads the next token; ok is false at the end of the line. A
// quoted token without its closing quote is errQuote.
func (s *scanner) next() (t token, ok bool, err error) {
	s.skipBlanks()
	if s.pos == len(s.line) {
		return token{}, false, nil
	}
	start := s.pos
	c := s.line[start]
	if c == '"' || c == '\'' {
		end, ok := quotedEnd(s.line, start)
		if !ok {
			return token{col: start + 1, quote: c}, false, errQuote
		}
		s.pos = end + 1
		return token{text: s.line[start+1 : end], col: start + 1, quote: c}, true, nil
	}
	for s.pos < len(s.line) && !isBlank(s.line[s.pos]) {
		s.pos++
	}
	return token{text: s.line[start:s.pos], col: start + 1}, true, nil
}

// word reads an unquoted token up to a blank or stop (one of the bytes
// in stop), which it leaves unread.
func (s *scanner) word(stop string) token {
	s.skipBlanks()
	start := s.pos
	for s.pos < len(s.line) && !isBlank(s.line[s.pos]) && !strings.ContainsRune(stop, rune(s.line[s.pos])) {
		s.pos++
	}
	return token{text: s.line[start:s.pos], col: start + 1}
}

// quotedEnd returns the index of the closing quote of the quoted token
// that starts at i.
//
// Piranha's rule, kept for every line Piranha reads: find the first
// blank after the opening quote; with none, the token runs to the end of
// the line; else it ends at the first quote character after that blank
// (so "GET / HTTP/1.0" is one token, and "HT"TP" is HT"TP). Piranha
// rejects the token if it does not end with the quote character.
//
// Where Piranha's rule finds no closing quote, the token ends instead
// at the first quote character followed by a blank or the end of the
// line, which lets a comment follow a quoted value
// (expect = "HTTP"   # the status line).
func quotedEnd(line string, i int) (int, bool) {
	q := line[i]
	blank := strings.IndexAny(line[i+1:], " \t")
	end := -1
	if blank < 0 {
		if j := len(line) - 1; j > i && line[j] == q {
			end = j
		}
	} else if k := strings.IndexByte(line[i+1+blank:], q); k >= 0 {
		end = i + 1 + blank + k
	}
	if end >= 0 {
		return end, true
	}
	for j := i + 1; j < len(line); j++ {
		if line[j] == q && (j+1 == len(line) || isBlank(line[j+1])) {
			return j, true
		}
	}
	return 0, false
}

// splitLines splits a file into lines. LF and CRLF end a line; a
// missing final line end is fine. A carriage return anywhere else is
// reported by its line and column (Piranha silently merged lines there).
func splitLines(data string) ([]string, int, int) {
	lines := strings.Split(data, "\n")
	if len(lines) > 0 && lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	for n, l := range lines {
		l = strings.TrimSuffix(l, "\r")
		if i := strings.IndexByte(l, '\r'); i >= 0 {
			return nil, n + 1, i + 1
		}
		// Trailing blanks are not part of any token.
		lines[n] = strings.TrimRight(l, " \t")
	}
	return lines, 0, 0
}
