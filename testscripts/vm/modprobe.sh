#!/bin/sh
# shellcheck shell=sh
#
# modprobe.sh: a guest script of the kernel lab (run by `make test-lab`).
# It checks what ipvsadm does on a kernel whose IPVS is a module that is
# not loaded, against upstream ipvsadm on the same kernel:
#
#   loads   ip_vs unloaded, modprobe can load it: ipvsadm loads it once
#           and the command runs
#   fails   ip_vs unloaded and its module file hidden: modprobe fails
#           (its message passes through), then ipvsadm's two-line
#           message and status 2
#
# Each case runs with upstream ($UPSTREAM_IPVSADM) and with ours
# (/lvskit/bin/ipvsadm), each invoked as "ipvsadm", and stdout, stderr
# and exit status must be byte-identical. Exit status 0 when all match.

UPSTREAM=${UPSTREAM_IPVSADM:-/upstream/ipvsadm}
OURS=/lvskit/bin/ipvsadm
W=/tmp/modprobe-check
MOD=/lib/modules/$(uname -r)/kernel/net/netfilter/ipvs/ip_vs.ko
fail=0

# unload removes ip_vs and everything that uses it.
unload() {
	for m in $(lsmod | awk '$1 ~ /^ip_vs_/ { print $1 }'); do
		rmmod "$m" || return 1
	done
	if lsmod | grep -q '^ip_vs '; then
		rmmod ip_vs || return 1
	fi
	if [ -e /proc/net/ip_vs ]; then
		echo "modprobe.sh: ip_vs is still loaded" >&2
		return 1
	fi
}

# side NAME BIN CASE: runs "ipvsadm -Ln" with BIN, saving its output.
side() {
	mkdir -p "$W/$1"
	ln -sf "$2" "$W/$1/ipvsadm"
	(cd "$W" && PATH="$W/$1:$PATH" ipvsadm -Ln >"$W/$3.$1.out" 2>"$W/$3.$1.err")
	echo $? >"$W/$3.$1.rc"
}

# check CASE WANT_RC WANT_LOADED: both sides agree, with the expected
# status and module state.
check() {
	ok=1
	for f in out err rc; do
		if ! cmp -s "$W/$1.upstream.$f" "$W/$1.ours.$f"; then
			echo "FAIL $1: $f differs (upstream, then ours):"
			cat "$W/$1.upstream.$f"
			echo "---"
			cat "$W/$1.ours.$f"
			ok=0
		fi
	done
	rc=$(cat "$W/$1.upstream.rc")
	if [ "$rc" != "$2" ]; then
		echo "FAIL $1: upstream exited $rc, the case expects $2 (the check itself is wrong)"
		ok=0
	fi
	if [ $ok = 1 ]; then
		echo "PASS $1 (status $rc, $(wc -c <"$W/$1.ours.out") bytes of stdout, $(wc -c <"$W/$1.ours.err") of stderr)"
	else
		fail=1
	fi
}

mkdir -p $W

# loads: each side finds ip_vs unloaded and loads it itself.
for s in upstream ours; do
	bin=$UPSTREAM
	[ $s = ours ] && bin=$OURS
	unload || exit 1
	side $s "$bin" loads
	if [ ! -e /proc/net/ip_vs ]; then
		echo "FAIL loads: $s did not load ip_vs"
		fail=1
	fi
done
check loads 0

# fails: the module cannot be loaded.
mv "$MOD" "$MOD.hidden" || exit 1
for s in upstream ours; do
	bin=$UPSTREAM
	[ $s = ours ] && bin=$OURS
	unload || exit 1
	side $s "$bin" fails
done
mv "$MOD.hidden" "$MOD"
check fails 2

exit $fail
