#!/bin/sh
# shellcheck shell=sh
#
# PID 1 of the kernel-lab guest (installed as /init in the base initramfs by
# `lab prepare`). It sets up a minimal system, loads the IPVS and networking
# modules, runs the script that `lab run` put in the overlay archive
# (/lab/script, arguments in /lab/args) and reports its exit status between
# marker lines on the serial console, which is all the host reads.
#
# Everything this file prints outside the markers is discarded by the host,
# so anything the user must see (module failures) is printed after BEGIN.

export PATH=/lvskit/bin:/sbin:/bin:/usr/sbin:/usr/bin
export HOME=/root TMPDIR=/tmp TERM=dumb LANG=C
export UPSTREAM_IPVSADM=/upstream/ipvsadm

mount -t proc proc /proc
mount -t sysfs sysfs /sys
# The kernel only mounts devtmpfs itself after switching to a real root,
# which never happens here.
mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t tmpfs -o mode=1777 tmpfs /tmp
mount -t tmpfs -o mode=0755 tmpfs /run
# `ip netns add` bind-mounts namespaces here; /var/run is a link to /run.
mkdir -p /run/netns
# Scripts must never read the console: a read would hang until the timeout.
exec </dev/null >/dev/console 2>&1

# The console is a tty with ONLCR: every "\n" would reach the host as
# "\r\n". Turn that off so the host sees bytes as written (it strips a
# stray "\r" anyway, for kernel messages).
stty -F /dev/console -onlcr 2>/dev/null

hostname lab
ip link set lo up

nonce=$(cat /lab/nonce)
echo "@@LVSKIT-LAB-BEGIN $nonce@@"

finish() {
	echo "@@LVSKIT-LAB-END $nonce rc=$1@@"
	# Writes to a tty return once the bytes are in the kernel's buffer, not
	# on the wire; powering off at once can lose the end marker. stty's
	# tcsetattr(TCSADRAIN) waits until the UART has sent everything.
	stty -F /dev/console -onlcr 2>/dev/null
	sync
	poweroff -f
	# poweroff -f does not return; if it ever did, PID 1 exiting panics the
	# kernel, and panic=-1 with qemu's -no-reboot ends the VM all the same.
	exit "$1"
}

# /etc/lab/modules lists modules in an order that loads (written by `lab
# prepare`, which knows which modules exist). busybox modprobe follows
# modules.dep but ignores soft dependencies, so crc32c_generic comes before
# libcrc32c, whose users (nf_conntrack, ip_vs) would otherwise fail with
# "unknown symbol".
#
# One modprobe for all of them: each exec costs time under emulation. Any
# module that is not loaded afterwards is tried again alone, for its error.
modules=$(grep -v -e '^#' -e '^$' /etc/lab/modules)
# shellcheck disable=SC2086 # one word per module
modprobe -a $modules 2>/dev/null
failed=""
for mod in $modules; do
	grep -q "^$mod " /proc/modules && continue
	if ! out=$(modprobe "$mod" 2>&1) || ! grep -q "^$mod " /proc/modules; then
		echo "lab-init: FAILED to load module $mod: ${out:-not loaded}" >&2
		failed="$failed $mod"
	fi
done
if [ -n "$failed" ]; then
	echo "lab-init: modules that did not load:$failed" >&2
fi

if [ ! -e /proc/net/ip_vs ]; then
	echo "lab-init: /proc/net/ip_vs does not exist after loading ip_vs; no IPVS in this guest, not running the script" >&2
	finish 125
fi

# Arguments are stored pre-quoted for sh (single quotes, see `lab run`).
args=$(cat /lab/args)
eval "set -- $args"

# The host measures boot time up to this line; it is not shown to the user.
echo "@@LVSKIT-LAB-READY $nonce@@"

cd /root || finish 125
sh /lab/script "$@"
finish $?
