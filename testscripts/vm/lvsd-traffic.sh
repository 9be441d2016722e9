#!/bin/sh
# lvsd on a real kernel with real traffic (guest script; needs lvsd and
# labhttp in /lvskit/bin). A client namespace reaches a NAT virtual
# service on the director (this namespace) whose real servers answer
# HTTP in namespaces of their own. One HTTP response streamed over one
# TCP connection through the VIP must arrive whole, in order and without
# a stall across a reload that changes the scheduler and adds a real
# server, and across an lvsd restart. Upstream ipvsadm, the oracle,
# must list exactly the table lvs.cf describes.
set -eu

IPVSADM=$UPSTREAM_IPVSADM
W=/root/lvsd-lab
mkdir -p $W
cd $W

fail() {
	echo "FAIL: $*"
	echo "--- lvsd.log"
	cat lvsd.log 2>/dev/null || true
	echo "--- table"
	$IPVSADM -Ln || true
	exit 1
}
step() { printf '\n== %s\n' "$*"; }

# waitfor FILE REGEX COUNT SECS: until COUNT lines of FILE match.
waitfor() {
	i=0
	while [ "$(grep -cE "$2" "$1" 2>/dev/null || true)" -lt "$3" ]; do
		i=$((i + 1))
		[ $i -le $(($4 * 10)) ] || fail "$1: no $3 lines matching '$2' after $4 s"
		sleep 0.1
	done
}

# dests N SECS: until the virtual service has N real servers.
dests() {
	i=0
	while [ "$($IPVSADM -Ln -t 10.0.0.1:80 2>/dev/null | grep -c -- '->  *[0-9]')" -ne "$1" ]; do
		i=$((i + 1))
		[ $i -le $(($2 * 10)) ] || fail "not $1 real servers after $2 s"
		sleep 0.1
	done
}

# listing: upstream's -Ln with the connection counts cut off (traffic
# leaves connections behind) and the real servers sorted (their monitors
# add them in any order).
listing() {
	$IPVSADM -Ln | sed -E 's/^(  -> [0-9][^ ]* +[A-Za-z]+ +[0-9]+ +)[0-9]+ +[0-9]+ *$/\1/' |
		awk '/^  -> [0-9]/ { print | "sort"; next } { close("sort"); print }'
}

expect_table() {
	listing >table.got
	if ! cmp -s table.got "$1"; then
		echo "upstream ipvsadm -Ln (counts cut):"
		cat table.got
		echo "lvs.cf describes:"
		cat "$1"
		fail "the kernel's table is not the one lvs.cf describes"
	fi
	echo "upstream ipvsadm -Ln shows exactly the table lvs.cf describes:"
	cat table.got
}

step "network: client 10.0.0.100 -> VIP 10.0.0.1 (director) -> real servers 192.168.1.10-12"
ip netns add client
ip link add vcl type veth peer name eth0 netns client
ip addr add 10.0.0.254/24 dev vcl
ip addr add 10.0.0.1/32 dev vcl label vcl:1
ip link set vcl up
ip netns exec client sh -c 'ip link set lo up; ip addr add 10.0.0.100/24 dev eth0; ip link set eth0 up; ip route add default via 10.0.0.254'
ip link add br0 type bridge
ip addr add 192.168.1.254/24 dev br0
ip link set br0 up
for i in 1 2 3; do
	ip netns add rs$i
	ip link add vrs$i type veth peer name eth0 netns rs$i
	ip link set vrs$i master br0 up
	ip netns exec rs$i sh -c "ip link set lo up; ip addr add 192.168.1.1$((i - 1))/24 dev eth0; ip link set eth0 up; ip route add default via 192.168.1.254"
	ip netns exec rs$i labhttp serve :80 rs$i &
done
echo 1 >/proc/sys/net/ipv4/ip_forward

# An external client_monitor as Piranha's lvsd runs it: it checks its
# real server over HTTP until the server answers, adds it with the
# ipvsadm lvs.cf names (-I; here upstream's) unless the table has it,
# and stays.
cat >monitor.sh <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do
	case $1 in
	-h) rip=$2; shift ;;
	-p) vport=$2; shift ;;
	-r) rport=$2; shift ;;
	-w) weight=$2; shift ;;
	-V) vip=$2; shift ;;
	-M) method=$2; shift ;;
	-I) ipvsadm=$2; shift ;;
	-s|-x|-e|-a|-t|-U|-f) shift ;;
	esac
	shift
done
until labhttp get -t 1 "http://$rip:$rport/" >/dev/null 2>&1; do sleep 0.2; done
"$ipvsadm" -Ln -t "$vip:$vport" | grep -q -- "-> $rip:$rport " ||
	"$ipvsadm" -a -t "$vip:$vport" -r "$rip:$rport" -"$method" -w "$weight"
exec sleep 100000
EOF
chmod 755 monitor.sh

# lvs.cf SCHEDULER RS3ACTIVE
write_cf() {
	cat >lvs.cf.new <<EOF
service = lvs
network = nat
ipvsadm = $IPVSADM

virtual web {
	active = 1
	address = 10.0.0.1 vcl:1
	port = 80
	scheduler = $1
	client_monitor = $W/monitor.sh
	server rs1 {
		address = 192.168.1.10
		active = 1
		weight = 2
	}
	server rs2 {
		address = 192.168.1.11
		active = 1
	}
	server rs3 {
		address = 192.168.1.12
		active = $2
		weight = 3
	}
}
EOF
	mv lvs.cf.new lvs.cf
}

start_lvsd() {
	lvsd -n "$@" -c lvs.cf --pidfile lvs.pid --statefile lvs.state 2>>lvsd.log &
	LVSD=$!
}

cat >table1 <<'EOF'
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.1:80 wlc
  -> 192.168.1.10:80              Masq    2      
  -> 192.168.1.11:80              Masq    1      
EOF
cat >table2 <<'EOF'
IP Virtual Server version 1.2.1 (size=4096)
Prot LocalAddress:Port Scheduler Flags
  -> RemoteAddress:Port           Forward Weight ActiveConn InActConn
TCP  10.0.0.1:80 rr
  -> 192.168.1.10:80              Masq    2      
  -> 192.168.1.11:80              Masq    1      
  -> 192.168.1.12:80              Masq    3      
EOF

step "lvsd starts: wlc, rs1 and rs2 active, rs3 not"
write_cf wlc 0
start_lvsd --keep
waitfor lvsd.log '^lvsd: reconciled 1 virtual service \(1 change\); monitoring 2 real servers$' 1 20
dests 2 20
expect_table table1
[ "$($IPVSADM -Ln | grep -c ' 0          0 *$')" -eq 2 ] || fail "connection counts are not zero before any traffic"

step "new connections through the VIP reach both real servers"
for i in 1 2 3 4 5 6; do ip netns exec client labhttp get http://10.0.0.1/; done >answers
sort -u answers | tr '\n' ' '
echo
grep -q rs1 answers && grep -q rs2 answers || fail "not both real servers answered"

step "an established connection streams through the VIP (200 lines, 100 ms apart)"
ip netns exec client labhttp stream http://10.0.0.1/stream 200 100 >stream.out 2>&1 &
STREAM=$!
sleep 3

step "reload (SIGHUP): scheduler wlc -> rr, real server rs3 added"
write_cf rr 1
kill -HUP $LVSD
waitfor lvsd.log '^lvsd: reconciled 1 virtual service \(1 change\); monitoring 3 real servers$' 1 20
grep -q '^lvsd: ipvsadm -E -t 10.0.0.1:80 -s rr$' lvsd.log || fail "the scheduler was not edited in place"
dests 3 20
sed -n '/rereading/,$p' lvsd.log
sleep 3

step "lvsd restart: stopped with --keep, started again; the table stays"
$IPVSADM -Sn >saved
kill -TERM $LVSD
wait $LVSD || fail "lvsd exited with status $?"
$IPVSADM -Sn | cmp -s - saved || fail "the table changed while lvsd stopped with --keep"
start_lvsd --keep
waitfor lvsd.log '^lvsd: reconciled 1 virtual service \(0 changes\); monitoring 3 real servers$' 1 20
echo "lvsd adopted the table: 0 changes"

step "the established connection lived through both"
if ! wait $STREAM; then
	cat stream.out
	fail "the streamed connection broke"
fi
cat stream.out
expect_table table2

step "new connections reach all three real servers (rr)"
for i in 1 2 3 4 5 6; do ip netns exec client labhttp get http://10.0.0.1/; done >answers
sort -u answers | tr '\n' ' '
echo
for rs in rs1 rs2 rs3; do grep -q $rs answers || fail "$rs did not answer"; done

step "lvsd stops without --keep: it removes what it manages"
kill -TERM $LVSD
wait $LVSD || true
start_lvsd
waitfor lvsd.log '^lvsd: reconciled 1 virtual service \(0 changes\); monitoring 3 real servers$' 2 20
kill -TERM $LVSD
wait $LVSD || fail "lvsd exited with status $?"
[ -z "$($IPVSADM -Sn)" ] || fail "the table is not empty after lvsd stopped"
[ ! -e lvs.state ] || fail "the state file is left behind"
$IPVSADM -Ln

step "lvsd as a daemon: it returns once the table is programmed"
lvsd -c lvs.cf --pidfile lvs.pid --statefile lvs.state || fail "lvsd -c lvs.cf: status $?"
[ -s lvs.pid ] || fail "no pid file"
pid=$(cat lvs.pid)
[ "$(cat /proc/$pid/comm)" = lvsd ] || fail "pid file names $pid, not lvsd"
[ "$(cut -d' ' -f6 /proc/$pid/stat)" = "$pid" ] || fail "the daemon does not lead its own session"
$IPVSADM -Ln -t 10.0.0.1:80 >/dev/null || fail "the daemon did not create the virtual service"
echo "lvsd runs as pid $pid, in its own session"
kill -TERM "$pid"
i=0
while [ -e lvs.pid ]; do
	i=$((i + 1))
	[ $i -le 100 ] || fail "the daemon did not stop"
	sleep 0.1
done
[ -z "$($IPVSADM -Sn)" ] || fail "the table is not empty after the daemon stopped"
echo "PASS: lvsd kept an established connection through a reload and a restart"
