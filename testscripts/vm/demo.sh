#!/bin/sh
# A short session in the kernel lab: upstream ipvsadm (the oracle) builds
# a table in the Debian kernel's IPVS, and lvskit's netlink client
# (ipvsdump) reads the same table back.
set -e
say() { printf '\n== %s\n' "$*"; }
run() { printf '$ %s\n' "$*"; "$@"; }

say "kernel $(uname -r), IPVS $(head -n 1 /proc/net/ip_vs)"
say "upstream ipvsadm builds a table"
run "$UPSTREAM_IPVSADM" -A -t 10.0.0.1:80 -s rr
run "$UPSTREAM_IPVSADM" -a -t 10.0.0.1:80 -r 192.168.1.10:80 -m -w 3
run "$UPSTREAM_IPVSADM" -a -t 10.0.0.1:80 -r 192.168.1.11:80 -g
run "$UPSTREAM_IPVSADM" -A -u '[2001:db8::1]:53' -s sh -b sh-port
run "$UPSTREAM_IPVSADM" -a -u '[2001:db8::1]:53' -r '[2001:db8::20]:53' -i --tun-type gue --tun-port 6080 --tun-csum
run "$UPSTREAM_IPVSADM" -A -f 7 -p 600 -M 255.255.255.0
run "$UPSTREAM_IPVSADM" --set 1800 60 600
run "$UPSTREAM_IPVSADM" --start-daemon master --mcast-interface lo --syncid 7
run "$UPSTREAM_IPVSADM" -Ln
run "$UPSTREAM_IPVSADM" -Ln --tun-info
run "$UPSTREAM_IPVSADM" -L --timeout
run "$UPSTREAM_IPVSADM" -L --daemon

say "lvskit's netlink client reads the same table"
run ipvsdump
