package check

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// SMTP passes when the target greets with 220 and answers HELO with
// 250; it then says QUIT. Nothing is sent beyond HELO, so the check
// leaves no trace but a connection in the server's log.
type SMTP struct {
	Target Target
	// Helo is the name given in HELO; the local host name when empty.
	Helo string
}

const (
	// smtpMaxReply and smtpMaxLines bound what one reply may take, so
	// that a server that never ends its reply fails the check instead
	// of filling memory until the deadline.
	smtpMaxReply = 4 << 10
	smtpMaxLines = 100
	// smtpQuitWait is how long the check waits for QUIT's answer: only
	// so long that a polite server can answer before the close, for the
	// verdict is already in.
	smtpQuitWait = 250 * time.Millisecond
)

func (c *SMTP) helo() string {
	if c.Helo != "" {
		return c.Helo
	}
	if h, err := os.Hostname(); err == nil && h != "" {
		return h
	}
	return "localhost"
}

func (c *SMTP) String() string {
	return "SMTP banner and HELO " + c.helo() + " to " + c.Target.String()
}

func (c *SMTP) Check(ctx context.Context) error {
	helo := c.helo()
	for _, r := range helo {
		// A space or a line end would let the name say more than HELO.
		if r <= ' ' || r == 0x7f {
			return fmt.Errorf("SMTP HELO name %q is not a host name", helo)
		}
	}
	conn, release, err := probeConnect(ctx, c.Target)
	if err != nil {
		return err
	}
	defer release()
	r := bufio.NewReaderSize(conn, smtpMaxReply)

	code, text, err := c.readReply(ctx, r)
	if err != nil {
		return err
	}
	if code != 220 {
		return fmt.Errorf("SMTP banner from %s: %s", c.Target, smtpSays(code, text))
	}
	if err := c.write(ctx, conn, "HELO "+helo+"\r\n"); err != nil {
		return err
	}
	code, text, err = c.readReply(ctx, r)
	if err != nil {
		return err
	}
	if code != 250 {
		return fmt.Errorf("SMTP HELO to %s answered %s", c.Target, smtpSays(code, text))
	}

	// QUIT and a half-close, then a short wait for 221 and the server's
	// close: closing with its answer unread would reset the connection,
	// which servers log as an error.
	if c.write(ctx, conn, "QUIT\r\n") == nil {
		if tc, ok := conn.(*net.TCPConn); ok {
			tc.CloseWrite()
		}
		wait := time.Now().Add(smtpQuitWait)
		if dl, ok := ctx.Deadline(); ok && dl.Before(wait) {
			wait = dl
		}
		conn.SetReadDeadline(wait)
		io.Copy(io.Discard, io.LimitReader(r, smtpMaxReply))
	}
	return nil
}

func (c *SMTP) write(ctx context.Context, conn net.Conn, s string) error {
	if _, err := io.WriteString(conn, s); err != nil {
		if probeTimedOut(ctx, err) {
			return fmt.Errorf("WRITE to %s timed out", c.Target)
		}
		return fmt.Errorf("WRITE to %s failed: %s", c.Target, probeCause(ctx, err))
	}
	return nil
}

// readReply reads one reply, its continuation lines ("250-...") up to
// the final one ("250 ..."), as RFC 5321 4.2.1 has them. The text is
// the lines' texts joined, for a multi-line refusal often gives its
// reason on a later line than the host name.
func (c *SMTP) readReply(ctx context.Context, r *bufio.Reader) (code int, text string, err error) {
	var texts []string
	size := 0
	for n := 1; ; n++ {
		line, err := r.ReadSlice('\n')
		size += len(line)
		if errors.Is(err, bufio.ErrBufferFull) || size > smtpMaxReply {
			return 0, "", fmt.Errorf("SMTP reply from %s is too long: more than %d bytes", c.Target, smtpMaxReply)
		}
		if err != nil {
			if probeTimedOut(ctx, err) {
				return 0, "", fmt.Errorf("READ from %s timed out", c.Target)
			}
			return 0, "", fmt.Errorf("READ from %s failed: %s", c.Target, probeCause(ctx, err))
		}
		if n > smtpMaxLines {
			return 0, "", fmt.Errorf("SMTP reply from %s is too long: more than %d lines", c.Target, smtpMaxLines)
		}
		lc, last, lt, ok := parseSMTPLine(line)
		if !ok || (n > 1 && lc != code) {
			return 0, "", fmt.Errorf("SMTP reply from %s is malformed: %s", c.Target, probeQuote(line))
		}
		code = lc
		if lt != "" {
			texts = append(texts, lt)
		}
		if last {
			return code, smtpText(strings.Join(texts, " ")), nil
		}
	}
}

// parseSMTPLine reads "250-text", "250 text" or "250", with CRLF or a
// bare LF after it.
func parseSMTPLine(line []byte) (code int, last bool, text string, ok bool) {
	s := strings.TrimSuffix(strings.TrimSuffix(string(line), "\n"), "\r")
	if len(s) < 3 {
		return 0, false, "", false
	}
	for _, d := range s[:3] {
		if d < '0' || d > '9' {
			return 0, false, "", false
		}
	}
	code, _ = strconv.Atoi(s[:3])
	if len(s) == 3 {
		return code, true, "", true
	}
	switch s[3] {
	case ' ':
		return code, true, s[4:], true
	case '-':
		return code, false, s[4:], true
	}
	return 0, false, "", false
}

// smtpSays is a reply as a log line quotes it: "554 text", or the code
// alone when the server gave no text.
func smtpSays(code int, text string) string {
	if text == "" {
		return strconv.Itoa(code)
	}
	return strconv.Itoa(code) + " " + text
}

// smtpText makes a server's text fit one log line: control characters
// become "?" and the text stops after 256 bytes.
func smtpText(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f {
			return '?'
		}
		return r
	}, s)
	if len(s) > 256 {
		s = strings.ToValidUTF8(s[:256], "") + "..."
	}
	return s
}
