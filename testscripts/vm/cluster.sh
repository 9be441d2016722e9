#!/bin/sh
# A two-director LVS cluster on a real kernel (guest script; needs
# pulse, lvsd, nanny, ipvsadm and labhttp in /lvskit/bin).
#
#   cluster.sh demo    narrate the scenario (make demo)
#   cluster.sh test    assert every step; exit 1 with FAIL and the logs
#                      on the first that does not hold (make test-lab)
#   cluster.sh MODE dump
#                      also print every log, stamped, and CPU use at the
#                      end (debugging)
#
# Network namespaces: director A (the primary) and director B (the
# backup) each run pulse, which runs lvsd on the active one, which runs
# a nanny per real server and virtual service, all from one lvs.cf. Three
# real servers (labhttp serve) sit behind a NAT virtual service
# (10.0.0.1:80) and a direct-routing one (10.0.0.2:80), and a client
# sends requests to both VIPs all along (labhttp load: one to each VIP
# every 50 ms, each on a new connection, given 2 s). The scenario: cold
# start, traffic spread over the real servers, one real server stopped
# (nanny takes it out) and started again (nanny puts it back), the
# primary killed (kill -9 of its pulse, its links down: a dead host; the
# backup takes the VIPs, announces them and builds the table), the
# primary back (failback = preempt). Both modes end with a summary:
# requests sent and failed per phase, detection and failover times.
#
#   public bridge br-pub 10.0.0.0/24: client .100, A .11, B .12, the
#       guest itself .254; VIPs 10.0.0.1 (eth0:1) and 10.0.0.2 (eth0:2)
#       on the active director; heartbeats
#   private bridge br-priv 192.168.1.0/24: A .2, B .3, rs1-rs3 .10-.12,
#       the guest .1; nat_router 192.168.1.254 (eth1:1) on the active
#       director, the real servers' default route (NAT replies go back
#       through it). The real servers hold 10.0.0.2 on lo (arp_ignore 1,
#       arp_announce 2) and answer the direct-routing service through
#       the guest (a policy route for source 10.0.0.2), not the director.
#
# Times: /proc/uptime in the script, CLOCK_BOOTTIME in labhttp's logs
# (the same clock), in milliseconds. The daemons' output is stamped with
# the same clock as it arrives.
set -eu

MODE=${1:-test}
DUMP=${2:-}
case $MODE in
demo | test) ;;
*)
	echo "usage: cluster.sh demo|test" >&2
	exit 2
	;;
esac

W=/root/cluster
R=/run/cluster
mkdir -p $W $R
cd $W
UP=$UPSTREAM_IPVSADM

VIP1=10.0.0.1   # NAT
VIP2=10.0.0.2   # direct routing
NATR=192.168.1.254
MAC_A=02:00:00:00:0a:00
MAC_B=02:00:00:00:0b:00
# lvs.cf's timings (pulse: keepalive, deadtime, failback_delay; nanny:
# check_interval, timeout, fall, rise), in ms where the script computes.
KEEPALIVE=200
DEADTIME=1000
FAILBACK_DELAY=2000
INTERVAL=1000
TIMEOUT=1000
FALL=2
RISE=2
EVERY=50        # the client's period per VIP, ms
# What the client gives a request: 2 s, so that a SYN lost once is
# retransmitted within it (after 1 s), and a stall of the emulated
# machine is not a failure.
REQ_TIMEOUT=2000
# A request under way when something breaks fails with it: each outage
# window starts this long before its event (a request takes 5 to 30 ms
# here).
M=200
# Slack on every time bound: polls (an ipvsadm run is ~0.1 s in the
# emulated guest) and scheduling on a busy emulated machine.
SLACK=1000

# ---------------------------------------------------------------------
# output

FAILED=0
say() {
	[ "$MODE" = demo ] || return 0
	printf '%s\n' "$@"
}
step() { printf '\n== %s\n' "$*"; }
# showin NS CMD...: CMD in NS, shown as run on that host.
showin() {
	ns=$1
	shift
	printf '%s$ %s\n' "$ns" "$*"
	nsenter --net=/run/netns/$ns "$@" 2>&1 | sed 's/^/  /'
}
logs() {
	for f in dirA.log dirB.log dirA-2.log watch.log watch.err load.err; do
		[ -e $f ] || continue
		echo "--- $f (last 60 lines)"
		tail -n 60 $f
	done
	echo "--- load.log: failures"
	grep ' fail ' load.log 2>/dev/null | tail -n 40 || true
	for ns in dirA dirB; do
		echo "--- $ns: addresses, IPVS table (upstream ipvsadm)"
		ip -n $ns -o -4 addr show 2>&1 || true
		nsenter --net=/run/netns/$ns $UP -Ln 2>&1 || true
	done
	echo "--- client: neighbours"
	ip -n client neigh show 2>&1 || true
}
fail() {
	echo "FAIL: $*"
	logs
	exit 1
}
# check COND-STATUS MESSAGE: in test mode a false check fails the run;
# the demo says so and goes on (its summary shows what happened).
check() {
	if [ "$1" -eq 0 ]; then
		[ "$MODE" = demo ] || echo "ok: $2"
		return 0
	fi
	if [ "$MODE" = test ]; then
		fail "$2"
	fi
	echo "!! NOT AS EXPECTED: $2"
	FAILED=$((FAILED + 1))
}
ok() { check 0 "$1"; }
no() { check 1 "$1"; }
# expect TEST-ARGS... -- MESSAGE: check [ TEST-ARGS ].
expect() {
	n=0
	for a; do
		n=$((n + 1))
		[ "$a" != -- ] || break
	done
	msg=
	eval "msg=\${$((n + 1))}"
	targs=
	i=1
	while [ $i -lt $n ]; do
		targs="$targs \"\${$i}\""
		i=$((i + 1))
	done
	if eval "[ $targs ]"; then ok "$msg"; else no "$msg"; fi
}

# ---------------------------------------------------------------------
# clock

# now: milliseconds since boot in NOW (from /proc/uptime, 10 ms steps).
now() {
	read -r up _ </proc/uptime
	NOW=${up%.*}${up#*.}0
	NOW=${NOW#0}
}
# secs MS: "1.23" (MS rounded to 10 ms).
secs() {
	cs=$((($1 + 5) / 10))
	if [ $cs -lt 0 ]; then
		printf -- '-%d.%02d' $((-cs / 100)) $((-cs % 100))
	else
		printf '%d.%02d' $((cs / 100)) $((cs % 100))
	fi
}
# stamp: each line of stdin prefixed with the time it came, in ms.
stamp() {
	while IFS= read -r l; do
		read -r up _ </proc/uptime
		printf '%s0 %s\n' "${up%.*}${up#*.}" "$l"
	done
}
T0=0
now
T0=$NOW
# at MS: a moment as seconds since the scenario started.
at() { secs $(($1 - T0)); }

# cpu LABEL: the share of CPU time busy since the last call, to cpu.log.
CPU_LAST=
cpu() {
	read -r _ u n sy id io irq sirq _ </proc/stat
	busy=$((u + n + sy + irq + sirq))
	all=$((busy + id + io))
	if [ -n "$CPU_LAST" ]; then
		set -- "$1" $CPU_LAST
		echo "$1: $(((busy - $2) * 100 / (all - $3 + 1)))%" >>cpu.log
	fi
	CPU_LAST="$busy $all"
}

# ---------------------------------------------------------------------
# the load log: START END HOST ok NAME | START END HOST fail KIND

# stats FROM TO [HOST]: requests started in [FROM, TO), in SENT, FAILS,
# and per real server in OK1 OK2 OK3.
stats() {
	set -- $(awk -v a="$1" -v b="$2" -v h="${3:-}" '
		$1 >= a && $1 < b && (h == "" || $3 == h) {
			n++
			if ($4 == "fail") f++
			else if ($5 == "rs1") r1++
			else if ($5 == "rs2") r2++
			else if ($5 == "rs3") r3++
		}
		END { printf "%d %d %d %d %d\n", n, f, r1, r2, r3 }' load.log)
	SENT=$1 FAILS=$2 OK1=$3 OK2=$4 OK3=$5
}
# failspan FROM TO HOST: the first and last start of a failed request
# started in [FROM, TO) to HOST, in FFIRST and FLAST (empty if none).
failspan() {
	set -- $(awk -v a="$1" -v b="$2" -v h="$3" '
		$1 >= a && $1 < b && $3 == h && $4 == "fail" {
			if (first == "" || $1 < first) first = $1
			if (last == "" || $1 > last) last = $1
		}
		END { print first, last }' load.log)
	FFIRST=${1:-} FLAST=${2:-}
}
# firstok FROM HOST [ENDFROM [SERVER]]: of the requests started at FROM
# or later that HOST answered (at ENDFROM or later, from SERVER, if
# given), the first answer: its end in OKEND and the request's start in
# OKSTART, empty if none yet.
firstok() {
	set -- $(awk -v a="$1" -v h="$2" -v e="${3:-0}" -v s="${4:-}" '
		$1 >= a && $2 >= e && $3 == h && $4 == "ok" && (s == "" || $5 == s) && (end == "" || $2 < end) { start = $1; end = $2 }
		END { print start, end }' load.log)
	OKSTART=${1:-} OKEND=${2:-}
}
# lastlog FILE FROM REGEX: the time of the last line of FILE at FROM or
# later that matches REGEX, in LASTLOG.
lastlog() {
	LASTLOG=$(awk -v a="$2" -v re="$3" '$1 >= a && $0 ~ re { t = $1 } END { print t }' "$1")
}
# kinds FROM TO [HOST]: the kinds of failure, "refused×3 timeout×2", per
# VIP unless HOST is given.
kinds() {
	awk -v a="$1" -v b="$2" -v h="${3:-}" '
		$1 >= a && $1 < b && (h == "" || $3 == h) && $4 == "fail" { k[$3 " " $5]++ }
		END {
			for (x in k) { split(x, p, " "); v[p[1]] = v[p[1]] (v[p[1]] == "" ? "" : " ") p[2] "×" k[x] }
			sep = ""
			for (y in v) { printf "%s%s%s", sep, (h == "" ? y ": " : ""), v[y]; sep = "; " }
		}' load.log
}
# spread FROM TO: a table of answers per VIP and real server.
spread() {
	printf '  %-13s %6s %6s %6s %7s %7s\n' VIP rs1 rs2 rs3 failed sent
	for h in $VIP1 $VIP2; do
		stats "$1" "$2" $h
		printf '  %-13s %6d %6d %6d %7d %7d\n' "$h" $OK1 $OK2 $OK3 $FAILS $SENT
	done
}

# ---------------------------------------------------------------------
# the watcher's log: MS NETNS hold|drop ADDR, MS NETNS neigh ADDR MAC

# seen FROM NETNS WHAT ADDR [MAC]: the first time at FROM or later that
# the watcher logged it, in SEEN (empty if not yet).
seen() {
	SEEN=$(awk -v a="$1" -v n="$2" -v w="$3" -v ip="$4" -v m="${5:-}" '
		$1 >= a && $2 == n && $3 == w && $4 == ip && (m == "" || $5 == m) { print $1; exit }' watch.log)
}
# holds NETNS ADDR: whether the watcher's latest word on ADDR in NETNS is
# hold.
holds() {
	[ "$(awk -v n="$1" -v ip="$2" '$2 == n && $4 == ip && ($3 == "hold" || $3 == "drop") { w = $3 } END { print w }' watch.log)" = hold ]
}
# overlaps: every time a VIP was held by both directors at once, as
# "ADDR FROM TO" lines.
overlaps() {
	awk '$3 == "hold" || $3 == "drop" {
		h[$2, $4] = ($3 == "hold")
		both = h["dirA", $4] && h["dirB", $4]
		if (both && !(($4) in since)) since[$4] = $1
		if (!both && (($4) in since)) { print $4, since[$4], $1; delete since[$4] }
	}
	END { for (ip in since) print ip, since[ip], "end" }' watch.log
}

# waitfor SECS WHAT CMD...: run CMD every 0.1 s until it succeeds.
waitfor() {
	secs_=$1
	what=$2
	shift 2
	now
	until_=$((NOW + secs_ * 1000))
	until "$@"; do
		now
		[ $NOW -le $until_ ] || fail "$what: not within $secs_ s"
		sleep 0.1
	done
}

# ---------------------------------------------------------------------
# IPVS tables (upstream ipvsadm, the oracle, in a director's namespace)

ipvs() { nsenter --net=/run/netns/$1 $UP -Ln; }
# syncd NS ROLE: whether upstream ipvsadm lists ROLE's sync daemon.
syncd() { nsenter --net=/run/netns/$1 $UP -L --daemon | grep -q "^$2 sync daemon (mcast=eth1, syncid=0"; }
# listing NS: upstream's -Ln with the connection counts cut off and the
# real servers of each service sorted.
listing() {
	ipvs "$1" | sed -E 's/^(  -> [0-9][^ ]* +[A-Za-z]+ +[0-9]+ +)[0-9]+ +[0-9]+ *$/\1/' |
		awk '/^  -> [0-9]/ { print | "sort"; next } { close("sort"); print }'
}
# rscount NS VIP METHOD: how many real servers of VIP:80 are in NS's
# table with METHOD (Masq, Route) and a weight above 0.
rscount() {
	ipvs "$1" | awk -v s="$2:80" -v m="$3" '
		/^(TCP|UDP|FWM)/ { cur = $2; next }
		cur == s && $1 == "->" && $3 == m && $4 > 0 { n++ }
		END { print n + 0 }'
}
# has_rs NS VIP RIP: whether RIP:80 is in VIP:80 with a weight above 0.
has_rs() {
	ipvs "$1" | awk -v s="$2:80" -v r="$3:80" '
		/^(TCP|UDP|FWM)/ { cur = $2; next }
		cur == s && $1 == "->" && $2 == r && $4 > 0 { f = 1 }
		END { exit !f }'
}
full_table() {
	[ "$(rscount "$1" $VIP1 Masq)" = 3 ] && [ "$(rscount "$1" $VIP2 Route)" = 3 ]
}
TABLE3=$W/table3
cat >$TABLE3 <<'EOF'
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.1:80 rr
  -> 192.168.1.10:80              Masq    1      
  -> 192.168.1.11:80              Masq    1      
  -> 192.168.1.12:80              Masq    1      
TCP  10.0.0.2:80 rr
  -> 192.168.1.10:80              Route   1      
  -> 192.168.1.11:80              Route   1      
  -> 192.168.1.12:80              Route   1      
EOF
# expect_table NS: NS's table is the one lvs.cf describes, 3 + 3.
expect_table() {
	listing "$1" >table.got
	if cmp -s table.got $TABLE3; then
		ok "director ${1#dir}'s table (upstream ipvsadm -Ln) is the one lvs.cf describes: $VIP1 (Masq) and $VIP2 (Route), 3 real servers each"
	else
		echo "upstream ipvsadm -Ln in director ${1#dir}, counts cut:"
		cat table.got
		no "director ${1#dir}'s table is not the one lvs.cf describes"
	fi
}
# addrs_up NS: NS's IPv4 addresses on interfaces that are up.
addrs_up() { ip -n "$1" -o -4 addr show up | awk '$2 != "lo" { print $4 }' | tr '\n' ' '; }
has_addr() { ip -n "$1" -o -4 addr show up | grep -q " $2/"; }
neigh_mac() { ip -n "$1" neigh show "$2" | awk '{ for (i = 1; i < NF; i++) if ($i == "lladdr") print $(i + 1) }'; }

# ---------------------------------------------------------------------
step "1. the lab network"
say "Network namespaces stand for the machines:" \
	"" \
	"      client 10.0.0.100" \
	"            |" \
	"  ==========+===========+====== br-pub 10.0.0.0/24: the VIPs 10.0.0.1 (NAT) and" \
	"            |           |               10.0.0.2 (direct routing), heartbeats" \
	"   director A 10.0.0.11  director B 10.0.0.12" \
	"   (primary)             (backup)" \
	"            |           |" \
	"  ====+=====+=====+=====+====== br-priv 192.168.1.0/24: nat_router 192.168.1.254" \
	"      |           |           |" \
	"   rs1 .10     rs2 .11     rs3 .12" \
	"" \
	"Each real server runs labhttp, which answers GET / with its name. For the" \
	"direct-routing service each holds 10.0.0.2 on lo (arp_ignore=1, arp_announce=2)" \
	"and answers the client directly through a router (the guest itself), not through" \
	"the director; NAT replies go back through nat_router, on the active director." \
	"The directors run with net.ipv4.vs.expire_nodest_conn = 1, so that a client port" \
	"that comes round again is not sent to a real server nanny has removed."

# The guest routes between the bridges (direct-routing replies).
ip link add br-pub type bridge
ip link add br-priv type bridge
ip addr add 10.0.0.254/24 dev br-pub
ip addr add 192.168.1.1/24 dev br-priv
ip link set br-pub up
ip link set br-priv up
echo 1 >/proc/sys/net/ipv4/ip_forward
for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 >"$f"; done

# netns NAME: a namespace with lo up.
netns() {
	ip netns add "$1"
	ip -n "$1" link set lo up
}
# nic NS DEV BRIDGE ADDR [MAC]: a veth from NS's DEV into BRIDGE.
nic() {
	peer=v$1$2
	ip link add "$peer" type veth peer name "$2" netns "$1"
	[ -z "${5:-}" ] || ip -n "$1" link set "$2" address "$5"
	ip link set "$peer" master "$3" up
	ip -n "$1" addr add "$4" dev "$2"
	ip -n "$1" link set "$2" up
}

netns client
nic client eth0 br-pub 10.0.0.100/24 02:00:00:00:0c:00
for d in A B; do
	netns dir$d
	if [ $d = A ]; then
		nic dirA eth0 br-pub 10.0.0.11/24 $MAC_A
		nic dirA eth1 br-priv 192.168.1.2/24 02:00:00:00:0a:01
	else
		nic dirB eth0 br-pub 10.0.0.12/24 $MAC_B
		nic dirB eth1 br-priv 192.168.1.3/24 02:00:00:00:0b:01
	fi
	ip netns exec dir$d sh -c 'echo 1 >/proc/sys/net/ipv4/ip_forward; for f in /proc/sys/net/ipv4/conf/*/rp_filter; do echo 0 >$f; done'
	# A connection to a real server nanny removed stays in IPVS until
	# it times out (a direct-routing one ends in FIN_WAIT, 2 minutes),
	# and with the kernel's default a new connection from a client
	# port it used is sent its way and dropped: the client's ports do
	# come round again within a minute here. With 1 the old connection
	# is dropped instead, and the new one scheduled.
	ip netns exec dir$d sh -c 'echo 1 >/proc/sys/net/ipv4/vs/expire_nodest_conn'
done
for i in 1 2 3; do
	netns rs$i
	nic rs$i eth0 br-priv 192.168.1.1$((i - 1))/24
	ip -n rs$i route add default via $NATR
	ip -n rs$i addr add $VIP2/32 dev lo
	ip netns exec rs$i sh -c 'for c in all eth0; do echo 1 >/proc/sys/net/ipv4/conf/$c/arp_ignore; echo 2 >/proc/sys/net/ipv4/conf/$c/arp_announce; done'
	ip -n rs$i rule add from $VIP2 lookup 100
	ip -n rs$i route add default via 192.168.1.1 table 100
done
# serve N: real server N's HTTP server, its pid in SRVN.
serve() {
	ip netns exec rs$1 labhttp serve :80 rs$1 >>rs$1.log 2>&1 &
	eval "SRV$1=\$!"
}
for i in 1 2 3; do serve $i; done
rs_up() { nsenter --net=/run/netns/dirA labhttp get -t 1 "http://$1/" >/dev/null 2>&1; }
for i in 1 2 3; do
	waitfor 10 "rs$i answering HTTP" rs_up 192.168.1.1$((i - 1))
done
ok "three real servers answer HTTP on the private network"

# The watcher: which director holds the VIPs and the NAT router on an
# interface that is up, and where the client's and rs1's neighbour
# entries for them point.
labhttp watch -log watch.log -addr $VIP1,$VIP2,$NATR dirA dirB client rs1 2>watch.err &
WATCH=$!
sleep 0.5
kill -0 $WATCH 2>/dev/null || fail "labhttp watch did not start: $(cat watch.err)"

# ---------------------------------------------------------------------
step "2. one lvs.cf for both directors"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >hb.key
chmod 600 hb.key
# lvsd as each director's pulse runs it: lvsd's pid and state files are
# fixed paths unless given on its command line, which pulse does not
# do, and the two directors share this file system.
for d in A B; do
	cat >lvsd-dir$d <<EOF
#!/bin/sh
exec /lvskit/bin/lvsd --pidfile $R/dir$d-lvsd.pid --statefile $R/dir$d-lvsd.managed "\$@"
EOF
	chmod 755 lvsd-dir$d
	mkdir -p $W/state-dir$d
done
cat >lvs.cf <<EOF
service = lvs
primary = 10.0.0.11
backup = 10.0.0.12
backup_active = 1
heartbeat_port = 539
keepalive = 0.2
deadtime = 1
heartbeat_secret_file = $W/hb.key
failback = preempt
failback_delay = 2
syncdaemon = 1
syncd_iface = eth1
garp_count = 3
garp_interval = 0.5
garp_refresh = 10
network = nat
nat_router = $NATR eth1:1
ipvsadm = /lvskit/bin/ipvsadm

virtual web-nat {
     active = 1
     address = $VIP1 eth0:1
     port = 80
     scheduler = rr
     client_monitor = /lvskit/bin/nanny
     check = http
     check_interval = 1
     timeout = 1
     fall = 2
     rise = 2
     server rs1 {
         address = 192.168.1.10
         active = 1
     }
     server rs2 {
         address = 192.168.1.11
         active = 1
     }
     server rs3 {
         address = 192.168.1.12
         active = 1
     }
}

virtual web-dr {
     active = 1
     address = $VIP2 eth0:2
     port = 80
     scheduler = rr
     client_monitor = /lvskit/bin/nanny
     forward = direct
     check = http
     check_interval = 1
     timeout = 1
     fall = 2
     rise = 2
     server rs1 {
         address = 192.168.1.10
         active = 1
     }
     server rs2 {
         address = 192.168.1.11
         active = 1
     }
     server rs3 {
         address = 192.168.1.12
         active = 1
     }
}
EOF
if [ "$MODE" = demo ]; then
	say "Heartbeat every 0.2 s, partner dead after 1 s of silence, authenticated with a" \
		"shared secret; failback = preempt: the primary takes the service back 2 s after it" \
		"is healthy again. nanny checks each real server over HTTP every second (1 s" \
		"timeout), takes it out after 2 failures in a row and back after 2 passes." \
		"network = nat is the default for every virtual service; lvskit's forward key" \
		"makes the second one direct routing."
	sed 's/^/  /' lvs.cf
fi
lvsd --check lvs.cf >check.out 2>&1 || { cat check.out; fail "lvsd --check lvs.cf"; }

# ---------------------------------------------------------------------
step "3. pulse starts on both directors"
say "Each director finds its role in lvs.cf by its own address. Both start standby and" \
	"listen; the primary, the better one, takes over when it hears the backup: it raises" \
	"the VIPs and nat_router by netlink, announces them by gratuitous ARP, and starts lvsd," \
	"which builds the IPVS table and starts one nanny per real server and service."
# pulse_start D LOG: pulse in director D's namespace, its output stamped.
pulse_start() {
	(ip netns exec dir$1 pulse -n -c $W/lvs.cf --lvsd $W/lvsd-dir$1 --pidfile $R/dir$1-pulse.pid \
		--state-dir $W/state-dir$1 --color never 2>&1 | stamp >"$2") 2>/dev/null &
}
now
START=$NOW
pulse_start B dirB.log
pulse_start A dirA.log
A_READY() { holds dirA $VIP1 && holds dirA $VIP2 && holds dirA $NATR; }
waitfor 20 "director A holding the VIPs" A_READY
seen $START dirA hold $VIP1
T_AVIP=$SEEN
waitfor 20 "director A's table with 3 + 3 real servers" full_table dirA
now
T_FULL=$NOW
if [ "$MODE" = demo ]; then
	{
		grep 'pulse: ' dirA.log | sed 's/ / A /'
		grep 'pulse: ' dirB.log | sed 's/ / B /'
		grep -E 'lvsd: (starting with|reconciled)|ipvsadm -a ' dirA.log | sed 's/ / A /'
	} | sort -n | awk -v t="$START" '{ printf "  +%.2fs", ($1 - t) / 1000; $1 = ""; print }'
fi
echo "A holds the VIPs $(secs $((T_AVIP - START))) s after pulse started; table complete after $(secs $((T_FULL - START))) s"
showin dirA ipvsadm -Ln
showin dirA ip -4 addr show dev eth0
say "B is standby: no VIP, no lvsd, an empty table."
showin dirB ipvsadm -Ln
expect_table dirA
has_addr dirB $VIP1 && no "director B holds $VIP1 while standby" || ok "director B holds no VIP while standby"
[ -z "$(ipvs dirB | sed 1,3d)" ] && ok "director B's table is empty while standby" || no "director B has a table while standby"
grep -q 'pulse: backup inactive: activating lvs' dirA.log && ok "A logged: backup inactive: activating lvs" || no "A did not log why it took over"
# syncdaemon = 1: lvsd runs the master on the active director, pulse the
# backup on the standby (upstream ipvsadm -L --daemon).
syncd dirA master && ! syncd dirA backup && ok "A runs the master sync daemon (lvsd), no backup" || no "A's sync daemons: $(nsenter --net=/run/netns/dirA $UP -L --daemon)"
syncd dirB backup && ! syncd dirB master && ok "B runs the backup sync daemon (pulse), no master" || no "B's sync daemons: $(nsenter --net=/run/netns/dirB $UP -L --daemon)"

# ---------------------------------------------------------------------
step "4. the client sends requests through both VIPs"
say "labhttp load sends one GET to each VIP every 50 ms, each on a new TCP connection so" \
	"that IPVS schedules each (rr), and gives each 2 s; it logs every answer and failure." \
	"It runs from here to the end."
ip netns exec client labhttp load -every ${EVERY}ms -t ${REQ_TIMEOUT}ms -log load.log http://$VIP1/ http://$VIP2/ 2>load.err &
LOAD=$!
now
T_LOAD=$NOW
cpu start
sleep 4
now
T_STEADY=$NOW
cpu "steady load"
echo "answers in the first $(secs $((T_STEADY - T_LOAD))) s:"
spread $T_LOAD $T_STEADY
stats $T_LOAD $T_STEADY
expect "$FAILS" -eq 0 -- "no request failed with all three real servers up ($SENT sent)"
for h in $VIP1 $VIP2; do
	stats $T_LOAD $T_STEADY $h
	ok_all=$((OK1 + OK2 + OK3))
	expect "$ok_all" -ge 20 -a $((OK1 * 5)) -ge "$ok_all" -a $((OK2 * 5)) -ge "$ok_all" -a $((OK3 * 5)) -ge "$ok_all" -- \
		"$h: requests spread over rs1, rs2, rs3 ($OK1/$OK2/$OK3, each at least a fifth)"
done

# ---------------------------------------------------------------------
step "5. a real server stops: nanny takes it out"
say "rs2's HTTP server is killed: connections to it are refused. Each of its two nannies" \
	"(one per virtual service) fails a check, then a second one a second later (fall 2)," \
	"and removes rs2 from its service. Until then the requests rr sends to rs2, one" \
	"in three, fail; after that none should."
now
T_STOP=$NOW
kill $SRV2
wait $SRV2 2>/dev/null || true
OUT1= OUT2=
BOUND=$((INTERVAL * FALL + TIMEOUT + SLACK))
while [ -z "$OUT1" ] || [ -z "$OUT2" ]; do
	t=$(ipvs dirA)
	now
	case $t in *"$VIP1:80 rr"*) ;; *) fail "director A lost $VIP1" ;; esac
	if [ -z "$OUT1" ] && ! printf '%s\n' "$t" | awk -v s="$VIP1:80" '/^TCP/ { c = $2 } c == s && $2 == "192.168.1.11:80" && $4 > 0 { f = 1 } END { exit !f }'; then OUT1=$NOW; fi
	if [ -z "$OUT2" ] && ! printf '%s\n' "$t" | awk -v s="$VIP2:80" '/^TCP/ { c = $2 } c == s && $2 == "192.168.1.11:80" && $4 > 0 { f = 1 } END { exit !f }'; then OUT2=$NOW; fi
	[ $((NOW - T_STOP)) -le $((BOUND + 5000)) ] || fail "rs2 still in service $(secs $((NOW - T_STOP))) s after it stopped"
	sleep 0.1
done
D1=$((OUT1 - T_STOP))
D2=$((OUT2 - T_STOP))
echo "rs2 out of $VIP1 (NAT) after $(secs $D1) s, out of $VIP2 (DR) after $(secs $D2) s (seen by ipvsadm -Ln in A)"
if [ "$MODE" = demo ]; then
	grep -h 'nanny.*192.168.1.11' dirA.log | awk -v a="$T_STOP" '$1 >= a' | sed -n '1,8p' |
		awk -v t="$T_STOP" '{ printf "  +%.2fs", ($1 - t) / 1000; $1 = ""; print }'
fi
showin dirA ipvsadm -Ln
expect "$D1" -le "$BOUND" -- "NAT: rs2 out within check_interval × fall + timeout + slack = $(secs $BOUND) s ($(secs $D1) s)"
expect "$D2" -le "$BOUND" -- "DR: rs2 out within $(secs $BOUND) s ($(secs $D2) s)"
say "The client goes on for 3 s with rs2 out."
sleep 3
now
T_OUTEND=$NOW
cpu "rs2 out"
OUTLAST=$OUT1
[ $OUT2 -le $OUT1 ] || OUTLAST=$OUT2
stats $((T_STOP - M)) $OUTLAST
W_SENT=$SENT W_FAILS=$FAILS
stats $OUTLAST $T_OUTEND
A_SENT=$SENT A_FAILS=$FAILS
echo "from the stop until nanny took rs2 out: $W_SENT requests, $W_FAILS failed ($(kinds $((T_STOP - M)) $OUTLAST))"
echo "after that, for $(secs $((T_OUTEND - OUTLAST))) s: $A_SENT requests, $A_FAILS failed"
spread $OUTLAST $T_OUTEND
for pair in "$VIP1 $OUT1" "$VIP2 $OUT2"; do
	set -- $pair
	stats $2 $T_OUTEND $1
	expect "$FAILS" -eq 0 -- "$1: no failed request once nanny took rs2 out ($SENT sent)"
	expect "$OK2" -eq 0 -- "$1: rs2 answered nothing once out"
done
stats $T_LOAD $((T_STOP - M))
expect "$FAILS" -eq 0 -- "no failed request until rs2 stopped ($SENT sent)"
for pair in "$VIP1 $OUT1" "$VIP2 $OUT2"; do
	set -- $pair
	failspan $((T_STOP - M)) $2 $1
	stats $((T_STOP - M)) $2 $1
	[ -z "$FFIRST" ] || expect "$FFIRST" -ge $((T_STOP - M)) -a "$FLAST" -le "$2" -- \
		"$1: every failed request was sent while rs2 was down and in the table ($FAILS of $SENT: $(kinds $((T_STOP - M)) $2 $1))"
done

# ---------------------------------------------------------------------
step "6. the real server comes back: nanny puts it in again"
now
T_BACK=$NOW
serve 2
BACK1= BACK2=
while [ -z "$BACK1" ] || [ -z "$BACK2" ]; do
	now
	[ -n "$BACK1" ] || ! has_rs dirA $VIP1 192.168.1.11 || BACK1=$NOW
	[ -n "$BACK2" ] || ! has_rs dirA $VIP2 192.168.1.11 || BACK2=$NOW
	[ $((NOW - T_BACK)) -le 15000 ] || fail "rs2 not back 15 s after its server restarted"
	sleep 0.1
done
echo "rs2 back in $VIP1 after $(secs $((BACK1 - T_BACK))) s, in $VIP2 after $(secs $((BACK2 - T_BACK))) s (rise $RISE: that many passing checks in a row)"
sleep 2
now
T_BACKEND=$NOW
stats $T_BACK $T_BACKEND
expect "$FAILS" -eq 0 -- "no failed request while rs2 came back ($SENT sent)"
firstok $T_BACK $VIP1 0 rs2
expect -n "$OKSTART" -- "rs2 answers through $VIP1 again"
expect_table dirA

# ---------------------------------------------------------------------
step "7. the primary dies"
say "Director A dies as a host does: its links go down and its pulse is killed with" \
	"SIGKILL (its lvsd gets SIGTERM from the kernel as its parent dies, and its nannies" \
	"go with it). B hears no heartbeat for deadtime (1 s) and takes over: it raises the" \
	"VIPs and nat_router, sends gratuitous ARPs and starts its own lvsd, which creates" \
	"the virtual services and starts the nannies; each adds its real server after its" \
	"first passing check. Until then B answers for the VIPs but has nobody to forward to."
PA=$(cat $R/dirA-pulse.pid)
LA=$(cat $R/dirA-lvsd.pid)
now
T_PRE=$NOW
printf 'link set eth0 down\nlink set eth1 down\n' | ip -n dirA -batch -
kill -9 "$PA"
# The moment of death: A's link down, as the watcher saw it.
A_DOWN() {
	seen $T_PRE dirA drop $VIP1
	[ -n "$SEEN" ]
}
waitfor 5 "the watcher seeing A's link down" A_DOWN
T_KILL=$SEEN
# Served by B: an answer to a request sent after the kill, that came
# after B took the VIP (A's links are down).
B_ANSWERS() {
	seen $T_KILL dirB hold $1
	[ -n "$SEEN" ] || return 1
	firstok $T_KILL $1 $SEEN
	[ -n "$OKEND" ]
}
B_OK() {
	holds dirB $VIP1 && holds dirB $VIP2 && holds dirB $NATR && B_ANSWERS $VIP1 && B_ANSWERS $VIP2
}
waitfor 30 "director B serving after the kill" B_OK
waitfor 20 "director B's table with 3 + 3 real servers" full_table dirB
sleep 3
now
T_FOEND=$NOW
cpu "failover"
# When B took over: the first of its addresses it held, the last.
seen $T_KILL dirB hold $NATR
T_BVIP=$SEEN T_BVIPS=$SEEN
for v in $VIP1 $VIP2; do
	seen $T_KILL dirB hold $v
	[ "$SEEN" -ge "$T_BVIP" ] || T_BVIP=$SEEN
	[ "$SEEN" -le "$T_BVIPS" ] || T_BVIPS=$SEEN
done
seen $T_KILL client neigh $VIP1 $MAC_B
T_ARP1=$SEEN
seen $T_KILL client neigh $VIP2 $MAC_B
T_ARP2=$SEEN
B_ANSWERS $VIP1
F1E=$OKEND
B_ANSWERS $VIP2
F2E=$OKEND
FO1=$((F1E - T_KILL))
FO2=$((F2E - T_KILL))
FO_END=$F1E
[ $F2E -le $F1E ] || FO_END=$F2E
TVIP=$((T_BVIP - T_KILL))
lastlog dirB.log $T_KILL 'nanny: ipvsadm -a '
T_BFULL=$LASTLOG
echo "A's links went down at $(at $T_KILL) s; from then:"
echo "  $(secs $TVIP) s  B holds the VIPs and nat_router (all three by $(secs $((T_BVIPS - T_KILL))) s)"
echo "  $(secs $((T_ARP1 - T_KILL))) s  the client's neighbour entry for $VIP1 has B's MAC ($VIP2: $(secs $((T_ARP2 - T_KILL))) s)"
echo "  $(secs $FO1) s  the client's first answer through $VIP1 ($VIP2: $(secs $FO2) s)"
echo "  $(secs $((T_BFULL - T_KILL))) s  B's nannies have added all six real servers (lvsd's log)"
if [ "$MODE" = demo ]; then
	echo "B's log:"
	awk -v a="$T_KILL" '$1 >= a' dirB.log | grep -E 'pulse: |lvsd: (starting|reconciled)|ipvsadm -a ' | sed -n '1,16p' |
		awk -v t="$T_KILL" '{ printf "  +%.2fs", ($1 - t) / 1000; $1 = ""; print }'
fi
showin dirB ipvsadm -Ln
showin dirB ip -4 addr show dev eth0
showin client ip neigh show $VIP1
showin rs1 ip neigh show $NATR
say "A is dead: its links are down, its lvsd ended with its pulse and removed A's table."
showin dirA ipvsadm -Ln
expect_table dirB
has_addr dirB $VIP1 && has_addr dirB $VIP2 && has_addr dirB $NATR && ok "director B holds $VIP1, $VIP2 and $NATR" || no "director B does not hold all of $VIP1, $VIP2, $NATR: $(addrs_up dirB)"
a_up=$(addrs_up dirA)
[ -z "$a_up" ] && ok "director A holds no address on a link that is up" || no "director A still holds $a_up"
m1=$(neigh_mac client $VIP1)
m2=$(neigh_mac client $VIP2)
expect "$m1" = $MAC_B -a "$m2" = $MAC_B -- "the client's neighbour entries for $VIP1 and $VIP2 point at B's MAC $MAC_B ($m1, $m2)"
mr=$(neigh_mac rs1 $NATR)
expect "$mr" = 02:00:00:00:0b:01 -- "rs1's neighbour entry for nat_router points at B's private MAC ($mr)"
grep -q 'pulse: partner dead: activating lvs' dirB.log && ok "B logged: partner dead: activating lvs" || no "B did not log why it took over"
syncd dirB master && ! syncd dirB backup && ok "B now runs the master sync daemon, and its backup one stopped" || no "B's sync daemons: $(nsenter --net=/run/netns/dirB $UP -L --daemon)"
kill -0 "$LA" 2>/dev/null && no "A's lvsd (pid $LA) outlived its pulse" || ok "A's lvsd ended with its pulse"
[ -z "$(ipvs dirA | sed 1,3d)" ] && ok "A's lvsd removed A's table as it stopped" || no "A's table is left behind"
VLO=$((DEADTIME - 2 * KEEPALIVE))
VHI=$((DEADTIME + 2 * KEEPALIVE + SLACK))
expect "$TVIP" -ge "$VLO" -a "$TVIP" -le "$VHI" -- "B took the VIPs $(secs $TVIP) s after the kill, within deadtime ± 2 keepalives (+ slack): $(secs $VLO) to $(secs $VHI) s"
for pair in "$VIP1 $F1E" "$VIP2 $F2E"; do
	set -- $pair
	stats $((T_KILL - M)) $2 $1
	failspan $((T_BACK)) $T_FOEND $1
	if [ -n "$FFIRST" ]; then
		expect "$FLAST" -le "$2" -a "$FFIRST" -ge $((T_KILL - M)) -- \
			"$1: every failed request was sent within the failover, from $(secs $((FFIRST - T_KILL))) s to $(secs $((FLAST - T_KILL))) s after A died, before the first answer through B at $(secs $(($2 - T_KILL))) s ($FAILS of $SENT failed: $(kinds $((T_KILL - M)) $2 $1))"
	else
		ok "$1: no failed request over the failover"
	fi
	expect "$FAILS" -le $((($2 - T_KILL + M) / EVERY + 1)) -- \
		"$1: $FAILS failed requests, no more than one per $EVERY ms of the failover time ($(secs $(($2 - T_KILL))) s)"
	stats $2 $T_FOEND $1
	expect "$FAILS" -eq 0 -- "$1: no failed request after the first answer through B ($SENT sent)"
done

# ---------------------------------------------------------------------
step "8. the primary comes back"
say "A reboots: it comes back without the addresses its killed pulse held, its links" \
	"come up and pulse starts. It hears B serving and stays standby. With failback =" \
	"preempt, once it has been healthy for failback_delay (2 s) it asks B to let go;" \
	"B drops the VIPs and stops its lvsd and says so, and only then does A take over:" \
	"the VIPs are never on both. A's lvsd starts from an empty table as B's did."
printf 'addr del %s/32 dev eth0\naddr del %s/32 dev eth0\naddr del %s/32 dev eth1\nlink set eth0 up\nlink set eth1 up\n' $VIP1 $VIP2 $NATR |
	ip -n dirA -batch - 2>/dev/null || true
now
T_RESTART=$NOW
pulse_start A dirA-2.log
A_BACK() {
	holds dirA $VIP1 && holds dirA $VIP2 && holds dirA $NATR || return 1
	seen $T_RESTART dirA hold $VIP1
	firstok $SEEN $VIP1 && [ -n "$OKEND" ] || return 1
	firstok $SEEN $VIP2 && [ -n "$OKEND" ]
}
waitfor 30 "director A serving again" A_BACK
waitfor 20 "director A's table with 3 + 3 real servers" full_table dirA
sleep 3
now
T_END=$NOW
cpu "failback"
if [ "$DUMP" = dump ]; then
	for p in /proc/[0-9]*; do
		[ -r $p/stat ] || continue
		read -r st <$p/stat 2>/dev/null || continue
		set -- ${st#*) }
		echo "$((${12} + ${13})) ${p#/proc/} $(tr '\0' ' ' <$p/cmdline 2>/dev/null | cut -c1-70)"
	done | sort -rn | head -25 >ticks.log
fi
# B let go at the first drop of its addresses; A took over at the first
# of its own.
T_BDROP= T_AHOLD=
for v in $NATR $VIP1 $VIP2; do
	seen $T_RESTART dirB drop $v
	[ -n "$T_BDROP" ] && [ "$SEEN" -ge "$T_BDROP" ] || T_BDROP=$SEEN
	seen $T_RESTART dirA hold $v
	[ -n "$T_AHOLD" ] && [ "$SEEN" -ge "$T_AHOLD" ] || T_AHOLD=$SEEN
done
seen $T_RESTART client neigh $VIP1 $MAC_A
T_ARPA=$SEEN
firstok $T_AHOLD $VIP1
G1E=$OKEND
firstok $T_AHOLD $VIP2
G2E=$OKEND
GE=$G1E
[ $G2E -le $G1E ] || GE=$G2E
GB=$((T_AHOLD - T_RESTART))
lastlog dirA-2.log $T_RESTART 'nanny: ipvsadm -a '
T_AFULL=$LASTLOG
echo "A's pulse started at $(at $T_RESTART) s; from it:"
echo "  $(secs $((T_BDROP - T_RESTART))) s  B lets go (drops its first address)"
echo "  $(secs $GB) s  A holds the VIPs (failback_delay is $(secs $FAILBACK_DELAY) s)"
echo "  $(secs $((T_ARPA - T_RESTART))) s  the client's neighbour entry for $VIP1 has A's MAC"
echo "  $(secs $((G1E - T_RESTART))) s  the client's first answer through A for $VIP1 ($VIP2: $(secs $((G2E - T_RESTART))) s)"
echo "  $(secs $((T_AFULL - T_RESTART))) s  A's nannies have added all six real servers (lvsd's log)"
if [ "$MODE" = demo ]; then
	echo "A's log and B's:"
	{
		grep -E 'pulse: |lvsd: (starting|reconciled)|ipvsadm -a ' dirA-2.log | sed 's/ / A /'
		awk -v a="$T_RESTART" '$1 >= a' dirB.log | grep -E 'pulse: |lvsd: (shutting|removed)' | sed 's/ / B /'
	} | sort -n | sed -n '1,20p' | awk -v t="$T_RESTART" '{ printf "  +%.2fs", ($1 - t) / 1000; $1 = ""; print }'
fi
showin dirA ipvsadm -Ln
showin client ip neigh show $VIP1
expect_table dirA
[ -z "$(ipvs dirB | sed 1,3d)" ] && ok "director B's table is empty again" || no "director B still has a table"
has_addr dirB $VIP1 && no "director B still holds $VIP1" || ok "director B holds no VIP"
syncd dirB backup && ! syncd dirB master && ok "B runs the backup sync daemon again, no master" || no "B's sync daemons: $(nsenter --net=/run/netns/dirB $UP -L --daemon)"
m1=$(neigh_mac client $VIP1)
m2=$(neigh_mac client $VIP2)
expect "$m1" = $MAC_A -a "$m2" = $MAC_A -- "the client's neighbour entries for $VIP1 and $VIP2 point at A's MAC again ($m1, $m2)"
# failback_delay runs from when A, healthy and standby, first hears B
# serve; both moments from A's log.
T_HEARD=$(awk '/pulse: partner alive \(active\)/ { print $1; exit }' dirA-2.log)
T_ASK=$(awk '/pulse: failback: asking the partner to let go/ { print $1; exit }' dirA-2.log)
ASK=$((T_ASK - T_HEARD))
expect "$ASK" -ge $((FAILBACK_DELAY - 100)) -a "$ASK" -le $((FAILBACK_DELAY + 2 * KEEPALIVE + SLACK)) -- \
	"A asked for the service $(secs $ASK) s after it first heard B serve: failback_delay, within 2 keepalives (+ slack) more"
expect "$((T_AHOLD - T_ASK))" -le $((2 * KEEPALIVE + SLACK)) -- \
	"A held the VIPs $(secs $((T_AHOLD - T_ASK))) s after it asked, within 2 keepalives (+ slack)"
expect "$T_BDROP" -le "$T_AHOLD" -- "B let go before A took the VIPs"
grep -q 'pulse: failback: asking the partner to let go' dirA-2.log && ok "A logged: failback: asking the partner to let go" || no "A did not ask for failback"
grep -q 'pulse: failback: the partner takes over: deactivating LVS' dirB.log && ok "B logged: failback: the partner takes over: deactivating LVS" || no "B did not log the failback"
# Requests sent until shortly before B let go are B's; one under way as
# it let go fails with the handover (0.2 s: several times a request's
# usual time).
stats $T_RESTART $((T_BDROP - M))
expect "$FAILS" -eq 0 -- "no failed request while A came back and waited ($SENT sent)"
for pair in "$VIP1 $G1E" "$VIP2 $G2E"; do
	set -- $pair
	failspan $((T_BDROP - M)) $T_END $1
	stats $((T_BDROP - M)) $2 $1
	if [ -n "$FFIRST" ]; then
		expect "$FLAST" -le "$2" -- "$1: every failed request was sent within the handover, from $(secs $((FFIRST - T_BDROP))) s to $(secs $((FLAST - T_BDROP))) s after B let go, before the first answer through A at $(secs $(($2 - T_BDROP))) s ($FAILS of $SENT failed: $(kinds $((T_BDROP - M)) $2 $1))"
	else
		ok "$1: no failed request over the handover"
	fi
	stats $2 $T_END $1
	expect "$FAILS" -eq 0 -- "$1: no failed request after the first answer through A ($SENT sent)"
done

# ---------------------------------------------------------------------
kill -TERM $LOAD
wait $LOAD || true
kill -TERM $WATCH
wait $WATCH || true

OVL=$(overlaps)
if [ -z "$OVL" ]; then
	ok "a VIP was never held by both directors at once (every change of either seen by netlink)"
else
	echo "$OVL" | while read -r ip a b; do echo "  $ip on both from $(at $a) s to $(at $b) s"; done
	no "a VIP was held by both directors at once"
fi
[ ! -s load.err ] || { cat load.err; no "the client reported errors"; }
# Every failed request of the run, by when it was sent, falls in one of
# the three outages: rs2 down until nanny took it out, A dead until B
# answered, B letting go until A answered (each for its VIP).
stray=$(awk -v m=$M -v v1=$VIP1 -v v2=$VIP2 \
	-v s=$T_STOP -v o1=$OUT1 -v o2=$OUT2 -v k=$T_KILL -v f1=$F1E -v f2=$F2E -v d=$T_BDROP -v g1=$G1E -v g2=$G2E '
	$4 == "fail" {
		o = ($3 == v1) ? o1 : o2; f = ($3 == v1) ? f1 : f2; g = ($3 == v1) ? g1 : g2
		if (!(($1 >= s - m && $1 <= o) || ($1 >= k - m && $1 <= f) || ($1 >= d - m && $1 <= g))) print
	}' load.log)
if [ -n "$stray" ]; then
	echo "failed requests outside the outages (sent at, answered at, VIP, kind; seconds into the scenario):"
	echo "$stray" | awk -v t=$T0 '{ printf "  %.2f %.2f", ($1 - t) / 1000, ($2 - t) / 1000; $1 = $2 = ""; print }'
fi
stray=$(printf '%s' "$stray" | grep -c . || true)
stats $T_LOAD $T_END
expect "$stray" -eq 0 -- "of $SENT requests, every one of the $FAILS that failed was sent during one of the three outages ($stray outside)"

step "summary"
# The phases, by the start of each request.
printf '  %-52s %6s %6s\n' "phase (requests by when they were sent)" sent failed
row() {
	stats "$2" "$3"
	printf '  %-52s %6d %6d\n' "$1" $SENT $FAILS
}
row "all real servers up" $T_LOAD $((T_STOP - M))
row "rs2 stopped (0.2 s before), until nanny took it out" $((T_STOP - M)) $OUTLAST
row "rs2 out" $OUTLAST $T_BACK
row "rs2 back" $T_BACK $((T_KILL - M))
row "failover: A dies (0.2 s before), until B answered" $((T_KILL - M)) $FO_END
row "B serving" $FO_END $T_RESTART
row "A back, standby" $T_RESTART $((T_BDROP - M))
row "failback: B lets go (0.2 s before), until A answered" $((T_BDROP - M)) $GE
row "A serving again" $GE $T_END
row "total" $T_LOAD $T_END
echo
echo "  spread over the whole run:"
spread $T_LOAD $T_END | sed 's/^/  /'
echo
echo "  detection (rs2 stopped -> out of the table): $(secs $D1) s (NAT), $(secs $D2) s (DR); bound $(secs $BOUND) s"
echo "  failover: kill -> VIPs on B $(secs $TVIP) s -> the client's first answer $(secs $FO1) s (NAT), $(secs $FO2) s (DR)"
echo "  failback: A's restart -> VIPs on A $(secs $GB) s (failback_delay $(secs $FAILBACK_DELAY) s); B let go -> first answer through A $(secs $((GE - T_BDROP))) s"
echo "  settings: keepalive 0.2 s, deadtime 1 s, failback preempt after 2 s; nanny check_interval 1 s, timeout 1 s, fall 2, rise 2; client: a request per VIP every $EVERY ms, given $(secs $REQ_TIMEOUT) s"
now
echo "  scenario time: $(secs $((NOW - T0))) s"

kill -TERM "$(cat $R/dirB-pulse.pid)" "$(cat $R/dirA-pulse.pid)" 2>/dev/null || true
sleep 1
if [ $FAILED -gt 0 ] && [ "$DUMP" != dump ]; then
	echo "$FAILED checks did not hold"
	exit 1
fi
if [ "$DUMP" = dump ]; then
	for f in dirA.log dirB.log dirA-2.log watch.log load.log; do
		echo "--- $f"
		awk -v t=$T0 '{ printf "%.2f ", ($1 - t) / 1000; $1 = ""; print }' $f
	done
	echo "--- cpu: busy % per phase (of 2 vCPUs)"
	cat cpu.log
	echo "--- cpu: seconds per process, at the end of the scenario"
	cat ticks.log
	echo "--- marks: stop $(at $T_STOP) kill $(at $T_KILL) restart $(at $T_RESTART)"
fi
[ "$MODE" = demo ] || echo "PASS: the cluster kept serving through a real server's failure, the primary's death and its return"
