package ipvsadm

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"math"
	"net/netip"

	"lvskit/internal/ipvs"
)

// connChunkMax is the most bytes ipvsadm reads as one line of the
// connection file: it uses fgets with a 256-byte buffer, so a longer line
// (a long persistence-engine datum) is read, and parsed, as several rows.
const connChunkMax = 255

// WriteConns reads the kernel's connection table (the content of
// /proc/net/ip_vs_conn, named path in messages) from in and writes the -c
// listing: a title, then one row per line after the first, unsorted.
// c.Opts selects -n and --persistent-conn (which adds the persistence
// engine columns); names come from r otherwise.
//
// The parser reads what ipvsadm's sscanf reads: protocol, client address
// and hex port, virtual address and hex port, destination address and hex
// port, state, expiry in seconds, then an optional engine name and its
// first datum word. An address is IPv6 text, else a dotted quad, else a
// hex number (the kernel writes IPv4 as %08X); the client's form decides
// the virtual address's family, the destination is decided on its own.
// Where upstream would print uninitialised memory (a row with fields
// missing, such as the tail of a split long line), the missing fields
// are zero or empty.
//
// Failures are *Error with status 1: an empty input gives "unexpected
// input from <path>" (printed before any output, as ipvsadm does); a
// blank row stops the listing after the rows before it with an empty
// Text, because ipvsadm exits 1 there without any message, so a caller
// prints nothing for an *Error whose Text is empty.
func WriteConns(w io.Writer, in io.Reader, path string, c *Command, r Resolver) error {
	if c == nil {
		c = &Command{Cmd: CmdList, Opts: OptConnection}
	}
	br := bufio.NewReader(in)
	if _, err := readConnChunk(br); err != nil {
		return &Error{Status: 1, Text: "unexpected input from " + path}
	}
	bw := bufio.NewWriter(w)
	pc := c.Has(OptPersistentConn)
	bw.WriteString("IPVS connection entries\n")
	if pc {
		bw.WriteString("pro expire state       source             virtual            destination        pe name          pe_data\n")
	} else {
		bw.WriteString("pro expire state       source             virtual            destination\n")
	}
	numeric := c.Has(OptNumeric)
	for {
		chunk, err := readConnChunk(br)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			// fgets reports a read error as it reports the end of the
			// file, and ipvsadm's loop then never ends; stop instead.
			bw.Flush()
			return &Error{Status: 1, Text: "unexpected input from " + path}
		}
		row, ok := parseConnRow(chunk)
		if !ok {
			bw.Flush()
			return &Error{Status: 1}
		}
		row.write(bw, pc, numeric, r)
	}
	return bw.Flush()
}

// readConnChunk is fgets(buf, 256, f): the next line with its newline,
// or its first 255 bytes. It returns io.EOF only when nothing was read.
func readConnChunk(br *bufio.Reader) ([]byte, error) {
	buf, err := br.Peek(connChunkMax)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if len(buf) == 0 {
		return nil, io.EOF
	}
	n := len(buf)
	if i := bytes.IndexByte(buf, '\n'); i >= 0 {
		n = i + 1
	}
	line := append([]byte(nil), buf[:n]...)
	br.Discard(n)
	return line, nil
}

// connRow is one parsed row of the connection file.
type connRow struct {
	n                  int // fields converted, as sscanf counts them
	proto              string
	client, virt, dest string
	cport, vport       uint16
	dport              uint16
	state              string
	expires            uint32
	peName, peData     string
}

// parseConnRow parses one chunk with the rules of ipvsadm's
// sscanf("%s %s %hX %s %hX %s %hX %s %d %s %s"), stopping at the first
// field that does not convert. ok is false when the chunk holds no field
// at all (sscanf returns EOF, and ipvsadm exits). sscanf stops at a NUL
// byte, so the text after one is ignored.
func parseConnRow(chunk []byte) (connRow, bool) {
	if i := bytes.IndexByte(chunk, 0); i >= 0 {
		chunk = chunk[:i]
	}
	sc := &cScanner{s: string(chunk)}
	var row connRow
	fields := []func() bool{
		func() bool { return sc.word(&row.proto) },
		func() bool { return sc.word(&row.client) },
		func() bool { return sc.hex16(&row.cport) },
		func() bool { return sc.word(&row.virt) },
		func() bool { return sc.hex16(&row.vport) },
		func() bool { return sc.word(&row.dest) },
		func() bool { return sc.hex16(&row.dport) },
		func() bool { return sc.word(&row.state) },
		func() bool { return sc.dec32(&row.expires) },
		func() bool { return sc.word(&row.peName) },
		func() bool { return sc.word(&row.peData) },
	}
	for _, field := range fields {
		if !field() {
			break
		}
		row.n++
	}
	return row, row.n > 0
}

// write prints the row as ipvsadm's print_conn does, with one deliberate
// difference: with --persistent-conn, ipvsadm 1.31 pads a row's
// destination to 16 and its engine name to 18, the reverse of its title's
// columns, so the engine data lands under the wrong heading. lvskit pads
// them as the title does (18 and 16); the words, and so what a script
// splitting on blanks reads, are the same (man/ipvsadm.8, COMPATIBILITY).
func (row *connRow) write(w *bufio.Writer, pc, numeric bool, r Resolver) {
	var proto ipvs.Protocol
	switch row.proto {
	case "TCP":
		proto = ipvs.TCP
	case "UDP":
		proto = ipvs.UDP
	case "SCTP":
		proto = ipvs.SCTP
	}
	af, caddr, vaddr := connPair(row.client, row.virt)
	daf, daddr := connAddr(row.dest)
	cname := addrPort(af, caddr, row.cport, proto, numeric, r)
	vname := addrPort(af, vaddr, row.vport, proto, numeric, r)
	dname := addrPort(daf, daddr, row.dport, proto, numeric, r)

	// ipvsadm stores the expiry in an unsigned int, so minutes stay
	// below 2^31 and print as themselves with "%02d".
	expire := twoDigits(row.expires/60) + ":" + twoDigits(row.expires%60)

	pad(w, row.proto, 3)
	w.WriteByte(' ')
	pad(w, expire, 6)
	w.WriteByte(' ')
	pad(w, row.state, 11)
	w.WriteByte(' ')
	pad(w, cname, 18)
	w.WriteByte(' ')
	pad(w, vname, 18)
	w.WriteByte(' ')
	if pc && row.n == 11 {
		pad(w, dname, 18)
		w.WriteByte(' ')
		pad(w, row.peName, 16)
		w.WriteByte(' ')
		w.WriteString(row.peData)
	} else {
		w.WriteString(dname)
	}
	w.WriteByte('\n')
}

// twoDigits is printf's "%02d" of a non-negative value.
func twoDigits(v uint32) string {
	s := utoa(uint64(v))
	if len(s) < 2 {
		s = "0" + s
	}
	return s
}

// connPair decodes the client and virtual addresses, whose family is the
// client's: IPv6 text, else a dotted quad, else hex. A virtual address
// that does not parse in that family is left invalid, which prints as
// the zero address.
func connPair(client, virt string) (ipvs.Family, netip.Addr, netip.Addr) {
	if a, ok := inetPton6(client); ok {
		v, _ := inetPton6(virt)
		return ipvs.INET6, a, v
	}
	if a, ok := inetPton4(client); ok {
		v, _ := inetPton4(virt)
		return ipvs.INET, a, v
	}
	return ipvs.INET, hexAddr4(client), hexAddr4(virt)
}

// connAddr decodes the destination address on its own: a tunnelled
// destination may be of the other family, and the kernel then writes an
// IPv4 one as hex even in an IPv6 row.
func connAddr(s string) (ipvs.Family, netip.Addr) {
	if a, ok := inetPton6(s); ok {
		return ipvs.INET6, a
	}
	if a, ok := inetPton4(s); ok {
		return ipvs.INET, a
	}
	return ipvs.INET, hexAddr4(s)
}

// hexAddr4 is htonl(strtoul(s, NULL, 16)) stored in a 32-bit address:
// the leading hex digits of s, overflow saturating, the low 32 bits kept.
func hexAddr4(s string) netip.Addr {
	v := strtoul(s, 16)
	return netip.AddrFrom4([4]byte{byte(v >> 24), byte(v >> 16), byte(v >> 8), byte(v)})
}

// strtoul is C's strtoul(s, NULL, base) for base 10 or 16 on 64-bit
// longs: leading white space, a sign (a minus negates modulo 2^64), "0x"
// for base 16 when a hex digit follows, then digits; ULONG_MAX on
// overflow; 0 when there are no digits.
func strtoul(s string, base int) uint64 {
	i := 0
	for i < len(s) && cIsSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	if base == 16 && i+2 < len(s) && s[i] == '0' && (s[i+1] == 'x' || s[i+1] == 'X') && digitIn(s[i+2], 16) {
		i += 2
	}
	var v uint64
	overflow := false
	for ; i < len(s) && digitIn(s[i], base); i++ {
		d := hexDigit(s[i])
		if v > (math.MaxUint64-uint64(d))/uint64(base) {
			overflow = true
		}
		v = v*uint64(base) + uint64(d)
	}
	if overflow {
		return math.MaxUint64
	}
	if neg {
		return -v
	}
	return v
}

// digitIn reports whether c is a digit of base 10 or 16.
func digitIn(c byte, base int) bool {
	d := hexDigit(c)
	return d >= 0 && d < base
}

// cScanner reads conversions from a string the way glibc's sscanf does.
type cScanner struct {
	s string
	i int
}

func (sc *cScanner) skipSpace() {
	for sc.i < len(sc.s) && cIsSpace(sc.s[sc.i]) {
		sc.i++
	}
}

// word is "%s": white space skipped, then a run of non-space bytes.
func (sc *cScanner) word(dst *string) bool {
	sc.skipSpace()
	start := sc.i
	for sc.i < len(sc.s) && !cIsSpace(sc.s[sc.i]) {
		sc.i++
	}
	*dst = sc.s[start:sc.i]
	return sc.i > start
}

// number collects a number's text as glibc's scanf does before it
// converts it: white space skipped, an optional sign, then for base 16 a
// "0x" whose "x" is consumed even when no digit follows, then digits.
// It fails when nothing but a sign was read.
func (sc *cScanner) number(base int) (string, bool) {
	sc.skipSpace()
	var buf []byte
	if sc.i < len(sc.s) && (sc.s[sc.i] == '+' || sc.s[sc.i] == '-') {
		buf = append(buf, sc.s[sc.i])
		sc.i++
	}
	if sc.i < len(sc.s) && sc.s[sc.i] == '0' {
		buf = append(buf, '0')
		sc.i++
		if base == 16 && sc.i < len(sc.s) && (sc.s[sc.i] == 'x' || sc.s[sc.i] == 'X') {
			sc.i++
		}
	}
	for sc.i < len(sc.s) && digitIn(sc.s[sc.i], base) {
		buf = append(buf, sc.s[sc.i])
		sc.i++
	}
	if len(buf) == 0 || (len(buf) == 1 && (buf[0] == '+' || buf[0] == '-')) {
		return "", false
	}
	return string(buf), true
}

// hex16 is "%hX": strtoul's value stored in an unsigned short.
func (sc *cScanner) hex16(dst *uint16) bool {
	t, ok := sc.number(16)
	if ok {
		*dst = uint16(strtoul(t, 16))
	}
	return ok
}

// dec32 is "%d" into the unsigned int ipvsadm declares: strtol's long
// (saturated on overflow) stored in an int.
func (sc *cScanner) dec32(dst *uint32) bool {
	t, ok := sc.number(10)
	if ok {
		v, _, _, _ := cStrtol(t)
		*dst = uint32(v)
	}
	return ok
}
