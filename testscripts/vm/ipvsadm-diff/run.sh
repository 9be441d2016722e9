#!/bin/sh
# shellcheck shell=sh
#
# run.sh: the guest half of the ipvsadm differential test (README.md).
# It runs inside the kernel lab (testscripts/vm/lab run); diff.sh starts it.
#
#   run.sh [--self] [--dump] [FILTER...]
#
# For every scenario /lab-diff/scenarios/*.txt (only those whose name
# contains one of the FILTERs, if any are given) it runs the scenario twice,
# each time in a fresh network namespace of its own, one after the other
# (never in parallel, see run_side): once with upstream
# ipvsadm ($UPSTREAM_IPVSADM) and once with ours (/lvskit/bin/ipvsadm), each
# invoked as plain `ipvsadm` (argv[0] exactly "ipvsadm") from a directory of
# its own that is first on PATH. Every line's command, stdout, stderr and
# exit status go into one transcript per side, and the two transcripts are
# compared byte for byte. Lines marked "#@ ID" are compared as
# expected-differences.txt says for ID.
#
#   --self    "ours" is upstream as well: checks the harness and scenarios
#             (every scenario must pass and be deterministic)
#   --dump    print both transcripts of every scenario between marker lines
#             (diff.sh saves them to $DIFF_OUT); unlike the compared ones
#             they hold the outputs of marked lines too
#
# Output: "PASS name" / "FAIL name" per scenario (a FAIL is followed by the
# first differences as a unified diff, upstream "-", ours "+"), notes for
# lines with expected differences, and a summary line
#   ipvsadm-diff: N passed, N failed (command lines); ...
# Exit status 0 when everything passed, 1 otherwise.
#
# Internal entry point, run inside a side's namespace:
#   run.sh --side SIDE BINDIR SCENARIO OUTDIR

DIFF_DIR=${DIFF_DIR:-/lab-diff}
SCENARIOS=$DIFF_DIR/scenarios
FIXTURES=$SCENARIOS/fixtures
EXPECTED=$DIFF_DIR/expected-differences.txt
WORK=/tmp/ipvsadm-diff
UPSTREAM=${UPSTREAM_IPVSADM:-/upstream/ipvsadm}
OURS=/lvskit/bin/ipvsadm
# A line that takes longer than this is killed (a hang must not eat the
# lab's whole timeout); its status is then 137.
LINE_TIMEOUT=${DIFF_LINE_TIMEOUT:-20}
SELF=$0

# --------------------------------------------------------------- one side

# pad N sets PAD to N with four digits (block files sort by name).
pad() {
	PAD=$((10000 + $1))
	PAD=${PAD#1}
}

# harness_error MSG: a defect of the scenario or harness, not of ipvsadm.
# It fails the scenario on both sides.
harness_error() {
	printf 'HARNESS ERROR (%s side): %s line %s: %s\n' "$SIDE" "$SCEN_NAME" "$n" "$1" >>"$OUT/errors"
}

# expected_mode ID sets MODE (status|none) and UEXIT for a difference ID.
expected_mode() {
	MODE='' UEXIT=''
	while read -r eid emode euexit _; do
		case $eid in '' | '#'*) continue ;; esac
		if [ "$eid" = "$1" ]; then
			MODE=$emode UEXIT=$euexit
			break
		fi
	done <"$EXPECTED"
	case $MODE in
	status | none) return 0 ;;
	'') harness_error "difference id '$1' is not in expected-differences.txt" ;;
	*) harness_error "difference id '$1' has unknown compare mode '$MODE'" ;;
	esac
	return 1
}

# parse_line splits a command line into its parts:
#   ARGS [>@NAME] [< FILE | < @NAME | <<WORD] [#@ ID]
# setting CMD, ID, STDIN, SDESC, SAVE and HD (a heredoc's end word).
parse_line() {
	LNO=$n CMD=$line ID='' STDIN=/dev/null SDESC='' SAVE='' HD=''
	case $CMD in
	*' #@ '*)
		ID=${CMD##* #@ }
		CMD=${CMD% #@ *}
		while :; do case $ID in *' ' | *'	') ID=${ID%?} ;; *) break ;; esac done
		case $ID in '' | *' '* | *'	'*) harness_error "bad difference marker '#@ $ID'"; return 1 ;; esac
		;;
	esac
	case $CMD in
	*' <<'*)
		HD=${CMD##* <<}
		CMD=${CMD% <<*}
		case $HD in '' | *[!A-Za-z0-9_]*) harness_error "bad heredoc word '<<$HD'"; HD=; return 1 ;; esac
		pad "$LNO"
		STDIN=$OUT/raw/$PAD.in
		: >"$STDIN"
		SDESC="<<$HD"
		;;
	*' <'*)
		src=${CMD##* <}
		CMD=${CMD% <*}
		while :; do case $src in ' '*) src=${src#?} ;; *) break ;; esac done
		case $src in
		@*) STDIN=$OUT/saved.${src#@} ;;
		*) STDIN=$FIXTURES/$src ;;
		esac
		if [ ! -f "$STDIN" ]; then
			harness_error "no such stdin source '$src'"
			return 1
		fi
		SDESC="< $src"
		;;
	esac
	case $CMD in
	*' >@'*)
		SAVE=${CMD##* >@}
		CMD=${CMD% >@*}
		case $SAVE in '' | *[!A-Za-z0-9_-]*) harness_error "bad save name '>@$SAVE'"; return 1 ;; esac
		;;
	esac
	while :; do case $CMD in *' ' | *'	') CMD=${CMD%?} ;; *) break ;; esac done
	return 0
}

# block_section TITLE FILE appends one output stream to the block, exactly,
# noting a missing final newline.
block_section() {
	if [ -s "$2" ]; then
		printf -- '--- %s\n' "$1"
		cat "$2"
		if [ -n "$(tail -c 1 "$2")" ]; then printf '\n\\ no newline at end of %s\n' "$1"; fi
	fi
}

# run_line runs the parsed command line and writes its block.
run_line() {
	pad "$LNO"
	base=$OUT/raw/$PAD
	MODE='' UEXIT=''
	if [ -n "$ID" ]; then expected_mode "$ID" || return; fi
	case $CMD in
	@noargs) set -- ;;
	@*)
		harness_error "unknown directive '$CMD'"
		return
		;;
	*)
		if ! (eval "set -- $CMD") 2>/dev/null; then
			harness_error "cannot split into words: $CMD"
			return
		fi
		eval "set -- $CMD"
		;;
	esac
	$TIMEOUT ipvsadm "$@" <"$STDIN" >"$base.out" 2>"$base.err"
	rc=$?
	echo "$rc" >"$base.rc"
	if [ -n "$SAVE" ]; then cp "$base.out" "$OUT/saved.$SAVE"; fi
	{
		if [ "$CMD" = @noargs ]; then
			printf '=== line %d: ipvsadm\n' "$LNO"
		else
			printf '=== line %d: ipvsadm %s\n' "$LNO" "$CMD"
		fi
		if [ -n "$SDESC" ]; then printf '[stdin %s]\n' "$SDESC"; fi
		case $MODE in
		status) printf '[stdout and stderr not compared: %s]\n' "$ID" ;;
		none) printf '[not compared at all: %s]\n' "$ID" ;;
		esac
	} >"$base.head"
	# $base.full has everything, $base.block what is compared: a marked
	# line's outputs (and, for "none", its status) stay out of the compared
	# block. Only the dumped transcript (--dump, DIFF_OUT) has them, for
	# the golden generator (testscripts/internal/diffgolden), which takes
	# our side of such lines from there.
	{
		cat "$base.head"
		block_section stdout "$base.out"
		block_section stderr "$base.err"
		printf -- '--- exit %d\n' "$rc"
	} >"$base.full"
	case $MODE in
	status)
		{
			cat "$base.head"
			printf -- '--- exit %d\n' "$rc"
		} >"$base.block"
		;;
	none) cp "$base.head" "$base.block" ;;
	*) mv "$base.full" "$base.block" ;;
	esac
	printf '%s cmd %s\n' "$LNO" "${ID:--}" >>"$OUT/lines"
}

# run_setup runs a "!" line: a shell command in this side's namespace.
run_setup() {
	LNO=$n
	pad "$LNO"
	base=$OUT/raw/$PAD
	sh -c "${line#!}" </dev/null >"$base.out" 2>"$base.err"
	rc=$?
	{
		printf '=== line %d: %s\n' "$LNO" "$line"
		block_section stdout "$base.out"
		block_section stderr "$base.err"
		printf -- '--- exit %d\n' "$rc"
	} >"$base.block"
	printf '%s setup -\n' "$LNO" >>"$OUT/lines"
}

# side BINDIR SCENARIO OUTDIR: runs one scenario with the ipvsadm in BINDIR.
# Runs inside the side's fresh network namespace.
side() {
	bindir=$1 scen=$2 OUT=$3
	SCEN_NAME=${scen##*/}
	SCEN_NAME=${SCEN_NAME%.txt}
	export PATH="$bindir:/sbin:/bin:/usr/sbin:/usr/bin"
	# Scenario lines are split with eval: no pathname expansion ([::1]:80).
	set -f
	TIMEOUT=
	if command -v timeout >/dev/null 2>&1; then TIMEOUT="timeout -s KILL $LINE_TIMEOUT"; fi
	mkdir -p "$OUT/raw"
	: >"$OUT/lines"
	touch "$OUT/errors"
	ip link set lo up
	n=0 HD=
	while IFS= read -r line || [ -n "$line" ]; do
		n=$((n + 1))
		if [ -n "$HD" ]; then
			if [ "$line" = "$HD" ]; then
				HD=
				run_line
			else
				printf '%s\n' "$line" >>"$STDIN"
			fi
			continue
		fi
		case $line in
		'#'*) continue ;;
		*[!\ \	]*) ;;
		*) continue ;;
		esac
		case $line in
		'!'*) run_setup ;;
		@same-namespace) ;;
		*)
			if parse_line && [ -z "$HD" ]; then run_line; fi
			;;
		esac
	done <"$scen"
	if [ -n "$HD" ]; then harness_error "heredoc <<$HD never ends"; fi
	# The transcript: every block in line order (the names sort). The
	# dumped one has the full outputs of marked lines too.
	set +f
	set -- "$OUT"/raw/*.block
	if [ ! -f "$1" ]; then
		: >"$OUT/transcript.txt"
		: >"$OUT/transcript-full.txt"
		return
	fi
	cat "$@" >"$OUT/transcript.txt"
	# Only builtins in the loop: every exec is slow in the emulated guest.
	for b in "$@"; do
		full=${b%.block}.full
		if [ -f "$full" ]; then set -- "$@" "$full"; else set -- "$@" "$b"; fi
		shift
	done
	cat "$@" >"$OUT/transcript-full.txt"
}

# ------------------------------------------------------------ the driver

# run_side SIDE SCENARIO: one side in a fresh namespace.
#
# The sides never run in parallel: the kernel's service table is global,
# and a service dump that spans several netlink messages resumes at an
# index counted over every namespace's services (ip_vs_genl_dump_services
# counts before it filters by namespace). A table change in another
# namespace between two parts makes the listing repeat or skip a service;
# upstream showed a service twice in -Sn when the sides ran in parallel.
run_side() {
	ns=ipvsdiff-$1
	out=$WORK/$1/$2
	rm -rf "$out"
	mkdir -p "$out"
	ip netns del "$ns" 2>/dev/null
	if ! ip netns add "$ns" 2>"$out/side.log"; then
		echo "HARNESS ERROR: cannot create namespace $ns" >>"$out/errors"
		return
	fi
	ip netns exec "$ns" sh "$SELF" --side "$1" "$BIN_BASE/$1" "$SCENARIOS/$2.txt" "$out" \
		</dev/null >>"$out/side.log" 2>&1
	ip netns del "$ns" 2>>"$out/side.log"
	if [ -s "$out/side.log" ]; then
		{
			echo "HARNESS ERROR: unexpected output from the $1 side's runner:"
			cat "$out/side.log"
		} >>"$out/errors"
	fi
}

# run_shared SCENARIO: both sides one after the other in ONE namespace, for
# scenarios marked @same-namespace: the kernel lists services in hash order
# and salts the hash per namespace, so where the order matters (--nosort,
# and the non-transitive sort comparator on cyclic inputs) only the same
# namespace gives both sides the same kernel order. Between the sides the
# table is flushed and the timeouts reset; anything else left behind is a
# harness error.
run_shared() {
	ns=ipvsdiff-shared
	for s in upstream ours; do
		rm -rf "${WORK:?}/$s/$1"
		mkdir -p "$WORK/$s/$1"
		touch "$WORK/$s/$1/errors"
	done
	if grep -q '^!' "$SCENARIOS/$1.txt"; then
		echo "HARNESS ERROR: a @same-namespace scenario cannot have setup (!) lines" >>"$WORK/upstream/$1/errors"
		return
	fi
	ip netns del "$ns" 2>/dev/null
	if ! ip netns add "$ns" 2>>"$WORK/upstream/$1/errors"; then
		echo "HARNESS ERROR: cannot create namespace $ns" >>"$WORK/upstream/$1/errors"
		return
	fi
	for s in upstream ours; do
		out=$WORK/$s/$1
		ip netns exec "$ns" sh "$SELF" --side "$s" "$BIN_BASE/$s" "$SCENARIOS/$1.txt" "$out" \
			</dev/null >>"$out/side.log" 2>&1
		if [ $s = upstream ]; then
			ip netns exec "$ns" sh "$SELF" --reset "$WORK/ours/$1/errors" </dev/null >>"$out/side.log" 2>&1
		fi
	done
	ip netns del "$ns" 2>>"$WORK/ours/$1/side.log"
	for s in upstream ours; do
		out=$WORK/$s/$1
		if [ -s "$out/side.log" ]; then
			{
				echo "HARNESS ERROR: unexpected output from the $s side's runner:"
				cat "$out/side.log"
			} >>"$out/errors"
		fi
	done
}

# reset ERRORS: between the sides of a @same-namespace scenario, bring the
# namespace back to a fresh one's IPVS state (with upstream ipvsadm).
reset() {
	"$UPSTREAM" -C
	"$UPSTREAM" --set 900 120 300
	left=$("$UPSTREAM" -Sn; "$UPSTREAM" -L --daemon; "$UPSTREAM" -L --timeout)
	if [ "$left" != "Timeout (tcp tcpfin udp): 900 120 300" ]; then
		printf 'HARNESS ERROR: the upstream side left state behind:\n%s\n' "$left" >>"$1"
	fi
}

# file_size FILE prints its size in bytes.
file_size() { wc -c <"$1" | tr -d ' '; }

# first_line FILE prints its first line (at most 100 characters).
first_line() { head -n 1 "$1" | cut -c 1-100; }

# compare NAME compares the two sides' results of one scenario and updates
# the counters.
compare() {
	name=$1
	u=$WORK/upstream/$name o=$WORK/ours/$name
	s_lines=0 s_failed=0 s_expected=0 s_problem=
	if [ -s "$u/errors" ] || [ -s "$o/errors" ]; then
		s_problem=harness
	elif ! cmp -s "$u/lines" "$o/lines"; then
		echo "HARNESS ERROR: the two sides ran different lines" >>"$o/errors"
		s_problem=harness
	fi
	notes=$WORK/notes.$name
	: >"$notes"
	if [ -z "$s_problem" ]; then
		same=0
		if cmp -s "$u/transcript.txt" "$o/transcript.txt"; then same=1; fi
		while read -r lno kind id; do
			[ "$kind" = cmd ] || {
				# A setup line must behave the same on both sides.
				[ $same = 1 ] && continue
				pad "$lno"
				b=$PAD
				cmp -s "$u/raw/$b.block" "$o/raw/$b.block" || s_problem=setup
				continue
			}
			s_lines=$((s_lines + 1))
			pad "$lno"
			b=$PAD
			bad=0
			if [ $same = 0 ] && ! cmp -s "$u/raw/$b.block" "$o/raw/$b.block"; then bad=1; fi
			if [ "$id" != - ]; then
				s_expected=$((s_expected + 1))
				expected_mode_host "$id"
				urc=$(cat "$u/raw/$b.rc") orc=$(cat "$o/raw/$b.rc")
				if [ "$UEXIT" != - ] && [ "$UEXIT" != "$urc" ]; then
					bad=1
					printf '  STALE line %s [%s]: expected-differences.txt says upstream exits %s here, it exited %s\n' \
						"$lno" "$id" "$UEXIT" "$urc" >>"$notes"
				fi
				printf '  note: line %s [%s, %s compared]: upstream exit %s (stdout %s B, stderr %s B%s), ours exit %s (stdout %s B, stderr %s B%s)\n' \
					"$lno" "$id" "$( [ "$MODE" = status ] && echo 'only exit status' || echo nothing)" \
					"$urc" "$(file_size "$u/raw/$b.out")" "$(file_size "$u/raw/$b.err")" \
					"$( [ -s "$u/raw/$b.err" ] && printf ': %s' "$(first_line "$u/raw/$b.err")")" \
					"$orc" "$(file_size "$o/raw/$b.out")" "$(file_size "$o/raw/$b.err")" \
					"$( [ -s "$o/raw/$b.err" ] && printf ': %s' "$(first_line "$o/raw/$b.err")")" >>"$notes"
			fi
			if [ $bad = 1 ]; then s_failed=$((s_failed + 1)); fi
		done <"$u/lines"
	fi
	T_LINES=$((T_LINES + s_lines))
	T_FAILED=$((T_FAILED + s_failed))
	T_EXPECTED=$((T_EXPECTED + s_expected))
	if [ -z "$s_problem" ] && [ $s_failed = 0 ]; then
		T_SPASS=$((T_SPASS + 1))
		printf 'PASS %s (%d command lines, %s s)\n' "$name" "$s_lines" "$SECS"
		cat "$notes"
	else
		T_SFAIL=$((T_SFAIL + 1))
		case $s_problem in
		harness)
			printf 'FAIL %s: harness error\n' "$name"
			cat "$u/errors" "$o/errors" | sed 's/^/  /'
			;;
		*)
			printf 'FAIL %s (%d of %d command lines differ, %s s%s)\n' "$name" "$s_failed" "$s_lines" "$SECS" \
				"$( [ "$s_problem" = setup ] && echo '; a setup line differs too')"
			cat "$notes"
			# The first differences, trailing blanks made visible: every
			# changed line gets a "$" at its end, like cat -A.
			(cd "$WORK" && diff -a -U 3 -L "upstream/$name" -L "ours/$name" \
				"upstream/$name/transcript.txt" "ours/$name/transcript.txt") |
				sed -e '/^[-+][^-+]/s/$/$/' -e '/^[-+]$/s/$/$/' >"$WORK/diff.$name"
			dl=$(wc -l <"$WORK/diff.$name")
			head -n "$DIFF_LINES" "$WORK/diff.$name" | sed 's/^/    /'
			if [ "$dl" -gt "$DIFF_LINES" ]; then
				printf '    ... %d more diff lines (DIFF_OUT=dir on the host saves both transcripts)\n' \
					"$((dl - DIFF_LINES))"
			fi
			;;
		esac
	fi
}

# expected_mode_host ID: like expected_mode, on the driver side.
expected_mode_host() {
	MODE='' UEXIT=''
	while read -r eid emode euexit _; do
		case $eid in '' | '#'*) continue ;; esac
		if [ "$eid" = "$1" ]; then MODE=$emode UEXIT=$euexit; return; fi
	done <"$EXPECTED"
}

dump() {
	for s in upstream ours; do
		printf '@@IPVSADM-DIFF-TRANSCRIPT %s %s@@\n' "$s" "$1"
		cat "$WORK/$s/$1/transcript-full.txt"
		printf '@@IPVSADM-DIFF-TRANSCRIPT-END@@\n'
	done
}

main() {
	self=0 dumpit=0
	while [ $# -gt 0 ]; do
		case $1 in
		--self) self=1 ;;
		--dump) dumpit=1 ;;
		--) shift; break ;;
		-*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
		*) break ;;
		esac
		shift
	done
	DIFF_LINES=${DIFF_LINES:-$(cat "$DIFF_DIR/diff-lines" 2>/dev/null)}
	case $DIFF_LINES in '' | *[!0-9]*) DIFF_LINES=60 ;; esac
	[ -x "$UPSTREAM" ] || { echo "run.sh: no upstream ipvsadm at $UPSTREAM" >&2; exit 2; }
	ours=$OURS
	if [ $self = 1 ]; then ours=$UPSTREAM; fi
	[ -x "$ours" ] || { echo "run.sh: no ipvsadm of ours at $ours (diff.sh passes it with --bin)" >&2; exit 2; }
	[ -f "$EXPECTED" ] || { echo "run.sh: no $EXPECTED" >&2; exit 2; }

	rm -rf "$WORK"
	BIN_BASE=$WORK/bin
	mkdir -p "$BIN_BASE/upstream" "$BIN_BASE/ours"
	ln -s "$UPSTREAM" "$BIN_BASE/upstream/ipvsadm"
	ln -s "$ours" "$BIN_BASE/ours/ipvsadm"
	printf 'ipvsadm-diff: upstream %s, ours %s%s\n' "$UPSTREAM" "$ours" \
		"$( [ $self = 1 ] && echo ' (self-test: ours is upstream)')"

	T_LINES=0 T_FAILED=0 T_EXPECTED=0 T_SPASS=0 T_SFAIL=0 T_STDIN=0
	t0=$(date +%s)
	for f in "$SCENARIOS"/*.txt; do
		[ -f "$f" ] || continue
		name=${f##*/}
		name=${name%.txt}
		if [ $# -gt 0 ]; then
			want=0
			for p in "$@"; do case $name in *"$p"*) want=1 ;; esac done
			[ $want = 1 ] || continue
		fi
		read -r ts _ </proc/uptime
		if grep -qx '@same-namespace' "$f"; then
			run_shared "$name"
		else
			run_side upstream "$name"
			run_side ours "$name"
		fi
		read -r te _ </proc/uptime
		SECS=$(awk -v a="$ts" -v b="$te" 'BEGIN { printf "%.1f", b - a }')
		compare "$name"
		T_STDIN=$((T_STDIN + $(cat "$WORK"/upstream/"$name"/raw/*.in 2>/dev/null | wc -l)))
		if [ $dumpit = 1 ]; then dump "$name"; fi
	done
	t1=$(date +%s)
	printf 'ipvsadm-diff: %d passed, %d failed (command lines); %d passed, %d failed (scenarios); %d command lines ran on each side (+%d lines fed to -R on stdin), %d with expected differences; %d s\n' \
		"$((T_LINES - T_FAILED))" "$T_FAILED" "$T_SPASS" "$T_SFAIL" "$T_LINES" "$T_STDIN" "$T_EXPECTED" "$((t1 - t0))"
	[ "$T_FAILED" = 0 ] && [ "$T_SFAIL" = 0 ] && [ $((T_SPASS)) -gt 0 ]
}

case ${1:-} in
--side)
	shift
	SIDE=$1
	side "$2" "$3" "$4"
	exit 0
	;;
--reset)
	reset "$2"
	exit 0
	;;
esac
main "$@"
