#!/bin/sh
# Benchmarks lvskit's ipvsadm against upstream ipvsadm 1.31 in one boot of
# the kernel lab, each side in a fresh network namespace of its own, and
# prints each figure with the ratio upstream/lvskit (above 1: lvskit is
# faster). Run with: make bench-ipvsadm
#   (a) -R of SERVICES services x 4 real servers
#   (b) -Sn and -Ln of that table
#   (c) SINGLES single-rule invocations from a shell loop
# It also checks that both sides saved the same rules.
set -eu
SERVICES=${SERVICES:-5000}
SINGLES=${SINGLES:-200}
UP=$UPSTREAM_IPVSADM
OURS=/lvskit/bin/ipvsadm
W=/tmp/bench
mkdir -p $W

now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

# The rules: services 10.X.Y.1:80, each with four NAT real servers.
awk -v n="$SERVICES" 'BEGIN {
	for (i = 0; i < n; i++) {
		vip = sprintf("10.%d.%d.1:80", int(i / 250), i % 250)
		printf "-A -t %s -s wlc\n", vip
		for (k = 1; k <= 4; k++)
			printf "-a -t %s -r 172.16.%d.%d:8080 -m -w %d\n", vip, int(i / 250), (i % 250) + k, k
	}
}' >$W/rules

# side NAME BINARY: one namespace, the three measurements.
side() {
	name=$1 bin=$2
	ip netns add bench-$name
	ip -n bench-$name link set lo up
	ip netns exec bench-$name sh -c '
		set -e
		now() { cut -d" " -f1 /proc/uptime; }
		bin=$1 out=$2 singles=$3
		t0=$(now); "$bin" -R <'$W'/rules; t1=$(now)
		"$bin" -Sn >$out.save; t2=$(now)
		"$bin" -Ln >$out.list; t3=$(now)
		"$bin" -C
		i=0; t4=$(now)
		while [ $i -lt $singles ]; do
			i=$((i + 1))
			"$bin" -A -t 192.0.2.1:$i -s rr
		done
		t5=$(now)
		echo "$t0 $t1 $t2 $t3 $t4 $t5" >$out.times
	' sh "$bin" $W/$name "$SINGLES"
	ip netns del bench-$name
}

side upstream "$UP"
side lvskit "$OURS"

cmp -s $W/upstream.save $W/lvskit.save || { echo "bench: the two sides saved different rules"; diff $W/upstream.save $W/lvskit.save | head; exit 1; }
cmp -s $W/upstream.list $W/lvskit.list || { echo "bench: the two sides listed different tables"; diff $W/upstream.list $W/lvskit.list | head; exit 1; }

read -r u0 u1 u2 u3 u4 u5 <$W/upstream.times
read -r l0 l1 l2 l3 l4 l5 <$W/lvskit.times
report() { # what upstream-start upstream-end lvskit-start lvskit-end
	awk -v what="$1" -v u="$(secs "$2" "$3")" -v l="$(secs "$4" "$5")" 'BEGIN {
		r = (l > 0) ? u / l : 0
		printf "%-40s upstream %7.2f s   lvskit %7.2f s   ratio %5.2fx\n", what, u, l, r
	}'
}
echo "ipvsadm benchmark, $(uname -r), same boot, fresh namespace per side"
report "(a) -R of $SERVICES services x 4 servers" "$u0" "$u1" "$l0" "$l1"
report "(b) -Sn of that table" "$u1" "$u2" "$l1" "$l2"
report "(b) -Ln of that table" "$u2" "$u3" "$l2" "$l3"
report "(c) $SINGLES single-rule invocations" "$u4" "$u5" "$l4" "$l5"
