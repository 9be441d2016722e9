#!/bin/sh
# nanny on a real kernel (guest script; needs nanny and labhttp in
# /lvskit/bin). Two real servers answer HTTP in namespaces of their own
# behind a NAT virtual service that upstream ipvsadm created; one nanny
# each keeps them in the kernel's table: A for rs1 with -q (out of
# service is weight 0), B for rs2 without (out of service is removal).
# Upstream ipvsadm, the oracle, watches the table while the servers
# fail (rs1 refuses connections, rs2 hangs: its link is down, so
# connects time out), come back, flap (rs1 fails one check in three,
# which fall 3 must ride out), while the nannies stop on SIGTERM, and
# while a new nanny adopts a real server already in service.
#
# Times are measured with /proc/uptime (10 ms steps; busybox date has
# no %N) from the moment the script breaks or mends a server until the
# upstream listing that first shows the change, and checked against
# bounds from nanny's timings, widened by SLACK for the polling (one
# upstream ipvsadm run, ~85 ms under emulation, then 50 ms of sleep)
# and for scheduling in the emulated guest.
set -eu

IPVSADM=$UPSTREAM_IPVSADM
W=/root/nanny-lab
mkdir -p $W
cd $W

VIP=10.0.0.1:80
RS1=192.168.1.10
RS2=192.168.1.11
# nanny's timings, in centiseconds (-t 1, --check-interval 1, --fall 3,
# --rise 2), and the slack every measured bound gets.
TIMEOUT=100
INTERVAL=100
FALL=3
RISE=2
SLACK=50
COMMON="-p 80 -r 80 -a 2 -t 1 -w 5 -V 10.0.0.1 -M m"
CHECKS="--check http --check-interval 1 --fall 3 --rise 2"

fail() {
	echo "FAIL: $*"
	for f in nanny-a.log nanny-b.log nanny-b2.log rs1.log rs1-flap.log rs2.log; do
		[ -e $f ] || continue
		echo "--- $f"
		cat $f
	done
	echo "--- table (upstream ipvsadm -Ln, -Sn)"
	$IPVSADM -Ln || true
	$IPVSADM -Sn || true
	exit 1
}
step() { printf '\n== %s\n' "$*"; }

# now: the time since boot in centiseconds, in NOW (no exec).
now() {
	read -r up _ </proc/uptime
	NOW=${up%.*}${up#*.}
}
# secs CS: centiseconds as seconds, "1.23".
secs() { printf '%d.%02d' $(($1 / 100)) $(($1 % 100)); }

# look: one upstream listing of the virtual service, in T; LOOKED is
# when it returned.
look() {
	T=$($IPVSADM -Ln -t $VIP 2>&1) || fail "upstream ipvsadm -Ln -t $VIP: $T"
	now
	LOOKED=$NOW
}
# field RIP N: the Nth word after RIP:80 in T (in a -Ln listing the
# weight is the 2nd, the inactive connections the 4th), in F; "none"
# when RIP is not in T.
field() {
	F=none
	n=-1
	for tok in $T; do
		if [ $n -ge 0 ]; then
			n=$((n + 1))
			if [ $n -eq "$2" ]; then
				F=$tok
				return 0
			fi
		elif [ "$tok" = "$1:80" ]; then
			n=0
		fi
	done
}
weights() {
	field $RS1 2
	W1=$F
	field $RS2 2
	W2=$F
}

# serve N LOG [-fail-every K]: start rs N's HTTP server in its
# namespace, its pid in SRVN.
serve() {
	n=$1
	log=$2
	shift 2
	ip netns exec rs$n labhttp serve "$@" :80 rs$n >>"$log" 2>&1 &
	eval "SRV$n=\$!"
}
# stop_srv PID: stop an HTTP server and wait until it is gone.
stop_srv() {
	kill "$1"
	wait "$1" 2>/dev/null || true
}

# waitlog FILE LINE SECS: until FILE has LINE (a whole line).
waitlog() {
	i=0
	until grep -qxF -- "$2" "$1"; do
		i=$((i + 1))
		[ $i -le $(($3 * 10)) ] || fail "$1: no line '$2' after $3 s"
		sleep 0.1
	done
}
# haslog FILE LINE [COUNT]: FILE has LINE (a whole line) COUNT times or more.
haslog() {
	c=$(grep -cxF -- "$2" "$1" || true)
	[ "$c" -ge "${3:-1}" ] || fail "$1: '$2' $c times, want ${3:-1} or more"
	echo "  $1: $2${3:+ (×$c)}"
}

# stop_nanny PID NAME: SIGTERM, then until it exits (5 s at most); its
# exit status must be 0.
stop_nanny() {
	kill -TERM "$1"
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -le 50 ] || fail "$2 did not exit within 5 s of SIGTERM"
		sleep 0.1
	done
	rc=0
	wait "$1" || rc=$?
	[ $rc -eq 0 ] || fail "$2 exited with status $rc after SIGTERM"
}

step "network: director 192.168.1.254 (br0) -> rs1 $RS1, rs2 $RS2; client 10.0.0.100 -> VIP 10.0.0.1"
ip link add br0 type bridge
ip addr add 192.168.1.254/24 dev br0
ip link set br0 up
for i in 1 2; do
	ip netns add rs$i
	ip link add vrs$i type veth peer name eth0 netns rs$i
	ip link set vrs$i master br0 up
	ip netns exec rs$i sh -c "ip link set lo up; ip addr add 192.168.1.1$((i - 1))/24 dev eth0; ip link set eth0 up; ip route add default via 192.168.1.254"
	serve $i rs$i.log
done
ip netns add client
ip link add vcl type veth peer name eth0 netns client
ip addr add 10.0.0.254/24 dev vcl
ip addr add 10.0.0.1/32 dev vcl label vcl:1
ip link set vcl up
ip netns exec client sh -c 'ip link set lo up; ip addr add 10.0.0.100/24 dev eth0; ip link set eth0 up; ip route add default via 10.0.0.254'
echo 1 >/proc/sys/net/ipv4/ip_forward
for rip in $RS1 $RS2; do
	i=0
	until labhttp get -t 1 http://$rip/ >/dev/null 2>&1; do
		i=$((i + 1))
		[ $i -le 50 ] || fail "the HTTP server on $rip does not answer"
		sleep 0.1
	done
done
$IPVSADM -A -t $VIP -s wlc
echo "timing: clock /proc/uptime (0.01 s); a poll is one upstream ipvsadm -Ln (~0.085 s) and sleep 0.05;"
echo "        slack $(secs $SLACK) s on every bound (polling, scheduling in the emulated guest)"

step "nanny A (rs1, -q) and nanny B (rs2, removal) start; both enter service at weight 5"
echo "nanny -c -h $RS1 $COMMON -q --lvs --nodaemon $CHECKS"
nanny -c -h $RS1 $COMMON -q --lvs --nodaemon $CHECKS >nanny-a.log 2>&1 &
NA=$!
echo "nanny -c -h $RS2 $COMMON --lvs --nodaemon $CHECKS"
nanny -c -h $RS2 $COMMON --lvs --nodaemon $CHECKS >nanny-b.log 2>&1 &
NB=$!
now
start=$NOW
while :; do
	look
	weights
	[ "$W1" = 5 ] && [ "$W2" = 5 ] && break
	[ $((LOOKED - start)) -le 1000 ] || fail "rs1 at weight $W1, rs2 at $W2 10 s after the nannies started, want 5 and 5"
	sleep 0.05
done
echo "both in service after $(secs $((LOOKED - start)))s:"
$IPVSADM -Ln
ENTER=$((LOOKED - start))

step "rs1 refuses (its server killed), rs2 hangs (its link down: connects time out)"
DOWN_BOUND=$((INTERVAL * FALL + TIMEOUT + SLACK))
now
S1=$NOW
stop_srv "$SRV1"
now
S2=$NOW
ip netns exec rs2 ip link set dev eth0 down
D1=""
D2=""
while [ -z "$D1" ] || [ -z "$D2" ]; do
	look
	weights
	case $W1 in
	5) ;;
	0) [ -n "$D1" ] || D1=$((LOOKED - S1)) ;;
	*) fail "rs1 at weight '$W1' while failing; nanny -q may only set weight 0" ;;
	esac
	case $W2 in
	5) ;;
	none) [ -n "$D2" ] || D2=$((LOOKED - S2)) ;;
	*) fail "rs2 at weight '$W2' while failing; without -q nanny removes it" ;;
	esac
	[ $((LOOKED - S1)) -le $((DOWN_BOUND + 300)) ] || fail "rs1 at weight $W1, rs2 at $W2 $(secs $((LOOKED - S1)))s after the failures"
	sleep 0.05
done
echo "rs1 (quiesce, refused): weight 0 after $(secs $D1)s (bound $(secs $DOWN_BOUND)s)"
echo "rs2 (removal, hanging): removed after $(secs $D2)s (bound $(secs $DOWN_BOUND)s)"
$IPVSADM -Ln
[ $D1 -le $DOWN_BOUND ] || fail "rs1 took $(secs $D1)s to leave, bound interval × fall + timeout + slack = $(secs $DOWN_BOUND)s"
[ $D2 -le $DOWN_BOUND ] || fail "rs2 took $(secs $D2)s to leave, bound interval × fall + timeout + slack = $(secs $DOWN_BOUND)s"

step "rs1's server restarts, rs2's link comes back"
UP_MIN=$(((RISE - 1) * INTERVAL - SLACK))
UP_MAX=$((RISE * INTERVAL + TIMEOUT + SLACK))
now
R1=$NOW
serve 1 rs1.log
now
R2=$NOW
ip netns exec rs2 sh -c 'ip link set dev eth0 up; ip route replace default via 192.168.1.254'
U1=""
U2=""
while [ -z "$U1" ] || [ -z "$U2" ]; do
	before=$NOW
	look
	weights
	case $W1 in
	0) ;;
	5) [ -n "$U1" ] || { U1=$((LOOKED - R1)) U1MIN=$((before - R1)); } ;;
	*) fail "rs1 at weight '$W1' while returning" ;;
	esac
	case $W2 in
	none) ;;
	5) [ -n "$U2" ] || { U2=$((LOOKED - R2)) U2MIN=$((before - R2)); } ;;
	*) fail "rs2 at weight '$W2' while returning" ;;
	esac
	[ $((LOOKED - R1)) -le $((UP_MAX + 300)) ] || fail "rs1 at weight $W1, rs2 at $W2 $(secs $((LOOKED - R1)))s after the repairs"
	sleep 0.05
	now
done
echo "rs1 (quiesce): back at weight 5 after $(secs $U1)s (bounds $(secs $UP_MIN)s to $(secs $UP_MAX)s)"
echo "rs2 (removal): back at weight 5 after $(secs $U2)s (bounds $(secs $UP_MIN)s to $(secs $UP_MAX)s)"
$IPVSADM -Ln
# The lower bound is checked against the start of the poll that saw the
# change (it may have happened during that poll), the upper one against
# its end.
[ $U1MIN -ge $UP_MIN ] || fail "rs1 back after $(secs $U1MIN)s, before (rise - 1) × interval - slack = $(secs $UP_MIN)s"
[ $U2MIN -ge $UP_MIN ] || fail "rs2 back after $(secs $U2MIN)s, before (rise - 1) × interval - slack = $(secs $UP_MIN)s"
[ $U1 -le $UP_MAX ] || fail "rs1 took $(secs $U1)s to return, bound rise × interval + timeout + slack = $(secs $UP_MAX)s"
[ $U2 -le $UP_MAX ] || fail "rs2 took $(secs $U2)s to return, bound rise × interval + timeout + slack = $(secs $UP_MAX)s"

step "the nannies logged it as Piranha's did"
haslog nanny-a.log "nanny: checking with HTTP GET http://10.0.0.1/ from $RS1:80 expecting status 200-299 every 1s (timeout 1s, fall 3, rise 2)"
haslog nanny-b.log "nanny: checking with HTTP GET http://10.0.0.1/ from $RS2:80 expecting status 200-299 every 1s (timeout 1s, fall 3, rise 2)"
haslog nanny-a.log "nanny: CONNECT to $RS1:80 failed: connection refused (failure 1 of 3)"
haslog nanny-a.log "nanny: CONNECT to $RS1:80 failed: connection refused (failure 3 of 3)"
haslog nanny-a.log "nanny: [inactive] shutting down $RS1:80 due to connection failure"
haslog nanny-a.log "nanny: ipvsadm -e -t $VIP -r $RS1:80 -m -w 0"
haslog nanny-a.log "nanny: [ active ] making $RS1:80 available" 2
haslog nanny-a.log "nanny: ipvsadm -e -t $VIP -r $RS1:80 -m -w 5"
haslog nanny-b.log "nanny: CONNECT to $RS2:80 timed out (failure 1 of 3)"
haslog nanny-b.log "nanny: CONNECT to $RS2:80 timed out (failure 3 of 3)"
haslog nanny-b.log "nanny: [inactive] shutting down $RS2:80 due to connection failure"
haslog nanny-b.log "nanny: ipvsadm -d -t $VIP -r $RS2:80"
haslog nanny-b.log "nanny: [ active ] making $RS2:80 available" 2
haslog nanny-b.log "nanny: ipvsadm -a -t $VIP -r $RS2:80 -m -w 5" 2

step "rs1 flaps: its server answers 503 to every third request; fall 3 keeps it in"
stop_srv "$SRV1"
mark=$(wc -l <nanny-a.log)
serve 1 rs1-flap.log -fail-every 3
now
start=$NOW
polls=0
while [ "$(grep -c ': request ' rs1-flap.log || true)" -lt 10 ]; do
	look
	weights
	[ "$W1" = 5 ] || fail "rs1 at weight '$W1' while failing one check in three (fall 3)"
	polls=$((polls + 1))
	[ $((LOOKED - start)) -le 2000 ] || fail "fewer than 10 checks of rs1 in 20 s"
	sleep 0.05
done
FLAP=$((LOOKED - start))
checks=$(grep -c ': request ' rs1-flap.log)
fails=$(grep -c ': 503$' rs1-flap.log || true)
sed -n "$((mark + 1)),\$p" nanny-a.log >flap.log
cat rs1-flap.log
cat flap.log
f1=$(grep -cxF "nanny: HTTP GET http://10.0.0.1/ answered status 503, want 200-299 (failure 1 of 3)" flap.log || true)
[ "$fails" -ge 3 ] && [ "$f1" -eq "$fails" ] || fail "rs1 answered 503 $fails times, nanny A logged $f1 first failures"
! grep -q -e 'failure [23] of 3' -e inactive -e 'ipvsadm ' flap.log || fail "nanny A counted a flap as more than one failure in a row"
echo "rs1 stayed at weight 5 in all $polls polls over $(secs $FLAP)s, $checks checks, $fails of them 503"

step "SIGTERM: nanny A (-q) leaves rs1 at weight 0, nanny B removes rs2"
stop_nanny $NA "nanny A"
look
weights
[ "$W1" = 0 ] || fail "rs1 at weight '$W1' after nanny A (-q) stopped, want 0"
stop_nanny $NB "nanny B"
look
weights
[ "$W2" = none ] || fail "rs2 still in the table (weight $W2) after nanny B stopped"
haslog nanny-a.log "nanny: Terminating due to signal 15"
haslog nanny-a.log "nanny: ipvsadm -e -t $VIP -r $RS1:80 -m -w 0" 2
haslog nanny-b.log "nanny: Terminating due to signal 15"
haslog nanny-b.log "nanny: ipvsadm -d -t $VIP -r $RS2:80" 2
$IPVSADM -Ln

step "adoption: rs2 in service (by hand, with thresholds and traffic); a new nanny B keeps it"
# Thresholds mark the entry as the one made here: nanny would add one
# without them. (Connection counters are no such proof: a destination
# removed and added again within its connections' lifetime comes back
# from the kernel's trash with its counters.)
$IPVSADM -a -t $VIP -r $RS2:80 -m -w 5 -x 1000 -y 10
for i in 1 2 3; do
	ip netns exec client labhttp get -t 5 http://10.0.0.1/ || fail "no answer through the VIP"
done >answers
[ "$(sort -u answers)" = rs2 ] || fail "answers through the VIP: $(tr '\n' ' ' <answers), want only rs2 (rs1 at weight 0)"
look
field $RS2 4
[ "$F" = 3 ] || fail "rs2 has $F inactive connections, want 3"
# saved: upstream's rules and thresholds (-S has no thresholds).
saved() { $IPVSADM -Sn && $IPVSADM -Ln --thresholds -t $VIP; }
saved >saved
T=$($IPVSADM -Ln --thresholds -t $VIP)
field $RS2 1
u=$F
field $RS2 2
[ "$u $F" = "1000 10" ] || fail "rs2's thresholds are '$u $F', want 1000 10"
echo "rs2 answered 3 requests through the VIP (InActConn 3); upstream ipvsadm -Sn and -Ln --thresholds:"
cat saved
nanny -c -h $RS2 $COMMON --lvs --nodaemon $CHECKS >nanny-b2.log 2>&1 &
NB=$!
now
start=$NOW
polls=0
while [ $((NOW - start)) -lt 400 ]; do
	look
	weights
	[ "$W2" = 5 ] || fail "rs2 at weight '$W2' after a new nanny B started, want 5 throughout"
	polls=$((polls + 1))
	sleep 0.05
	now
done
waitlog nanny-b2.log "nanny: $RS2:80 is in service with weight 5; keeping it while checks pass" 1
saved | cmp -s - saved || fail "the table changed under the new nanny B: $(saved)"
look
field $RS2 4
[ "$F" = 3 ] || fail "rs2 has $F inactive connections after the new nanny B started, want 3"
! grep -q 'ipvsadm ' nanny-b2.log || fail "the new nanny B changed the table"
cat nanny-b2.log
echo "rs2 stayed at weight 5 in all $polls polls over 4 s; upstream ipvsadm -Sn and --thresholds unchanged"
stop_nanny $NB "nanny B (second)"

step "summary (bounds include $(secs $SLACK)s of slack)"
echo "both in service after start:    $(secs $ENTER)s"
echo "rs1 (quiesce, refused) weight 0: $(secs $D1)s (bound $(secs $DOWN_BOUND)s)"
echo "rs2 (removal, hanging) removed:  $(secs $D2)s (bound $(secs $DOWN_BOUND)s)"
echo "rs1 back at weight 5:            $(secs $U1)s (bounds $(secs $UP_MIN)s to $(secs $UP_MAX)s)"
echo "rs2 back at weight 5:            $(secs $U2)s (bounds $(secs $UP_MIN)s to $(secs $UP_MAX)s)"
echo "rs1 flapping, kept at weight 5:  $(secs $FLAP)s, $checks checks, $fails failed"
echo "PASS: nanny kept the kernel's table in step with its real servers"
