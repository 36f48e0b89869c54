#!/usr/bin/env bash
# The workbench's own test: make check must fail when checkpatch does not
# run, and when QEMU does not boot the guest, even with an old passing log
# left behind; the cost gate must fail on runs that cost too much or lack
# the base kernel.  Each case must fail for its own reason, not another one.
#
# Needs a built x86_64 kernel (run after make check): the fake-QEMU case goes
# through the build step.  Usage: tests/workbench-selftest.sh
set -u
cd "$(dirname "$0")/.." || { echo "error: cannot cd to the repository"; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

# expect_fail name reason-regexp command...: the command must exit non-zero,
# print the reason, and never print a passing verdict.
expect_fail() {
	local name=$1 why=$2 rc=0
	shift 2
	echo "---- $name"
	"$@" >"$tmp/$name.log" 2>&1 || rc=$?
	if [ "$rc" = 0 ]; then
		echo "FAIL $name: the command exited 0"
		fails=$((fails + 1))
	elif ! grep -qE "$why" "$tmp/$name.log"; then
		echo "FAIL $name: exit $rc, but not for the expected reason ('$why'); last lines:"
		tail -5 "$tmp/$name.log" | sed 's/^/    /'
		fails=$((fails + 1))
	elif grep -qE '^[0-9]+ passed, 0 failed' "$tmp/$name.log"; then
		echo "FAIL $name: a passing verdict was printed"
		fails=$((fails + 1))
	else
		echo "ok $name: exit $rc, $(grep -m1 -oE "$why" "$tmp/$name.log")"
	fi
}

# 1. A checkpatch that prints nothing and fails.
printf 'exit 1;\n' >"$tmp/fake-checkpatch.pl"
expect_fail fake-checkpatch "checkpatch did not check" \
	env CHECKPATCH="$tmp/fake-checkpatch.pl" make -s check ARCH=x86_64 CATEGORIES=spf

# 2. A QEMU that exits at once, with a passing log of an earlier run in place.
mkdir -p "$tmp/bin" build/out/x86_64
printf '#!/bin/sh\nexit 0\n' >"$tmp/bin/qemu-system-x86_64"
chmod +x "$tmp/bin/qemu-system-x86_64"
printf 'SPF-RESULTS-BEGIN\nSPF-RESULT spf pass spf_functional\nSPF-RESULTS-END\nSPF-TAINTED: 0\nSPF-GUEST-EXIT: 0\n' \
	>build/out/x86_64/check-main.log
expect_fail fake-qemu "boot.sh exited with status [1-9]" \
	env PATH="$tmp/bin:$PATH" ACCEL=tcg make -s check ARCH=x86_64 CATEGORIES=spf

# 3-5. The cost gate (bench/cost-report.sh, run by make cost) on made-up
# runs: equal costs pass; mode 2 at 2% over mode 1 on page_fault3 fails, and
# so do runs without the base kernel's lines.
cost_lines() { # kernel mode ops_per_sec-of-page_fault3
	local t ops
	for t in page_fault1 page_fault2 page_fault3; do
		ops=100000; [ "$t" = page_fault3 ] && ops=$3
		for rep in 1 2; do
			echo "$1 BENCH test=$t kind=processes mode=$2 tasks=1 rep=$rep status=ok ops_per_sec=$ops spf_attempt=10 spf_success=0 spf_abort_unsupported=10"
		done
	done
}
{ cost_lines base stock 400000; for m in 0 1 2; do cost_lines series $m 400000; done; } >"$tmp/cost-equal.txt"
echo "---- cost-equal"
if bench/cost-report.sh "$tmp/cost-equal.txt" >"$tmp/cost-equal.log" 2>&1 &&
   grep -q '^Gate: passed' "$tmp/cost-equal.log"; then
	echo "ok cost-equal: equal costs pass the gate"
else
	echo "FAIL cost-equal: equal costs did not pass the gate"
	fails=$((fails + 1))
fi
{ cost_lines base stock 400000; for m in 0 1; do cost_lines series $m 400000; done
  cost_lines series 2 392000; } >"$tmp/cost-dear.txt"
expect_fail cost-dear "page_fault3 \| 2/1 \| 1\.0204 \| 1\.010 \| FAIL" \
	bench/cost-report.sh "$tmp/cost-dear.txt"
grep -v '^base ' "$tmp/cost-equal.txt" >"$tmp/cost-nobase.txt"
expect_fail cost-nobase "2/base \| n/a \| 1\.010 \| FAIL \(no runs\)" \
	bench/cost-report.sh "$tmp/cost-nobase.txt"

echo
if [ "$fails" = 0 ]; then
	echo "workbench selftest: 4 of 4 faked failures fail, and equal costs pass the cost gate"
else
	echo "workbench selftest: $fails of 5 cases did not give the verdict they must"
	exit 1
fi
