package check

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"regexp"
	"strconv"
)

// UDP sends one datagram and judges the first reply: Piranha's
// send/expect on UDP. With neither Expect nor Regex any reply passes.
type UDP struct {
	Target Target
	// Send is the datagram sent; it may not be empty, for a server
	// owes no answer to nothing and silence would prove nothing.
	Send []byte
	// Expect is what the reply starts with; "*" is any reply, as in
	// Piranha's expect.
	Expect []byte
	// Regex, when set, must match the reply too.
	Regex *regexp.Regexp
	// MinLen and MaxLen bound the reply's length when not zero.
	MinLen, MaxLen int
}

func (c *UDP) String() string { return "UDP send/expect to " + c.Target.String() }

func (c *UDP) Check(ctx context.Context) error {
	if len(c.Send) == 0 {
		return errors.New("UDP check needs a send string")
	}
	failed := func(err error) error {
		if probeTimedOut(ctx, err) {
			return fmt.Errorf("UDP to %s timed out", c.Target)
		}
		return fmt.Errorf("UDP to %s failed: %s", c.Target, probeCause(ctx, err))
	}
	// Connected, so that the kernel drops datagrams from elsewhere and
	// reports the target's ICMP port unreachable as a refused read.
	conn, release, err := probeDial(ctx, "udp", c.Target)
	if err != nil {
		return failed(err)
	}
	defer release()
	if _, err := conn.Write(c.Send); err != nil {
		return failed(err)
	}
	buf := make([]byte, 64<<10)
	n, err := conn.Read(buf)
	if err != nil {
		return failed(err)
	}
	return c.judge(buf[:n])
}

// judge says what is wrong with reply, nil when nothing is.
func (c *UDP) judge(reply []byte) error {
	if len(c.Expect) > 0 && !bytes.Equal(c.Expect, []byte("*")) && !bytes.HasPrefix(reply, c.Expect) {
		return fmt.Errorf("UDP reply from %s does not start with %s: got %s", c.Target, strconv.Quote(string(c.Expect)), probeQuote(reply))
	}
	if c.Regex != nil && !c.Regex.Match(reply) {
		return fmt.Errorf("UDP reply from %s does not match /%s/: got %s", c.Target, c.Regex, probeQuote(reply))
	}
	n := len(reply)
	if (c.MinLen > 0 && n < c.MinLen) || (c.MaxLen > 0 && n > c.MaxLen) {
		var want string
		switch {
		case c.MaxLen == 0:
			want = fmt.Sprintf("at least %d", c.MinLen)
		case c.MinLen == 0:
			want = fmt.Sprintf("at most %d", c.MaxLen)
		default:
			want = fmt.Sprintf("%d to %d", c.MinLen, c.MaxLen)
		}
		return fmt.Errorf("UDP reply from %s is %d bytes, want %s", c.Target, n, want)
	}
	return nil
}
