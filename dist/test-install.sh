#!/usr/bin/env bash
# make test-install: run make install into scratch DESTDIRs and check the
# tree, then make uninstall. Needs no root and no IPVS. Checks that need
# a tool that is missing (systemd-analyze, man, groff, bash-completion)
# say so and are skipped; everything else fails the test.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
MAKE=${MAKE:-make}
GO=${GO:-go}
export LC_ALL=C MANWIDTH=80 MANPAGER=cat PAGER=cat

work=$(mktemp -d "${TMPDIR:-/tmp}/lvskit-install.XXXXXX")
trap 'rm -rf "$work"' EXIT
fails=0 mark=0
fail() {
	echo "test-install: FAIL: $*" >&2
	fails=$((fails + 1))
}
skip() { echo "test-install: skipped: $*"; }
# ok WHAT: report WHAT as passed unless something failed since the last ok.
ok() {
	((fails == mark)) && echo "test-install: ok: $*"
	mark=$fails
}

# run NAME CMD...: CMD must exit 0 and write nothing on standard error;
# its standard output is left in $out.
out=
run() {
	local name=$1 err rc
	shift
	"$@" >"$work/stdout" 2>"$work/stderr"
	rc=$?
	out=$(cat "$work/stdout")
	err=$(cat "$work/stderr")
	if ((rc != 0)) || [[ -n $err ]]; then
		fail "$name: exit $rc${err:+, stderr: $err}"
		return 1
	fi
}

mk() { $MAKE --no-print-directory "$@" >"$work/make.log" 2>&1 || { cat "$work/make.log" >&2; fail "make $*"; return 1; }; }

# check_tree DEST PREFIX: install into DEST with PREFIX and check it.
check_tree() {
	local dest=$1 prefix=$2
	local sbin=$prefix/sbin man=$prefix/share/man units=$prefix/lib/systemd/system
	local comp=$prefix/share/bash-completion/completions
	echo "test-install: make install PREFIX=$prefix DESTDIR=$dest"
	mk install PREFIX="$prefix" DESTDIR="$dest" || return

	# Every file, with its mode, and nothing else.
	local want=() b p
	for b in ipvsadm send_arp lvsd nanny pulse ipvsadm-save ipvsadm-restore; do
		want+=("755 $sbin/$b")
	done
	for p in man/*.8; do want+=("644 $man/man8/${p#man/}"); done
	for p in man/*.5; do want+=("644 $man/man5/${p#man/}"); done
	for u in pulse lvsd ipvsadm; do want+=("644 $units/$u.service"); done
	want+=("644 $comp/ipvsadm" "644 /etc/sysconfig/ha/lvs.cf.sample"
		"644 /etc/sysconfig/pulse" "644 /etc/sysconfig/lvsd" "644 /etc/default/ipvsadm")
	local got
	got=$(cd "$dest" && find . ! -type d -printf '%m /%P\n' | sed 's|//|/|' | sort)
	if [[ $got != "$(printf '%s\n' "${want[@]}" | sort)" ]]; then
		fail "installed files differ from the expected list:"
		diff <(printf '%s\n' "${want[@]}" | sort) <(printf '%s\n' "$got") >&2
	else
		ok "$(wc -l <<<"$got") files, modes as expected"
	fi

	# Static builds with the Makefile's flags, and each one runs.
	local info
	for b in ipvsadm send_arp lvsd nanny pulse; do
		info=$($GO version -m "$dest$sbin/$b") || { fail "go version -m $b"; continue; }
		grep -q $'\tbuild\tCGO_ENABLED=0$' <<<"$info" || fail "$b: not built with CGO_ENABLED=0"
		case $b in
		lvsd | nanny | pulse)
			grep -q $'\tbuild\t-tags=urfave_cli_no_docs$' <<<"$info" || fail "$b: not built with -tags urfave_cli_no_docs"
			;;
		esac
		run "$b --version" "$dest$sbin/$b" --version && [[ -z $out ]] && fail "$b --version printed nothing"
		run "$b --help" "$dest$sbin/$b" --help && [[ -z $out ]] && fail "$b --help printed nothing"
	done
	run "ipvsadm -v" "$dest$sbin/ipvsadm" -v && [[ $out != "ipvsadm v1.31 "* ]] && fail "ipvsadm -v: $out"
	run "ipvsadm -h" "$dest$sbin/ipvsadm" -h && [[ $out != *"--scheduler"* ]] && fail "ipvsadm -h has no --scheduler"
	# The scripts: -x is refused with their help, as Debian's are.
	for b in ipvsadm-save ipvsadm-restore; do
		sh -n "$dest$sbin/$b" || fail "$b: sh -n"
	done
	out=$("$dest$sbin/ipvsadm-save" -x 2>&1)
	[[ $? == 1 && $out == *"Script to save the IPVS table"* ]] || fail "ipvsadm-save -x: $out"
	ok "the five programs are static and run --version and --help; ipvsadm -v, -h; scripts"

	# Man pages render without a warning (tbl included), and man finds
	# them under MANPATH=$man.
	local page name sec msgs
	for page in "$dest$man"/man?/*; do
		name=${page##*/}
		msgs=
		if command -v groff >/dev/null; then
			msgs+=$(groff -t -man -ww -z "$page" 2>&1)$'\n'
		fi
		if command -v man >/dev/null; then
			msgs+=$(man -l "$page" 2>&1 >/dev/null)$'\n'
			sec=${name##*.}
			out=$(MANPATH=$dest$man man -w "$sec" "${name%.*}" 2>&1)
			[[ $out == "$page" ]] || fail "MANPATH=$man man -w $sec ${name%.*}: $out"
		fi
		msgs=$(grep -v '^$' <<<"$msgs")
		if [[ -n $msgs ]]; then
			fail "${page#"$dest"} does not render cleanly: $msgs"
		fi
	done
	command -v groff >/dev/null || skip "groff is not installed"
	command -v man >/dev/null || skip "man is not installed"
	ok "man pages render and are found under $man"

	# The units name the installed programs and the settings files.
	grep -qx "ExecStart=$sbin/pulse --nofork -c /etc/sysconfig/ha/lvs.cf --lvsd $sbin/lvsd \$OPTIONS" "$dest$units/pulse.service" ||
		fail "pulse.service: ExecStart: $(grep ExecStart= "$dest$units/pulse.service")"
	grep -qx "ExecStart=$sbin/lvsd --nofork -c /etc/sysconfig/ha/lvs.cf \$OPTIONS" "$dest$units/lvsd.service" ||
		fail "lvsd.service: ExecStart: $(grep ExecStart= "$dest$units/lvsd.service")"
	grep -q "^ExecStart=.*$sbin/ipvsadm-restore <" "$dest$units/ipvsadm.service" ||
		fail "ipvsadm.service does not run $sbin/ipvsadm-restore"
	if grep -n "/usr/sbin/" "$dest$units"/*.service | grep -v "^[^:]*:[0-9]*:#" | grep -v "$sbin/"; then
		fail "a unit names /usr/sbin/ under PREFIX=$prefix"
	fi
	# systemd-analyze verify: syntax, the programs exist and run (their
	# paths redirected into DESTDIR), the Documentation= pages exist in
	# the installed tree (MANPATH). Any message fails.
	if command -v systemd-analyze >/dev/null; then
		mkdir -p "$work/verify" && rm -f "$work/verify"/*
		for u in "$dest$units"/*.service; do
			sed "s|$sbin/|$dest$sbin/|g" "$u" >"$work/verify/${u##*/}"
		done
		if MANPATH=$dest$man run "systemd-analyze verify" systemd-analyze verify "$work/verify"/*.service; then
			ok "systemd-analyze verify: pulse.service lvsd.service ipvsadm.service"
		fi
	else
		skip "systemd-analyze is not installed: units not verified"
	fi

	# The sample lvs.cf parses without a warning: a NAT service and a
	# direct-routing one (forward = direct).
	local cf=$dest/etc/sysconfig/ha/lvs.cf.sample
	if run "lvsd --check lvs.cf.sample" "$dest$sbin/lvsd" --color=never --check "$cf"; then
		grep -q '^ipvsadm -A -t 192.0.2.100:80 -s wlc$' <<<"$out" || fail "lvsd --check lvs.cf.sample: no web service: $out"
		grep -q -- "^#   $sbin/nanny \|^#   /usr/sbin/nanny " <<<"$out" || fail "lvsd --check: no monitor line"
		grep -q '^ipvsadm -A -f 80 -s wlc -p 600 -M 255.255.255.0$' <<<"$out" || fail "lvsd --check lvs.cf.sample: no fwmark service: $out"
		grep -q '^ipvsadm -a -f 80 -r 192.0.2.21:443 -g -w 1$' <<<"$out" || fail "lvsd --check lvs.cf.sample: no -g server: $out"
	fi
	ok "lvs.cf.sample (NAT and direct routing) passes lvsd --check"

	# The completion, sourced in bash, completes --sch after a command.
	local c="$dest$comp/ipvsadm"
	out=$(bash --norc --noprofile -c '
		. "$1" || exit 1
		comp() { COMP_LINE=$1 COMP_POINT=${#1}; COMP_WORDS=($1); COMP_CWORD=$((${#COMP_WORDS[@]} - 1)); COMPREPLY=(); _ipvsadm; echo "${COMPREPLY[*]}"; }
		complete -p ipvsadm
		comp "ipvsadm -A -t 192.0.2.1:80 --sch"
		comp "ipvsadm -A -t 192.0.2.1:80 --schedu"
		comp "ipvsadm --start-daemon m"' _ "$c" 2>&1)
	[[ $out == $'complete -F _ipvsadm ipvsadm\n--scheduler --sched-flags\n--scheduler\nmaster' ]] ||
		fail "completion: got: $out"
	# bash-completion's own loader finds it under PREFIX/share (through
	# XDG_DATA_DIRS, as for /usr/local/share and /usr/share).
	local bc=/usr/share/bash-completion/bash_completion
	if [[ -r $bc ]]; then
		out=$(XDG_DATA_DIRS=$dest$prefix/share bash --norc --noprofile -c '
			. "$1" >/dev/null 2>&1
			__load_completion ipvsadm || echo "not loaded"
			complete -p ipvsadm
			COMP_LINE="ipvsadm -A -t 192.0.2.1:80 --schedu" COMP_POINT=${#COMP_LINE}
			COMP_WORDS=($COMP_LINE) COMP_CWORD=4
			_ipvsadm; echo "${COMPREPLY[*]}"' _ "$bc" 2>&1)
		[[ $out == $'complete -F _ipvsadm ipvsadm\n--scheduler' ]] || fail "bash-completion's loader: got: $out"
	else
		skip "bash-completion is not installed: its loader not tried"
	fi
	ok "bash completion: ipvsadm -A -t ... --sch offers --scheduler, --schedu completes to it"

	# ipvsadm.service's commands, run as systemd would run them (with the
	# defaults of /etc/default/ipvsadm and the changes below) against a
	# fake ipvsadm beside the real scripts: restore, sync daemons, save.
	check_ipvsadm_unit "$dest" "$sbin" "$units"

	# A second install keeps changed settings and never writes lvs.cf;
	# uninstall removes everything else, and leaves those.
	echo 'OPTIONS="-v"' >>"$dest/etc/sysconfig/pulse"
	echo "# mine" >"$dest/etc/sysconfig/ha/lvs.cf"
	mk install PREFIX="$prefix" DESTDIR="$dest" || return
	grep -q "keeping $dest/etc/sysconfig/pulse" "$work/make.log" || fail "second install: did not keep sysconfig/pulse"
	tail -1 "$dest/etc/sysconfig/pulse" | grep -qx 'OPTIONS="-v"' || fail "second install overwrote sysconfig/pulse"
	[[ $(cat "$dest/etc/sysconfig/ha/lvs.cf") == "# mine" ]] || fail "install touched lvs.cf"
	mk uninstall PREFIX="$prefix" DESTDIR="$dest" || return
	got=$(cd "$dest" && find . ! -type d -printf '/%P\n' | sort)
	[[ $got == $'/etc/sysconfig/ha/lvs.cf\n/etc/sysconfig/pulse' ]] || fail "after uninstall, left: $got"
	rm -f "$dest/etc/sysconfig/ha/lvs.cf" "$dest/etc/sysconfig/pulse"
	mk install PREFIX="$prefix" DESTDIR="$dest" && mk uninstall PREFIX="$prefix" DESTDIR="$dest" || return
	got=$(cd "$dest" && find . ! -type d -printf '/%P\n')
	[[ -z $got ]] || fail "uninstall left: $got"
	[[ ! -e $dest/etc/sysconfig ]] || fail "uninstall left $dest/etc/sysconfig"
	ok "second install keeps changed settings and lvs.cf; uninstall removes what install put"
}

# check_ipvsadm_unit DEST SBIN UNITS
check_ipvsadm_unit() {
	local dest=$1 sbin=$2 unit=$1$3/ipvsadm.service
	local fake=$work/fake-sbin
	rm -rf "$fake" && mkdir -p "$fake" || return
	cp "$dest$sbin/ipvsadm-save" "$dest$sbin/ipvsadm-restore" "$fake/"
	# The fake logs its arguments, and -R its input; -S prints a rule.
	cat >"$fake/ipvsadm" <<-'EOF'
		#!/bin/sh
		echo "ipvsadm $*" >>"$FAKE_LOG"
		case $1 in
		-R) sed 's/^/  < /' >>"$FAKE_LOG" ;;
		-S) echo "-A -t 192.0.2.100:80 -s rr" ;;
		esac
	EOF
	chmod +x "$fake/ipvsadm"

	# unit_exec KEY: each KEY= command line of the unit, run as systemd
	# runs it: "$$" is "$", the words split as the shell splits them.
	unit_exec() {
		local line
		while IFS= read -r line; do
			line=${line//\$\$/\$}
			line=${line//"$sbin/"/"$fake/"}
			eval "set -- $line"
			"$@" || return
		done < <(sed -n "s/^$1=//p" "$unit")
	}
	# with_env SETTINGS: the unit's Environment=, then the settings file,
	# then SETTINGS, as systemd would read them.
	with_env() (
		set -a
		eval "$(sed -n 's/^Environment=//p' "$unit")"
		. "$dest/etc/default/ipvsadm"
		eval "$1"
		set +a
		shift
		"$@"
	)
	export FAKE_LOG=$work/fake.log
	local rules=$work/ipvsadm.rules
	printf '# saved\n-A -t 192.0.2.100:80 -s wlc\n-a -t 192.0.2.100:80 -r 10.0.0.1:80 -m -w 1\n' >"$rules"

	: >"$FAKE_LOG"
	with_env "IPVSADM_RULES=$rules" unit_exec ExecStart || fail "ipvsadm.service: ExecStart failed"
	local expect='ipvsadm -C
ipvsadm -R
  < -A -t 192.0.2.100:80 -s wlc
  < -a -t 192.0.2.100:80 -r 10.0.0.1:80 -m -w 1'
	[[ $(cat "$FAKE_LOG") == "$expect" ]] || fail "ipvsadm.service start (defaults): $(cat "$FAKE_LOG")"

	: >"$FAKE_LOG"
	with_env "IPVSADM_RULES=$rules DAEMON=master" unit_exec ExecReload || fail "ipvsadm.service: ExecReload failed"
	[[ $(cat "$FAKE_LOG") == "$expect" ]] || fail "ipvsadm.service reload: $(cat "$FAKE_LOG")"

	: >"$FAKE_LOG"
	with_env "IPVSADM_RULES=$rules AUTO=false DAEMON=both IFACE=eth1 SYNCID=7" unit_exec ExecStart || fail "ipvsadm.service: ExecStart (daemons) failed"
	expect='ipvsadm --start-daemon master --mcast-interface eth1 --syncid 7
ipvsadm --start-daemon backup --mcast-interface eth1 --syncid 7'
	[[ $(cat "$FAKE_LOG") == "$expect" ]] || fail "ipvsadm.service start (AUTO=false DAEMON=both): $(cat "$FAKE_LOG")"

	: >"$FAKE_LOG"
	with_env "IPVSADM_RULES=$work/none" unit_exec ExecStart || fail "ipvsadm.service: ExecStart without a rules file failed"
	[[ ! -s $FAKE_LOG ]] || fail "ipvsadm.service start without a rules file ran: $(cat "$FAKE_LOG")"

	: >"$FAKE_LOG"
	with_env "IPVSADM_RULES=$rules" unit_exec ExecStop || fail "ipvsadm.service: ExecStop failed"
	[[ ! -s $FAKE_LOG ]] || fail "ipvsadm.service stop (defaults) ran: $(cat "$FAKE_LOG")"
	grep -q '^# saved$' "$rules" || fail "ipvsadm.service stop (defaults) changed the rules file"

	: >"$FAKE_LOG"
	with_env "IPVSADM_RULES=$rules SAVE_ON_STOP=true DAEMON=backup" unit_exec ExecStop || fail "ipvsadm.service: ExecStop (save) failed"
	expect='ipvsadm --stop-daemon backup
ipvsadm -S -n'
	[[ $(cat "$FAKE_LOG") == "$expect" ]] || fail "ipvsadm.service stop (SAVE_ON_STOP=true DAEMON=backup): $(cat "$FAKE_LOG")"
	[[ $(cat "$rules") == $'# ipvsadm.rules\n-A -t 192.0.2.100:80 -s rr' ]] || fail "ipvsadm.service stop: rules file: $(cat "$rules")"
	[[ ! -e $rules.new ]] || fail "ipvsadm.service stop left $rules.new"
	ok "ipvsadm.service: restore, reload, AUTO, sync daemons, save on stop"
}

check_tree "$work/dest-usr" /usr
check_tree "$work/dest-local" /usr/local

if ((fails > 0)); then
	echo "test-install: $fails failures" >&2
	exit 1
fi
echo "test-install: PASS"
