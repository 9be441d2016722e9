package ipvsadm

import (
	"fmt"
	"io"
	"strings"
)

// versionLine is what -v prints, and the first line of -h. Scripts check
// it, so it is ipvsadm 1.31's own.
const versionLine = "ipvsadm v1.31 2019/12/24 (compiled with popt and IPVS v1.2.1)"

// tryAgain is the message for a command line whose first option is not a
// command.
func tryAgain(prog string) *Error {
	return &Error{Status: 255, Text: fmt.Sprintf("Try `%s -h' or '%s --help' for more information.", prog, prog), notCommand: true}
}

// usage is the help text, in lvskit's words; PROG stands for the program
// name as invoked.
const usage = `Usage:
  PROG -A|-E SERVICE [-s SCHEDULER] [-p [TIMEOUT]] [-M NETMASK] [--pe ENGINE] [-b FLAGS] [-o]
  PROG -D SERVICE
  PROG -C
  PROG -R < RULES
  PROG -S [-n]
  PROG -a|-e SERVICE -r SERVER [-g|-i|-m] [-w WEIGHT] [-x UPPER] [-y LOWER] [TUNNEL]
  PROG -d SERVICE -r SERVER
  PROG -L|-l [SERVICE] [LIST-OPTIONS]
  PROG -Z [SERVICE]
  PROG --set TCP TCPFIN UDP
  PROG --start-daemon master|backup [DAEMON-OPTIONS]
  PROG --stop-daemon master|backup [--syncid ID]
  PROG -h | -v

Commands (the command comes first; long and short names are the same):
  -A, --add-service       create a virtual service
  -E, --edit-service      replace a virtual service's settings (unset ones revert to defaults)
  -D, --delete-service    remove a virtual service and its real servers
  -C, --clear             remove every virtual service
  -R, --restore           read rules, one command line each, from standard input
  -S, --save              print the table as rules for -R
  -a, --add-server        add a real server to a virtual service
  -e, --edit-server       replace a real server's settings (unset ones revert to defaults)
  -d, --delete-server     remove a real server
  -L, -l, --list          show the table (the default without arguments)
  -Z, --zero              reset the counters of one service, or of all
      --set               set the TCP, TCP FIN and UDP timeouts in seconds (0 keeps one)
      --start-daemon      start the connection synchronisation daemon
      --stop-daemon       stop it
  -h, --help              show this text
  -v, --version           show the version

SERVICE is one of:
  -t, --tcp-service HOST[:PORT]    -u, --udp-service HOST[:PORT]
      --sctp-service HOST[:PORT]   -f, --fwmark-service MARK [-6]
  (write IPv6 addresses in brackets: [2001:db8::1]:80)

Service options:
  -s, --scheduler NAME    rr wrr lc wlc lblc lblcr dh sh sed nq fo ovf mh; wlc if not given
  -p, --persistent [SECS] keep a client on one server (360 s if no value is given)
  -M, --netmask MASK      group clients for persistence (IPv4 mask or IPv6 prefix length)
      --pe ENGINE         persistence engine (sip)
  -b, --sched-flags LIST  flag-1,flag-2,flag-3; sh-fallback,sh-port; mh-fallback,mh-port
  -o, --ops               one-packet scheduling (UDP and fwmark services)
  -6, --ipv6              after -f: the fwmark service is IPv6

Real-server options:
  -r, --real-server HOST[:PORT]
  -g, --gatewaying        direct routing (the default)
  -i, --ipip              tunnelling
  -m, --masquerading      NAT
  -w, --weight N          0 to 2147483647 (default 1)
  -x, --u-threshold N     stop sending new connections above N active ones
  -y, --l-threshold N     resume below N
      --tun-type TYPE     ipip (default), gue or gre, with -i
      --tun-port PORT     GUE destination port
      --tun-nocsum | --tun-csum | --tun-remcsum   tunnel checksum mode

List options:
  -n, --numeric           no name lookups      -c, --connection   connections
      --stats  --rate  --thresholds  --persistent-conn  --tun-info   columns to show
      --exact             full numbers         --timeout  --daemon            other tables
      --nosort            kernel order         --sort              accepted, does nothing

Daemon options:
      --mcast-interface IF   (default eth0)    --syncid ID   0 to 255 (default 0)
      --sync-maxlen BYTES    --mcast-group ADDR    --mcast-port PORT    --mcast-ttl TTL
`

// writeHelp prints the version line and the usage text.
func writeHelp(w io.Writer, prog string) {
	fmt.Fprintln(w, versionLine)
	io.WriteString(w, strings.ReplaceAll(usage, "PROG", prog))
}
