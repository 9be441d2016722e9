#!/usr/bin/env bash
#
# diff.sh: the differential test of our ipvsadm against upstream ipvsadm
# 1.31 on a real IPVS kernel (the kernel lab). See README.md.
#
#   testscripts/vm/ipvsadm-diff/diff.sh [FILTER...]
#
# Builds ours (CGO_ENABLED=0 go build ./cmd/ipvsadm), boots the lab and runs
# run.sh there, which runs every scenario (or those whose name contains a
# FILTER) once with each binary and compares the transcripts. Exits with
# run.sh's status: 0 all passed, 1 differences, 125 the lab failed.
#
# Environment:
#   DIFF_SELF=1      compare upstream with itself (no build): validates the
#                    harness and the scenarios
#   DIFF_OURS=FILE   use FILE as our ipvsadm instead of building one (any
#                    executable, e.g. a wrapper script)
#   DIFF_OUT=DIR     save both transcripts of every scenario in
#                    DIR/upstream/NAME.txt and DIR/ours/NAME.txt
#   DIFF_LINES=N     show at most N diff lines per failing scenario (60)
#   DIFF_TIMEOUT=S   the lab's timeout in seconds (1800)

set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/../../.." && pwd)
lab=$root/testscripts/vm/lab

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ipvsadm-diff.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

guest_args=()
bins=()
if [[ ${DIFF_SELF:-0} == 1 ]]; then
	guest_args+=(--self)
elif [[ -n ${DIFF_OURS:-} ]]; then
	cp "$DIFF_OURS" "$tmp/ipvsadm"
	chmod 0755 "$tmp/ipvsadm"
	bins+=(--bin "$tmp/ipvsadm")
else
	go=go
	command -v go >/dev/null || go=/usr/local/go/bin/go
	(cd "$root" && CGO_ENABLED=0 "$go" build -o "$tmp/ipvsadm" ./cmd/ipvsadm) || {
		echo "diff.sh: building ./cmd/ipvsadm failed" >&2
		exit 125
	}
	bins+=(--bin "$tmp/ipvsadm")
fi
[[ -n ${DIFF_OUT:-} ]] && guest_args+=(--dump)

# run.sh reads DIFF_LINES from its environment; the lab passes none, so it
# travels as a tiny file.
printf '%s\n' "${DIFF_LINES:-60}" >"$tmp/diff-lines"

run_lab() {
	"$lab" run --timeout "${DIFF_TIMEOUT:-1800}" "${bins[@]}" \
		--file "$here/scenarios:/lab-diff/scenarios" \
		--file "$here/expected-differences.txt:/lab-diff/expected-differences.txt" \
		--file "$tmp/diff-lines:/lab-diff/diff-lines" \
		"$here/run.sh" "${guest_args[@]}" "$@"
}

if [[ -z ${DIFF_OUT:-} ]]; then
	rc=0
	run_lab "$@" || rc=$?
	exit "$rc"
fi

# Save the dumped transcripts, pass everything else through.
mkdir -p "$DIFF_OUT/upstream" "$DIFF_OUT/ours"
set +e
run_lab "$@" | awk -v dir="$DIFF_OUT" '
	/^@@IPVSADM-DIFF-TRANSCRIPT-END@@$/ { if (file != "") close(file); file = ""; next }
	/^@@IPVSADM-DIFF-TRANSCRIPT [a-z]+ [^ ]+@@$/ {
		split(substr($0, 3, length($0) - 4), w, " ")
		file = dir "/" w[2] "/" w[3] ".txt"
		printf "" > file
		next
	}
	file != "" { print > file; next }
	{ print; fflush() }
'
rcs=("${PIPESTATUS[@]}")
set -e
rc=${rcs[0]}
echo "diff.sh: transcripts saved in $DIFF_OUT/upstream and $DIFF_OUT/ours" >&2
exit "$rc"
