#!/bin/sh
# Benchmarks lvskit's ipvsadm against upstream ipvsadm 1.31 in one boot of
# the kernel lab, each side with a network namespace (an IPVS table) of
# its own, and prints each figure with the ratio upstream/lvskit (above 1:
# lvskit is faster). Run with: make bench-ipvsadm
#   (a) -R of SERVICES services x 4 real servers
#   (b) -Sn and -Ln of that table (both binaries list the same one)
#   (c) SINGLES single-rule invocations from a shell loop
# The machine is shared and emulated, so the two sides alternate in small
# chunks (a load spike hits both), listings are repeated and the fastest
# run counts. It also checks that both sides listed the same table.
set -eu
SERVICES=${SERVICES:-5000}
SINGLES=${SINGLES:-200}
CHUNKS=10 # restore and single invocations are split into this many turns
ROUNDS=5  # listings are run this many times per side
UP=$UPSTREAM_IPVSADM
OURS=/lvskit/bin/ipvsadm
W=/tmp/bench
mkdir -p $W

now() { cut -d' ' -f1 /proc/uptime; }
add() { awk -v a="$1" -v b="$2" -v c="$3" 'BEGIN { printf "%.2f", a + c - b }'; }
low() { awk -v a="$1" -v b="$2" 'BEGIN { print (a < b) ? a : b }'; }

# The rules, in CHUNKS files: services 10.X.Y.1:80, each with four NAT
# real servers.
awk -v n="$SERVICES" -v chunks=$CHUNKS -v w=$W 'BEGIN {
	per = int((n + chunks - 1) / chunks)
	for (i = 0; i < n; i++) {
		f = sprintf("%s/rules.%d", w, int(i / per))
		vip = sprintf("10.%d.%d.1:80", int(i / 250), i % 250)
		printf "-A -t %s -s wlc\n", vip >f
		for (k = 1; k <= 4; k++)
			printf "-a -t %s -r 172.16.%d.%d:8080 -m -w %d\n", vip, int(i / 250), (i % 250) + k, k >f
	}
}'

for s in upstream lvskit; do
	ip netns add bench-$s
	ip -n bench-$s link set lo up
done
bin() { if [ "$1" = upstream ]; then echo "$UP"; else echo "$OURS"; fi; }
# timed SIDE SH-COMMAND: run it in SIDE's namespace, print the seconds.
timed() {
	t0=$(now)
	ip netns exec bench-$1 sh -c "$2"
	t1=$(now)
	awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }'
}

ra_up=0 ra_ours=0
c=0
while [ -f $W/rules.$c ]; do
	ra_up=$(add "$ra_up" 0 "$(timed upstream "$UP -R <$W/rules.$c")")
	ra_ours=$(add "$ra_ours" 0 "$(timed lvskit "$OURS -R <$W/rules.$c")")
	c=$((c + 1))
done

# Both sides restored the same rules; check that, then list one table.
# The kernel keeps every namespace's services in one global hash table,
# and a second table of the same size there slows every lookup and dump
# (about +50% for both sides in the guest), which a director with its one
# table never sees. The two tables of (a) were also built in alternation,
# which leaves each one's services and servers scattered among the
# other's, and that slows a listing even once the other is gone (-Sn of
# such a table took lvskit 1.87 s, of one restored in one go 1.57 s;
# upstream 3.99 s and 3.84 s; two boots). So both namespaces are emptied,
# the table is restored afresh in one of them, and both binaries list
# that one table, in alternation.
ip netns exec bench-upstream "$UP" -Sn >$W/upstream.rules
ip netns exec bench-lvskit "$OURS" -Sn >$W/lvskit.rules
cmp -s $W/upstream.rules $W/lvskit.rules || { echo "bench: the two sides restored different rules"; diff $W/upstream.rules $W/lvskit.rules | head; exit 1; }
for s in upstream lvskit; do ip netns exec bench-$s "$(bin $s)" -C; done
cat $W/rules.* | ip netns exec bench-lvskit "$OURS" -R
sn_up=1e9 sn_ours=1e9 ln_up=1e9 ln_ours=1e9
r=0
while [ $r -lt $ROUNDS ]; do
	r=$((r + 1))
	for s in upstream lvskit; do
		b=$(bin $s)
		t=$(timed lvskit "$b -Sn >$W/$s.save")
		if [ $s = upstream ]; then sn_up=$(low "$sn_up" "$t"); else sn_ours=$(low "$sn_ours" "$t"); fi
		t=$(timed lvskit "$b -Ln >$W/$s.list")
		if [ $s = upstream ]; then ln_up=$(low "$ln_up" "$t"); else ln_ours=$(low "$ln_ours" "$t"); fi
	done
done
cmp -s $W/upstream.save $W/lvskit.save || { echo "bench: the two sides saved different rules"; diff $W/upstream.save $W/lvskit.save | head; exit 1; }
cmp -s $W/upstream.list $W/lvskit.list || { echo "bench: the two sides listed different tables"; diff $W/upstream.list $W/lvskit.list | head; exit 1; }
[ "$(wc -l <$W/lvskit.save)" = $((SERVICES * 5)) ] || { echo "bench: -Sn listed $(wc -l <$W/lvskit.save) lines, want $((SERVICES * 5))"; exit 1; }

for s in upstream lvskit; do ip netns exec bench-$s "$(bin $s)" -C; done
per=$((SINGLES / CHUNKS))
single_loop() { # BIN FIRST: $per invocations adding services on ports FIRST..
	echo "i=$2; e=\$((i + $per)); while [ \$i -lt \$e ]; do $1 -A -t 192.0.2.1:\$i -s rr; i=\$((i + 1)); done"
}
sg_up=0 sg_ours=0
c=0
while [ $c -lt $CHUNKS ]; do
	sg_up=$(add "$sg_up" 0 "$(timed upstream "$(single_loop "$UP" $((c * per + 1)))")")
	sg_ours=$(add "$sg_ours" 0 "$(timed lvskit "$(single_loop "$OURS" $((c * per + 1)))")")
	c=$((c + 1))
done
n_up=$(ip netns exec bench-upstream "$UP" -Sn | wc -l)
n_ours=$(ip netns exec bench-lvskit "$OURS" -Sn | wc -l)
[ "$n_up" = "$SINGLES" ] && [ "$n_ours" = "$SINGLES" ] || { echo "bench: single invocations made $n_up and $n_ours services, want $SINGLES"; exit 1; }

report() { # WHAT UPSTREAM-SECONDS LVSKIT-SECONDS
	awk -v what="$1" -v u="$2" -v l="$3" 'BEGIN {
		printf "%-40s upstream %7.2f s   lvskit %7.2f s   ratio %5.2fx\n", what, u, l, (l > 0) ? u / l : 0
	}'
}
echo "ipvsadm benchmark, $(uname -r), one boot, sides alternating"
report "(a) -R of $SERVICES services x 4 servers" "$ra_up" "$ra_ours"
report "(b) -Sn of that table (best of $ROUNDS)" "$sn_up" "$sn_ours"
report "(b) -Ln of that table (best of $ROUNDS)" "$ln_up" "$ln_ours"
report "(c) $SINGLES single-rule invocations" "$sg_up" "$sg_ours"
