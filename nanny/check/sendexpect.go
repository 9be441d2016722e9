package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"strings"
)

// MaxReply bounds what a send/expect check reads before it gives up on
// a match: Piranha read at most 254 bytes in one read(); lvskit reads
// until the reply matches, the peer closes, the deadline passes, or this
// many bytes arrived.
const MaxReply = 64 << 10

// Expect is what a reply must look like: Piranha's expect string (the
// reply starts with it), a regular expression found anywhere in it
// (--regex), or "*", any reply at all.
type Expect struct {
	Prefix []byte
	Regex  *regexp.Regexp
	// Any is Piranha's "*": a byte arrives, or the peer closes cleanly.
	Any bool
}

// ParseExpect turns nanny's -x argument into an Expect. The argument
// has had its backslash escapes replaced already (see Unescape).
func ParseExpect(s string, regex bool) (Expect, error) {
	switch {
	case s == "*" && !regex:
		return Expect{Any: true}, nil
	case regex:
		re, err := regexp.Compile(s)
		if err != nil {
			return Expect{}, fmt.Errorf("expect regular expression %q: %w", s, err)
		}
		return Expect{Regex: re}, nil
	}
	return Expect{Prefix: []byte(s)}, nil
}

// IsZero reports an Expect that asks for nothing.
func (e Expect) IsZero() bool { return e.Prefix == nil && e.Regex == nil && !e.Any }

func (e Expect) String() string {
	switch {
	case e.Any:
		return "any reply"
	case e.Regex != nil:
		return "/" + e.Regex.String() + "/"
	}
	return strconv.Quote(string(e.Prefix))
}

// verdict says whether what arrived so far settles the check: done with
// ok, or not done yet (more may arrive). eof says nothing more will.
func (e Expect) verdict(got []byte, eof bool) (done, ok bool) {
	switch {
	case e.Any:
		return len(got) > 0 || eof, true
	case e.Regex != nil:
		if e.Regex.Match(got) {
			return true, true
		}
		return eof, false
	}
	if len(got) >= len(e.Prefix) {
		return true, bytes.HasPrefix(got, e.Prefix)
	}
	// A reply that already differs cannot come right.
	if !bytes.HasPrefix(e.Prefix, got) {
		return true, false
	}
	return eof, false
}

// mismatch says how got differs from e.
func (e Expect) mismatch(from Target, got []byte) error {
	if e.Regex != nil {
		return fmt.Errorf("reply from %s does not match %s: got %s", from, e, probeQuote(got))
	}
	return fmt.Errorf("reply from %s does not start with %s: got %s", from, e, probeQuote(got))
}

// readExpect reads from r until the reply settles e, the peer closes,
// the connection's deadline passes or MaxReply bytes arrived: never a
// single read, so a reply split across segments matches.
func readExpect(ctx context.Context, r io.Reader, from Target, e Expect) error {
	var got []byte
	buf := make([]byte, 4096)
	for {
		n, err := r.Read(buf)
		got = append(got, buf[:n]...)
		eof := errors.Is(err, io.EOF)
		if done, ok := e.verdict(got, eof); done {
			if ok {
				return nil
			}
			switch {
			case eof && e.Regex != nil:
				return fmt.Errorf("connection closed by %s without a match for %s: got %s", from, e, probeQuote(got))
			case eof && len(got) < len(e.Prefix):
				// Piranha's words for a reply shorter than expected.
				return fmt.Errorf("READ from %s was too short[%d>=%d]: connection closed", from, len(got), len(e.Prefix))
			}
			return e.mismatch(from, got)
		}
		if len(got) >= MaxReply {
			return fmt.Errorf("reply from %s: %d bytes without a match for %s", from, len(got), e)
		}
		if err != nil && !eof {
			if probeTimedOut(ctx, err) {
				if len(got) == 0 {
					return fmt.Errorf("READ to %s timed out", from)
				}
				return fmt.Errorf("READ to %s timed out waiting for %s: got %s", from, e, probeQuote(got))
			}
			return fmt.Errorf("READ from %s failed: %s", from, probeCause(ctx, err))
		}
	}
}

// SendExpect writes Send to a TCP connection and reads the reply until
// it matches Expect: Piranha's send/expect check, read as it meant it.
// Either may be empty; with neither it is a TCP connect.
type SendExpect struct {
	Target Target
	Send   []byte
	Expect Expect
}

func (c *SendExpect) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "TCP to %s", c.Target)
	if c.Send != nil {
		fmt.Fprintf(&b, " sending %q", c.Send)
	}
	if !c.Expect.IsZero() {
		fmt.Fprintf(&b, " expecting %s", c.Expect)
	}
	return b.String()
}

func (c *SendExpect) Check(ctx context.Context) error {
	conn, release, err := probeConnect(ctx, c.Target)
	if err != nil {
		return err
	}
	defer release()
	if len(c.Send) > 0 {
		if _, err := conn.Write(c.Send); err != nil {
			if probeTimedOut(ctx, err) {
				return fmt.Errorf("WRITE to %s timed out", c.Target)
			}
			return fmt.Errorf("WRITE operation for %s returned error: %s", c.Target, probeCause(ctx, err))
		}
	}
	if c.Expect.IsZero() {
		return nil
	}
	return readExpect(ctx, conn, c.Target, c.Expect)
}

// Unescape replaces the backslash sequences Piranha's nanny understood
// in send and expect strings (\\ \r \n \t \' \") and leaves any other
// backslash as it is, as Piranha did; nanny -T skips it.
func Unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			var r byte
			switch s[i+1] {
			case '\\':
				r = '\\'
			case 'r':
				r = '\r'
			case 'n':
				r = '\n'
			case 't':
				r = '\t'
			case '\'':
				r = '\''
			case '"':
				r = '"'
			}
			if r != 0 {
				b.WriteByte(r)
				i++
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
