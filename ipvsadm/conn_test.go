package ipvsadm

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"testing"
)

// connHeader is the first line of the kernel's /proc/net/ip_vs_conn.
const connHeader = "Pro FromIP   FPrt ToIP     TPrt DestIP   DPrt State       Expires PEName PEData\n"

// connProcAddr is an address as the kernel writes it in the connection
// file: IPv4 as %08X, IPv6 as %pI6 (eight groups of four hex digits).
func connProcAddr(s string) string {
	a := netip.MustParseAddr(s)
	if a.Is4() {
		b := a.As4()
		return fmt.Sprintf("%02X%02X%02X%02X", b[0], b[1], b[2], b[3])
	}
	b := a.As16()
	var g []string
	for i := 0; i < 16; i += 2 {
		g = append(g, fmt.Sprintf("%02x%02x", b[i], b[i+1]))
	}
	return strings.Join(g, ":")
}

// connProcLine is one row as the kernel's ip_vs_conn_seq_show writes it;
// pe is " <name> <data>" or empty.
func connProcLine(proto, c string, cport uint16, v string, vport uint16, d string, dport uint16, state string, expires uint, pe string) string {
	return fmt.Sprintf("%-3s %s %04X %s %04X %s %04X %-11s %7d%s\n",
		proto, connProcAddr(c), cport, connProcAddr(v), vport, connProcAddr(d), dport, state, expires, pe)
}

// The connections behind the reference's captured -c listings.
var (
	connRow1 = connProcLine("TCP", "192.168.1.100", 54321, "10.0.0.1", 80, "192.168.1.10", 80, "ESTABLISHED", 899, "")
	connRow2 = connProcLine("UDP", "192.168.1.101", 53, "10.0.0.2", 53, "192.168.1.20", 53, "UDP", 299, "")
	connRow3 = connProcLine("TCP", "10.0.0.5", 0, "10.0.0.1", 80, "192.168.1.10", 80, "NONE", 6359, "")
	connRow4 = connProcLine("UDP", "192.168.1.102", 5060, "10.0.0.3", 5060, "192.168.1.20", 5060, "UDP", 59, " sip 1234@host")
	connRow5 = connProcLine("TCP", "2001:db8::1", 54321, "2001:db8::80", 80, "2001:db8::a0a0", 80, "SYN_RECV", 59, "")
	connRow6 = connProcLine("TCP", "127.0.0.1", 54321, "127.0.0.1", 80, "127.0.0.1", 80, "FIN_WAIT", 119, "")
)

func connOutput(t *testing.T, in string, opts Opt) (string, error) {
	t.Helper()
	var b bytes.Buffer
	err := WriteConns(&b, strings.NewReader(in), "/proc/net/ip_vs_conn", &Command{Cmd: CmdList, Opts: OptConnection | opts}, listResolver{})
	return b.String(), err
}

func TestCapturedConns(t *testing.T) {
	all := connHeader + connRow1 + connRow2 + connRow3 + connRow4 + connRow5 + connRow6
	tests := []struct {
		name string
		in   string
		opts Opt
		want string
	}{
		{"12.4 -Lnc", all, OptNumeric, s1Lnc},
		{"12.4 -Lc --persistent-conn", all, OptPersistentConn, s1LcPersistentConn},
		{"5.6 -Lnc", connHeader + connRow1 + connRow2 + connRow3 + connRow5, OptNumeric, s56Lnc},
		{"5.6 -Lc --persistent-conn", connHeader + connRow4, OptPersistentConn, s56LcPersistentConn},
	}
	for _, tt := range tests {
		got, err := connOutput(t, tt.in, tt.opts)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
		}
		sameListing(t, tt.name, got, tt.want)
	}
}

const connTitle = "IPVS connection entries\npro expire state       source             virtual            destination\n"

// connRowText is ipvsadm's "%-3s %-6s %-11s %-18s %-18s %s\n" row.
func connRowText(proto, expire, state, c, v, d string) string {
	return fmt.Sprintf("%-3s %-6s %-11s %-18s %-18s %s\n", proto, expire, state, c, v, d)
}

func TestConnErrors(t *testing.T) {
	var e *Error

	got, err := connOutput(t, "", OptNumeric)
	if !errors.As(err, &e) || e.Status != 1 || e.Text != "unexpected input from /proc/net/ip_vs_conn" || got != "" {
		t.Errorf("empty file: %q, %#v", got, err)
	}

	// The file name in the message is the caller's.
	var b bytes.Buffer
	err = WriteConns(&b, strings.NewReader(""), "/tmp/conns", nil, nil)
	if !errors.As(err, &e) || e.Text != "unexpected input from /tmp/conns" {
		t.Errorf("path: %#v", err)
	}

	got, err = connOutput(t, connHeader, OptNumeric)
	if err != nil || got != connTitle {
		t.Errorf("header only: %q, %v", got, err)
	}

	// A blank line ends the listing with status 1 and no message; the
	// rows before it are printed.
	for _, blank := range []string{"\n", "  \t\r\n", "\x00junk\n"} {
		got, err = connOutput(t, connHeader+connRow1+blank+connRow2, OptNumeric)
		want := connTitle + connRowText("TCP", "14:59", "ESTABLISHED", "192.168.1.100:54321", "10.0.0.1:80", "192.168.1.10:80")
		if !errors.As(err, &e) || e.Status != 1 || e.Text != "" || got != want {
			t.Errorf("blank line %q: %q, %#v", blank, got, err)
		}
	}
}

func TestConnRows(t *testing.T) {
	zero := "0.0.0.0:0"
	long := strings.Repeat("x", 300)
	// 255 bytes, then the newline alone is read as a blank line.
	exact := strings.TrimSuffix(connRow1, "\n") + " pe " + strings.Repeat("y", 255-len(connRow1)-3) + "\n"
	tests := []struct {
		name string
		rows string
		opts Opt
		want string
		err  bool
	}{
		{"last line without newline", strings.TrimSuffix(connRow1, "\n"), OptNumeric,
			connRowText("TCP", "14:59", "ESTABLISHED", "192.168.1.100:54321", "10.0.0.1:80", "192.168.1.10:80"), false},
		{"IPv6 connection to an IPv4 server (hex)",
			"TCP 2001:0db8:0000:0000:0000:0000:0000:0001 D431 2001:0db8:0000:0000:0000:0000:0000:0080 0050 C0A8010A 0050 ESTABLISHED     899\n",
			OptNumeric, connRowText("TCP", "14:59", "ESTABLISHED", "[2001:db8::1]:54321", "[2001:db8::80]:80", "192.168.1.10:80"), false},
		{"dotted quads and an IPv6 server",
			"UDP 10.1.1.1 0035 10.0.0.2 0035 2001:db8::5 0035 UDP 5\n",
			OptNumeric, connRowText("UDP", "00:05", "UDP", "10.1.1.1:53", "10.0.0.2:53", "[2001:db8::5]:53"), false},
		{"scanf number forms", "SCTP 0A000001 0x50 0A000002 -1 ffffffffffff +1F ESTABLISHED -1\n", OptNumeric,
			connRowText("SCTP", "71582788:15", "ESTABLISHED", "10.0.0.1:80", "10.0.0.2:65535", "255.255.255.255:31"), false},
		{"a field that does not convert leaves the rest zero", "TCP 0A000001 zz 0A000002 0050\n", OptNumeric,
			connRowText("TCP", "00:00", "", "10.0.0.1:0", "0.0.0.0:0", zero), false},
		{"an IPv6 client whose virtual address is not IPv6", "TCP ::1 0001 0A000001 0002 ::2 0003 X 61\n", OptNumeric,
			connRowText("TCP", "01:01", "X", "[::1]:1", "[::]:2", "[::2]:3"), false},
		{"names unless -n; unknown protocols keep numbers", connRow6 + "XYZ 7F000001 0050 7F000001 0050 7F000001 0050 NONE 1\n", 0,
			connRowText("TCP", "01:59", "FIN_WAIT", "localhost:54321", "localhost:http", "localhost:http") +
				connRowText("XYZ", "00:01", "NONE", "localhost:80", "localhost:80", "localhost:80"), false},
		{"an engine without data is a plain row", strings.TrimSuffix(connRow4, " 1234@host\n") + "\n", OptNumeric | OptPersistentConn,
			connRowText("UDP", "00:59", "UDP", "192.168.1.102:5060", "10.0.0.3:5060", "192.168.1.20:5060"), false},
		{"a line over 255 bytes is read as two rows", strings.TrimSuffix(connRow4, "1234@host\n") + long + "\n", OptNumeric | OptPersistentConn,
			fmt.Sprintf("%-3s %-6s %-11s %-18s %-18s %-18s %-16s %s\n", "UDP", "00:59", "UDP", "192.168.1.102:5060", "10.0.0.3:5060", "192.168.1.20:5060", "sip",
				long[:255-len(strings.TrimSuffix(connRow4, "1234@host\n"))]) +
				connRowText(long[255-len(strings.TrimSuffix(connRow4, "1234@host\n")):], "00:00", "", zero, zero, zero), false},
		{"a 255-byte line leaves a blank one", exact + connRow2, OptNumeric,
			connRowText("TCP", "14:59", "ESTABLISHED", "192.168.1.100:54321", "10.0.0.1:80", "192.168.1.10:80"), true},
	}
	for _, tt := range tests {
		got, err := connOutput(t, connHeader+tt.rows, tt.opts)
		if (err != nil) != tt.err {
			t.Errorf("%s: error %v", tt.name, err)
		}
		title := connTitle
		if tt.opts&OptPersistentConn != 0 {
			title = "IPVS connection entries\npro expire state       source             virtual            destination        pe name          pe_data\n"
		}
		sameListing(t, tt.name, got, title+tt.want)
	}
}

// A header longer than 255 bytes leaves its tail to be read as a row,
// as fgets does.
func TestConnLongHeader(t *testing.T) {
	header := strings.Repeat("h", 255) + "TAIL\n"
	got, err := connOutput(t, header+connRow1, OptNumeric)
	if err != nil {
		t.Fatal(err)
	}
	want := connTitle + connRowText("TAIL", "00:00", "", "0.0.0.0:0", "0.0.0.0:0", "0.0.0.0:0") +
		connRowText("TCP", "14:59", "ESTABLISHED", "192.168.1.100:54321", "10.0.0.1:80", "192.168.1.10:80")
	sameListing(t, "long header", got, want)
}

// Listings captured in the reference's section 5.6.
const (
	// $ ipvsadm -Lnc
	s56Lnc = `IPVS connection entries
pro expire state       source             virtual            destination
TCP 14:59  ESTABLISHED 192.168.1.100:54321 10.0.0.1:80        192.168.1.10:80
UDP 04:59  UDP         192.168.1.101:53   10.0.0.2:53        192.168.1.20:53
TCP 105:59 NONE        10.0.0.5:0         10.0.0.1:80        192.168.1.10:80
TCP 00:59  SYN_RECV    [2001:db8::1]:54321 [2001:db8::80]:80  [2001:db8::a0a0]:80
`
	// $ ipvsadm -Lc --persistent-conn, with the row's destination and
	// engine columns padded as the title's (ipvsadm 1.31 swaps them:
	// "192.168.1.20:sip sip                1234@host").
	s56LcPersistentConn = `IPVS connection entries
pro expire state       source             virtual            destination        pe name          pe_data
UDP 00:59  UDP         192.168.1.102:sip  10.0.0.3:sip       192.168.1.20:sip   sip              1234@host
`
)

// FuzzWriteConns feeds arbitrary connection files to the parser, in every
// output mode: it must never panic, fail only with status 1, and always
// start its output with the title once the first line was read.
func FuzzWriteConns(f *testing.F) {
	f.Add([]byte(connHeader + connRow1 + connRow2 + connRow3 + connRow4 + connRow5 + connRow6))
	f.Add([]byte(connHeader + "\n"))
	f.Add([]byte(connHeader + "TCP 0x 0x - -0x -- 0X +0 X 99999999999999999999999 a b c\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, opts := range []Opt{OptNumeric, 0, OptNumeric | OptPersistentConn, OptPersistentConn} {
			var b bytes.Buffer
			err := WriteConns(&b, bytes.NewReader(data), "/proc/net/ip_vs_conn", &Command{Cmd: CmdList, Opts: OptConnection | opts}, listResolver{})
			if err != nil {
				var e *Error
				if !errors.As(err, &e) || e.Status != 1 {
					t.Fatalf("error %#v", err)
				}
				if e.Text != "" {
					if b.Len() != 0 {
						t.Fatalf("output before %q: %q", e.Text, b.String())
					}
					continue
				}
			}
			if !strings.HasPrefix(b.String(), "IPVS connection entries\npro expire ") {
				t.Fatalf("output %q", b.String())
			}
		}
	})
}
