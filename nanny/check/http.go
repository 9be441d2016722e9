package check

import (
	"bufio"
	"context"
	"crypto/md5"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/textproto"
	"strconv"
	"strings"
)

// HTTP sends one GET request over HTTP/1.0, or HTTPS, and passes when
// the status is one of Status and, if Digest is set, the body's MD5 is
// Digest: keepalived's HTTP_GET and SSL_GET, whose digests keepalived's
// genhash prints. The request is HTTP/1.0 with Connection: close, as
// genhash sends it, so that the body is the same bytes genhash hashed.
type HTTP struct {
	Target Target
	TLS    bool
	// Path is the request's path and query; empty is "/".
	Path string
	// Host is the Host header; empty is the target's address (and port
	// when it is not the scheme's).
	Host string
	// SNI is the server name sent in the TLS handshake, and the name the
	// certificate must bear when Verify is set; empty sends none and
	// verifies the target's address.
	SNI string
	// Verify checks the server's certificate against RootCAs (the
	// system's when nil). Off, any certificate is accepted: real servers
	// often have one made for the virtual name only.
	Verify  bool
	RootCAs *x509.CertPool
	// Status lists the accepted status codes; empty is 200-299.
	Status StatusSet
	// Digest is the MD5 of the body, empty for no comparison.
	Digest []byte
}

// maxBody bounds the body read for a digest.
const maxBody = 16 << 20

func (c *HTTP) scheme() string {
	if c.TLS {
		return "https"
	}
	return "http"
}

func (c *HTTP) host() string {
	if c.Host != "" {
		return c.Host
	}
	h := c.Target.Host()
	if c.Target.Addr.Is6() {
		h = "[" + h + "]"
	}
	if c.TLS && c.Target.Port == 443 || !c.TLS && c.Target.Port == 80 {
		return h
	}
	return h + ":" + c.Target.PortString()
}

func (c *HTTP) path() string {
	if c.Path == "" {
		return "/"
	}
	return c.Path
}

func (c *HTTP) url() string { return c.scheme() + "://" + c.host() + c.path() }

func (c *HTTP) String() string {
	s := fmt.Sprintf("HTTP GET %s from %s expecting status %s", c.url(), c.Target, c.Status)
	if c.Digest != nil {
		s += " and body MD5 " + hex.EncodeToString(c.Digest)
	}
	if c.TLS {
		if c.SNI != "" {
			s += ", SNI " + c.SNI
		}
		if c.Verify {
			s += ", certificate verified"
		} else {
			s += ", certificate not verified"
		}
	}
	return s
}

func (c *HTTP) Check(ctx context.Context) error {
	conn, release, err := probeConnect(ctx, c.Target)
	if err != nil {
		return err
	}
	defer release()
	fail := func(what string, err error) error {
		if probeTimedOut(ctx, err) {
			return fmt.Errorf("HTTP GET %s: %s timed out", c.url(), what)
		}
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("HTTP GET %s: %s: connection closed by %s", c.url(), what, c.Target)
		}
		return fmt.Errorf("HTTP GET %s: %s failed: %s", c.url(), what, probeCause(ctx, err))
	}
	rw := io.ReadWriter(conn)
	if c.TLS {
		cfg := &tls.Config{ServerName: c.SNI, InsecureSkipVerify: !c.Verify, RootCAs: c.RootCAs}
		if c.Verify && c.SNI == "" {
			// With no name to send, the certificate must name the
			// address dialled.
			cfg.ServerName = c.Target.Host()
		}
		tc := tls.Client(conn, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			var ce *tls.CertificateVerificationError
			if errors.As(err, &ce) {
				return fmt.Errorf("HTTP GET %s: certificate of %s not trusted: %v", c.url(), c.Target, ce.Err)
			}
			return fail("TLS handshake", err)
		}
		rw = tc
	}
	req := "GET " + c.path() + " HTTP/1.0\r\nHost: " + c.host() + "\r\nUser-Agent: lvskit-nanny\r\nConnection: close\r\n\r\n"
	if _, err := io.WriteString(rw, req); err != nil {
		return fail("request", err)
	}
	br := bufio.NewReaderSize(rw, 4096)
	status, body, err := readResponse(br)
	if err != nil {
		return fail("reading the response", err)
	}
	if !c.Status.Has(status) {
		return fmt.Errorf("HTTP GET %s answered status %d, want %s", c.url(), status, c.Status)
	}
	if c.Digest == nil {
		return nil
	}
	h := md5.New()
	n, err := io.Copy(h, io.LimitReader(body, maxBody+1))
	if err != nil {
		return fail("reading the body", err)
	}
	if n > maxBody {
		return fmt.Errorf("HTTP GET %s: body longer than %d bytes", c.url(), maxBody)
	}
	if sum := h.Sum(nil); string(sum) != string(c.Digest) {
		return fmt.Errorf("HTTP GET %s: body MD5 %x, want %x", c.url(), sum, c.Digest)
	}
	return nil
}

// StatusSet is a set of HTTP status codes as ranges, written
// "200-299,301".
type StatusSet []StatusRange

// StatusRange is the codes from Lo to Hi inclusive.
type StatusRange struct{ Lo, Hi int }

// ParseStatusSet reads "200", "200-299" or a comma-separated list of
// either.
func ParseStatusSet(s string) (StatusSet, error) {
	var set StatusSet
	for _, part := range strings.Split(s, ",") {
		lo, hi, isRange := strings.Cut(strings.TrimSpace(part), "-")
		if !isRange {
			hi = lo
		}
		l, err1 := strconv.Atoi(lo)
		h, err2 := strconv.Atoi(hi)
		if err1 != nil || err2 != nil || l < 100 || h > 599 || l > h {
			return nil, fmt.Errorf("bad HTTP status %q: want a code or a range of codes from 100 to 599, like 200-299", part)
		}
		set = append(set, StatusRange{l, h})
	}
	return set, nil
}

// Has reports whether code is in the set; the empty set is 200-299.
func (s StatusSet) Has(code int) bool {
	if len(s) == 0 {
		return code >= 200 && code <= 299
	}
	for _, r := range s {
		if code >= r.Lo && code <= r.Hi {
			return true
		}
	}
	return false
}

func (s StatusSet) String() string {
	if len(s) == 0 {
		return "200-299"
	}
	parts := make([]string, len(s))
	for i, r := range s {
		parts[i] = strconv.Itoa(r.Lo)
		if r.Hi != r.Lo {
			parts[i] += "-" + strconv.Itoa(r.Hi)
		}
	}
	return strings.Join(parts, ",")
}

// ParseDigest reads an MD5 digest in hex, as genhash prints it.
func ParseDigest(s string) ([]byte, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != md5.Size {
		return nil, fmt.Errorf("bad digest %q: want 32 hexadecimal digits (an MD5 as genhash prints it)", s)
	}
	return b, nil
}

// errMalformed is a response that is not HTTP/1.x.
var errMalformed = errors.New("malformed HTTP response")

// readResponse reads an HTTP/1.x response's status line and headers,
// and returns its status and a reader of its body: Content-Length bytes,
// the chunks of a chunked body, or all until the server closes. It is
// what a check needs of net/http, without linking net/http into each of
// a thousand monitors.
func readResponse(br *bufio.Reader) (int, io.Reader, error) {
	tp := textproto.NewReader(br)
	line, err := tp.ReadLine()
	if err != nil {
		return 0, nil, err
	}
	proto, rest, _ := strings.Cut(line, " ")
	code, _, _ := strings.Cut(rest, " ")
	status, err := strconv.Atoi(code)
	if !strings.HasPrefix(proto, "HTTP/1.") || err != nil || len(code) != 3 || status < 100 {
		return 0, nil, fmt.Errorf("%w: status line %s", errMalformed, probeQuote([]byte(line)))
	}
	hdr, err := tp.ReadMIMEHeader()
	if err != nil {
		return 0, nil, err
	}
	switch {
	case strings.EqualFold(hdr.Get("Transfer-Encoding"), "chunked"):
		return status, &chunked{r: br}, nil
	case hdr.Get("Content-Length") != "":
		n, err := strconv.ParseInt(hdr.Get("Content-Length"), 10, 64)
		if err != nil || n < 0 {
			return 0, nil, fmt.Errorf("%w: Content-Length %q", errMalformed, hdr.Get("Content-Length"))
		}
		return status, &exactly{r: io.LimitReader(br, n), left: n}, nil
	}
	return status, br, nil
}

// exactly reads a body of known length; one that ends early is an
// unexpected EOF, not a shorter body.
type exactly struct {
	r    io.Reader
	left int64
}

func (e *exactly) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.left -= int64(n)
	if err == io.EOF && e.left > 0 {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

// chunked decodes a chunked body (RFC 9112 section 7.1), ignoring chunk
// extensions and trailers.
type chunked struct {
	r    *bufio.Reader
	left int64 // of the current chunk
	done bool
}

func (c *chunked) Read(p []byte) (int, error) {
	for c.left == 0 {
		if c.done {
			return 0, io.EOF
		}
		line, err := c.r.ReadSlice('\n')
		if err != nil {
			return 0, unexpected(err)
		}
		size, _, _ := strings.Cut(strings.TrimSpace(string(line)), ";")
		n, err := strconv.ParseInt(size, 16, 64)
		if err != nil || n < 0 {
			return 0, fmt.Errorf("%w: chunk size %q", errMalformed, size)
		}
		if n == 0 {
			c.done = true
			// The trailer section ends with an empty line.
			for {
				l, err := c.r.ReadSlice('\n')
				if err != nil {
					return 0, unexpected(err)
				}
				if len(strings.TrimSpace(string(l))) == 0 {
					return 0, io.EOF
				}
			}
		}
		c.left = n
	}
	if int64(len(p)) > c.left {
		p = p[:c.left]
	}
	n, err := c.r.Read(p)
	c.left -= int64(n)
	if c.left == 0 && err == nil {
		// Each chunk's data ends with CRLF.
		if _, err := c.r.Discard(2); err != nil {
			return n, unexpected(err)
		}
	}
	return n, unexpected(err)
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
