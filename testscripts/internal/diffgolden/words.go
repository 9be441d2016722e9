package main

import (
	"fmt"
	"strings"
)

// splitWords splits a scenario command line into ipvsadm's argv the way
// run.sh does, with `eval "set -- $CMD"` under `set -f`: blanks separate
// words, '...' is literal, "..." is literal except for backslash escapes,
// and an unquoted backslash escapes the next character. Anything the
// shell would expand or interpret (parameters, command substitution,
// redirections, control operators, a leading ~ or #) is refused rather
// than guessed at. With pathname expansion off, * ? [ ] are literal, so
// [::1]:80 needs no quotes; busybox sh has no brace expansion.
func splitWords(line string) ([]string, error) {
	var (
		words []string
		word  strings.Builder
		in    bool // inside a word (possibly an empty quoted one)
	)
	end := func() {
		if in {
			words = append(words, word.String())
			word.Reset()
			in = false
		}
	}
	for i := 0; i < len(line); i++ {
		c := line[i]
		switch {
		case c == ' ' || c == '\t':
			end()
		case c == '\'':
			j := strings.IndexByte(line[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote in %q", line)
			}
			word.WriteString(line[i+1 : i+1+j])
			in = true
			i += j + 1
		case c == '"':
			in = true
			i++
			for ; i < len(line) && line[i] != '"'; i++ {
				switch line[i] {
				case '$', '`':
					return nil, fmt.Errorf("unsupported shell expansion %q in %q", line[i], line)
				case '\\':
					if i+1 < len(line) && strings.IndexByte("$`\"\\", line[i+1]) >= 0 {
						i++
					}
				}
				word.WriteByte(line[i])
			}
			if i >= len(line) {
				return nil, fmt.Errorf("unterminated double quote in %q", line)
			}
		case c == '\\':
			if i+1 >= len(line) {
				return nil, fmt.Errorf("backslash at the end of %q", line)
			}
			i++
			word.WriteByte(line[i])
			in = true
		case strings.IndexByte("$`;&|<>()\n", c) >= 0:
			return nil, fmt.Errorf("unsupported shell syntax %q in %q", c, line)
		case (c == '~' || c == '#') && !in:
			return nil, fmt.Errorf("unsupported shell syntax %q at the start of a word in %q", c, line)
		default:
			word.WriteByte(c)
			in = true
		}
	}
	end()
	return words, nil
}

// quoteWord quotes s for a testscript command line, which only knows
// single quotes, with a doubled quote inside them standing for one quote.
// Unquoted text is split at blanks, cut at #, and $-expanded, so any word
// with such a character, or an empty one, is quoted. A newline cannot be
// written at all.
func quoteWord(s string) (string, error) {
	if strings.ContainsAny(s, "\n") {
		return "", fmt.Errorf("a testscript argument cannot hold a newline: %q", s)
	}
	if s != "" && !strings.ContainsAny(s, " \t\r#'$") {
		return s, nil
	}
	return "'" + strings.ReplaceAll(s, "'", "''") + "'", nil
}
