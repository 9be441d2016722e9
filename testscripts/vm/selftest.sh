#!/bin/sh
# shellcheck shell=sh
#
# Self-test of the kernel lab, run in the guest:
#   testscripts/vm/lab run testscripts/vm/selftest.sh
# Proves the guest has what lvskit's kernel tests rely on: IPVS with every
# scheduler, upstream ipvsadm working against it (including the sync
# daemon), deterministic name resolution, and namespaces, veth, dummy,
# bridge, tunnels and netem for traffic tests. Exits non-zero on the first
# failure, naming it.

set -eu

ipvsadm=${UPSTREAM_IPVSADM:?not in the lab}
failures=0

say() { printf '\n== %s\n' "$*"; }
# run CMD...: show and run a command; a failure is reported and counted.
run() {
	printf '$ %s\n' "$*"
	if ! "$@"; then
		echo "selftest: FAILED: $*" >&2
		failures=$((failures + 1))
	fi
}
# capture FILE CMD...: like run, also saving the output in FILE. (A pipe to
# tee would run `run` in a subshell and lose the failure count.)
capture() {
	file=$1
	shift
	printf '$ %s\n' "$*"
	if ! "$@" >"$file"; then
		echo "selftest: FAILED: $*" >&2
		failures=$((failures + 1))
	fi
	cat "$file"
}
# expect TEXT FILE: FILE must contain the line TEXT (fixed string).
expect() {
	if ! grep -qxF -- "$1" "$2"; then
		echo "selftest: FAILED: expected line not found: '$1'" >&2
		failures=$((failures + 1))
	fi
}

say "kernel"
uname -r
if [ ! -r /proc/net/ip_vs ]; then
	echo "selftest: FAILED: /proc/net/ip_vs is missing" >&2
	exit 1
fi
head -n 1 /proc/net/ip_vs

say "modules: every IPVS scheduler is loaded up front"
for m in ip_vs ip_vs_rr ip_vs_wrr ip_vs_lc ip_vs_wlc ip_vs_fo ip_vs_ovf ip_vs_lblc \
	ip_vs_lblcr ip_vs_dh ip_vs_sh ip_vs_mh ip_vs_sed ip_vs_nq ip_vs_ftp ip_vs_pe_sip; do
	if ! grep -q "^$m " /proc/modules; then
		echo "selftest: FAILED: module $m is not loaded" >&2
		failures=$((failures + 1))
	fi
done
echo "$(wc -l </proc/modules) modules loaded"

say "upstream ipvsadm against the kernel"
run "$ipvsadm" -A -t 10.0.0.1:80 -s rr
run "$ipvsadm" -a -t 10.0.0.1:80 -r 192.168.1.10:80 -m -w 3
capture /tmp/list "$ipvsadm" -Ln
expect 'TCP  10.0.0.1:80 rr' /tmp/list
expect '  -> 192.168.1.10:80              Masq    3      0          0         ' /tmp/list
capture /tmp/timeout "$ipvsadm" -L --timeout
expect 'Timeout (tcp tcpfin udp): 900 120 300' /tmp/timeout
run "$ipvsadm" --start-daemon master --mcast-interface lo
capture /tmp/daemon "$ipvsadm" -L --daemon
expect 'master sync daemon (mcast=lo, syncid=0, maxlen=1472, group=224.0.0.81, port=8848, ttl=1)' /tmp/daemon
run "$ipvsadm" --stop-daemon master

say "names resolve from the lab's /etc/hosts and /etc/services"
capture /tmp/names "$ipvsadm" -L
expect 'TCP  vip1.lab:http rr' /tmp/names

say "errors and exit codes"
rc=0
"$ipvsadm" -A -t 10.0.0.1:80 -s rr 2>/tmp/err || rc=$?
cat /tmp/err
if [ "$rc" != 255 ] || ! grep -q 'Service already exists' /tmp/err; then
	echo "selftest: FAILED: duplicate service gave exit $rc" >&2
	failures=$((failures + 1))
fi
run "$ipvsadm" -C

say "network namespaces and a veth pair"
run ip netns add lab-rs1
run ip link add veth-dir type veth peer name veth-rs1
run ip link set veth-rs1 netns lab-rs1
run ip addr add 192.168.1.1/24 dev veth-dir
run ip link set veth-dir up
run ip -n lab-rs1 addr add 192.168.1.10/24 dev veth-rs1
run ip -n lab-rs1 link set veth-rs1 up
run ip -n lab-rs1 link set lo up
run ip netns exec lab-rs1 ip -br addr
run ping -c 1 -W 5 192.168.1.10

say "dummy, bridge, tunnels, netem"
run ip link add lab-dummy0 type dummy
run ip link add br0 type bridge
run ip link add lab-ipip0 type ipip local 192.168.1.1 remote 192.168.1.10
run ip link add lab-gre0 type gre local 192.168.1.1 remote 192.168.1.10
run ip link add lab-ip6tnl0 type ip6tnl local 2001:db8::1 remote 2001:db8::2 mode any
run ip fou add port 6080 gue
run tc qdisc add dev lab-dummy0 root netem delay 1ms
run tc qdisc show dev lab-dummy0
run ip -br link

say "result"
if [ "$failures" -ne 0 ]; then
	echo "selftest: $failures check(s) failed" >&2
	exit 1
fi
echo "selftest: all checks passed"
