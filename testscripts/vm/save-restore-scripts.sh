#!/bin/sh
# shellcheck shell=sh
#
# save-restore-scripts.sh: a guest script of the kernel lab (run by
# `make test-lab`). It runs the same steps with Debian's ipvsadm-save and
# ipvsadm-restore (/upstream/, bash scripts that run upstream ipvsadm)
# and with ours (/lvskit/scripts/, beside our ipvsadm), each side in a
# network namespace of its own, and compares every step's stdout, stderr
# and exit status byte for byte.
#
#   --bin ipvsadm and --file scripts:/lvskit/scripts are required.
#
# Exit status 0 when every step matched.

UPSTREAM_DIR=/upstream
OURS_DIR=/tmp/ours-scripts
W=/tmp/scripts-diff
mkdir -p $W $OURS_DIR
# Ours find the ipvsadm beside them.
cp /lvskit/scripts/ipvsadm-save /lvskit/scripts/ipvsadm-restore $OURS_DIR/
ln -sf /lvskit/bin/ipvsadm $OURS_DIR/ipvsadm

# The steps: "NAME|SHELL COMMAND". $D is the side's directory (its
# ipvsadm-save, ipvsadm-restore and ipvsadm), run from $W.
cat >$W/rules-with-comments <<'EOF'
# saved by hand
-A -t 10.0.0.1:80 -s wlc
# a comment between rules
-a -t 10.0.0.1:80 -r 192.168.1.10:80 -m -w 2
-A -u 10.0.0.2:53 -s rr -p 300
-a -u 10.0.0.2:53 -r 192.168.1.11:53 -g -w 1
EOF
printf -- '-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -x 5\n-A -t 10.0.0.3:80\n' >$W/rules-invalid
printf -- '-A -t 10.0.0.1:80 -s rr\n-A -t 10.0.0.1:80 -s rr\n' >$W/rules-kernel-error
printf -- '-A -t 10.0.0.1:80\n-A -t 10.0.0.4:80 -s nosuch\n-A -t 10.0.0.5:80\n' >$W/rules-unknown-sched
printf -- '-A -t 10.0.0.9:80 -s rr\\n-a\n' >$W/rules-backslash
: >$W/rules-empty

cat >$W/steps <<'EOF'
empty-save|$D/ipvsadm-save
empty-save-n|$D/ipvsadm-save -n
build|$D/ipvsadm -A -t 10.0.0.1:80 -s rr && $D/ipvsadm -a -t 10.0.0.1:80 -r 192.168.1.10:80 -m -w 3 && $D/ipvsadm -A -u [2001:db8::1]:53 -s sh -b sh-port && $D/ipvsadm -A -f 7 -p 600 -M 255.255.255.0 && $D/ipvsadm -a -f 7 -r 192.168.1.12 -i --tun-type gue --tun-port 6080 --tun-csum
save|$D/ipvsadm-save
save-n|$D/ipvsadm-save -n
save-n-extra-word|$D/ipvsadm-save -n extra
save-unknown-option|$D/ipvsadm-save -x
save-long-option|$D/ipvsadm-save --numeric
save-roundtrip|$D/ipvsadm-save -n >saved.$S && $D/ipvsadm -C && $D/ipvsadm-restore <saved.$S && $D/ipvsadm-save -n
restore-comments|$D/ipvsadm-restore <rules-with-comments
after-comments|$D/ipvsadm -Ln
restore-invalid|$D/ipvsadm-restore <rules-invalid
after-invalid|$D/ipvsadm -Sn
restore-kernel-error|$D/ipvsadm-restore <rules-kernel-error
after-kernel-error|$D/ipvsadm -Sn
restore-unknown-sched|$D/ipvsadm-restore <rules-unknown-sched
after-unknown-sched|$D/ipvsadm -Sn
restore-backslash|$D/ipvsadm-restore <rules-backslash
after-backslash|$D/ipvsadm -Sn
restore-empty|$D/ipvsadm-restore <rules-empty
after-empty|$D/ipvsadm -Sn
restore-args-ignored|$D/ipvsadm-restore -n <rules-with-comments
after-args|$D/ipvsadm -Sn
EOF

# run SIDE DIR: every step in SIDE's namespace, one transcript.
run() {
	ip netns add "sd-$1" || exit 1
	ip -n "sd-$1" link set lo up
	while IFS='|' read -r name cmd; do
		printf '=== %s\n' "$name"
		(cd $W && D=$2 S=$1 ip netns exec "sd-$1" sh -c "$cmd" >"$W/out" 2>"$W/err" </dev/null)
		rc=$?
		echo '--- stdout'
		cat $W/out
		echo '--- stderr'
		cat $W/err
		echo "--- exit $rc"
	done <$W/steps >"$W/$1.txt"
	ip netns del "sd-$1"
}

run upstream $UPSTREAM_DIR
run ours $OURS_DIR
steps=$(wc -l <$W/steps)
if cmp -s $W/upstream.txt $W/ours.txt; then
	echo "save-restore-scripts: PASS ($steps steps, $(wc -c <$W/ours.txt) bytes of transcript identical)"
	exit 0
fi
echo "save-restore-scripts: FAIL (upstream -, ours +):"
diff -u $W/upstream.txt $W/ours.txt | head -80
exit 1
